//! Exporting contacts as CSV or .xlsx (the import's own columns) or JSON (the contacts'
//! fields); each imports again unchanged.

use std::collections::BTreeSet;

use switchboard_core::{Contact, ContactDetails, ContactFields};

use crate::tables::{Cell, ExportFormat, Table};

const FIXED: [&str; 24] = [
    "kind",
    "name",
    "phone",
    "tags",
    "time_zone",
    "do_not_call",
    "email",
    "location",
    "notes",
    "organization",
    "driver_id",
    "trip_id",
    "dispatcher_name",
    "transfer_to",
    "violations",
    "trip_origin",
    "trip_destination",
    "trip_cargo",
    "trip_scheduled_arrival",
    "trip_current_location",
    "trip_notes",
    "violation_type",
    "violation_severity",
    "violation_details",
];

/// The contacts in `format` (CSV, JSON or .xlsx; not text).
pub fn export_contacts(contacts: &[Contact], format: ExportFormat) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Json => {
            let fields: Vec<&ContactFields> = contacts.iter().map(|c| &c.fields).collect();
            serde_json::to_vec_pretty(&fields).map_err(|err| format!("could not write JSON: {err}"))
        }
        ExportFormat::Csv => Ok(table(contacts).to_csv().into_bytes()),
        ExportFormat::Xlsx => table(contacts).to_xlsx(),
        ExportFormat::Text => Err("contacts are exported as CSV, JSON or .xlsx".to_owned()),
    }
}

/// A row per contact, in the import's columns (text, so that every value reads back as it was).
fn table(contacts: &[Contact]) -> Table {
    // The single-violation columns are for importing hand-made sheets; exports use `violations`.
    let fixed = &FIXED[..FIXED.len() - 3];
    let custom: BTreeSet<&str> = contacts.iter().flat_map(|c| c.fields.custom.keys().map(String::as_str)).collect();
    let header: Vec<String> = fixed.iter().copied().chain(custom.iter().copied()).map(str::to_owned).collect();
    let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(contacts.len());
    for contact in contacts {
        let f = &contact.fields;
        let opt = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut row = vec![
            f.kind().as_str().to_owned(),
            f.name.clone(),
            f.phone.clone(),
            f.tags.join(";"),
            opt(&f.time_zone),
            if f.do_not_call { "yes".into() } else { "no".into() },
        ];
        match &f.details {
            ContactDetails::Vendor(v) => {
                row.extend([opt(&v.email), opt(&v.location), opt(&v.notes), String::new()]);
                row.extend(std::iter::repeat_n(String::new(), 11));
            }
            ContactDetails::Person(p) => {
                row.extend(std::iter::repeat_n(String::new(), 2));
                row.extend([opt(&p.notes), opt(&p.organization)]);
                row.extend(std::iter::repeat_n(String::new(), 11));
            }
            ContactDetails::Driver(d) => {
                row.extend(std::iter::repeat_n(String::new(), 4));
                let violations = if d.violations.is_empty() {
                    String::new()
                } else {
                    serde_json::to_string(&d.violations).unwrap_or_default()
                };
                row.extend([
                    opt(&d.driver_id),
                    opt(&d.trip_id),
                    opt(&d.dispatcher_name),
                    opt(&d.transfer_to),
                    violations,
                    opt(&d.trip.origin),
                    opt(&d.trip.destination),
                    opt(&d.trip.cargo),
                    opt(&d.trip.scheduled_arrival),
                    opt(&d.trip.current_location),
                    opt(&d.trip.notes),
                ]);
            }
        }
        row.extend(custom.iter().map(|key| f.custom.get(*key).cloned().unwrap_or_default()));
        rows.push(row.into_iter().map(|text| if text.is_empty() { Cell::Empty } else { Cell::Text(text) }).collect());
    }
    Table { sheet: "Contacts", header, rows }
}
