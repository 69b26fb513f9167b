//! One request's worth of conversation: the opening when the call is answered; then for each
//! gather, the callee's words (or silence, counted and re-prompted once before a polite end, a
//! goodbye answered with a short closing, or words past the max duration, wrapped up) and the
//! agent's reply from the model, with its fields, an end or a transfer. The session is saved
//! before the transcript lines, fields and end go to the call's task, and the TwiML goes back
//! last.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::{CallState, CallUsage, Speaker};
use switchboard_providers::twilio::{GatherResult, Twiml};

use super::agent_turn::{AgentTurn, agent_turn};
use super::calls::GatherCalls;
use super::session::GatherRefusal;
use super::session::Stored;
use super::steps::{Ending, Reprompt, Step};
use super::twiml;
use switchboard_engine::blocking;
use switchboard_engine::{BackendEvent, EngineError, now};

const HOLD_ON: &str = "One moment, please.";

impl GatherCalls {
    /// The call was answered: the agent opens (once; a repeated request hears it again).
    pub(super) async fn answered(&self, stored: &mut Stored) -> Result<Twiml, GatherRefusal> {
        if stored.session.ended.is_some() {
            return Ok(twiml::hang_up());
        }
        if stored.session.callee_awaits_reply() {
            return self.reply(stored).await;
        }
        let action = self.gather_url(stored);
        if let Some(last) = stored.session.last_agent_line() {
            return Ok(twiml::ask(&stored.session, last, action));
        }
        let opening = stored.session.opening.clone();
        let line = stored.session.push_turn(Speaker::Agent, &opening);
        self.save_and_deliver(stored, vec![BackendEvent::Answered, line_event(&line)]).await?;
        Ok(twiml::ask(&stored.session, &opening, action))
    }

    /// What a `<Gather>` heard (or a `<Redirect>` back after the callee was asked to hold on).
    pub(super) async fn heard(&self, stored: &mut Stored, result: &GatherResult) -> Result<Twiml, GatherRefusal> {
        if stored.session.ended.is_some() {
            return Ok(twiml::hang_up());
        }
        if stored.session.turns.is_empty() {
            return self.answered(stored).await;
        }
        // The <Gather> listens for speech only, so a result is words or nothing.
        let words = match result.speech_result.as_deref().map(str::trim).filter(|speech| !speech.is_empty()) {
            Some(speech) => speech.to_owned(),
            None if stored.session.callee_awaits_reply() => return self.reply(stored).await,
            None => return self.silence(stored).await,
        };
        if stored.session.callee_awaits_reply() && stored.session.turns.last().is_some_and(|turn| turn.text == words) {
            // The same result again while its reply is being made (Twilio sent it twice): one
            // turn, and whichever request saves its reply first answers.
            return self.reply(stored).await;
        }
        stored.session.no_input = 0;
        let said = stored.session.push_turn(Speaker::Callee, &words);
        if let Some(ending) = stored.session.after_words(&said) {
            return self.end(stored, vec![line_event(&said)], ending).await;
        }
        self.save_and_deliver(stored, vec![line_event(&said)]).await?;
        self.reply(stored).await
    }

    /// A gather that heard nothing: re-prompt, or after enough of them end politely.
    async fn silence(&self, stored: &mut Stored) -> Result<Twiml, GatherRefusal> {
        match stored.session.after_silence(self.settings.no_input_prompts) {
            Reprompt::End(ending) => self.end(stored, Vec::new(), ending).await,
            Reprompt::Again(again) => self.ask(stored, Vec::new(), &again).await,
        }
    }

    /// The agent answers the callee's last turn, the model's wait bounded.
    async fn reply(&self, stored: &mut Stored) -> Result<Twiml, GatherRefusal> {
        let wait = self.settings.reply_wait;
        // The key in force now: a key saved mid-call serves the call's next turn.
        let Some(llm) = self.clients.current().anthropic.clone() else {
            let reason = "no Anthropic API key is set for the agent's replies";
            return self.end(stored, Vec::new(), Ending::failed(reason)).await;
        };
        let asked = agent_turn(&llm, &self.settings.model, self.settings.max_tokens, &stored.session);
        let turn = match tokio::time::timeout(wait, asked).await {
            Ok(Ok(turn)) => turn,
            Ok(Err(error)) => {
                tracing::warn!(call = %stored.call_id, %error, "the agent's reply failed");
                let reason = format!("the language model failed: {error}");
                return self.end(stored, Vec::new(), Ending::failed(reason)).await;
            }
            Err(_) => return self.hold_on(stored, wait).await,
        };
        stored.session.llm_waits = 0;
        stored.session.unreported_usage.add(&turn.usage);
        self.act(stored, turn).await
    }

    /// The model is slow: the callee holds on once and Twilio comes back for the reply; a
    /// second wait ends the call.
    async fn hold_on(&self, stored: &mut Stored, wait: Duration) -> Result<Twiml, GatherRefusal> {
        stored.session.llm_waits += 1;
        if stored.session.llm_waits > 1 {
            let reason = format!("the language model did not answer within {} s, twice", wait.as_secs_f32());
            return self.end(stored, Vec::new(), Ending::failed(reason)).await;
        }
        tracing::info!(call = %stored.call_id, "the agent's reply is late; the callee is asked to hold on");
        stored.save(&self.store).await?;
        Ok(twiml::hold(&stored.session, HOLD_ON, self.gather_url(stored)))
    }

    /// Applies the model's turn: fields recorded, then a transfer, an end, or the next question.
    async fn act(&self, stored: &mut Stored, turn: AgentTurn) -> Result<Twiml, GatherRefusal> {
        let (fields, step) = stored.session.act(turn);
        let events = fields.into_iter().map(|(key, value)| BackendEvent::Field { key, value }).collect();
        match step {
            Step::Transfer { text, number, reason } => {
                let mut events: Vec<BackendEvent> = events;
                let line = stored.session.push_turn(Speaker::Agent, &text);
                events.push(line_event(&line));
                let reason = format!("transferred to {number}: {reason}");
                self.finish(stored, events, CallState::Completed, &reason).await?;
                Ok(twiml::transfer(&stored.session, &text, &number))
            }
            Step::End(ending) => self.end(stored, events, ending).await,
            Step::Ask(text) => self.ask(stored, events, &text).await,
        }
    }

    /// Says `text` (after the dispatcher's waiting lines) and listens.
    async fn ask(
        &self,
        stored: &mut Stored,
        mut events: Vec<BackendEvent>,
        text: &str,
    ) -> Result<Twiml, GatherRefusal> {
        let text = stored.session.next_words(text);
        let line = stored.session.push_turn(Speaker::Agent, &text);
        events.push(line_event(&line));
        self.save_and_deliver(stored, events).await?;
        Ok(twiml::ask(&stored.session, &text, self.gather_url(stored)))
    }

    /// Says the ending's words and hangs up, ending the call as it says.
    async fn end(
        &self,
        stored: &mut Stored,
        mut events: Vec<BackendEvent>,
        ending: Ending,
    ) -> Result<Twiml, GatherRefusal> {
        let line = stored.session.push_turn(Speaker::Agent, &ending.text);
        events.push(line_event(&line));
        self.finish(stored, events, ending.state, &ending.reason).await?;
        Ok(twiml::close(&stored.session, &ending.text))
    }

    /// Marks the session ended, saves it, and sends `events` and the end to the call.
    async fn finish(
        &self,
        stored: &mut Stored,
        mut events: Vec<BackendEvent>,
        state: CallState,
        reason: &str,
    ) -> Result<(), GatherRefusal> {
        stored.session.ended = Some(reason.to_owned());
        events.push(BackendEvent::Ended { state, reason: reason.to_owned() });
        self.save_and_deliver(stored, events).await
    }

    /// Saves the session, then sends `events` to the call's task with what the call used since
    /// the last report (before its end, when `events` end it): what is saved is what is sent.
    async fn save_and_deliver(&self, stored: &mut Stored, mut events: Vec<BackendEvent>) -> Result<(), GatherRefusal> {
        let usage = std::mem::take(&mut stored.session.unreported_usage);
        if usage != CallUsage::default() {
            let at =
                events.iter().position(|event| matches!(event, BackendEvent::Ended { .. })).unwrap_or(events.len());
            events.insert(at, BackendEvent::Usage(usage));
        }
        stored.save(&self.store).await?;
        self.deliver(stored, events).await;
        Ok(())
    }

    /// Sends `events` to the call's task, starting one again when the app restarted since the
    /// call began. The session is saved already, so a failure here is logged, not answered.
    async fn deliver(&self, stored: &Stored, events: Vec<BackendEvent>) {
        if let Err(error) = self.try_deliver(stored, events).await {
            tracing::error!(call = %stored.call_id, %error, "could not record the gather call's events");
        }
    }

    async fn try_deliver(&self, stored: &Stored, events: Vec<BackendEvent>) -> Result<(), EngineError> {
        let (store, id) = (Arc::clone(&self.store), stored.call_id);
        let Some(call) = blocking(move || store.call(id)).await? else {
            return Ok(());
        };
        let max = Duration::from_secs(u64::from(stored.session.max_duration_secs));
        let elapsed = Duration::from_millis(u64::try_from(now().0.saturating_sub(call.created_at.0)).unwrap_or(0));
        let deadline = (max + self.settings.lost_call_grace).saturating_sub(elapsed);
        let events = match self.reports.listen_again(&call, deadline).await? {
            Some(stored_lines) => catch_up(stored, stored_lines, events),
            None => events,
        };
        self.reports.deliver(&call, events).await
    }

    fn gather_url(&self, stored: &Stored) -> String {
        twiml::gather_url(&self.clients.current().public_base_url, stored.call_id)
    }
}

/// The events for a call picked up after a restart: the task that died may not have applied
/// every line and field it was sent, so every turn after the `stored_lines` in the store and
/// every collected field (recorded again, unchanged) go with this request's own events.
fn catch_up(stored: &Stored, stored_lines: u32, events: Vec<BackendEvent>) -> Vec<BackendEvent> {
    let session = &stored.session;
    let (end, others): (Vec<BackendEvent>, Vec<BackendEvent>) = events
        .into_iter()
        .filter(|event| !matches!(event, BackendEvent::Line { .. } | BackendEvent::Field { .. }))
        .partition(|event| matches!(event, BackendEvent::Ended { .. }));
    let answered = session.answered_at.map(|_| BackendEvent::Answered);
    let lines = session.turns.iter().skip(stored_lines as usize).map(line_event);
    let fields =
        session.collected.iter().map(|(key, value)| BackendEvent::Field { key: key.clone(), value: value.clone() });
    answered
        .into_iter()
        .chain(others.into_iter().filter(|event| *event != BackendEvent::Answered))
        .chain(lines)
        .chain(fields)
        .chain(end)
        .collect()
}

fn line_event(turn: &super::session::Turn) -> BackendEvent {
    BackendEvent::Line { speaker: turn.speaker, text: turn.text.clone(), offset_ms: turn.offset_ms }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{CallId, CallState, Speaker, UnixMillis};

    use super::catch_up;
    use crate::gather::session::{Session, Stored, Turn};
    use switchboard_engine::BackendEvent;

    #[test]
    fn a_call_picked_up_again_gets_the_turns_its_task_had_not_stored() {
        let turn = |speaker, text: &str| Turn { speaker, text: text.into(), offset_ms: 0 };
        let session = Session {
            voice: "Polly.Joanna".into(),
            language: "en-US".into(),
            system_prompt: String::new(),
            opening: "Hi".into(),
            transfer_to: None,
            fields: Vec::new(),
            collected: [("unit_price".to_owned(), "$4".to_owned())].into(),
            turns: vec![
                turn(Speaker::Agent, "Hi"),
                turn(Speaker::Callee, "Hello"),
                turn(Speaker::Agent, "Your price?"),
                turn(Speaker::Callee, "$4"),
                turn(Speaker::Agent, "Bye"),
            ],
            no_input: 0,
            llm_waits: 0,
            max_duration_secs: 300,
            answered_at: Some(UnixMillis(1)),
            ended: Some("done".into()),
            dispatcher_lines: Vec::new(),
            unreported_usage: Default::default(),
        };
        let stored = Stored { call_id: CallId(1), call_sid: None, version: 3, session };
        let line = |speaker, text: &str| BackendEvent::Line { speaker, text: text.into(), offset_ms: 0 };
        let ended = BackendEvent::Ended { state: CallState::Completed, reason: "done".into() };
        let this_request = vec![
            BackendEvent::Field { key: "unit_price".into(), value: "$4".into() },
            line(Speaker::Agent, "Bye"),
            ended.clone(),
        ];
        assert_eq!(
            catch_up(&stored, 2, this_request),
            vec![
                BackendEvent::Answered,
                line(Speaker::Agent, "Your price?"),
                line(Speaker::Callee, "$4"),
                line(Speaker::Agent, "Bye"),
                BackendEvent::Field { key: "unit_price".into(), value: "$4".into() },
                ended,
            ]
        );
    }
}
