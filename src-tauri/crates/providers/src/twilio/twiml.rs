//! TwiML documents built with an XML writer, so caller-supplied text is always escaped.

use std::fmt;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::StreamTrack;

/// A rendered TwiML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Twiml(String);

impl Twiml {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// TwiML a provider generated for us (ElevenLabs' register-call), passed on as it is.
    pub(crate) fn from_provider(document: String) -> Self {
        Self(document)
    }
}

impl fmt::Display for Twiml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// TwiML that Twilio would refuse or misread.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwimlError {
    #[error("a <Stream> URL must be ws:// or wss:// with no query string (use parameters): {0:?}")]
    StreamUrl(String),
    #[error("<Gather> cannot combine speechTimeout=\"auto\" with a speechModel")]
    AutoSpeechTimeoutWithModel,
}

/// A `<Response>` under construction: verbs run in the order they are added.
#[derive(Debug, Clone, Default)]
pub struct TwimlResponse {
    verbs: Vec<Verb>,
}

#[derive(Debug, Clone)]
enum Verb {
    Say(Say),
    Gather(Gather),
    Dial(Dial),
    Connect(Stream),
    Start(Stream),
    Pause(u32),
    Redirect(String),
    Hangup,
}

/// `<Say>`: text spoken by Twilio's TTS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    pub text: String,
    pub voice: Option<String>,
    pub language: Option<String>,
}

impl Say {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), voice: None, language: None }
    }
}

/// What `<Gather>` listens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherInput {
    Speech,
    Dtmf,
    SpeechAndDtmf,
}

/// How long `<Gather>` waits after speech stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechTimeout {
    Auto,
    Seconds(u32),
}

/// `<Gather>`: listen, then POST `SpeechResult`/`Digits` to `action`; `prompt` plays meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    pub input: GatherInput,
    /// Absolute when the TwiML is sent inline with a call (the `Twiml` parameter).
    pub action: Option<String>,
    pub timeout_secs: Option<u32>,
    pub speech_timeout: Option<SpeechTimeout>,
    pub speech_model: Option<String>,
    pub language: Option<String>,
    pub hints: Option<String>,
    pub action_on_empty_result: Option<bool>,
    pub barge_in: Option<bool>,
    pub prompt: Vec<Say>,
}

impl Gather {
    /// Speech input posted to `action`, everything else at Twilio's defaults.
    pub fn speech(action: impl Into<String>) -> Self {
        Self {
            input: GatherInput::Speech,
            action: Some(action.into()),
            timeout_secs: None,
            speech_timeout: None,
            speech_model: None,
            language: None,
            hints: None,
            action_on_empty_result: None,
            barge_in: None,
            prompt: Vec::new(),
        }
    }
}

/// `<Dial><Number>`: connect the call to another phone (a transfer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    pub number: String,
    pub caller_id: Option<String>,
    pub timeout_secs: Option<u32>,
    pub time_limit_secs: Option<u32>,
    /// Where Twilio posts the outcome of the dial when it ends.
    pub action: Option<String>,
}

impl Dial {
    pub fn number(number: impl Into<String>) -> Self {
        Self { number: number.into(), caller_id: None, timeout_secs: None, time_limit_secs: None, action: None }
    }
}

/// `<Stream>` inside `<Connect>` (two-way, the call's audio goes to the socket) or `<Start>`
/// (a one-way copy, e.g. for listening in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub url: String,
    pub name: Option<String>,
    pub track: Option<StreamTrack>,
    pub status_callback: Option<String>,
    /// `<Parameter>`s, delivered in the `start` message's `customParameters`.
    pub parameters: Vec<(String, String)>,
}

impl Stream {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), name: None, track: None, status_callback: None, parameters: Vec::new() }
    }

    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((name.into(), value.into()));
        self
    }
}

impl TwimlResponse {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn say(self, say: Say) -> Self {
        self.then(Verb::Say(say))
    }

    pub fn gather(self, gather: Gather) -> Self {
        self.then(Verb::Gather(gather))
    }

    pub fn dial(self, dial: Dial) -> Self {
        self.then(Verb::Dial(dial))
    }

    /// `<Connect><Stream>`: a bidirectional media stream; verbs after it run when it closes.
    pub fn connect_stream(self, stream: Stream) -> Self {
        self.then(Verb::Connect(stream))
    }

    /// `<Start><Stream>`: a one-way copy of the audio while the next verbs run.
    pub fn start_stream(self, stream: Stream) -> Self {
        self.then(Verb::Start(stream))
    }

    pub fn pause(self, seconds: u32) -> Self {
        self.then(Verb::Pause(seconds))
    }

    pub fn redirect(self, url: impl Into<String>) -> Self {
        self.then(Verb::Redirect(url.into()))
    }

    pub fn hangup(self) -> Self {
        self.then(Verb::Hangup)
    }

    fn then(mut self, verb: Verb) -> Self {
        self.verbs.push(verb);
        self
    }

    /// The document, with every attribute and text escaped by the XML writer.
    pub fn render(&self) -> Result<Twiml, TwimlError> {
        self.check()?;
        let mut writer = Writer::new(Vec::new());
        let written = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).and_then(|()| {
            writer
                .create_element("Response")
                .write_inner_content(|writer| self.verbs.iter().try_for_each(|verb| write_verb(writer, verb)))
        });
        written.expect("writing XML into memory cannot fail");
        Ok(Twiml(String::from_utf8(writer.into_inner()).expect("the XML writer emits UTF-8")))
    }

    fn check(&self) -> Result<(), TwimlError> {
        for verb in &self.verbs {
            match verb {
                Verb::Connect(stream) | Verb::Start(stream) => {
                    let scheme_ok = stream.url.starts_with("wss://") || stream.url.starts_with("ws://");
                    if !scheme_ok || stream.url.contains('?') {
                        return Err(TwimlError::StreamUrl(stream.url.clone()));
                    }
                }
                Verb::Gather(gather)
                    if gather.speech_timeout == Some(SpeechTimeout::Auto) && gather.speech_model.is_some() =>
                {
                    return Err(TwimlError::AutoSpeechTimeoutWithModel);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

type XmlWriter = Writer<Vec<u8>>;

/// Attribute pairs, skipping the unset ones.
fn attributes<'a>(pairs: &'a [(&'a str, Option<String>)]) -> impl Iterator<Item = (&'a str, &'a str)> {
    pairs.iter().filter_map(|(name, value)| value.as_deref().map(|value| (*name, value)))
}

fn write_verb(writer: &mut XmlWriter, verb: &Verb) -> io::Result<()> {
    match verb {
        Verb::Say(say) => write_say(writer, say),
        Verb::Gather(gather) => write_gather(writer, gather),
        Verb::Dial(dial) => {
            let pairs = [
                ("callerId", dial.caller_id.clone()),
                ("timeout", dial.timeout_secs.map(|secs| secs.to_string())),
                ("timeLimit", dial.time_limit_secs.map(|secs| secs.to_string())),
                ("action", dial.action.clone()),
            ];
            let element = writer.create_element("Dial").with_attributes(attributes(&pairs));
            element
                .write_inner_content(|writer| {
                    writer.create_element("Number").write_text_content(BytesText::new(&dial.number)).map(drop)
                })
                .map(drop)
        }
        Verb::Connect(stream) => {
            writer.create_element("Connect").write_inner_content(|writer| write_stream(writer, stream)).map(drop)
        }
        Verb::Start(stream) => {
            writer.create_element("Start").write_inner_content(|writer| write_stream(writer, stream)).map(drop)
        }
        Verb::Pause(seconds) => writer
            .create_element("Pause")
            .with_attribute(("length", seconds.to_string().as_str()))
            .write_empty()
            .map(drop),
        Verb::Redirect(url) => writer.create_element("Redirect").write_text_content(BytesText::new(url)).map(drop),
        Verb::Hangup => writer.create_element("Hangup").write_empty().map(drop),
    }
}

fn write_say(writer: &mut XmlWriter, say: &Say) -> io::Result<()> {
    let pairs = [("voice", say.voice.clone()), ("language", say.language.clone())];
    writer.create_element("Say").with_attributes(attributes(&pairs)).write_text_content(BytesText::new(&say.text))?;
    Ok(())
}

fn write_gather(writer: &mut XmlWriter, gather: &Gather) -> io::Result<()> {
    let input = match gather.input {
        GatherInput::Speech => "speech",
        GatherInput::Dtmf => "dtmf",
        GatherInput::SpeechAndDtmf => "dtmf speech",
    };
    let speech_timeout = gather.speech_timeout.map(|timeout| match timeout {
        SpeechTimeout::Auto => "auto".to_owned(),
        SpeechTimeout::Seconds(seconds) => seconds.to_string(),
    });
    let pairs = [
        ("input", Some(input.to_owned())),
        ("action", gather.action.clone()),
        ("method", gather.action.as_ref().map(|_| "POST".to_owned())),
        ("timeout", gather.timeout_secs.map(|secs| secs.to_string())),
        ("speechTimeout", speech_timeout),
        ("speechModel", gather.speech_model.clone()),
        ("language", gather.language.clone()),
        ("hints", gather.hints.clone()),
        ("actionOnEmptyResult", gather.action_on_empty_result.map(|flag| flag.to_string())),
        ("bargeIn", gather.barge_in.map(|flag| flag.to_string())),
    ];
    let element = writer.create_element("Gather").with_attributes(attributes(&pairs));
    if gather.prompt.is_empty() {
        element.write_empty()?;
    } else {
        element.write_inner_content(|writer| gather.prompt.iter().try_for_each(|say| write_say(writer, say)))?;
    }
    Ok(())
}

fn write_stream(writer: &mut XmlWriter, stream: &Stream) -> io::Result<()> {
    let pairs = [
        ("url", Some(stream.url.clone())),
        ("name", stream.name.clone()),
        ("track", stream.track.map(|track| track.as_str().to_owned())),
        ("statusCallback", stream.status_callback.clone()),
    ];
    let element = writer.create_element("Stream").with_attributes(attributes(&pairs));
    if stream.parameters.is_empty() {
        element.write_empty()?;
    } else {
        element.write_inner_content(|writer| {
            stream.parameters.iter().try_for_each(|(name, value)| {
                writer
                    .create_element("Parameter")
                    .with_attributes([("name", name.as_str()), ("value", value.as_str())])
                    .write_empty()
                    .map(drop)
            })
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Dial, Gather, Say, SpeechTimeout, Stream, TwimlError, TwimlResponse};
    use crate::twilio::StreamTrack;

    const DECL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

    #[test]
    fn connect_stream_with_parameters() {
        let twiml = TwimlResponse::new()
            .connect_stream(Stream::new("wss://tunnel.example/twilio/media").parameter("callId", "abc123"))
            .render()
            .unwrap();
        assert_eq!(
            twiml.as_str(),
            format!(
                "{DECL}<Response><Connect><Stream url=\"wss://tunnel.example/twilio/media\">\
                 <Parameter name=\"callId\" value=\"abc123\"/></Stream></Connect></Response>"
            )
        );
    }

    #[test]
    fn gather_speech_with_a_prompt_then_hangup() {
        let mut gather = Gather::speech("https://tunnel.example/twilio/gather?call=7");
        gather.speech_timeout = Some(SpeechTimeout::Auto);
        gather.language = Some("en-US".into());
        gather.prompt.push(Say { voice: Some("Polly.Joanna".into()), ..Say::new("Hi, is this Acme?") });
        let twiml = TwimlResponse::new().gather(gather).say(Say::new("Goodbye.")).hangup().render().unwrap();
        assert_eq!(
            twiml.as_str(),
            format!(
                "{DECL}<Response><Gather input=\"speech\" action=\"https://tunnel.example/twilio/gather?call=7\" \
                 method=\"POST\" speechTimeout=\"auto\" language=\"en-US\"><Say voice=\"Polly.Joanna\">Hi, is this \
                 Acme?</Say></Gather><Say>Goodbye.</Say><Hangup/></Response>"
            )
        );
    }

    #[test]
    fn dial_for_a_transfer() {
        let dial =
            Dial { caller_id: Some("+15550001111".into()), timeout_secs: Some(20), ..Dial::number("+15551234567") };
        let twiml = TwimlResponse::new().say(Say::new("Transferring you now.")).dial(dial).render().unwrap();
        assert_eq!(
            twiml.as_str(),
            format!(
                "{DECL}<Response><Say>Transferring you now.</Say><Dial callerId=\"+15550001111\" timeout=\"20\">\
                 <Number>+15551234567</Number></Dial></Response>"
            )
        );
    }

    #[test]
    fn user_text_is_escaped_not_interpreted() {
        let hostile = r#"Tom & "Jerry" <Hangup/></Say><Dial>+1900</Dial>"#;
        let stream = Stream::new("wss://h/m").parameter("note", hostile);
        let twiml = TwimlResponse::new().say(Say::new(hostile)).start_stream(stream).render().unwrap();
        let text = twiml.as_str();
        assert!(!text.contains("<Hangup/>") && !text.contains("<Dial>"), "{text}");
        assert!(text.contains("<Say>Tom &amp; &quot;Jerry&quot; &lt;Hangup/&gt;&lt;/Say&gt;"), "{text}");
        assert!(text.contains("value=\"Tom &amp; &quot;Jerry&quot; &lt;Hangup/&gt;"), "{text}");
    }

    #[test]
    fn start_stream_with_track_and_pause() {
        let stream = Stream { track: Some(StreamTrack::Both), name: Some("listen".into()), ..Stream::new("wss://h/l") };
        let twiml = TwimlResponse::new().start_stream(stream).pause(2).redirect("https://h/next").render().unwrap();
        assert_eq!(
            twiml.as_str(),
            format!(
                "{DECL}<Response><Start><Stream url=\"wss://h/l\" name=\"listen\" track=\"both_tracks\"/></Start>\
                 <Pause length=\"2\"/><Redirect>https://h/next</Redirect></Response>"
            )
        );
    }

    #[test]
    fn refuses_what_twilio_would_refuse() {
        let with_query = TwimlResponse::new().connect_stream(Stream::new("wss://h/m?token=1")).render();
        assert_eq!(with_query, Err(TwimlError::StreamUrl("wss://h/m?token=1".into())));
        assert!(TwimlResponse::new().connect_stream(Stream::new("https://h/m")).render().is_err());
        let mut gather = Gather::speech("https://h/g");
        gather.speech_timeout = Some(SpeechTimeout::Auto);
        gather.speech_model = Some("phone_call".into());
        assert_eq!(TwimlResponse::new().gather(gather).render(), Err(TwimlError::AutoSpeechTimeoutWithModel));
    }
}
