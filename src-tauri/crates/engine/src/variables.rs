//! The template variables a contact and an agent supply to prompts and first messages.

use switchboard_core::{Agent, Contact, ContactKind, Variables};

/// Variables for calling `contact` with `agent`.
pub(crate) fn call_variables(agent: &Agent, contact: &Contact) -> Variables {
    let mut vars = Variables::new();
    let mut set = |key: &str, value: String| {
        vars.insert(key.to_owned(), value);
    };
    set("agent_name", agent.config.name.clone());
    set("organization", agent.config.organization.clone());
    set("contact_name", contact.name.clone());
    if contact.kind == ContactKind::Vendor {
        let vendor = &contact.vendor;
        set("vendor_name", contact.name.clone());
        set("item", vendor.item.clone());
        set("quantity", vendor.quantity.to_string());
        if let Some(price) = vendor.target_price {
            set("target_price", format!("${price:.2}"));
        }
        if let Some(location) = &vendor.location {
            set("location", location.clone());
        }
    }
    vars
}
