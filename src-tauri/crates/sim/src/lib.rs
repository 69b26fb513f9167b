//! The built-in simulated carrier: rings, answers and plays a realistic conversation between the
//! agent and a seeded callee persona, in real time (or faster, with a time scale). It is a
//! `CallBackend` like every provider, and the default, so the app works with no accounts.

mod backend;
mod conversation;
pub mod fakes;
pub mod fixtures;
mod live_voice;
mod persona;
pub mod pipeline_rig;
mod voice;

pub use backend::{SimSettings, Simulator};
pub use persona::Cast;
