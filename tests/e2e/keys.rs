//! Provider keys in the real window: typed once in Settings, kept in the OS keychain (a real
//! gnome-keyring Secret Service on the test's D-Bus session, started by `make test` through
//! `scripts/with-secret-service.sh`), still there after a restart, and never written to the
//! database, the logs or the page.

use crate::app::{App, PATIENCE, TEST_LIMIT, eventually, within};

const KEY: &str = "dg-e2e-7f3a9c1b5d";

#[tokio::test]
async fn a_key_goes_to_the_keychain_and_nowhere_else() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = App::start(data.path(), 1).await;
        app.click("nav-settings").await;
        let row = "[data-testid=key-row][data-key=deepgram_api_key]";
        eventually("the keys listed", PATIENCE, || async {
            (app.text(&format!("{row} [data-testid=key-source]")).await == "not set").then_some(())
        })
        .await;
        app.wait_for(&format!("{row} [data-testid=key-input]")).await.send_keys(KEY).await.unwrap();
        app.wait_for(&format!("{row} button[type=submit]")).await.click().await.unwrap();
        eventually("the key stored", PATIENCE, || async {
            app.text(&format!("{row} [data-testid=key-source]")).await.contains("in the keychain").then_some(())
        })
        .await;
        let page = app.client.source().await.unwrap();
        assert!(!page.contains(KEY), "the page no longer holds the key");
        app.quit().await;

        let app = App::start(data.path(), 1).await;
        app.click("nav-settings").await;
        eventually("the key still there after a restart", PATIENCE, || async {
            app.text(&format!("{row} [data-testid=key-source]")).await.contains("in the keychain").then_some(())
        })
        .await;
        // Removed: gone from the keychain, at once and after a restart.
        app.wait_for(&format!("{row} [data-testid=key-remove]")).await.click().await.unwrap();
        eventually("the key removed", PATIENCE, || async {
            (app.text(&format!("{row} [data-testid=key-source]")).await == "not set").then_some(())
        })
        .await;
        app.quit().await;
        let app = App::start(data.path(), 1).await;
        app.click("nav-settings").await;
        eventually("the key still removed after a restart", PATIENCE, || async {
            (app.text(&format!("{row} [data-testid=key-source]")).await == "not set").then_some(())
        })
        .await;
        app.quit().await;

        for file in walk(data.path()) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !bytes.windows(KEY.len()).any(|window| window == KEY.as_bytes()),
                "{} holds the key",
                file.display()
            );
        }
    })
    .await;
}

/// Every file under `dir` (the database, its WAL, the logs).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}
