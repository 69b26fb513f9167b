//! The timing of one answer, hop by hop: the caller stops speaking → Deepgram's final result →
//! the model's first token → the first TTS audio → the first frame sent to Twilio.

use std::time::Instant;

use switchboard_core::TurnLatency;

#[derive(Debug, Clone)]
pub(super) struct TurnTimes {
    pub(super) caller_stopped: Instant,
    pub(super) stt_final: Instant,
    pub(super) first_token: Option<Instant>,
    pub(super) first_audio: Option<Instant>,
}

impl TurnTimes {
    pub(super) fn new(caller_stopped: Instant, stt_final: Instant) -> Self {
        Self { caller_stopped: caller_stopped.min(stt_final), stt_final, first_token: None, first_audio: None }
    }

    /// The turn's latency once its first frame went out at `first_frame` (`None` when a hop
    /// was never reached, e.g. an answer with no words).
    pub(super) fn finish(&self, turn: u32, first_frame: Instant) -> Option<TurnLatency> {
        let first_token = self.first_token?;
        let first_audio = self.first_audio?.max(first_token);
        let ms = |from: Instant, to: Instant| {
            u32::try_from(to.saturating_duration_since(from).as_millis()).unwrap_or(u32::MAX)
        };
        Some(TurnLatency {
            turn,
            stt_ms: ms(self.caller_stopped, self.stt_final),
            llm_ms: ms(self.stt_final, first_token),
            tts_ms: ms(first_token, first_audio),
            send_ms: ms(first_audio, first_frame.max(first_audio)),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::TurnTimes;

    #[test]
    fn each_hop_is_measured_from_the_one_before() {
        let at = Instant::now();
        let ms = |n| at + Duration::from_millis(n);
        let mut times = TurnTimes::new(ms(0), ms(300));
        assert!(times.finish(1, ms(900)).is_none(), "no token yet");
        times.first_token = Some(ms(500));
        times.first_audio = Some(ms(800));
        let latency = times.finish(1, ms(805)).unwrap();
        assert_eq!((latency.stt_ms, latency.llm_ms, latency.tts_ms, latency.send_ms), (300, 200, 300, 5));
        assert_eq!(latency.total_ms(), 805);
    }
}
