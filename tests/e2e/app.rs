//! Starting the real app under tauri-driver and driving it with WebDriver.

use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, NewSessionError};
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::process::{Child, Command};

/// How long to wait for something the console should show.
pub const PATIENCE: Duration = Duration::from_secs(30);
/// How long one whole test may take.
pub const TEST_LIMIT: Duration = Duration::from_secs(240);

/// A running console window with its own tauri-driver.
pub struct App {
    pub client: Client,
    driver: Child,
}

impl App {
    /// Starts the app binary with `data_dir` as its profile. `sim_time_scale` speeds up calls.
    pub async fn start(data_dir: &Path, sim_time_scale: u32) -> App {
        Self::start_with_env(data_dir, sim_time_scale, &[]).await
    }

    /// [`App::start`] with extra environment variables for the app (and its driver).
    pub async fn start_with_env(data_dir: &Path, sim_time_scale: u32, env: &[(&str, &Path)]) -> App {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "the end-to-end tests need a display: run them through `make test` (Xvfb + D-Bus)"
        );
        let binary = app_binary();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("tauri:options".to_owned(), serde_json::json!({ "application": binary.to_string_lossy() }));
        let deadline = Instant::now() + PATIENCE;
        // A free port can be taken by another test between finding it and the driver binding
        // it; the driver then exits (or WebKitWebDriver cannot start), so try again on new ports.
        let mut attempts = 0;
        let (client, driver) = 'driver: loop {
            attempts += 1;
            let port = free_port();
            let mut driver = Command::new(tauri_driver())
                .args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
                .env("SWITCHBOARD_DATA_DIR", data_dir)
                .env("SWITCHBOARD_SIM_TIME_SCALE", sim_time_scale.to_string())
                // Every simulated callee answers, so the tests' outcomes do not depend on the cast.
                .env("SWITCHBOARD_SIM_CAST", "cooperative")
                // Several apps run at once: each listens for webhooks on a free port.
                .env("SWITCHBOARD_LISTENER_PORT", "0")
                .env("NO_AT_BRIDGE", "1")
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .envs(env.iter().copied())
                .stdout(Stdio::null())
                .stderr(driver_log(data_dir))
                .process_group(0)
                .spawn()
                .expect("tauri-driver could not start: is it installed? (`make test` installs it)");
            let url = format!("http://127.0.0.1:{port}");
            let group = driver.id();
            loop {
                let mut builder = ClientBuilder::native();
                let connect = builder.capabilities(capabilities.clone()).connect(&url);
                let connected = tokio::select! {
                    connected = connect => Some(connected),
                    _ = driver.wait() => None,
                    () = tokio::time::sleep_until(deadline.into()) => None,
                };
                let not_listening_yet = matches!(
                    &connected,
                    Some(Err(NewSessionError::Failed(_) | NewSessionError::FailedC(_) | NewSessionError::Lost(_)))
                );
                let err = match connected {
                    Some(Ok(client)) => break 'driver (client, driver),
                    Some(Err(err)) => err.to_string(),
                    None if Instant::now() >= deadline => "no answer".to_owned(),
                    None => "tauri-driver exited".to_owned(),
                };
                if Instant::now() >= deadline {
                    kill_group(group);
                    panic!("no WebDriver session with {} after {attempts} attempts: {err}", binary.display());
                }
                if not_listening_yet {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                    continue;
                }
                kill_group(group);
                assert!(attempts < 5, "tauri-driver failed {attempts} times to start a session: {err}");
                break;
            }
        };
        let app = App { client, driver };
        app.wait_for("[data-testid=nav-live]").await;
        app
    }

    /// Closes the window (ending the app) and stops the driver; fails the test if the page met
    /// an error since the last step.
    pub async fn quit(self) {
        self.assert_no_page_errors("at the end of the test").await;
        self.client.clone().close().await.expect("the WebDriver session did not close");
    }

    /// Takes (and clears) what the page recorded as going wrong: uncaught errors, unhandled
    /// promise rejections and `console.error` (ui/src/lib/page-errors.ts records them).
    pub async fn take_page_errors(&self) -> Vec<String> {
        let script = "return Array.isArray(window.pageErrors) ? window.pageErrors.splice(0) : ['the page-error recorder is not installed'];";
        let errors = self.client.execute(script, vec![]).await.expect("reading the page's errors failed");
        serde_json::from_value(errors).expect("the page's errors are a list of strings")
    }

    /// Fails the test, saying `when`, if the page met an error since the last check.
    pub async fn assert_no_page_errors(&self, when: &str) {
        let errors = self.take_page_errors().await;
        assert!(errors.is_empty(), "the page met errors {when}:\n  {}", errors.join("\n  "));
    }

    /// Reloads the page (as a dispatcher's F5 does) and waits until the new page has loaded.
    pub async fn reload(&self) {
        let reload = "window.beforeReload = true; setTimeout(() => location.reload(), 0);";
        self.client.execute(reload, vec![]).await.expect("the reload script failed");
        let loaded = "return window.beforeReload === undefined && document.readyState === 'complete';";
        eventually("the page to reload", PATIENCE, || async {
            self.client.execute(loaded, vec![]).await.ok()?.as_bool()?.then_some(())
        })
        .await;
    }

    /// Waits until an element matching `css` is shown; fails on any page error met meanwhile.
    pub async fn wait_for(&self, css: &str) -> Element {
        let found = self.client.wait().at_most(PATIENCE).for_element(Locator::Css(css)).await;
        match found {
            Ok(element) => {
                self.assert_no_page_errors(&format!("before {css} was shown")).await;
                element
            }
            Err(err) => {
                let errors = self.take_page_errors().await;
                panic!("{css} never appeared: {err}; the page's errors: {errors:?}")
            }
        }
    }

    /// Types a quote request's item and quantity (the campaign builder's or a quote call's).
    pub async fn fill_request(&self, item: &str, quantity: u32) {
        self.wait_for("[data-testid=request-item]").await.send_keys(item).await.unwrap();
        replace_text(&self.wait_for("[data-testid=request-quantity]").await, &quantity.to_string()).await;
    }

    /// Launches the campaign the builder holds. The builder first asks to confirm launching an
    /// agent that has not passed its rehearsal suite: that is confirmed (only rehearsals.rs
    /// tests the question itself).
    pub async fn launch_campaign(&self) {
        self.click("campaign-launch").await;
        let asked = eventually("the launch to ask to confirm, go ahead or be refused", PATIENCE, || async {
            if !self.texts("[data-testid=campaign-launch-confirm]").await.is_empty() {
                return Some(true);
            }
            let builder = self.texts("[data-testid=campaign-builder]").await;
            let refused = !self.texts("[data-testid=campaign-builder] .field-error").await.is_empty();
            (builder.is_empty() || refused).then_some(false)
        })
        .await;
        if asked {
            self.click("campaign-launch-anyway").await;
        }
    }

    /// Clicks the element with this `data-testid`.
    pub async fn click(&self, test_id: &str) {
        self.wait_for(&format!("[data-testid={test_id}]")).await.click().await.expect("click failed");
    }

    /// Clicks the element with this `data-testid` inside the first element matching `within`.
    pub async fn click_in(&self, within: &str, test_id: &str) {
        self.wait_for(&format!("{within} [data-testid={test_id}]")).await.click().await.expect("click failed");
    }

    /// Calls the sample contact `name` from Contacts (the Call button), as a dispatcher does.
    pub async fn call_contact(&self, name: &str) {
        self.click("nav-contacts").await;
        let button = format!("[data-testid=contact-row][data-contact-name='{name}'] [data-testid=call-button]");
        self.wait_for(&button).await.click().await.expect("click failed");
        // A quote call says what to quote first (vendors keep no request).
        let asks = eventually("the call to start or ask what to quote", PATIENCE, || async {
            if !self.texts("[data-testid=quote-call]").await.is_empty() {
                Some(true)
            } else {
                (!self.texts("[data-testid=section-live]").await.is_empty()).then_some(false)
            }
        })
        .await;
        if asks {
            self.fill_request("M8x50 hex bolts", 10000).await;
            self.click("quote-call-confirm").await;
        }
    }

    /// Waits until the call shown in Live has completed.
    pub async fn until_call_completed(&self) {
        self.wait_for("[data-testid=section-live]").await;
        eventually("the call to complete", Duration::from_secs(90), || async {
            (self.text("[data-testid=detail-state]").await == "completed").then_some(())
        })
        .await;
    }

    /// Clicks the button with this `data-testid`, which opens a save dialog, and answers it with
    /// `path`. The tests' apps share one X display and its keyboard, so one test at a time does:
    /// tests run in processes of their own, so the turn is a lock on a file all of them know.
    pub async fn save_as(&self, test_id: &str, path: &Path) {
        let _keyboard = keyboard_turn().await;
        self.click(test_id).await;
        self.answer_save_dialog(path).await;
    }

    /// Answers the native save dialog the app has opened (GTK's file chooser, on the test's X
    /// display) with `path`, as a person does: select the name, type the whole path, Enter.
    /// Keys can be lost on a loaded display (the dialog then stays open, or shows a half-typed
    /// path): the path is typed again, at most three times in all.
    async fn answer_save_dialog(&self, path: &Path) {
        // Only this app's dialog: other tests' apps share the display.
        let pid = self.app_pid().await;
        let find = ["search", "--all", "--onlyvisible", "--pid", &pid, "--name", "^Save"];
        let dialog = eventually("the save dialog", PATIENCE, || async {
            xdotool(&find).await.lines().next().map(str::to_owned)
        })
        .await;
        let closed = || async { xdotool(&find).await.trim().is_empty().then_some(()) };
        for _ in 0..3 {
            // The dialog is shown a moment before its name field takes keys.
            tokio::time::sleep(Duration::from_secs(1)).await;
            if closed().await.is_some() {
                return;
            }
            xdotool(&["windowfocus", "--sync", &dialog]).await;
            xdotool(&["key", "--clearmodifiers", "ctrl+a"]).await;
            xdotool(&["type", "--delay", "20", &path.display().to_string()]).await;
            xdotool(&["key", "Return"]).await;
            let waited = tokio::time::timeout(Duration::from_secs(8), eventually("", PATIENCE, closed)).await;
            if waited.is_ok() {
                return;
            }
        }
        eventually("the save dialog to close", Duration::from_secs(1), closed).await;
    }

    /// The app's process id (it runs in its driver's process group).
    async fn app_pid(&self) -> String {
        let group = self.driver.id().expect("the driver runs").to_string();
        let found = Command::new("pgrep").args(["-g", &group, "-x", "switchboard"]).output().await.expect("pgrep runs");
        let pid = String::from_utf8_lossy(&found.stdout).lines().next().map(str::to_owned);
        pid.expect("the app runs in its driver's process group")
    }

    /// The text of every element matching `css`.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        self.read_all(css, |element| async move { element.text().await }).await
    }

    /// The attribute `name` of every element matching `css` (for elements scrolled out of view,
    /// whose text WebDriver reports as empty).
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        self.read_all(css, |element| async move { element.attr(name).await.map(Option::unwrap_or_default) }).await
    }

    /// `read` of every element matching `css`. The page may re-render while the elements are
    /// found or read (WebDriver then calls an element stale): they are found again.
    async fn read_all<Read, Reading>(&self, css: &str, read: Read) -> Vec<String>
    where
        Read: Fn(Element) -> Reading,
        Reading: Future<Output = Result<String, CmdError>>,
    {
        'find: loop {
            let mut values = Vec::new();
            let elements = match self.client.find_all(Locator::Css(css)).await {
                Ok(elements) => elements,
                Err(err) if err.is_stale_element_reference() => continue 'find,
                Err(err) => panic!("finding {css} failed: {err}"),
            };
            for element in elements {
                match read(element).await {
                    Ok(value) => values.push(value),
                    Err(err) if err.is_stale_element_reference() => continue 'find,
                    Err(err) => panic!("reading {css} failed: {err}"),
                }
            }
            self.assert_no_page_errors(&format!("while reading {css}")).await;
            return values;
        }
    }

    /// Whether the first element matching `css` is on screen, inside its scrolled container.
    pub async fn in_view(&self, css: &str) -> bool {
        let script = "const e = document.querySelector(arguments[0]); if (!e) return false;
            const r = e.getBoundingClientRect();
            let p = e.parentElement;
            while (p && p.scrollHeight <= p.clientHeight) p = p.parentElement;
            const box = p ? p.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
            return r.top >= box.top && r.bottom <= box.bottom;";
        let shown = self.client.execute(script, vec![css.into()]).await.expect("the script failed");
        shown.as_bool().unwrap_or(false)
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("text failed")
    }

    /// Opens the newest call in History and plays its recording until the position moves;
    /// returns the play time shown before it played ("0:00 / length").
    pub async fn play_newest_recording(&self) -> String {
        self.click("nav-history").await;
        self.click("history-row").await;
        self.wait_for("[data-testid=recording-player]").await;
        let before = self.text("[data-testid=play-time]").await;
        self.click("play-toggle").await;
        let position = eventually("the position to move", PATIENCE, || async {
            let time = self.text("[data-testid=play-time]").await;
            (!time.starts_with("0:00 / ")).then_some(time)
        })
        .await;
        assert!(self.texts("[data-testid=playback-error]").await.is_empty(), "played without an error ({position})");
        before
    }

    /// Saves a screenshot under `target/e2e-screenshots/` in each theme, `NAME.png` dark and
    /// `NAME-light.png` light (kept for the README and for failures), then shows the theme the
    /// window had.
    pub async fn screenshot(&self, name: &str) {
        let theme = |value: &str| {
            format!(
                "const was = document.documentElement.dataset.theme ?? '';
            document.documentElement.dataset.theme = '{value}' || was; return was;"
            )
        };
        let was = self.client.execute(&theme("dark"), vec![]).await.expect("the theme script failed");
        self.screenshot_as(name).await;
        self.client.execute(&theme("light"), vec![]).await.expect("the theme script failed");
        self.screenshot_as(&format!("{name}-light")).await;
        self.client.execute(&theme(was.as_str().unwrap_or_default()), vec![]).await.expect("the theme script failed");
    }

    /// Saves one screenshot of the window as it is.
    /// WebKitWebDriver sometimes never answers a screenshot request; a missing picture is not a
    /// failure of the app, so that is reported and the test goes on.
    async fn screenshot_as(&self, name: &str) {
        // WebKitWebDriver answers a screenshot at the page's next paint, and a still page never
        // paints: keep one corner pixel changing for a moment while the picture is taken.
        let keep_painting = "const dot = document.createElement('div');
            dot.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none';
            document.body.appendChild(dot);
            const until = performance.now() + 3000;
            const tick = (t) => { dot.style.background = `rgba(0,0,0,${(t % 2) / 100})`;
                                  if (t < until) requestAnimationFrame(tick); else dot.remove(); };
            requestAnimationFrame(tick);";
        self.client.execute(keep_painting, vec![]).await.expect("the paint script failed");
        let png = match tokio::time::timeout(Duration::from_secs(10), self.client.screenshot()).await {
            Ok(result) => result.expect("screenshot failed"),
            Err(_) => {
                eprintln!("screenshot {name}: WebKitWebDriver did not answer within 10 s; skipped");
                return;
            }
        };
        let dir = workspace_root().join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir).expect("cannot create the screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("cannot save the screenshot");
    }
}

impl Drop for App {
    /// Ends tauri-driver, WebKitWebDriver and the app together (one process group), also when a
    /// test fails half-way.
    fn drop(&mut self) {
        kill_group(self.driver.id());
    }
}

/// Kills the process group `group` led by tauri-driver: the driver, WebKitWebDriver and the app.
fn kill_group(group: Option<u32>) {
    if let Some(pid) = group {
        // `--` matters: procps kill reads a bare "-<pgid>" after "-KILL" as something else
        // and signals far more than this group.
        let group = format!("-{pid}");
        let _ = std::process::Command::new("kill").args(["-s", "KILL", "--", &group]).status();
    }
}

/// Replaces an input's text the way a person does (select all, type), so the page sees input
/// events; WebDriver's own "clear" does not fire them in WebKit. The selection is made by the
/// page itself: a typed Ctrl+A lands wherever the caret was when the window is slow to focus.
/// Keys sent while two windows share the display can be lost: the text is typed again (at most
/// three times) until the input holds it.
pub async fn replace_text(element: &Element, text: &str) {
    use fantoccini::key::Key;
    let select = "arguments[0].focus(); arguments[0].select();";
    let target = serde_json::to_value(element).expect("an element is JSON");
    for _ in 0..3 {
        element.clone().client().execute(select, vec![target.clone()]).await.expect("selecting the text failed");
        element.send_keys(&char::from(Key::Backspace).to_string()).await.expect("deleting the text failed");
        if !text.is_empty() {
            element.send_keys(text).await.expect("typing failed");
        }
        if element.prop("value").await.expect("reading the input failed").as_deref() == Some(text) {
            return;
        }
    }
}

/// Runs a whole test with a time limit, so a stuck window fails the test instead of hanging CI.
pub async fn within<F: Future<Output = ()>>(limit: Duration, test: F) {
    if tokio::time::timeout(limit, test).await.is_err() {
        panic!("the test did not finish within {limit:?}");
    }
}

/// Polls `check` until it returns `Some`, failing with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_owned()
}

/// The app binary: `SWITCHBOARD_APP`, else the workspace's debug build.
pub fn app_binary() -> PathBuf {
    let binary = std::env::var_os("SWITCHBOARD_APP").map(PathBuf::from).unwrap_or_else(|| {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
        target.join("debug/switchboard")
    });
    assert!(binary.is_file(), "{} is missing: build the app first (`make test` does)", binary.display());
    binary
}

/// The driver's and the app's output go to `target/e2e-logs/`, named after the data directory.
fn driver_log(data_dir: &Path) -> Stdio {
    let dir = workspace_root().join("target/e2e-logs");
    let name = data_dir.file_name().unwrap_or_default().to_string_lossy().trim_start_matches('.').to_owned();
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::File::options().create(true).append(true).open(dir.join(format!("{name}.log"))))
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::null())
}

fn tauri_driver() -> PathBuf {
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    in_cargo_home.filter(|path| path.is_file()).unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

/// Runs xdotool with `args` on the test's display; its output.
async fn xdotool(args: &[&str]) -> String {
    let output = Command::new("xdotool")
        .args(args)
        .output()
        .await
        .expect("xdotool could not run: is it installed? (`make test` installs it)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("no free port").port()
}

/// Waits for this test's turn at the X display's keyboard; the turn lasts while the file is held.
async fn keyboard_turn() -> std::fs::File {
    let path = std::env::temp_dir().join("switchboard-e2e-keyboard.lock");
    let file = std::fs::File::options().create(true).truncate(false).write(true).open(&path).unwrap();
    tokio::task::spawn_blocking(move || {
        file.lock().expect("locking the keyboard's turn failed");
        file
    })
    .await
    .unwrap()
}
