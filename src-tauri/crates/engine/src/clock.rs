//! Wall-clock time as stored in the database.

use std::time::{SystemTime, UNIX_EPOCH};

use switchboard_core::UnixMillis;

/// Now, in milliseconds since the Unix epoch.
pub fn now() -> UnixMillis {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UnixMillis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}
