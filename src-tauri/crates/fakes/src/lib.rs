//! Loopback fakes of the providers, for tests, benches and trying things by hand (never a
//! normal dependency of the product): they speak the providers' documented wire shapes (signed
//! webhooks included) with the simulator's personas as callees, and inject the faults real
//! providers show: latency, rate limits, server errors, stalls, dropped sockets, error
//! messages, dropped, duplicated and reordered webhooks. The real provider clients are what
//! talk to them; the Twilio media stream fake plays Twilio's part against the real listener.
//! [`scripted`] and [`scripted_socket`] are the plain loopback servers answering from a test's
//! script, for asserting the exact requests a client sends.

pub mod anthropic;
mod callee;
pub mod campaign_checks;
pub mod chat_model;
pub mod control;
pub mod deepgram;
pub mod elevenlabs;
pub mod elevenlabs_tts;
pub mod every_fake;
mod faults;
pub mod fixtures;
pub mod quote_agent;
pub mod rehearsal_agent;
pub mod scripted;
pub mod scripted_socket;
mod serving;
pub mod team_announcement;
pub mod twilio;
pub mod twilio_gather;
pub mod twilio_media;
pub mod ultravox;
pub mod vapi;

pub use faults::WebhookDelivery;
