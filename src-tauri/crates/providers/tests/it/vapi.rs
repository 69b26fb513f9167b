//! The Vapi client against a loopback Vapi: bearer auth, the call body with assistant overrides.

use serde_json::json;
use switchboard_providers::vapi::{ControlMessage, VapiCallRequest, VapiCallStatus, VapiClient, VapiConfig};
use switchboard_providers::{Secret, Variables};

use crate::support::fast_settings;
use switchboard_fakes::scripted::{Loopback, Reply};

const KEY: &str = "vapi-private-key";

fn client(server: &Loopback) -> VapiClient {
    VapiClient::new(VapiConfig { base_url: server.base_url.clone(), api_key: Secret::new(KEY) }, &fast_settings())
        .unwrap()
}

#[tokio::test]
async fn create_call_sends_overrides_and_get_call_reads_the_outcome() {
    let queued = json!({"id": "call_1", "orgId": "org", "type": "outboundPhoneCall", "status": "queued",
                        "assistantId": "asst_1", "phoneNumberId": "pn_1", "customer": {"number": "+15551234567"}});
    let ended = json!({"id": "call_1", "status": "ended", "endedReason": "customer-did-not-answer", "cost": 0.01,
                       "startedAt": "2025-02-18T10:00:00Z", "endedAt": "2025-02-18T10:00:30Z",
                       "artifact": {"transcript": "", "messages": []}, "analysis": {"summary": null}});
    let server = Loopback::start(vec![Reply::json(201, queued), Reply::json(200, ended)]).await;
    let vapi = client(&server);
    let request = VapiCallRequest {
        assistant_id: "asst_1".into(),
        phone_number_id: "pn_1".into(),
        customer_number: "+15551234567".into(),
        customer_name: None,
        variable_values: Variables::from([
            ("driverName".to_owned(), "Sam".into()),
            ("violations".to_owned(), 2.into()),
        ]),
        first_message: Some("Hi Sam, this is dispatch.".into()),
    };
    assert_eq!(vapi.create_call(&request).await.unwrap().status, VapiCallStatus::Queued);
    let call = vapi.get_call("call_1").await.unwrap();
    assert_eq!(call.ended_reason.as_deref(), Some("customer-did-not-answer"));
    assert_eq!(call.duration().map(|duration| duration.as_secs()), Some(30));

    let requests = server.requests();
    assert_eq!((requests[0].method.as_str(), requests[0].uri.as_str()), ("POST", "/call"));
    assert_eq!(
        requests[0].json(),
        json!({"assistantId": "asst_1", "phoneNumberId": "pn_1", "customer": {"number": "+15551234567"},
               "assistantOverrides": {"variableValues": {"driverName": "Sam", "violations": 2},
                                      "firstMessage": "Hi Sam, this is dispatch."}})
    );
    assert_eq!((requests[1].method.as_str(), requests[1].uri.as_str()), ("GET", "/call/call_1"));
    let bearer = format!("Bearer {KEY}");
    assert!(requests.iter().all(|request| request.header("authorization") == Some(bearer.as_str())));
}

#[tokio::test]
async fn a_live_call_is_controlled_through_its_control_url_without_the_key() {
    let live = json!({"id": "call_1", "status": "in-progress",
                      "monitor": {"listenUrl": "wss://example.invalid/listen", "controlUrl": "http://127.0.0.1:9/control"}});
    let server = Loopback::start(vec![Reply::json(200, live), Reply::json(200, json!({}))]).await;
    let vapi = client(&server);
    let call = vapi.get_call("call_1").await.unwrap();
    assert_eq!(call.monitor.unwrap().control_url.as_deref(), Some("http://127.0.0.1:9/control"));
    let control_url = format!("{}/call_1/control", server.base_url);
    vapi.control(&control_url, &ControlMessage::transfer_to("+13125550100")).await.unwrap();

    let requests = server.requests();
    assert_eq!((requests[1].method.as_str(), requests[1].uri.as_str()), ("POST", "/call_1/control"));
    assert_eq!(
        requests[1].json(),
        json!({"type": "transfer", "destination": {"type": "number", "number": "+13125550100"}})
    );
    assert_eq!(requests[1].header("authorization"), None, "the key goes to Vapi's API only");
    let error = vapi.control("ftp://example.invalid/control", &ControlMessage::EndCall).await.unwrap_err();
    assert!(error.to_string().contains("control URL is not an http(s) URL"), "{error}");
}

#[tokio::test]
async fn a_chat_turn_names_the_chat_before_and_reads_the_reply() {
    use switchboard_providers::vapi::VapiChatRequest;
    let chat = json!({"id": "chat_2", "orgId": "org", "assistantId": "asst_1",
                      "output": [{"role": "assistant", "content": "What is your unit price?"}],
                      "createdAt": "2026-12-06T22:00:00.000Z", "updatedAt": "2026-12-06T22:00:00.000Z"});
    let server = Loopback::start(vec![Reply::json(201, chat)]).await;
    let request = VapiChatRequest {
        assistant_id: "asst_1".into(),
        input: "Acme Supply, Dana speaking.".into(),
        previous_chat_id: Some("chat_1".into()),
        variable_values: Variables::from([("vendorName".to_owned(), "Acme".into())]),
    };
    let answer = client(&server).chat(&request).await.unwrap();
    assert_eq!((answer.id.as_str(), answer.reply().as_str()), ("chat_2", "What is your unit price?"));

    let request = server.single();
    assert_eq!((request.method.as_str(), request.uri.as_str()), ("POST", "/chat"));
    assert_eq!(
        request.json(),
        json!({"assistantId": "asst_1", "input": "Acme Supply, Dana speaking.", "previousChatId": "chat_1",
               "assistantOverrides": {"variableValues": {"vendorName": "Acme"}}})
    );
    assert_eq!(request.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
}
