//! The Twilio dialer's reconciler: a speech-gather call, or a pipeline call whose media stream
//! never came, learns its end only from Twilio's status callbacks; should they all be lost (the
//! listener was down, the tunnel broke, the app restarted), the call is fetched by its Call SID
//! once overdue (`GET …/Calls/{CallSid}.json`). An end Twilio reports is applied as its callback
//! would have been (an answering machine's verdict, whose callback was lost too, makes it
//! voicemail); a call Twilio does not know is lost; one still live past give-up is lost and hung
//! up. See [the shared reconciler](crate::backends::reconcile) for when. Ultravox calls are left
//! to Ultravox's own reconciler.

use switchboard_core::{BackendKind, CallCost, CallState};
use switchboard_providers::twilio::TwilioCall;
use tokio::task::JoinHandle;

use super::{TwilioDialer, session_ends_call, status_change};
use crate::backends::TWILIO_CALL_REF;
use crate::backends::reconcile::{self, Due, Fetched, Reconciled, Reconciler, known};
use crate::backends::report::FinishedCall;
use switchboard_engine::{BackendEvent, CallReports, EngineError};

impl TwilioDialer {
    /// Checks open speech-gather and pipeline calls every
    /// [`ReconcileSettings::every`](crate::backends::ReconcileSettings).
    pub fn spawn_reconciler(&self, reports: CallReports) -> JoinHandle<()> {
        reconcile::spawn_reconciler(self, reports)
    }

    /// One pass: ends every overdue call Twilio reports ended as its status callback would
    /// have, and closes the calls it never will. Returns how many calls were ended.
    pub async fn reconcile(&self, reports: &CallReports) -> Result<usize, EngineError> {
        reconcile::reconcile(self, reports).await
    }
}

impl Reconciler for TwilioDialer {
    /// Each call is fetched with the client it was placed with (see [`TwilioDialer::client_for`]).
    type Asking = ();

    const RECONCILED: Reconciled = Reconciled {
        provider: "Twilio",
        kinds: &[BackendKind::Gather, BackendKind::Pipeline],
        id_ref: TWILIO_CALL_REF,
        no_id: "the app stopped before Twilio's Call SID was recorded",
        never_ended: "Twilio never reported the end of the call",
    };

    fn settings(&self) -> &crate::backends::ReconcileSettings {
        &self.placing.reconcile
    }

    /// Without an account nothing can be asked: the calls wait for one, or for their deadline.
    fn asking(&self) -> Option<()> {
        self.placing.clients.current().twilio.as_ref().map(drop)
    }

    async fn fetch(&self, (): &(), Due { call, provider_id: sid, hopeless }: Due) -> Result<Fetched, EngineError> {
        let Some(client) = self.client_for(call.id) else {
            return Ok(Fetched::Running);
        };
        let twilio = match known(client.fetch_call(&sid).await, || format!("Twilio has no call {sid}")) {
            Ok(twilio) => twilio,
            Err(fetched) => return Ok(fetched),
        };
        let Some((state, reason)) = status_change(twilio.status, None).filter(|_| twilio.status.is_terminal()) else {
            if !hopeless {
                return Ok(Fetched::Running);
            }
            let stop = Box::pin(async move {
                if let Err(error) = client.hang_up(&sid).await {
                    tracing::warn!(call_sid = sid, %error, "a call given up on could not be hung up");
                }
            });
            let reason = "Twilio still had the call live long past its max duration; it was hung up".to_owned();
            return Ok(Fetched::Stuck { reason, stop });
        };
        if session_ends_call(&self.pipeline, &call, state) {
            return Ok(if hopeless {
                Fetched::Lost("Twilio ended the call, but its pipeline session never did".to_owned())
            } else {
                Fetched::Running
            });
        }
        Ok(Fetched::Finished(finished_call(&twilio, state, reason)?))
    }
}

/// The end of a call Twilio reports over: the state its status callback would have given, or
/// voicemail when a machine answered (its verdict's callback was lost with the rest), with
/// Twilio's record of the call and its price.
fn finished_call(twilio: &TwilioCall, state: CallState, reason: Option<String>) -> Result<FinishedCall, EngineError> {
    let machine = state == CallState::Completed && twilio.answered_by.is_some_and(|by| by.is_machine());
    let (state, reason) = if machine {
        (CallState::Voicemail, "an answering machine answered; the voicemail policy was not applied".to_owned())
    } else {
        (state, reason.unwrap_or_else(|| format!("Twilio reported the call {}", state.as_str())))
    };
    let record = serde_json::to_string(twilio)
        .map_err(|error| EngineError::InvalidRequest(format!("Twilio's call cannot be kept: {error}")))?;
    let cost = twilio.charge().map(|(amount, currency)| CallCost { amount, currency: currency.to_owned() });
    Ok(FinishedCall {
        refs: Vec::new(),
        cost,
        record: Some(record),
        events: vec![BackendEvent::Ended { state, reason }],
    })
}

#[cfg(test)]
mod tests {
    use switchboard_core::{CallCost, CallState};
    use switchboard_providers::twilio::TwilioCall;

    use super::finished_call;
    use crate::backends::twilio::status_change;
    use switchboard_engine::BackendEvent;

    fn call(status: &str, answered_by: Option<&str>, price: Option<&str>) -> TwilioCall {
        serde_json::from_value(serde_json::json!({"sid": "CA1", "status": status, "answered_by": answered_by,
            "duration": "12", "price": price, "price_unit": "USD"}))
        .unwrap()
    }

    fn ended(twilio: &TwilioCall) -> (BackendEvent, Option<CallCost>) {
        let (state, reason) = status_change(twilio.status, None).unwrap();
        let finished = finished_call(twilio, state, reason).unwrap();
        let record = finished.record.as_deref().unwrap();
        assert!(record.contains("\"sid\":\"CA1\""), "{record}");
        (finished.events.into_iter().next().unwrap(), finished.cost)
    }

    #[test]
    fn a_fetched_end_reads_as_its_status_callback_would() {
        let busy = ended(&call("busy", None, None));
        assert_eq!(busy, (BackendEvent::Ended { state: CallState::Busy, reason: "the line was busy".into() }, None));
        let (completed, cost) = ended(&call("completed", Some("human"), Some("-0.01400")));
        let reason = "the call ended (Twilio: completed)".to_owned();
        assert_eq!(completed, BackendEvent::Ended { state: CallState::Completed, reason });
        assert_eq!(cost, Some(CallCost { amount: 0.014, currency: "USD".into() }));
        let (failed, _) = ended(&call("failed", None, None));
        let reason = "Twilio could not connect the call".to_owned();
        assert_eq!(failed, BackendEvent::Ended { state: CallState::Failed, reason });
    }

    #[test]
    fn a_machine_that_answered_makes_it_voicemail() {
        let (event, _) = ended(&call("completed", Some("machine_end_beep"), None));
        let BackendEvent::Ended { state, reason } = event else { panic!("{event:?}") };
        assert_eq!(state, CallState::Voicemail);
        assert!(reason.starts_with("an answering machine answered"), "{reason}");
        let (event, _) = ended(&call("no-answer", Some("machine_start"), None));
        assert!(matches!(event, BackendEvent::Ended { state: CallState::NoAnswer, .. }), "{event:?}");
    }
}
