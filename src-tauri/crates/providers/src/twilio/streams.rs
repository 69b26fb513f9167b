//! Forking a live call's audio to a WebSocket (the Streams resource), for listening in.

use std::borrow::Cow;

use serde::Deserialize;

/// Which side of the call a stream carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTrack {
    /// What the callee says.
    Inbound,
    /// What the agent says.
    Outbound,
    Both,
}

impl StreamTrack {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound_track",
            Self::Outbound => "outbound_track",
            Self::Both => "both_tracks",
        }
    }
}

/// A one-way stream to start on a call in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartStream {
    /// The `wss://` URL Twilio connects to (no query string).
    pub url: String,
    pub track: StreamTrack,
    pub name: Option<String>,
    pub status_callback: Option<String>,
    /// Custom parameters (name, value) the stream's `start` message carries, as `<Parameter>`s
    /// do: where per-stream auth goes (the URL carries no query string). At most 99.
    pub parameters: Vec<(String, String)>,
}

impl StartStream {
    pub(super) fn form(&self) -> Vec<(Cow<'static, str>, String)> {
        let mut form = vec![("Url".into(), self.url.clone()), ("Track".into(), self.track.as_str().to_owned())];
        form.extend(self.name.clone().map(|name| ("Name".into(), name)));
        form.extend(self.status_callback.clone().map(|url| ("StatusCallback".into(), url)));
        for (n, (name, value)) in (1..=99).zip(&self.parameters) {
            form.push((format!("Parameter{n}.Name").into(), name.clone()));
            form.push((format!("Parameter{n}.Value").into(), value.clone()));
        }
        form
    }
}

/// Twilio's answer about a stream (`POST …/Streams.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TwilioStream {
    /// `MZ…`
    pub sid: String,
    pub call_sid: Option<String>,
    pub name: Option<String>,
    /// `in-progress` or `stopped`.
    pub status: String,
}
