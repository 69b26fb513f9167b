//! The Ultravox client against a loopback Ultravox: agent sync (create, PATCH, delete), calls
//! and their `joinUrl`, `X-API-Key` on every request.

use serde_json::json;
use switchboard_providers::Secret;
use switchboard_providers::ultravox::{
    AgentCall, AgentSpec, CallTemplate, DirectCall, EndReason, MessageRole, UltravoxClient, UltravoxConfig,
};

use crate::support::fast_settings;
use switchboard_fakes::scripted::{Loopback, Reply};

const KEY: &str = "uv-key-1";

fn client(server: &Loopback) -> UltravoxClient {
    let config = UltravoxConfig { base_url: server.base_url.clone(), api_key: Secret::new(KEY) };
    UltravoxClient::new(config, &fast_settings()).unwrap()
}

fn spec() -> AgentSpec {
    AgentSpec {
        name: "Vendor quotes".into(),
        template: CallTemplate {
            system_prompt: "Ask {{vendorName}} for a quote.".into(),
            voice: Some("Mark".into()),
            first_message: Some("Hi, this is Sam.".into()),
            max_duration_secs: Some(600),
            recording_enabled: true,
            ..CallTemplate::default()
        },
    }
}

fn agent_json() -> serde_json::Value {
    json!({"agentId": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "publishedRevisionId": null,
           "name": "Vendor_quotes", "created": "2025-02-18T10:00:00Z", "callTemplate": {}, "statistics": {"calls": 0}})
}

fn call_json() -> serde_json::Value {
    json!({"callId": "c1", "joinUrl": "wss://voice.ultravox.ai/calls/c1/telephony", "created": "2025-02-18T10:00:00Z",
           "ended": null, "endReason": null, "metadata": {"switchboardCallId": "42"}})
}

#[tokio::test]
async fn agents_are_created_patched_and_deleted() {
    let server = Loopback::start(vec![
        Reply::json(201, agent_json()),
        Reply::json(200, agent_json()),
        Reply::empty(204),
        Reply::json(404, json!({"detail": "Not found."})),
    ])
    .await;
    let ultravox = client(&server);
    let agent = ultravox.create_agent(&spec()).await.unwrap();
    assert_eq!(agent.agent_id, "3c90c3cc-0d44-4b50-8888-8dd25736052a");
    ultravox.update_agent(&agent.agent_id, &spec()).await.unwrap();
    ultravox.delete_agent(&agent.agent_id).await.unwrap();
    ultravox.delete_agent(&agent.agent_id).await.expect("an agent already gone counts as deleted");

    let requests = server.requests();
    let path = "/api/agents/3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let routes: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.uri.as_str())).collect();
    assert_eq!(routes, [("POST", "/api/agents"), ("PATCH", path), ("DELETE", path), ("DELETE", path)]);
    let expected = json!({"name": "Vendor_quotes", "callTemplate": {
        "systemPrompt": "Ask {{vendorName}} for a quote.", "voice": "Mark",
        "firstSpeakerSettings": {"agent": {"text": "Hi, this is Sam."}}, "maxDuration": "600s",
        "recordingEnabled": true, "medium": {"twilio": {}}}});
    assert_eq!(requests[0].json(), expected);
    assert_eq!(requests[1].json(), expected);
    assert!(requests.iter().all(|request| request.header("x-api-key") == Some(KEY)));
}

#[tokio::test]
async fn agent_calls_and_direct_calls_return_a_join_url() {
    let server = Loopback::start(vec![Reply::json(201, call_json()), Reply::json(201, call_json())]).await;
    let ultravox = client(&server);
    let call = AgentCall {
        template_context: [("vendorName".to_owned(), "Acme".into())].into(),
        metadata: [("switchboardCallId".to_owned(), "42".to_owned())].into(),
        max_duration_secs: Some(300),
        recording_enabled: Some(true),
    };
    let created = ultravox.create_agent_call("agent-1", &call).await.unwrap();
    assert_eq!(created.join_url.as_deref(), Some("wss://voice.ultravox.ai/calls/c1/telephony"));
    let direct = DirectCall { template: spec().template, join_timeout_secs: Some(30), metadata: Default::default() };
    ultravox.create_call(&direct).await.unwrap();

    let requests = server.requests();
    assert_eq!((requests[0].method.as_str(), requests[0].uri.as_str()), ("POST", "/api/agents/agent-1/calls"));
    assert_eq!(
        requests[0].json(),
        json!({"templateContext": {"vendorName": "Acme"}, "metadata": {"switchboardCallId": "42"},
               "maxDuration": "300s", "recordingEnabled": true, "medium": {"twilio": {}}})
    );
    assert_eq!((requests[1].method.as_str(), requests[1].uri.as_str()), ("POST", "/api/calls"));
    assert_eq!(
        requests[1].json(),
        json!({"systemPrompt": "Ask {{vendorName}} for a quote.", "voice": "Mark",
               "firstSpeakerSettings": {"agent": {"text": "Hi, this is Sam."}}, "maxDuration": "600s",
               "recordingEnabled": true, "medium": {"twilio": {}}, "joinTimeout": "30s", "metadata": {}})
    );
}

#[tokio::test]
async fn get_call_reads_the_end_reason() {
    let mut ended = call_json();
    ended["ended"] = json!("2025-02-18T10:03:00Z");
    ended["endReason"] = json!("unjoined");
    let server = Loopback::start(vec![Reply::json(200, ended)]).await;
    let call = client(&server).get_call("c1").await.unwrap();
    assert_eq!(call.end_reason, Some(EndReason::Unjoined));
    assert_eq!(server.single().uri, "/api/calls/c1");
}

#[tokio::test]
async fn call_messages_follow_the_pages() {
    let first = json!({"results": [
            {"role": "MESSAGE_ROLE_AGENT", "text": "Hi, is this Acme?", "timespan": {"start": "0.6s", "end": "2s"}},
            {"role": "MESSAGE_ROLE_USER", "text": "Yes.", "timespan": {"start": "2.4s", "end": "3s"}}],
        "next": format!("http://127.0.0.1:1/api/calls/c1/messages?cursor=cD0y&pageSize=100"), "previous": null, "total": 3});
    let second = json!({"results": [{"role": "MESSAGE_ROLE_TOOL_CALL", "toolName": "record_field",
        "invocationId": "inv_1", "text": "{\"key\":\"unit_price\",\"value\":\"4.50\"}"}], "next": null, "total": 3});
    let server = Loopback::start(vec![Reply::json(200, first), Reply::json(200, second)]).await;
    let messages = client(&server).call_messages("c1").await.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!((messages[1].role, messages[1].text.as_deref()), (MessageRole::User, Some("Yes.")));
    assert_eq!(messages[1].timespan.as_ref().unwrap().start_millis(), Some(2400));
    assert_eq!(messages[2].tool_name.as_deref(), Some("record_field"));
    let uris: Vec<_> = server.requests().into_iter().map(|request| request.uri).collect();
    // The cursor is taken from `next`, never its host: the key only goes to the configured base.
    assert_eq!(uris, ["/api/calls/c1/messages?pageSize=100", "/api/calls/c1/messages?pageSize=100&cursor=cD0y"]);
}
