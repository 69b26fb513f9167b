//! "Forget this contact": the contact, their calls and everything about them, their recordings,
//! and their place in campaign summaries.

use switchboard_core::{ContactId, QuoteSummary};
use switchboard_store::{Forgotten, Store};

use super::recordings::{Recordings, remove_file};
use crate::EngineError;
use crate::campaigns::CampaignResult;

/// Forgets a contact. Campaign summaries lose the contact's entry, and words naming them
/// become "a forgotten contact". Refused while a call with them is live. Returns what was
/// removed.
pub fn forget_contact(store: &Store, recordings: Option<&Recordings>, id: ContactId) -> Result<Forgotten, EngineError> {
    let name = store.contact(id)?.ok_or(EngineError::ContactNotFound(id))?.fields.name;
    if store.calls_with_contact(id)?.iter().any(|call| !call.state.is_terminal()) {
        return Err(EngineError::InvalidRequest(format!("{name} is on a call now; forget them when it has ended")));
    }
    let forgotten = store.forget_contact(id, |summary| scrub_summary(summary, id, &name))?;
    if let Some(recordings) = recordings {
        for file in &forgotten.recording_files {
            remove_file(&recordings.path_of(file));
        }
    }
    tracing::info!(contact = %id, calls = forgotten.calls, "contact forgotten");
    Ok(forgotten)
}

/// A campaign summary (JSON of [`CampaignResult`]) without the contact. A summary that does
/// not parse is dropped rather than kept with their name in it.
fn scrub_summary(summary: &str, id: ContactId, name: &str) -> Option<String> {
    let mut result = serde_json::from_str::<CampaignResult>(summary).ok()?;
    let unnamed =
        |text: &str| if name.is_empty() { text.to_owned() } else { text.replace(name, "a forgotten contact") };
    match &mut result {
        CampaignResult::Quotes(summary) => {
            let QuoteSummary { ranked, recommendation, alternatives, next_steps, .. } = summary.as_mut();
            ranked.retain(|entry| entry.offer.contact_id != id);
            for (rank, entry) in ranked.iter_mut().enumerate() {
                entry.rank = rank as u32 + 1;
            }
            *recommendation = unnamed(recommendation);
            alternatives.retain(|line| name.is_empty() || !line.contains(name));
            for step in next_steps.iter_mut() {
                *step = unnamed(step);
            }
        }
        CampaignResult::Drivers { outcomes, .. } => outcomes.retain(|outcome| outcome.contact_id != id),
    }
    serde_json::to_string(&result).ok()
}
