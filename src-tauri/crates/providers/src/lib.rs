//! Switchboard's provider clients: the only crate that knows provider HTTP and JSON shapes.
//!
//! One module per provider (`twilio`, `elevenlabs`, `ultravox`, `vapi`, and for the realtime
//! pipeline's streams `deepgram`, `anthropic` and `elevenlabs_tts`); each client takes its base
//! URL from configuration so tests point it at loopback fakes, and a `check_connection` (one cheap
//! authenticated request: a [`ConnectionCheck`]) for Settings' test button and `/health`. `signature` verifies the webhooks
//! providers send and signs the ones the fakes send. Credentials are [`Secret`]s and never reach
//! a message or a log line.

pub mod anthropic;
mod connection;
mod connection_check;
pub mod deepgram;
pub mod elevenlabs;
pub mod elevenlabs_tts;
mod error;
mod http;
mod masking;
mod payload;
mod secret;
pub mod signature;
pub mod twilio;
pub mod ultravox;
pub mod vapi;
mod variables;
mod websocket;

pub use connection::{ConnectionTarget, Credentials};
pub use connection_check::{CHECK_TIMEOUT, ConnectionCheck};
pub use error::{Provider, ProviderError};
pub use http::{HttpSettings, RetryPolicy};
pub use payload::PayloadError;
pub use secret::Secret;
pub use variables::{VariableValue, Variables};
