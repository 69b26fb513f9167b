//! Listening in on a live call in the real window: Listen plays the simulated call on the
//! speakers (ALSA's output, read by the test) with a moving level meter; volume and mute change
//! what is played; Stop, or the call ending, stops it. With no output device the window says
//! so and the call carries on.

use std::time::Duration;

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};
use crate::speakers::{Speakers, home_without_speakers, peak};

/// Long enough to hold a line of speech (lines are seconds long, with 0.6 s between them).
const STRETCH: Duration = Duration::from_secs(3);
/// Longer than the audio queued between the app and the speakers.
const SETTLE: Duration = Duration::from_millis(1500);

#[tokio::test]
async fn a_live_call_plays_on_the_speakers_with_volume_mute_and_stop() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let speakers = Speakers::start();
        // Real time: the call lasts about a minute.
        let app = App::start_with_env(data.path(), 1, &[("HOME", speakers.home())]).await;
        app.call_contact("Acme Fasteners").await;
        app.wait_for("[data-testid=section-live]").await;
        app.click("listen-toggle").await;
        until_listening(&app, true).await;

        // The meter follows the call's syllables and pauses.
        let mut fills = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE;
        while fills.iter().filter(|&&fill| fill > 0.0).count() < 3 || distinct(&fills) < 3 {
            assert!(std::time::Instant::now() < deadline, "the level meter never moved: {fills:?}");
            fills.push(meter_fill(&app).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(fills.iter().all(|fill| (0.0..=100.0).contains(fill)), "{fills:?}");
        let loud = eventually("the call on the speakers", PATIENCE, || async {
            let loud = peak(&speakers.next(STRETCH).await);
            (loud > 6_000).then_some(loud)
        })
        .await;
        app.screenshot("listening").await;

        // Quieter: the slider, dragged by the mouse from its middle to the left. It follows the
        // pointer all the way, while the window polls where listening is.
        let (volumes, volume) = drag_volume(&app, 0.15).await;
        assert!(volumes.windows(2).all(|pair| pair[1] <= pair[0]), "the slider jumped back while dragged: {volumes:?}");
        assert!(volume > 0.0 && volume < 0.6, "dragged part of the way down: {volume}");
        tokio::time::sleep(SETTLE).await;
        let quiet = peak(&speakers.next(STRETCH).await);
        let most = (f64::from(loud) * (volume + 0.15)) as i32;
        assert!(quiet > 0 && quiet < most, "at volume {volume}: peak {quiet}, was {loud}");

        // Muted: the speakers play silence; the window keeps the box ticked.
        app.click("listen-mute").await;
        tokio::time::sleep(SETTLE).await;
        assert_eq!(peak(&speakers.next(STRETCH).await), 0, "muted, the speakers are silent");
        assert!(app.wait_for("[data-testid=listen-mute]").await.is_selected().await.unwrap(), "still muted");
        app.click("listen-mute").await;
        let unmuted = format!("the call heard again after unmuting (volume {volume}, peak {quiet} before muting)");
        eventually(&unmuted, PATIENCE, || async { (peak(&speakers.next(STRETCH).await) > quiet / 2).then_some(()) })
            .await;

        // Stop: the window says so and the speakers fall quiet (the device is let go).
        app.click("listen-toggle").await;
        until_listening(&app, false).await;
        assert!(app.texts("[data-testid=listen-meter]").await.is_empty(), "no meter once stopped");
        until_speakers_idle(&speakers).await;
        assert_eq!(app.text("[data-testid=detail-state]").await, "in progress", "the call goes on");

        // Listening again, until the call ends: that stops it too.
        app.click("listen-toggle").await;
        until_listening(&app, true).await;
        eventually("the call heard again", PATIENCE, || async {
            (peak(&speakers.next(STRETCH).await) > 4_000).then_some(())
        })
        .await;
        until_listening_ends_with_the_call(&app, &speakers).await;
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn without_an_output_device_listening_says_so_and_the_call_carries_on() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let home = home_without_speakers();
        let app = App::start_with_env(data.path(), 4, &[("HOME", home.path())]).await;
        app.call_contact("Acme Fasteners").await;
        app.wait_for("[data-testid=section-live]").await;
        app.click("listen-toggle").await;
        let problem = app.text("[data-testid=listen-error]").await;
        assert!(problem.starts_with("no audio output device"), "{problem}");
        assert_eq!(app.text("[data-testid=listen-toggle]").await, "Listen");
        assert!(app.texts("[data-testid=listen-meter]").await.is_empty(), "no meter without a device");
        app.screenshot("listen-no-device").await;

        app.until_call_completed().await;
        assert!(app.text("[data-testid=end-reason]").await.contains("said goodbye"));
        assert!(app.texts("[data-testid=transcript-line]").await.len() > 3, "the whole call was transcribed");
        app.quit().await;
    })
    .await;
}

/// Waits until the Listen button shows `listening` (on: "Stop listening", with a meter).
pub async fn until_listening(app: &App, listening: bool) {
    let label = if listening { "Stop listening" } else { "Listen" };
    eventually(label, PATIENCE, || async {
        let button = app.wait_for("[data-testid=listen-toggle]").await;
        let pressed = button.attr("aria-pressed").await.unwrap().unwrap_or_default();
        (button.text().await.unwrap() == label && pressed == listening.to_string()).then_some(())
    })
    .await;
    if listening {
        app.wait_for("[data-testid=listen-meter]").await;
    }
}

/// Drags the volume slider with the mouse from its middle leftwards by `share` of its width,
/// slowly; returns the slider's values seen during the drag and its value at the end.
async fn drag_volume(app: &App, share: f64) -> (Vec<f64>, f64) {
    let slider = app.wait_for("[data-testid=listen-volume]").await;
    let watch = "const el = arguments[0]; window.volumesSeen = [];
        window.volumeWatch = setInterval(() => window.volumesSeen.push(Number(el.value)), 5);
        const box = el.getBoundingClientRect(); return [box.left + box.width / 2, box.width, box.top + box.height / 2];";
    let geometry = app.client.execute(watch, vec![serde_json::to_value(&slider).unwrap()]).await.expect("no watch");
    let number = |index: usize| geometry[index].as_f64().expect("the slider's box");
    let (middle, width, y) = (number(0), number(1), number(2));
    let steps = 20;
    let mut mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo { duration: None, x: middle, y })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT });
    for step in 1..=steps {
        let x = middle - width * share * f64::from(step) / f64::from(steps);
        mouse = mouse.then(PointerAction::MoveTo { duration: Some(Duration::from_millis(50)), x, y });
    }
    mouse = mouse.then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    app.client.perform_actions(mouse).await.expect("the drag failed");
    let stop_watching = "clearInterval(window.volumeWatch); return window.volumesSeen;";
    let seen = app.client.execute(stop_watching, vec![]).await.expect("no watch");
    let volumes = seen.as_array().expect("the values seen").iter().filter_map(serde_json::Value::as_f64).collect();
    let value = slider.prop("value").await.unwrap().unwrap_or_default();
    (volumes, value.parse().unwrap_or_else(|_| panic!("the slider's value is {value:?}")))
}

/// Waits until the speakers are given no more audio.
/// Waits for the call listened to to end, listening to stop with it and the speakers to fall
/// quiet, with no listening error shown.
pub async fn until_listening_ends_with_the_call(app: &App, speakers: &Speakers) {
    app.until_call_completed().await;
    eventually("listening to stop with the call", PATIENCE, || async {
        app.texts("[data-testid=listen-in]").await.is_empty().then_some(())
    })
    .await;
    until_speakers_idle(speakers).await;
    assert!(app.texts("[data-testid=listen-error]").await.is_empty());
}

async fn until_speakers_idle(speakers: &Speakers) {
    eventually("the speakers to fall quiet", PATIENCE, || async {
        let mark = speakers.played();
        tokio::time::sleep(SETTLE).await;
        (speakers.played() == mark).then_some(())
    })
    .await;
}

/// How full the level meter is, in percent.
async fn meter_fill(app: &App) -> f64 {
    let bar = app.wait_for("[data-testid=listen-meter] div").await;
    let style = bar.attr("style").await.unwrap().unwrap_or_default();
    let width = style.trim().trim_start_matches("width:").trim().trim_end_matches(';').trim_end_matches('%');
    width.trim().parse().unwrap_or_else(|_| panic!("the meter's style is {style:?}"))
}

/// How many different values `values` has.
fn distinct(values: &[f64]) -> usize {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    sorted.len()
}
