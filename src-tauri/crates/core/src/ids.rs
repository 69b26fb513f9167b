//! Typed identifiers and timestamps shared by every layer.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub struct $name(#[cfg_attr(feature = "ts", ts(type = "number"))] pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// Row id of a call.
    CallId
);
id_type!(
    /// Row id of a contact (vendor or driver).
    ContactId
);
id_type!(
    /// Row id of an agent configuration.
    AgentId
);
id_type!(
    /// Milliseconds since the Unix epoch (UTC).
    UnixMillis
);
