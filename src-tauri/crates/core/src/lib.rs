//! Domain types and pure logic of Switchboard: no IO, no wire formats, no framework types.

pub mod agent;
pub mod call;
pub mod contact;
pub mod ids;
pub mod offer;
pub mod phone;
pub mod template;
pub mod transcript;

pub use agent::{Agent, AgentConfig, AgentPurpose, BackendKind, DataField, FieldType};
pub use call::{CallState, CallSummary, Transition};
pub use contact::{Contact, ContactKind, VendorDetails};
pub use ids::{AgentId, CallId, ContactId, UnixMillis};
pub use offer::Offer;
pub use phone::{PhoneError, normalize_phone};
pub use template::{MissingVariables, Variables, render};
pub use transcript::{Speaker, TranscriptLine};
