//! The address book's bulk operations: importing contacts from CSV or JSON (validated row by
//! row, merged by E.164 number) and exporting them again.

mod columns;
mod export;
mod import;
mod merge;
mod report;
mod rows;

pub use export::{ExportFormat, export_contacts};
pub use import::{ImportOptions, SourceFormat, import_contacts};
pub use report::{ImportReport, RowError, RowOutcome, RowReport};
