//! Twilio speech-gather calls: the engine holds the conversation. Twilio says the agent's words
//! with `<Say>` and listens with `<Gather input="speech">`; each result comes back to the
//! listener, goes to the language model with the session (the agent's rendered prompt with the
//! contact's past calls, the turns, the fields still to collect), and the reply goes back as
//! TwiML. The session is stored at every turn, so a restart mid-call loses nothing; transcript
//! lines, fields and the end reach the call through its task like any backend's events.

mod agent_turn;
mod backend;
mod calls;
mod dispatcher;
mod session;
mod steps;
mod text_rehearsal;
mod turn;
mod twiml;

/// Twilio asks this URL what to do when a call connects (answered with TwiML).
pub const TWILIO_VOICE_PATH: &str = "/twilio/voice";
/// Twilio posts what a speech-gather call's `<Gather>` heard here (answered with TwiML).
pub const TWILIO_GATHER_PATH: &str = "/twilio/gather";

pub use backend::GatherBackend;
pub(crate) use calls::GatherStep;
pub use calls::{GatherCalls, GatherSettings};
pub(crate) use session::GatherRefusal;
pub use text_rehearsal::TextRehearser;
