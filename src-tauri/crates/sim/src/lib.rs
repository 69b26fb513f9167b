//! The built-in simulated carrier: rings, answers and plays a realistic conversation between the
//! agent and a seeded callee persona, in real time (or faster, with a time scale). It is a
//! `CallBackend` like every provider, and the default, so the app works with no accounts.
//! Its personas, scripts and recordings are public so the provider fakes (`switchboard-fakes`,
//! a dev-dependency only) play the same callees.

mod backend;
pub mod conversation;
mod live_voice;
pub mod persona;
pub mod rehearsal;
pub mod voice;

pub use backend::{SimSettings, Simulator, TURN_GAP, script, speaking_time};
pub use persona::Cast;
