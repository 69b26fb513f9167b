//! Twilio Media Streams WebSocket messages: what Twilio sends (`StreamEvent`) and what we send
//! back (`StreamCommand`). JSON text frames; sequence numbers, chunks and timestamps are strings.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{Bytes, BytesMut};
use serde::{Deserialize, Serialize};

use crate::Provider;
use crate::payload::{PayloadError, parse_json, text_number};

/// A message from Twilio on the media stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum StreamEvent {
    Connected {
        protocol: String,
        version: String,
    },
    Start {
        #[serde(with = "text_number")]
        sequence_number: u64,
        stream_sid: String,
        start: StreamStart,
    },
    Media {
        #[serde(with = "text_number")]
        sequence_number: u64,
        stream_sid: String,
        media: InboundMedia,
    },
    Dtmf {
        #[serde(with = "text_number")]
        sequence_number: u64,
        stream_sid: String,
        dtmf: Dtmf,
    },
    /// A mark we sent, echoed once the audio before it has played (or was cleared).
    Mark {
        #[serde(with = "text_number")]
        sequence_number: u64,
        stream_sid: String,
        mark: Mark,
    },
    Stop {
        #[serde(with = "text_number")]
        sequence_number: u64,
        stream_sid: String,
        stop: StreamStop,
    },
}

impl StreamEvent {
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        parse_json(Provider::Twilio, "media stream message", text.as_bytes())
    }
}

/// The timestamp (ms since the stream started) and base64 payload of a `media` message, read
/// without copying anything: the hot path, 50 messages a second per call. `None` for any other
/// message, and for a media message this cannot read (an escaped payload): read those with
/// [`StreamEvent::parse`].
pub fn media_payload(text: &str) -> Option<(u64, &str)> {
    #[derive(Deserialize)]
    struct Message<'a> {
        #[serde(borrow)]
        event: &'a str,
        #[serde(borrow)]
        media: Option<Media<'a>>,
    }
    #[derive(Deserialize)]
    struct Media<'a> {
        #[serde(borrow)]
        timestamp: &'a str,
        #[serde(borrow)]
        payload: &'a str,
    }
    let message: Message<'_> = serde_json::from_str(text).ok()?;
    let media = message.media.filter(|_| message.event == "media")?;
    Some((media.timestamp.parse().ok()?, media.payload))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStart {
    pub account_sid: String,
    pub stream_sid: String,
    pub call_sid: String,
    pub tracks: Vec<String>,
    pub media_format: MediaFormat,
    /// The `<Parameter>`s of the `<Stream>`: where per-call auth is checked.
    #[serde(default)]
    pub custom_parameters: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaFormat {
    /// `audio/x-mulaw`
    pub encoding: String,
    pub sample_rate: u32,
    pub channels: u8,
}

/// 20 ms of the call's audio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMedia {
    pub track: String,
    #[serde(with = "text_number")]
    pub chunk: u64,
    /// Milliseconds since the stream started.
    #[serde(with = "text_number")]
    pub timestamp: u64,
    /// Base64 μ-law 8 kHz.
    pub payload: String,
}

impl InboundMedia {
    /// The raw μ-law bytes, appended to `out` (reuse one buffer across frames).
    pub fn decode_into(&self, out: &mut Vec<u8>) -> Result<(), base64::DecodeError> {
        BASE64.decode_vec(&self.payload, out)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dtmf {
    pub track: String,
    pub digit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStop {
    pub account_sid: String,
    pub call_sid: String,
}

/// A message we send to Twilio on a bidirectional (`<Connect>`) stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum StreamCommand {
    /// Audio to play: base64 raw μ-law 8 kHz, no header; send 20 ms (160 bytes) at a time.
    Media { stream_sid: String, media: OutboundMedia },
    /// Ask Twilio to echo this mark once everything sent before it has played.
    Mark { stream_sid: String, mark: Mark },
    /// Drop all buffered audio (barge-in); pending marks come back at once.
    Clear { stream_sid: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMedia {
    pub payload: String,
}

impl StreamCommand {
    /// Audio to play, from raw μ-law bytes.
    pub fn media(stream_sid: impl Into<String>, mulaw: &[u8]) -> Self {
        Self::Media { stream_sid: stream_sid.into(), media: OutboundMedia { payload: BASE64.encode(mulaw) } }
    }

    pub fn mark(stream_sid: impl Into<String>, name: impl Into<String>) -> Self {
        Self::Mark { stream_sid: stream_sid.into(), mark: Mark { name: name.into() } }
    }

    pub fn clear(stream_sid: impl Into<String>) -> Self {
        Self::Clear { stream_sid: stream_sid.into() }
    }

    /// The JSON text frame.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stream commands always serialize")
    }
}

/// Writes the `media` messages of one stream into a reused buffer: the same JSON as
/// [`StreamCommand::media`], without allocating per frame once the buffer has grown (each
/// message's space is taken back when the sent message is dropped).
#[derive(Debug)]
pub struct MediaFrameWriter {
    prefix: String,
    buffer: BytesMut,
}

impl MediaFrameWriter {
    const SUFFIX: &'static [u8] = br#""}}"#;

    pub fn new(stream_sid: &str) -> Self {
        let sid = serde_json::to_string(stream_sid).expect("a string always serializes");
        Self {
            prefix: format!(r#"{{"event":"media","streamSid":{sid},"media":{{"payload":""#),
            buffer: BytesMut::new(),
        }
    }

    /// The JSON text of a `media` message carrying `mulaw` (UTF-8 bytes).
    pub fn media(&mut self, mulaw: &[u8]) -> Bytes {
        let encoded = base64::encoded_len(mulaw.len(), true).expect("a frame's base64 length fits in usize");
        self.buffer.reserve(self.prefix.len() + encoded + Self::SUFFIX.len());
        self.buffer.extend_from_slice(self.prefix.as_bytes());
        let start = self.buffer.len();
        self.buffer.resize(start + encoded, 0);
        let written = BASE64.encode_slice(mulaw, &mut self.buffer[start..]).expect("sized for the base64 text");
        self.buffer.truncate(start + written);
        self.buffer.extend_from_slice(Self::SUFFIX);
        self.buffer.split().freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::{MediaFrameWriter, StreamCommand, StreamEvent};

    #[test]
    fn media_payloads_are_read_in_place_and_other_messages_left_alone() {
        let media = r#"{"event":"media","sequenceNumber":"4","streamSid":"MZ1",
            "media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"/39/fw=="}}"#;
        assert_eq!(super::media_payload(media), Some((5, "/39/fw==")));
        let mark = r#"{"event":"mark","sequenceNumber":"6","streamSid":"MZ1","mark":{"name":"utt-42"}}"#;
        assert_eq!(super::media_payload(mark), None);
        let escaped = r#"{"event":"media","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"\/39="}}"#;
        assert_eq!(super::media_payload(escaped), None, "left to StreamEvent::parse");
        assert!(matches!(StreamEvent::parse(escaped), Err(_) | Ok(StreamEvent::Media { .. })));
    }

    #[test]
    fn the_frame_writer_writes_what_media_commands_do() {
        let mut writer = MediaFrameWriter::new("MZ\"1");
        for frame in [&[0xFF_u8, 0x7F][..], &[1, 2, 3], &[0; 160]] {
            let json = writer.media(frame);
            assert_eq!(std::str::from_utf8(&json).unwrap(), StreamCommand::media("MZ\"1", frame).to_json());
        }
    }

    #[test]
    fn reads_every_documented_event() {
        let connected = StreamEvent::parse(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#).unwrap();
        assert_eq!(connected, StreamEvent::Connected { protocol: "Call".into(), version: "1.0.0".into() });

        let start = StreamEvent::parse(
            r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ1",
                "start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],
                "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},
                "customParameters":{"callId":"abc123"}}}"#,
        )
        .unwrap();
        let StreamEvent::Start { sequence_number: 1, start, .. } = start else { panic!("{start:?}") };
        assert_eq!((start.call_sid.as_str(), start.media_format.sample_rate), ("CA1", 8000));
        assert_eq!(start.custom_parameters["callId"], "abc123");

        let media = StreamEvent::parse(
            r#"{"event":"media","sequenceNumber":"4","streamSid":"MZ1",
                "media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"/39/fw=="}}"#,
        )
        .unwrap();
        let StreamEvent::Media { sequence_number: 4, media, .. } = media else { panic!("{media:?}") };
        assert_eq!((media.chunk, media.timestamp), (2, 5));
        let mut audio = vec![0xAA];
        media.decode_into(&mut audio).unwrap();
        assert_eq!(audio, [0xAA, 0xFF, 0x7F, 0x7F, 0x7F]);

        let dtmf =
            r#"{"event":"dtmf","sequenceNumber":"5","streamSid":"MZ1","dtmf":{"track":"inbound_track","digit":"1"}}"#;
        assert!(matches!(StreamEvent::parse(dtmf).unwrap(), StreamEvent::Dtmf { dtmf, .. } if dtmf.digit == "1"));
        let mark = r#"{"event":"mark","sequenceNumber":"6","streamSid":"MZ1","mark":{"name":"utt-42"}}"#;
        assert!(matches!(StreamEvent::parse(mark).unwrap(), StreamEvent::Mark { mark, .. } if mark.name == "utt-42"));
        let stop =
            r#"{"event":"stop","sequenceNumber":"7","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#;
        assert!(matches!(StreamEvent::parse(stop).unwrap(), StreamEvent::Stop { sequence_number: 7, .. }));
    }

    #[test]
    fn events_write_numbers_as_strings_for_the_fakes() {
        let mark =
            StreamEvent::parse(r#"{"event":"mark","sequenceNumber":6,"streamSid":"MZ1","mark":{"name":"a"}}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&mark).unwrap(),
            r#"{"event":"mark","sequenceNumber":"6","streamSid":"MZ1","mark":{"name":"a"}}"#
        );
    }

    #[test]
    fn unknown_events_are_an_error_naming_twilio() {
        let error = StreamEvent::parse(r#"{"event":"bogus"}"#).unwrap_err();
        assert!(error.to_string().starts_with("Twilio media stream message"), "{error}");
    }

    #[test]
    fn writes_the_documented_commands() {
        assert_eq!(
            StreamCommand::media("MZ1", &[0xFF, 0x7F]).to_json(),
            r#"{"event":"media","streamSid":"MZ1","media":{"payload":"/38="}}"#
        );
        assert_eq!(
            StreamCommand::mark("MZ1", "utt-42").to_json(),
            r#"{"event":"mark","streamSid":"MZ1","mark":{"name":"utt-42"}}"#
        );
        assert_eq!(StreamCommand::clear("MZ1").to_json(), r#"{"event":"clear","streamSid":"MZ1"}"#);
    }
}
