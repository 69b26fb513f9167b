//! The session of one speech-gather call: what the agent says and how (voice, language, its
//! rendered prompt with the contact's past calls), the turns so far, the fields still to collect
//! and the no-input count. Kept as JSON in the store and rewritten at every turn, so the next
//! request from Twilio finds it even after a restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use switchboard_core::{AgentConfig, CallId, CallUsage, DataField, Speaker, UnixMillis, Variables, render};
use switchboard_store::Store;

use switchboard_engine::blocking;
use switchboard_engine::{CallRequest, EngineError, now};

/// Why a request was not answered with TwiML.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GatherRefusal {
    /// The URL names a call that is not a gather call, or no call (the voice URL then falls back).
    #[error("no gather call {0:?}")]
    NotGather(Option<CallId>),
    /// The request's Call SID is not the call's.
    #[error("call {call} belongs to another Call SID than {call_sid}")]
    WrongCall { call: CallId, call_sid: String },
    /// Another request for the call wrote its turn first (Twilio sent one twice at once).
    #[error("the session of call {call} moved on under this request (version {version} was taken)")]
    Superseded { call: CallId, version: u32 },
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// One utterance of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Turn {
    pub(crate) speaker: Speaker,
    pub(crate) text: String,
    /// Since the call was answered.
    pub(crate) offset_ms: u32,
}

/// A gather call's conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Session {
    /// The `<Say>` voice and the `<Gather>`/`<Say>` language.
    pub(crate) voice: String,
    pub(crate) language: String,
    /// The agent's rendered system prompt (the contact's past calls included).
    pub(crate) system_prompt: String,
    /// The greeting and first message, said when the call is answered.
    pub(crate) opening: String,
    /// Where `transfer_call` sends the callee (E.164), when the agent has a transfer number.
    pub(crate) transfer_to: Option<String>,
    /// The agent's data fields, required ones first.
    pub(crate) fields: Vec<DataField>,
    pub(crate) collected: BTreeMap<String, String>,
    pub(crate) turns: Vec<Turn>,
    /// Gathers in a row that heard nothing.
    pub(crate) no_input: u32,
    /// Times in a row the language model did not answer the callee's last turn in time.
    pub(crate) llm_waits: u32,
    pub(crate) max_duration_secs: u32,
    pub(crate) answered_at: Option<UnixMillis>,
    /// Why the call ended, once the engine has ended it.
    pub(crate) ended: Option<String>,
    /// Lines the dispatcher had the agent say, waiting for its next `<Say>`.
    #[serde(default)]
    pub(crate) dispatcher_lines: Vec<String>,
    /// What the call used since its last report to the call's task (the model's tokens, the
    /// characters `<Say>` spoke).
    #[serde(default)]
    pub(crate) unreported_usage: CallUsage,
}

impl Session {
    /// A new session for the call in `request`.
    pub(crate) fn new(request: &CallRequest) -> Self {
        Self::for_agent(&request.agent.config, &request.system_prompt, &request.first_message, &request.variables)
    }

    /// A new session of the agent configured as `config`, with its texts rendered for the call
    /// (`system_prompt`, `first_message`) and the call's `variables`.
    pub(crate) fn for_agent(
        config: &AgentConfig,
        system_prompt: &str,
        first_message: &str,
        variables: &Variables,
    ) -> Self {
        let opening = [config.greeting.trim(), first_message.trim()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let opening = render(&opening, variables).unwrap_or(opening);
        let transfer_to = render(config.transfer_to.trim(), variables)
            .ok()
            .map(|number| number.trim().to_owned())
            .filter(|number| !number.is_empty());
        let mut fields = config.data_fields.clone();
        fields.sort_by_key(|field| !field.required);
        Self {
            voice: config.backend_settings.gather.voice.clone(),
            language: config.backend_settings.gather.language.clone(),
            system_prompt: system_prompt.to_owned(),
            opening,
            transfer_to,
            fields,
            collected: BTreeMap::new(),
            turns: Vec::new(),
            no_input: 0,
            llm_waits: 0,
            max_duration_secs: config.max_duration_secs,
            answered_at: None,
            ended: None,
            dispatcher_lines: Vec::new(),
            unreported_usage: CallUsage::default(),
        }
    }

    /// The agent's next words: the dispatcher's waiting lines first, then `text`.
    pub(crate) fn next_words(&mut self, text: &str) -> String {
        let mut words = std::mem::take(&mut self.dispatcher_lines);
        words.push(text.to_owned());
        words.join(" ")
    }

    /// The fields not yet collected, required ones first.
    pub(crate) fn still_to_collect(&self) -> impl Iterator<Item = &DataField> {
        self.fields.iter().filter(|field| !self.collected.contains_key(&field.key))
    }

    /// Whether every required field is in.
    pub(crate) fn required_collected(&self) -> bool {
        self.still_to_collect().all(|field| !field.required)
    }

    /// Adds an utterance, timed from the answer (the agent's is spoken by `<Say>`); returns it.
    pub(crate) fn push_turn(&mut self, speaker: Speaker, text: &str) -> Turn {
        if speaker == Speaker::Agent {
            self.unreported_usage.say_chars += text.chars().count() as u64;
        }
        let answered = *self.answered_at.get_or_insert_with(now);
        let offset_ms = u32::try_from(now().0.saturating_sub(answered.0)).unwrap_or(u32::MAX);
        let turn = Turn { speaker, text: text.to_owned(), offset_ms };
        self.turns.push(turn.clone());
        turn
    }

    /// The agent's last utterance.
    pub(crate) fn last_agent_line(&self) -> Option<&str> {
        self.turns.iter().rev().find(|turn| turn.speaker == Speaker::Agent).map(|turn| turn.text.as_str())
    }

    /// Whether the callee spoke last and the agent has not answered yet.
    pub(crate) fn callee_awaits_reply(&self) -> bool {
        self.turns.last().is_some_and(|turn| turn.speaker == Speaker::Callee)
    }
}

/// A session as stored: the version it was read at and the Call SID it is bound to.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) call_id: CallId,
    pub(crate) call_sid: Option<String>,
    pub(crate) version: u32,
    pub(crate) session: Session,
}

impl Stored {
    /// Reads the session of `call`, if it is a gather call.
    pub(crate) async fn load(store: &Arc<Store>, call: CallId) -> Result<Option<Self>, EngineError> {
        let store = Arc::clone(store);
        let Some(row) = blocking(move || store.gather_session(call)).await? else {
            return Ok(None);
        };
        let session = serde_json::from_str(&row.state).map_err(|error| {
            switchboard_store::StoreError::Corrupt(format!("the gather session of call {call} is unreadable: {error}"))
        })?;
        Ok(Some(Self { call_id: call, call_sid: row.call_sid, version: row.version, session }))
    }

    /// Writes the first version of a new call's session.
    pub(crate) async fn create(store: &Arc<Store>, call: CallId, session: Session) -> Result<Self, GatherRefusal> {
        let stored = Self { call_id: call, call_sid: None, version: 0, session };
        stored.write(store).await?;
        Ok(stored)
    }

    /// Writes this session as the next version. Fails when another request wrote one meanwhile
    /// (Twilio retried a request while the first still ran): that request's turn stands.
    pub(crate) async fn save(&mut self, store: &Arc<Store>) -> Result<(), GatherRefusal> {
        self.version += 1;
        self.write(store).await
    }

    async fn write(&self, store: &Arc<Store>) -> Result<(), GatherRefusal> {
        let state = serde_json::to_string(&self.session).map_err(|error| {
            EngineError::from(switchboard_store::StoreError::Corrupt(format!(
                "the gather session cannot be written: {error}"
            )))
        })?;
        let (store, call, sid, version) = (Arc::clone(store), self.call_id, self.call_sid.clone(), self.version);
        let written = blocking(move || store.save_gather_session(call, sid.as_deref(), version, &state, now())).await?;
        if written { Ok(()) } else { Err(GatherRefusal::Superseded { call, version }) }
    }
}
