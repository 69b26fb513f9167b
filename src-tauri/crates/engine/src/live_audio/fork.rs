//! Listening in on a hosted-agent call (ElevenLabs, Ultravox, Vapi over Twilio): its audio is
//! forked by Twilio to the listener's media route as a one-way stream of both tracks. The fork
//! is asked for through the Streams resource with two custom parameters, [`MONITOR_PARAMETER`]
//! naming the call and [`TOKEN_PARAMETER`] a fresh per-fork token, which the media route checks
//! on `start` (as it does a pipeline call's); the fork is stopped when the dispatcher stops
//! listening.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use switchboard_core::CallId;
use switchboard_providers::ProviderError;
use switchboard_providers::twilio::{StartStream, StreamTrack, TwilioClient};

use switchboard_providers::signature::websocket_url;

use crate::ProviderClients;
use crate::pipeline::{TOKEN_PARAMETER, new_token, same_text};
use crate::server::TWILIO_MEDIA_PATH;

/// The stream parameter marking a monitor stream, and naming its call (Switchboard's id).
pub const MONITOR_PARAMETER: &str = "monitorCallId";
/// The name given to monitor streams at Twilio.
const STREAM_NAME: &str = "switchboard-listen";

/// The monitor forks whose stream is expected, with their tokens; shared by whoever starts
/// forks and the listener's media route, through [`LiveAudio`](super::LiveAudio).
#[derive(Clone, Default)]
pub struct MonitorForks {
    expected: Arc<Mutex<HashMap<CallId, String>>>,
}

/// Why a monitor stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MonitorRefusal {
    #[error("no monitor stream of call {0} is expected")]
    Unexpected(String),
    #[error("the token for the monitor stream of call {0} is missing or wrong")]
    WrongToken(CallId),
}

impl MonitorForks {
    /// Expects a monitor stream of `call`; returns its token. Expecting again replaces the token.
    fn expect(&self, call: CallId) -> Result<String, getrandom::Error> {
        let token = new_token()?;
        self.lock().insert(call, token.clone());
        Ok(token)
    }

    fn forget(&self, call: CallId) {
        self.lock().remove(&call);
    }

    /// The call a monitor stream's `start` names, when its token is the one expected. The
    /// token stays valid while the fork lasts (Twilio may reconnect a stream).
    pub(crate) fn claim(&self, call_id: &str, token: Option<&str>) -> Result<CallId, MonitorRefusal> {
        let id = call_id.trim().parse().map(CallId).map_err(|_| MonitorRefusal::Unexpected(call_id.to_owned()))?;
        let expected = self.lock();
        let token_expected = expected.get(&id).ok_or_else(|| MonitorRefusal::Unexpected(call_id.to_owned()))?;
        if !token.is_some_and(|token| same_text(token, token_expected)) {
            return Err(MonitorRefusal::WrongToken(id));
        }
        Ok(id)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<CallId, String>> {
        self.expected.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monitor_stream_is_claimed_only_with_its_token() {
        let forks = MonitorForks::default();
        let token = forks.expect(CallId(5)).unwrap();
        assert_eq!(forks.claim("5", Some(&token)), Ok(CallId(5)));
        assert_eq!(forks.claim("5", Some(&token)), Ok(CallId(5)), "valid while the fork lasts");
        assert_eq!(forks.claim("5", Some("nope")), Err(MonitorRefusal::WrongToken(CallId(5))));
        assert_eq!(forks.claim("5", None), Err(MonitorRefusal::WrongToken(CallId(5))));
        assert_eq!(forks.claim("6", Some(&token)), Err(MonitorRefusal::Unexpected("6".into())));
        forks.forget(CallId(5));
        assert_eq!(forks.claim("5", Some(&token)), Err(MonitorRefusal::Unexpected("5".into())));
    }
}
