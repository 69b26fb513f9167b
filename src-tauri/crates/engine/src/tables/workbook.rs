//! Reading one sheet of an .xlsx, .xls, .xlsb or .ods workbook (calamine) as rows of text, the
//! way the same values would read in a CSV file.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

/// The rows of one sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// The sheet read.
    pub name: String,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
    /// The rows that have any text, in order.
    pub rows: Vec<SheetRow>,
}

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetRow {
    /// The row's number as the spreadsheet shows it (1-based).
    pub line: u32,
    pub cells: Vec<String>,
}

/// Why a workbook could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// Not a workbook any reader knows.
    #[error("not a spreadsheet: {0}")]
    NotAWorkbook(String),
    #[error("there is no sheet named {wanted:?} (the sheets are {})", quoted(.sheets))]
    NoSuchSheet { wanted: String, sheets: Vec<String> },
    #[error("the workbook has no sheets")]
    NoSheets,
    #[error("sheet {sheet:?} cannot be read: {detail}")]
    Unreadable { sheet: String, detail: String },
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|name| format!("{name:?}")).collect::<Vec<_>>().join(", ")
}

/// Reads the sheet named `sheet` (the first when `None`) of the workbook in `bytes`.
pub fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<Sheet, WorkbookError> {
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|err| WorkbookError::NotAWorkbook(err.to_string()))?;
    let sheets = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => sheets
            .iter()
            .find(|name| name.as_str() == wanted)
            .or_else(|| sheets.iter().find(|name| name.trim().eq_ignore_ascii_case(wanted.trim())))
            .ok_or_else(|| WorkbookError::NoSuchSheet { wanted: wanted.to_owned(), sheets: sheets.clone() })?,
        None => sheets.first().ok_or(WorkbookError::NoSheets)?,
    }
    .clone();
    let range = workbook
        .worksheet_range(&name)
        .map_err(|err| WorkbookError::Unreadable { sheet: name.clone(), detail: err.to_string() })?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let rows = range
        .rows()
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|cell| !text(cell).trim().is_empty()))
        .map(|(index, cells)| SheetRow { line: first_row + index as u32 + 1, cells: cells.iter().map(text).collect() })
        .collect();
    Ok(Sheet { name, sheets, rows })
}

/// A cell as text: numbers as Rust writes them (100, 0.42), dates as `YYYY-MM-DD[ HH:MM[:SS]]`.
fn text(cell: &Data) -> String {
    match cell {
        Data::DateTime(at) if at.is_datetime() => {
            let (year, month, day, hour, minute, second, _) = at.to_ymd_hms_milli();
            date_text((year, month, day), (hour, minute, second))
        }
        Data::DateTime(duration) => {
            let seconds = (duration.as_f64() * 86_400.0).round() as i64;
            format!("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60)
        }
        // OpenDocument dates are ISO 8601 text.
        Data::DateTimeIso(iso) => match iso.parse::<jiff::civil::DateTime>() {
            Ok(at) => date_text(
                (at.year() as u16, at.month() as u8, at.day() as u8),
                (at.hour() as u8, at.minute() as u8, at.second() as u8),
            ),
            Err(_) => iso.clone(),
        },
        other => other.to_string(),
    }
}

fn date_text((year, month, day): (u16, u8, u8), (hour, minute, second): (u8, u8, u8)) -> String {
    let date = format!("{year:04}-{month:02}-{day:02}");
    match (hour, minute, second) {
        (0, 0, 0) => date,
        (_, _, 0) => format!("{date} {hour:02}:{minute:02}"),
        _ => format!("{date} {hour:02}:{minute:02}:{second:02}"),
    }
}
