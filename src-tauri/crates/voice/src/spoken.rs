//! What an agent turn has said so far, and when: the sentences sent to TTS and, from the TTS
//! alignment, the time in the turn's audio at which each of their characters ends. After a
//! barge-in this gives the words the callee actually heard.

use switchboard_audio::MULAW_RATE;
use switchboard_providers::elevenlabs_tts::Alignment;

#[derive(Debug, Default)]
pub(super) struct Spoken {
    text: String,
    /// Per non-blank character of `text`, in order, the end of its sound in milliseconds from
    /// the turn's first audio (known for the characters synthesised so far).
    char_ends_ms: Vec<f64>,
    /// Audio received so far, in milliseconds.
    audio_ms: f64,
}

impl Spoken {
    /// A sentence sent to TTS.
    pub(super) fn add_sentence(&mut self, sentence: &str) {
        if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.text.push_str(sentence);
    }

    /// A chunk of synthesised audio of `bytes` μ-law samples, with its characters' timing.
    pub(super) fn add_audio(&mut self, bytes: usize, alignment: Option<&Alignment>) {
        if let Some(alignment) = alignment {
            let timed = alignment.chars.iter().zip(&alignment.char_start_times_ms).zip(&alignment.char_durations_ms);
            for ((chars, start), duration) in timed {
                for _ in chars.chars().filter(|c| !c.is_whitespace()) {
                    self.char_ends_ms.push(self.audio_ms + start + duration);
                }
            }
        }
        self.audio_ms += bytes as f64 * 1000.0 / f64::from(MULAW_RATE);
    }

    /// Everything said.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The whole words whose sound ended within the first `played_ms` of the turn's audio.
    pub(super) fn played(&self, played_ms: f64) -> String {
        let heard = self.char_ends_ms.iter().take_while(|end| **end <= played_ms).count();
        if heard == 0 {
            return String::new();
        }
        let mut seen = 0;
        let mut cut = self.text.len();
        for (at, c) in self.text.char_indices() {
            if c.is_whitespace() {
                continue;
            }
            if seen == heard {
                cut = at;
                break;
            }
            seen += 1;
        }
        let prefix = &self.text[..cut];
        let whole_words = if cut < self.text.len() && !prefix.ends_with(char::is_whitespace) {
            prefix.rfind(char::is_whitespace).map_or("", |space| &prefix[..space])
        } else {
            prefix
        };
        whole_words.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use switchboard_providers::elevenlabs_tts::Alignment;

    use super::Spoken;

    /// An alignment giving each character of `text` 100 ms.
    fn timed(text: &str) -> Alignment {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let starts = (0..chars.len()).map(|i| i as f64 * 100.0).collect();
        Alignment { char_durations_ms: vec![100.0; chars.len()], chars, char_start_times_ms: starts }
    }

    #[test]
    fn only_words_heard_to_their_end_are_kept() {
        let mut spoken = Spoken::default();
        spoken.add_sentence("Hi there.");
        spoken.add_audio(7200, Some(&timed("Hi there.")));
        spoken.add_sentence("Bye now.");
        spoken.add_audio(6400, Some(&timed("Bye now.")));
        assert_eq!(spoken.text(), "Hi there. Bye now.");
        assert_eq!(spoken.played(0.0), "");
        assert_eq!(spoken.played(250.0), "Hi", "H and i end by 200 ms");
        assert_eq!(spoken.played(700.0), "Hi", "there. is cut");
        assert_eq!(spoken.played(900.0), "Hi there.");
        assert_eq!(spoken.played(1200.0), "Hi there. Bye");
        assert_eq!(spoken.played(10_000.0), "Hi there. Bye now.");
    }

    #[test]
    fn audio_without_alignment_counts_as_unheard_words() {
        let mut spoken = Spoken::default();
        spoken.add_sentence("Hello.");
        spoken.add_audio(1600, None);
        assert_eq!(spoken.played(5000.0), "");
    }
}
