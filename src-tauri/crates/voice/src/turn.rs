//! One agent turn: either a fixed phrase, or the model's answer streamed from Anthropic (tool
//! calls answered and the model asked again until it stops), cut into sentences (the first
//! clause alone), each sent to ElevenLabs — on a socket opened while the callee talked, when
//! there is one — and flushed as soon as it is complete; the audio comes back as 20 ms frames for
//! the playout, then the turn's mark. A TTS socket that drops is reopened once and the
//! sentences not yet fully heard are sent again. Aborting the task (barge-in) drops both
//! streams, which cancels generation at both providers.

use std::sync::Arc;
use std::time::Instant;

use switchboard_audio::{Frame, Framer};
use switchboard_core::DataField;
use switchboard_providers::ProviderError;
use switchboard_providers::anthropic::{
    AnthropicClient, ContentBlock, Message, MessageRequest, MessageStream, Role, StopReason, StreamEvent, Tool,
};
use switchboard_providers::elevenlabs_tts::{
    ElevenLabsTtsClient, TtsEvent, TtsOptions, TtsReceiver, TtsSender, TtsStream,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::call::PipelineCall;
use super::playout::Outbound;
use super::sentences::Sentences;
use crate::agent_tools::{self, ToolCall};
use crate::input::{Input, TurnEnding, TurnFailure, TurnReport};
use crate::usage::UsageMeter;

/// Tokens per answer: a spoken turn is short.
const MAX_TOKENS: u32 = 400;
/// Model requests per turn (each tool round asks again).
const MAX_ROUNDS: usize = 4;
/// ElevenLabs' inactivity timeout for the call's sockets, in seconds (its default is 20).
const SPARE_KEPT_SECS: u32 = 60;

/// What a turn says.
#[derive(Debug)]
pub(super) enum Script {
    /// These words, as they are.
    Say(String),
    /// The model's answer to the conversation so far. `missing_required` lists the required
    /// fields not collected yet (`None` when the agent has no required fields): collecting the
    /// last of them ends the call after this turn.
    Answer { messages: Vec<Message>, missing_required: Option<Vec<String>> },
}

/// What every turn of a call shares.
#[derive(Debug, Clone)]
pub(super) struct TurnSetup {
    pub(super) anthropic: AnthropicClient,
    pub(super) tts: ElevenLabsTtsClient,
    pub(super) tts_options: TtsOptions,
    pub(super) model: String,
    pub(super) system: String,
    pub(super) tools: Vec<Tool>,
    pub(super) fields: Vec<DataField>,
    pub(super) session: mpsc::Sender<Input>,
    pub(super) playout: mpsc::Sender<Outbound>,
    /// What the call's turns used, for its price.
    pub(super) usage: Arc<UsageMeter>,
}

impl TurnSetup {
    /// What `call`'s turns share; they report to `session` and queue audio for `playout`.
    pub(super) fn new(call: &PipelineCall, session: mpsc::Sender<Input>, playout: mpsc::Sender<Outbound>) -> Self {
        let settings = &call.settings;
        let mut tts_options =
            TtsOptions::for_language(settings.tts_voice.clone(), &settings.tts_model, &settings.language);
        tts_options.chunk_length_schedule = vec![50, 120, 160, 250];
        // A socket opened ahead stays open while the callee talks for up to a minute.
        tts_options.inactivity_timeout_secs = Some(SPARE_KEPT_SECS);
        Self {
            anthropic: call.clients.anthropic.clone(),
            tts: call.clients.tts.clone(),
            tts_options,
            model: settings.llm_model.clone(),
            system: call.system_prompt.clone(),
            tools: agent_tools::tools(&call.data_fields, call.transfer_to.is_some()),
            fields: call.data_fields.clone(),
            session,
            playout,
            usage: Arc::clone(&call.usage),
        }
    }
}

/// The name of a turn's mark.
pub(super) fn mark_name(turn: u32) -> String {
    format!("utt-{turn}")
}

/// An ElevenLabs socket opened ahead of the turn that speaks on it (while the callee talks), so
/// that no answer waits for its handshake.
pub(super) type SpareTts = JoinHandle<Result<TtsStream, ProviderError>>;

/// Opens a socket for the next turn.
pub(super) fn open_spare(setup: &TurnSetup) -> SpareTts {
    let (tts, options) = (setup.tts.clone(), setup.tts_options.clone());
    tokio::spawn(async move { tts.stream_input(&options).await })
}

/// Runs turn `id` (speaking on `spare` if one was opened for it); everything it learns goes to
/// the session as [`Input::Turn`].
pub(super) async fn run(setup: TurnSetup, id: u32, script: Script, spare: Option<SpareTts>) {
    let report = |report| {
        let session = setup.session.clone();
        async move {
            let _ended = session.send(Input::Turn(id, report)).await;
        }
    };
    let (sentences, to_speak) = mpsc::channel::<String>(32);
    let speaking = speak(&setup, id, to_speak, spare);
    let outcome = match script {
        Script::Say(text) => {
            report(TurnReport::Sentence(text.clone())).await;
            let _spoken = sentences.send(text).await;
            drop(sentences);
            speaking.await.map(|()| (Vec::new(), None))
        }
        Script::Answer { messages, missing_required } => {
            let thinking = think(&setup, id, messages, missing_required, sentences);
            tokio::try_join!(thinking, speaking).map(|(answer, ())| answer)
        }
    };
    match outcome {
        Ok((messages, ending)) => {
            let _queued = setup.playout.send(Outbound::Mark { turn: id, name: mark_name(id) }).await;
            report(TurnReport::Done { messages, ending }).await;
        }
        Err(failure) => report(TurnReport::Failed(failure)).await,
    }
}

/// Streams the model's answer, passing sentences to `sentences`; answers tool calls and asks
/// again until the model stops. Returns the messages to add to the conversation and how the
/// model asked to end, if it did.
async fn think(
    setup: &TurnSetup,
    id: u32,
    messages: Vec<Message>,
    mut missing_required: Option<Vec<String>>,
    sentences: mpsc::Sender<String>,
) -> Result<(Vec<Message>, Option<TurnEnding>), TurnFailure> {
    let report = |report| setup.session.send(Input::Turn(id, report));
    let mut added: Vec<Message> = Vec::new();
    let mut first_token = true;
    let mut ending = None;
    for _round in 0..MAX_ROUNDS {
        let request = MessageRequest {
            model: setup.model.clone(),
            max_tokens: MAX_TOKENS,
            system: setup.system.clone(),
            messages: messages.iter().chain(&added).cloned().collect(),
            tools: setup.tools.clone(),
        };
        let stream = setup.anthropic.stream_message(&request).await.map_err(thinking_failed)?;
        let mut stream = Counted { stream, usage: &setup.usage };
        let (mut text, mut calls, mut results) = (String::new(), Vec::new(), Vec::new());
        let mut splitter = Sentences::default();
        let mut stop = None;
        while let Some(event) = stream.stream.next().await {
            let event = event.map_err(thinking_failed)?;
            if first_token && !matches!(event, StreamEvent::Stop { .. }) {
                first_token = false;
                let _ended = report(TurnReport::FirstToken(Instant::now())).await;
            }
            match event {
                StreamEvent::TextDelta(delta) => {
                    text.push_str(&delta);
                    let mut complete = Vec::new();
                    splitter.push(&delta, |sentence| complete.push(sentence));
                    for sentence in complete {
                        say(&report, &sentences, sentence).await;
                    }
                }
                StreamEvent::ToolUse { id: call_id, name, input } => {
                    let result = match agent_tools::read(&name, &input, &setup.fields) {
                        ToolCall::RecordField { key, value } => {
                            if let Some(missing) = missing_required.as_mut() {
                                missing.retain(|missing| *missing != key);
                            }
                            let _ended = report(TurnReport::Field { key: key.clone(), value }).await;
                            if missing_required.as_ref().is_some_and(Vec::is_empty) && ending.is_none() {
                                ending = Some(TurnEnding::AllCollected);
                                "Recorded. Every required value is in: thank the callee and say goodbye.".to_owned()
                            } else {
                                "Recorded.".to_owned()
                            }
                        }
                        ToolCall::EndCall { reason } => {
                            ending = Some(TurnEnding::EndCall { reason });
                            "The call ends once your words have played.".to_owned()
                        }
                        ToolCall::Transfer { reason } => {
                            ending = Some(TurnEnding::Transfer { reason });
                            "The callee is transferred once your words have played.".to_owned()
                        }
                        ToolCall::Invalid { reason } => format!("Not done: {reason}."),
                    };
                    calls.push(ContentBlock::ToolUse { id: call_id.clone(), name, input });
                    results.push(ContentBlock::ToolResult { tool_use_id: call_id, content: result });
                }
                StreamEvent::Stop { reason, .. } => stop = reason,
            }
        }
        if let Some(rest) = splitter.finish() {
            say(&report, &sentences, rest).await;
        }
        let mut content = Vec::new();
        if !text.trim().is_empty() {
            content.push(ContentBlock::Text { text });
        }
        let answered_tools = !calls.is_empty();
        content.extend(calls);
        if !content.is_empty() {
            added.push(Message { role: Role::Assistant, content });
        }
        if answered_tools {
            added.push(Message { role: Role::User, content: results });
        }
        let ends_the_call = matches!(ending, Some(TurnEnding::EndCall { .. } | TurnEnding::Transfer { .. }));
        if stop != Some(StopReason::ToolUse) || !answered_tools || ends_the_call {
            break;
        }
    }
    Ok((added, ending))
}

/// A model answer being read, whose tokens count once it is dropped, however it ended: at its
/// stop, as Anthropic counted them; given up before (a barge-in aborts the turn, an error cuts
/// it), what it had used by then.
struct Counted<'a> {
    stream: MessageStream,
    usage: &'a UsageMeter,
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        let used = self.stream.usage_so_far();
        self.usage.thought(used.input_tokens, used.output_tokens);
    }
}

async fn say<F, Fut>(report: &F, sentences: &mpsc::Sender<String>, sentence: String)
where
    F: Fn(TurnReport) -> Fut,
    Fut: std::future::Future,
{
    report(TurnReport::Sentence(sentence.clone())).await;
    let _speaking = sentences.send(sentence).await;
}

fn thinking_failed(error: ProviderError) -> TurnFailure {
    TurnFailure { reason: error.to_string(), speech_lost: false }
}

/// Speaks each sentence as it comes: text in, frames out, until the sentences end and
/// ElevenLabs says it is done.
async fn speak(
    setup: &TurnSetup,
    id: u32,
    mut to_speak: mpsc::Receiver<String>,
    spare: Option<SpareTts>,
) -> Result<(), TurnFailure> {
    let failed = |error: ProviderError| TurnFailure { reason: error.to_string(), speech_lost: true };
    let opened = match spare {
        Some(spare) => match spare.await {
            Ok(Ok(stream)) => {
                let (sender, receiver) = stream.split();
                Ok((Some(sender), receiver))
            }
            // It could not be opened ahead: open one now.
            _ => open(setup).await,
        },
        None => open(setup).await,
    };
    let (mut sender, mut receiver) = opened.map_err(failed)?;
    let mut reopened = false;
    // Sentences sent and not yet fully heard back, with their count of non-blank characters.
    let mut unheard: std::collections::VecDeque<(String, usize)> = std::collections::VecDeque::new();
    let mut heard_of_first = 0_usize;
    let mut skip = 0_usize;
    let mut text_done = false;
    let mut framer = Framer::new();
    let mut frames = Vec::new();
    loop {
        let failure = tokio::select! {
            sentence = to_speak.recv(), if !text_done => match sentence {
                Some(sentence) => {
                    let sent = send_sentence(sender.as_mut(), &sentence, &setup.usage).await;
                    unheard.push_back((sentence.clone(), blanks_free(&sentence)));
                    sent.err()
                }
                None => {
                    text_done = true;
                    match sender.take() {
                        Some(sender) => sender.finish().await.err(),
                        None => None,
                    }
                }
            },
            event = receiver.recv() => match event {
                Ok(TtsEvent::Audio { mulaw, alignment }) => {
                    let at = Instant::now();
                    let mut alignment = alignment;
                    let repeated_ms = match alignment.as_mut() {
                        Some(alignment) => heard(&mut unheard, &mut heard_of_first, &mut skip, alignment),
                        None => 0.0,
                    };
                    // After a reopen, the sound of characters already played is not played again.
                    let repeated = ((repeated_ms * 8.0) as usize).min(mulaw.len());
                    let mulaw = &mulaw[repeated..];
                    let turn_report = TurnReport::Audio { bytes: mulaw.len(), alignment, at };
                    let _ended = setup.session.send(Input::Turn(id, turn_report)).await;
                    framer.push(mulaw, |frame| frames.push(*frame));
                    if !queue_audio(&setup.playout, id, &mut frames).await {
                        return Ok(());
                    }
                    None
                }
                Ok(TtsEvent::Final) => None,
                Ok(TtsEvent::Closed) if text_done => break,
                Ok(TtsEvent::Closed) => Some(ProviderError::ClosedUnexpectedly {
                    provider: switchboard_providers::Provider::ElevenLabs,
                }),
                Err(error) => Some(error),
            },
        };
        let Some(error) = failure else { continue };
        if reopened {
            return Err(failed(error));
        }
        reopened = true;
        tracing::warn!(turn = id, %error, "the ElevenLabs socket failed; reopening it once");
        (sender, receiver) = open(setup).await.map_err(failed)?;
        // The first unheard sentence is sent again whole: the sound of its characters heard
        // already is cut from the new audio.
        skip = heard_of_first;
        for (sentence, _) in &unheard {
            send_sentence(sender.as_mut(), sentence, &setup.usage).await.map_err(failed)?;
        }
        if text_done && let Some(sender) = sender.take() {
            sender.finish().await.map_err(failed)?;
        }
    }
    if let Some(last) = framer.finish() {
        let _queued = setup.playout.send(Outbound::Audio { turn: id, frame: last }).await;
    }
    Ok(())
}

/// Queues `frames` of `turn` for the playout, waiting for room for up to half the queue at
/// once: while the queue is full, the turn wakes once per half queue of audio played (not once
/// per frame), and the playout still has the other half to play while the turn is scheduled —
/// waiting for room for a whole message could mean waiting for the queue to run dry.
/// False when the playout is gone.
async fn queue_audio(playout: &mpsc::Sender<Outbound>, turn: u32, frames: &mut Vec<Frame>) -> bool {
    let most = (playout.max_capacity() / 2).max(1);
    while !frames.is_empty() {
        let batch = frames.len().min(most);
        let Ok(permits) = playout.reserve_many(batch).await else { return false };
        for (permit, frame) in permits.zip(frames.drain(..batch)) {
            permit.send(Outbound::Audio { turn, frame });
        }
    }
    true
}

async fn open(setup: &TurnSetup) -> Result<(Option<TtsSender>, TtsReceiver), ProviderError> {
    let (sender, receiver) = setup.tts.stream_input(&setup.tts_options).await?.split();
    Ok((Some(sender), receiver))
}

async fn send_sentence(
    sender: Option<&mut TtsSender>,
    sentence: &str,
    usage: &UsageMeter,
) -> Result<(), ProviderError> {
    let Some(sender) = sender else { return Ok(()) };
    usage.spoke(sentence);
    sender.send_text(sentence).await?;
    sender.flush().await
}

fn blanks_free(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Counts the characters an audio chunk speaks against the sentences waiting for theirs,
/// dropping from its alignment those heard before a reopen (`skip` of them); returns how many
/// milliseconds at the chunk's start those dropped characters take, the rest of the alignment
/// being moved earlier by as much.
fn heard(
    unheard: &mut std::collections::VecDeque<(String, usize)>,
    heard_of_first: &mut usize,
    skip: &mut usize,
    alignment: &mut switchboard_providers::elevenlabs_tts::Alignment,
) -> f64 {
    let mut kept = switchboard_providers::elevenlabs_tts::Alignment::default();
    let mut repeated_ms = 0.0_f64;
    for ((chars, start), duration) in
        alignment.chars.iter().zip(&alignment.char_start_times_ms).zip(&alignment.char_durations_ms)
    {
        let count = blanks_free(chars);
        if *skip > 0 && kept.chars.is_empty() {
            *skip = skip.saturating_sub(count);
            repeated_ms = repeated_ms.max(start + duration);
            continue;
        }
        *heard_of_first += count;
        while let Some((_, length)) = unheard.front() {
            if *heard_of_first < *length {
                break;
            }
            *heard_of_first -= length;
            unheard.pop_front();
        }
        kept.chars.push(chars.clone());
        kept.char_start_times_ms.push((start - repeated_ms).max(0.0));
        kept.char_durations_ms.push(*duration);
    }
    *alignment = kept;
    repeated_ms
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use switchboard_providers::elevenlabs_tts::Alignment;

    use super::{Outbound, heard, queue_audio};

    fn timed(text: &str, from_ms: f64) -> Alignment {
        let chars: Vec<String> = text.chars().map(String::from).collect();
        let starts = (0..chars.len()).map(|i| from_ms + i as f64 * 10.0).collect();
        Alignment { char_durations_ms: vec![10.0; chars.len()], chars, char_start_times_ms: starts }
    }

    #[test]
    fn sentences_leave_the_queue_once_heard_and_repeats_are_cut() {
        let mut unheard = VecDeque::from([("Hi there.".to_owned(), 8), ("Bye.".to_owned(), 4)]);
        let (mut of_first, mut skip) = (0, 0);
        let mut chunk = timed("Hi th", 0.0);
        assert_eq!(heard(&mut unheard, &mut of_first, &mut skip, &mut chunk), 0.0);
        assert_eq!((unheard.len(), of_first), (2, 4));
        // The socket was reopened: the first sentence comes again, its 4 heard characters cut.
        skip = of_first;
        let mut again = timed("Hi there.", 0.0);
        assert_eq!(heard(&mut unheard, &mut of_first, &mut skip, &mut again), 50.0, "H, i, space, t, h");
        assert_eq!(again.chars.concat(), "ere.");
        assert_eq!(again.char_start_times_ms[0], 0.0);
        assert_eq!(unheard.len(), 1, "the first sentence is heard whole");
    }

    #[tokio::test]
    async fn a_turn_with_a_full_queue_wakes_once_per_half_queue_played_and_never_lets_it_run_dry() {
        use std::future::Future as _;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::{Context, Poll, Wake, Waker};

        use switchboard_audio::FRAME_BYTES;
        use tokio::sync::mpsc;

        struct Wakes(AtomicUsize);
        impl Wake for Wakes {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut context = Context::from_waker(&waker);

        let (playout, mut queue) = mpsc::channel(8);
        for _ in 0..8 {
            playout.send(Outbound::Mark { turn: 0, name: "full".into() }).await.unwrap();
        }
        let mut frames: Vec<[u8; FRAME_BYTES]> = (1..=6).map(|n| [n; FRAME_BYTES]).collect();
        let mut queued = Box::pin(queue_audio(&playout, 1, &mut frames));
        assert_eq!(queued.as_mut().poll(&mut context), Poll::Pending);
        // The playout takes one item at a time; the turn is polled whenever it was woken.
        let mut woken_after = Vec::new();
        for played in 1..=6 {
            assert!(queue.recv().await.is_some());
            if wakes.0.swap(0, Ordering::SeqCst) > 0 {
                woken_after.push((played, 8 - played));
                if queued.as_mut().poll(&mut context).is_ready() {
                    break;
                }
            }
        }
        assert_eq!(woken_after, [(4, 4), (6, 2)], "woken after (played, still queued)");
        drop(queued);
        let frames: Vec<u8> = std::iter::from_fn(|| queue.try_recv().ok())
            .filter_map(|item| match item {
                Outbound::Audio { turn: 1, frame } => Some(frame[0]),
                _ => None,
            })
            .collect();
        assert_eq!(frames, [1, 2, 3, 4, 5, 6]);
    }
}
