//! Contacts: the vendors and drivers a dispatcher calls.

use serde::{Deserialize, Serialize};

use crate::ContactId;

/// Which kind of contact this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum ContactKind {
    Vendor,
    Driver,
}

impl ContactKind {
    /// The stable text form stored in SQLite.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Driver => "driver",
        }
    }

    /// Parses the text form written by [`ContactKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "vendor" => Some(Self::Vendor),
            "driver" => Some(Self::Driver),
            _ => None,
        }
    }
}

/// What the dispatcher knows about a vendor before calling.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct VendorDetails {
    pub email: Option<String>,
    pub location: Option<String>,
    /// The item to quote.
    pub item: String,
    pub quantity: u32,
    /// The unit price the dispatcher hopes for.
    pub target_price: Option<f64>,
    pub notes: Option<String>,
}

/// A contact as entered. `phone` is kept as typed; it is normalised to E.164 when dialled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: ContactId,
    pub kind: ContactKind,
    pub name: String,
    pub phone: String,
    pub vendor: VendorDetails,
}
