//! Text rehearsals: the speech-gather agent's own turn — its session (the prompt rendered with
//! the contact's variables, the fields still to collect), the model's turn with its tools, and
//! the same steps after words, silence and each turn — played in text against a scenario's
//! callee, with no call placed and nothing stored but the judged run.

use std::sync::Arc;

use switchboard_core::{AgentConfig, RehearsalMode, Rehearsed, Scenario, Speaker};
use switchboard_engine::BoxFuture;
use switchboard_engine::rehearsal::{
    AgentReply, AgentSide, CalleeFactory, RehearsalCall, RehearsalError, Rehearser, converse,
};
use switchboard_providers::anthropic::AnthropicClient;

use super::agent_turn::agent_turn;
use super::calls::GatherSettings;
use super::session::Session;
use super::steps::{Reprompt, Step};
use crate::ProviderClients;

/// Rehearses agents in text, their turns played by the Anthropic client in force.
#[derive(Clone)]
pub struct TextRehearser {
    clients: ProviderClients,
    callees: CalleeFactory,
    settings: Arc<GatherSettings>,
}

impl TextRehearser {
    /// Text rehearsals whose agents' turns use the clients' Anthropic key, against the callees
    /// `callees` makes.
    pub fn new(clients: ProviderClients, callees: CalleeFactory, settings: GatherSettings) -> Self {
        Self { clients, callees, settings: Arc::new(settings) }
    }

    fn client(&self) -> Result<AnthropicClient, RehearsalError> {
        self.clients.current().anthropic.clone().ok_or_else(|| {
            RehearsalError::Unavailable("text rehearsals need an Anthropic API key (Settings → Keys)".into())
        })
    }
}

impl Rehearser for TextRehearser {
    fn mode(&self) -> RehearsalMode {
        RehearsalMode::Text
    }

    fn available(&self, _agent: &AgentConfig) -> Result<(), RehearsalError> {
        self.client().map(drop)
    }

    fn rehearse(
        &self,
        call: RehearsalCall,
        scenario: Scenario,
        _run: u32,
    ) -> BoxFuture<'static, Result<Rehearsed, RehearsalError>> {
        let (client, callees, settings) = (self.client(), Arc::clone(&self.callees), Arc::clone(&self.settings));
        Box::pin(async move {
            let config = &call.agent.config;
            let session = Session::for_agent(config, &call.system_prompt, &call.first_message, &call.variables);
            let mut agent = ModelAgent { session, client: client?, settings };
            let mut callee = callees(&scenario, &call);
            Ok(converse(&call, &mut agent, callee.as_mut()).await)
        })
    }
}

/// The agent's side: a gather session played turn by turn.
struct ModelAgent {
    session: Session,
    client: AnthropicClient,
    settings: Arc<GatherSettings>,
}

impl ModelAgent {
    async fn answer(&mut self, heard: Option<&str>) -> Result<AgentReply, RehearsalError> {
        let step = match heard {
            None => Step::Ask(self.session.opening.clone()),
            Some(words) if words.trim().is_empty() => {
                match self.session.after_silence(self.settings.no_input_prompts) {
                    Reprompt::Again(again) => Step::Ask(again),
                    Reprompt::End(ending) => Step::End(ending),
                }
            }
            Some(words) => {
                self.session.no_input = 0;
                let said = self.session.push_turn(Speaker::Callee, words);
                match self.session.after_words(&said) {
                    Some(ending) => Step::End(ending),
                    None => {
                        let asked =
                            agent_turn(&self.client, &self.settings.model, self.settings.max_tokens, &self.session);
                        match asked.await {
                            Ok(turn) => {
                                let (fields, step) = self.session.act(turn);
                                return Ok(self.reply(step, fields));
                            }
                            Err(error) => {
                                return Err(RehearsalError::Failed(format!("the language model failed: {error}")));
                            }
                        }
                    }
                }
            }
        };
        Ok(self.reply(step, Vec::new()))
    }

    /// The step as said and done, kept in the session.
    fn reply(&mut self, step: Step, fields: Vec<(String, String)>) -> AgentReply {
        let (text, end, transfer) = match step {
            Step::Ask(text) => (text, None, None),
            Step::End(ending) => (ending.text, Some(ending.reason), None),
            Step::Transfer { text, number, reason } => (text, None, Some(format!("transferred to {number}: {reason}"))),
        };
        self.session.push_turn(Speaker::Agent, &text);
        AgentReply { text, fields, end, transfer }
    }
}

impl AgentSide for ModelAgent {
    fn turn<'a>(&'a mut self, heard: Option<&'a str>) -> BoxFuture<'a, Result<AgentReply, RehearsalError>> {
        Box::pin(self.answer(heard))
    }
}
