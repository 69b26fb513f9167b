//! Importing a file of contacts (CSV, JSON or a spreadsheet): its records checked row by row
//! (core's contact checks), rows that share an E.164 number and extension merged (with each
//! other and with saved contacts), and the result written.

use std::collections::HashMap;
use std::time::Duration;

use backon::{BlockingRetryable as _, ExponentialBuilder};

use switchboard_core::{ContactCheck, ContactFields, ContactId, ContactKind, FieldError, Phone, check_contact};
use switchboard_store::{ContactWrite, Store, StoreError};

use super::import_error::ImportError;
use super::merge::merge_into;
use super::report::{ImportReport, RowError, RowOutcome, RowReport};
use super::rows::{RawRow, read_row};
use super::sources::{Source, read_source};
use crate::now;

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

/// How long an import keeps trying to write while the database refuses writes for a passing
/// reason (another program holding the write lock past the busy timeout, a full disk).
const WRITE_PATIENCE: Duration = Duration::from_secs(60);

/// Writes the import's contacts, trying again with backoff while the database refuses writes
/// for a passing reason; a row is never reported as failed for what the database went through.
fn write_retrying(store: &Store, writes: &[ContactWrite]) -> Result<Vec<Result<ContactId, StoreError>>, ImportError> {
    let write = || store.write_contacts(writes, now());
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_secs(2))
        .with_total_delay(Some(WRITE_PATIENCE))
        .without_max_times();
    write
        .retry(backoff)
        .when(|err: &StoreError| err.write_failure().is_some())
        .notify(|err: &StoreError, wait| {
            tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "the import could not write; trying again");
        })
        .call()
        .map_err(|err| match err.write_failure() {
            Some(failure) => ImportError::Unwritable(failure.message(store.path())),
            None => ImportError::Store(err),
        })
}

/// A saved or planned contact that rows merge into.
struct Target {
    id: Option<ContactId>,
    label: String,
    fields: ContactFields,
    phone: Phone,
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

    // Contacts are one when their number and extension are (a switchboard's extensions are
    // different people).
    let saved: HashMap<Phone, (ContactId, ContactFields)> = store
        .list_contacts()?
        .into_iter()
        .filter_map(|contact| {
            let e164 = contact.phone_e164?;
            Some((Phone { e164, extension: contact.phone_extension }, (contact.id, contact.fields)))
        })
        .collect();
    let mut targets: Vec<Target> = Vec::new();
    let mut by_phone: HashMap<Phone, usize> = HashMap::new();
    // Each row's outcome so far, and the target it was written into.
    let mut outcomes: Vec<(RowReport, Option<usize>)> = Vec::with_capacity(rows.len());
    let mut ignored: Vec<String> = Vec::new();

    for raw in &rows {
        let mut report = RowReport {
            row: raw.row,
            line: raw.line,
            name: raw.name(),
            outcome: RowOutcome::Imported { contact_id: None },
        };
        let draft = match read_row(raw, kind, forced, &options.region) {
            Ok(draft) => {
                for header in &draft.ignored {
                    if !ignored.contains(header) {
                        ignored.push(header.clone());
                    }
                }
                draft
            }
            Err(errors) => {
                report.outcome = RowOutcome::Rejected { errors };
                outcomes.push((report, None));
                continue;
            }
        };
        // The row's fields as the editor would save them, and the contact they merge into.
        let ContactCheck { fields, phone, problems } = check_contact(&draft.fields, &options.region);
        let index = phone.as_ref().and_then(|phone| match by_phone.get(phone) {
            Some(&index) => Some(index),
            None => saved.get(phone).map(|(id, fields)| {
                targets.push(Target {
                    id: Some(*id),
                    label: format!("{} (already saved)", fields.name),
                    fields: fields.clone(),
                    phone: phone.clone(),
                    write: false,
                });
                by_phone.insert(phone.clone(), targets.len() - 1);
                targets.len() - 1
            }),
        });
        // A merged row is checked as the contact it makes (a name or item already saved counts).
        let mut errors = draft.errors;
        let merged = match index {
            Some(index) => {
                let mut merged = targets[index].fields.clone();
                match merge_into(&mut merged, fields.clone()) {
                    Ok(changed) => {
                        errors.extend(field_errors(raw, check_contact(&merged, &options.region).problems));
                        Some((index, merged, changed))
                    }
                    Err(reason) => {
                        errors.push(RowError { column: "phone".into(), reason });
                        None
                    }
                }
            }
            None => {
                errors.extend(field_errors(raw, problems));
                None
            }
        };
        // A row without a valid number has that among its errors.
        let (Some(phone), true) = (phone, errors.is_empty()) else {
            raw.in_column_order(&mut errors);
            report.outcome = RowOutcome::Rejected { errors };
            outcomes.push((report, None));
            continue;
        };
        match merged {
            Some((index, merged, changed)) => {
                let target = &mut targets[index];
                target.fields = merged;
                target.write |= !changed.is_empty();
                report.outcome = RowOutcome::Merged { contact_id: target.id, into: target.label.clone(), changed };
                outcomes.push((report, Some(index)));
            }
            None => {
                let label = format!("{} (row {})", fields.name, raw.row);
                targets.push(Target { id: None, label, fields, phone: phone.clone(), write: true });
                by_phone.insert(phone, targets.len() - 1);
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
                let phone = Some(target.phone.clone());
                match target.id {
                    Some(id) => ContactWrite::Update { id, fields: target.fields.clone(), phone },
                    None => ContactWrite::Insert { fields: target.fields.clone(), phone },
                }
            })
            .collect();
        let results = write_retrying(store, &writes)?;
        switchboard_store::failpoint!("import-after-commit");
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
    Ok(ImportReport::new(source_name, options.dry_run, rows).read_from_sheet(sheet).ignoring(&ignored))
}

/// Core's problems with a row's fields, under the row's columns.
fn field_errors(raw: &RawRow, problems: Vec<FieldError>) -> impl Iterator<Item = RowError> + '_ {
    problems.into_iter().map(|problem| raw.field_error(problem))
}
