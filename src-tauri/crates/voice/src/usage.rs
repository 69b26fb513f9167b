//! What a pipeline call used that it is billed for, counted by the tasks that use it: audio
//! streamed to Deepgram, the model's tokens as Anthropic reports them, characters sent to
//! ElevenLabs. Counted with relaxed atomic adds (one per message, never per frame); the session
//! reports the total before the call's end.

use std::sync::atomic::{AtomicU64, Ordering};

use switchboard_core::CallUsage;

/// μ-law at 8 kHz: bytes of audio per millisecond.
const MULAW_BYTES_PER_MS: u64 = 8;

#[derive(Debug, Default)]
pub(crate) struct UsageMeter {
    stt_audio_ms: AtomicU64,
    llm_input_tokens: AtomicU64,
    llm_output_tokens: AtomicU64,
    tts_chars: AtomicU64,
}

impl UsageMeter {
    /// `bytes` of μ-law audio went to speech-to-text.
    pub(crate) fn listened(&self, bytes: usize) {
        self.stt_audio_ms.fetch_add(bytes as u64 / MULAW_BYTES_PER_MS, Ordering::Relaxed);
    }

    /// One model request used these tokens.
    pub(crate) fn thought(&self, input_tokens: u32, output_tokens: u32) {
        self.llm_input_tokens.fetch_add(u64::from(input_tokens), Ordering::Relaxed);
        self.llm_output_tokens.fetch_add(u64::from(output_tokens), Ordering::Relaxed);
    }

    /// `text` went to text-to-speech.
    pub(crate) fn spoke(&self, text: &str) {
        self.tts_chars.fetch_add(text.chars().count() as u64, Ordering::Relaxed);
    }

    /// Everything counted so far.
    pub(crate) fn total(&self) -> CallUsage {
        CallUsage {
            stt_audio_ms: self.stt_audio_ms.load(Ordering::Relaxed),
            llm_input_tokens: self.llm_input_tokens.load(Ordering::Relaxed),
            llm_output_tokens: self.llm_output_tokens.load(Ordering::Relaxed),
            tts_chars: self.tts_chars.load(Ordering::Relaxed),
            ..CallUsage::default()
        }
    }
}
