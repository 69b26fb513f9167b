//! Full-text search over every transcript line (SQLite's FTS5, Postgres's tsvector), best matches first.

use crate::db::{Dialect, params};
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
        let terms = terms(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn()?;
        let (sql, values) = match conn.dialect() {
            Dialect::Sqlite => (
                "SELECT rowid, highlight(transcript_search, 0, ?2, ?3) FROM transcript_search
                 WHERE transcript_search MATCH ?1 ORDER BY rank LIMIT ?4",
                params![fts_expression(&terms), MATCH_START.to_string(), MATCH_END.to_string(), limit].to_vec(),
            ),
            Dialect::Postgres => (
                "SELECT call_id * 1048576 + seq, ts_headline('transcript_search', text, query, ?2)
                 FROM transcript_lines, to_tsquery('transcript_search', ?1) query
                 WHERE search @@ query ORDER BY ts_rank(search, query) DESC, call_id DESC, seq LIMIT ?3",
                params![tsquery_expression(&terms), HEADLINE_OPTIONS.as_str(), limit].to_vec(),
            ),
        };
        let postgres = conn.dialect() == Dialect::Postgres;
        let rows = conn.query_map(sql, &values, |row| {
            let id: i64 = row.get(0)?;
            let snippet: String = row.get(1)?;
            Ok(TranscriptHit {
                call_id: CallId(id / LINES_PER_CALL),
                seq: (id % LINES_PER_CALL) as u32,
                snippet: if postgres { joined_marks(snippet, &terms) } else { snippet },
            })
        })?;
        Ok(rows)
    }
}

/// A Postgres headline (which marks each word) with each phrase of `terms` marked whole, as
/// SQLite's highlight marks it.
pub(crate) fn joined_marks(headline: String, terms: &[Term<'_>]) -> String {
    let mut headline = headline;
    for term in terms {
        let Term::Phrase(words) = term else { continue };
        let lower = headline.to_lowercase();
        if words.len() < 2 || lower.len() != headline.len() {
            continue;
        }
        let marked: Vec<String> =
            words.iter().map(|w| format!("{MATCH_START}{}{MATCH_END}", w.to_lowercase())).collect();
        let marked = marked.join(" ");
        let mut joined = String::with_capacity(headline.len());
        let mut rest = 0;
        for (at, _) in lower.match_indices(&marked) {
            if at < rest {
                continue;
            }
            joined.push_str(&headline[rest..at]);
            joined.push_str(&headline[at..at + marked.len()].replace(&format!("{MATCH_END} {MATCH_START}"), " "));
            rest = at + marked.len();
        }
        joined.push_str(&headline[rest..]);
        headline = joined;
    }
    headline
}

/// What Postgres's `ts_headline` marks matched words with, as [`MATCH_START`] and [`MATCH_END`].
pub(crate) static HEADLINE_OPTIONS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("StartSel=\"{MATCH_START}\", StopSel=\"{MATCH_END}\", HighlightAll=true"));

/// One term of what a person typed: a word matched as a prefix, or a "quoted run" as a phrase.
pub(crate) enum Term<'q> {
    Prefix(&'q str),
    Phrase(Vec<&'q str>),
}

/// The terms of what a person typed: only letters and digits, so no term is a syntax error.
pub(crate) fn terms(query: &str) -> Vec<Term<'_>> {
    let mut terms = Vec::new();
    for (i, part) in query.split('"').enumerate() {
        if i % 2 == 1 {
            let phrase: Vec<&str> = words(part).collect();
            if !phrase.is_empty() {
                terms.push(Term::Phrase(phrase));
            }
        } else {
            terms.extend(words(part).map(Term::Prefix));
        }
    }
    terms
}

fn words(part: &str) -> impl Iterator<Item = &str> {
    part.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// The terms as an FTS5 expression: every word a quoted prefix, every phrase quoted; all must match.
pub(crate) fn fts_expression(terms: &[Term<'_>]) -> String {
    let term = |term: &Term<'_>| match term {
        Term::Prefix(word) => format!("\"{word}\"*"),
        Term::Phrase(words) => format!("\"{}\"", words.join(" ")),
    };
    terms.iter().map(term).collect::<Vec<_>>().join(" ")
}

/// The terms as a Postgres tsquery: every word a prefix, every phrase words in a row; all must match.
pub(crate) fn tsquery_expression(terms: &[Term<'_>]) -> String {
    let term = |term: &Term<'_>| match term {
        Term::Prefix(word) => format!("{}:*", word.to_lowercase()),
        Term::Phrase(words) => {
            format!("({})", words.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>().join(" <-> "))
        }
    };
    terms.iter().map(term).collect::<Vec<_>>().join(" & ")
}

#[cfg(test)]
mod tests {
    use super::{fts_expression, terms, tsquery_expression};

    #[test]
    fn typed_text_becomes_a_safe_expression() {
        assert_eq!(fts_expression(&terms("net 30")), "\"net\"* \"30\"*");
        assert_eq!(fts_expression(&terms("\"per unit\" price")), "\"per unit\" \"price\"*");
        assert_eq!(fts_expression(&terms("AND OR ( NEAR")), "\"AND\"* \"OR\"* \"NEAR\"*");
        assert!(terms(" ,.;- ").is_empty());
    }

    #[test]
    fn typed_text_becomes_a_safe_tsquery() {
        assert_eq!(tsquery_expression(&terms("Net 30")), "net:* & 30:*");
        assert_eq!(tsquery_expression(&terms("\"per unit\" price")), "(per <-> unit) & price:*");
        assert_eq!(tsquery_expression(&terms("& | ! <-> ( x")), "x:*");
    }
}
