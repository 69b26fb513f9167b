//! What the log says of refused requests over a real socket: the first of each route and reason
//! in full, the rest summed in one line per period, never one line each.

use std::io::Write;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard_telephony::listener::{ListenerSettings, serve};
use tracing_subscriber::fmt::MakeWriter;

use super::{CALL_SID, Fixture, PUBLIC, http_client, secrets, twilio_status};

/// The log lines written, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap()).lines().map(str::to_owned).collect()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl MakeWriter<'_> for Captured {
    type Writer = Self;

    fn make_writer(&self) -> Self {
        self.clone()
    }
}

/// Longer than the requests take, even on a loaded machine, so they fall in the first period.
const SUMMED_EVERY: Duration = Duration::from_secs(5);

#[tokio::test]
async fn repeated_refusals_are_logged_once_each_kind_then_summed_per_period() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    // The test's runtime runs on this thread, the listener's tasks too.
    let _logging = tracing::subscriber::set_default(subscriber);
    // Another test's thread may have registered a callsite at the same moment and cached that
    // nobody wanted its events; ask every callsite again now that this subscriber exists.
    tracing::callsite::rebuild_interest_cache();
    let settings = ListenerSettings {
        rate_per_second: NonZeroU32::new(1).unwrap(),
        rate_burst: NonZeroU32::new(60).unwrap(),
        refusals_summed_every: SUMMED_EVERY,
        ..ListenerSettings::new(PUBLIC)
    };
    let fixture = Fixture::with(secrets(), settings);
    let (bound, _server) = serve("127.0.0.1:0".parse().unwrap(), fixture.state.clone()).await.unwrap();
    let period_started = tokio::time::Instant::now();
    let client = http_client();
    let mut statuses = Vec::new();
    for _ in 0..80 {
        let refused = client
            .post(format!("http://{bound}/twilio/status"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", "bm90IHRoZSBzaWduYXR1cmU=")
            .body(twilio_status(CALL_SID, "completed", 1))
            .send()
            .await
            .unwrap();
        statuses.push(refused.status().as_u16());
    }
    // The burst, and a token a second since.
    let forbidden = statuses.iter().filter(|status| **status == 403).count();
    let limited = statuses.iter().filter(|status| **status == 429).count();
    assert!((60..=65).contains(&forbidden) && forbidden + limited == 80, "{statuses:?}");
    tokio::time::sleep_until(period_started + SUMMED_EVERY + Duration::from_millis(300)).await;

    let lines = log.lines();
    assert_eq!(lines.len(), 3, "one line per kind and one summary, not one per refusal: {lines:#?}");
    assert!(lines[0].contains("webhook refused"), "{}", lines[0]);
    assert!(lines[1].contains("rate limited"), "{}", lines[1]);
    assert!(
        lines[2].contains(&format!(
            "/twilio/status rate limited ×{limited}; /twilio/status signature mismatch ×{forbidden}"
        )),
        "{}",
        lines[2]
    );
    assert_eq!(fixture.store.inbox_counts().unwrap().total, 0);
}
