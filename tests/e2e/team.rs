//! Team mode in the real window: a `serve --team` process on a profile of its own, and two
//! consoles (each with its own profile) signed in to it as two dispatchers. The first launches a
//! campaign, the second sees it live, the first closes and the campaign goes on to its end; the
//! second then goes back to its own computer's engine. Each dispatcher's phone is their own,
//! and the theme each console's. A viewer's console cannot call or launch,
//! and signs in again when its session expires. With the server stopped, History lists,
//! searches and opens calls from the console's offline copy, saying so, until it is back. A
//! server whose certificate an authority the console's system trusts signed is signed in to with
//! nothing to compare, and keeps working when its certificate is renewed.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use switchboard_fakes::team_announcement::team_server_address;

use crate::app::{App, PATIENCE, TEST_LIMIT, app_binary, eventually, replace_text, within};

const PASSWORD: &str = "dispatchers' password";

fn switchboard(data: &Path) -> Command {
    let mut command = Command::new(app_binary());
    command.env("SWITCHBOARD_DATA_DIR", data).env("RUST_LOG", "warn");
    command
}

/// `switchboard team add-user NAME --role ROLE` on `data`, the password on stdin.
pub fn add_user(data: &Path, name: &str, role: &str) {
    let mut child = switchboard(data)
        .args(["team", "add-user", name, "--role", role])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
}

/// A running `serve --team`, killed when the test ends.
pub struct TeamServer {
    child: Child,
    url: String,
    fingerprint: String,
}

impl TeamServer {
    /// A server whose simulated calls run 20 times as fast as in real life.
    fn start(data: &Path) -> Self {
        Self::start_with(data, "127.0.0.1:0", "20", &[])
    }

    /// `serve --team` on `data`, listening on `address` (`host:port`; port 0 picks one).
    fn start_on(data: &Path, address: &str) -> Self {
        Self::start_with(data, address, "20", &[])
    }

    /// A server whose simulated calls run at `time_scale` (1: real time).
    pub fn start_at(data: &Path, time_scale: &str) -> Self {
        Self::start_with(data, "127.0.0.1:0", time_scale, &[])
    }

    /// `serve --team` on `data` at `address`, its simulated calls at `time_scale`, with more
    /// arguments (`--tls-cert`, say).
    fn start_with(data: &Path, address: &str, time_scale: &str, args: &[&str]) -> Self {
        let mut child = switchboard(data)
            .args(["serve", "--no-keychain", "--port", "0", "--team", "--bind", address])
            .args(args)
            .env("SWITCHBOARD_SIM_CAST", "cooperative")
            .env("SWITCHBOARD_SIM_TIME_SCALE", time_scale)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let (address, fingerprint) = team_server_address(&mut child);
        Self { child, url: format!("https://{address}"), fingerprint }
    }
}

impl TeamServer {
    /// Stops the server as a crash would.
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for TeamServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Settings → Team server: the address, the certificate checked against the one the server
/// printed and trusted, the account; the window then shows the server and who is signed in.
pub async fn sign_in(app: &App, server: &TeamServer, name: &str, role: &str) {
    fill_sign_in(app, server, name).await;
    submit_sign_in(app, server, name, role).await;
}

/// Signs in with what Settings → Team server holds; the window then shows the server and who
/// is signed in.
async fn submit_sign_in(app: &App, server: &TeamServer, name: &str, role: &str) {
    // Signing in reads the whole window again from the server: this mark goes with the old page.
    app.client.execute("window.beforeSignIn = true", vec![]).await.unwrap();
    app.click("team-sign-in").await;
    eventually("the window to show the team server", PATIENCE, || async {
        let reloaded = app.client.execute("return window.beforeSignIn === undefined", vec![]).await.ok()?;
        let note = app.texts("[data-testid=team-note]").await.join(" ");
        let shown = note.contains(&server.url) && note.contains(&format!("{name} ({role})"));
        (reloaded == serde_json::Value::Bool(true) && shown).then_some(())
    })
    .await;
}

/// Fills Settings → Team server for `name` on `server`, its certificate checked and trusted.
async fn fill_sign_in(app: &App, server: &TeamServer, name: &str) {
    app.click("nav-settings").await;
    replace_text(&app.wait_for("[data-testid=team-url]").await, &server.url).await;
    app.click("team-check").await;
    assert_eq!(app.text("[data-testid=team-fingerprint]").await, server.fingerprint);
    app.click("team-trust").await;
    replace_text(&app.wait_for("[data-testid=team-name]").await, name).await;
    replace_text(&app.wait_for("[data-testid=team-password]").await, PASSWORD).await;
}

/// The name and status of each campaign the campaigns list shows.
async fn campaigns(app: &App) -> Vec<String> {
    app.texts("[data-testid=campaign-row]").await
}

/// The pid of the console holding the profile at `data`, once one does.
fn console_pid(data: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data.join("switchboard.lock")).ok()?;
    let (pid, holder) = text.trim().split_once(' ')?;
    (holder == "console").then(|| pid.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_launched_from_a_team_console_is_seen_live_by_another_and_outlives_its_console() {
    within(TEST_LIMIT, async {
        let server_data = tempfile::tempdir().unwrap();
        for name in ["ana", "ben"] {
            add_user(server_data.path(), name, "dispatcher");
        }
        let server = TeamServer::start(server_data.path());
        let first_data = tempfile::tempdir().unwrap();
        let second_data = tempfile::tempdir().unwrap();
        let first = App::start(first_data.path(), 1).await;
        let second = App::start(second_data.path(), 1).await;

        // A wrong password and an untrusted certificate are refused, each beside its input.
        first.click("nav-settings").await;
        replace_text(&first.wait_for("[data-testid=team-url]").await, &server.url).await;
        replace_text(&first.wait_for("[data-testid=team-name]").await, "ana").await;
        replace_text(&first.wait_for("[data-testid=team-password]").await, "not the password").await;
        first.click("team-sign-in").await;
        let untrusted = first.text("[data-testid=team-error]").await;
        assert!(untrusted.contains("this computer does not trust the certificate of"), "{untrusted}");
        assert!(untrusted.contains("compare its fingerprint"), "{untrusted}");
        first.click("team-check").await;
        first.click("team-trust").await;
        first.click("team-sign-in").await;
        eventually("the wrong password refused", PATIENCE, || async {
            let error = first.text("[data-testid=team-error]").await;
            (error == "the name or the password is wrong").then_some(())
        })
        .await;

        // With a call on the line here, signing in (which stops this computer's engine) is
        // refused, saying why; once the dispatcher has ended it, it goes ahead.
        first.call_contact("Acme Fasteners").await;
        first.wait_for("[data-testid=section-live]").await;
        fill_sign_in(&first, &server, "ana").await;
        first.click("team-sign-in").await;
        let refused = eventually("the sign-in refused", PATIENCE, || async {
            first.texts("[data-testid=team-error]").await.into_iter().find(|text| text.contains("on the line"))
        })
        .await;
        assert_eq!(
            refused,
            "a call is on the line on this computer: end or finish them first, signing in would cut them off"
        );
        first.click("nav-live").await;
        first.click("control-end").await;
        first.click("control-confirm-yes").await;
        eventually("the call ended", PATIENCE, || async {
            (first.text("[data-testid=detail-state]").await == "canceled").then_some(())
        })
        .await;
        sign_in(&first, &server, "ana", "dispatcher").await;
        sign_in(&second, &server, "ben", "dispatcher").await;

        // Each dispatcher's phone is their own: ana's does not become ben's.
        first.click("nav-settings").await;
        first.wait_for("[data-testid=dispatcher-phone-team]").await;
        replace_text(&first.wait_for("[data-testid=dispatcher-phone]").await, "+1 312 555 0101").await;
        first.click("dispatcher-phone-save").await;
        eventually("ana's phone saved", PATIENCE, || async {
            let message = first.text("[data-testid=dispatcher-phone-message]").await;
            (message == "Calls you take over ring +13125550101.").then_some(())
        })
        .await;
        second.click("nav-campaigns").await;
        second.click("nav-settings").await;
        second.wait_for("[data-testid=dispatcher-phone-team]").await;
        let bens = second.wait_for("[data-testid=dispatcher-phone]").await.prop("value").await.unwrap();
        assert_eq!(bens.as_deref(), Some(""), "ben has no phone of his own, and the team has none");

        // The theme is the console's own, signed in or not: kept in its profile, not the server's.
        first.wait_for("[data-testid=theme-select]").await.select_by_value("dark").await.unwrap();
        eventually("the theme kept by the first console", PATIENCE, || async {
            (std::fs::read_to_string(first_data.path().join("theme")).ok()? == "dark").then_some(())
        })
        .await;
        let server_db = rusqlite::Connection::open(server_data.path().join("switchboard.sqlite3")).unwrap();
        let themes: i64 =
            server_db.query_row("SELECT count(*) FROM settings WHERE key = 'theme'", [], |row| row.get(0)).unwrap();
        assert_eq!(themes, 0, "the server keeps no console's theme");

        // The first console launches a campaign on the team server.
        first.click("nav-campaigns").await;
        first.click("new-campaign").await;
        first.wait_for("[data-testid=campaign-name]").await.send_keys("Team M8 bolts").await.unwrap();
        first.click("campaign-pick-all").await;
        first.click("campaign-ignore-windows").await;
        first.fill_request("M8 bolts", 10000).await;
        first.launch_campaign().await;
        first.wait_for("[data-testid=campaign-detail]").await;

        // The second console sees it, live: its calls come in on the server's event stream.
        second.click("nav-campaigns").await;
        eventually("the second console to list the campaign running", PATIENCE, || async {
            let rows = campaigns(&second).await;
            rows.iter().any(|row| row.contains("Team M8 bolts") && row.contains("running")).then_some(())
        })
        .await;
        second.click("campaign-row").await;
        eventually("a call of the campaign to show on the second console", PATIENCE, || async {
            let statuses = second.attrs("[data-testid=campaign-target]", "data-status").await;
            statuses.iter().any(|status| status == "calling" || status == "done").then_some(())
        })
        .await;

        // Closing the first console does not stop the campaign: it runs on the server to its end.
        assert_ne!(second.text("[data-testid=campaign-detail-status]").await, "completed");
        first.quit().await;
        eventually("the campaign to complete on the server", Duration::from_secs(240), || async {
            (second.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;
        second.assert_no_page_errors("after the campaign completed").await;

        // "Use this computer": the second console signs out and starts again on its own engine.
        second.click("nav-settings").await;
        second.wait_for("[data-testid=team-signed-in]").await;
        let signed_in = console_pid(second_data.path()).expect("the second console holds its profile");
        assert!(second_data.path().join("team.json").exists());
        second.click("team-use-local").await;
        eventually("the console to start again on its own engine", PATIENCE, || async {
            let restarted = console_pid(second_data.path()).filter(|pid| *pid != signed_in);
            restarted.filter(|_| !second_data.path().join("team.json").exists()).map(|_| ())
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewers_console_cannot_call_or_launch_and_signs_in_again_when_its_session_expires() {
    within(TEST_LIMIT, async {
        let server_data = tempfile::tempdir().unwrap();
        add_user(server_data.path(), "vic", "viewer");
        let server = TeamServer::start(server_data.path());
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        sign_in(&app, &server, "vic", "viewer").await;

        app.click("nav-contacts").await;
        app.wait_for("[data-testid=contact-row]").await;
        let calls = app.attrs("[data-testid=call-button]", "disabled").await;
        assert!(!calls.is_empty() && calls.iter().all(|disabled| disabled == "true"), "{calls:?}");
        app.click("nav-campaigns").await;
        let launch = app.wait_for("[data-testid=new-campaign]").await;
        assert!(!launch.is_enabled().await.unwrap(), "a viewer cannot run campaigns");

        // The session expires on the server: its event stream closes and, with nothing clicked,
        // the window says to sign in again; that works.
        let server_db = rusqlite::Connection::open(server_data.path().join("switchboard.sqlite3")).unwrap();
        assert_eq!(server_db.execute("UPDATE team_sessions SET expires_at = 0", []).unwrap(), 1);
        eventually("the window to say the session expired", PATIENCE, || async {
            let code = app.attrs("[data-testid=error-banner]", "data-code").await;
            (code == ["unauthorized"]).then_some(())
        })
        .await;
        let message = app.text("[data-testid=error-message]").await;
        assert!(message.starts_with("The team server:") && message.contains("sign in again"), "{message}");
        app.take_page_errors().await;
        sign_in(&app, &server, "vic", "viewer").await;
        app.click("nav-contacts").await;
        app.wait_for("[data-testid=contact-row]").await;
        assert!(app.texts("[data-testid=error-banner]").await.is_empty());
        app.quit().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn history_reads_its_offline_copy_while_the_team_server_is_down_and_says_so_until_it_is_back() {
    within(TEST_LIMIT, async {
        let server_data = tempfile::tempdir().unwrap();
        add_user(server_data.path(), "ana", "dispatcher");
        let mut server = TeamServer::start(server_data.path());
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        sign_in(&app, &server, "ana", "dispatcher").await;

        // A call on the team server, opened in History while the server answers.
        app.call_contact("Acme Fasteners").await;
        app.until_call_completed().await;
        app.click("nav-history").await;
        app.click("history-row").await;
        let lines = eventually("the call's transcript", PATIENCE, || async {
            let lines = app.texts("[data-testid=call-view] [data-testid=history-line]").await;
            (!lines.is_empty()).then_some(lines)
        })
        .await;
        let call_id = app.attrs("[data-testid=history-row]", "data-call-id").await.remove(0);
        assert!(app.texts("[data-testid=history-offline]").await.is_empty(), "the server answers: no copy shown");
        // A word said on the call, to search for.
        let said = app.texts("[data-testid=call-view] [data-testid=history-line] .text").await;
        let word = said
            .iter()
            .flat_map(|line| line.split(|c: char| !c.is_alphabetic()))
            .find(|word| word.len() >= 6)
            .expect("a word to search for")
            .to_owned();

        // The server stops: History, opened again, lists from the copy and says so.
        let address = server.url.trim_start_matches("https://").to_owned();
        server.stop();
        app.click("nav-live").await;
        app.click("nav-history").await;
        let label = eventually("History to say it shows the offline copy", PATIENCE, || async {
            app.texts("[data-testid=history-offline]").await.into_iter().next()
        })
        .await;
        assert!(label.starts_with(&format!("Offline copy — last updated from {} at ", server.url)), "{label}");
        assert!(label.contains("cannot be reached"), "{label}");
        assert_eq!(app.attrs("[data-testid=history-row]", "data-call-id").await, std::slice::from_ref(&call_id));
        assert_eq!(app.text("[data-testid=history-count]").await, "1 call");

        // It searches the transcript, and opens the call at the line found.
        replace_text(&app.wait_for("[data-testid=history-search]").await, &word).await;
        let hits = eventually("a search hit from the copy", PATIENCE, || async {
            let hits = app.attrs("[data-testid=history-hit]", "data-call-id").await;
            (!hits.is_empty()).then_some(hits)
        })
        .await;
        assert!(hits.iter().all(|hit| *hit == call_id), "{hits:?}");
        app.wait_for("[data-testid=history-hit]").await.click().await.unwrap();
        eventually("the call opened from the copy", PATIENCE, || async {
            let shown = app
                .texts(&format!("[data-testid=call-view][data-call-id='{call_id}'] [data-testid=history-line]"))
                .await;
            (shown == lines).then_some(())
        })
        .await;

        // What needs the server is refused, saying why.
        app.call_contact("Acme Fasteners").await;
        eventually("the call refused", PATIENCE, || async {
            let messages = app.texts("[data-testid=error-message]").await;
            messages
                .iter()
                .any(|message| {
                    message.starts_with("Calling Acme Fasteners: the team server at ")
                        && message.contains("cannot be reached")
                        && message.ends_with("this needs the server; History shows its offline copy")
                })
                .then_some(())
        })
        .await;

        // The server is back on its address: with nothing clicked, the label goes.
        let _server = TeamServer::start_on(server_data.path(), &address);
        app.click("nav-history").await;
        eventually("the offline copy's label to go", Duration::from_secs(90), || async {
            app.texts("[data-testid=history-offline]").await.is_empty().then_some(())
        })
        .await;
        assert_eq!(app.attrs("[data-testid=history-row]", "data-call-id").await, [call_id]);
        app.quit().await;
    })
    .await;
}

/// A certificate authority made for the test; the console trusts it through `SSL_CERT_FILE`.
struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: tempfile::TempDir,
}

impl TestCa {
    const NAME: &str = "Switchboard Test CA";

    fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, Self::NAME);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).unwrap();
        Self { issuer, dir }
    }

    /// The file the console's `SSL_CERT_FILE` names.
    fn file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `serve --team`'s arguments for a certificate for 127.0.0.1 the CA signed (files `name`.pem
    /// and `name`.key).
    fn server_args(&self, name: &str) -> Vec<String> {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&key, &self.issuer).unwrap();
        let (cert_path, key_path) =
            (self.dir.path().join(format!("{name}.pem")), self.dir.path().join(format!("{name}.key")));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        let path = |path: PathBuf| path.to_str().unwrap().to_owned();
        vec!["--tls-cert".to_owned(), path(cert_path), "--tls-key".to_owned(), path(key_path)]
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_a_trusted_authority_signed_needs_no_fingerprint_and_keeps_working_when_renewed() {
    within(TEST_LIMIT, async {
        let ca = TestCa::new();
        let server_data = tempfile::tempdir().unwrap();
        add_user(server_data.path(), "ana", "dispatcher");
        let first = ca.server_args("first");
        let mut server = TeamServer::start_with(server_data.path(), "127.0.0.1:0", "20", &args(&first));
        let data = tempfile::tempdir().unwrap();
        let app = App::start_with_env(data.path(), 1, &[("SSL_CERT_FILE", &ca.file())]).await;

        // Checking the certificate names its issuer, with no fingerprint to compare or trust.
        app.click("nav-settings").await;
        replace_text(&app.wait_for("[data-testid=team-url]").await, &server.url).await;
        app.click("team-check").await;
        assert_eq!(app.text("[data-testid=team-issuer]").await, format!("CN={}", TestCa::NAME));
        assert!(app.texts("[data-testid=team-fingerprint]").await.is_empty());
        assert!(app.texts("[data-testid=team-trust]").await.is_empty());
        replace_text(&app.wait_for("[data-testid=team-name]").await, "ana").await;
        replace_text(&app.wait_for("[data-testid=team-password]").await, PASSWORD).await;
        submit_sign_in(&app, &server, "ana", "dispatcher").await;

        // The profile keeps that the system trusts it, and no pin.
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data.path().join("team.json")).unwrap()).unwrap();
        assert_eq!(saved["trust"], serde_json::json!({ "by": "system", "issuer": format!("CN={}", TestCa::NAME) }));
        assert!(!saved.to_string().contains(&server.fingerprint), "no pin is kept: {saved}");
        app.click("nav-settings").await;
        let trust = app.text("[data-testid=team-signed-in-trust]").await;
        assert!(trust.contains("trusted by this computer's system"), "{trust}");

        // The certificate is renewed (a new key, so a new fingerprint): the console goes on.
        let address = server.url.trim_start_matches("https://").to_owned();
        server.stop();
        let renewed = TeamServer::start_with(server_data.path(), &address, "20", &args(&ca.server_args("renewed")));
        assert_ne!(renewed.fingerprint, server.fingerprint);
        app.call_contact("Acme Fasteners").await;
        app.until_call_completed().await;
        assert!(app.texts("[data-testid=error-banner]").await.is_empty());
        app.quit().await;
    })
    .await;
}

fn args(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}
