//! Forking a live call's audio to a WebSocket (the Streams resource), for listening in.

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
}

impl StartStream {
    pub(super) fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = vec![("Url", self.url.clone()), ("Track", self.track.as_str().to_owned())];
        form.extend(self.name.clone().map(|name| ("Name", name)));
        form.extend(self.status_callback.clone().map(|url| ("StatusCallback", url)));
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
