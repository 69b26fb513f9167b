//! Listening in on a hosted-agent call (ElevenLabs, Ultravox, Vapi over Twilio): its audio is
//! forked by Twilio to the listener's media route as a one-way stream of both tracks. The fork
//! is asked for through the Streams resource with two custom parameters, [`MONITOR_PARAMETER`]
//! naming the call and [`TOKEN_PARAMETER`] a fresh per-fork token, which the media route checks
//! on `start` (as it does a pipeline call's); the fork is stopped when the dispatcher stops
//! listening.

use switchboard_core::CallId;
use switchboard_providers::ProviderError;
use switchboard_providers::twilio::{StartStream, StreamTrack, TwilioClient};

use switchboard_providers::signature::websocket_url;

use switchboard_voice::{MONITOR_PARAMETER, MonitorForks, TOKEN_PARAMETER};

use crate::ProviderClients;
use crate::backends::twilio::TWILIO_MEDIA_PATH;

/// The name given to monitor streams at Twilio.
const STREAM_NAME: &str = "switchboard-listen";

/// Starts and stops monitor forks of hosted calls through Twilio.
#[derive(Clone)]
pub struct HostedForking {
    /// The Twilio client and the listener's public URL, as they are when a fork starts or stops.
    clients: ProviderClients,
    forks: MonitorForks,
}

/// A fork Twilio started; hand it back to [`HostedForking::stop`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fork {
    pub call_id: CallId,
    pub call_sid: String,
    pub stream_sid: String,
}

/// Why a fork could not be started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    #[error("no Twilio account is set (its account SID and auth token, in Settings)")]
    NoAccount,
    #[error("could not make a token for the monitor stream: {0}")]
    Token(getrandom::Error),
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl HostedForking {
    /// Forks through `client` to the listener reached at `public_base_url` (`https://…`, no
    /// trailing slash) for good (see [`HostedForking::with_clients`]).
    pub fn new(client: TwilioClient, public_base_url: &str, forks: MonitorForks) -> Self {
        let clients = ProviderClients::holding(|set| {
            set.twilio = Some(client);
            set.public_base_url = public_base_url.trim_end_matches('/').to_owned();
        });
        Self::with_clients(clients, forks)
    }

    /// Forks through the Twilio account `clients` holds at the time to the listener's public
    /// URL then, filing the expected streams in `forks` (the listener's).
    pub fn with_clients(clients: ProviderClients, forks: MonitorForks) -> Self {
        Self { clients, forks }
    }

    /// Asks Twilio to fork both tracks of `call` (Twilio call `call_sid`) to the media route.
    pub async fn start(&self, call: CallId, call_sid: &str) -> Result<Fork, ForkError> {
        let current = self.clients.current();
        let client = current.twilio.as_ref().ok_or(ForkError::NoAccount)?;
        let token = self.forks.expect(call).map_err(ForkError::Token)?;
        let stream = StartStream {
            url: websocket_url(&current.public_url(TWILIO_MEDIA_PATH)),
            track: StreamTrack::Both,
            name: Some(STREAM_NAME.to_owned()),
            status_callback: None,
            parameters: vec![(MONITOR_PARAMETER.to_owned(), call.to_string()), (TOKEN_PARAMETER.to_owned(), token)],
        };
        match client.start_stream(call_sid, &stream).await {
            Ok(started) => Ok(Fork { call_id: call, call_sid: call_sid.to_owned(), stream_sid: started.sid }),
            Err(error) => {
                self.forks.forget(call);
                Err(error.into())
            }
        }
    }

    /// Stops the fork; its token is no longer accepted either way.
    pub async fn stop(&self, fork: &Fork) -> Result<(), ForkError> {
        self.forks.forget(fork.call_id);
        let client = self.clients.current().twilio.clone().ok_or(ForkError::NoAccount)?;
        client.stop_stream(&fork.call_sid, &fork.stream_sid).await?;
        Ok(())
    }
}
