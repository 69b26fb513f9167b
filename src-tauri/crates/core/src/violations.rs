//! The prompt context for a driver violation call: the driver's violations and trip, written
//! out for the agent (seed 000's `generate_enhanced_conversational_prompt`, as a pure function).

use std::fmt::Write;

use crate::{ContactFields, DriverDetails, Severity, Violation};

/// The context an agent needs to talk to a driver about their violations: who, what happened
/// (most severe first), the trip, and whom to transfer to. Empty sections are left out.
pub fn violation_context(contact: &ContactFields, driver: &DriverDetails) -> String {
    let mut out = String::with_capacity(512);
    let id = driver.driver_id.as_deref().map(|id| format!(" (driver ID {id})")).unwrap_or_default();
    let _ = writeln!(out, "Driver: {}{id}.", contact.name);

    let mut violations: Vec<&Violation> = driver.violations.iter().collect();
    violations.sort_by_key(|v| std::cmp::Reverse(v.severity.unwrap_or(Severity::Low)));
    match violations.len() {
        0 => out.push_str("No violations are on record for this driver.\n"),
        1 => out.push_str("One safety violation is on record:\n"),
        n => {
            let _ = writeln!(out, "{n} safety violations are on record, most severe first:");
        }
    }
    for (i, violation) in violations.iter().enumerate() {
        let _ = write!(out, "{}. {}", i + 1, violation.kind.trim());
        if let Some(severity) = violation.severity {
            let _ = write!(out, " ({} severity)", severity.as_str());
        }
        if let Some(time) = non_empty(&violation.time) {
            let _ = write!(out, " at {time}");
        }
        if let Some(location) = non_empty(&violation.location) {
            let _ = write!(out, " near {location}");
        }
        out.push('.');
        if let Some(details) = non_empty(&violation.details) {
            let _ = write!(out, " {}", sentence(details));
        }
        out.push('\n');
    }

    let trip = &driver.trip;
    let route = match (non_empty(&trip.origin), non_empty(&trip.destination)) {
        (Some(from), Some(to)) => Some(format!("from {from} to {to}")),
        (None, Some(to)) => Some(format!("to {to}")),
        (Some(from), None) => Some(format!("from {from}")),
        (None, None) => None,
    };
    let trip_id = non_empty(&driver.trip_id);
    if route.is_some() || trip_id.is_some() {
        out.push_str("Current trip");
        if let Some(trip_id) = trip_id {
            let _ = write!(out, " {trip_id}");
        }
        if let Some(route) = route {
            let _ = write!(out, " {route}");
        }
        if let Some(cargo) = non_empty(&trip.cargo) {
            let _ = write!(out, ", carrying {cargo}");
        }
        if let Some(eta) = non_empty(&trip.scheduled_arrival) {
            let _ = write!(out, ", due {eta}");
        }
        out.push_str(".\n");
    }
    if let Some(position) = non_empty(&trip.current_location) {
        let _ = writeln!(out, "Last known position: {}.", position.trim_end_matches('.'));
    }
    if let Some(notes) = non_empty(&trip.notes) {
        let _ = writeln!(out, "Trip notes: {}", sentence(notes));
    }
    match (non_empty(&driver.dispatcher_name), non_empty(&driver.transfer_to)) {
        (Some(name), Some(number)) => {
            let _ = writeln!(out, "If the driver asks for a person, transfer to dispatcher {name} at {number}.");
        }
        (Some(name), None) => {
            let _ = writeln!(out, "The driver's dispatcher is {name}.");
        }
        (None, Some(number)) => {
            let _ = writeln!(out, "If the driver asks for a person, transfer to {number}.");
        }
        (None, None) => {}
    }
    out.truncate(out.trim_end().len());
    out
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) { text.to_owned() } else { format!("{text}.") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContactDetails, TripData};

    fn driver(details: DriverDetails) -> (ContactFields, DriverDetails) {
        let fields = ContactFields {
            name: "Maria Lopez".into(),
            phone: "+13125550100".into(),
            tags: vec![],
            time_zone: None,
            do_not_call: false,
            custom: Default::default(),
            details: ContactDetails::Driver(details.clone()),
        };
        (fields, details)
    }

    #[test]
    fn lists_violations_most_severe_first_with_the_trip() {
        let (fields, details) = driver(DriverDetails {
            driver_id: Some("D-1042".into()),
            violations: vec![
                Violation {
                    kind: "Harsh braking".into(),
                    time: Some("2026-11-20 14:05".into()),
                    location: Some("I-80 mile 112".into()),
                    severity: Some(Severity::Medium),
                    details: Some("decelerated 0.6 g".into()),
                },
                Violation {
                    kind: "Speeding".into(),
                    time: None,
                    location: Some("Joliet, IL".into()),
                    severity: Some(Severity::High),
                    details: Some("72 mph in a 55 zone.".into()),
                },
            ],
            trip_id: Some("T-778".into()),
            trip: TripData {
                origin: Some("Chicago, IL".into()),
                destination: Some("Omaha, NE".into()),
                cargo: Some("refrigerated produce".into()),
                scheduled_arrival: Some("Nov 21 08:00".into()),
                current_location: Some("Des Moines, IA".into()),
                notes: None,
            },
            dispatcher_name: Some("Sam Ortiz".into()),
            transfer_to: Some("+13125550199".into()),
        });
        assert_eq!(
            violation_context(&fields, &details),
            "Driver: Maria Lopez (driver ID D-1042).\n\
             2 safety violations are on record, most severe first:\n\
             1. Speeding (high severity) near Joliet, IL. 72 mph in a 55 zone.\n\
             2. Harsh braking (medium severity) at 2026-11-20 14:05 near I-80 mile 112. decelerated 0.6 g.\n\
             Current trip T-778 from Chicago, IL to Omaha, NE, carrying refrigerated produce, due Nov 21 08:00.\n\
             Last known position: Des Moines, IA.\n\
             If the driver asks for a person, transfer to dispatcher Sam Ortiz at +13125550199."
        );
    }

    #[test]
    fn leaves_out_what_is_not_known() {
        let (fields, details) = driver(DriverDetails {
            violations: vec![Violation {
                kind: "Hours of service".into(),
                time: Some(" ".into()),
                location: None,
                severity: None,
                details: None,
            }],
            ..DriverDetails::default()
        });
        assert_eq!(
            violation_context(&fields, &details),
            "Driver: Maria Lopez.\nOne safety violation is on record:\n1. Hours of service."
        );
    }

    #[test]
    fn says_so_when_there_is_nothing_on_record() {
        let (fields, details) = driver(DriverDetails::default());
        assert_eq!(
            violation_context(&fields, &details),
            "Driver: Maria Lopez.\nNo violations are on record for this driver."
        );
    }
}
