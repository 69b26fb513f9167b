//! The call backends that place real calls (the hosted agents, and the engine's own pipeline
//! over Twilio): each places calls with its provider's client and learns how they
//! went from the provider's webhooks (through the listener) and its API. What they share: a
//! finished call's report applied through [`CallReports`](switchboard_engine::CallReports) ([`report`]), and
//! the reconciler for reports that never came ([`reconcile`]).

pub mod elevenlabs;
mod hosted;
pub mod pipeline;
mod placing;
pub(crate) mod reconcile;
pub(crate) mod report;
pub mod twilio;
pub mod ultravox;
pub mod vapi;
pub(crate) mod webhook;

pub use hosted::{HostedBackend, HostedProvider, Taken};
pub use placing::{CallPlacing, Placed, TWILIO_CALL_REF};
pub use reconcile::ReconcileSettings;
pub use report::FinishedCall;
pub use webhook::Webhook;
