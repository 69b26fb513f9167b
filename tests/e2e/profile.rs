//! One engine per profile, in the real window: a console and a command line on one profile (the
//! second is refused by name and pid, and nothing is dialled twice), a second console window on a
//! profile handing over to the first, and consoles on different profiles side by side.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchboard_store::Store;

use crate::app::{App, PATIENCE, TEST_LIMIT, app_binary, eventually, replace_text, within};

const VENDORS: &str = "name,phone\n\
    Acme Fasteners,(312) 555-0143\n\
    Great Lakes,+1 216 555 0187\n\
    Pacific Bolt,503.555.0119\n";

fn switchboard(data: &Path) -> Command {
    let mut command = Command::new(app_binary());
    command.env("SWITCHBOARD_DATA_DIR", data).env("SWITCHBOARD_LISTENER_PORT", "0").env("RUST_LOG", "warn");
    command
}

/// `campaign run` over `vendors`, played `time_scale` times faster than real time.
fn campaign_run(data: &Path, vendors: &Path, time_scale: u32) -> Command {
    let mut command = switchboard(data);
    command
        .args(["campaign", "run", "--kind", "vendor-quote", "--agent", "Vendor quote", "--cast", "cooperative"])
        .args(["--ignore-windows", "--concurrency", "2", "--time-scale", &time_scale.to_string()])
        .args(["--item", "M8 bolts", "--quantity", "10000", "--target-price", "0.42"])
        .arg("--contacts")
        .arg(vendors);
    command
}

/// Who the profile's lock file names as its holder: (pid, what).
fn holder(data: &Path) -> Option<(u32, String)> {
    let text = std::fs::read_to_string(data.join("switchboard.lock")).ok()?;
    let (pid, what) = text.trim().split_once(' ')?;
    Some((pid.parse().ok()?, what.to_owned()))
}

/// Waits (90 s at most) for `child` to end; its output.
fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "pid {} never ended", child.id());
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

/// Every campaign call by (contact, round), checking none was closed as lost.
fn calls_per_target(data: &Path) -> HashMap<(i64, u8), usize> {
    let store = Store::open(&data.join("switchboard.sqlite3")).unwrap();
    let mut per_target = HashMap::new();
    for campaign in store.list_campaigns().unwrap() {
        for call in store.calls_in_campaign(campaign.id).unwrap() {
            assert_eq!(call.state.as_str(), "completed", "{call:?}");
            *per_target.entry((call.contact_id.0, call.round.unwrap())).or_default() += 1;
        }
    }
    per_target
}

#[tokio::test]
async fn a_command_on_a_profile_whose_console_runs_is_refused_and_controls_its_campaign() {
    within(TEST_LIMIT, async {
        let dir = tempfile::tempdir().unwrap();
        let (data, vendors) = (dir.path().join("profile"), dir.path().join("vendors.csv"));
        std::fs::write(&vendors, VENDORS).unwrap();
        let app = App::start(&data, 5).await;
        let (pid, what) = holder(&data).expect("the console holds its profile");
        assert_eq!(what, "console");
        assert_eq!(std::fs::read_link(format!("/proc/{pid}/exe")).unwrap(), app_binary().canonicalize().unwrap());

        app.click("nav-campaigns").await;
        app.click("new-campaign").await;
        app.wait_for("[data-testid=campaign-name]").await.send_keys("M8 bolts").await.unwrap();
        app.click("campaign-pick-all").await;
        app.click("campaign-ignore-windows").await;
        app.wait_for("[data-testid=request-item]").await.send_keys("M8 bolts").await.unwrap();
        replace_text(&app.wait_for("[data-testid=request-quantity]").await, "10000").await;
        app.launch_campaign().await;
        app.wait_for("[data-testid=campaign-detail]").await;

        let refused = campaign_run(&data, &vendors, 500).output().unwrap();
        let stderr = String::from_utf8_lossy(&refused.stderr);
        let message = format!("switchboard: Switchboard is already running with this profile, pid {pid} (console)\n");
        assert_eq!((refused.status.code(), stderr.as_ref()), (Some(2), message.as_str()));

        // Pause and resume from the command line: the console runs the campaign and shows it.
        let paused = switchboard(&data).args(["campaign", "pause", "1"]).output().unwrap();
        assert!(paused.status.success(), "{}", String::from_utf8_lossy(&paused.stderr));
        eventually("the console to show it paused", PATIENCE, || async {
            (app.text("[data-testid=campaign-detail-status]").await == "paused").then_some(())
        })
        .await;
        let resumed = switchboard(&data).args(["campaign", "resume", "1"]).output().unwrap();
        let said = String::from_utf8_lossy(&resumed.stdout);
        assert_eq!(said, format!("resumed campaign 1; pid {pid} (console) runs it\n"));
        eventually("the campaign to complete", Duration::from_secs(120), || async {
            (app.text("[data-testid=campaign-detail-status]").await == "completed").then_some(())
        })
        .await;
        app.quit().await;

        let per_target = calls_per_target(&data);
        assert!(per_target.values().all(|n| *n == 1), "one call per vendor and round: {per_target:?}");
        assert_eq!(per_target.keys().filter(|(_, round)| *round == 1).count(), 4, "{per_target:?}");
    })
    .await;
}

#[tokio::test]
async fn a_console_opened_while_a_campaign_runs_headless_says_who_has_the_profile() {
    within(TEST_LIMIT, async {
        let dir = tempfile::tempdir().unwrap();
        let (data, vendors) = (dir.path().join("profile"), dir.path().join("vendors.csv"));
        std::fs::write(&vendors, VENDORS).unwrap();
        let run = campaign_run(&data, &vendors, 20).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let pid = run.id();
        eventually("the run to hold the profile", PATIENCE, || async {
            (holder(&data) == Some((pid, "campaign run #1".to_owned()))).then_some(())
        })
        .await;

        let app = App::start(&data, 30).await;
        let shown = app.text("[data-testid=startup-error]").await;
        let expected = format!("Switchboard is already running with this profile, pid {pid} (campaign run #1)");
        assert!(shown.contains(&expected), "{shown}");
        assert!(!data.join("logs").exists(), "the refused console wrote nothing in the profile, not even a log");

        let done = finish(run);
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
        app.quit().await;
        let per_target = calls_per_target(&data);
        assert!(per_target.values().all(|n| *n == 1), "one call per vendor and round: {per_target:?}");
        assert_eq!(per_target.keys().filter(|(_, round)| *round == 1).count(), 3, "{per_target:?}");
    })
    .await;
}

#[tokio::test]
async fn a_second_console_on_a_profile_brings_the_first_to_the_front_and_other_profiles_run_beside_it() {
    within(TEST_LIMIT, async {
        let (first, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let app = App::start(first.path(), 1).await;
        // A console on another profile starts beside it.
        let beside = App::start(other.path(), 1).await;
        assert!(beside.texts("[data-testid=startup-error]").await.is_empty(), "another profile is free");
        beside.quit().await;

        let second = switchboard(first.path()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let second = finish(second);
        assert_eq!(second.status.code(), Some(0), "the second console hands over and ends");
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert!(stderr.contains("Switchboard is already running with this profile"), "{stderr}");
        let log = first.path().join("logs/switchboard.log");
        eventually("the first console to come to the front", PATIENCE, || async {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.contains("a second console was started with this profile").then_some(())
        })
        .await;
        assert!(app.texts("[data-testid=startup-error]").await.is_empty(), "the first console runs on");
        app.quit().await;
    })
    .await;
}
