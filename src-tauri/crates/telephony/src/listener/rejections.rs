//! Refused requests (bad signatures, rate limits, bodies too slow or too large) logged without
//! flooding the log: the first of each route and reason in a minute is a WARN line with its
//! request id and detail; the rest are only counted, and once a minute (the listener's
//! `refusals_summed_every`) one WARN line gives the count of each route and reason that came
//! more than once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::{HEALTH_PATH, TWILIO_GATHER_PATH, TWILIO_MEDIA_PATH, TWILIO_VOICE_PATH, ULTRAVOX_TOOL_PATH, WebhookRoute};

/// The refusals of the current minute, by route and reason.
#[derive(Default)]
pub(crate) struct Rejections {
    counts: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
}

impl Rejections {
    /// Counts a refusal on `path` for `reason`; true when it is the first of its route and reason
    /// this minute, to be logged in full.
    pub(super) fn count(&self, path: &str, reason: &'static str) -> bool {
        let mut counts = self.lock();
        let count = counts.entry((route_of(path), reason)).or_default();
        *count += 1;
        *count == 1
    }

    /// The minute's summary (`route reason ×count; …` for those that came more than once), and
    /// a fresh minute; `None` when every refusal was logged as it came.
    pub(super) fn summary(&self) -> Option<String> {
        let counts = std::mem::take(&mut *self.lock());
        let repeated: Vec<String> = counts
            .into_iter()
            .filter(|(_, count)| *count > 1)
            .map(|((route, reason), count)| format!("{route} {reason} ×{count}"))
            .collect();
        (!repeated.is_empty()).then(|| repeated.join("; "))
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<(&'static str, &'static str), u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Writes the summary of `rejections` `every` so often while the listener runs.
pub(super) async fn summarise(rejections: Arc<Rejections>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Some(summary) = rejections.summary() {
            tracing::warn!(%summary, "requests refused repeatedly in the last {} s", every.as_secs_f32());
        }
    }
}

/// The route a path names, or `other` (any path may be asked for; the counts stay few).
fn route_of(path: &str) -> &'static str {
    let routes = [HEALTH_PATH, TWILIO_VOICE_PATH, TWILIO_GATHER_PATH, TWILIO_MEDIA_PATH, ULTRAVOX_TOOL_PATH];
    let webhooks = WebhookRoute::ALL.map(WebhookRoute::path);
    routes.into_iter().chain(webhooks).find(|route| *route == path).unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::Rejections;

    #[test]
    fn the_first_of_each_route_and_reason_is_logged_and_the_rest_are_summed_in_one_line() {
        let rejections = Rejections::default();
        assert!(rejections.count("/twilio/status", "signature mismatch"));
        for _ in 0..40_999 {
            assert!(!rejections.count("/twilio/status", "signature mismatch"));
        }
        assert!(rejections.count("/health", "rate limited"), "another reason is logged at once");
        assert!(rejections.count("/twilio/status", "rate limited"), "so is another route");
        for path in ["/wp-login.php", "/.env", "/health"] {
            rejections.count(path, "rate limited");
        }
        assert_eq!(
            rejections.summary().as_deref(),
            Some("/health rate limited ×2; /twilio/status signature mismatch ×41000; other rate limited ×2")
        );
        assert_eq!(rejections.summary(), None, "a new minute starts empty");
        assert!(rejections.count("/twilio/status", "signature mismatch"), "and logs its first again");
        assert_eq!(rejections.summary(), None, "a refusal logged in full is not summarised");
    }
}
