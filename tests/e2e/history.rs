//! History in the real window: a finished call is listed, filters narrow the list, a search
//! finds a phrase in a past call and opens the call at that line (header and player still in
//! view), and its recording plays on
//! the speakers (ALSA's output, read by the test) with the transcript following along; a
//! call's stored audio pacing is shown, in amber when frames came late.

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, replace_text, within};
use crate::speakers::{Speakers, peak};
use switchboard_core::{AudioPacing, CallId, HeardLatency};
use switchboard_engine::tables::read_table;
use switchboard_store::Store;

#[tokio::test]
async fn search_finds_a_phrase_in_a_past_call_and_opens_it_at_that_line() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 20).await;
        for vendor in ["Acme Fasteners", "Pacific Bolt & Nut"] {
            app.call_contact(vendor).await;
            app.until_call_completed().await;
        }

        app.client.set_window_size(1280, 800).await.expect("the window resizes");
        app.click("nav-history").await;
        eventually("both calls listed", PATIENCE, || async {
            (app.text("[data-testid=history-count]").await == "2 calls").then_some(())
        })
        .await;
        // An empty date filter shows as empty, saying what it takes.
        for day in ["history-from", "history-to"] {
            let input = app.wait_for(&format!("[data-testid={day}]")).await;
            assert_eq!(input.prop("value").await.unwrap().as_deref(), Some(""));
            assert_eq!(input.attr("placeholder").await.unwrap().as_deref(), Some("any day (yyyy-mm-dd)"));
        }
        let outcome = app.wait_for("[data-testid=history-outcome-filter]").await;
        outcome.select_by_value("no-answer").await.unwrap();
        eventually("the filter to apply", PATIENCE, || async {
            (app.text("[data-testid=history-count]").await == "0 calls").then_some(())
        })
        .await;
        outcome.select_by_value("").await.unwrap();
        // A day after the calls: none; a day that is not one is said, and left out.
        let from = app.wait_for("[data-testid=history-from]").await;
        from.send_keys("2999-01-01").await.unwrap();
        eventually("the date filter to apply", PATIENCE, || async {
            (app.text("[data-testid=history-count]").await == "0 calls").then_some(())
        })
        .await;
        replace_text(&from, "2999-02-30").await;
        assert!(app.text("[data-testid=history-date-problem]").await.starts_with("Write a day as yyyy-mm-dd"));
        eventually("the bad date left out", PATIENCE, || async {
            (app.text("[data-testid=history-count]").await == "2 calls").then_some(())
        })
        .await;
        replace_text(&from, "").await;

        // The vendor's name is said in the call; the matched words are marked.
        let search = app.wait_for("[data-testid=history-search]").await;
        replace_text(&search, "\"Pacific Bolt\"").await;
        let marked = eventually("hits for the name", PATIENCE, || async {
            let marked = app.texts("[data-testid=history-hit] mark").await;
            (!marked.is_empty()).then_some(marked)
        })
        .await;
        assert!(marked.iter().all(|phrase| phrase == "Pacific Bolt"), "{marked:?}");

        // Every quote call asks about lead time and hears it; within Pacific Bolt's call: two lines.
        replace_text(&app.wait_for("[data-testid=history-contact-text]").await, "Pacific").await;
        replace_text(&search, "\"lead time\"").await;
        eventually("the question and answer in Pacific Bolt's call", PATIENCE, || async {
            let texts = app.texts("[data-testid=history-hit] .snippet").await;
            (texts.len() == 2 && texts.iter().all(|t| t.to_lowercase().contains("lead time"))).then_some(())
        })
        .await;
        let seq = app.attrs("[data-testid=history-hit]", "data-seq").await.remove(0);
        let call_id = app.attrs("[data-testid=history-hit]", "data-call-id").await.remove(0);
        app.screenshot("history-search").await;
        app.wait_for("[data-testid=history-hit]").await.click().await.unwrap();

        let line_css =
            format!("[data-testid=call-view][data-call-id='{call_id}'] [data-testid=history-line][data-seq='{seq}']");
        let line = app.wait_for(&line_css).await;
        assert!(line.attr("class").await.unwrap().unwrap_or_default().contains("focused"), "the hit's line is marked");
        let text = line.text().await.unwrap();
        assert!(text.to_lowercase().contains("lead time"), "{text}");
        assert!(seq.parse::<u32>().unwrap() > 0, "a line inside the call, not its greeting");
        eventually("the line scrolled into view", PATIENCE, || async { app.in_view(&line_css).await.then_some(()) })
            .await;
        // Only the transcript scrolled: the call's header and its player are still in view.
        app.wait_for("[data-testid=recording-player]").await;
        assert!(app.in_view("[data-testid=call-view] header").await, "the call's header scrolled away");
        assert!(app.in_view("[data-testid=recording-player]").await, "the player scrolled away");
        app.screenshot("history-call").await;
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_recording_plays_on_the_speakers_and_the_transcript_follows() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        // ALSA's default output is the test's: what the app plays can be checked.
        let speakers = Speakers::start();
        let app = App::start_with_env(data.path(), 20, &[("HOME", speakers.home())]).await;
        app.call_contact("Acme Fasteners").await;
        app.until_call_completed().await;

        let before = app.play_newest_recording().await;
        assert!(before.starts_with("0:00 / "), "{before}");
        eventually("a line of the transcript to follow the audio", PATIENCE, || async {
            (!app.attrs("[data-testid=history-line].playing", "data-seq").await.is_empty()).then_some(())
        })
        .await;
        // The call's voices reach the speakers (a moment after the window shows their time).
        eventually("the recording's voices on the speakers", PATIENCE, || async {
            (peak(&speakers.since(0)) > 1_000).then_some(())
        })
        .await;

        // Seek: a later line's time plays from there, and the transcript follows to it.
        let times = app.texts("[data-testid=play-from-line]").await;
        let last = app.client.find_all(fantoccini::Locator::Css("[data-testid=play-from-line]")).await.unwrap();
        let (line, at) = (last.len() - 1, times.last().unwrap().clone());
        last[line].click().await.unwrap();
        let seq = app.attrs("[data-testid=history-line]", "data-seq").await.remove(line);
        eventually("the position at the last line", PATIENCE, || async {
            let playing = app.attrs("[data-testid=history-line].playing", "data-seq").await;
            let time = app.text("[data-testid=play-time]").await;
            (playing == [seq.clone()] && seconds(time.split(" / ").next().unwrap()) >= seconds(&at)).then_some(())
        })
        .await;
        app.click("play-toggle").await;

        // Export: the transcript, to the file chosen.
        let file = data.path().join("acme.txt");
        app.save_as("export-text", &file).await;
        assert_eq!(app.text("[data-testid=call-export-message]").await, format!("Saved {}", file.display()));
        let transcript = std::fs::read_to_string(&file).unwrap();
        assert!(transcript.contains("Acme Fasteners"), "{transcript}");
        // As CSV and as a workbook: the same table.
        let (csv, xlsx) = (data.path().join("acme.csv"), data.path().join("acme.xlsx"));
        for (button, file) in [("export-csv", &csv), ("export-xlsx", &xlsx)] {
            app.save_as(button, file).await;
            eventually("the export's notice", PATIENCE, || async {
                (app.text("[data-testid=call-export-message]").await == format!("Saved {}", file.display()))
                    .then_some(())
            })
            .await;
        }
        let (csv, xlsx) = (std::fs::read(&csv).unwrap(), std::fs::read(&xlsx).unwrap());
        assert!(xlsx.starts_with(b"PK"), "a real workbook");
        assert_eq!(read_table(&xlsx).unwrap(), read_table(&csv).unwrap());
        app.quit().await;
    })
    .await;
}

#[tokio::test]
async fn a_calls_audio_pacing_and_what_the_callee_heard_are_shown() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 20).await;
        app.call_contact("Acme Fasteners").await;
        app.until_call_completed().await;
        app.click("nav-history").await;
        app.click("history-row").await;
        app.wait_for("[data-testid=call-view]").await;
        let call_id = app.attrs("[data-testid=call-view]", "data-call-id").await.remove(0);
        assert!(app.texts("[data-testid=audio-pacing]").await.is_empty(), "the simulator sends no audio frames");
        assert!(app.texts("[data-testid=heard-latency]").await.is_empty(), "nor reads its recording's timing");

        // The pacing a pipeline call's playout would have reported, and what its recording said
        // the callee heard, stored beside the app's own.
        let store = Store::open(&data.path().join("switchboard.sqlite3")).unwrap();
        let pacing = AudioPacing { frames: 1_500, late: 3, worst_gap_ms: 64 };
        let call = CallId(call_id.parse().unwrap());
        store.record_audio_pacing(call, &pacing).unwrap();
        store.record_heard_latency(call, &HeardLatency::new(Some(62), &[1_040, 1_100, 990])).unwrap();
        app.click("history-row").await;
        let shown = app.wait_for("[data-testid=audio-pacing]").await;
        let text = shown.text().await.unwrap();
        assert!(text.starts_with("0:30 of agent audio, 3 frames late (longest gap 64 ms)"), "{text}");
        assert!(shown.attr("class").await.unwrap().unwrap_or_default().contains("late-audio"), "late frames stand out");
        let heard = app.wait_for("[data-testid=heard-latency]").await.text().await.unwrap();
        assert_eq!(
            heard,
            "Heard by the callee: first words 62 ms after the answer; replies 1040 ms after they stopped speaking \
             (median of 3 replies, worst 1100 ms)"
        );
        app.quit().await;
    })
    .await;
}

/// The seconds of an `m:ss` time as the player shows it.
fn seconds(clock: &str) -> u32 {
    let (minutes, seconds) = clock.trim().split_once(':').expect("an m:ss time");
    minutes.parse::<u32>().unwrap() * 60 + seconds.parse::<u32>().unwrap()
}
