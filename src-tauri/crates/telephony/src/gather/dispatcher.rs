//! The dispatcher's hand on a speech-gather call: a note joins the agent's prompt, and a typed
//! line waits in the session to open the agent's next `<Say>` (kept with the agent's turn, so
//! the model knows it was said). Both are kept with the session, so the next request from
//! Twilio finds them, after a restart too.

use switchboard_core::CallId;

use super::calls::GatherCalls;
use super::session::{GatherRefusal, Session, Stored};

/// Writes a session change that may race Twilio's own requests: read again and retried when a
/// request saved a turn meanwhile.
const ATTEMPTS: usize = 5;

impl GatherCalls {
    /// Adds the dispatcher's `note` to the agent's prompt for the rest of the call.
    pub(super) async fn steer(&self, call: CallId, note: &str) -> Result<(), GatherRefusal> {
        let note = format!("\n\nA note from the dispatcher, to follow from now on: {note}");
        self.change(call, |session| session.system_prompt.push_str(&note)).await.map(drop)
    }

    /// Keeps `line` for the agent to say first in its next `<Say>`.
    pub(super) async fn say_next(&self, call: CallId, line: &str) -> Result<(), GatherRefusal> {
        self.change(call, |session| session.dispatcher_lines.push(line.to_owned())).await.map(drop)
    }

    /// Marks the session ended for `reason` (the call was handed to the dispatcher), so a late
    /// request from Twilio hangs up.
    pub(super) async fn ended(&self, call: CallId, reason: &str) -> Result<(), GatherRefusal> {
        self.change(call, |session| session.ended = Some(reason.to_owned())).await.map(drop)
    }

    async fn change(&self, call: CallId, change: impl Fn(&mut Session)) -> Result<Stored, GatherRefusal> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let mut stored = Stored::load(&self.store, call).await?.ok_or(GatherRefusal::NotGather(Some(call)))?;
            change(&mut stored.session);
            match stored.save(&self.store).await {
                Ok(()) => return Ok(stored),
                Err(superseded @ GatherRefusal::Superseded { .. }) => last = Some(superseded),
                Err(other) => return Err(other),
            }
        }
        Err(last.unwrap_or(GatherRefusal::NotGather(Some(call))))
    }
}
