//! Merging a row into a contact with the same E.164 number: what the row says wins, nothing
//! already known is lost, and every changed field is named.

use switchboard_core::{ContactDetails, ContactFields};

/// Merges `incoming` into `base`. Returns the names of the fields that changed, or why the two
/// cannot be one contact.
pub(crate) fn merge_into(base: &mut ContactFields, incoming: ContactFields) -> Result<Vec<String>, String> {
    if base.kind() != incoming.kind() {
        return Err(format!(
            "{} already belongs to the {} {}; this row is a {}",
            base.phone,
            base.kind().as_str(),
            base.name,
            incoming.kind().as_str()
        ));
    }
    let mut changed = Vec::new();
    let mut set = |name: &str, differs: bool| {
        if differs {
            changed.push(name.to_owned());
        }
    };
    set("name", replace(&mut base.name, incoming.name));
    // The phone is the same number (that is why the rows merge); the saved spelling stays.
    let before = base.tags.len();
    for tag in incoming.tags {
        if !base.tags.contains(&tag) {
            base.tags.push(tag);
        }
    }
    set("tags", base.tags.len() != before);
    set("timeZone", replace_some(&mut base.time_zone, incoming.time_zone));
    // An import can put a contact on the do-not-call list but never take it off.
    if incoming.do_not_call && !base.do_not_call {
        base.do_not_call = true;
        set("doNotCall", true);
    }
    for (key, value) in incoming.custom {
        let differs = base.custom.get(&key) != Some(&value);
        if differs {
            base.custom.insert(key.clone(), value);
        }
        set(&key, differs);
    }
    match (&mut base.details, incoming.details) {
        (ContactDetails::Vendor(base), ContactDetails::Vendor(new)) => {
            set("email", replace_some(&mut base.email, new.email));
            set("location", replace_some(&mut base.location, new.location));
            set("notes", replace_some(&mut base.notes, new.notes));
        }
        (ContactDetails::Driver(base), ContactDetails::Driver(new)) => {
            set("driverId", replace_some(&mut base.driver_id, new.driver_id));
            let before = base.violations.len();
            for violation in new.violations {
                if !base.violations.contains(&violation) {
                    base.violations.push(violation);
                }
            }
            set("violations", base.violations.len() != before);
            set("tripId", replace_some(&mut base.trip_id, new.trip_id));
            let trip = &mut base.trip;
            let mut trip_changed = replace_some(&mut trip.origin, new.trip.origin);
            trip_changed |= replace_some(&mut trip.destination, new.trip.destination);
            trip_changed |= replace_some(&mut trip.cargo, new.trip.cargo);
            trip_changed |= replace_some(&mut trip.scheduled_arrival, new.trip.scheduled_arrival);
            trip_changed |= replace_some(&mut trip.current_location, new.trip.current_location);
            trip_changed |= replace_some(&mut trip.notes, new.trip.notes);
            set("trip", trip_changed);
            set("dispatcherName", replace_some(&mut base.dispatcher_name, new.dispatcher_name));
            set("transferTo", replace_some(&mut base.transfer_to, new.transfer_to));
        }
        _ => unreachable!("kinds were compared above"),
    }
    Ok(changed)
}

/// Takes a non-empty new text; true when it changed the value.
fn replace(slot: &mut String, new: String) -> bool {
    !new.is_empty() && *slot != new && {
        *slot = new;
        true
    }
}

/// Takes a present new value; true when it changed the value.
fn replace_some<T: PartialEq>(slot: &mut Option<T>, new: Option<T>) -> bool {
    match new {
        Some(value) if slot.as_ref() != Some(&value) => {
            *slot = Some(value);
            true
        }
        _ => false,
    }
}
