//! The Vapi client against a loopback Vapi: bearer auth, the call body with assistant overrides.

use serde_json::json;
use switchboard_providers::vapi::{VapiCallRequest, VapiCallStatus, VapiClient, VapiConfig};
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
