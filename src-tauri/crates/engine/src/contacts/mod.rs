//! The address book's bulk operations: importing contacts from CSV, JSON or a spreadsheet
//! (validated row by row, merged by E.164 number) and exporting them again.

mod columns;
mod export;
mod import;
mod import_error;
mod merge;
mod report;
mod rows;
mod sources;

pub use export::export_contacts;
pub use import::{ImportOptions, import_contacts};
pub use import_error::ImportError;
pub use report::{ImportReport, RowError, RowOutcome, RowReport};
