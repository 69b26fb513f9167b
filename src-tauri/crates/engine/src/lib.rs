//! Switchboard's call engine: places calls through a `CallBackend`, drives each call's lifecycle
//! into the store, and publishes every change on the event bus.

mod backend;
mod bus;
mod call_task;
mod clock;
mod dispatcher;
mod error;
pub mod sample;
mod variables;

pub use backend::{BackendError, BackendEvent, BoxFuture, CallBackend, CallRequest};
pub use bus::{EngineEvent, EventBus};
pub use clock::now;
pub use dispatcher::{Engine, EngineSettings};
pub use error::{EngineError, ErrorCode};
