//! The listening hop: the caller's frames to Deepgram as binary frames (a KeepAlive after
//! [`KEEP_ALIVE_AFTER`] without audio), Deepgram's events to the session. A socket that drops
//! or fails is reopened once; a second failure is reported and the task ends.

use std::time::Duration;

use switchboard_audio::Frame;
use switchboard_providers::ProviderError;
use switchboard_providers::deepgram::{DeepgramClient, DeepgramReceiver, DeepgramSender, ListenEvent, ListenOptions};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::session::Input;

/// Deepgram closes a socket after 10 s with neither audio nor KeepAlive.
const KEEP_ALIVE_AFTER: Duration = Duration::from_secs(4);

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
    let mut quiet_since = Instant::now();
    loop {
        let failure = tokio::select! {
            frame = frames.recv() => match frame {
                Some(frame) => {
                    quiet_since = Instant::now();
                    sender.send_audio(&frame).await.err()
                }
                None => {
                    let _closing = sender.finish().await;
                    return;
                }
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
            () = sleep_until(quiet_since + KEEP_ALIVE_AFTER) => {
                quiet_since = Instant::now();
                sender.keep_alive().await.err()
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
