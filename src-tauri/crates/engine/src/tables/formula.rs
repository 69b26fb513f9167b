//! OWASP's rule for CSV cells a spreadsheet would run as a formula (they begin with `=`, `+`,
//! `-`, `@`, a tab or a carriage return): a single quote goes in front. Reading undoes it exactly.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// True when `cell` is written with a quote in front: it begins with a trigger, or it is quotes
/// in front of one (so that a cell which already looks neutralised reads back as itself).
fn needs_quote(cell: &str) -> bool {
    let unquoted = cell.trim_start_matches('\'');
    unquoted.starts_with(TRIGGERS)
}

/// `cell` as written to a CSV file: a quote in front when a spreadsheet would run it.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if needs_quote(cell) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// A cell read from a CSV file as it was before [`neutralise`].
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_get_a_quote_and_read_back_equal() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
            ("+1 415 555 0100", "'+1 415 555 0100"),
            ("-0.42", "'-0.42"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "'\r=1"),
            ("'=already quoted", "''=already quoted"),
            ("''+", "'''+"),
            ("Acme", "Acme"),
            ("'quoted", "'quoted"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), written, "{cell:?}");
            assert_eq!(restore(written), cell, "{written:?}");
        }
    }

    #[test]
    fn a_hand_made_cell_with_a_quote_reads_as_written_unless_a_formula_follows() {
        assert_eq!(restore("'0042"), "'0042");
        assert_eq!(restore("'+1 415 555 0100"), "+1 415 555 0100");
    }
}
