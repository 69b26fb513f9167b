//! Reading a CSV or JSON file of contacts, validating each row, merging rows that share an
//! E.164 number (with each other and with saved contacts), and writing the result.

use std::collections::HashMap;

use switchboard_core::{ContactFields, ContactId, ContactKind};
use switchboard_store::{ContactWrite, Store, StoreError};

use super::columns::{column_for, is_driver_column, normalize_header};
use super::merge::merge_into;
use super::report::{ImportReport, RowError, RowOutcome, RowReport};
use super::rows::{RawRow, parse_row};
use crate::now;

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    Csv,
    Json,
}

impl SourceFormat {
    /// The format a file name or its first bytes say.
    pub fn detect(name: &str, text: &str) -> SourceFormat {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            SourceFormat::Json
        } else if lower.ends_with(".csv") {
            SourceFormat::Csv
        } else if text.trim_start_matches('\u{feff}').trim_start().starts_with(['[', '{']) {
            SourceFormat::Json
        } else {
            SourceFormat::Csv
        }
    }
}

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Treat every row as this kind; otherwise a `kind` column decides, or the columns do.
    pub kind: Option<ContactKind>,
    /// Validate and report without writing.
    pub dry_run: bool,
    /// Region for numbers written without a country code.
    pub region: String,
}

/// Why a file could not be read at all (row problems are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{source_name} is not valid JSON: {detail}")]
    Json { source_name: String, detail: String },
    #[error("{source_name}: expected a JSON list of contacts (or {{\"contacts\": [...]}})")]
    JsonShape { source_name: String },
    #[error("{source_name} has no header row")]
    NoHeader { source_name: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A saved or planned contact that rows merge into.
struct Target {
    id: Option<ContactId>,
    label: String,
    fields: ContactFields,
    phone_e164: String,
    write: bool,
}

/// Imports `text` (the contents of `source_name`) into `store`.
pub fn import_contacts(
    store: &Store,
    source_name: &str,
    text: &str,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let (rows, inferred) = match SourceFormat::detect(source_name, text) {
        SourceFormat::Csv => read_csv(source_name, text)?,
        SourceFormat::Json => read_json(source_name, text)?,
    };
    let (kind, forced) = match options.kind {
        Some(kind) => (kind, true),
        None => (inferred, false),
    };

    let saved: HashMap<String, (ContactId, ContactFields)> = store
        .list_contacts()?
        .into_iter()
        .filter_map(|contact| contact.phone_e164.map(|e164| (e164, (contact.id, contact.fields))))
        .collect();
    let mut targets: Vec<Target> = Vec::new();
    let mut by_phone: HashMap<String, usize> = HashMap::new();
    // Each row's outcome so far, and the target it was written into.
    let mut outcomes: Vec<(RowReport, Option<usize>)> = Vec::with_capacity(rows.len());

    for raw in &rows {
        let mut report = RowReport {
            row: raw.row,
            line: raw.line,
            name: raw.name(),
            outcome: RowOutcome::Imported { contact_id: None },
        };
        let parsed = match parse_row(raw, kind, forced, &options.region) {
            Ok(parsed) => parsed,
            Err(errors) => {
                report.outcome = RowOutcome::Rejected { errors };
                outcomes.push((report, None));
                continue;
            }
        };
        let index = match by_phone.get(&parsed.phone_e164) {
            Some(&index) => Some(index),
            None => saved.get(&parsed.phone_e164).map(|(id, fields)| {
                targets.push(Target {
                    id: Some(*id),
                    label: format!("{} (already saved)", fields.name),
                    fields: fields.clone(),
                    phone_e164: parsed.phone_e164.clone(),
                    write: false,
                });
                by_phone.insert(parsed.phone_e164.clone(), targets.len() - 1);
                targets.len() - 1
            }),
        };
        match index {
            Some(index) => {
                let target = &mut targets[index];
                match merge_into(&mut target.fields, parsed.fields) {
                    Ok(changed) => {
                        target.write |= !changed.is_empty();
                        report.outcome =
                            RowOutcome::Merged { contact_id: target.id, into: target.label.clone(), changed };
                        outcomes.push((report, Some(index)));
                    }
                    Err(reason) => {
                        report.outcome =
                            RowOutcome::Rejected { errors: vec![RowError { column: "phone".into(), reason }] };
                        outcomes.push((report, None));
                    }
                }
            }
            None => {
                targets.push(Target {
                    id: None,
                    label: format!("{} (row {})", parsed.fields.name, raw.row),
                    fields: parsed.fields,
                    phone_e164: parsed.phone_e164.clone(),
                    write: true,
                });
                by_phone.insert(parsed.phone_e164, targets.len() - 1);
                outcomes.push((report, Some(targets.len() - 1)));
            }
        }
    }

    if !options.dry_run {
        let to_write: Vec<usize> = (0..targets.len()).filter(|i| targets[*i].write).collect();
        let writes: Vec<ContactWrite> = to_write
            .iter()
            .map(|&i| {
                let target = &targets[i];
                let phone_e164 = Some(target.phone_e164.clone());
                match target.id {
                    Some(id) => ContactWrite::Update { id, fields: target.fields.clone(), phone_e164 },
                    None => ContactWrite::Insert { fields: target.fields.clone(), phone_e164 },
                }
            })
            .collect();
        let results = store.write_contacts(&writes, now())?;
        let mut written: HashMap<usize, Result<ContactId, String>> = HashMap::new();
        for (index, result) in to_write.into_iter().zip(results) {
            written.insert(index, result.map_err(|err| err.to_string()));
        }
        for (report, target) in &mut outcomes {
            let Some(index) = target else { continue };
            let id = match written.get(index) {
                Some(Ok(id)) => Some(*id),
                Some(Err(reason)) => {
                    let error = RowError { column: "-".into(), reason: format!("could not be saved: {reason}") };
                    report.outcome = RowOutcome::Rejected { errors: vec![error] };
                    continue;
                }
                None => targets[*index].id,
            };
            match &mut report.outcome {
                RowOutcome::Imported { contact_id } | RowOutcome::Merged { contact_id, .. } => *contact_id = id,
                RowOutcome::Rejected { .. } => {}
            }
        }
    }
    let rows = outcomes.into_iter().map(|(report, _)| report).collect();
    Ok(ImportReport::new(source_name, options.dry_run, rows))
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
            headers.iter().map(str::to_owned).collect()
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
                let cells = headers.iter().cloned().zip(record.iter().map(str::to_owned)).collect();
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
