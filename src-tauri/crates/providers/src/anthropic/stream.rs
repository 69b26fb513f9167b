//! A streamed assistant message: SSE events turned into text deltas, whole tool calls (their
//! JSON put together from `input_json_delta` parts) and the stop, each yielded as soon as the
//! event that completes it is in.

use super::PROVIDER;
use super::events::{BlockDelta, ServerEvent, StartedBlock, StopReason, Usage};
use super::sse::SseDecoder;
use crate::ProviderError;

/// What the model produced, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// More text of the answer, to speak.
    TextDelta(String),
    /// A complete tool call, yielded when its block ends.
    ToolUse { id: String, name: String, input: serde_json::Value },
    /// The message is complete; the stream ends after this.
    Stop { reason: Option<StopReason>, usage: Usage },
}

/// An assistant message as it streams in. Read it with [`MessageStream::next`].
///
/// Cancelling is dropping it: the connection closes and Anthropic stops generating, which is
/// how a barge-in abandons a turn.
#[derive(Debug)]
pub struct MessageStream {
    response: reqwest::Response,
    decoder: SseDecoder,
    assembly: Assembly,
    ended: bool,
}

impl MessageStream {
    pub(super) fn new(response: reqwest::Response) -> Self {
        Self { response, decoder: SseDecoder::default(), assembly: Assembly::default(), ended: false }
    }

    /// The next event; `None` after [`StreamEvent::Stop`] or after an error. Errors name
    /// Anthropic: an `error` event is [`ProviderError::StreamFailed`], a body that ends or
    /// breaks before `message_stop` is [`ProviderError::ClosedUnexpectedly`], silence longer
    /// than the settings' `request_timeout` is [`ProviderError::Timeout`], an unreadable event
    /// is [`ProviderError::Decode`].
    pub async fn next(&mut self) -> Option<Result<StreamEvent, ProviderError>> {
        while !self.ended {
            while let Some(data) = self.decoder.next_data() {
                match self.assembly.apply(&data) {
                    Ok(None) => {}
                    Ok(Some(event)) => {
                        self.ended = matches!(event, StreamEvent::Stop { .. });
                        return Some(Ok(event));
                    }
                    Err(error) => return self.end(error),
                }
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.decoder.push(&chunk),
                Ok(None) => return self.end(ProviderError::ClosedUnexpectedly { provider: PROVIDER }),
                Err(error) if error.is_timeout() => return self.end(ProviderError::Timeout { provider: PROVIDER }),
                Err(error) => {
                    tracing::debug!(error = %error.without_url(), "Anthropic stream broke");
                    return self.end(ProviderError::ClosedUnexpectedly { provider: PROVIDER });
                }
            }
        }
        None
    }

    /// The tokens the message has used so far, as billed: once it stopped, Anthropic's count; a
    /// message given up before (a barge-in drops it, an error cuts it) is billed for its input
    /// and for what was generated, so its input as reported at its start and its output
    /// estimated from the text and tool input that came in (4 characters a token).
    pub fn usage_so_far(&self) -> Usage {
        let mut usage = self.assembly.usage;
        if !self.assembly.output_counted {
            let streamed = self.assembly.streamed_chars.div_ceil(CHARS_PER_TOKEN);
            usage.output_tokens = usage.output_tokens.max(u32::try_from(streamed).unwrap_or(u32::MAX));
        }
        usage
    }

    fn end(&mut self, error: ProviderError) -> Option<Result<StreamEvent, ProviderError>> {
        self.ended = true;
        Some(Err(error))
    }
}

/// Characters a token is taken to be, for the output of a message cut before its count came
/// (Anthropic's rule of thumb for English).
const CHARS_PER_TOKEN: u64 = 4;

/// The state of one message between events: tool calls in progress, the stop reason and usage,
/// and how many characters of text and tool input came in.
#[derive(Debug, Default)]
struct Assembly {
    tool_calls: Vec<ToolCallDraft>,
    stop_reason: Option<StopReason>,
    usage: Usage,
    /// `message_delta` gave the output's count.
    output_counted: bool,
    streamed_chars: u64,
}

#[derive(Debug)]
struct ToolCallDraft {
    index: u32,
    id: String,
    name: String,
    /// The input given at the block's start, used when no JSON parts follow (no parameters).
    start_input: serde_json::Value,
    json: String,
}

impl Assembly {
    fn streamed(&mut self, text: &str) {
        self.streamed_chars += text.chars().count() as u64;
    }

    /// Takes one event's data; answers what it completes, if anything.
    fn apply(&mut self, data: &str) -> Result<Option<StreamEvent>, ProviderError> {
        let event = serde_json::from_str(data).map_err(|error| decode(error.to_string()))?;
        Ok(match event {
            ServerEvent::MessageStart { message } => {
                self.usage = message.usage;
                None
            }
            ServerEvent::ContentBlockStart { content_block: StartedBlock::Text { text }, .. } => {
                self.streamed(&text);
                (!text.is_empty()).then_some(StreamEvent::TextDelta(text))
            }
            ServerEvent::ContentBlockStart { index, content_block: StartedBlock::ToolUse { id, name, input } } => {
                self.tool_calls.push(ToolCallDraft { index, id, name, start_input: input, json: String::new() });
                None
            }
            ServerEvent::ContentBlockDelta { delta: BlockDelta::TextDelta { text }, .. } => {
                self.streamed(&text);
                Some(StreamEvent::TextDelta(text))
            }
            ServerEvent::ContentBlockDelta { index, delta: BlockDelta::InputJsonDelta { partial_json } } => {
                self.streamed(&partial_json);
                let draft =
                    self.tool_calls.iter_mut().find(|draft| draft.index == index).ok_or_else(|| {
                        decode(format!("input_json_delta for block {index}, which is not a tool call"))
                    })?;
                draft.json.push_str(&partial_json);
                None
            }
            ServerEvent::ContentBlockStop { index } => match self.tool_calls.iter().position(|d| d.index == index) {
                Some(at) => Some(self.tool_calls.swap_remove(at).finish()?),
                None => None,
            },
            ServerEvent::MessageDelta { delta, usage } => {
                self.stop_reason = delta.stop_reason;
                self.usage.output_tokens = usage.output_tokens;
                self.output_counted = true;
                if let Some(input_tokens) = usage.input_tokens {
                    self.usage.input_tokens = input_tokens;
                }
                None
            }
            ServerEvent::MessageStop => Some(StreamEvent::Stop { reason: self.stop_reason, usage: self.usage }),
            ServerEvent::Error { error } => {
                let reason = format!("{}: {}", error.kind, error.message);
                return Err(ProviderError::StreamFailed { provider: PROVIDER, reason });
            }
            ServerEvent::ContentBlockStart { content_block: StartedBlock::Unknown, .. }
            | ServerEvent::ContentBlockDelta { delta: BlockDelta::Unknown, .. }
            | ServerEvent::Ping
            | ServerEvent::Unknown => None,
        })
    }
}

impl ToolCallDraft {
    fn finish(self) -> Result<StreamEvent, ProviderError> {
        let input = if self.json.trim().is_empty() {
            self.start_input
        } else {
            serde_json::from_str(&self.json)
                .map_err(|error| decode(format!("the input of tool call {:?}: {error}", self.name)))?
        };
        Ok(StreamEvent::ToolUse { id: self.id, name: self.name, input })
    }
}

fn decode(reason: String) -> ProviderError {
    ProviderError::Decode { provider: PROVIDER, reason }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Assembly, StreamEvent};
    use crate::anthropic::events::{StopReason, Usage};
    use crate::anthropic::sse::SseDecoder;
    use crate::{Provider, ProviderError};

    /// A reply with text and a tool call, its JSON split mid-token, as SSE.
    fn reply_with_a_tool_call() -> String {
        [
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                   "content": [], "model": "claude-x", "usage": {"input_tokens": 472, "output_tokens": 2}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "ping"}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Thanks, "}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "goodbye — é."}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1,
                   "content_block": {"type": "tool_use", "id": "toolu_1", "name": "record_field", "input": {}}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"field\": \"pri"}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "ce\", \"value\": 12"}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "50}"}}),
            json!({"type": "content_block_stop", "index": 1}),
            json!({"type": "content_block_start", "index": 2,
                   "content_block": {"type": "tool_use", "id": "toolu_2", "name": "end_call", "input": {}}}),
            json!({"type": "content_block_stop", "index": 2}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 89}}),
            json!({"type": "message_stop"}),
        ]
        .iter()
        .map(|data| format!("event: {}\ndata: {data}\n\n", data["type"].as_str().unwrap()))
        .collect()
    }

    fn expected() -> Vec<StreamEvent> {
        vec![
            StreamEvent::TextDelta("Thanks, ".into()),
            StreamEvent::TextDelta("goodbye — é.".into()),
            StreamEvent::ToolUse {
                id: "toolu_1".into(),
                name: "record_field".into(),
                input: json!({"field": "price", "value": 1250}),
            },
            StreamEvent::ToolUse { id: "toolu_2".into(), name: "end_call".into(), input: json!({}) },
            StreamEvent::Stop {
                reason: Some(StopReason::ToolUse),
                usage: Usage { input_tokens: 472, output_tokens: 89 },
            },
        ]
    }

    fn assemble(chunks: &[&[u8]]) -> Vec<StreamEvent> {
        let (mut decoder, mut assembly, mut events) = (SseDecoder::default(), Assembly::default(), Vec::new());
        for chunk in chunks {
            decoder.push(chunk);
            while let Some(data) = decoder.next_data() {
                events.extend(assembly.apply(&data).unwrap());
            }
        }
        events
    }

    #[test]
    fn text_deltas_tool_calls_and_the_stop_come_out_whole() {
        assert_eq!(assemble(&[reply_with_a_tool_call().as_bytes()]), expected());
    }

    #[test]
    fn the_same_events_come_out_whatever_the_chunk_boundaries() {
        let reply = reply_with_a_tool_call();
        let bytes = reply.as_bytes();
        for at in 0..=bytes.len() {
            assert_eq!(assemble(&[&bytes[..at], &bytes[at..]]), expected(), "split at byte {at}");
        }
        let bytes: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(assemble(&bytes), expected());
    }

    #[test]
    fn an_error_event_names_anthropic_and_its_kind() {
        let error = Assembly::default()
            .apply(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
            .unwrap_err();
        assert_eq!(
            error,
            ProviderError::StreamFailed {
                provider: Provider::Anthropic,
                reason: "overloaded_error: Overloaded".into()
            }
        );
        assert_eq!(error.to_string(), "Anthropic reported an error mid-stream: overloaded_error: Overloaded");
    }

    #[test]
    fn broken_tool_json_or_a_stray_delta_is_a_decode_error() {
        let mut assembly = Assembly::default();
        let start = r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"end_call","input":{}}}"#;
        assert_eq!(assembly.apply(start).unwrap(), None);
        let part = r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"reason\":"}}"#;
        assert_eq!(assembly.apply(part).unwrap(), None);
        let stop = r#"{"type":"content_block_stop","index":0}"#;
        assert!(matches!(assembly.apply(stop), Err(ProviderError::Decode { provider: Provider::Anthropic, .. })));
        let stray =
            r#"{"type":"content_block_delta","index":5,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#;
        assert!(matches!(assembly.apply(stray), Err(ProviderError::Decode { .. })));
        assert!(matches!(assembly.apply("not json"), Err(ProviderError::Decode { .. })));
    }
}
