//! What the callee heard, read from a two-track recording in 20 ms blocks as it is written (or
//! read back): when the agent's first words came after the answer, and how long each reply came
//! after the callee stopped speaking.
//!
//! A block is voiced when a sample passes [`VOICE_PEAK`]. A reply is the agent's first voiced
//! block after at least [`AGENT_QUIET_MS`] of its silence, when the callee was voiced since the
//! agent's last voiced block; its latency runs from the end of the callee's last voiced block.
//! Talking over the agent (barge-in) is no reply: the agent's voice is not yet quiet then.

use crate::recording::RECORDING_RATE;

/// A sample louder than this (about −30 dBFS) makes its block voiced.
pub const VOICE_PEAK: u16 = 1000;
/// Samples per block (20 ms).
const BLOCK: u32 = RECORDING_RATE / 50;
const BLOCK_MS: u64 = 20;
/// The agent quiet this long before a voiced block makes that block the start of a reply.
pub const AGENT_QUIET_MS: u64 = 200;
/// Replies whose times are kept without growing (a longer call grows the list once in a while).
const REPLIES_KEPT: usize = 64;

/// The figures of one recording so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeardTimes {
    /// From the start of the recording (the answer) to the agent's first voiced block.
    pub first_words_ms: Option<u32>,
    /// Each reply's latency, in order.
    pub replies_ms: Vec<u32>,
}

/// Reads [`HeardTimes`] from a recording's samples, one pair (caller, agent) at a time.
#[derive(Debug)]
pub struct HeardTimer {
    /// Blocks finished so far.
    blocks: u64,
    in_block: u32,
    /// Loudest sample of the block under way, per party (caller, agent).
    peaks: [u16; 2],
    /// The callee was voiced since the agent's last voiced block.
    callee_spoke: bool,
    /// The end of the callee's last voiced block, in ms.
    callee_end_ms: u64,
    /// The end of the agent's last voiced block, in ms.
    agent_end_ms: Option<u64>,
    times: HeardTimes,
}

impl Default for HeardTimer {
    fn default() -> Self {
        Self {
            blocks: 0,
            in_block: 0,
            peaks: [0; 2],
            callee_spoke: false,
            callee_end_ms: 0,
            agent_end_ms: None,
            times: HeardTimes { first_words_ms: None, replies_ms: Vec::with_capacity(REPLIES_KEPT) },
        }
    }
}

impl HeardTimer {
    /// The next sample of each track.
    pub fn sample(&mut self, caller: i16, agent: i16) {
        self.peaks[0] = self.peaks[0].max(caller.unsigned_abs());
        self.peaks[1] = self.peaks[1].max(agent.unsigned_abs());
        self.in_block += 1;
        if self.in_block == BLOCK {
            self.end_block();
        }
    }

    /// What was heard up to the last whole block.
    pub fn times(&self) -> &HeardTimes {
        &self.times
    }

    fn end_block(&mut self) {
        let start_ms = self.blocks * BLOCK_MS;
        let end_ms = start_ms + BLOCK_MS;
        let [caller, agent] = self.peaks.map(|peak| peak > VOICE_PEAK);
        if caller {
            self.callee_spoke = true;
            self.callee_end_ms = end_ms;
        }
        if agent {
            match self.agent_end_ms {
                None => self.times.first_words_ms = Some(ms(start_ms)),
                Some(agent_end) if self.callee_spoke && start_ms >= agent_end + AGENT_QUIET_MS => {
                    self.times.replies_ms.push(ms(start_ms.saturating_sub(self.callee_end_ms)));
                }
                Some(_) => {}
            }
            self.agent_end_ms = Some(end_ms);
            self.callee_spoke = caller;
        }
        self.blocks += 1;
        self.in_block = 0;
        self.peaks = [0; 2];
    }
}

fn ms(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
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
