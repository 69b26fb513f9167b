//! Writing tables as an .xlsx workbook (rust_xlsxwriter): a sheet each, a bold header row that
//! stays in view, text as text (never run as a formula) and numbers as numbers.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{Cell, Table};

/// The workbook's bytes: a sheet per table, in order.
pub(super) fn write(tables: &[&Table]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.sheet)?;
        for (column, name) in table.header.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, name, &bold)?;
        }
        for (index, row) in table.rows.iter().enumerate() {
            let at = index as u32 + 1;
            for (column, cell) in row.iter().enumerate() {
                let column = column as u16;
                match cell {
                    Cell::Text(text) => sheet.write_string(at, column, text)?,
                    Cell::Number(number) => sheet.write_number(at, column, *number)?,
                    Cell::Empty => sheet,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.set_autofit_max_width(400).autofit();
    }
    workbook.save_to_buffer()
}
