//! Contacts: the vendors and drivers a dispatcher calls, with what is known about each.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ContactId;

/// Which kind of contact this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ContactKind {
    Vendor,
    Driver,
    /// Anyone else: called with an action and context (a one-off call).
    Person,
}

impl ContactKind {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Driver => "driver",
            Self::Person => "person",
        }
    }

    /// Parses the text form written by [`ContactKind::as_str`] (plural forms accepted).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vendor" | "vendors" => Some(Self::Vendor),
            "driver" | "drivers" => Some(Self::Driver),
            "person" | "people" => Some(Self::Person),
            _ => None,
        }
    }
}

/// What the dispatcher knows about a vendor before calling: its own facts. What to quote is
/// the campaign's [`QuoteRequest`](crate::QuoteRequest); older stored details with an item,
/// quantity or target price still read (those keys are ignored).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct VendorDetails {
    pub email: Option<String>,
    pub location: Option<String>,
    pub notes: Option<String>,
}

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Reads a severity as people write it ("High", "crit", "3").
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" | "minor" | "1" => Some(Self::Low),
            "medium" | "moderate" | "med" | "2" => Some(Self::Medium),
            "high" | "major" | "3" => Some(Self::High),
            "critical" | "crit" | "severe" | "4" => Some(Self::Critical),
            _ => None,
        }
    }

    /// The word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }
}

/// One safety violation recorded against a driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// What happened, e.g. "harsh braking", "speeding".
    #[serde(rename = "type")]
    pub kind: String,
    /// When, as recorded (ISO 8601 or the telematics system's text).
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub details: Option<String>,
}

/// The trip a driver is on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct TripData {
    pub origin: Option<String>,
    pub destination: Option<String>,
    pub cargo: Option<String>,
    pub scheduled_arrival: Option<String>,
    pub current_location: Option<String>,
    pub notes: Option<String>,
}

/// What the dispatcher knows about a driver before calling.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct DriverDetails {
    pub driver_id: Option<String>,
    pub violations: Vec<Violation>,
    pub trip_id: Option<String>,
    pub trip: TripData,
    /// The dispatcher the driver can be transferred to, by name.
    pub dispatcher_name: Option<String>,
    /// The number to transfer the driver to (E.164).
    pub transfer_to: Option<String>,
}

/// What the dispatcher knows about anyone else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct PersonDetails {
    /// The organisation they belong to, if any.
    pub organization: Option<String>,
    pub notes: Option<String>,
}

/// Kind-specific details of a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ContactDetails {
    Vendor(VendorDetails),
    Driver(DriverDetails),
    Person(PersonDetails),
}

impl ContactDetails {
    /// Which kind of contact these details describe.
    pub fn kind(&self) -> ContactKind {
        match self {
            Self::Vendor(_) => ContactKind::Vendor,
            Self::Driver(_) => ContactKind::Driver,
            Self::Person(_) => ContactKind::Person,
        }
    }
}

/// A contact as entered (imported or edited), before it has an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ContactFields {
    pub name: String,
    /// As entered; normalised to E.164 when stored and dialled.
    pub phone: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// IANA time zone, e.g. "America/Chicago"; calling windows are read in it.
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub do_not_call: bool,
    /// Free fields the dispatcher keeps (also template variables).
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
    pub details: ContactDetails,
}

impl ContactFields {
    /// Which kind of contact this is.
    pub fn kind(&self) -> ContactKind {
        self.details.kind()
    }

    /// The vendor details, if this is a vendor.
    pub fn vendor(&self) -> Option<&VendorDetails> {
        match &self.details {
            ContactDetails::Vendor(vendor) => Some(vendor),
            _ => None,
        }
    }

    /// The driver details, if this is a driver.
    pub fn driver(&self) -> Option<&DriverDetails> {
        match &self.details {
            ContactDetails::Driver(driver) => Some(driver),
            _ => None,
        }
    }
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: ContactId,
    /// The phone in E.164, or `null` when what was entered is not a valid number.
    pub phone_e164: Option<String>,
    /// The extension written with the phone ("x12" → "12"), keyed in once the call connects.
    pub phone_extension: Option<String>,
    pub fields: ContactFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_details_stored_with_the_request_facts_still_read() {
        let stored = r#"{"kind": "vendor", "email": "sales@acme.test", "location": "Joliet IL",
            "item": "M8 bolts", "quantity": 10000, "targetPrice": 0.42, "notes": null}"#;
        let details: ContactDetails = serde_json::from_str(stored).unwrap();
        let expected =
            VendorDetails { email: Some("sales@acme.test".into()), location: Some("Joliet IL".into()), notes: None };
        assert_eq!(details, ContactDetails::Vendor(expected));
    }
}
