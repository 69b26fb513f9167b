//! What an import did with each row.

use serde::Serialize;
use switchboard_core::ContactId;

/// One problem with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowError {
    /// The column (CSV header or JSON key) the problem is in.
    pub column: String,
    pub reason: String,
}

/// What happened to a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RowOutcome {
    /// A new contact (its id, unless this was a dry run).
    Imported { contact_id: Option<ContactId> },
    /// Same E.164 number as an existing contact or an earlier row: merged into it.
    Merged {
        contact_id: Option<ContactId>,
        /// The contact merged into, as "Acme Fasteners (row 3)" or "Acme Fasteners (already saved)".
        into: String,
        /// The fields the row changed.
        changed: Vec<String>,
    },
    /// Not written; every reason is listed.
    Rejected { errors: Vec<RowError> },
}

/// The report of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct RowReport {
    /// 1-based number of the record (the CSV header is not a row).
    pub row: u32,
    /// Where the record starts: its line in a CSV file, or its row in a spreadsheet.
    pub line: Option<u32>,
    /// The row's name, when it had one.
    pub name: Option<String>,
    pub outcome: RowOutcome,
}

/// The report of a whole import.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub source: String,
    /// The sheet read, when the file is a workbook.
    pub sheet: Option<String>,
    /// Every sheet of the workbook (empty for CSV and JSON).
    pub sheets: Vec<String>,
    pub dry_run: bool,
    pub imported: u32,
    pub merged: u32,
    pub rejected: u32,
    pub rows: Vec<RowReport>,
    /// What the import read past, for the whole file (columns it ignores, and why).
    pub notes: Vec<String>,
}

impl ImportReport {
    pub(crate) fn new(source: &str, dry_run: bool, rows: Vec<RowReport>) -> Self {
        let count = |pick: fn(&RowOutcome) -> bool| rows.iter().filter(|r| pick(&r.outcome)).count() as u32;
        Self {
            source: source.to_owned(),
            sheet: None,
            sheets: Vec::new(),
            dry_run,
            imported: count(|o| matches!(o, RowOutcome::Imported { .. })),
            merged: count(|o| matches!(o, RowOutcome::Merged { .. })),
            rejected: count(|o| matches!(o, RowOutcome::Rejected { .. })),
            rows,
            notes: Vec::new(),
        }
    }

    /// The report noting that vendor rows' `columns` (headers as written) were ignored.
    pub(crate) fn ignoring(mut self, columns: &[String]) -> Self {
        if !columns.is_empty() {
            self.notes.push(format!(
                "{} ignored: vendors keep their own facts; a quote campaign's request says what to quote, \
                 how many and the target price",
                columns.join(", ")
            ));
        }
        self
    }

    /// The report of rows read from `sheet`: the sheet's name and every sheet of its workbook.
    pub(crate) fn read_from_sheet(mut self, sheet: Option<(String, Vec<String>)>) -> Self {
        if let Some((name, sheets)) = sheet {
            self.sheet = Some(name);
            self.sheets = sheets;
        }
        self
    }

    /// Where the rows came from: the file, and the sheet of a workbook.
    pub fn source_label(&self) -> String {
        match &self.sheet {
            Some(sheet) => format!("{} (sheet {sheet})", self.source),
            None => self.source.clone(),
        }
    }

    /// One line per row and a summary, for the command line.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for row in &self.rows {
            let at = match row.line {
                Some(line) => format!("row {} (line {line})", row.row),
                None => format!("row {}", row.row),
            };
            let name = row.name.as_deref().unwrap_or("(no name)");
            let _ = match &row.outcome {
                RowOutcome::Imported { .. } => writeln!(out, "{at}: imported {name}"),
                RowOutcome::Merged { into, changed, .. } if changed.is_empty() => {
                    writeln!(out, "{at}: merged {name} into {into}; nothing changed")
                }
                RowOutcome::Merged { into, changed, .. } => {
                    writeln!(out, "{at}: merged {name} into {into}; changed {}", changed.join(", "))
                }
                RowOutcome::Rejected { errors } => {
                    let reasons: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.column, e.reason)).collect();
                    writeln!(out, "{at}: rejected {name}: {}", reasons.join("; "))
                }
            };
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let verb = if self.dry_run { "would import" } else { "imported" };
        let _ = writeln!(
            out,
            "{}: {verb} {}, merged {}, rejected {} of {} rows",
            self.source_label(),
            self.imported,
            self.merged,
            self.rejected,
            self.rows.len()
        );
        out
    }
}
