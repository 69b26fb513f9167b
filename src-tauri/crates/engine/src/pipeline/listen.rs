//! The listening hop: the caller's frames to Deepgram as binary frames (a KeepAlive after
//! [`KEEP_ALIVE_AFTER`] without audio), Deepgram's events to the session. The audio goes in
//! messages of [`FRAMES_PER_MESSAGE`] frames (40 ms, well within Deepgram's advice of 20–100 ms,
//! and half the messages Twilio's 20 ms frames would make: at hundreds of calls, every message
//! is a system call here and at Deepgram); frames that queued up while a send was under way go
//! along, up to [`MOST_FRAMES_PER_MESSAGE`]. A socket that drops or fails is reopened once; a
//! second failure is reported and the task ends.

use std::time::Duration;

use switchboard_audio::{FRAME_BYTES, Frame};
use switchboard_providers::ProviderError;
use switchboard_providers::deepgram::{DeepgramClient, DeepgramReceiver, DeepgramSender, ListenEvent, ListenOptions};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::session::Input;

/// Deepgram closes a socket after 10 s with neither audio nor KeepAlive.
const KEEP_ALIVE_AFTER: Duration = Duration::from_secs(4);
/// Frames sent as one message: the first frame of a pair waits for the second, so a frame
/// reaches Deepgram 20 ms later than it would alone.
const FRAMES_PER_MESSAGE: usize = 2;
/// How long a frame waits for the rest of its message before it goes alone (the stream
/// stalled).
const HOLD_AT_MOST: Duration = Duration::from_millis(40);
/// The most frames sent as one message (100 ms, the upper end of Deepgram's advice).
const MOST_FRAMES_PER_MESSAGE: usize = 5;

/// Runs until the frames stop (the call ended) or Deepgram fails twice.
pub(super) async fn run(
    client: DeepgramClient,
    options: ListenOptions,
    mut frames: mpsc::Receiver<Frame>,
    session: mpsc::Sender<Input>,
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
    // One timer for the call: a held frame's deadline, else the KeepAlive's (moved on when it
    // fires: a frame just notes its time).
    let wake = sleep_until(last_audio + KEEP_ALIVE_AFTER);
    tokio::pin!(wake);
    loop {
        let room = MOST_FRAMES_PER_MESSAGE - queued.len();
        let failure = tokio::select! {
            received = frames.recv_many(&mut queued, room) => {
                if received == 0 {
                    if !queued.is_empty() {
                        let _sent = send_queued(&mut sender, &mut queued, &mut audio).await;
                    }
                    let _closing = sender.finish().await;
                    return;
                }
                last_audio = Instant::now();
                if queued.len() < FRAMES_PER_MESSAGE {
                    wake.as_mut().reset(last_audio + HOLD_AT_MOST);
                    continue;
                }
                send_queued(&mut sender, &mut queued, &mut audio).await.err()
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
            () = &mut wake => {
                let keep_alive_due = last_audio + KEEP_ALIVE_AFTER;
                if !queued.is_empty() {
                    // The rest of the message did not come: the stream stalled.
                    last_audio = Instant::now();
                    wake.as_mut().reset(last_audio + KEEP_ALIVE_AFTER);
                    send_queued(&mut sender, &mut queued, &mut audio).await.err()
                } else if keep_alive_due > Instant::now() {
                    wake.as_mut().reset(keep_alive_due);
                    None
                } else {
                    last_audio = Instant::now();
                    wake.as_mut().reset(last_audio + KEEP_ALIVE_AFTER);
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

/// Sends the queued frames as one message.
async fn send_queued(
    sender: &mut DeepgramSender,
    queued: &mut Vec<Frame>,
    audio: &mut Vec<u8>,
) -> Result<(), ProviderError> {
    audio.clear();
    queued.drain(..).for_each(|frame| audio.extend_from_slice(&frame));
    sender.send_audio(audio).await
}

async fn reopen(
    client: &DeepgramClient,
    options: &ListenOptions,
) -> Result<(DeepgramSender, DeepgramReceiver), ProviderError> {
    Ok(client.listen(options).await?.split())
}
