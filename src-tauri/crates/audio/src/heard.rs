//! What the callee heard, read from a two-track recording sample by sample as it is written
//! (or read back): when the agent's first words came after the answer, and how long each reply
//! came after the callee stopped speaking.
//!
//! A sample louder than [`VOICE_PEAK`] is voice. A reply is the agent's first voiced sample
//! after at least [`AGENT_QUIET_MS`] of its silence, when the callee's voice came since the
//! agent's last voiced sample; its latency runs from the callee's last voiced sample. Talking
//! over the agent (barge-in) is no reply: the agent's voice is not yet quiet then.

use crate::recording::RECORDING_RATE;

/// A sample louder than this (about −30 dBFS) is voice.
pub const VOICE_PEAK: u16 = 1000;
/// The agent quiet this long before a voiced sample makes that sample the start of a reply.
pub const AGENT_QUIET_MS: u64 = 200;
const SAMPLES_PER_MS: u64 = RECORDING_RATE as u64 / 1000;
/// Replies whose times are kept without growing (a longer call grows the list once in a while).
const REPLIES_KEPT: usize = 64;

/// The figures of one recording so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeardTimes {
    /// From the start of the recording (the answer) to the agent's first words.
    pub first_words_ms: Option<u32>,
    /// Each reply's latency, in order.
    pub replies_ms: Vec<u32>,
}

/// Reads [`HeardTimes`] from a recording's samples, one pair (caller, agent) at a time.
#[derive(Debug)]
pub struct HeardTimer {
    /// Sample pairs taken so far.
    samples: u64,
    /// The callee's voice came since the agent's last voiced sample.
    callee_spoke: bool,
    /// Just past the callee's last voiced sample.
    callee_end: u64,
    /// Just past the agent's last voiced sample.
    agent_end: Option<u64>,
    times: HeardTimes,
}

impl Default for HeardTimer {
    fn default() -> Self {
        Self {
            samples: 0,
            callee_spoke: false,
            callee_end: 0,
            agent_end: None,
            times: HeardTimes { first_words_ms: None, replies_ms: Vec::with_capacity(REPLIES_KEPT) },
        }
    }
}

impl HeardTimer {
    /// The next sample of each track.
    pub fn sample(&mut self, caller: i16, agent: i16) {
        let at = self.samples;
        self.samples += 1;
        if caller.unsigned_abs() > VOICE_PEAK {
            self.callee_spoke = true;
            self.callee_end = at + 1;
        }
        if agent.unsigned_abs() <= VOICE_PEAK {
            return;
        }
        match self.agent_end {
            None => self.times.first_words_ms = Some(ms(at)),
            Some(agent_end) if self.callee_spoke && at >= agent_end + AGENT_QUIET_MS * SAMPLES_PER_MS => {
                self.times.replies_ms.push(ms(at.saturating_sub(self.callee_end)));
            }
            Some(_) => {}
        }
        self.agent_end = Some(at + 1);
        self.callee_spoke = caller.unsigned_abs() > VOICE_PEAK;
    }

    /// What was heard so far.
    pub fn times(&self) -> &HeardTimes {
        &self.times
    }
}

fn ms(samples: u64) -> u32 {
    u32::try_from(samples / SAMPLES_PER_MS).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::{HeardTimer, HeardTimes};

    /// A recording of 20 ms blocks: `c` the callee speaks, `a` the agent, `b` both, `.` silence.
    fn heard(blocks: &str) -> HeardTimes {
        let mut timer = HeardTimer::default();
        for block in blocks.chars() {
            let (caller, agent) = match block {
                'c' => (8000, 0),
                'a' => (0, -8000),
                'b' => (8000, 8000),
                _ => (300, 200),
            };
            for _ in 0..160 {
                timer.sample(caller, agent);
            }
        }
        timer.times().clone()
    }

    #[test]
    fn first_words_and_each_reply_from_the_end_of_the_callees_speech() {
        // Answer, 60 ms of silence, a greeting; the callee speaks (with a pause), the agent
        // replies 240 ms after they stop; then again after 100 ms.
        let times = heard("...aaaa..cccc..ccc............aaa...cc.....aa");
        assert_eq!(times.first_words_ms, Some(60));
        assert_eq!(times.replies_ms, [240, 100]);
    }

    #[test]
    fn talking_over_the_agent_is_no_reply_and_the_reply_after_it_counts_from_its_end() {
        // The callee barges in while the agent speaks; the agent stops, and answers later.
        let times = heard("aaaaabbbcccc..........aaa");
        assert_eq!(times.first_words_ms, Some(0));
        assert_eq!(times.replies_ms, [200]);
    }

    #[test]
    fn a_pause_in_the_agents_speech_without_the_callee_is_no_reply_nor_is_silence() {
        assert_eq!(heard("..aaa..............aaa").replies_ms, Vec::<u32>::new());
        assert_eq!(heard("......").first_words_ms, None);
    }
}
