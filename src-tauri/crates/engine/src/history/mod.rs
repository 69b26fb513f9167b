//! History: everything kept about past calls — the full record of a call, exports of a call or
//! a campaign, the memory of past calls a contact's next call is given, recordings on disk and
//! how long they are kept, and forgetting a contact.

mod export;
mod forget;
mod memory;
mod record;
mod recordings;

pub use recordings::discard;

pub(crate) use export::timestamp;
pub use export::{CallCsvRow, CampaignExport, export_call, export_campaign};
pub use forget::forget_contact;
pub use memory::{MEMORY_CALLS, contact_memory, memory_calls};
pub use record::{CallRecord, CollectedField, call_record};
pub use recordings::{
    RECORDING_RETENTION_DAYS, RecordingSource, Recordings, UNFINISHED_SUFFIX, apply_retention, retention_days,
};
