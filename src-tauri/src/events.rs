//! Forwards the engine's events to the console window as typed Tauri events.

use std::sync::Arc;

use switchboard_engine::{Engine, EngineEvent};
use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

/// The Tauri event carrying an `EngineEvent`.
pub const ENGINE_EVENT: &str = "engine-event";
/// Emitted when the console missed events and must re-read the store.
pub const RESYNC_EVENT: &str = "engine-resync";
/// Emitted with a `CommandError` when the team server ended this console's session (expired or
/// revoked): the window asks to sign in again.
pub const SESSION_ENDED_EVENT: &str = "team-session-ended";
/// Emitted with an `OfflineCopy` when the team server cannot be reached and History answers from
/// its offline copy, and with `null` when the server answers again.
pub const TEAM_OFFLINE_EVENT: &str = "team-offline";

/// Spawns the forwarding task, which ends when the engine's bus closes.
pub fn forward(app: AppHandle, engine: &Arc<Engine>) {
    let mut events = engine.bus().subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let sent = match events.recv().await {
                // Another node's events were lost on their way here: the same as falling behind.
                Ok(event) if *event == EngineEvent::EventsMissed => app.emit(RESYNC_EVENT, 0),
                Ok(event) => app.emit(ENGINE_EVENT, &*event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the console fell behind the engine; asking it to re-read");
                    app.emit(RESYNC_EVENT, missed)
                }
                Err(RecvError::Closed) => break,
            };
            if let Err(err) = sent {
                tracing::warn!(error = %err, "could not send an event to the console");
            }
        }
    });
}
