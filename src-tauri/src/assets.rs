//! The files from `assets/` built into the binary: agent presets and sample contacts.

use switchboard_engine::sample::SampleFile;

macro_rules! asset {
    ($path:literal) => {
        SampleFile { name: $path, json: include_str!(concat!("../../", $path)) }
    };
}

/// Every agent preset the dispatcher can start from.
pub const PRESETS: &[SampleFile] = &[
    asset!("assets/presets/vendor-quote.json"),
    asset!("assets/presets/vendor-negotiation.json"),
    asset!("assets/presets/driver-violation.json"),
    asset!("assets/presets/appointment-reminder.json"),
];

/// The agents a new database starts with.
pub const SAMPLE_AGENTS: &[SampleFile] = &[
    asset!("assets/presets/vendor-quote.json"),
    asset!("assets/presets/vendor-negotiation.json"),
    asset!("assets/presets/driver-violation.json"),
    asset!("assets/presets/appointment-reminder.json"),
];

/// The contacts a new database starts with.
pub const SAMPLE_CONTACTS: &[SampleFile] =
    &[asset!("assets/sample/vendors.json"), asset!("assets/sample/drivers.json")];
