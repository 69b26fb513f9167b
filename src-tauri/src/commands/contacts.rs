//! Commands about contacts: list, save, import, export, and a contact's calls.

use std::path::PathBuf;

use switchboard_core::{CallSummary, Contact, ContactFields, ContactId, ContactKind, check_contact};
use switchboard_engine::contacts::{ImportOptions, ImportReport, export_contacts as export, import_contacts as import};
use switchboard_engine::tables::ExportFormat;
use switchboard_engine::{ErrorCode, now, settings::default_region};
use tauri::State;

use super::{Reply, export_format, query, with_store, write_export};
use crate::console::Console;
use crate::dto::CommandError;

#[tauri::command]
pub async fn list_contacts(console: State<'_, Console>) -> Reply<Vec<Contact>> {
    query(&console, |store| store.list_contacts()).await
}

#[tauri::command]
pub async fn contact_calls(console: State<'_, Console>, contact_id: ContactId) -> Reply<Vec<CallSummary>> {
    query(&console, move |store| store.calls_with_contact(contact_id)).await
}

/// Imports a file the dispatcher picked or dropped (CSV, JSON or a workbook's `sheet`, the
/// first when `None`).
#[tauri::command]
pub async fn import_contacts(
    console: State<'_, Console>,
    file_name: String,
    bytes: Vec<u8>,
    sheet: Option<String>,
    kind: Option<ContactKind>,
    dry_run: bool,
) -> Reply<ImportReport> {
    with_store(&console, move |store| {
        let options = ImportOptions { kind, dry_run, region: default_region(store)?, sheet };
        import(store, &file_name, &bytes, &options)
            .map_err(|err| CommandError::new(ErrorCode::InvalidInput, err.to_string()))
    })
    .await
}

/// Writes the chosen contacts (all when `ids` is empty) to `path` as CSV, JSON or .xlsx (by
/// extension).
#[tauri::command]
pub async fn export_contacts(console: State<'_, Console>, path: PathBuf, ids: Vec<ContactId>) -> Reply<u32> {
    let format = export_format(&path, &[ExportFormat::Csv, ExportFormat::Json, ExportFormat::Xlsx], None)?;
    with_store(&console, move |store| {
        let contacts: Vec<Contact> =
            store.list_contacts()?.into_iter().filter(|c| ids.is_empty() || ids.contains(&c.id)).collect();
        write_export(&path, export(&contacts, format))?;
        Ok::<_, CommandError>(contacts.len() as u32)
    })
    .await
}

/// Creates (no id) or replaces a contact, after checking every field (the checks import and
/// the campaign builder use): every problem is reported at once, beside its field.
#[tauri::command]
pub async fn save_contact(console: State<'_, Console>, id: Option<ContactId>, fields: ContactFields) -> Reply<Contact> {
    with_store(&console, move |store| {
        let region = default_region(store)?;
        let (fields, phone) = check_contact(&fields, &region).into_result().map_err(CommandError::invalid)?;
        let id = match id {
            Some(id) => {
                store.update_contact(id, &fields, Some(&phone), now())?;
                id
            }
            None => store.insert_contact(&fields, Some(&phone), now())?,
        };
        store.contact(id)?.ok_or_else(|| CommandError::new(ErrorCode::NotFound, format!("contact {id} vanished")))
    })
    .await
}
