//! What History filters calls by, what it knows of a call beyond its summary, and the memory of
//! past calls a contact's next call is given.

use serde::{Deserialize, Serialize};

use crate::{AgentId, BackendKind, CallState, CallSummary, ContactId, Offer, UnixMillis};

/// Which calls History shows. Every set field must match; an empty filter matches every call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct CallFilter {
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub campaign_id: Option<i64>,
    pub contact_id: Option<ContactId>,
    /// Part of the contact's name or number.
    pub contact_text: Option<String>,
    pub agent_id: Option<AgentId>,
    pub backend: Option<BackendKind>,
    /// How the call ended (its state); several means any of them.
    pub outcomes: Vec<CallState>,
    /// Calls placed at or after this time.
    pub from: Option<UnixMillis>,
    /// Calls placed before this time.
    pub to: Option<UnixMillis>,
}

/// What a provider charged for a call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallCost {
    pub amount: f64,
    /// ISO 4217 code, or the provider's unit (for example "credits").
    pub currency: String,
}

/// How long one agent turn took at each hop, in milliseconds: from the caller falling silent
/// to the final transcript, to the language model's first token, to the first synthesised
/// audio, to the first frame sent to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct TurnLatency {
    pub turn: u32,
    pub stt_ms: u32,
    pub llm_ms: u32,
    pub tts_ms: u32,
    pub send_ms: u32,
}

impl TurnLatency {
    /// From the caller falling silent to the agent's first frame.
    pub fn total_ms(&self) -> u32 {
        self.stt_ms + self.llm_ms + self.tts_ms + self.send_ms
    }
}

/// What the callee heard on a call the engine voiced itself, read from its two-track
/// recording: the agent's first words after the answer, and how long its replies came after
/// the callee stopped speaking (their median and worst, over `replies`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct HeardLatency {
    pub first_words_ms: Option<u32>,
    pub replies: u32,
    pub reply_median_ms: Option<u32>,
    pub reply_worst_ms: Option<u32>,
}

impl HeardLatency {
    /// The figures of a recording whose agent first spoke `first_words_ms` after the answer and
    /// replied after each of `replies_ms`.
    pub fn new(first_words_ms: Option<u32>, replies_ms: &[u32]) -> Self {
        let mut sorted = replies_ms.to_vec();
        sorted.sort_unstable();
        Self {
            first_words_ms,
            replies: u32::try_from(sorted.len()).unwrap_or(u32::MAX),
            reply_median_ms: sorted.get(sorted.len() / 2).copied(),
            reply_worst_ms: sorted.last().copied(),
        }
    }
}

/// How well the agent's audio kept time on a call the engine voiced itself: the frames (20 ms
/// each) sent to the caller, those sent more than 40 ms after the frame before within one
/// stretch of speech (a gap the caller hears unless the provider's buffer covered it), and the
/// longest such gap. Late frames mean the computer was too busy for the calls it carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AudioPacing {
    pub frames: u32,
    pub late: u32,
    pub worst_gap_ms: u32,
}

/// A call's stored recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RecordingInfo {
    /// File name inside the recordings directory.
    pub file: String,
    pub duration_ms: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    pub created_at: UnixMillis,
    /// When retention deleted the audio (the row stays so History can say so).
    pub deleted_at: Option<UnixMillis>,
}

/// What one past call with a contact contributes to the next call's context.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCall {
    pub call: CallSummary,
    /// Values the agent collected, by key.
    pub fields: Vec<(String, String)>,
    pub offer: Option<Offer>,
    /// How the call's campaign recorded its outcome, if it was a campaign call.
    pub outcome: Option<String>,
}

/// Summarises past calls with a contact, newest first, as lines an agent can read: when, who
/// called, how it ended, what was collected and quoted. Empty when there were none.
pub fn summarize_past_calls(calls: &[PastCall], date_of: impl Fn(UnixMillis) -> String) -> String {
    calls
        .iter()
        .map(|past| {
            let call = &past.call;
            let mut line = format!("- {} ({}): ", date_of(call.created_at), call.agent_name);
            line.push_str(past.outcome.as_deref().unwrap_or_else(|| outcome_words(call.state)));
            if let Some(reason) = call.end_reason.as_deref().filter(|_| call.state != CallState::Completed) {
                line.push_str(&format!(" — {reason}"));
            }
            if let Some(offer) = &past.offer
                && let Some(price) = offer.unit_price
            {
                line.push_str(&format!("; quoted ${price:.2} per unit"));
                if let Some(days) = offer.lead_time_days {
                    line.push_str(&format!(", {days} days lead time"));
                }
            }
            let collected: Vec<String> = past
                .fields
                .iter()
                .filter(|(key, _)| past.offer.is_none() || !QUOTE_KEYS.contains(&key.as_str()))
                .map(|(key, value)| format!("{key}: {value}"))
                .collect();
            if !collected.is_empty() {
                line.push_str(&format!("; noted {}", collected.join(", ")));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fields an offer already says in words.
const QUOTE_KEYS: [&str; 2] = ["unit_price", "lead_time_days"];

fn outcome_words(state: CallState) -> &'static str {
    match state {
        CallState::Completed => "spoke",
        CallState::Busy => "line busy",
        CallState::NoAnswer => "no answer",
        CallState::Voicemail => "reached voicemail",
        CallState::Failed => "call failed",
        CallState::Canceled => "call canceled",
        CallState::Lost => "call cut off",
        _ => "call in progress",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentId, CallId, ContactId};

    fn call(id: i64, state: CallState, reason: Option<&str>) -> CallSummary {
        CallSummary {
            id: CallId(id),
            contact_id: ContactId(1),
            contact_name: "Acme".into(),
            agent_id: AgentId(1),
            agent_name: "Quote caller".into(),
            backend: BackendKind::Simulator,
            phone: "+13125550143".into(),
            state,
            end_reason: reason.map(Into::into),
            created_at: UnixMillis(id),
            answered_at: None,
            ended_at: Some(UnixMillis(id + 1)),
            campaign_id: None,
            round: None,
            attempt: None,
        }
    }

    #[test]
    fn heard_latency_takes_the_median_and_worst_reply() {
        let heard = HeardLatency::new(Some(80), &[900, 1300, 1000]);
        assert_eq!(
            heard,
            HeardLatency {
                first_words_ms: Some(80),
                replies: 3,
                reply_median_ms: Some(1000),
                reply_worst_ms: Some(1300)
            }
        );
        assert_eq!(HeardLatency::new(None, &[]).reply_median_ms, None);
    }

    #[test]
    fn past_calls_read_as_one_line_each() {
        let offer = Offer {
            call_id: CallId(2),
            contact_id: ContactId(1),
            unit_price: Some(0.45),
            moq: Some(500),
            lead_time_days: Some(14),
            shipping: None,
            terms: None,
            valid_days: None,
            confidence: 0.6,
        };
        let calls = [
            PastCall {
                call: call(2, CallState::Completed, Some("the callee said goodbye")),
                fields: vec![("moq".into(), "500".into()), ("unit_price".into(), "0.45".into())],
                offer: Some(offer),
                outcome: None,
            },
            PastCall {
                call: call(1, CallState::NoAnswer, Some("rang 30 s")),
                fields: vec![],
                offer: None,
                outcome: Some("no answer after 2 attempts".into()),
            },
        ];
        let text = summarize_past_calls(&calls, |at| format!("day {}", at.0));
        assert_eq!(
            text,
            "- day 2 (Quote caller): spoke; quoted $0.45 per unit, 14 days lead time; noted moq: 500\n\
             - day 1 (Quote caller): no answer after 2 attempts — rang 30 s"
        );
        assert_eq!(summarize_past_calls(&[], |_| String::new()), "");
    }

    #[test]
    fn a_turns_total_is_the_sum_of_its_hops() {
        let turn = TurnLatency { turn: 0, stt_ms: 120, llm_ms: 300, tts_ms: 90, send_ms: 2 };
        assert_eq!(turn.total_ms(), 512);
    }
}
