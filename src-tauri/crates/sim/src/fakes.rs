//! Loopback fakes of the providers, speaking their documented wire shapes (signed webhooks
//! included) with the simulator's personas as callees, and injecting the faults real
//! providers show: latency, rate limits, server errors, stalls, dropped sockets, error
//! messages, dropped, duplicated and reordered webhooks. The real provider clients are what
//! talk to them; the Twilio media stream fake plays Twilio's part against the real listener.

pub mod anthropic;
mod callee;
pub mod deepgram;
pub mod elevenlabs;
pub mod elevenlabs_tts;
mod faults;
pub mod quote_agent;
mod serving;
pub mod twilio;
pub mod twilio_gather;
pub mod twilio_media;
pub mod ultravox;
pub mod vapi;

pub use faults::WebhookDelivery;
