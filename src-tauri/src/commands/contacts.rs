//! Commands about contacts: list, save, import, export, and a contact's calls.

use std::path::PathBuf;

use switchboard_core::{CallSummary, Contact, ContactFields, ContactId, ContactKind, check_contact};
use switchboard_engine::contacts::{ImportOptions, ImportReport, export_contacts as export, import_contacts as import};
use switchboard_engine::tables::ExportFormat;
use switchboard_engine::{ErrorCode, now, settings::default_region};

use super::{Export, Reply, export_bytes, export_format, query, with_store};
use crate::dto::CommandError;
use crate::operations::Ctx;

pub async fn list_contacts(ctx: &Ctx<'_>) -> Reply<Vec<Contact>> {
    query(ctx.console, |store| store.list_contacts()).await
}

pub async fn contact_calls(ctx: &Ctx<'_>, contact_id: ContactId) -> Reply<Vec<CallSummary>> {
    query(ctx.console, move |store| store.calls_with_contact(contact_id)).await
}

/// Imports a file the dispatcher picked or dropped (CSV, JSON or a workbook's `sheet`, the
/// first when `None`).
pub async fn import_contacts(
    ctx: &Ctx<'_>,
    file_name: String,
    bytes: Vec<u8>,
    sheet: Option<String>,
    kind: Option<ContactKind>,
    dry_run: bool,
) -> Reply<ImportReport> {
    with_store(ctx.console, move |store| {
        let options = ImportOptions { kind, dry_run, region: default_region(store)?, sheet };
        import(store, &file_name, &bytes, &options)
            .map_err(|err| CommandError::new(ErrorCode::InvalidInput, err.to_string()))
    })
    .await
}

/// Writes the chosen contacts (all when `ids` is empty) to `path` as CSV, JSON or .xlsx (by
/// extension).
pub async fn export_contacts(ctx: &Ctx<'_>, path: PathBuf, ids: Vec<ContactId>) -> Reply<Export<u32>> {
    let format = export_format(&path, &[ExportFormat::Csv, ExportFormat::Json, ExportFormat::Xlsx], None)?;
    with_store(ctx.console, move |store| {
        let contacts: Vec<Contact> =
            store.list_contacts()?.into_iter().filter(|c| ids.is_empty() || ids.contains(&c.id)).collect();
        let bytes = export_bytes(&path, export(&contacts, format))?;
        Ok::<_, CommandError>(Export { bytes, answer: contacts.len() as u32 })
    })
    .await
}

/// Creates (no id) or replaces a contact, after checking every field (the checks import and
/// the campaign builder use): every problem is reported at once, beside its field.
pub async fn save_contact(ctx: &Ctx<'_>, id: Option<ContactId>, fields: ContactFields) -> Reply<Contact> {
    with_store(ctx.console, move |store| {
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
