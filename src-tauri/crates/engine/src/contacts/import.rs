//! Importing a file of contacts (CSV, JSON or a spreadsheet): its records validated row by row,
//! rows that share an E.164 number merged (with each other and with saved contacts), and the
//! result written.

use std::collections::HashMap;

use switchboard_core::{ContactFields, ContactId, ContactKind};
use switchboard_store::{ContactWrite, Store, StoreError};

use super::merge::merge_into;
use super::report::{ImportReport, RowError, RowOutcome, RowReport};
use super::rows::parse_row;
use super::sources::{Source, read_source};
use crate::now;
use crate::tables::WorkbookError;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Treat every row as this kind; otherwise a `kind` column decides, or the columns do.
    pub kind: Option<ContactKind>,
    /// Validate and report without writing.
    pub dry_run: bool,
    /// Region for numbers written without a country code.
    pub region: String,
    /// The sheet of a workbook to read (the first when `None`).
    pub sheet: Option<String>,
}

/// Why a file could not be read at all (row problems are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a spreadsheet, CSV or JSON file: {source_name}")]
    NotATable { source_name: String },
    #[error("{source_name} has no rows")]
    NoRows { source_name: String },
    #[error("{source_name}: {error}")]
    Workbook { source_name: String, error: WorkbookError },
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

/// Imports `data` (the contents of the file `source_name`) into `store`.
pub fn import_contacts(
    store: &Store,
    source_name: &str,
    data: impl AsRef<[u8]>,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let Source { rows, kind: inferred, sheet } = read_source(source_name, data.as_ref(), options.sheet.as_deref())?;
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
    Ok(ImportReport::new(source_name, options.dry_run, rows).read_from_sheet(sheet))
}
