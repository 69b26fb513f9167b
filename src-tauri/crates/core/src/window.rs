//! Calling windows: whether a callee may be called now, in their own time zone, and if not,
//! when the window next opens. Time zones come from the IANA database bundled by `jiff`.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::agent::parse_hhmm;
use crate::time_zone::{TimeZoneError, resolve_time_zone};
use crate::{CallingWindow, UnixMillis};

/// Why a window could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error(transparent)]
    UnknownZone(#[from] TimeZoneError),
    #[error("the calling window {start}–{end} is not valid")]
    InvalidWindow { start: String, end: String },
}

/// The time zone a callee is in: theirs when set (as [`resolve_time_zone`] reads it), else
/// `fallback` (the dispatcher's own).
pub fn zone_of(name: Option<&str>, fallback: &TimeZone) -> Result<TimeZone, WindowError> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => Ok(resolve_time_zone(name)?.1),
        None => Ok(fallback.clone()),
    }
}

/// `None` when the window is open at `now` in `zone`; otherwise when it next opens.
pub fn next_opening(
    window: &CallingWindow,
    zone: &TimeZone,
    now: UnixMillis,
) -> Result<Option<UnixMillis>, WindowError> {
    let invalid = || WindowError::InvalidWindow { start: window.start.clone(), end: window.end.clone() };
    let (start, end) = match (parse_hhmm(&window.start), parse_hhmm(&window.end)) {
        (Some(start), Some(end)) if start < end && !window.days.is_empty() => (start, end),
        _ => return Err(invalid()),
    };
    let at = |minutes: u16| Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).map_err(|_| invalid());
    let (start, end) = (at(start)?, at(end)?);
    let now_ts = Timestamp::from_millisecond(now.0).map_err(|_| invalid())?;
    let today = now_ts.to_zoned(zone.clone()).date();
    for offset in 0..8 {
        let date = today.checked_add(offset.days()).map_err(|_| invalid())?;
        if !window.days.contains(&weekday_number(date.weekday())) {
            continue;
        }
        let opens = date.to_datetime(start).to_zoned(zone.clone()).map_err(|_| invalid())?.timestamp();
        let closes = date.to_datetime(end).to_zoned(zone.clone()).map_err(|_| invalid())?.timestamp();
        if now_ts < opens {
            return Ok(Some(UnixMillis(opens.as_millisecond())));
        }
        if now_ts < closes {
            return Ok(None);
        }
    }
    Err(invalid())
}

fn weekday_number(day: Weekday) -> u8 {
    day.to_monday_one_offset() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(rfc3339: &str) -> UnixMillis {
        UnixMillis(rfc3339.parse::<Timestamp>().unwrap().as_millisecond())
    }

    fn weekdays_9_to_5() -> CallingWindow {
        CallingWindow { start: "09:00".into(), end: "17:00".into(), days: vec![1, 2, 3, 4, 5] }
    }

    #[test]
    fn open_inside_the_window_in_the_callees_zone() {
        let chicago = TimeZone::get("America/Chicago").unwrap();
        // Wednesday 2026-11-18 15:00 UTC = 09:00 in Chicago (CST, UTC-6).
        assert_eq!(next_opening(&weekdays_9_to_5(), &chicago, millis("2026-11-18T15:00:00Z")).unwrap(), None);
        // 14:59 UTC is 08:59 there: wait one minute.
        assert_eq!(
            next_opening(&weekdays_9_to_5(), &chicago, millis("2026-11-18T14:59:00Z")).unwrap(),
            Some(millis("2026-11-18T15:00:00Z"))
        );
    }

    #[test]
    fn after_hours_on_friday_waits_for_monday() {
        let london = TimeZone::get("Europe/London").unwrap();
        // Friday 2026-11-20 17:30 in London (GMT) → Monday 09:00.
        assert_eq!(
            next_opening(&weekdays_9_to_5(), &london, millis("2026-11-20T17:30:00Z")).unwrap(),
            Some(millis("2026-11-23T09:00:00Z"))
        );
    }

    #[test]
    fn unknown_zones_and_bad_windows_say_so() {
        let utc = TimeZone::UTC;
        assert_eq!(
            zone_of(Some("Mars/Olympus"), &utc),
            Err(WindowError::UnknownZone(TimeZoneError("Mars/Olympus".into())))
        );
        assert_eq!(zone_of(Some("CST"), &utc).unwrap(), TimeZone::get("America/Chicago").unwrap());
        assert_eq!(zone_of(None, &utc).unwrap(), utc);
        let closed = CallingWindow { start: "17:00".into(), end: "09:00".into(), days: vec![1] };
        assert!(next_opening(&closed, &utc, UnixMillis(0)).is_err());
    }
}
