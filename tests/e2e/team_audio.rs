//! A call's audio on this computer's speakers while signed in to a team server, in the real
//! window: Listen plays a live call of the server's (ALSA's output, read by the test) until the
//! call ends, and its recording, fetched from the server, plays in History.

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};
use crate::listen::{until_listening, until_listening_ends_with_the_call};
use crate::speakers::{Speakers, peak};
use crate::team::{TeamServer, add_user, sign_in};

#[tokio::test(flavor = "multi_thread")]
async fn signed_in_a_console_listens_in_to_a_team_call_and_plays_its_recording() {
    within(TEST_LIMIT, async {
        let server_data = tempfile::tempdir().unwrap();
        add_user(server_data.path(), "ana", "dispatcher");
        // Real time: the call lasts about a minute, heard as it happens.
        let server = TeamServer::start_at(server_data.path(), "1");
        let data = tempfile::tempdir().unwrap();
        let speakers = Speakers::start();
        let app = App::start_with_env(data.path(), 1, &[("HOME", speakers.home())]).await;
        sign_in(&app, &server, "ana", "dispatcher").await;

        // A call on the team server, listened to here: its voices reach this computer's speakers.
        app.call_contact("Acme Fasteners").await;
        app.wait_for("[data-testid=section-live]").await;
        app.click("listen-toggle").await;
        until_listening(&app, true).await;
        eventually("the team's call on the speakers", PATIENCE, || async {
            (peak(&speakers.next(std::time::Duration::from_secs(3)).await) > 4_000).then_some(())
        })
        .await;
        app.screenshot("team-listening").await;

        // The call ends on the server: listening stops with it and the speakers fall quiet.
        until_listening_ends_with_the_call(&app, &speakers).await;

        // Its recording, kept on the server, plays here.
        let mark = speakers.played();
        let before = app.play_newest_recording().await;
        assert!(before.starts_with("0:00 / "), "{before}");
        eventually("the recording's voices on the speakers", PATIENCE, || async {
            (peak(&speakers.since(mark)) > 1_000).then_some(())
        })
        .await;
        app.assert_no_page_errors("after playing the team's recording").await;
        app.quit().await;
    })
    .await;
}
