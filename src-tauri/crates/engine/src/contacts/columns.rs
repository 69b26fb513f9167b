//! The columns an import understands, under the names people give them.

/// A column of the import, after its header was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    Kind,
    Name,
    Phone,
    Extension,
    Tags,
    TimeZone,
    DoNotCall,
    Email,
    Location,
    /// What a quote campaign's request says (item, quantity, target price): older sheets kept
    /// it on each vendor; a vendor row ignores it now.
    Request,
    Notes,
    Organization,
    DriverId,
    TripId,
    DispatcherName,
    TransferTo,
    Violations,
    ViolationType,
    ViolationTime,
    ViolationLocation,
    ViolationSeverity,
    ViolationDetails,
    TripOrigin,
    TripDestination,
    TripCargo,
    TripScheduledArrival,
    TripCurrentLocation,
    TripNotes,
}

const NAMES: &[(Column, &[&str])] = &[
    (Column::Kind, &["kind", "contact_kind"]),
    (Column::Name, &["name", "contact", "contact_name", "vendor", "vendor_name", "driver_name", "company", "supplier"]),
    (Column::Phone, &["phone", "phone_number", "mobile", "cell", "tel", "telephone", "number"]),
    (Column::Extension, &["extension", "ext", "phone_extension", "phone_ext"]),
    (Column::Tags, &["tags", "tag", "labels"]),
    (Column::TimeZone, &["time_zone", "timezone", "tz"]),
    (Column::DoNotCall, &["do_not_call", "dnc"]),
    (Column::Email, &["email", "e_mail", "email_address"]),
    (Column::Location, &["location", "city", "address"]),
    (Column::Request, &["item", "product", "part", "quantity", "qty", "target_price", "target", "target_unit_price"]),
    (Column::Notes, &["notes", "note", "comments"]),
    (Column::Organization, &["organization", "organisation", "org"]),
    (Column::DriverId, &["driver_id"]),
    (Column::TripId, &["trip_id", "trip"]),
    (Column::DispatcherName, &["dispatcher_name", "dispatcher"]),
    (Column::TransferTo, &["transfer_to", "transfer_number", "transfer"]),
    (Column::Violations, &["violations"]),
    (Column::ViolationType, &["violation_type", "violation"]),
    (Column::ViolationTime, &["violation_time", "violation_date"]),
    (Column::ViolationLocation, &["violation_location"]),
    (Column::ViolationSeverity, &["violation_severity", "severity"]),
    (Column::ViolationDetails, &["violation_details"]),
    (Column::TripOrigin, &["trip_origin", "origin"]),
    (Column::TripDestination, &["trip_destination", "destination"]),
    (Column::TripCargo, &["trip_cargo", "cargo", "load"]),
    (Column::TripScheduledArrival, &["trip_scheduled_arrival", "scheduled_arrival", "eta"]),
    (Column::TripCurrentLocation, &["trip_current_location", "current_location"]),
    (Column::TripNotes, &["trip_notes"]),
];

/// A header as a key: lower case, words joined by underscores ("Phone Number" → phone_number,
/// "targetPrice" → target_price).
pub(crate) fn normalize_header(header: &str) -> String {
    let mut key = String::with_capacity(header.len() + 4);
    let mut previous_lower = false;
    for c in header.trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower {
                key.push('_');
            }
            key.extend(c.to_lowercase());
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            if !key.is_empty() && !key.ends_with('_') {
                key.push('_');
            }
            previous_lower = false;
        }
    }
    key.trim_end_matches('_').to_owned()
}

/// The column a normalised header names, if it is one the import knows.
pub(crate) fn column_for(key: &str) -> Option<Column> {
    NAMES.iter().find(|(_, names)| names.contains(&key)).map(|(column, _)| *column)
}

/// True for columns only drivers have.
pub(crate) fn is_driver_column(column: Column) -> bool {
    matches!(
        column,
        Column::DriverId
            | Column::TripId
            | Column::DispatcherName
            | Column::TransferTo
            | Column::Violations
            | Column::ViolationType
            | Column::ViolationTime
            | Column::ViolationLocation
            | Column::ViolationSeverity
            | Column::ViolationDetails
            | Column::TripOrigin
            | Column::TripDestination
            | Column::TripCargo
            | Column::TripScheduledArrival
            | Column::TripCurrentLocation
            | Column::TripNotes
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_as_people_write_them() {
        assert_eq!(normalize_header("\u{feff}Phone Number"), "phone_number");
        assert_eq!(normalize_header("  Target-Price ($) "), "target_price");
        assert_eq!(normalize_header("doNotCall"), "do_not_call");
        assert_eq!(normalize_header("trip_scheduledArrival"), "trip_scheduled_arrival");
        assert_eq!(column_for(&normalize_header("Vendor Name")), Some(Column::Name));
        assert_eq!(column_for(&normalize_header("Qty")), Some(Column::Request));
        assert_eq!(column_for("favourite_colour"), None);
    }
}
