//! The guard every end-to-end test runs under: an error the page meets (thrown, rejected or
//! logged) fails the test at its next step, naming the error.

use std::sync::Arc;
use std::time::Duration;

use crate::app::{App, TEST_LIMIT, within};

/// Goes wrong in the three ways the guard watches for, as page code would.
const MISBEHAVE: &str = "setTimeout(() => { throw new Error('deliberately thrown'); }, 0);
    Promise.reject(new Error('deliberately rejected'));
    console.error('deliberately logged', { code: 'e2e' });";

#[tokio::test]
async fn a_page_error_fails_the_next_step() {
    within(TEST_LIMIT, async {
        let data = tempfile::tempdir().unwrap();
        let app = Arc::new(App::start(data.path(), 1).await);
        app.click("nav-agents").await;
        assert!(app.take_page_errors().await.is_empty(), "a clean start records nothing");

        app.client.execute(MISBEHAVE, vec![]).await.expect("the script ran");
        tokio::time::sleep(Duration::from_millis(500)).await;
        let step = {
            let app = Arc::clone(&app);
            tokio::spawn(async move { app.click("nav-contacts").await })
        };
        let failure = step.await.expect_err("the step after the errors fails");
        let message = *failure.into_panic().downcast::<String>().expect("the failure says why");
        assert!(message.contains("uncaught Error: deliberately thrown"), "{message}");
        assert!(message.contains("unhandled promise rejection: Error: deliberately rejected"), "{message}");
        assert!(message.contains("console.error: deliberately logged {\"code\":\"e2e\"}"), "{message}");

        // Read once, the errors are gone: the next step passes and the test ends cleanly.
        let app = Arc::try_unwrap(app).unwrap_or_else(|_| panic!("the step's task has ended"));
        app.click("nav-contacts").await;
        app.quit().await;
    })
    .await;
}
