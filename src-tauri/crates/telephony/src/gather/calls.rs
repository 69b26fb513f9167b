//! The gather calls the listener answers for: finds a request's session (by the call id in its
//! URL, bound to the Call SID Twilio first asked with), and hands it to the turn logic.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{BackendKind, CallId};
use switchboard_providers::anthropic::AnthropicClient;
use switchboard_providers::twilio::{GatherResult, Twiml};
use switchboard_store::Store;

use super::session::{GatherRefusal, Stored};
use crate::ProviderClients;
use crate::backends::TWILIO_CALL_REF;
use switchboard_engine::blocking;
use switchboard_engine::{CallReports, EngineError};

/// How gather calls talk.
#[derive(Debug, Clone)]
pub struct GatherSettings {
    /// The Anthropic model that plays the agent.
    pub model: String,
    pub max_tokens: u32,
    /// How long a request waits for the model's reply before the callee is asked to hold on
    /// (Twilio gives up on a request after 15 s).
    pub reply_wait: Duration,
    /// Re-prompts after a gather that heard nothing, before the call is ended politely.
    pub no_input_prompts: u32,
    /// How long past its max duration a call picked up after a restart may stay silent before
    /// it is closed as lost.
    pub lost_call_grace: Duration,
}

impl Default for GatherSettings {
    fn default() -> Self {
        Self {
            model: "claude-sonnet-4-5".into(),
            max_tokens: 300,
            reply_wait: Duration::from_secs(8),
            no_input_prompts: 1,
            lost_call_grace: Duration::from_secs(60),
        }
    }
}

/// Which request Twilio made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GatherStep {
    /// The voice URL, when the call is answered.
    Answered,
    /// A `<Gather>` action (or a `<Redirect>` back after a wait).
    Heard,
}

/// The speech-gather calls: shared by the backend (which opens each call's session) and the
/// listener (which answers Twilio's requests for them).
#[derive(Clone)]
pub struct GatherCalls {
    pub(super) store: Arc<Store>,
    pub(super) reports: CallReports,
    /// The model (Anthropic's client) and the public URL, read at each turn.
    pub(super) clients: ProviderClients,
    pub(super) settings: Arc<GatherSettings>,
}

impl GatherCalls {
    /// Gather calls played by `llm`, Twilio reaching the listener at `public_base_url`, for
    /// good (see [`GatherCalls::with_clients`]).
    pub fn new(
        store: Arc<Store>,
        reports: CallReports,
        llm: AnthropicClient,
        public_base_url: &str,
        settings: GatherSettings,
    ) -> Self {
        let clients = ProviderClients::holding(|set| {
            set.anthropic = Some(llm);
            set.public_base_url = public_base_url.trim_end_matches('/').to_owned();
        });
        Self::with_clients(store, reports, clients, settings)
    }

    /// Gather calls kept in `store`, their events applied through `reports` (which must share
    /// the backend's and the listener's [`LiveCalls`](switchboard_engine::LiveCalls)), each turn played by
    /// the Anthropic client `clients` holds then and pointed at the public URL it holds then.
    pub fn with_clients(
        store: Arc<Store>,
        reports: CallReports,
        clients: ProviderClients,
        settings: GatherSettings,
    ) -> Self {
        Self { store, reports, clients, settings: Arc::new(settings) }
    }

    /// Whether a gather call can talk now: Anthropic's key is set.
    pub(crate) fn configured(&self) -> bool {
        self.clients.current().anthropic.is_some()
    }

    /// Answers Twilio's `step` request for the call named by `call` (from the URL) or else by
    /// the request's Call SID.
    pub(crate) async fn answer(
        &self,
        step: GatherStep,
        call: Option<CallId>,
        result: GatherResult,
    ) -> Result<Twiml, GatherRefusal> {
        let mut stored = self.session(call, &result.call_sid).await?;
        let (store, id) = (Arc::clone(&self.store), stored.call_id);
        let over = blocking(move || store.call(id)).await?.is_none_or(|call| call.state.is_terminal());
        if over {
            // Ended here, or by Twilio's callbacks (a machine answered, the line dropped).
            return Ok(super::twiml::hang_up());
        }
        let twiml = match step {
            GatherStep::Answered => self.answered(&mut stored).await?,
            GatherStep::Heard => self.heard(&mut stored, &result).await?,
        };
        Ok(twiml)
    }

    /// The session the request is for, bound to its Call SID on the first request.
    async fn session(&self, call: Option<CallId>, call_sid: &str) -> Result<Stored, GatherRefusal> {
        let id = match call {
            Some(id) => id,
            None => {
                // A bound session, else the gather call the dialer recorded the SID for.
                let (store, sid) = (Arc::clone(&self.store), call_sid.to_owned());
                let found = blocking(move || {
                    if let Some(id) = store.gather_call_by_sid(&sid)? {
                        return Ok::<_, EngineError>(Some(id));
                    }
                    let call = store.call_by_provider_id(&sid)?;
                    Ok(call.filter(|call| call.backend == BackendKind::Gather).map(|call| call.id))
                })
                .await?;
                found.ok_or(GatherRefusal::NotGather(None))?
            }
        };
        let mut stored = Stored::load(&self.store, id).await?.ok_or(GatherRefusal::NotGather(Some(id)))?;
        let wrong = || GatherRefusal::WrongCall { call: id, call_sid: call_sid.to_owned() };
        match &stored.call_sid {
            Some(bound) if bound != call_sid => return Err(wrong()),
            Some(_) => {}
            None => {
                // The SID the dialer recorded, when it already has, must be this one.
                let store = Arc::clone(&self.store);
                let mut facts = blocking(move || store.provider_facts(id)).await?;
                let recorded = facts.refs.remove(TWILIO_CALL_REF);
                if recorded.is_some_and(|recorded| recorded != call_sid) {
                    return Err(wrong());
                }
                stored.call_sid = Some(call_sid.to_owned());
            }
        }
        Ok(stored)
    }
}
