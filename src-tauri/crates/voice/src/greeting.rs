//! The greeting, synthesised while the phone rings: as soon as the call is filed, its first
//! turn (the rendered first message, through ElevenLabs) runs with its audio and reports held
//! in queues of their own; the session passes them on to the playout and to itself the moment
//! the media stream starts — never before, as only a running session plays. A call that is
//! never answered, or whose answering machine is known before its stream, drops the greeting
//! unheard (its turn is aborted).

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::call::PipelineCall;
use super::input::Input;
use super::playout::Outbound;
use super::turn::{self, Script, TurnSetup};

/// The greeting's turn id: the call's first turn.
pub(crate) const GREETING_TURN: u32 = 0;
/// Frames held before the stream starts (5 s; the greeting waits for room beyond them).
const HELD_FRAMES: usize = 250;
/// Reports held before the stream starts.
const HELD_REPORTS: usize = 256;

/// The greeting's turn, running ahead of its call's stream; dropping it stops the turn.
#[derive(Debug)]
pub(crate) struct PreparedGreeting {
    task: Option<JoinHandle<()>>,
    reports: mpsc::Receiver<Input>,
    audio: mpsc::Receiver<Outbound>,
}

impl PreparedGreeting {
    /// Starts saying `call`'s first message (on the current runtime).
    pub(crate) fn start(call: &PipelineCall) -> Self {
        let (report_sender, reports) = mpsc::channel(HELD_REPORTS);
        let (audio_sender, audio) = mpsc::channel(HELD_FRAMES);
        let setup = TurnSetup::new(call, report_sender, audio_sender);
        let script = Script::Say(call.first_message.clone());
        let task = tokio::spawn(turn::run(setup, GREETING_TURN, script, None));
        Self { task: Some(task), reports, audio }
    }

    /// Passes what the greeting's turn held, and all it does from now on, to the session and the
    /// playout; returns the turn's task.
    pub(crate) fn play(mut self, session: mpsc::Sender<Input>, playout: mpsc::Sender<Outbound>) -> JoinHandle<()> {
        let (mut reports, mut audio) = (relay_end(&mut self.reports), relay_end(&mut self.audio));
        tokio::spawn(async move {
            while let Some(item) = audio.recv().await {
                if playout.send(item).await.is_err() {
                    return;
                }
            }
        });
        tokio::spawn(async move {
            while let Some(input) = reports.recv().await {
                if session.send(input).await.is_err() {
                    return;
                }
            }
        });
        self.task.take().expect("a prepared greeting is played once")
    }
}

/// Takes `receiver`, leaving a closed one in its place.
fn relay_end<T>(receiver: &mut mpsc::Receiver<T>) -> mpsc::Receiver<T> {
    std::mem::replace(receiver, mpsc::channel(1).1)
}

impl Drop for PreparedGreeting {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
