//! Listening in on a live call on the local speakers: one call at a time, both parties mixed by
//! a `LiveMonitor` on the output device chosen in Settings, fed by a task from the engine's
//! live-audio tap, or signed in, from the team server's listen-in socket. A hosted call's audio
//! is forked from Twilio (through the Twilio account in force) and the fork is stopped with the
//! listening. No device is an ordinary answer, shown in the window; the rest of the app carries on.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde::Serialize;
use switchboard_core::CallId;
use switchboard_engine::Engine;
use switchboard_engine::listen_in::{self as engine, LiveFrame};
use switchboard_speaker::{LiveMonitor, SpeakerError};
use switchboard_telephony::ProviderClients;
use switchboard_telephony::listen_in::{HostedForking, StopFork, listen_in};
use switchboard_voice::MonitorForks;
use tauri::async_runtime::JoinHandle;
use tokio::sync::oneshot;
use ts_rs::TS;

use crate::dto::CommandError;
use crate::team::link::{Connected, TeamFrames};

/// Where listening is, as the console shows it (polled while listening).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListeningStatus {
    /// The call listened to; `null` when none is.
    pub call_id: Option<CallId>,
    /// The call's audio is still coming (false once the call ended).
    pub live: bool,
    pub volume: f32,
    pub muted: bool,
    /// The mixed call's level over the last block, dBFS (−96 is silence).
    pub level_dbfs: f32,
    /// Frames dropped because the speakers fell behind.
    #[ts(type = "number")]
    pub dropped_frames: u64,
    /// Why the device stopped, if it did; or why a team call's audio stopped coming, when not
    /// with the call (the node running it lost, say).
    pub error: Option<String>,
}

/// Why listening could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenFailure {
    #[error(transparent)]
    Speaker(#[from] SpeakerError),
    #[error(transparent)]
    Call(#[from] switchboard_telephony::listen_in::ListenError),
    /// The team server refused, or could not be reached.
    #[error("{}", .0.message)]
    Team(CommandError),
}

/// Where the frames of the call listened to come from.
enum Source {
    /// The engine beside the window, and what stops a hosted call's fork.
    Engine(engine::Listening, StopFork),
    /// The team server signed in to (its socket is large: boxed).
    Team(Box<TeamFrames>),
}

impl Source {
    /// The next frame, `None` once the call's audio has ended.
    async fn recv(&mut self) -> Option<LiveFrame> {
        match self {
            Source::Engine(frames, _) => frames.recv().await,
            Source::Team(frames) => frames.recv().await,
        }
    }

    /// Why the call's audio stopped coming, when it was not the call ending.
    fn cut_off(&self) -> Option<String> {
        match self {
            Source::Engine(..) => None,
            Source::Team(frames) => frames.cut_off().map(str::to_owned),
        }
    }

    /// Lets the call's audio go: stops its fork, or closes the server's socket.
    async fn close(self, call: CallId) {
        match self {
            Source::Engine(frames, fork) => {
                drop(frames);
                if let Err(error) = fork.stop().await {
                    tracing::warn!(%call, %error, "could not stop the call's monitor fork");
                }
            }
            Source::Team(frames) => frames.close().await,
        }
    }
}

/// The console's listening in.
pub struct Listening {
    forking: Option<HostedForking>,
    current: Mutex<Option<Current>>,
}

struct Current {
    call_id: CallId,
    monitor: LiveMonitor,
    /// The call's audio is still coming.
    live: Arc<AtomicBool>,
    /// Why it stopped coming, when it was not the call ending (set before `live` goes false).
    cut_off: Arc<OnceLock<String>>,
    /// Tells the feeding task to stop (it then stops the fork).
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Listening {
    /// Listening for `engine`'s calls; hosted calls are forked through the Twilio account
    /// `clients` holds when listening starts, to the listener's public URL then.
    /// `forks` are the monitor streams the listener's media route expects.
    pub fn new(engine: Option<&Arc<Engine>>, clients: &ProviderClients, forks: &MonitorForks) -> Self {
        let forking = engine.map(|_| HostedForking::with_clients(clients.clone(), forks.clone()));
        Self { forking, current: Mutex::default() }
    }

    /// Listens to `engine`'s `call` on `device` (`None`: the system default), instead of any
    /// call before.
    pub async fn listen(
        &self,
        engine: &Engine,
        call: CallId,
        device: Option<&str>,
    ) -> Result<ListeningStatus, ListenFailure> {
        self.listen_to(call, device, async {
            let (frames, fork) = listen_in(engine, self.forking.as_ref(), call).await?.into_parts();
            Ok(Source::Engine(frames, fork))
        })
        .await
    }

    /// Listens to the team `server`'s `call` on `device`, instead of any call before.
    pub async fn listen_over(
        &self,
        server: &Connected,
        call: CallId,
        device: Option<&str>,
    ) -> Result<ListeningStatus, ListenFailure> {
        let source = async {
            server.listen(call).await.map(|frames| Source::Team(Box::new(frames))).map_err(ListenFailure::Team)
        };
        self.listen_to(call, device, source).await
    }

    /// Listens to `call` on `device` with the frames `source` opens, once the device is open.
    async fn listen_to(
        &self,
        call: CallId,
        device: Option<&str>,
        source: impl Future<Output = Result<Source, ListenFailure>>,
    ) -> Result<ListeningStatus, ListenFailure> {
        self.stop().await;
        let (monitor, mut feed) = LiveMonitor::open(device)?;
        let mut source = source.await?;
        let (stop, mut stopped) = oneshot::channel();
        let live = Arc::new(AtomicBool::new(true));
        let still_live = Arc::clone(&live);
        let cut_off = Arc::new(OnceLock::new());
        let why = Arc::clone(&cut_off);
        let task = tauri::async_runtime::spawn(async move {
            loop {
                tokio::select! {
                    frame = source.recv() => match frame {
                        Some(frame) => {
                            feed.push(frame.party, &frame.frame);
                        }
                        None => break,
                    },
                    _ = &mut stopped => break,
                }
            }
            if let Some(reason) = source.cut_off() {
                let _ = why.set(reason);
            }
            still_live.store(false, Ordering::Release);
            source.close(call).await;
        });
        let current = Current { call_id: call, monitor, live, cut_off, stop: Some(stop), task };
        let status = status(Some(&current));
        let previous = self.current().replace(current);
        if let Some(mut previous) = previous {
            // Another listen raced this one: that call is let go.
            previous.ask_to_stop();
        }
        Ok(status)
    }

    /// Stops listening (and a hosted call's fork).
    pub async fn stop(&self) {
        let current = self.current().take();
        if let Some(mut current) = current {
            current.ask_to_stop();
            let _finished = current.task.await;
        }
    }

    /// Applies `change` to the monitor, if listening, and says where listening is.
    pub fn with_monitor(&self, change: impl FnOnce(&LiveMonitor)) -> ListeningStatus {
        let current = self.current();
        if let Some(current) = current.as_ref() {
            change(&current.monitor);
        }
        status(current.as_ref())
    }

    fn current(&self) -> MutexGuard<'_, Option<Current>> {
        self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Current {
    fn ask_to_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _stopped = stop.send(());
        }
    }
}

fn status(current: Option<&Current>) -> ListeningStatus {
    match current {
        Some(current) => ListeningStatus {
            call_id: Some(current.call_id),
            live: current.live.load(Ordering::Acquire),
            volume: current.monitor.volume(),
            muted: current.monitor.is_muted(),
            level_dbfs: current.monitor.level().rms_dbfs,
            dropped_frames: current.monitor.dropped_frames(),
            error: current.monitor.stream_error().or_else(|| current.cut_off.get().cloned()),
        },
        None => ListeningStatus {
            call_id: None,
            live: false,
            volume: 1.0,
            muted: false,
            level_dbfs: switchboard_audio::FLOOR_DBFS,
            dropped_frames: 0,
            error: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use switchboard_engine::EngineSettings;
    use switchboard_store::Store;

    use super::*;

    fn engine() -> Engine {
        Engine::new(Arc::new(Store::open_in_memory().unwrap()), EngineSettings::default())
    }

    #[tokio::test]
    async fn a_missing_device_is_a_clear_error_and_nothing_is_listened_to() {
        let listening = Listening::new(None, &ProviderClients::default(), &MonitorForks::default());
        let failure = listening.listen(&engine(), CallId(1), Some("Studio Monitors")).await.err().unwrap();
        assert!(matches!(failure, ListenFailure::Speaker(SpeakerError::NoDevice(_))), "{failure}");
        assert!(failure.to_string().starts_with("no audio output device: "), "{failure}");
        let status = listening.with_monitor(|_| {});
        assert_eq!((status.call_id, status.live), (None, false));
    }
}
