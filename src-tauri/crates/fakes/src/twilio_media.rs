//! Twilio joining a media stream (docs/providers.md#twilio-media-streams), the one way the sim does it: the fake
//! Twilio runs it for a call's `<Connect><Stream>` and for a fork started through the Streams
//! resource. It connects like Twilio (the upgrade signed with `X-Twilio-Signature` over the
//! `wss://` form of the public URL), sends `connected` and `start` with the call's ids, tracks
//! and custom parameters, then plays the callee — 20 ms μ-law frames in real time, a tone
//! while the callee speaks and silence otherwise (none while the stream stalls), DTMF, `stop` —
//! following a script that can wait for the agent, then (given a [`Converser`]) deciding turn by
//! turn what to do once the agent has spoken; a fork of both tracks also sends the far
//! end's track (a steady tone of its own). On a bidirectional stream it plays the agent's
//! audio on a virtual clock: a `mark` is echoed when the audio sent before it would have
//! finished playing, and `clear` drops the queued audio and returns every pending mark at
//! once. Everything received is recorded with its arrival time. The stream ends when the far
//! end closes it, the script hangs up, or Twilio ends it ([`StreamControl::stop`]: the call
//! was hung up or redirected, the fork stopped). Every stream runs on the fake's own thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use switchboard_audio::mulaw::{SILENCE, encode_sample};
use switchboard_audio::{FRAME_BYTES, FRAME_MS};
use switchboard_providers::Secret;
use switchboard_providers::signature::{SignedBody, TwilioWebhookKey, websocket_url};
use switchboard_providers::twilio::StreamTrack;
use tokio::runtime::Handle;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const FRAME: Duration = Duration::from_millis(FRAME_MS);
/// The longest a scripted call may run before the fake hangs up on its own.
const LONGEST_CALL: Duration = Duration::from_secs(120);

/// Where and as whom the fake connects.
#[derive(Debug, Clone)]
pub struct MediaStreamSettings {
    /// The ids `start` names: the account, the call and this stream.
    pub account_sid: String,
    pub call_sid: String,
    pub stream_sid: String,
    /// What the stream carries: the callee (`<Connect><Stream>`), or a fork's track(s).
    pub tracks: StreamTrack,
    /// The socket to connect to, e.g. `ws://127.0.0.1:8765/twilio/media`.
    pub connect_url: String,
    /// The public URL Twilio was given (`https://…/twilio/media`): what it signs, in `wss` form.
    pub public_url: String,
    /// The auth token Twilio signs with.
    pub auth_token: Secret,
    /// The `<Stream>`'s `<Parameter>`s.
    pub parameters: BTreeMap<String, String>,
    /// Keep every byte of audio sent and received in the record (for tests that compare it).
    pub keep_audio: bool,
}

/// One step of the caller's script.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum CallerStep {
    /// Talk for this long (a tone loud enough to be speech).
    Speak(Duration),
    /// Stay silent for this long.
    Silence(Duration),
    /// Send no media at all for this long, as when Twilio's stream stalls or a muted caller's
    /// silence is suppressed (the stream's timestamps still advance).
    Stall(Duration),
    /// Press a key.
    Dtmf(char),
    /// Wait until the agent has spoken and then been quiet for this long.
    WaitForAgent(Duration),
    /// Wait until the agent's audio starts arriving.
    WaitForAgentSpeaking,
    /// Send `stop` and close the socket (the callee hangs up).
    HangUp,
}

/// What a [`Converser`] decides next, when it has decided.
pub type NextSteps = std::pin::Pin<Box<dyn std::future::Future<Output = Vec<CallerStep>> + Send>>;

/// A callee who decides as the call goes: once the script has run out, each time the agent has
/// spoken and then been quiet for `quiet` (its audio played, its marks echoed), `next` gives
/// the steps to play next (silence meanwhile); when it gives none, the callee stays silent from
/// then on.
#[derive(Clone)]
pub struct Converser {
    pub quiet: Duration,
    pub next: Arc<dyn Fn() -> NextSteps + Send + Sync>,
}

impl std::fmt::Debug for Converser {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Converser").field("quiet", &self.quiet).finish_non_exhaustive()
    }
}

/// What the fake received and did, with times.
#[derive(Debug, Clone, Default)]
pub struct MediaStreamRecord {
    /// When the `start` message was sent (the callee answered and the stream began).
    pub started_at: Option<Instant>,
    /// Arrival time of every media message the agent sent, and its payload's length in bytes
    /// (a 20 ms frame is 160; a message may carry several).
    pub frames: Vec<(Instant, usize)>,
    /// How many 20 ms frames of the caller's track were sent.
    pub caller_frames: u64,
    /// Every mark received, with its arrival time.
    pub marks: Vec<(Instant, String)>,
    /// Every mark echoed back, with the time it was sent back.
    pub echoed: Vec<(Instant, String)>,
    /// Frames that arrived after the agent audio queued before them had finished playing, and
    /// how long the callee heard nothing before each.
    pub starved: Vec<(Instant, Duration)>,
    /// When the fake's own 20 ms clock ticked late, and by how much: the process was starved of
    /// CPU then (a busy machine), which delays every task in it, the engine's included.
    pub late_ticks: Vec<(Instant, Duration)>,
    /// Arrival times of `clear` messages.
    pub clears: Vec<Instant>,
    /// When the fake started speaking each scripted utterance.
    pub spoke_at: Vec<Instant>,
    /// The close frame's code when the listener closed the socket.
    pub close_code: Option<u16>,
    /// The listener closed the socket (rather than the fake hanging up).
    pub closed_by_listener: bool,
    /// Unreadable or unexpected messages.
    pub unexpected: Vec<String>,
    /// The caller's μ-law audio as sent, when the settings keep audio.
    pub caller_audio: Vec<u8>,
    /// The agent's μ-law audio as received, when the settings keep audio.
    pub agent_audio: Vec<u8>,
    /// The far end's track as a fork sent it, when the settings keep audio.
    pub far_end_audio: Vec<u8>,
    /// How long the stream lasted, from connecting to its end.
    pub lasted: Duration,
}

impl MediaStreamRecord {
    /// The agent's 20 ms frames received, over all its messages.
    pub fn agent_frames(&self) -> usize {
        self.frames.iter().map(|(_, bytes)| bytes / FRAME_BYTES).sum()
    }

    /// Silences heard in the middle of the agent's speech, each with the arrival that ended it:
    /// the playback buffer ran dry for less than `pause` (a longer silence is a pause between
    /// utterances), leaving out those while the fake's own clock ticked more than `starved` late
    /// (it read the frames late).
    pub fn underruns_within_speech(&self, pause: Duration, starved: Duration) -> Vec<(Instant, Duration)> {
        self.starved
            .iter()
            .filter(|(at, dry)| *dry < pause && !self.starving(*at - *dry, *at, starved))
            .copied()
            .collect()
    }

    /// Whether the fake's clock ticked more than `starved` late between `from` and `to`.
    fn starving(&self, from: Instant, to: Instant, starved: Duration) -> bool {
        self.late_ticks.iter().any(|(at, late)| *late > starved && *at >= from && *at <= to + *late)
    }

    /// Gaps between consecutive agent messages less than `pause` apart, each with the later
    /// message's arrival, leaving out those during which the fake's own clock ticked more than
    /// `starved` late (the process was starved, not the pacing wrong); also how many were left
    /// out. A message carrying more than one 20 ms frame is due that much later after the one
    /// before: its gap is counted less the audio the message before carried beyond one frame,
    /// so a gap means what it means between single frames (over 40 ms: 20 ms later than due).
    pub fn paced_gaps(&self, pause: Duration, starved: Duration) -> (Vec<(Instant, Duration)>, usize) {
        let mut excused = 0;
        let gaps = self
            .frames
            .windows(2)
            .filter_map(|pair| {
                let ((from, carried), (to, _)) = (pair[0], pair[1]);
                let gap = to.duration_since(from).saturating_sub(audio_length(carried).saturating_sub(FRAME));
                let starving = self.starving(from, to, starved);
                if gap >= pause {
                    None
                } else if starving && gap > FRAME {
                    excused += 1;
                    None
                } else {
                    Some((to, gap))
                }
            })
            .collect();
        (gaps, excused)
    }
}

/// How long `bytes` of 8 kHz μ-law play.
fn audio_length(bytes: usize) -> Duration {
    Duration::from_micros(bytes as u64 * 1_000_000 / 8000)
}

/// Twilio's side of every media stream runs on a thread of its own, as Twilio runs on machines of
/// its own: the frames it receives are timed when they arrive, not when the engine's busy
/// workers would get round to reading them (it still takes its CPU from the same machine).
static TWILIO_THREAD: OnceLock<Option<Handle>> = OnceLock::new();

fn twilio_thread() -> Option<&'static Handle> {
    TWILIO_THREAD
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("fake-twilio-media".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// A call in progress; [`FakeMediaStream::finish`] waits for it to end.
pub struct FakeMediaStream {
    task: JoinHandle<Result<MediaStreamRecord, String>>,
    control: StreamControl,
}

/// Ends a stream from Twilio's side and tells when it has ended.
#[derive(Clone)]
pub struct StreamControl {
    stop: Arc<Notify>,
    ended: watch::Receiver<bool>,
}

impl StreamControl {
    /// Twilio ends the stream (the call was hung up or redirected, the fork stopped): `stop`,
    /// then the socket closes.
    pub fn stop(&self) {
        self.stop.notify_one();
    }

    /// Waits until the stream has ended, whoever ended it.
    pub async fn ended(&self) {
        let mut ended = self.ended.clone();
        // An error means the stream's task is gone: ended too.
        let _ended = ended.wait_for(|ended| *ended).await.is_ok();
    }
}

impl FakeMediaStream {
    /// Connects and plays `script`, then asks `converser` (if any) turn by turn; fails when the
    /// upgrade is refused.
    pub async fn connect(
        settings: MediaStreamSettings,
        script: Vec<CallerStep>,
        converser: Option<Converser>,
    ) -> Result<Self, String> {
        let connecting = Self::connect_here(settings, script, converser);
        match twilio_thread() {
            Some(thread) => thread.spawn(connecting).await.map_err(|error| error.to_string())?,
            None => connecting.await,
        }
    }

    /// Connects and plays from the runtime it is called on.
    async fn connect_here(
        settings: MediaStreamSettings,
        script: Vec<CallerStep>,
        converser: Option<Converser>,
    ) -> Result<Self, String> {
        let signed = websocket_url(&settings.public_url);
        let signature = TwilioWebhookKey::new(settings.auth_token.clone()).sign(&signed, SignedBody::Empty);
        let mut request = settings.connect_url.as_str().into_client_request().map_err(|error| error.to_string())?;
        request.headers_mut().insert("x-twilio-signature", signature.parse().map_err(|_| "a signature header")?);
        // tungstenite zero-fills its whole read buffer before every read: keep it small.
        let config = WebSocketConfig::default().read_buffer_size(2 * 1024);
        let (socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), false)
            .await
            .map_err(|error| error.to_string())?;
        let stop = Arc::new(Notify::new());
        let (ended_sender, ended) = watch::channel(false);
        let caller = Caller::new(settings, script, converser);
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let connected = Instant::now();
            let record = caller.run(socket, &stopped).await.map(|mut record| {
                record.lasted = connected.elapsed();
                record
            });
            ended_sender.send_replace(true);
            record
        });
        Ok(Self { task, control: StreamControl { stop, ended } })
    }

    /// Ends the stream from Twilio's side, and tells when it has ended.
    pub fn control(&self) -> StreamControl {
        self.control.clone()
    }

    /// Waits until the call ends (the listener closes the socket or the script hangs up).
    pub async fn finish(self) -> Result<MediaStreamRecord, String> {
        self.task.await.map_err(|error| error.to_string())?
    }
}

struct Caller {
    settings: MediaStreamSettings,
    script: VecDeque<CallerStep>,
    step: Option<(CallerStep, Instant)>,
    converser: Option<Converser>,
    /// Since when the converser has been waiting for the agent to speak and finish.
    conversing_since: Option<Instant>,
    /// The converser's decision under way.
    deciding: Option<tokio::sync::oneshot::Receiver<Vec<CallerStep>>>,
    record: MediaStreamRecord,
    /// The last media message's audio, decoded (reused).
    payload: Vec<u8>,
    /// When the agent audio queued so far finishes playing.
    playback_end: Instant,
    pending_marks: VecDeque<(Instant, String)>,
    last_agent_frame: Option<Instant>,
    sequence: u64,
    sent_frames: u64,
    /// 20 ms ticks since the stream started: the media timestamps.
    ticks: u64,
    tone_phase: u64,
    far_end_phase: u64,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl Caller {
    fn new(settings: MediaStreamSettings, script: Vec<CallerStep>, converser: Option<Converser>) -> Self {
        Self {
            settings,
            script: script.into(),
            step: None,
            converser,
            conversing_since: None,
            deciding: None,
            record: MediaStreamRecord::default(),
            payload: Vec::new(),
            playback_end: Instant::now(),
            pending_marks: VecDeque::new(),
            last_agent_frame: None,
            sequence: 0,
            sent_frames: 0,
            ticks: 0,
            tone_phase: 0,
            far_end_phase: 0,
        }
    }

    async fn run(mut self, socket: Socket, stop: &Notify) -> Result<MediaStreamRecord, String> {
        let (mut sink, mut stream) = socket.split();
        let send_error = |error: tokio_tungstenite::tungstenite::Error| error.to_string();
        sink.send(text(json!({"event": "connected", "protocol": "Call", "version": "1.0.0"})))
            .await
            .map_err(send_error)?;
        let settings = &self.settings;
        let tracks: &[&str] = match settings.tracks {
            StreamTrack::Inbound => &["inbound"],
            StreamTrack::Outbound => &["outbound"],
            StreamTrack::Both => &["inbound", "outbound"],
        };
        let start = json!({"event": "start", "sequenceNumber": "1", "streamSid": settings.stream_sid,
            "start": {"accountSid": settings.account_sid, "streamSid": settings.stream_sid, "callSid": settings.call_sid,
                      "tracks": tracks, "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                      "customParameters": settings.parameters}});
        self.sequence = 1;
        self.record.started_at = Some(Instant::now());
        sink.send(text(start)).await.map_err(send_error)?;
        let began = Instant::now();
        let mut ticks = tokio::time::interval(FRAME);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        // One wait for Twilio's stop for the whole stream, not a new one per loop.
        let stopped = stop.notified();
        tokio::pin!(stopped);
        loop {
            // What the listener sent is read first, so a late tick never judges the agent quiet
            // while its frames wait unread.
            tokio::select! {
                biased;
                message = stream.next() => match message {
                    Some(Ok(Message::Text(body))) => self.receive(body.as_str()),
                    Some(Ok(Message::Close(frame))) => {
                        return Ok(self.closed_by_listener(frame.map(|frame| u16::from(frame.code))));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return Ok(self.closed_by_listener(None)),
                },
                () = &mut stopped => {
                    self.send_stop(&mut sink).await;
                    return Ok(self.record);
                }
                scheduled = ticks.tick() => {
                    let now = Instant::now();
                    let late = now.duration_since(scheduled.into_std());
                    if late > Duration::from_millis(5) {
                        self.record.late_ticks.push((now, late));
                    }
                    while let Some((due, _)) = self.pending_marks.front() {
                        if *due > now { break; }
                        let (_, name) = self.pending_marks.pop_front().expect("just seen");
                        let echo = self.mark_echo(&name);
                        self.record.echoed.push((now, name));
                        if sink.send(echo).await.is_err() { return Ok(self.closed_by_listener(None)); }
                    }
                    let (frame, actions) = self.next_frame(now);
                    for action in actions {
                        match action {
                            Action::Dtmf(digit) => {
                                let dtmf = json!({"event": "dtmf", "sequenceNumber": self.next_sequence(), "streamSid": self.settings.stream_sid,
                                                  "dtmf": {"track": "inbound_track", "digit": digit.to_string()}});
                                if sink.send(text(dtmf)).await.is_err() { return Ok(self.closed_by_listener(None)); }
                            }
                            Action::HangUp => {
                                self.send_stop(&mut sink).await;
                                return Ok(self.record);
                            }
                        }
                    }
                    let inbound = frame.filter(|_| self.settings.tracks != StreamTrack::Outbound);
                    if let Some(frame) = inbound {
                        if self.settings.keep_audio {
                            self.record.caller_audio.extend_from_slice(&frame);
                        }
                        self.record.caller_frames += 1;
                        let media = self.media("inbound", &frame);
                        if sink.send(media).await.is_err() { return Ok(self.closed_by_listener(None)); }
                    }
                    if self.settings.tracks != StreamTrack::Inbound {
                        let far_end = self.far_end_tone();
                        if self.settings.keep_audio {
                            self.record.far_end_audio.extend_from_slice(&far_end);
                        }
                        let media = self.media("outbound", &far_end);
                        if sink.send(media).await.is_err() { return Ok(self.closed_by_listener(None)); }
                    }
                    self.ticks += 1;
                    if began.elapsed() > LONGEST_CALL {
                        let _closed = sink.close().await;
                        return Err(format!("the call was still going after {} s", LONGEST_CALL.as_secs()));
                    }
                }
            }
        }
    }

    /// Sends `stop` and closes the socket.
    async fn send_stop(&mut self, sink: &mut futures_util::stream::SplitSink<Socket, Message>) {
        let settings = &self.settings;
        let stop = json!({"event": "stop", "sequenceNumber": (self.sequence + 1).to_string(), "streamSid": settings.stream_sid,
                          "stop": {"accountSid": settings.account_sid, "callSid": settings.call_sid}});
        let _sent = sink.send(text(stop)).await;
        let _closed = sink.close().await;
    }

    fn closed_by_listener(mut self, code: Option<u16>) -> MediaStreamRecord {
        self.record.closed_by_listener = true;
        self.record.close_code = code;
        self.record
    }

    /// Takes one message from the listener.
    fn receive(&mut self, body: &str) {
        let now = Instant::now();
        let stream_sid = self.settings.stream_sid.as_str();
        let Some(message) =
            serde_json::from_str::<Sent<'_>>(body).ok().filter(|sent| sent.stream_sid == Some(stream_sid))
        else {
            self.record.unexpected.push(body.to_owned());
            return;
        };
        match (message.event, message.media, message.mark) {
            ("media", Some(Payload { payload }), _) => {
                self.payload.clear();
                if BASE64.decode_vec(payload, &mut self.payload).is_err() {
                    self.record.unexpected.push(body.to_owned());
                    return;
                }
                let bytes = self.payload.len();
                self.record.frames.push((now, bytes));
                if self.settings.keep_audio {
                    self.record.agent_audio.extend_from_slice(&self.payload);
                }
                if self.last_agent_frame.is_some() && now > self.playback_end {
                    self.record.starved.push((now, now.duration_since(self.playback_end)));
                }
                self.last_agent_frame = Some(now);
                self.playback_end = self.playback_end.max(now) + audio_length(bytes);
            }
            ("mark", _, Some(Name { name })) => {
                self.record.marks.push((now, name.to_owned()));
                self.pending_marks.push_back((self.playback_end.max(now), name.to_owned()));
            }
            ("clear", _, _) => {
                self.record.clears.push(now);
                self.playback_end = now;
                for pending in &mut self.pending_marks {
                    pending.0 = now;
                }
            }
            _ => self.record.unexpected.push(body.to_owned()),
        }
    }

    /// The caller's next 20 ms (none while the stream stalls), and what else the script does now.
    fn next_frame(&mut self, now: Instant) -> (Option<[u8; FRAME_BYTES]>, Vec<Action>) {
        let mut actions = Vec::new();
        loop {
            if self.step.is_none() {
                let Some(step) = self.script.pop_front() else {
                    if let Some(steps) = self.converse(now) {
                        self.script.extend(steps);
                        continue;
                    }
                    return (Some([SILENCE; FRAME_BYTES]), actions);
                };
                if matches!(step, CallerStep::Speak(_)) {
                    self.record.spoke_at.push(now);
                }
                self.step = Some((step, now));
            }
            let (step, since) = self.step.clone().expect("just set");
            let elapsed = now.duration_since(since);
            let done = match step {
                CallerStep::Speak(length) if elapsed < length => return (Some(self.tone()), actions),
                CallerStep::Silence(length) if elapsed < length => return (Some([SILENCE; FRAME_BYTES]), actions),
                CallerStep::Stall(length) if elapsed < length => return (None, actions),
                CallerStep::Speak(_) | CallerStep::Silence(_) | CallerStep::Stall(_) => true,
                CallerStep::Dtmf(digit) => {
                    actions.push(Action::Dtmf(digit));
                    true
                }
                CallerStep::HangUp => {
                    actions.push(Action::HangUp);
                    return (None, actions);
                }
                CallerStep::WaitForAgent(quiet) => {
                    let spoke = self.last_agent_frame.is_some_and(|last| last >= since);
                    spoke && now >= self.playback_end + quiet && self.pending_marks.is_empty()
                }
                CallerStep::WaitForAgentSpeaking => self.last_agent_frame.is_some_and(|last| last >= since),
            };
            if !done {
                return (Some([SILENCE; FRAME_BYTES]), actions);
            }
            self.step = None;
        }
    }

    /// The converser's next steps, once it has decided; `None` while the agent has not had its
    /// turn, while it decides, or when it has nothing more to do.
    fn converse(&mut self, now: Instant) -> Option<Vec<CallerStep>> {
        if let Some(deciding) = &mut self.deciding {
            return match deciding.try_recv() {
                Ok(steps) if !steps.is_empty() => {
                    self.deciding = None;
                    Some(steps)
                }
                Err(tokio::sync::oneshot::error::TryRecvError::Empty) => None,
                Ok(_) | Err(tokio::sync::oneshot::error::TryRecvError::Closed) => {
                    self.deciding = None;
                    self.converser = None;
                    None
                }
            };
        }
        let converser = self.converser.as_ref()?;
        let since = *self.conversing_since.get_or_insert(now);
        let spoke = self.last_agent_frame.is_some_and(|last| last >= since);
        if !(spoke && now >= self.playback_end + converser.quiet && self.pending_marks.is_empty()) {
            return None;
        }
        self.conversing_since = None;
        let (decided, deciding) = tokio::sync::oneshot::channel();
        let next = (converser.next)();
        tokio::spawn(async move {
            let _gone = decided.send(next.await);
        });
        self.deciding = Some(deciding);
        None
    }

    /// The callee's next 20 ms of voice: a 301 Hz tone (its phase drifts from frame to frame,
    /// so frames in order can be told from frames out of order).
    fn tone(&mut self) -> [u8; FRAME_BYTES] {
        tone(&mut self.tone_phase, 301.0)
    }

    /// The far end's next 20 ms on a fork: a 457 Hz tone.
    fn far_end_tone(&mut self) -> [u8; FRAME_BYTES] {
        tone(&mut self.far_end_phase, 457.0)
    }

    fn media(&mut self, track: &str, frame: &[u8]) -> Message {
        let chunk = self.sent_frames + 1;
        let timestamp = self.ticks * FRAME_MS;
        self.sent_frames += 1;
        let sequence = self.next_sequence();
        let payload = BASE64.encode(frame);
        let stream_sid = &self.settings.stream_sid;
        Message::Text(
            format!(
                r#"{{"event":"media","sequenceNumber":"{sequence}","streamSid":"{stream_sid}","media":{{"track":"{track}","chunk":"{chunk}","timestamp":"{timestamp}","payload":"{payload}"}}}}"#
            )
            .into(),
        )
    }

    fn mark_echo(&mut self, name: &str) -> Message {
        let sequence = self.next_sequence();
        text(
            json!({"event": "mark", "sequenceNumber": sequence, "streamSid": self.settings.stream_sid, "mark": {"name": name}}),
        )
    }

    fn next_sequence(&mut self) -> String {
        self.sequence += 1;
        self.sequence.to_string()
    }
}

/// A message from the listener, read in place.
#[derive(serde::Deserialize)]
struct Sent<'a> {
    #[serde(borrow)]
    event: &'a str,
    #[serde(borrow, rename = "streamSid")]
    stream_sid: Option<&'a str>,
    #[serde(borrow)]
    media: Option<Payload<'a>>,
    #[serde(borrow)]
    mark: Option<Name<'a>>,
}

#[derive(serde::Deserialize)]
struct Payload<'a> {
    #[serde(borrow)]
    payload: &'a str,
}

#[derive(serde::Deserialize)]
struct Name<'a> {
    #[serde(borrow)]
    name: &'a str,
}

enum Action {
    Dtmf(char),
    HangUp,
}

/// 20 ms of a tone at `hertz`, its phase carried in `phase` (samples so far).
fn tone(phase: &mut u64, hertz: f64) -> [u8; FRAME_BYTES] {
    let mut frame = [SILENCE; FRAME_BYTES];
    for sample in &mut frame {
        let angle = *phase as f64 * hertz * std::f64::consts::TAU / 8000.0;
        *sample = encode_sample((angle.sin() * 6000.0) as i16);
        *phase += 1;
    }
    frame
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}
