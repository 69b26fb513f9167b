//! The order a campaign step offers a round's due targets in: contact order from this node's
//! own starting point, wrapping around once, read from the store a page at a time, so a step
//! reads about as many targets as it may start.

use std::collections::VecDeque;
use std::sync::Arc;

use switchboard_core::{ContactId, UnixMillis};
use switchboard_store::TargetRow;

use crate::{Engine, EngineError, blocking};

/// Where node N starts claiming, as a fraction of the round's targets: N times the golden
/// ratio's fraction (modulo 1), which spreads the starts of a few nodes evenly over the round.
const CLAIM_SPREAD: f64 = 0.618_033_988_749_895;

/// Where this engine starts claiming in round `round` of campaign `id`: the contact its node
/// starts at, so nodes sharing the campaign seldom reach for the same target (a claim another
/// node holds is skipped, not waited for); `None` (the round's first) without a node.
pub(super) async fn claim_start(engine: &Arc<Engine>, id: i64, round: u8) -> Result<Option<ContactId>, EngineError> {
    let Some(node) = engine.store().node() else { return Ok(None) };
    let store = Arc::clone(engine.store());
    let fraction = (node as f64 * CLAIM_SPREAD).fract();
    blocking(move || store.round_contact_at(id, round, fraction)).await
}

/// The due targets of one round, offered once each, in contact order from `start` on and then
/// from the round's first contact up to `start`.
pub(super) struct ClaimQueue {
    id: i64,
    round: u8,
    start: Option<ContactId>,
    /// The next contact to offer from, in the part read now.
    from: ContactId,
    /// Whether the part before `start` is read now (or there is none).
    wrapped: bool,
    /// Whether every due target was read.
    done: bool,
    /// Targets read and not offered yet.
    page: VecDeque<TargetRow>,
}

impl ClaimQueue {
    pub(super) fn new(id: i64, round: u8, start: Option<ContactId>) -> ClaimQueue {
        let from = start.unwrap_or(ContactId(i64::MIN));
        ClaimQueue { id, round, start, from, wrapped: start.is_none(), done: false, page: VecDeque::new() }
    }

    /// The next target due at `now`, reading up to `limit` at once (as many as may start);
    /// `None` once every one was offered.
    pub(super) async fn next(
        &mut self,
        engine: &Arc<Engine>,
        now: UnixMillis,
        limit: u32,
    ) -> Result<Option<TargetRow>, EngineError> {
        while self.page.is_empty() && !self.done && limit > 0 {
            let before = if self.wrapped { self.start } else { None };
            let (store, id, round, from) = (Arc::clone(engine.store()), self.id, self.round, self.from);
            let page = blocking(move || store.due_targets(id, round, now, (from, before), limit)).await?;
            if let Some(last) = page.last() {
                self.from = ContactId(last.contact_id.0.saturating_add(1));
            }
            if page.len() < limit as usize {
                // This part is read to its end: on to the part before the start, or done.
                (self.done, self.wrapped, self.from) = (self.wrapped, true, ContactId(i64::MIN));
            }
            self.page = page.into();
        }
        Ok(self.page.pop_front())
    }
}
