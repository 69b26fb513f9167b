//! Domain types and pure logic of Switchboard: no IO, no wire formats, no framework types.

pub mod agent;
pub mod call;
pub mod campaign;
pub mod contact;
pub mod history;
pub mod ids;
pub mod offer;
pub mod phone;
pub mod template;
pub mod transcript;
pub mod violations;
pub mod window;

pub use agent::{
    Agent, AgentConfig, AgentPurpose, BackendKind, BackendSettings, CallingWindow, DataField, ElevenLabsSettings,
    Example, FieldError, FieldType, GatherSettings, PipelineSettings, UltravoxSettings, VapiSettings, VoicemailPolicy,
};
pub use call::{CallState, CallSummary, Transition};
pub use campaign::{
    NegotiationPlan, NegotiationTarget, QuoteSummary, RankedOffer, RoundPrice, RoundQuote, plan_negotiation,
    summarize_quotes,
};
pub use contact::{
    Contact, ContactDetails, ContactFields, ContactKind, DriverDetails, PersonDetails, Severity, TripData,
    VendorDetails, Violation,
};
pub use history::{AudioPacing, CallCost, CallFilter, PastCall, RecordingInfo, TurnLatency, summarize_past_calls};
pub use ids::{AgentId, CallId, ContactId, UnixMillis};
pub use offer::Offer;
pub use phone::{PhoneError, normalize_phone};
pub use template::{MissingVariables, Variables, render};
pub use transcript::{Speaker, TranscriptLine};
pub use violations::violation_context;
pub use window::{WindowError, next_opening, zone_of};
