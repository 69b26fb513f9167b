//! Switchboard's self-hosted realtime voice pipeline: a per-call session on Twilio's media stream that
//! holds the conversation itself — Deepgram live STT → Anthropic streaming → ElevenLabs TTS →
//! paced 20 ms frames back to Twilio — with barge-in, endings, transfer and per-turn latency.
//!
//! One call runs as tasks joined by bounded channels: the media reader (Twilio's frames to the
//! listener and the recorder; marks, DTMF and stop to the session), the listener (Deepgram), the
//! session (the conversation's state and every decision), one task per agent turn (LLM →
//! sentences → TTS → frames), the playout (paced frames, marks and clear to Twilio, on a
//! runtime of its own) and the recorder (both tracks to a WAV). Frames travel as fixed arrays;
//! the pipeline's own code takes no lock on the frame path.

pub mod agent_tools;
mod call;
mod conversation;
pub mod goodbye;
mod greeting;
mod input;
mod latency;
mod media;
mod media_reader;
mod monitor_stream;
mod pacing;
mod pacing_watch;
mod playout;
mod playout_runtime;
mod recorder;
mod sentences;
mod session;
mod sessions;
mod speech_to_text;
mod spoken;
mod turn;
mod usage;

pub use call::{CallControl, PipelineCall, PipelineClients};
pub(crate) use media::refuse;
pub use media::serve_media;
pub use monitor_stream::{MONITOR_PARAMETER, MonitorForks, MonitorRefusal};
pub use pacing::{LATE_AFTER, PacingTotals, pacing_totals};
pub use pacing_watch::{PACING_WATCH_EVERY, watch_pacing};
pub use sessions::{CALL_ID_PARAMETER, DispatchersEnd, Instruction, PipelineSessions, TOKEN_PARAMETER};
pub use sessions::{new_token, same_text};
