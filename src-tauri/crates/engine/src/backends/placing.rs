//! What the hosted backends share in placing a call: once the provider has taken it, the call's
//! channel is filed in [`LiveCalls`] (so reports can find its task) before the provider's ids
//! are recorded (so a webhook can only find the call once its channel is filed); and errors
//! under the backend's name.

use std::sync::Arc;

use switchboard_core::CallId;
use switchboard_providers::ProviderError;
use switchboard_store::Store;
use tokio::sync::mpsc;

use crate::dispatcher::blocking;
use crate::live_calls::LiveCalls;
use crate::{BackendError, BackendEvent};

/// A call the provider has taken.
pub(crate) struct Placed {
    /// The id its webhooks name the call by.
    pub(crate) provider_call_id: String,
    /// Provider ids to keep with the call: (label, id).
    pub(crate) refs: Vec<(&'static str, String)>,
    /// Whether to report it ringing now (the provider says nothing sooner).
    pub(crate) ringing: bool,
}

/// Files the placed call's channel in `live` and records its provider ids.
pub(crate) async fn file_placed_call(
    backend: &'static str,
    store: &Arc<Store>,
    live: &LiveCalls,
    call: CallId,
    events: mpsc::Sender<BackendEvent>,
    placed: Placed,
) -> Result<(), BackendError> {
    if placed.ringing {
        events.send(BackendEvent::Ringing).await.map_err(|_| refused(backend, "the call's task stopped listening"))?;
    }
    live.insert(call, events);
    let store = Arc::clone(store);
    let Placed { provider_call_id, refs, .. } = placed;
    blocking(move || {
        for (label, id) in &refs {
            store.set_provider_ref(call, label, id)?;
        }
        store.set_provider_call_id(call, &provider_call_id)
    })
    .await
    .map_err(|error| refused(backend, &format!("the provider's call id could not be recorded: {error}")))
}

/// The provider's error under the backend's name, which it then need not repeat.
pub(crate) fn provider_error(backend: &'static str, error: ProviderError) -> BackendError {
    let text = error.to_string();
    let message = text.strip_prefix(backend).map_or_else(|| text.clone(), |rest| rest.trim_start().to_owned());
    BackendError { backend: backend.to_owned(), message }
}

pub(crate) fn refused(backend: &'static str, message: &str) -> BackendError {
    BackendError { backend: backend.to_owned(), message: message.to_owned() }
}
