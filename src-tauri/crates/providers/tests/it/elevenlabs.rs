//! The ElevenLabs client against a loopback ElevenLabs: `xi-api-key`, exact JSON bodies, and a
//! call that did not start.

use serde_json::json;
use switchboard_providers::elevenlabs::{
    BatchCall, BatchRecipient, BatchStatus, ClientData, ConversationOverrides, ConversationStatus, ElevenLabsClient,
    ElevenLabsConfig, OutboundCall, RegisterCall,
};
use switchboard_providers::{Provider, ProviderError, Secret, VariableValue, Variables};

use crate::support::fast_settings;
use switchboard_fakes::scripted::{Loopback, Reply};

const KEY: &str = "xi-key-abc";

fn client(server: &Loopback) -> ElevenLabsClient {
    let config = ElevenLabsConfig { base_url: server.base_url.clone(), api_key: Secret::new(KEY) };
    ElevenLabsClient::new(config, &fast_settings()).unwrap()
}

fn client_data() -> ClientData {
    ClientData {
        dynamic_variables: Variables::from([
            ("vendorName".to_owned(), VariableValue::from("Acme")),
            ("quantity".to_owned(), VariableValue::from(10_000)),
        ]),
        overrides: ConversationOverrides {
            prompt: Some("You are calling {{vendorName}} for a quote.".into()),
            first_message: Some("Hi {{vendorName}}".into()),
            language: Some("en".into()),
            voice_id: Some("voice-7".into()),
        },
    }
}

fn outbound_call() -> OutboundCall {
    OutboundCall {
        agent_id: "agent_1".into(),
        agent_phone_number_id: "phnum_1".into(),
        to_number: "+15551234567".into(),
        client_data: client_data(),
        call_recording_enabled: Some(false),
        ringing_timeout_secs: Some(30),
    }
}

#[tokio::test]
async fn outbound_call_sends_the_documented_body() {
    let answer = json!({"success": true, "message": "Success", "conversation_id": "conv_1", "callSid": "CA42"});
    let server = Loopback::start(vec![Reply::json(200, answer)]).await;
    let started = client(&server).outbound_call(&outbound_call()).await.unwrap();
    assert_eq!((started.conversation_id.as_str(), started.call_sid.as_deref()), ("conv_1", Some("CA42")));

    let request = server.single();
    assert_eq!((request.method.as_str(), request.uri.as_str()), ("POST", "/v1/convai/twilio/outbound-call"));
    assert_eq!(request.header("xi-api-key"), Some(KEY));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json(),
        json!({"agent_id":"agent_1","agent_phone_number_id":"phnum_1","to_number":"+15551234567",
               "conversation_initiation_client_data":{
                 "dynamic_variables":{"quantity":10000,"vendorName":"Acme"},
                 "conversation_config_override":{
                   "agent":{"prompt":{"prompt":"You are calling {{vendorName}} for a quote."},
                            "first_message":"Hi {{vendorName}}","language":"en"},
                   "tts":{"voice_id":"voice-7"}}},
               "call_recording_enabled":false,
               "telephony_call_config":{"ringing_timeout_secs":30}})
    );
}

#[tokio::test]
async fn a_null_conversation_id_means_the_call_did_not_start() {
    let answer = json!({"success": false, "message": "Twilio rejected the number", "conversation_id": null,
                        "callSid": null});
    let server = Loopback::start(vec![Reply::json(200, answer)]).await;
    let error = client(&server).outbound_call(&outbound_call()).await.unwrap_err();
    assert_eq!(
        error,
        ProviderError::CallNotStarted { provider: Provider::ElevenLabs, reason: "Twilio rejected the number".into() }
    );
    assert_eq!(error.to_string(), "ElevenLabs did not start the call: Twilio rejected the number");
}

#[tokio::test]
async fn the_conversation_id_decides_when_success_is_absent_or_false() {
    let server = Loopback::start(vec![
        Reply::json(200, json!({"conversation_id": "conv_2", "callSid": "CA2"})),
        Reply::json(
            200,
            json!({"success": false, "message": "Agent override not allowed", "conversation_id": "conv_3"}),
        ),
    ])
    .await;
    let elevenlabs = client(&server);
    assert_eq!(elevenlabs.outbound_call(&outbound_call()).await.unwrap().conversation_id, "conv_2");
    let error = elevenlabs.outbound_call(&outbound_call()).await.unwrap_err();
    assert!(matches!(error, ProviderError::CallNotStarted { reason, .. } if reason == "Agent override not allowed"));
}

#[tokio::test]
async fn reserved_variable_names_are_refused_before_sending() {
    let server = Loopback::start(vec![]).await;
    let mut call = outbound_call();
    call.client_data.dynamic_variables.insert("system__time".into(), "now".into());
    let error = client(&server).outbound_call(&call).await.unwrap_err();
    assert!(matches!(&error, ProviderError::InvalidRequest { reason, .. } if reason.contains("system__time")));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn conversation_and_its_audio() {
    let conversation = json!({
        "agent_id": "agent_1", "conversation_id": "conv_1", "status": "done",
        "transcript": [{"role": "agent", "message": "Hi", "time_in_call_secs": 0},
                       {"role": "user", "message": "$4.50 each", "time_in_call_secs": 2}],
        "metadata": {"start_time_unix_secs": 1739537000, "call_duration_secs": 61, "cost": 300,
                     "phone_call": {"type": "twilio", "call_sid": "CA42", "stream_sid": "MZ1", "external_number": "+15551234567"}},
        "analysis": {"call_successful": "success", "transcript_summary": "Quoted",
                     "data_collection_results": {"unit_price": {"data_collection_id": "unit_price", "value": 4.5,
                                                                "json_schema": {"type": "number"}, "rationale": "r"}}},
        "has_audio": true
    });
    let mp3 = b"ID3\x04fake-mp3".to_vec();
    let server =
        Loopback::start(vec![Reply::json(200, conversation), Reply::bytes(200, "audio/mpeg", mp3.clone())]).await;
    let elevenlabs = client(&server);
    let fetched = elevenlabs.get_conversation("conv_1").await.unwrap();
    assert_eq!(fetched.status, ConversationStatus::Done);
    assert_eq!(fetched.metadata.call_duration_secs, Some(61));
    assert_eq!(fetched.collected_values().collect::<Vec<_>>(), [("unit_price", &json!(4.5))]);
    assert_eq!(elevenlabs.conversation_audio("conv_1").await.unwrap(), mp3);

    let requests = server.requests();
    assert_eq!((requests[0].method.as_str(), requests[0].uri.as_str()), ("GET", "/v1/convai/conversations/conv_1"));
    assert_eq!(requests[1].uri, "/v1/convai/conversations/conv_1/audio");
    assert!(requests.iter().all(|request| request.header("xi-api-key") == Some(KEY)));
}

#[tokio::test]
async fn batch_submit_get_cancel_and_retry() {
    let job = |status: &str| {
        json!({"id": "batch_1", "name": "Round 1", "agent_id": "agent_1", "status": status,
               "total_calls_dispatched": 2, "total_calls_scheduled": 2, "total_calls_finished": 1,
               "created_at_unix": 1739537000, "scheduled_time_unix": 1739537000, "last_updated_at_unix": 1739537000,
               "agent_name": "Quotes", "phone_number_id": "phnum_1", "phone_provider": "twilio"})
    };
    let server = Loopback::start(vec![
        Reply::json(200, job("pending")),
        Reply::json(200, job("in_progress")),
        Reply::json(200, job("cancelled")),
        Reply::json(200, job("pending")),
    ])
    .await;
    let elevenlabs = client(&server);
    let batch = BatchCall {
        call_name: "Round 1".into(),
        agent_id: "agent_1".into(),
        agent_phone_number_id: "phnum_1".into(),
        recipients: vec![BatchRecipient {
            id: Some("contact-9".into()),
            phone_number: "+15551234567".into(),
            client_data: ClientData {
                dynamic_variables: Variables::from([("vendorName".to_owned(), "Acme".into())]),
                ..ClientData::default()
            },
        }],
        scheduled_time_unix: None,
        timezone: None,
        target_concurrency_limit: Some(5),
    };
    assert_eq!(elevenlabs.submit_batch(&batch).await.unwrap().status, BatchStatus::Pending);
    let progress = elevenlabs.get_batch("batch_1").await.unwrap();
    assert_eq!((progress.status, progress.total_calls_finished), (BatchStatus::InProgress, 1));
    assert_eq!(elevenlabs.cancel_batch("batch_1").await.unwrap().status, BatchStatus::Cancelled);
    elevenlabs.retry_batch("batch_1").await.unwrap();

    let requests = server.requests();
    let routes: Vec<_> = requests.iter().map(|r| (r.method.as_str(), r.uri.as_str())).collect();
    assert_eq!(
        routes,
        [
            ("POST", "/v1/convai/batch-calling/submit"),
            ("GET", "/v1/convai/batch-calling/batch_1"),
            ("POST", "/v1/convai/batch-calling/batch_1/cancel"),
            ("POST", "/v1/convai/batch-calling/batch_1/retry"),
        ]
    );
    assert_eq!(
        requests[0].json(),
        json!({"call_name":"Round 1","agent_id":"agent_1","agent_phone_number_id":"phnum_1",
               "recipients":[{"id":"contact-9","phone_number":"+15551234567",
                              "conversation_initiation_client_data":{"dynamic_variables":{"vendorName":"Acme"}}}],
               "target_concurrency_limit":5})
    );
}

#[tokio::test]
async fn register_call_returns_twiml_to_dial_with() {
    let twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect><Stream url=\"wss://api.elevenlabs.io/v1/convai/conversation/x\"/></Connect></Response>";
    let server = Loopback::start(vec![Reply::bytes(200, "text/xml", twiml.as_bytes().to_vec())]).await;
    let call = RegisterCall {
        agent_id: "agent_1".into(),
        from_number: "+15550001111".into(),
        to_number: "+15551234567".into(),
        direction: "outbound".into(),
        client_data: ClientData::default(),
    };
    assert_eq!(client(&server).register_call(&call).await.unwrap().as_str(), twiml);
    let request = server.single();
    assert_eq!(request.uri, "/v1/convai/twilio/register-call");
    assert_eq!(
        request.json(),
        json!({"agent_id":"agent_1","from_number":"+15550001111","to_number":"+15551234567","direction":"outbound",
               "conversation_initiation_client_data":{"dynamic_variables":{}}})
    );
}

#[tokio::test]
async fn a_simulation_test_is_created_run_polled_and_deleted_in_the_sdks_shape() {
    use switchboard_providers::elevenlabs::{SimulationTest, TestRunStatus};
    let pending = json!({"id": "inv_1", "agent_id": "agent_1", "test_runs": [
        {"test_run_id": "run_1", "test_id": "test_1", "test_invocation_id": "inv_1", "agent_id": "agent_1",
         "status": "pending"}]});
    let mut passed = pending.clone();
    passed["test_runs"][0]["status"] = json!("passed");
    passed["test_runs"][0]["agent_responses"] = json!([{"role": "agent", "message": "Hi", "time_in_call_secs": 0}]);
    passed["test_runs"][0]["condition_result"] = json!({"result": "success"});
    let server = Loopback::start(vec![
        Reply::json(200, json!({"id": "test_1"})),
        Reply::json(200, pending),
        Reply::json(200, passed),
        Reply::json(200, json!({})),
    ])
    .await;
    let elevenlabs = client(&server);
    let test = SimulationTest {
        name: "cooperative vendor".into(),
        simulation_scenario: "You are Dana at Acme; you quote $4.50.".into(),
        success_conditions: vec!["The agent asks for the unit price.".into()],
        simulation_max_turns: Some(8),
        dynamic_variables: Variables::from([("vendorName".to_owned(), VariableValue::from("Acme"))]),
    };
    let test_id = elevenlabs.create_simulation_test(&test).await.unwrap();
    let started = elevenlabs.run_tests("agent_1", std::slice::from_ref(&test_id), 1).await.unwrap();
    assert!(!started.is_finished());
    let done = elevenlabs.get_test_invocation(&started.id).await.unwrap();
    assert!(done.is_finished());
    assert_eq!(done.test_runs[0].status, TestRunStatus::Passed);
    elevenlabs.delete_test(&test_id).await.unwrap();

    let requests = server.requests();
    let routes: Vec<_> = requests.iter().map(|request| (request.method.as_str(), request.uri.as_str())).collect();
    assert_eq!(
        routes,
        [
            ("POST", "/v1/convai/agent-testing/create"),
            ("POST", "/v1/convai/agents/agent_1/run-tests"),
            ("GET", "/v1/convai/test-invocations/inv_1"),
            ("DELETE", "/v1/convai/agent-testing/test_1"),
        ]
    );
    assert_eq!(
        requests[0].json(),
        json!({"type": "simulation", "name": "cooperative vendor",
               "simulation_scenario": "You are Dana at Acme; you quote $4.50.",
               "success_conditions": ["The agent asks for the unit price."], "simulation_max_turns": 8,
               "dynamic_variables": {"vendorName": "Acme"}})
    );
    assert_eq!(requests[1].json(), json!({"tests": [{"test_id": "test_1"}]}));
    assert!(requests.iter().all(|request| request.header("xi-api-key") == Some(KEY)));
}

#[tokio::test]
async fn a_test_with_a_reserved_variable_is_refused_before_sending() {
    use switchboard_providers::elevenlabs::SimulationTest;
    let server = Loopback::start(vec![]).await;
    let test = SimulationTest {
        name: "t".into(),
        simulation_scenario: "s".into(),
        success_conditions: vec!["c".into()],
        simulation_max_turns: None,
        dynamic_variables: Variables::from([("system__time".to_owned(), VariableValue::from("now"))]),
    };
    let error = client(&server).create_simulation_test(&test).await.unwrap_err();
    assert!(matches!(error, ProviderError::InvalidRequest { provider: Provider::ElevenLabs, .. }), "{error}");
    assert!(server.requests().is_empty());
}
