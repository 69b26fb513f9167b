//! Switchboard's call engine: places calls through a `CallBackend`, drives each call's lifecycle
//! into the store, and publishes every change on the event bus.

mod action_call;
mod agent_tools;
mod agents;
mod audio_brake;
mod backend;
pub mod backends;
mod bus;
mod call_reports;
mod call_task;
pub mod campaigns;
mod clock;
pub mod contacts;
mod dispatcher;
mod error;
pub mod gather;
mod goodbye;
pub mod history;
pub mod live_audio;
mod live_calls;
pub mod pipeline;
mod provider_clients;
pub mod sample;
pub mod server;
pub mod settings;
mod store_writes;
pub mod tables;
mod variables;

pub use action_call::ActionCall;
pub use audio_brake::{AUDIO_BRAKE_HOLD, AudioBrake};
pub use backend::{
    BackendError, BackendEvent, BoxFuture, CANNOT_HANG_UP, CallBackend, CallRequest, ENDED_BY_DISPATCHER,
};
pub use bus::{EngineEvent, EventBus};
pub use call_reports::CallReports;
pub use clock::now;
pub use dispatcher::{CLOSED_WHILE_LIVE, CallPlan, CallSlot, Engine, EngineSettings};
pub use error::{EngineError, ErrorCode};
pub use live_audio::LiveAudio;
pub use live_calls::LiveCalls;
pub use provider_clients::{ProviderClients, ProviderSet};
pub use store_writes::StoreWrites;
