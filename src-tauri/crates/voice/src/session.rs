//! The session: one call's conversation and every decision in it. It starts the tasks of the
//! call, greets the callee, turns what Deepgram hears into the callee's turns and the model's
//! answers, barges in when the callee talks over the agent, and ends the call — on `end_call`,
//! a goodbye, silence after one re-prompt, every required field collected, the max duration,
//! a transfer, the callee hanging up, an answering machine (the agent's voicemail policy), or a
//! fault (with a short apology while TTS still works). What it learns goes to the call task as
//! `BackendEvent`s, its end last, so the call ends once, with the session's reason.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message as SocketMessage, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use switchboard_audio::{FRAME_MS, Frame};
use switchboard_core::{CallState, HeardLatency, Speaker};
use switchboard_providers::anthropic::Message;
use switchboard_providers::deepgram::{ListenEvent, ListenOptions};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::call::{CallControl, PipelineCall};
use super::conversation::Conversation;
use super::greeting::{GREETING_TURN, PreparedGreeting};
use super::latency::TurnTimes;
use super::playout::{Playout, PlayoutCommand, Progress};
use super::sessions::{Claimed, DispatchersEnd, Instruction};
use super::spoken::Spoken;
use super::turn::{self, Script, SpareTts, TurnSetup};
use super::{playout_runtime, recorder, speech_to_text};
use crate::goodbye::says_goodbye;
use crate::input::{Input, TurnEnding, TurnReport};
use crate::media_reader::{LastVoice, Reader, StreamClock};
use switchboard_engine::BackendEvent;
use switchboard_engine::listen_in::AudioTap;
use switchboard_engine::{ENDED_BY_DISPATCHER, MACHINE_HUNG_UP_ON, TAKEN_OVER, VOICEMAIL_LEFT};

const INPUT_QUEUE: usize = 256;
/// Frames queued for the playout (5 s).
const OUTBOUND_QUEUE: usize = 250;
/// Caller frames waiting for Deepgram (1 s, e.g. while its socket is reopened).
const LISTEN_QUEUE: usize = 50;
/// The caller quiet for this long past Deepgram's utterance end, their silence goes to
/// Deepgram in batches (the final result and utterance end were long sent by then).
const BATCH_QUIET_MARGIN: Duration = Duration::from_secs(1);
const REPROMPT: &str = "Are you still there?";
const SILENT_GOODBYE: &str = "I'll let you go for now. Goodbye.";
const WRAP_UP: &str = "I'm sorry, I have to end the call here. Thank you for your time. Goodbye.";
const APOLOGY: &str = "I'm sorry, we're having technical trouble on our end. We'll call you back. Goodbye.";
/// How long last words may take to play before the call is ended anyway.
const LAST_WORDS_WITHIN: Duration = Duration::from_secs(15);
/// How long Twilio has to end the stream after the call is redirected (a transfer, a voicemail
/// message).
const REDIRECT_WITHIN: Duration = Duration::from_secs(5);
/// Used as "no deadline".
const NEVER: Duration = Duration::from_secs(24 * 3600);

/// How the call ends, and what Twilio is asked to do with it then.
#[derive(Debug, Clone)]
struct End {
    state: CallState,
    reason: String,
    control: CallControl,
}

impl End {
    fn completed(reason: impl Into<String>) -> Self {
        Self { state: CallState::Completed, reason: reason.into(), control: CallControl::HangUp }
    }

    fn failed(reason: impl Into<String>) -> Self {
        Self { state: CallState::Failed, reason: reason.into(), control: CallControl::HangUp }
    }
}

/// The callee's words an answer was started on as soon as Deepgram heard their turn end, kept
/// out of the transcript and the conversation until the answer is heard: should the callee go
/// on talking first, the answer is dropped without a trace and their words run on.
struct Heard {
    text: String,
    since: Instant,
}

/// The agent turn being generated or played.
struct Turn {
    id: u32,
    /// The callee's words this answer is for, not yet kept (see [`Heard`]).
    answers: Option<Heard>,
    task: JoinHandle<()>,
    spoken: Spoken,
    /// A fixed phrase (its words go to the conversation as said) rather than the model's answer.
    fixed: bool,
    /// The call ends once this turn has played.
    closes: Option<End>,
    times: Option<TurnTimes>,
    first_frame: Option<Instant>,
    done: Option<(Vec<Message>, Option<TurnEnding>)>,
    mark_echoed: bool,
}

impl Turn {
    fn new(id: u32, task: JoinHandle<()>, fixed: bool, closes: Option<End>, times: Option<TurnTimes>) -> Self {
        Self {
            id,
            answers: None,
            task,
            spoken: Spoken::default(),
            fixed,
            closes,
            times,
            first_frame: None,
            done: None,
            mark_echoed: false,
        }
    }
}

/// Runs a claimed call on its media stream (started at `started`) until the call ends, then reports how well its
/// audio kept time, its recording and its end. Both parties' frames go to `tap` for listening in.
pub(super) async fn run(
    claimed: Claimed,
    started: Instant,
    stream_sid: String,
    sink: SplitSink<WebSocket, SocketMessage>,
    stream: SplitStream<WebSocket>,
    tap: AudioTap,
) {
    let Claimed { call, machine, instructions, filed, greeting } = claimed;
    let (inputs_sender, inputs) = mpsc::channel(INPUT_QUEUE);
    let (recorder_sender, recording) = recorder::start(call.call_id, call.recording_dir.clone());
    let (listener_sender, listener_frames) = mpsc::channel::<Frame>(LISTEN_QUEUE);
    let (outbound, outbound_queue) = mpsc::channel(OUTBOUND_QUEUE);
    let (commands, command_queue) = mpsc::channel(8);
    let progress = Arc::new(Progress::default());
    let last_voice = Arc::new(LastVoice::default());
    let clock = Arc::new(StreamClock::default());
    let settings = &call.settings;
    let defaults = ListenOptions::default();
    let listen_options = ListenOptions {
        model: if settings.stt_model.is_empty() { defaults.model.clone() } else { settings.stt_model.clone() },
        language: if settings.language.trim().is_empty() {
            defaults.language.clone()
        } else {
            settings.language.trim().to_owned()
        },
        ..defaults
    };
    let reader = Reader {
        listener: listener_sender,
        batch_after_quiet: Duration::from_millis(listen_options.utterance_end_ms.into()) + BATCH_QUIET_MARGIN,
        recorder: recorder_sender.clone(),
        session: inputs_sender.clone(),
        last_voice: Arc::clone(&last_voice),
        started: started.into(),
        clock: Arc::clone(&clock),
        tap: tap.clone(),
    };
    let reader = tokio::spawn(reader.run(stream));
    let listening = tokio::spawn(speech_to_text::run(
        call.clients.deepgram.clone(),
        listen_options,
        listener_frames,
        inputs_sender.clone(),
        Arc::clone(&call.usage),
    ));
    let playout = Playout {
        sink,
        stream_sid,
        session: inputs_sender.clone(),
        recorder: recorder_sender,
        progress: Arc::clone(&progress),
        started: started.into(),
        clock,
        tap,
    };
    let playout = playout_runtime::spawn(playout.run(outbound_queue, command_queue));
    let setup = TurnSetup::new(&call, inputs_sender, outbound);
    let missing_required: Vec<String> =
        call.data_fields.iter().filter(|field| field.required).map(|f| f.key.clone()).collect();
    let mut session = Session {
        greeting,
        spare_tts: None,
        wrap_up_at: Some(started + call.max_duration),
        call,
        setup,
        inputs,
        machine: Some(machine),
        instructions,
        lines_waiting: VecDeque::new(),
        commands,
        progress,
        last_voice,
        started,
        conversation: Conversation::default(),
        has_required: !missing_required.is_empty(),
        missing_required,
        next_turn: 0,
        turn: None,
        heard: String::new(),
        heard_since: None,
        answer_waiting: false,
        goodbye_heard: false,
        silence_at: None,
        reprompted: false,
        give_up_at: None,
        measured_turns: 0,
    };
    session.report(BackendEvent::Answered).await;
    let end = session.converse().await;
    // The dispatcher's hang-up or take-over ends the stream too: the call is theirs, not hung up
    // by the callee.
    let end = match filed.dispatchers_end() {
        Some(DispatchersEnd::TakeOver) => End::completed(TAKEN_OVER),
        Some(DispatchersEnd::HangUp) => {
            End { state: CallState::Canceled, reason: ENDED_BY_DISPATCHER.to_owned(), control: CallControl::HangUp }
        }
        None => end,
    };
    session.stop_turn(false).await;
    session.keep_unanswered().await;
    let Session { call, setup, mut inputs, commands, .. } = session;
    let redirects = end.control.redirects();
    let _asked = call.control.send(end.control).await;
    if redirects {
        let stopped = async {
            while let Some(input) = inputs.recv().await {
                if matches!(input, Input::Stopped | Input::MediaClosed) {
                    break;
                }
            }
        };
        let _waited = tokio::time::timeout(REDIRECT_WITHIN, stopped).await;
    }
    // Closing the playout's queue closes the socket; the reader then ends, which ends the
    // listener (its frames stop) and, with the playout, the recording.
    drop((setup, commands, inputs));
    let played = tokio::time::timeout(Duration::from_secs(2), playout).await;
    reader.abort();
    let _listened = tokio::time::timeout(Duration::from_secs(2), listening).await;
    if let Ok(Ok(pacing)) = played {
        let _sent = call.events.send(BackendEvent::AudioPacing(pacing)).await;
    }
    if let Some(recorded) = recording.finish().await {
        let heard = HeardLatency::new(recorded.heard.first_words_ms, &recorded.heard.replies_ms);
        let _sent = call.events.send(BackendEvent::HeardLatency(heard)).await;
        let path = recorded.path.clone();
        let event = BackendEvent::RecordingFile { path: recorded.path, duration_ms: recorded.duration_ms };
        if call.events.send(event).await.is_err() {
            switchboard_engine::history::discard(path).await;
        }
    }
    let _sent = call.events.send(BackendEvent::Usage(call.usage.total())).await;
    tracing::info!(call = %call.call_id, state = end.state.as_str(), reason = end.reason, "pipeline call ended");
    let _sent = call.events.send(BackendEvent::Ended { state: end.state, reason: end.reason }).await;
    drop(filed);
}

/// Whether an answering machine's verdict came (`false`: it can no longer come); pending while
/// it still may.
async fn machine_verdict(machine: &mut Option<oneshot::Receiver<()>>) -> bool {
    let Some(verdict) = machine else { return std::future::pending().await };
    let came = verdict.await.is_ok();
    *machine = None;
    came
}

struct Session {
    call: PipelineCall,
    /// The greeting synthesised while the phone rang, until it is played.
    greeting: Option<PreparedGreeting>,
    /// A TTS socket opened while the callee talks, for the next turn.
    spare_tts: Option<SpareTts>,
    setup: TurnSetup,
    inputs: mpsc::Receiver<Input>,
    /// An answering machine's verdict, until it comes (or can no longer come).
    machine: Option<oneshot::Receiver<()>>,
    /// The dispatcher's notes and lines.
    instructions: mpsc::Receiver<Instruction>,
    /// Lines the dispatcher had the agent say, waiting for the turn playing now.
    lines_waiting: VecDeque<String>,
    commands: mpsc::Sender<PlayoutCommand>,
    progress: Arc<Progress>,
    last_voice: Arc<LastVoice>,
    started: Instant,
    conversation: Conversation,
    missing_required: Vec<String>,
    /// The agent has required fields (collecting them all ends the call).
    has_required: bool,
    next_turn: u32,
    turn: Option<Turn>,
    /// The callee's final words of the turn they are taking.
    heard: String,
    heard_since: Option<Instant>,
    /// The callee said something the agent must answer once its current turn is over.
    answer_waiting: bool,
    /// The callee said goodbye: the call ends after the agent's answer.
    goodbye_heard: bool,
    silence_at: Option<Instant>,
    reprompted: bool,
    wrap_up_at: Option<Instant>,
    give_up_at: Option<Instant>,
    measured_turns: u32,
}

impl Session {
    async fn converse(&mut self) -> End {
        match self.greeting.take() {
            Some(prepared) => {
                let task = prepared.play(self.setup.session.clone(), self.setup.playout.clone());
                self.next_turn = GREETING_TURN + 1;
                self.turn = Some(Turn::new(GREETING_TURN, task, true, None, None));
            }
            None => self.start_turn(Script::Say(self.call.first_message.clone()), None, None),
        }
        loop {
            let deadline = [self.silence_at, self.wrap_up_at, self.give_up_at]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or_else(|| Instant::now() + NEVER);
            let input = tokio::select! {
                input = self.inputs.recv() => input,
                Some(instruction) = self.instructions.recv() => {
                    self.instructed(instruction);
                    continue;
                }
                came = machine_verdict(&mut self.machine) => {
                    if came {
                        return self.machine_answered().await;
                    }
                    continue;
                }
                () = tokio::time::sleep_until(deadline.into()) => {
                    if let Some(end) = self.on_deadline().await {
                        return end;
                    }
                    continue;
                }
            };
            let Some(input) = input else {
                return End::failed("the call's tasks stopped unexpectedly");
            };
            if let Some(end) = self.on(input).await {
                return end;
            }
        }
    }

    async fn on(&mut self, input: Input) -> Option<End> {
        match input {
            Input::Heard(ListenEvent::Transcript { text, is_final, speech_final, .. }) => {
                let words = !text.trim().is_empty();
                if words {
                    self.callee_speaks().await;
                    if is_final {
                        if !self.heard.is_empty() {
                            self.heard.push(' ');
                        }
                        self.heard.push_str(text.trim());
                    }
                }
                if speech_final { self.callee_done().await } else { None }
            }
            Input::Heard(ListenEvent::UtteranceEnd { .. }) => self.callee_done().await,
            Input::Heard(ListenEvent::SpeechStarted { .. }) => {
                self.callee_speaks().await;
                None
            }
            Input::Heard(ListenEvent::Metadata { .. } | ListenEvent::Closed) => None,
            Input::ListenFailed(reason) => self.fail(format!("speech recognition failed: {reason}"), false).await,
            Input::Dtmf(digit) => {
                let offset = self.offset(Instant::now());
                self.report(BackendEvent::Line {
                    speaker: Speaker::Callee,
                    text: format!("(pressed {digit})"),
                    offset_ms: offset,
                })
                .await;
                self.conversation.user(&format!("(The callee pressed {digit} on the keypad.)"));
                self.silence_at = None;
                self.reprompted = false;
                self.answer(None);
                None
            }
            Input::Mark(name) => {
                let turn = self.turn.as_mut()?;
                if name != turn::mark_name(turn.id) {
                    return None;
                }
                turn.mark_echoed = true;
                if turn.done.is_some() { self.turn_played().await } else { None }
            }
            Input::Stopped | Input::MediaClosed => {
                let closing = self.turn.as_ref().and_then(|turn| turn.closes.clone());
                self.stop_turn(false).await;
                Some(closing.unwrap_or_else(|| End::completed("the callee hung up")))
            }
            Input::FirstFrame { turn, at } => {
                let current = self.turn.as_mut().filter(|current| current.id == turn)?;
                current.first_frame = Some(at);
                let (answers, times) = (current.answers.take(), current.times.take());
                if let Some(heard) = answers {
                    self.keep_heard(heard).await;
                }
                let times = times?;
                self.measured_turns += 1;
                let latency = times.finish(self.measured_turns, at)?;
                self.report(BackendEvent::TurnLatency(latency)).await;
                None
            }
            Input::Turn(_, TurnReport::Field { key, value }) => {
                self.missing_required.retain(|missing| *missing != key);
                self.report(BackendEvent::Field { key, value }).await;
                None
            }
            Input::Turn(id, report) => {
                let turn = self.turn.as_mut().filter(|turn| turn.id == id)?;
                match report {
                    TurnReport::FirstToken(at) => {
                        if let Some(times) = turn.times.as_mut() {
                            times.first_token = Some(at);
                        }
                    }
                    TurnReport::Sentence(sentence) => turn.spoken.add_sentence(&sentence),
                    TurnReport::Audio { bytes, alignment, at } => {
                        turn.spoken.add_audio(bytes, alignment.as_ref());
                        if let Some(times) = turn.times.as_mut() {
                            times.first_audio.get_or_insert(at);
                        }
                    }
                    TurnReport::Done { messages, ending } => {
                        turn.done = Some((messages, ending));
                        if turn.mark_echoed {
                            return self.turn_played().await;
                        }
                    }
                    TurnReport::Failed(failure) => {
                        if let Some(closing) = turn.closes.clone() {
                            self.stop_turn(false).await;
                            let reason =
                                format!("{}; the last words could not be spoken ({})", closing.reason, failure.reason);
                            return Some(End { reason, ..closing });
                        }
                        return self.fail(failure.reason, failure.speech_lost).await;
                    }
                    TurnReport::Field { .. } => {}
                }
                None
            }
        }
    }

    /// The dispatcher's note joins the model's system prompt (its next turn follows it); their
    /// line is said now, or once the turn playing has played.
    fn instructed(&mut self, instruction: Instruction) {
        match instruction {
            Instruction::Steer(note) => {
                self.setup.system.push_str(&format!("\n\nA note from the dispatcher, to follow from now on: {note}"));
            }
            Instruction::Say(line) if self.turn.is_none() => self.start_turn(Script::Say(line), None, None),
            Instruction::Say(line) => self.lines_waiting.push_back(line),
        }
    }

    /// The callee is talking: no silence, and the agent stops (unless it is saying its last words).
    async fn callee_speaks(&mut self) {
        self.heard_since.get_or_insert_with(Instant::now);
        if self.spare_tts.is_none() {
            self.spare_tts = Some(turn::open_spare(&self.setup));
        }
        self.silence_at = None;
        self.reprompted = false;
        if self.turn.as_ref().is_some_and(|turn| turn.closes.is_none()) {
            self.stop_turn(true).await;
        }
    }

    /// Deepgram heard the callee's turn end. With the agent silent, the model answers at once,
    /// the callee's words kept once the answer is heard (see [`Heard`]); else they are kept now
    /// and answered once the agent's turn is over.
    async fn callee_done(&mut self) -> Option<End> {
        let text = std::mem::take(&mut self.heard);
        let since = self.heard_since.take();
        if text.trim().is_empty() {
            return None;
        }
        let stt_final = Instant::now();
        let caller_stopped = self.started + Duration::from_millis(self.last_voice.at_ms());
        let heard = Heard { text, since: since.unwrap_or(stt_final) };
        let times = TurnTimes::new(caller_stopped, stt_final);
        if self.turn.is_some() {
            self.keep_heard(heard).await;
            self.answer(Some(times));
            return None;
        }
        let mut conversation = self.conversation.clone();
        conversation.user(&heard.text);
        self.answer_waiting = false;
        let script = Script::Answer {
            messages: conversation.messages().to_vec(),
            missing_required: self.has_required.then(|| self.missing_required.clone()),
        };
        self.start_turn(script, None, Some(times));
        if let Some(turn) = self.turn.as_mut() {
            turn.answers = Some(heard);
        }
        None
    }

    /// The callee's words go on the transcript and to the model.
    async fn keep_heard(&mut self, heard: Heard) {
        let offset = self.offset(heard.since);
        self.conversation.user(&heard.text);
        self.goodbye_heard |= says_goodbye(&heard.text);
        self.report(BackendEvent::Line { speaker: Speaker::Callee, text: heard.text, offset_ms: offset }).await;
    }

    /// Words the callee said that no turn took up (they hung up meanwhile) go on the transcript.
    async fn keep_unanswered(&mut self) {
        let text = std::mem::take(&mut self.heard);
        if let Some(since) = self.heard_since.take().filter(|_| !text.trim().is_empty()) {
            let offset = self.offset(since);
            self.report(BackendEvent::Line { speaker: Speaker::Callee, text, offset_ms: offset }).await;
        }
    }

    /// Asks the model to answer now, or once the current turn is over.
    fn answer(&mut self, times: Option<TurnTimes>) {
        if self.turn.is_some() {
            self.answer_waiting = true;
            return;
        }
        self.answer_waiting = false;
        if !self.conversation.awaits_answer() {
            return;
        }
        let script = Script::Answer {
            messages: self.conversation.messages().to_vec(),
            missing_required: self.has_required.then(|| self.missing_required.clone()),
        };
        self.start_turn(script, None, times);
    }

    fn start_turn(&mut self, script: Script, closes: Option<End>, times: Option<TurnTimes>) {
        let id = self.next_turn;
        self.next_turn += 1;
        let fixed = matches!(script, Script::Say(_));
        let task = tokio::spawn(turn::run(self.setup.clone(), id, script, self.spare_tts.take()));
        self.turn = Some(Turn::new(id, task, fixed, closes, times));
    }

    /// The current turn has played to its mark.
    async fn turn_played(&mut self) -> Option<End> {
        let mut turn = self.turn.take()?;
        if let Some(heard) = turn.answers.take() {
            self.keep_heard(heard).await;
        }
        let (messages, ending) = turn.done.unwrap_or_default();
        let text = turn.spoken.text().to_owned();
        if !text.is_empty() {
            let offset = self.offset(turn.first_frame.unwrap_or_else(Instant::now));
            self.report(BackendEvent::Line { speaker: Speaker::Agent, text: text.clone(), offset_ms: offset }).await;
        }
        if turn.fixed {
            self.conversation.assistant(&text);
        } else {
            self.conversation.extend(messages);
        }
        self.silence_at = Some(Instant::now() + self.call.silence_timeout);
        if let Some(end) = turn.closes {
            return Some(end);
        }
        match ending {
            Some(TurnEnding::EndCall { reason }) => {
                let reason = if reason.is_empty() {
                    "the agent ended the call".to_owned()
                } else {
                    format!("the agent ended the call: {reason}")
                };
                return Some(End::completed(reason));
            }
            Some(TurnEnding::Transfer { reason }) => {
                if let Some(to) = self.call.transfer_to.clone() {
                    let reason = if reason.is_empty() {
                        format!("transferred to {to}")
                    } else {
                        format!("transferred to {to}: {reason}")
                    };
                    return Some(End { state: CallState::Completed, reason, control: CallControl::Transfer { to } });
                }
            }
            Some(TurnEnding::AllCollected) => return Some(End::completed("every required value was collected")),
            None => {}
        }
        if self.goodbye_heard {
            return Some(End::completed("the callee said goodbye"));
        }
        if let Some(line) = self.lines_waiting.pop_front() {
            self.start_turn(Script::Say(line), None, None);
            return None;
        }
        if self.answer_waiting {
            self.answer(None);
        }
        None
    }

    /// Stops the current turn: its task, and with `clear` its audio at Twilio. The words the
    /// callee heard (the mark came back, or the alignment says so) stay in the transcript and
    /// the conversation.
    /// An answer none of which was sent yet, to words not kept yet, goes without a trace: the
    /// callee's words wait for the rest of what they say.
    async fn stop_turn(&mut self, clear: bool) {
        let Some(mut turn) = self.turn.take() else { return };
        turn.task.abort();
        if let Some(heard) = turn.answers.take() {
            if turn.first_frame.is_none() && self.progress.frames_of(turn.id) == 0 {
                let _sent = self.commands.send(PlayoutCommand::Discard { through_turn: turn.id }).await;
                if !self.heard.is_empty() {
                    self.heard.insert(0, ' ');
                }
                self.heard.insert_str(0, &heard.text);
                self.heard_since = Some(self.heard_since.map_or(heard.since, |since| since.min(heard.since)));
                return;
            }
            self.keep_heard(heard).await;
        }
        if clear {
            let _sent = self.commands.send(PlayoutCommand::Clear { through_turn: turn.id }).await;
        }
        let heard = if turn.mark_echoed {
            turn.spoken.text().to_owned()
        } else {
            let sent_ms = f64::from(self.progress.frames_of(turn.id)) * FRAME_MS as f64;
            let playing_ms = turn.first_frame.map_or(0.0, |first| first.elapsed().as_secs_f64() * 1000.0);
            turn.spoken.played(sent_ms.min(playing_ms))
        };
        if !heard.is_empty() {
            let offset = self.offset(turn.first_frame.unwrap_or_else(Instant::now));
            self.report(BackendEvent::Line { speaker: Speaker::Agent, text: heard.clone(), offset_ms: offset }).await;
            self.conversation.assistant(&heard);
        }
    }

    async fn on_deadline(&mut self) -> Option<End> {
        let now = Instant::now();
        if self.give_up_at.is_some_and(|at| at <= now) {
            let closing = self.turn.as_ref().and_then(|turn| turn.closes.clone());
            self.stop_turn(false).await;
            return Some(closing.unwrap_or_else(|| End::completed("the last words did not finish playing")));
        }
        if self.wrap_up_at.is_some_and(|at| at <= now) {
            self.wrap_up_at = None;
            self.silence_at = None;
            if self.turn.as_ref().is_some_and(|turn| turn.closes.is_some()) {
                return None;
            }
            self.stop_turn(true).await;
            let reason = format!("reached the agent's max duration ({} s)", self.call.max_duration.as_secs());
            self.closing_words(WRAP_UP, End::completed(reason));
            return None;
        }
        if self.silence_at.is_some_and(|at| at <= now) {
            self.silence_at = None;
            if self.turn.is_some() || !self.heard.is_empty() {
                return None;
            }
            if self.reprompted {
                let seconds = self.call.silence_timeout.as_secs();
                self.closing_words(
                    SILENT_GOODBYE,
                    End::completed(format!("no answer after a re-prompt ({seconds} s of silence each)")),
                );
            } else {
                self.reprompted = true;
                self.start_turn(Script::Say(REPROMPT.to_owned()), None, None);
            }
        }
        None
    }

    /// An answering machine answered: the agent stops talking and the call ends as voicemail,
    /// with the message left (Twilio says it, then hangs up) or a hang-up, as the agent says.
    async fn machine_answered(&mut self) -> End {
        self.stop_turn(false).await;
        let (reason, control) = match self.call.voicemail.clone() {
            Some(message) => (VOICEMAIL_LEFT, CallControl::LeaveVoicemail { message }),
            None => (MACHINE_HUNG_UP_ON, CallControl::HangUp),
        };
        End { state: CallState::Voicemail, reason: reason.to_owned(), control }
    }

    /// Says `words`, then ends the call with `end` (or ends it anyway after [`LAST_WORDS_WITHIN`]).
    fn closing_words(&mut self, words: &str, end: End) {
        self.give_up_at = Some(Instant::now() + LAST_WORDS_WITHIN);
        self.start_turn(Script::Say(words.to_owned()), Some(end), None);
    }

    /// A provider failed for good: apologise if speech still works, then end the call failed.
    async fn fail(&mut self, reason: String, speech_lost: bool) -> Option<End> {
        tracing::warn!(call = %self.call.call_id, reason, "the pipeline failed; ending the call");
        self.stop_turn(true).await;
        if speech_lost {
            return Some(End::failed(reason));
        }
        self.wrap_up_at = None;
        self.silence_at = None;
        self.closing_words(APOLOGY, End::failed(reason));
        None
    }

    fn offset(&self, at: Instant) -> u32 {
        u32::try_from(at.saturating_duration_since(self.started).as_millis()).unwrap_or(u32::MAX)
    }

    async fn report(&self, event: BackendEvent) {
        if self.call.events.send(event).await.is_err() {
            tracing::debug!(call = %self.call.call_id, "the call task stopped listening");
        }
    }
}
