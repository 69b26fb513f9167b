//! Full-text search over every transcript line (SQLite FTS5), newest calls' best matches first.

use crate::db::params;
use switchboard_core::CallId;

use crate::{Result, Store};

/// Marks the start and end of a matched word in a hit's snippet.
pub const MATCH_START: char = '\u{2}';
pub const MATCH_END: char = '\u{3}';

/// Lines per call the index can address (the row id packs call and line).
pub(crate) const LINES_PER_CALL: i64 = 1 << 20;

/// One transcript line that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptHit {
    pub call_id: CallId,
    /// The line's position in its call's transcript.
    pub seq: u32,
    /// The line, with each matched word between [`MATCH_START`] and [`MATCH_END`].
    pub snippet: String,
}

impl Store {
    /// The lines matching every word of `query` (case and accents ignored; a word matches as a
    /// prefix; "quoted words" match as a phrase), best matches first, at most `limit`.
    pub fn search_transcripts(&self, query: &str, limit: u32) -> Result<Vec<TranscriptHit>> {
        let Some(expression) = fts_expression(query) else { return Ok(Vec::new()) };
        let mut conn = self.conn();
        let rows = conn.query_map(
            "SELECT rowid, highlight(transcript_search, 0, ?2, ?3) FROM transcript_search
             WHERE transcript_search MATCH ?1 ORDER BY rank LIMIT ?4",
            params![expression, MATCH_START.to_string(), MATCH_END.to_string(), limit],
            |row| {
                let id: i64 = row.get(0)?;
                Ok(TranscriptHit {
                    call_id: CallId(id / LINES_PER_CALL),
                    seq: (id % LINES_PER_CALL) as u32,
                    snippet: row.get(1)?,
                })
            },
        )?;
        Ok(rows)
    }
}

/// Turns what a person typed into an FTS5 expression that cannot be a syntax error: every
/// bare word becomes a quoted prefix term, every "quoted run" a quoted phrase; all must match.
pub(crate) fn fts_expression(query: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for (i, part) in query.split('"').enumerate() {
        let quoted = i % 2 == 1;
        if quoted {
            let phrase: Vec<&str> = part.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            if !phrase.is_empty() {
                terms.push(format!("\"{}\"", phrase.join(" ")));
            }
        } else {
            terms.extend(
                part.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|word| format!("\"{word}\"*")),
            );
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_expression;

    #[test]
    fn typed_text_becomes_a_safe_expression() {
        assert_eq!(fts_expression("net 30").as_deref(), Some("\"net\"* \"30\"*"));
        assert_eq!(fts_expression("\"per unit\" price").as_deref(), Some("\"per unit\" \"price\"*"));
        assert_eq!(fts_expression("AND OR ( NEAR").as_deref(), Some("\"AND\"* \"OR\"* \"NEAR\"*"));
        assert_eq!(fts_expression(" ,.;- ").as_deref(), None);
    }
}
