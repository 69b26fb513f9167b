//! Time zones as dispatchers write them: IANA names ("America/Chicago", any case) and the
//! common US names and abbreviations ("CST", "Central", "Pacific Time"), read as the IANA zone
//! they mean, so calling windows follow daylight saving time.

use jiff::tz::TimeZone;

/// US zones by the names people use, before the IANA database is asked: the database knows
/// "EST" and "MST" as fixed offsets without daylight saving time, which is not what is meant.
const US_ZONES: &[(&[&str], &str)] = &[
    (&["eastern", "est", "edt", "et"], "America/New_York"),
    (&["central", "cst", "cdt", "ct"], "America/Chicago"),
    (&["mountain", "mst", "mdt", "mt"], "America/Denver"),
    (&["arizona"], "America/Phoenix"),
    (&["pacific", "pst", "pdt", "pt"], "America/Los_Angeles"),
    (&["alaska", "akst", "akdt", "akt"], "America/Anchorage"),
    (&["hawaii", "hst", "hawaii aleutian"], "Pacific/Honolulu"),
];

/// Words that add nothing to a US zone's name ("Central Standard Time", "US/Eastern time").
const FILLER: &[&str] = &["time", "zone", "standard", "daylight", "us", "usa"];

/// A time zone that is neither an IANA name nor a US zone name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time zone: use a name such as America/Chicago, or a US zone such as CST, Eastern or Pacific")]
pub struct TimeZoneError(pub String);

/// The IANA name of the zone `name` means, and the zone.
pub fn resolve_time_zone(name: &str) -> Result<(String, TimeZone), TimeZoneError> {
    let trimmed = name.trim();
    let unknown = || TimeZoneError(trimmed.to_owned());
    let iana = match us_zone(trimmed) {
        Some(iana) => iana,
        None if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("Etc/Unknown") => return Err(unknown()),
        None => trimmed,
    };
    let zone = TimeZone::get(iana).map_err(|_| unknown())?;
    let canonical = zone.iana_name().ok_or_else(unknown)?.to_owned();
    Ok((canonical, zone))
}

fn us_zone(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty() && !FILLER.contains(word))
        .collect();
    let key = words.join(" ");
    US_ZONES.iter().find(|(names, _)| names.contains(&key.as_str())).map(|(_, iana)| *iana)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iana(name: &str) -> String {
        resolve_time_zone(name).unwrap().0
    }

    #[test]
    fn us_names_and_abbreviations_mean_their_iana_zone() {
        for name in ["CST", "cdt", "Central", "Central Time", "Central Standard Time", "US/Central", "CT"] {
            assert_eq!(iana(name), "America/Chicago", "{name}");
        }
        assert_eq!(iana("EST"), "America/New_York", "not the fixed -05:00 zone of the same name");
        assert_eq!(iana("Pacific Time"), "America/Los_Angeles");
        assert_eq!(iana("MST"), "America/Denver");
        assert_eq!(iana("Hawaii"), "Pacific/Honolulu");
    }

    #[test]
    fn iana_names_are_accepted_in_any_case_and_written_canonically() {
        assert_eq!(iana(" america/new_york "), "America/New_York");
        assert_eq!(iana("Europe/London"), "Europe/London");
        assert_eq!(iana("utc"), "UTC");
    }

    #[test]
    fn anything_else_is_refused_naming_the_accepted_forms() {
        for name in ["Mars/Olympus", "Central Europe", "", "Etc/Unknown", "Chicago"] {
            let err = resolve_time_zone(name).unwrap_err();
            assert!(err.to_string().contains("such as America/Chicago, or a US zone such as CST"), "{err}");
        }
    }
}
