//! Starting over a database that cannot be used shows why, naming the path, instead of crashing.

use crate::app::{App, TEST_LIMIT, within};

#[tokio::test]
async fn a_corrupt_database_is_named_in_the_window() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let database = data.path().join("switchboard.sqlite3");
        std::fs::write(&database, b"this is not an SQLite database, it is a shopping list: bolts, nuts").unwrap();
        let app = App::start(data.path(), 1).await;
        let message = app.text("[data-testid=startup-error]").await;
        assert!(message.contains(&database.display().to_string()), "{message}");
        assert!(message.contains("not a database"), "{message}");
        app.quit().await;
    })
    .await;
}
