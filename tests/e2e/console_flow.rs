//! The dispatcher's first path: see the sections, call a vendor on the simulator, watch the
//! transcript arrive live, and find the call again after a restart.

use std::time::Duration;

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

const SECTIONS: [&str; 7] = ["agents", "contacts", "campaigns", "live", "offers", "history", "settings"];

#[tokio::test]
async fn every_section_opens() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        for section in SECTIONS {
            app.click(&format!("nav-{section}")).await;
            app.wait_for(&format!("[data-testid=section-{section}]")).await;
        }
        app.click("nav-settings").await;
        assert_eq!(app.text("[data-testid=data-dir]").await, data.path().display().to_string());
        // The webhook listener runs inside the app: Settings says where, and it answers there.
        let listening = app.text("[data-testid=listener-local]").await;
        let local = listening.split_whitespace().find(|word| word.starts_with("http://127.0.0.1:")).unwrap();
        assert_eq!(app.texts("[data-testid=webhook-urls] tr").await.len(), 8, "a URL per provider callback");
        let health = http_get(local.trim_end_matches(';'), "/health").await;
        assert!(health.starts_with("HTTP/1.1 200") && health.contains("\"status\""), "{health}");
        app.screenshot("settings").await;
        app.click("nav-agents").await;
        assert_eq!(
            app.texts("[data-testid=agent-card]").await.len(),
            4,
            "the sample agents: quote, negotiation, driver, reminder"
        );
        app.screenshot("agents").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_simulated_call_streams_its_transcript_and_survives_a_restart() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 4).await;

        app.click("nav-live").await;
        app.wait_for("[data-testid=no-calls]").await;
        app.call_contact("Acme Fasteners").await;

        // The console switches to Live and shows the call progressing.
        app.wait_for("[data-testid=section-live]").await;
        eventually("the call to be answered", PATIENCE, || async {
            (app.text("[data-testid=detail-state]").await == "in progress").then_some(())
        })
        .await;
        // Lines arrive one by one while the call is still in progress: that is a live transcript.
        let seen_while_live = eventually("three transcript lines during the call", PATIENCE, || async {
            let lines = app.texts("[data-testid=transcript-line]").await.len();
            let state = app.text("[data-testid=detail-state]").await;
            (state == "in progress" && lines >= 3).then_some(lines)
        })
        .await;
        app.screenshot("live-call").await;

        app.until_call_completed().await;
        let transcript = app.texts("[data-testid=transcript-line]").await;
        assert!(transcript.len() > seen_while_live, "lines kept arriving: {transcript:?}");
        assert!(transcript[0].contains("Northwind Freight"), "the agent's first message opens: {:?}", transcript[0]);
        assert!(app.text("[data-testid=end-reason]").await.contains("said goodbye"));
        let quote = app.text("[data-testid=call-offer]").await;
        assert!(quote.contains("per unit") && quote.contains("confidence 100%"), "{quote}");
        app.click("nav-offers").await;
        assert_eq!(app.texts("[data-testid=offer-row]").await.len(), 1);
        app.screenshot("offers").await;
        app.quit().await;

        // A new run of the app over the same data directory shows the same call and transcript.
        let app = App::start(data.path(), 4).await;
        app.click("nav-live").await;
        let states = eventually("the stored call", PATIENCE, || async {
            let states = app.texts("[data-testid=call-row] [data-testid=call-state]").await;
            (!states.is_empty()).then_some(states)
        })
        .await;
        assert_eq!(states, vec!["completed".to_owned()]);
        let after_restart = eventually("the stored transcript", PATIENCE, || async {
            let lines = app.texts("[data-testid=transcript-line]").await;
            (lines.len() == transcript.len()).then_some(lines)
        })
        .await;
        assert_eq!(after_restart, transcript);
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_contact_with_an_invalid_number_is_refused_with_the_reason() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 4).await;
        app.call_contact("Harbor Supply Co.").await;
        let banner = app.wait_for("[data-testid=error-banner]").await;
        assert_eq!(banner.attr("data-code").await.unwrap().as_deref(), Some("invalid-phone"));
        let message = banner.text().await.unwrap();
        assert!(message.contains("Harbor Supply Co.") && message.contains("555-0142"), "{message}");
        app.click("nav-live").await;
        app.wait_for("[data-testid=no-calls]").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_one_off_call_with_an_action_runs_from_the_live_section() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 20).await;
        app.click("nav-live").await;
        app.click("open-one-off").await;
        app.wait_for("[data-testid=one-off-phone]").await.send_keys("(312) 555-0177").await.unwrap();
        app.wait_for("[data-testid=one-off-action]")
            .await
            .send_keys("Confirm the delivery window for Friday")
            .await
            .unwrap();
        app.click("one-off-place").await;
        eventually("the one-off call to complete", Duration::from_secs(60), || async {
            (app.text("[data-testid=detail-state]").await == "completed").then_some(())
        })
        .await;
        let lines = app.texts("[data-testid=transcript-line]").await;
        assert!(lines[0].contains("Confirm the delivery window for Friday"), "{lines:?}");
        app.quit().await;
    })
    .await;
}

/// A plain HTTP GET over loopback, the response as text.
async fn http_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}
