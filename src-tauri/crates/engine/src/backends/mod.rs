//! The hosted call backends: each places calls with its provider's client and learns how they
//! went from the provider's webhooks (through the listener) and its API.

pub mod elevenlabs;
mod overdue;
pub mod twilio;
pub mod ultravox;

pub use overdue::ReconcileSettings;
