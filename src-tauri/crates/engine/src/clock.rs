//! Wall-clock time as stored in the database, and the date it falls on here.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use switchboard_core::UnixMillis;

/// Now, in milliseconds since the Unix epoch.
pub fn now() -> UnixMillis {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UnixMillis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
}

/// The date of `at` on this computer's calendar.
pub fn local_date(at: UnixMillis) -> Date {
    jiff::Timestamp::from_millisecond(at.0).map_or(Date::ZERO, |t| t.to_zoned(TimeZone::system()).date())
}
