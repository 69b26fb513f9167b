//! Rehearsing hosted agents through their providers' own test and chat APIs (the `provider`
//! mode): an ElevenLabs agent in an ElevenLabs simulation test, a Vapi assistant over Vapi's
//! Chat API (the scenario's callee talking with it turn by turn); each scenario translated to
//! the provider's form and the result read back as a rehearsed call, judged like any other. A
//! backend with no such API says why.

mod elevenlabs;
mod tool_calls;
mod vapi;

use std::time::Duration;

use switchboard_core::{AgentConfig, BackendKind, RehearsalMode, Rehearsed, Scenario};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{CalleeFactory, RehearsalCall, RehearsalError, Rehearser, converse};

use crate::ProviderClients;

/// Why an Ultravox agent cannot be rehearsed at its provider.
pub const ULTRAVOX_HAS_NO_TEST_API: &str = "Ultravox offers no test or chat API for its agents \
    (its testing guide is still to come): rehearse this agent in text or audio mode, which run \
    Switchboard's own turn code with its prompt.";

/// Why an agent Switchboard runs itself has no provider rehearsal.
const RUNS_HERE: &str = "this agent runs on Switchboard's own turn code, not a hosted provider: \
    rehearse it in text or audio mode.";

/// How long to wait between polls of a provider's test run, and for it at most.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub every: Duration,
    pub give_up_after: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self { every: Duration::from_secs(2), give_up_after: Duration::from_secs(600) }
    }
}

/// The `provider` mode: each hosted agent rehearsed at its own provider, with the clients in
/// force when the run starts; where the chat is ours to drive (Vapi), the scenario's callee
/// comes from `callees`.
#[derive(Clone)]
pub struct ProviderRehearser {
    clients: ProviderClients,
    callees: CalleeFactory,
    polling: Polling,
}

impl ProviderRehearser {
    pub fn new(clients: ProviderClients, callees: CalleeFactory, polling: Polling) -> Self {
        Self { clients, callees, polling }
    }
}

impl Rehearser for ProviderRehearser {
    fn mode(&self) -> RehearsalMode {
        RehearsalMode::Provider
    }

    fn available(&self, agent: &AgentConfig) -> Result<(), RehearsalError> {
        let set = self.clients.current();
        let missing = |provider: &str| {
            RehearsalError::Unavailable(format!("no {provider} API key is set: add it in Settings to rehearse there."))
        };
        match agent.backend {
            BackendKind::ElevenLabs if set.elevenlabs.is_none() => Err(missing("ElevenLabs")),
            BackendKind::Vapi if set.vapi.is_none() => Err(missing("Vapi")),
            BackendKind::ElevenLabs | BackendKind::Vapi => Ok(()),
            BackendKind::Ultravox => Err(RehearsalError::Unavailable(ULTRAVOX_HAS_NO_TEST_API.into())),
            BackendKind::Simulator | BackendKind::Pipeline | BackendKind::Gather => {
                Err(RehearsalError::Unavailable(RUNS_HERE.into()))
            }
        }
    }

    fn rehearse(
        &self,
        call: RehearsalCall,
        scenario: Scenario,
        run: u32,
    ) -> BoxFuture<'static, Result<Rehearsed, RehearsalError>> {
        let this = self.clone();
        Box::pin(async move {
            this.available(&call.agent.config)?;
            let set = this.clients.current();
            match (call.agent.config.backend, &set.elevenlabs, &set.vapi) {
                (BackendKind::ElevenLabs, Some(client), _) => {
                    elevenlabs::rehearse(client, &call, &scenario, run, this.polling).await
                }
                (BackendKind::Vapi, _, Some(client)) => {
                    let mut agent = vapi::VapiAgent::new(client.clone(), &call);
                    let mut callee = (this.callees)(&scenario, &call);
                    Ok(converse(&call, &mut agent, callee.as_mut()).await)
                }
                _ => Err(RehearsalError::Unavailable(RUNS_HERE.into())),
            }
        })
    }
}
