//! Exporting contacts as CSV (the import's own columns) or JSON (the contacts' fields); both
//! import again unchanged.

use std::collections::BTreeSet;

use switchboard_core::{Contact, ContactDetails, ContactFields};

/// The export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

const FIXED: [&str; 27] = [
    "kind",
    "name",
    "phone",
    "tags",
    "time_zone",
    "do_not_call",
    "email",
    "location",
    "item",
    "quantity",
    "target_price",
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

/// The contacts in `format`.
pub fn export_contacts(contacts: &[Contact], format: ExportFormat) -> String {
    match format {
        ExportFormat::Json => {
            let fields: Vec<&ContactFields> = contacts.iter().map(|c| &c.fields).collect();
            serde_json::to_string_pretty(&fields).unwrap_or_else(|_| "[]".to_owned())
        }
        ExportFormat::Csv => to_csv(contacts),
    }
}

fn to_csv(contacts: &[Contact]) -> String {
    // The single-violation columns are for importing hand-made sheets; exports use `violations`.
    let fixed = &FIXED[..FIXED.len() - 3];
    let custom: BTreeSet<&str> = contacts.iter().flat_map(|c| c.fields.custom.keys().map(String::as_str)).collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = fixed.iter().copied().chain(custom.iter().copied()).collect();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(contacts.len() + 1);
    rows.push(header.iter().map(|h| (*h).to_owned()).collect());
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
                row.extend([
                    opt(&v.email),
                    opt(&v.location),
                    v.item.clone(),
                    v.quantity.to_string(),
                    v.target_price.map(|p| p.to_string()).unwrap_or_default(),
                    opt(&v.notes),
                    String::new(),
                ]);
                row.extend(std::iter::repeat_n(String::new(), 11));
            }
            ContactDetails::Person(p) => {
                row.extend(std::iter::repeat_n(String::new(), 5));
                row.extend([opt(&p.notes), opt(&p.organization)]);
                row.extend(std::iter::repeat_n(String::new(), 11));
            }
            ContactDetails::Driver(d) => {
                row.extend(std::iter::repeat_n(String::new(), 7));
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
        rows.push(row);
    }
    for row in rows {
        // Writing to memory cannot fail.
        let _ = writer.write_record(&row);
    }
    writer.into_inner().ok().and_then(|bytes| String::from_utf8(bytes).ok()).unwrap_or_default()
}
