//! A file of contacts → its records, each a row's cells under their headers: CSV (cells our own
//! exports neutralised are restored), JSON, or a sheet of an .xlsx, .xls or .ods workbook.

use switchboard_core::ContactKind;

use super::columns::{column_for, is_driver_column, normalize_header};
use super::import_error::ImportError;
use super::report::RowError;
use super::rows::RawRow;
use crate::tables::{FileKind, Sheet, WorkbookError, read_sheet, restore};

/// The records of a file.
pub(crate) struct Source {
    pub rows: Vec<RawRow>,
    /// The kind the columns suggest.
    pub kind: ContactKind,
    /// For a workbook: the sheet read, and every sheet it has.
    pub sheet: Option<(String, Vec<String>)>,
}

/// Reads `data`, the contents of `source_name`: the sheet named `sheet` (or the first) of a
/// workbook, else CSV or JSON. A file with no records is an error, as is one of another kind.
pub(crate) fn read_source(source_name: &str, data: &[u8], sheet: Option<&str>) -> Result<Source, ImportError> {
    let no_rows = || ImportError::NoRows { source_name: source_name.to_owned() };
    let source = match FileKind::detect(source_name, data) {
        FileKind::Empty => return Err(no_rows()),
        FileKind::Other => return Err(ImportError::NotATable { source_name: source_name.to_owned() }),
        FileKind::Workbook => {
            let sheet = read_sheet(data, sheet).map_err(|error| match error {
                WorkbookError::NotAWorkbook(_) => ImportError::NotATable { source_name: source_name.to_owned() },
                error => ImportError::Workbook { source_name: source_name.to_owned(), error },
            })?;
            read_workbook(source_name, sheet)?
        }
        format @ (FileKind::Csv | FileKind::Json) => {
            let text = String::from_utf8_lossy(data);
            let text = text.trim_start_matches('\u{feff}');
            let (rows, kind) =
                if format == FileKind::Json { read_json(source_name, text)? } else { read_csv(source_name, text)? };
            Source { rows, kind, sheet: None }
        }
    };
    if source.rows.is_empty() {
        return Err(no_rows());
    }
    Ok(source)
}

/// A sheet's first row with text is its header; the rows under it are records, numbered by the
/// row the spreadsheet shows.
fn read_workbook(source_name: &str, sheet: Sheet) -> Result<Source, ImportError> {
    let mut lines = sheet.rows.into_iter();
    let headers: Vec<String> = match lines.next() {
        Some(header) => header.cells.into_iter().map(|cell| cell.trim().to_owned()).collect(),
        None => return Err(ImportError::NoRows { source_name: source_name.to_owned() }),
    };
    let kind = infer_kind(headers.iter().map(String::as_str));
    let rows = lines
        .enumerate()
        .map(|(index, line)| {
            let overflow = line.cells.iter().enumerate().skip(headers.len()).find(|(_, cell)| !cell.trim().is_empty());
            let unreadable = overflow.map(|(column, _)| RowError {
                column: format!("column {}", column + 1),
                reason: format!("the row has a value in column {} but the header has {}", column + 1, headers.len()),
            });
            RawRow {
                row: index as u32 + 1,
                line: Some(line.line),
                cells: headers.iter().cloned().zip(line.cells).collect(),
                unreadable,
            }
        })
        .collect();
    Ok(Source { rows, kind, sheet: Some((sheet.name, sheet.sheets)) })
}

/// The kind a file's columns suggest: drivers when any driver-only column is present.
fn infer_kind<'a>(keys: impl IntoIterator<Item = &'a str>) -> ContactKind {
    let driver = keys.into_iter().any(|key| column_for(&normalize_header(key)).is_some_and(is_driver_column));
    if driver { ContactKind::Driver } else { ContactKind::Vendor }
}

fn read_csv(source_name: &str, text: &str) -> Result<(Vec<RawRow>, ContactKind), ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) if !headers.is_empty() && headers.iter().any(|h| !h.trim().is_empty()) => {
            headers.iter().map(|header| restore(header).to_owned()).collect()
        }
        _ => return Err(ImportError::NoHeader { source_name: source_name.to_owned() }),
    };
    let kind = infer_kind(headers.iter().map(String::as_str));
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    let mut row = 0u32;
    loop {
        let at = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if record.iter().all(|cell| cell.trim().is_empty()) => {}
            Ok(true) => {
                row += 1;
                let line = lines.line_at(record.position().map_or(at, csv::Position::byte));
                let cells = headers.iter().cloned().zip(record.iter().map(|cell| restore(cell).to_owned())).collect();
                let unreadable = (record.len() > headers.len()).then(|| RowError {
                    column: format!("column {}", headers.len() + 1),
                    reason: format!("the row has {} cells but the header has {}", record.len(), headers.len()),
                });
                rows.push(RawRow { row, line: Some(line), cells, unreadable });
            }
            Err(err) => {
                row += 1;
                let unreadable = Some(RowError { column: "-".into(), reason: err.to_string() });
                rows.push(RawRow { row, line: Some(lines.line_at(at)), cells: Vec::new(), unreadable });
            }
        }
    }
    Ok((rows, kind))
}

/// Line numbers of byte offsets, counted once as offsets grow (the csv crate's own line count
/// is one short on CRLF files).
struct LineCounter<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self { text: text.as_bytes(), counted_to: 0, line: 1 }
    }

    /// The 1-based line of the record starting at byte `offset` (offsets must not go back).
    fn line_at(&mut self, offset: u64) -> u32 {
        let mut start = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        // The reader may report a record as starting at the previous line's '\n'.
        if self.text.get(start) == Some(&b'\n') {
            start += 1;
        }
        if start > self.counted_to {
            self.line += self.text[self.counted_to..start].iter().filter(|b| **b == b'\n').count() as u32;
            self.counted_to = start;
        }
        self.line
    }
}

fn read_json(source_name: &str, text: &str) -> Result<(Vec<RawRow>, ContactKind), ImportError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|err| ImportError::Json { source_name: source_name.to_owned(), detail: err.to_string() })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut object) => match object.remove("contacts") {
            Some(serde_json::Value::Array(items)) => items,
            _ => return Err(ImportError::JsonShape { source_name: source_name.to_owned() }),
        },
        _ => return Err(ImportError::JsonShape { source_name: source_name.to_owned() }),
    };
    let mut rows = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let mut cells = Vec::new();
        let unreadable = match item {
            serde_json::Value::Object(object) => {
                flatten_json(&mut cells, "", object);
                None
            }
            other => Some(RowError {
                column: "-".into(),
                reason: format!("expected an object with the contact's fields, found {}", json_kind(&other)),
            }),
        };
        rows.push(RawRow { row: index as u32 + 1, line: None, cells, unreadable });
    }
    let kind = infer_kind(rows.iter().flat_map(|r| r.cells.iter().map(|(k, _)| k.as_str())));
    Ok((rows, kind))
}

/// JSON objects become cells: nested `details`, `trip` and `custom` objects are spread out,
/// `violations` stays JSON, lists of tags are joined.
fn flatten_json(cells: &mut Vec<(String, String)>, prefix: &str, object: serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    for (key, value) in object {
        let name = format!("{prefix}{key}");
        match (key.as_str(), value) {
            (_, Value::Null) => {}
            ("details" | "fields" | "custom" | "vendor" | "driver", Value::Object(inner)) => {
                flatten_json(cells, "", inner)
            }
            ("trip", Value::Object(inner)) => flatten_json(cells, "trip_", inner),
            ("violations", value @ Value::Array(_)) => cells.push((name, value.to_string())),
            ("tags", Value::Array(tags)) => {
                let tags: Vec<String> =
                    tags.iter().map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_owned)).collect();
                cells.push((name, tags.join(";")));
            }
            (_, Value::String(text)) => cells.push((name, text)),
            (_, Value::Bool(flag)) => cells.push((name, flag.to_string())),
            (_, Value::Number(number)) => cells.push((name, number.to_string())),
            (_, other) => cells.push((name, other.to_string())),
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a true/false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}
