//! Cuts the model's streamed text into sentence-sized pieces for TTS: a piece ends after `.`,
//! `!`, `?` or `…` followed by a space, at a line break, or — for a long run with no such end —
//! at the last comma or space before [`LONGEST`] characters. The first piece of an answer ends
//! at its first clause already (after `,`, `;`, `:` or `—` and a space): TTS starts on it while
//! the model writes the rest. Speaking each piece as soon as it is complete keeps the first
//! audio early without cutting words.

/// A piece this long with no sentence end is cut at a comma or space.
const LONGEST: usize = 200;

/// Text received but not yet cut into a sentence.
#[derive(Debug, Default)]
pub(super) struct Sentences {
    pending: String,
    /// A piece was cut already (later pieces are whole sentences).
    cut: bool,
}

impl Sentences {
    /// Adds `delta` and calls `on_sentence` for each piece it completes (trimmed, never empty).
    pub(super) fn push(&mut self, delta: &str, mut on_sentence: impl FnMut(String)) {
        self.pending.push_str(delta);
        while let Some(end) = self.sentence_end() {
            let rest = self.pending.split_off(end);
            let sentence = std::mem::replace(&mut self.pending, rest);
            let sentence = sentence.trim();
            if !sentence.is_empty() {
                self.cut = true;
                on_sentence(sentence.to_owned());
            }
        }
    }

    /// What is left at the end of the answer, if anything.
    pub(super) fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_owned())
    }

    /// The byte index just past the first complete piece in `pending`.
    fn sentence_end(&self) -> Option<usize> {
        let mut chars = self.pending.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == '\n' {
                return Some(at + 1);
            }
            let clause = !self.cut && matches!(c, ',' | ';' | ':' | '—');
            if (clause || matches!(c, '.' | '!' | '?' | '…'))
                && let Some(&(next_at, next)) = chars.peek()
                && next.is_whitespace()
            {
                return Some(next_at);
            }
        }
        if self.pending.len() < LONGEST {
            return None;
        }
        let mut limit = LONGEST;
        while !self.pending.is_char_boundary(limit) {
            limit -= 1;
        }
        let head = &self.pending[..limit];
        head.rfind(", ").map(|at| at + 2).or_else(|| head.rfind(' ').map(|at| at + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::Sentences;

    fn cut(deltas: &[&str]) -> Vec<String> {
        let mut sentences = Sentences::default();
        let mut out = Vec::new();
        for delta in deltas {
            sentences.push(delta, |s| out.push(s));
        }
        out.extend(sentences.finish());
        out
    }

    #[test]
    fn pieces_end_at_the_first_clause_then_at_sentence_ends_whatever_the_deltas() {
        let expected = ["Thanks,", "that's $12.50 each, in boxes.", "Is that right?", "Great!", "Bye"];
        assert_eq!(cut(&["Thanks, that's $12.50 each, in boxes. Is that right? Great! Bye"]), expected);
        assert_eq!(
            cut(&["Thanks, that's $12", ".50 each, in", " boxes", ". Is that", " right?", " Great! ", "Bye"]),
            expected
        );
        let chars: Vec<String> =
            "Thanks, that's $12.50 each, in boxes. Is that right? Great! Bye".chars().map(String::from).collect();
        let chars: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(cut(&chars), expected);
    }

    #[test]
    fn a_sentence_end_waits_for_the_next_character() {
        let mut sentences = Sentences::default();
        let mut out = Vec::new();
        sentences.push("It costs 12.", |s| out.push(s));
        assert!(out.is_empty(), "12. may be 12.50");
        sentences.push("50 now.\nNext", |s| out.push(s));
        assert_eq!(out, ["It costs 12.50 now."]);
    }

    #[test]
    fn a_long_run_is_cut_at_a_comma_or_space() {
        let long = "word ".repeat(60);
        let pieces = cut(&[&long]);
        assert!(pieces.len() >= 2 && pieces.iter().all(|piece| piece.len() <= 200), "{pieces:?}");
        assert_eq!(pieces.join(" "), long.trim());
    }
}
