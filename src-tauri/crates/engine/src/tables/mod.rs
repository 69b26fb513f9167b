//! Tables as files: exports written as CSV (no cell a spreadsheet would run as a formula), JSON
//! or .xlsx, and imports read from CSV, JSON or a sheet of an .xlsx, .xls or .ods workbook.

mod formula;
mod kind;
mod workbook;
mod xlsx;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use formula::{neutralise, restore};
pub use kind::FileKind;
pub use workbook::{Sheet, SheetRow, WorkbookError, read_sheet};

/// The formats exports write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Json,
    Csv,
    /// Text for people to read.
    Text,
    Xlsx,
}

impl ExportFormat {
    /// The format a file name's extension asks for (.json, .csv, .txt, .xlsx).
    pub fn for_path(path: &Path) -> Option<ExportFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(ExportFormat::Json),
            "csv" => Some(ExportFormat::Csv),
            "txt" => Some(ExportFormat::Text),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    /// Text, or an empty cell for `None`.
    pub fn text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |value| Cell::Text(value.into()))
    }

    /// A number, or an empty cell for `None`.
    pub fn number(value: Option<impl Into<f64>>) -> Cell {
        value.map_or(Cell::Empty, |value| Cell::Number(value.into()))
    }

    /// The cell as CSV writes it (numbers as Rust writes them: 100, 0.42).
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(text) => neutralise(text).into_owned(),
            Cell::Number(number) => number.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// What an export writes: a header and rows of cells, as CSV or as an .xlsx sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The sheet's name in a workbook.
    pub sheet: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The table as CSV text.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let header = self.header.iter().map(|name| neutralise(name).into_owned());
        // Writing to memory cannot fail, and every record is valid UTF-8 text.
        let _ = writer.write_record(header);
        for row in &self.rows {
            let _ = writer.write_record(row.iter().map(Cell::csv_text));
        }
        writer.into_inner().ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
    }

    /// The table as an .xlsx workbook.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, String> {
        self.to_xlsx_with(&[])
    }

    /// The table as the first sheet of an .xlsx workbook, `more` as the sheets after it.
    pub fn to_xlsx_with(&self, more: &[Table]) -> Result<Vec<u8>, String> {
        let tables: Vec<&Table> = std::iter::once(self).chain(more).collect();
        xlsx::write(&tables).map_err(|err| format!("could not write the workbook: {err}"))
    }
}

/// Reads back a table this app wrote, as text: CSV (cells restored as they were before
/// neutralising) or the first sheet of a workbook.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    if FileKind::detect("", bytes) == FileKind::Workbook {
        let sheet = read_sheet(bytes, None).map_err(|err| err.to_string())?;
        return Ok(sheet.rows.into_iter().map(|row| row.cells).collect());
    }
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|record| Ok(record.map_err(|err| err.to_string())?.iter().map(|cell| restore(cell).to_owned()).collect()))
        .collect()
}
