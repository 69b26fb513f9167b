//! The template variables a contact and an agent supply to prompts and first messages.

use switchboard_core::{Agent, Contact, ContactDetails, Variables, violation_context};

/// Variables for calling `contact` with `agent`: the agent's, the contact's fields by kind, and
/// the contact's custom fields under their own names (a quote campaign's request adds its own).
pub fn call_variables(agent: &Agent, contact: &Contact) -> Variables {
    let mut vars = Variables::new();
    let mut set = |key: &str, value: String| {
        vars.insert(key.to_owned(), value);
    };
    let fields = &contact.fields;
    set("agent_name", agent.config.name.clone());
    set("organization", agent.config.organization.clone());
    set("contact_name", fields.name.clone());
    match &fields.details {
        ContactDetails::Vendor(vendor) => {
            // What to quote (item, quantity, target, ...) is the campaign's request.
            set("vendor_name", fields.name.clone());
            if let Some(location) = &vendor.location {
                set("location", location.clone());
            }
        }
        ContactDetails::Person(person) => {
            set("callee_name", fields.name.clone());
            if let Some(organization) = &person.organization {
                set("callee_organization", organization.clone());
            }
        }
        ContactDetails::Driver(driver) => {
            set("driver_name", fields.name.clone());
            set("violation_context", violation_context(fields, driver));
            let count = driver.violations.len();
            set("violation_count", count.to_string());
            set("safety_events", format!("{count} safety event{}", if count == 1 { "" } else { "s" }));
            for (key, value) in [
                ("driver_id", &driver.driver_id),
                ("trip_id", &driver.trip_id),
                ("dispatcher_name", &driver.dispatcher_name),
                ("transfer_to", &driver.transfer_to),
            ] {
                if let Some(value) = value {
                    set(key, value.clone());
                }
            }
        }
    }
    for (key, value) in &fields.custom {
        vars.entry(key.clone()).or_insert_with(|| value.clone());
    }
    vars
}
