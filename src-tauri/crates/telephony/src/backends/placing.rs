//! What the backends that place calls at a provider share: what they place with
//! ([`CallPlacing`]); a call's channel is filed in [`LiveCalls`] before the provider is asked to
//! place it (so the reconciler sees it is being placed here, and a webhook, which finds the call
//! only by the provider's ids recorded once it is taken, always finds its task); and errors
//! under the backend's name.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::CallId;
use switchboard_providers::ProviderError;
use switchboard_store::Store;
use tokio::sync::mpsc;

use super::ReconcileSettings;
use crate::{ProviderClients, ProviderSet};
use switchboard_engine::LiveCalls;
use switchboard_engine::blocking;
use switchboard_engine::{BackendError, BackendEvent};

/// The provider ref under which the Twilio call that carries a call is kept: the Twilio
/// dialer's own calls, and the call ElevenLabs placed from its imported Twilio number.
pub const TWILIO_CALL_REF: &str = "Twilio call SID";

/// What a backend places its calls at a provider with: the provider clients in force when each
/// call is placed, the store its provider ids go to, the live calls its channels are filed in
/// (which the listener's [`CallReports`](switchboard_engine::CallReports) must share), and how its reconciler
/// looks for reports that never came.
#[derive(Clone)]
pub struct CallPlacing {
    pub clients: ProviderClients,
    pub store: Arc<Store>,
    pub live: LiveCalls,
    pub reconcile: ReconcileSettings,
}

impl CallPlacing {
    /// Placing for good with the clients `hold` puts in a set where nothing else is configured.
    pub(crate) fn fixed(
        hold: impl FnOnce(&mut ProviderSet),
        store: Arc<Store>,
        live: LiveCalls,
        reconcile: ReconcileSettings,
    ) -> Self {
        Self { clients: ProviderClients::holding(hold), store, live, reconcile }
    }

    /// How long a call's task waits for its end after the call was placed: until the reconciler
    /// has given up on it and had one more look.
    pub(crate) fn report_delay(&self) -> Duration {
        self.reconcile.give_up + self.reconcile.every
    }
}

/// A call the provider has taken.
pub struct Placed {
    /// The id its webhooks name the call by.
    pub(crate) provider_call_id: String,
    /// Provider ids to keep with the call: (label, id).
    pub(crate) refs: Vec<(&'static str, String)>,
    /// Whether to report it ringing now (the provider says nothing sooner).
    pub(crate) ringing: bool,
}

/// Records the provider's ids of a call it has taken (its channel filed before it was placed).
pub(crate) async fn record_placed_call(
    backend: &'static str,
    store: &Arc<Store>,
    call: CallId,
    events: &mpsc::Sender<BackendEvent>,
    placed: Placed,
) -> Result<(), BackendError> {
    if placed.ringing {
        events.send(BackendEvent::Ringing).await.map_err(|_| refused(backend, "the call's task stopped listening"))?;
    }
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
