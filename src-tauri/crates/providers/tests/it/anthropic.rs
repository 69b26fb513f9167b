//! The Anthropic streaming client against a loopback Messages API: the documented request, SSE
//! events turned into text deltas and whole tool calls as soon as they arrive, retries only
//! before the stream begins, and typed errors for everything that can go wrong after.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::routing::post;
use serde_json::json;
use switchboard_providers::anthropic::{
    AnthropicClient, AnthropicConfig, Message, MessageRequest, MessageStream, StopReason, StreamEvent, Tool, Usage,
};
use switchboard_providers::{Provider, ProviderError, Secret};
use tokio::sync::mpsc;

use crate::support::fast_settings;
use switchboard_fakes::scripted::{Loopback, Reply};

const KEY: &str = "sk-ant-test-key";

fn client(base_url: &str) -> AnthropicClient {
    let config = AnthropicConfig { base_url: base_url.into(), api_key: Secret::new(KEY) };
    AnthropicClient::new(config, &fast_settings()).unwrap()
}

fn request() -> MessageRequest {
    MessageRequest {
        model: "claude-sonnet-4-5".into(),
        max_tokens: 400,
        system: "You are calling a vendor for a quote.".into(),
        messages: vec![Message::user("The price is twelve fifty.")],
        tools: vec![Tool {
            name: "record_field".into(),
            description: "Record a value the caller gave.".into(),
            input_schema: json!({"type": "object", "properties": {"field": {"type": "string"}, "value": {}},
                                 "required": ["field", "value"]}),
        }],
    }
}

/// One SSE event as Anthropic frames it.
fn sse(data: serde_json::Value) -> String {
    format!("event: {}\ndata: {data}\n\n", data["type"].as_str().unwrap())
}

fn text_delta(text: &str) -> String {
    sse(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}))
}

fn opening() -> String {
    sse(json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
               "content": [], "model": "claude-sonnet-4-5", "usage": {"input_tokens": 50, "output_tokens": 1}}}))
        + &sse(json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
}

fn closing(stop_reason: &str, output_tokens: u32) -> String {
    sse(json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
               "usage": {"output_tokens": output_tokens}}))
        + &sse(json!({"type": "message_stop"}))
}

fn reply_with_a_tool_call() -> String {
    let parts = ["{\"field\"", ": \"price\", \"va", "lue\": 1250}"];
    let mut body = opening() + &sse(json!({"type": "ping"})) + &text_delta("Got it, ") + &text_delta("thanks.");
    body += &sse(json!({"type": "content_block_stop", "index": 0}));
    body += &sse(json!({"type": "content_block_start", "index": 1,
                        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "record_field", "input": {}}}));
    for part in parts {
        body += &sse(json!({"type": "content_block_delta", "index": 1,
                            "delta": {"type": "input_json_delta", "partial_json": part}}));
    }
    body + &sse(json!({"type": "content_block_stop", "index": 1})) + &closing("tool_use", 42)
}

fn event_stream(body: String) -> Reply {
    Reply::bytes(200, "text/event-stream; charset=utf-8", body.into_bytes())
}

async fn collect(mut stream: MessageStream) -> Vec<Result<StreamEvent, ProviderError>> {
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event);
    }
    events
}

#[tokio::test]
async fn the_request_is_the_documented_one_and_events_come_out_typed() {
    let server = Loopback::start(vec![event_stream(reply_with_a_tool_call())]).await;
    let events = collect(client(&server.base_url).stream_message(&request()).await.unwrap()).await;
    assert_eq!(
        events,
        [
            Ok(StreamEvent::TextDelta("Got it, ".into())),
            Ok(StreamEvent::TextDelta("thanks.".into())),
            Ok(StreamEvent::ToolUse {
                id: "toolu_1".into(),
                name: "record_field".into(),
                input: json!({"field": "price", "value": 1250})
            }),
            Ok(StreamEvent::Stop {
                reason: Some(StopReason::ToolUse),
                usage: Usage { input_tokens: 50, output_tokens: 42 }
            }),
        ]
    );

    let sent = server.single();
    assert_eq!((sent.method.as_str(), sent.uri.as_str()), ("POST", "/v1/messages"));
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(
        sent.json(),
        json!({"model": "claude-sonnet-4-5", "max_tokens": 400, "stream": true,
               "system": "You are calling a vendor for a quote.",
               "messages": [{"role": "user", "content": [{"type": "text", "text": "The price is twelve fifty."}]}],
               "tools": [{"name": "record_field", "description": "Record a value the caller gave.",
                          "input_schema": {"type": "object", "properties": {"field": {"type": "string"}, "value": {}},
                                           "required": ["field", "value"]}}]})
    );
}

/// A Messages API whose one answer streams whatever the test pushes, when it pushes it; an
/// `Err` pushed breaks the connection.
async fn live_server() -> (String, mpsc::UnboundedSender<Result<String, std::io::Error>>) {
    type Feed = Arc<Mutex<Option<mpsc::UnboundedReceiver<Result<String, std::io::Error>>>>>;
    let (feed, receiver) = mpsc::unbounded_channel();
    let receiver: Feed = Arc::new(Mutex::new(Some(receiver)));
    let answer = |State(receiver): State<Feed>| async move {
        let receiver = receiver.lock().unwrap().take().expect("one request");
        let chunks = futures_util::stream::unfold(receiver, |mut receiver| async move {
            let chunk = receiver.recv().await?;
            Some((chunk.map(Bytes::from), receiver))
        });
        ([("content-type", "text/event-stream")], Body::from_stream(chunks))
    };
    let app = Router::new().route("/v1/messages", post(answer)).with_state(receiver);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base_url, feed)
}

#[tokio::test]
async fn each_text_delta_comes_out_before_the_rest_is_sent() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening() + &text_delta("Hello"))).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    // Nothing more is sent until the first delta is out: a client that buffered would hang here.
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("the first delta at once");
    assert_eq!(first, Some(Ok(StreamEvent::TextDelta("Hello".into()))));
    // Half an event is not an event.
    let rest = text_delta(" there.");
    let (head, tail) = rest.split_at(20);
    feed.send(Ok(head.to_owned())).unwrap();
    assert!(tokio::time::timeout(Duration::from_millis(100), stream.next()).await.is_err());
    feed.send(Ok(tail.to_owned() + &closing("end_turn", 3))).unwrap();
    assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta(" there.".into()))));
    assert!(matches!(stream.next().await, Some(Ok(StreamEvent::Stop { reason: Some(StopReason::EndTurn), .. }))));
    assert_eq!(stream.next().await, None);
}

#[tokio::test]
async fn a_message_given_up_mid_stream_counts_its_input_and_what_it_generated() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening() + &text_delta("Hello there, ") + &text_delta("how can I"))).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    assert_eq!(stream.usage_so_far(), Usage::default(), "nothing read yet");
    assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta("Hello there, ".into()))));
    assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta("how can I".into()))));
    // 13 + 9 characters so far: 6 tokens of 4 characters.
    assert_eq!(stream.usage_so_far(), Usage { input_tokens: 50, output_tokens: 6 });
    // Once Anthropic counts the output, its count stands.
    feed.send(Ok(text_delta(" help you today?") + &closing("end_turn", 9))).unwrap();
    while let Some(event) = stream.next().await {
        event.unwrap();
    }
    assert_eq!(stream.usage_so_far(), Usage { input_tokens: 50, output_tokens: 9 });
}

#[tokio::test]
async fn a_stream_may_outlast_the_request_timeout_while_it_keeps_talking() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening())).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    // fast_settings allow 500 ms of silence; this answer takes 1 s in all.
    for word in ["one ", "two ", "three ", "four ", "five "] {
        tokio::time::sleep(Duration::from_millis(200)).await;
        feed.send(Ok(text_delta(word))).unwrap();
        assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta(word.into()))));
    }
    feed.send(Ok(closing("end_turn", 4))).unwrap();
    assert!(matches!(stream.next().await, Some(Ok(StreamEvent::Stop { .. }))));
}

#[tokio::test]
async fn silence_mid_stream_is_a_timeout() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening() + &text_delta("Hm"))).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta("Hm".into()))));
    assert_eq!(stream.next().await, Some(Err(ProviderError::Timeout { provider: Provider::Anthropic })));
    assert_eq!(stream.next().await, None);
    drop(feed);
}

#[tokio::test]
async fn a_connection_broken_mid_stream_closed_unexpectedly() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening() + &text_delta("Let me"))).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    assert_eq!(stream.next().await, Some(Ok(StreamEvent::TextDelta("Let me".into()))));
    feed.send(Err(std::io::Error::other("upstream gone"))).unwrap();
    let error = stream.next().await.unwrap().unwrap_err();
    assert_eq!(error, ProviderError::ClosedUnexpectedly { provider: Provider::Anthropic });
    assert_eq!(error.to_string(), "Anthropic closed the stream unexpectedly");
    assert_eq!(stream.next().await, None);
}

#[tokio::test]
async fn a_body_that_ends_before_message_stop_closed_unexpectedly() {
    let server = Loopback::start(vec![event_stream(opening() + &text_delta("Half"))]).await;
    let events = collect(client(&server.base_url).stream_message(&request()).await.unwrap()).await;
    assert_eq!(
        events,
        [
            Ok(StreamEvent::TextDelta("Half".into())),
            Err(ProviderError::ClosedUnexpectedly { provider: Provider::Anthropic })
        ]
    );
}

#[tokio::test]
async fn an_error_event_mid_stream_is_a_typed_error_and_is_not_retried() {
    let overloaded = sse(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}));
    let server = Loopback::start(vec![event_stream(opening() + &text_delta("I") + &overloaded)]).await;
    let events = collect(client(&server.base_url).stream_message(&request()).await.unwrap()).await;
    assert_eq!(
        events,
        [
            Ok(StreamEvent::TextDelta("I".into())),
            Err(ProviderError::StreamFailed {
                provider: Provider::Anthropic,
                reason: "overloaded_error: Overloaded".into()
            })
        ]
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_429_or_529_before_the_stream_begins_is_retried() {
    let server = Loopback::start(vec![
        Reply::json(429, json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}))
            .header("retry-after", "0"),
        Reply::json(529, json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
        event_stream(opening() + &text_delta("Hi") + &closing("end_turn", 2)),
    ])
    .await;
    let events = collect(client(&server.base_url).stream_message(&request()).await.unwrap()).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn a_401_is_not_retried_and_never_shows_the_key() {
    let body = json!({"type": "error", "error": {"type": "authentication_error", "message": format!("invalid x-api-key {KEY}")}});
    let server = Loopback::start(vec![Reply::json(401, body), event_stream(closing("end_turn", 0))]).await;
    let error = client(&server.base_url).stream_message(&request()).await.unwrap_err();
    assert_eq!(error.provider(), Provider::Anthropic);
    assert_eq!(error.status(), Some(401));
    let message = error.to_string();
    assert!(message.contains("authentication_error") && !message.contains(KEY), "{message}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn dropping_the_stream_hangs_up_on_anthropic() {
    let (base_url, feed) = live_server().await;
    feed.send(Ok(opening() + &text_delta("A long answer"))).unwrap();
    let mut stream = client(&base_url).stream_message(&request()).await.unwrap();
    assert!(matches!(stream.next().await, Some(Ok(StreamEvent::TextDelta(_)))));
    drop(stream);
    // The server sees the connection go: its answer body is dropped, and with it the feed.
    let hung_up = async {
        while feed.send(Ok(text_delta(" and more"))).is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(5), hung_up).await.expect("the connection closes");
}
