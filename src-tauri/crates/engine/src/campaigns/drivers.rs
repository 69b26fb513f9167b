//! Driver batches: what each driver's call came to (acknowledged, disputed, asked for the
//! dispatcher, ...), the driver's own words with the lines around them, counts per outcome, and
//! the review queue of drivers who need the dispatcher.

use serde::{Deserialize, Serialize};
use switchboard_core::{CallId, CallState, ContactId, Speaker, TranscriptLine, UnixMillis};
use switchboard_store::{Store, TargetRow};

use crate::EngineError;
use crate::tables::{Cell, Table};

/// What one driver call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum DriverAnswer {
    Acknowledged,
    /// The driver answered that they do not acknowledge the events.
    Disputed,
    /// The driver asked to speak with the dispatcher, and no transfer was made.
    AskedForDispatcher,
    /// The call was handed to the transfer number.
    Transferred,
    /// Answered, but neither acknowledged nor disputed.
    Reached,
    Voicemail,
    /// Spelt as stored summaries of earlier versions spell it.
    #[serde(rename = "no answer")]
    NoAnswer,
    Failed,
    /// Not called: the batch skipped the driver (with its reason).
    Skipped,
}

impl DriverAnswer {
    /// Every outcome, in the order counts list them.
    pub const ALL: [DriverAnswer; 9] = [
        Self::Acknowledged,
        Self::Disputed,
        Self::AskedForDispatcher,
        Self::Transferred,
        Self::Reached,
        Self::Voicemail,
        Self::NoAnswer,
        Self::Failed,
        Self::Skipped,
    ];

    /// The outcome in words, as the window and the exports say it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Disputed => "disputed",
            Self::AskedForDispatcher => "asked for the dispatcher",
            Self::Transferred => "transferred",
            Self::Reached => "reached",
            Self::Voicemail => "voicemail",
            Self::NoAnswer => "no answer",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Whether the driver goes on the review queue: they spoke but did not settle it.
    pub fn needs_review(self) -> bool {
        matches!(self, Self::Disputed | Self::AskedForDispatcher | Self::Reached)
    }
}

/// Classifies a driver call from its final state, its end reason and what the agent collected.
pub fn classify(state: CallState, end_reason: &str, fields: &[(String, String)]) -> DriverAnswer {
    let answer = |key: &str| {
        fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_ascii_lowercase()).and_then(|v| {
            match v.as_str() {
                "yes" | "true" | "y" => Some(true),
                "no" | "false" | "n" => Some(false),
                _ => None,
            }
        })
    };
    match state {
        // Every backend that transfers ends the call "transferred to <number>…".
        CallState::Completed if end_reason.starts_with("transferred") => DriverAnswer::Transferred,
        CallState::Completed if answer("wants_dispatcher") == Some(true) => DriverAnswer::AskedForDispatcher,
        CallState::Completed => match answer("acknowledged") {
            Some(true) => DriverAnswer::Acknowledged,
            Some(false) => DriverAnswer::Disputed,
            None => DriverAnswer::Reached,
        },
        CallState::Voicemail => DriverAnswer::Voicemail,
        CallState::NoAnswer | CallState::Busy => DriverAnswer::NoAnswer,
        _ => DriverAnswer::Failed,
    }
}

/// What one driver call came to, with the driver's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DriverOutcome {
    pub contact_id: ContactId,
    pub driver: String,
    pub outcome: DriverAnswer,
    pub reason: String,
    /// On the review queue: the driver spoke but did not settle it ([`DriverAnswer::needs_review`]).
    #[serde(default)]
    pub flagged: bool,
    #[serde(default)]
    pub call_id: Option<CallId>,
    /// The driver's explanation as the agent noted it (`driver_comment`).
    #[serde(default)]
    pub comment: Option<String>,
    /// Where in the call the driver said it: the callee line that gave the comment (or their
    /// answer), the line the review opens the call at.
    #[serde(default)]
    pub line: Option<u32>,
    /// That line with the line before and after it.
    #[serde(default)]
    pub words: Vec<TranscriptLine>,
    /// The dispatcher's resolution, read from the store with the campaign.
    #[serde(default)]
    pub resolution: Option<Resolution>,
}

/// How the dispatcher resolved a flagged driver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub note: String,
    pub resolved_at: UnixMillis,
}

/// How many drivers came to one outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct OutcomeCount {
    pub outcome: DriverAnswer,
    pub label: String,
    pub count: u32,
}

/// The count of every outcome, zeros included.
pub fn outcome_counts(outcomes: &[DriverOutcome]) -> Vec<OutcomeCount> {
    DriverAnswer::ALL
        .iter()
        .map(|&outcome| OutcomeCount {
            outcome,
            label: outcome.label().to_owned(),
            count: outcomes.iter().filter(|o| o.outcome == outcome).count() as u32,
        })
        .collect()
}

/// The keys whose callee line shows the driver's words, most telling first.
const WORDS_FROM: [&str; 3] = ["driver_comment", "wants_dispatcher", "acknowledged"];

/// The outcome of one target of a finished batch, named `driver`.
pub(crate) fn target_outcome(store: &Store, target: &TargetRow, driver: String) -> Result<DriverOutcome, EngineError> {
    let reason = target.outcome.clone().unwrap_or_default();
    let call = target.call_id.map(|c| store.call(c)).transpose()?.flatten();
    let call = match call {
        Some(call) if target.status != "skipped" => call,
        _ => {
            return Ok(DriverOutcome {
                contact_id: target.contact_id,
                driver,
                outcome: DriverAnswer::Skipped,
                reason,
                flagged: false,
                call_id: None,
                comment: None,
                line: None,
                words: Vec::new(),
                resolution: None,
            });
        }
    };
    let fields = store.collected_fields(call.id)?;
    let outcome = classify(call.state, call.end_reason.as_deref().unwrap_or_default(), &fields);
    let comment = fields.iter().find(|(k, _)| k == "driver_comment").map(|(_, v)| v.clone());
    let mut line = None;
    for key in WORDS_FROM {
        if fields.iter().any(|(k, _)| k == key) {
            line = store.field_line(call.id, key)?;
            if line.is_some() {
                break;
            }
        }
    }
    let words = match line {
        Some(seq) => store.transcript(call.id)?.into_iter().filter(|l| l.seq + 1 >= seq && l.seq <= seq + 1).collect(),
        None => Vec::new(),
    };
    Ok(DriverOutcome {
        contact_id: target.contact_id,
        driver,
        outcome,
        reason,
        flagged: outcome.needs_review(),
        call_id: Some(call.id),
        comment,
        line,
        words,
        resolution: None,
    })
}

/// Fills in the dispatcher's resolutions of campaign `campaign` from the store.
pub(crate) fn with_resolutions(
    store: &Store,
    campaign: i64,
    outcomes: &mut [DriverOutcome],
) -> Result<(), EngineError> {
    let reviews = store.reviews(campaign)?;
    for outcome in outcomes {
        outcome.resolution = reviews
            .iter()
            .find(|r| r.contact_id == outcome.contact_id)
            .map(|r| Resolution { note: r.note.clone(), resolved_at: r.resolved_at });
    }
    Ok(())
}

/// Marks a flagged driver of a finished batch resolved with the dispatcher's `note`.
pub fn resolve_review(store: &Store, campaign: i64, contact: ContactId, note: &str) -> Result<(), EngineError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(EngineError::InvalidRequest("resolution note: say how it was resolved".into()));
    }
    let row = store
        .campaign(campaign)?
        .ok_or_else(|| EngineError::Store(switchboard_store::StoreError::NotFound(format!("campaign {campaign}"))))?;
    let outcomes = match row.summary.as_deref().map(serde_json::from_str::<super::CampaignResult>) {
        Some(Ok(super::CampaignResult::Drivers { outcomes, .. })) => outcomes,
        _ => return Err(EngineError::InvalidRequest(format!("campaign {campaign} is not a finished driver batch"))),
    };
    match outcomes.iter().find(|o| o.contact_id == contact) {
        Some(o) if o.flagged => {}
        Some(o) => {
            return Err(EngineError::InvalidRequest(format!(
                "{} is not on the review queue: {}",
                o.driver,
                o.outcome.label()
            )));
        }
        None => {
            return Err(EngineError::Store(switchboard_store::StoreError::NotFound(format!(
                "contact {contact} in campaign {campaign}"
            ))));
        }
    }
    Ok(store.resolve_review(campaign, contact, note, crate::now())?)
}

/// The driver's words as one text: "agent: …", "driver: …", a line each.
fn words_text(words: &[TranscriptLine]) -> String {
    let speaker = |s: Speaker| match s {
        Speaker::Agent => "agent",
        Speaker::Callee => "driver",
    };
    words.iter().map(|l| format!("{}: {}", speaker(l.speaker), l.text)).collect::<Vec<_>>().join("\n")
}

/// The outcomes as a table: one row per driver with their words and the review.
pub(crate) fn driver_table(outcomes: &[DriverOutcome]) -> Table {
    let header =
        ["driver", "outcome", "reason", "comment", "driver's words", "review", "resolution note", "resolved at"];
    Table {
        sheet: "Drivers",
        header: header.map(str::to_owned).to_vec(),
        rows: outcomes
            .iter()
            .map(|o| {
                let review = match (&o.resolution, o.flagged) {
                    (Some(_), _) => "resolved",
                    (None, true) => "to review",
                    (None, false) => "",
                };
                vec![
                    Cell::Text(o.driver.clone()),
                    Cell::Text(o.outcome.label().to_owned()),
                    Cell::Text(o.reason.clone()),
                    Cell::text(o.comment.clone()),
                    Cell::Text(words_text(&o.words)),
                    Cell::Text(review.to_owned()),
                    Cell::text(o.resolution.as_ref().map(|r| r.note.clone())),
                    Cell::text(o.resolution.as_ref().map(|r| crate::history::timestamp(r.resolved_at))),
                ]
            })
            .collect(),
    }
}

/// The count of each outcome as a table.
pub(crate) fn count_table(counts: &[OutcomeCount]) -> Table {
    Table {
        sheet: "Counts",
        header: ["outcome", "drivers"].map(str::to_owned).to_vec(),
        rows: counts.iter().map(|c| vec![Cell::Text(c.label.clone()), Cell::Number(f64::from(c.count))]).collect(),
    }
}

/// The outcomes as the command line prints them: the counts, then a line per driver.
pub(crate) fn driver_text(outcomes: &[DriverOutcome]) -> String {
    let counts: Vec<String> =
        outcome_counts(outcomes).iter().filter(|c| c.count > 0).map(|c| format!("{} {}", c.count, c.label)).collect();
    let mut text = format!("{} drivers: {}\n", outcomes.len(), counts.join(", "));
    for o in outcomes {
        text.push_str(&format!("{:<28} {:<24} {}\n", o.driver, o.outcome.label(), o.reason));
        if let Some(comment) = &o.comment {
            text.push_str(&format!("    said: {comment}\n"));
        }
        if let Some(resolution) = &o.resolution {
            text.push_str(&format!("    resolved: {}\n", resolution.note));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn an_answered_call_is_classified_by_what_the_driver_said() {
        let completed =
            |pairs: &[(&str, &str)]| classify(CallState::Completed, "the agent said goodbye", &fields(pairs));
        assert_eq!(completed(&[("acknowledged", "yes")]), DriverAnswer::Acknowledged);
        assert_eq!(completed(&[("acknowledged", " True ")]), DriverAnswer::Acknowledged);
        assert_eq!(completed(&[("acknowledged", "no"), ("driver_comment", "cut off")]), DriverAnswer::Disputed);
        assert_eq!(completed(&[("acknowledged", "false")]), DriverAnswer::Disputed);
        assert_eq!(
            completed(&[("acknowledged", "yes"), ("wants_dispatcher", "yes")]),
            DriverAnswer::AskedForDispatcher
        );
        assert_eq!(completed(&[("wants_dispatcher", "no"), ("acknowledged", "no")]), DriverAnswer::Disputed);
        // Said something, but neither yes nor no: reached, not a guess.
        assert_eq!(completed(&[("acknowledged", "maybe later")]), DriverAnswer::Reached);
        assert_eq!(completed(&[("driver_comment", "driving, call back")]), DriverAnswer::Reached);
        assert_eq!(completed(&[]), DriverAnswer::Reached);
    }

    #[test]
    fn a_transfer_is_read_from_the_end_reason_whatever_was_collected() {
        let asked = fields(&[("wants_dispatcher", "yes")]);
        let reason = "transferred to +13125550100: the driver asked for the dispatcher";
        assert_eq!(classify(CallState::Completed, reason, &asked), DriverAnswer::Transferred);
        assert_eq!(classify(CallState::Completed, reason, &[]), DriverAnswer::Transferred);
        assert_eq!(
            classify(CallState::Completed, "the driver asked for the dispatcher", &asked),
            DriverAnswer::AskedForDispatcher
        );
    }

    #[test]
    fn an_unanswered_call_is_classified_by_its_state() {
        let acknowledged = fields(&[("acknowledged", "yes")]);
        assert_eq!(classify(CallState::Voicemail, "reached voicemail", &[]), DriverAnswer::Voicemail);
        assert_eq!(classify(CallState::NoAnswer, "", &[]), DriverAnswer::NoAnswer);
        assert_eq!(classify(CallState::Busy, "", &[]), DriverAnswer::NoAnswer);
        assert_eq!(classify(CallState::Failed, "number disconnected", &acknowledged), DriverAnswer::Failed);
        assert_eq!(classify(CallState::Lost, "", &[]), DriverAnswer::Failed);
    }

    #[test]
    fn counts_list_every_outcome_and_only_unsettled_answers_need_review() {
        let outcome = |answer| DriverOutcome {
            contact_id: ContactId(1),
            driver: "Ken Ito".into(),
            outcome: answer,
            reason: String::new(),
            flagged: answer.needs_review(),
            call_id: None,
            comment: None,
            line: None,
            words: Vec::new(),
            resolution: None,
        };
        let outcomes =
            [DriverAnswer::Disputed, DriverAnswer::Acknowledged, DriverAnswer::Disputed].map(outcome).to_vec();
        let counts = outcome_counts(&outcomes);
        assert_eq!(counts.len(), 9);
        assert_eq!((counts[0].label.as_str(), counts[0].count), ("acknowledged", 1));
        assert_eq!((counts[1].label.as_str(), counts[1].count), ("disputed", 2));
        assert_eq!(counts.iter().map(|c| c.count).sum::<u32>(), 3);
        let reviewed: Vec<_> = DriverAnswer::ALL.into_iter().filter(|a| a.needs_review()).collect();
        assert_eq!(reviewed, [DriverAnswer::Disputed, DriverAnswer::AskedForDispatcher, DriverAnswer::Reached]);
        assert!(driver_text(&outcomes).starts_with("3 drivers: 1 acknowledged, 2 disputed\n"));
    }

    #[test]
    fn a_stored_outcome_of_an_earlier_version_still_reads() {
        let old = r#"{"contactId":3,"driver":"Ken Ito","outcome":"no answer","reason":"busy"}"#;
        let outcome: DriverOutcome = serde_json::from_str(old).unwrap();
        assert_eq!((outcome.outcome, outcome.call_id, outcome.words.len()), (DriverAnswer::NoAnswer, None, 0));
    }
}
