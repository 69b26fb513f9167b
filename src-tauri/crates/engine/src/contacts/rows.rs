//! One import record → a contact's fields, with the problems only the file's text can have
//! (a do-not-call cell that is not yes or no, an unknown kind); the fields themselves are checked by
//! core's contact checks, as the editor's and the campaign builder's are.

use std::collections::BTreeMap;

use switchboard_core::{
    ContactDetails, ContactFields, ContactKind, DriverDetails, FieldError, PersonDetails, Phone, Severity,
    VendorDetails, Violation, parse_phone,
};

use super::columns::{Column, column_for, is_driver_column};
use super::report::RowError;

/// A record as read from the file: each cell with its header as written and its text.
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    pub row: u32,
    pub line: Option<u32>,
    pub cells: Vec<(String, String)>,
    /// Set when the record itself could not be read (bad UTF-8, too many cells, not an object).
    pub unreadable: Option<RowError>,
}

/// A readable record: the contact's fields as written, and the problems of its cells' text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DraftRow {
    pub fields: ContactFields,
    pub errors: Vec<RowError>,
    /// The headers of the filled cells the row's kind ignores (a vendor's item, quantity or
    /// target price: a quote campaign's request says those).
    pub ignored: Vec<String>,
}

impl RawRow {
    /// The row's name cell, for the report.
    pub(crate) fn name(&self) -> Option<String> {
        self.cells
            .iter()
            .find(|(header, value)| {
                column_for(&super::columns::normalize_header(header)) == Some(Column::Name) && !value.trim().is_empty()
            })
            .map(|(_, value)| value.trim().to_owned())
    }

    /// A problem core's checks found with a field, under the row's column for it.
    pub(crate) fn field_error(&self, problem: FieldError) -> RowError {
        let (columns, fallback): (&[Column], &str) = match problem.field.as_str() {
            "name" => (&[Column::Name], "name"),
            "phone" => (&[Column::Phone, Column::Extension], "phone"),
            "timeZone" => (&[Column::TimeZone], "time_zone"),
            "details.email" => (&[Column::Email], "email"),
            "details.transferTo" => (&[Column::TransferTo], "transfer_to"),
            path if path.starts_with("details.violations.") => {
                (&[Column::ViolationType, Column::Violations], "violations")
            }
            path => (&[], path),
        };
        let column = columns.iter().find_map(|column| self.header(*column)).unwrap_or(fallback);
        RowError { column: column.to_owned(), reason: problem.message }
    }

    /// The header of `column` as the file writes it, when the file has it.
    fn header(&self, column: Column) -> Option<&str> {
        self.cells
            .iter()
            .find(|(header, _)| column_for(&super::columns::normalize_header(header)) == Some(column))
            .map(|(header, _)| header.as_str())
    }

    /// Puts `errors` in the order of the row's columns (those it does not have last).
    pub(crate) fn in_column_order(&self, errors: &mut [RowError]) {
        errors.sort_by_key(|error| self.cells.iter().position(|(header, _)| *header == error.column));
        errors.sort_by_key(|error| !self.cells.iter().any(|(header, _)| *header == error.column));
    }
}

/// Reads `raw` as a contact of `kind` (the row's own `kind` cell wins when `kind_forced` is
/// false); `Err` when the record itself could not be read. An extension column is written
/// into the phone as "ext. N" (numbers without a country code are read in `region`).
pub(crate) fn read_row(
    raw: &RawRow,
    kind: ContactKind,
    kind_forced: bool,
    region: &str,
) -> Result<DraftRow, Vec<RowError>> {
    if let Some(error) = &raw.unreadable {
        return Err(vec![error.clone()]);
    }
    let mut errors = Vec::new();
    let mut ignored = Vec::new();
    let mut cells: Vec<(Column, &str, &str)> = Vec::new();
    let mut custom = BTreeMap::new();
    for (header, value) in &raw.cells {
        let value = value.trim();
        let key = super::columns::normalize_header(header);
        match column_for(&key) {
            Some(column) => cells.push((column, header.as_str(), value)),
            None if !value.is_empty() && !key.is_empty() => {
                custom.insert(key, value.to_owned());
            }
            None => {}
        }
    }
    let get = |column: Column| cells.iter().find(|(c, _, v)| *c == column && !v.is_empty()).map(|(_, h, v)| (*h, *v));
    let text = |column: Column| get(column).map(|(_, v)| v.to_owned());
    let header = |column: Column, fallback: &str| {
        cells.iter().find(|(c, _, _)| *c == column).map_or_else(|| fallback.to_owned(), |(_, h, _)| (*h).to_owned())
    };
    let mut fail = |column: Column, fallback: &str, reason: String| {
        errors.push(RowError { column: header(column, fallback), reason });
    };

    let kind = match (kind_forced, get(Column::Kind)) {
        (false, Some((_, value))) => ContactKind::parse(value).unwrap_or_else(|| {
            fail(Column::Kind, "kind", format!("{value:?} is not a kind: use vendor or driver"));
            kind
        }),
        _ => kind,
    };
    let name = text(Column::Name).unwrap_or_default();
    let mut phone = text(Column::Phone).unwrap_or_default();
    if let Some((_, extension)) = get(Column::Extension) {
        let digits = extension.trim_start_matches(|c: char| !c.is_ascii_digit());
        match parse_phone(&phone, region) {
            _ if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) => {
                fail(Column::Extension, "extension", format!("{extension:?} is not an extension: use digits"))
            }
            Ok(Phone { extension: Some(written), .. }) if written != digits => fail(
                Column::Extension,
                "extension",
                format!("the phone says extension {written}, this column says {digits}"),
            ),
            Ok(Phone { extension: Some(_), .. }) => {}
            _ => phone = format!("{phone} ext. {digits}"),
        }
    }
    let tags: Vec<String> = text(Column::Tags)
        .map(|tags| tags.split([';', '|', ',']).map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let do_not_call = match get(Column::DoNotCall) {
        None => false,
        Some((_, value)) => parse_flag(value).unwrap_or_else(|| {
            fail(Column::DoNotCall, "do_not_call", format!("{value:?} is not yes or no"));
            false
        }),
    };
    let time_zone = text(Column::TimeZone);

    let details = match kind {
        ContactKind::Person => {
            for (column, header, value) in &cells {
                let elsewhere = !matches!(
                    column,
                    Column::Kind
                        | Column::Name
                        | Column::Phone
                        | Column::Extension
                        | Column::Tags
                        | Column::TimeZone
                        | Column::DoNotCall
                ) && !matches!(column, Column::Notes | Column::Organization);
                if elsewhere && !value.is_empty() {
                    custom.insert(super::columns::normalize_header(header), (*value).to_owned());
                }
            }
            ContactDetails::Person(PersonDetails {
                organization: text(Column::Organization),
                notes: text(Column::Notes),
            })
        }
        ContactKind::Vendor => {
            for (column, header, value) in &cells {
                if (is_driver_column(*column) || *column == Column::Organization) && !value.is_empty() {
                    custom.insert(super::columns::normalize_header(header), (*value).to_owned());
                }
            }
            ignored.extend(
                cells
                    .iter()
                    .filter(|(c, _, v)| *c == Column::Request && !v.is_empty())
                    .map(|(_, h, _)| (*h).to_owned()),
            );
            ContactDetails::Vendor(VendorDetails {
                email: text(Column::Email),
                location: text(Column::Location),
                notes: text(Column::Notes),
            })
        }
        ContactKind::Driver => {
            for (column, header, value) in &cells {
                let vendor_only = matches!(column, Column::Email | Column::Request | Column::Location);
                if vendor_only && !value.is_empty() {
                    custom.insert(super::columns::normalize_header(header), (*value).to_owned());
                }
            }
            let mut violations: Vec<Violation> = match get(Column::Violations) {
                None => Vec::new(),
                Some((_, value)) => serde_json::from_str(value).unwrap_or_else(|err| {
                    fail(Column::Violations, "violations", format!("not a JSON list of violations: {err}"));
                    Vec::new()
                }),
            };
            let severity = get(Column::ViolationSeverity).and_then(|(_, value)| {
                let severity = Severity::parse(value);
                if severity.is_none() {
                    fail(
                        Column::ViolationSeverity,
                        "violation_severity",
                        format!("{value:?} is not low, medium, high or critical"),
                    );
                }
                severity
            });
            match text(Column::ViolationType) {
                Some(kind) => violations.push(Violation {
                    kind,
                    time: text(Column::ViolationTime),
                    location: text(Column::ViolationLocation),
                    severity,
                    details: text(Column::ViolationDetails),
                }),
                None => {
                    let orphan = [
                        Column::ViolationTime,
                        Column::ViolationLocation,
                        Column::ViolationSeverity,
                        Column::ViolationDetails,
                    ]
                    .into_iter()
                    .find(|column| get(*column).is_some());
                    if let Some(column) = orphan {
                        fail(
                            Column::ViolationType,
                            "violation_type",
                            format!("{} is filled but the violation type is not", header(column, "")),
                        );
                    }
                }
            }
            ContactDetails::Driver(DriverDetails {
                driver_id: text(Column::DriverId),
                violations,
                trip_id: text(Column::TripId),
                trip: switchboard_core::TripData {
                    origin: text(Column::TripOrigin),
                    destination: text(Column::TripDestination),
                    cargo: text(Column::TripCargo),
                    scheduled_arrival: text(Column::TripScheduledArrival),
                    current_location: text(Column::TripCurrentLocation),
                    notes: text(Column::TripNotes),
                },
                dispatcher_name: text(Column::DispatcherName),
                transfer_to: text(Column::TransferTo),
            })
        }
    };
    let fields = ContactFields { name, phone, tags, time_zone, do_not_call, custom, details };
    Ok(DraftRow { fields, errors, ignored })
}

fn parse_flag(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "dnc" => Some(true),
        "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}
