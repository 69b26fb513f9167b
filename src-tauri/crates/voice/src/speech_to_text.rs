//! The listening hop: the caller's frames to Deepgram as binary frames (a KeepAlive after
//! [`KEEP_ALIVE_AFTER`] without audio), Deepgram's events to the session. Frames that queued up
//! (while a send was under way, or handed over together by the reader while the caller is
//! quiet) go out together as one message, so a busy machine sends fewer, larger messages
//! instead of falling behind; a frame never waits here for another. A socket that drops or
//! fails is reopened once; a second failure is reported and the task ends.

use std::sync::Arc;
use std::time::Duration;

use switchboard_audio::{FRAME_BYTES, Frame};
use switchboard_providers::ProviderError;
use switchboard_providers::deepgram::{DeepgramClient, DeepgramReceiver, DeepgramSender, ListenEvent, ListenOptions};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::input::Input;
use crate::usage::UsageMeter;

/// Deepgram closes a socket after 10 s with neither audio nor KeepAlive.
const KEEP_ALIVE_AFTER: Duration = Duration::from_secs(4);
/// The most frames sent as one message (240 ms; Deepgram advises 20 to 250 ms): while the caller
/// is quiet, 4 messages a second instead of 50, each a send the engine pays for.
pub(super) const MOST_FRAMES_PER_MESSAGE: usize = 12;

/// Runs until the frames stop (the call ended) or Deepgram fails twice.
pub(super) async fn run(
    client: DeepgramClient,
    options: ListenOptions,
    mut frames: mpsc::Receiver<Frame>,
    session: mpsc::Sender<Input>,
    usage: Arc<UsageMeter>,
) {
    let mut reopened = false;
    let (mut sender, mut receiver) = match client.listen(&options).await {
        Ok(stream) => stream.split(),
        Err(error) => {
            let _ended = session.send(Input::ListenFailed(error.to_string())).await;
            return;
        }
    };
    let mut queued = Vec::with_capacity(MOST_FRAMES_PER_MESSAGE);
    let mut audio = Vec::with_capacity(MOST_FRAMES_PER_MESSAGE * FRAME_BYTES);
    let mut last_audio = Instant::now();
    // One timer for the call, moved on only when it fires: a frame just notes its time.
    let keep_alive = sleep_until(last_audio + KEEP_ALIVE_AFTER);
    tokio::pin!(keep_alive);
    loop {
        let failure = tokio::select! {
            received = frames.recv_many(&mut queued, MOST_FRAMES_PER_MESSAGE) => {
                if received == 0 {
                    let _closing = sender.finish().await;
                    return;
                }
                last_audio = Instant::now();
                audio.clear();
                queued.drain(..).for_each(|frame| audio.extend_from_slice(&frame));
                usage.listened(audio.len());
                sender.send_audio(&audio).await.err()
            },
            event = receiver.recv() => match event {
                Ok(ListenEvent::Closed) => Some(ProviderError::ClosedUnexpectedly {
                    provider: switchboard_providers::Provider::Deepgram,
                }),
                Ok(event) => {
                    if session.send(Input::Heard(event)).await.is_err() {
                        return;
                    }
                    None
                }
                Err(error) => Some(error),
            },
            () = &mut keep_alive => {
                let due = last_audio + KEEP_ALIVE_AFTER;
                if due > Instant::now() {
                    keep_alive.as_mut().reset(due);
                    None
                } else {
                    last_audio = Instant::now();
                    keep_alive.as_mut().reset(last_audio + KEEP_ALIVE_AFTER);
                    sender.keep_alive().await.err()
                }
            }
        };
        let Some(error) = failure else { continue };
        if reopened {
            let _ended = session.send(Input::ListenFailed(error.to_string())).await;
            return;
        }
        reopened = true;
        tracing::warn!(%error, "the Deepgram socket failed; reopening it once");
        match reopen(&client, &options).await {
            Ok((new_sender, new_receiver)) => (sender, receiver) = (new_sender, new_receiver),
            Err(error) => {
                let _ended = session.send(Input::ListenFailed(error.to_string())).await;
                return;
            }
        }
    }
}

async fn reopen(
    client: &DeepgramClient,
    options: &ListenOptions,
) -> Result<(DeepgramSender, DeepgramReceiver), ProviderError> {
    Ok(client.listen(options).await?.split())
}
