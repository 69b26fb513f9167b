//! Domain types and pure logic of Switchboard: no IO, no wire formats, no framework types.

pub mod agent;
pub mod analytics;
pub mod call;
pub mod call_control;
pub mod campaign;
pub mod contact;
pub mod contact_check;
pub mod cost;
pub mod history;
pub mod ids;
pub mod landed;
pub mod offer;
pub mod phone;
mod quote_advice;
pub mod quote_request;
pub mod quote_terms;
mod ranked_offer;
pub mod rehearsal;
pub mod template;
pub mod time_zone;
pub mod transcript;
pub mod violations;
pub mod window;

pub use agent::{
    Agent, AgentConfig, AgentPurpose, BackendKind, BackendSettings, CallingWindow, DataField, ElevenLabsSettings,
    Example, FieldError, FieldType, GatherSettings, PipelineSettings, UltravoxSettings, VapiSettings, VoicemailPolicy,
};
pub use analytics::{
    Analytics, AnalyticsFilter, AnalyticsScope, BackendLatency, CallTally, Figures, GroupFigures, Tallies,
    nearest_rank, percentile_of_counts,
};
pub use call::{CallState, CallSummary, Transition};
pub use call_control::{ActionStatus, CallAction, ControlAction, ControlOffer, check_control_text};
pub use campaign::{
    NegotiationPlan, NegotiationTarget, QuoteSummary, RankedOffer, RoundPrice, RoundQuote, plan_negotiation,
    summarize_quotes,
};
pub use contact::{
    Contact, ContactDetails, ContactFields, ContactKind, DriverDetails, PersonDetails, Severity, TripData,
    VendorDetails, Violation,
};
pub use contact_check::{ContactCheck, check_contact, extension_warning};
pub use cost::{
    CallPrice, CallUsage, CostItem, CostRates, CostSettings, Pricing, PricingBasis, billed_minutes, estimate_usage,
    max_call_price, price_call,
};
pub use history::{
    AudioPacing, CallCost, CallFilter, HeardLatency, PastCall, RecordingInfo, TurnLatency, summarize_past_calls,
};
pub use ids::{AgentId, CallId, ContactId, UnixMillis};
pub use landed::{Decision, FlagKind, LandedCost, QuoteFlag, compare_landed, describe_landed, landed_cost};
pub use offer::Offer;
pub use phone::{Phone, PhoneError, normalize_phone, parse_phone};
pub use quote_request::{QuoteRequest, VendorFreight, freight_estimate_problem, money};
pub use quote_terms::{EarlyDiscount, Freight, PaymentTerms};
pub use rehearsal::{
    Behaviour, Callee, Check, Expectations, FieldExpectation, RehearsalEnding, RehearsalMode, RehearsalRun, Rehearsed,
    Scenario, ScenarioResult, Suite, asks_not_to_be_called, check_run,
};
pub use template::{MissingVariables, Variables, render};
pub use time_zone::{TimeZoneError, resolve_time_zone};
pub use transcript::{Speaker, TranscriptLine};
pub use violations::violation_context;
pub use window::{WindowError, next_opening, zone_of};
