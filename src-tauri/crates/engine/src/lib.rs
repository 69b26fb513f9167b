//! Switchboard's call engine: places calls through a `CallBackend`, drives each call's lifecycle
//! into the store, and publishes every change on the event bus; and the dispatcher's features
//! built on it: contacts, campaigns, history and the tables they export.

mod action_call;
mod agents;
pub mod analytics;
mod audio_brake;
mod backend;
mod blocking;
mod bus;
mod call_reports;
mod call_task;
pub mod campaigns;
mod clock;
pub mod contacts;
mod control;
pub mod costs;
mod engine;
mod error;
mod fence;
pub mod history;
pub mod listen_in;
mod live_calls;
pub mod nodes;
mod placed_calls;
pub mod rehearsal;
mod relay;
pub mod sample;
pub mod settings;
mod store_writes;
pub mod tables;
#[cfg(feature = "test-support")]
pub mod test_support;
pub mod variables;

pub use action_call::ActionCall;
pub use audio_brake::{AUDIO_BRAKE_HOLD, AudioBrake};
pub use backend::{
    BackendError, BackendEvent, BoxFuture, CANNOT_HANG_UP, CallBackend, CallCommand, CallRequest, ENDED_BY_DISPATCHER,
    MACHINE_HUNG_UP_ON, TAKEN_OVER, VOICEMAIL_LEFT, cannot,
};
pub use blocking::blocking;
pub use bus::{EngineEvent, EventBus};
pub use call_reports::CallReports;
pub use clock::{local_date, now};
pub use control::NO_DISPATCHER_PHONE;
pub use engine::{CLOSED_WHILE_LIVE, CallPlan, CallSlot, Engine, EngineSettings};
pub use error::{EngineError, ErrorCode};
pub use listen_in::LiveAudio;
pub use live_calls::LiveCalls;
pub use relay::RelayCounts;
pub use store_writes::StoreWrites;
