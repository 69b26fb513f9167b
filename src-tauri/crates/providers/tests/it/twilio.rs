//! The Twilio client against a loopback Twilio: paths, Basic auth, exact form bodies.

use serde_json::json;
use switchboard_providers::twilio::{
    AnsweredBy, CallInstructions, CreateCall, Dial, MachineDetection, MachineDetectionMode, Recording,
    RecordingChannels, Say, StartStream, Stream, StreamTrack, TwilioCallStatus, TwilioClient, TwilioConfig,
    TwimlResponse,
};
use switchboard_providers::{Provider, ProviderError, Secret};

use crate::support::{basic_auth, fast_settings};
use switchboard_fakes::scripted::{Loopback, Reply};

const TOKEN: &str = "twilio-auth-token-123";

fn client(server: &Loopback) -> TwilioClient {
    let config = TwilioConfig {
        base_url: server.base_url.clone(),
        account_sid: "AC123".into(),
        auth_token: Secret::new(TOKEN),
        api_key_sid: None,
    };
    TwilioClient::new(config, &fast_settings()).unwrap()
}

fn call_json(status: &str) -> serde_json::Value {
    json!({
        "sid": "CA42", "account_sid": "AC123", "parent_call_sid": null, "to": "+15551234567", "from": "+15550001111",
        "status": status, "start_time": null, "end_time": null, "duration": null, "price": null, "price_unit": "USD",
        "direction": "outbound-api", "answered_by": null, "date_created": "Tue, 18 Feb 2025 10:00:00 +0000",
        "uri": "/2010-04-01/Accounts/AC123/Calls/CA42.json",
        "subresource_uris": {"recordings": "/2010-04-01/Accounts/AC123/Calls/CA42/Recordings.json",
                             "streams": "/2010-04-01/Accounts/AC123/Calls/CA42/Streams.json"}
    })
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
}

#[tokio::test]
async fn create_call_posts_the_documented_form_with_basic_auth() {
    let server = Loopback::start(vec![Reply::json(201, call_json("queued"))]).await;
    let mut call = CreateCall::new(
        "+15551234567",
        "+15550001111",
        CallInstructions::Url("https://tunnel.example/twilio/voice".into()),
    );
    call.status_callback = Some("https://tunnel.example/twilio/status".into());
    call.machine_detection = Some(MachineDetection {
        mode: MachineDetectionMode::DetectMessageEnd,
        async_callback: Some("https://tunnel.example/twilio/amd".into()),
        timeout_secs: None,
    });
    call.recording = Some(Recording {
        channels: RecordingChannels::Mono,
        status_callback: Some("https://tunnel.example/twilio/recording".into()),
    });
    let created = client(&server).create_call(&call).await.unwrap();
    assert_eq!((created.sid.as_str(), created.status), ("CA42", TwilioCallStatus::Queued));

    let request = server.single();
    assert_eq!(request.method, "POST");
    assert_eq!(request.uri, "/2010-04-01/Accounts/AC123/Calls.json");
    assert_eq!(request.header("authorization"), Some(basic_auth("AC123", TOKEN).as_str()));
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.form(),
        pairs(&[
            ("To", "+15551234567"),
            ("From", "+15550001111"),
            ("Url", "https://tunnel.example/twilio/voice"),
            ("Method", "POST"),
            ("StatusCallback", "https://tunnel.example/twilio/status"),
            ("StatusCallbackMethod", "POST"),
            ("StatusCallbackEvent", "initiated"),
            ("StatusCallbackEvent", "ringing"),
            ("StatusCallbackEvent", "answered"),
            ("StatusCallbackEvent", "completed"),
            ("MachineDetection", "DetectMessageEnd"),
            ("AsyncAmd", "true"),
            ("AsyncAmdStatusCallback", "https://tunnel.example/twilio/amd"),
            ("AsyncAmdStatusCallbackMethod", "POST"),
            ("Record", "true"),
            ("RecordingChannels", "mono"),
            ("RecordingStatusCallback", "https://tunnel.example/twilio/recording"),
            ("RecordingStatusCallbackMethod", "POST"),
            ("RecordingStatusCallbackEvent", "completed"),
            ("RecordingStatusCallbackEvent", "absent"),
        ])
    );
}

#[tokio::test]
async fn create_call_with_inline_twiml_for_an_ultravox_bridge() {
    let server = Loopback::start(vec![Reply::json(201, call_json("queued"))]).await;
    let twiml = TwimlResponse::new()
        .connect_stream(Stream::new("wss://voice.ultravox.ai/calls/c1/telephony"))
        .render()
        .unwrap();
    let call = CreateCall::new("+15551234567", "+15550001111", CallInstructions::Twiml(twiml));
    client(&server).create_call(&call).await.unwrap();
    assert_eq!(
        server.single().form(),
        pairs(&[
            ("To", "+15551234567"),
            ("From", "+15550001111"),
            (
                "Twiml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Connect>\
                 <Stream url=\"wss://voice.ultravox.ai/calls/c1/telephony\"/></Connect></Response>"
            ),
        ])
    );
}

#[tokio::test]
async fn an_api_key_signs_in_while_the_account_stays_in_the_path() {
    let server = Loopback::start(vec![Reply::json(200, call_json("ringing"))]).await;
    let config = TwilioConfig {
        base_url: format!("{}/", server.base_url),
        account_sid: "AC123".into(),
        auth_token: Secret::new("key-secret"),
        api_key_sid: Some("SK9".into()),
    };
    TwilioClient::new(config, &fast_settings()).unwrap().fetch_call("CA42").await.unwrap();
    let request = server.single();
    assert_eq!((request.method.as_str(), request.uri.as_str()), ("GET", "/2010-04-01/Accounts/AC123/Calls/CA42.json"));
    assert_eq!(request.header("authorization"), Some(basic_auth("SK9", "key-secret").as_str()));
}

#[tokio::test]
async fn fetch_reads_duration_price_and_amd_verdict() {
    let mut answer = call_json("completed");
    answer["duration"] = json!("95");
    answer["price"] = json!("-0.0130");
    answer["answered_by"] = json!("machine_end_beep");
    let server = Loopback::start(vec![Reply::json(200, answer)]).await;
    let call = client(&server).fetch_call("CA42").await.unwrap();
    assert_eq!(call.duration_secs, Some(95));
    assert_eq!(call.price.as_deref(), Some("-0.0130"));
    assert_eq!(call.answered_by, Some(AnsweredBy::MachineEndBeep));
    assert!(call.status.is_terminal());
}

#[tokio::test]
async fn hang_up_and_redirect_update_the_call() {
    let server =
        Loopback::start(vec![Reply::json(200, call_json("completed")), Reply::json(200, call_json("in-progress"))])
            .await;
    let twilio = client(&server);
    twilio.hang_up("CA42").await.unwrap();
    let transfer = TwimlResponse::new()
        .say(Say::new("Connecting you to dispatch."))
        .dial(Dial::number("+15559998888"))
        .render()
        .unwrap();
    twilio.redirect("CA42", &transfer).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].uri, "/2010-04-01/Accounts/AC123/Calls/CA42.json");
    assert_eq!(requests[0].form(), pairs(&[("Status", "completed")]));
    assert_eq!(requests[1].uri, "/2010-04-01/Accounts/AC123/Calls/CA42.json");
    assert_eq!(requests[1].form(), pairs(&[("Twiml", transfer.as_str())]));
}

#[tokio::test]
async fn streams_fork_and_stop_a_calls_audio() {
    let stream = json!({"sid": "MZ7", "account_sid": "AC123", "call_sid": "CA42", "name": "listen",
                        "status": "in-progress", "date_updated": "Tue, 18 Feb 2025 10:00:00 +0000",
                        "uri": "/2010-04-01/Accounts/AC123/Calls/CA42/Streams/MZ7.json"});
    let mut stopped = stream.clone();
    stopped["status"] = json!("stopped");
    let server = Loopback::start(vec![Reply::json(201, stream), Reply::json(200, stopped)]).await;
    let twilio = client(&server);
    let started = twilio
        .start_stream(
            "CA42",
            &StartStream {
                url: "wss://tunnel.example/twilio/listen".into(),
                track: StreamTrack::Both,
                name: Some("listen".into()),
                status_callback: None,
                parameters: vec![("monitorCallId".into(), "12".into()), ("token".into(), "t0k".into())],
            },
        )
        .await
        .unwrap();
    assert_eq!((started.sid.as_str(), started.status.as_str()), ("MZ7", "in-progress"));
    assert_eq!(twilio.stop_stream("CA42", "MZ7").await.unwrap().status, "stopped");

    let requests = server.requests();
    assert_eq!(requests[0].uri, "/2010-04-01/Accounts/AC123/Calls/CA42/Streams.json");
    assert_eq!(
        requests[0].form(),
        pairs(&[
            ("Url", "wss://tunnel.example/twilio/listen"),
            ("Track", "both_tracks"),
            ("Name", "listen"),
            ("Parameter1.Name", "monitorCallId"),
            ("Parameter1.Value", "12"),
            ("Parameter2.Name", "token"),
            ("Parameter2.Value", "t0k"),
        ])
    );
    assert_eq!(requests[1].uri, "/2010-04-01/Accounts/AC123/Calls/CA42/Streams/MZ7.json");
    assert_eq!(requests[1].form(), pairs(&[("Status", "stopped")]));
}

#[tokio::test]
async fn a_twilio_error_is_reported_with_status_and_excerpt_and_no_token() {
    let body = json!({"code": 21211, "message": format!("The 'To' number +1555 is not valid ({TOKEN})"),
                      "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400});
    let server = Loopback::start(vec![Reply::json(400, body)]).await;
    let call = CreateCall::new("+1555", "+15550001111", CallInstructions::Url("https://h/v".into()));
    let error = client(&server).create_call(&call).await.unwrap_err();
    let ProviderError::Status { provider: Provider::Twilio, status: 400, excerpt } = &error else {
        panic!("{error:?}")
    };
    assert!(excerpt.contains("21211") && excerpt.contains("is not valid"), "{excerpt}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.starts_with("Twilio answered HTTP 400: "), "{shown}");
    assert_eq!(server.requests().len(), 1, "a 400 is never retried");
}

#[tokio::test]
async fn ids_that_would_escape_the_path_are_refused_before_sending() {
    let server = Loopback::start(vec![]).await;
    let error = client(&server).fetch_call("CA1/../../Accounts/AC999/Calls").await.unwrap_err();
    assert!(matches!(error, ProviderError::InvalidRequest { provider: Provider::Twilio, .. }), "{error:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn the_client_never_prints_its_token() {
    let config = TwilioConfig {
        base_url: "https://api.twilio.com".into(),
        account_sid: "AC123".into(),
        auth_token: Secret::new(TOKEN),
        api_key_sid: None,
    };
    let printed = format!("{config:?} {:?}", TwilioClient::new(config.clone(), &fast_settings()).unwrap());
    assert!(!printed.contains(TOKEN), "{printed}");
}

#[tokio::test]
async fn a_recording_is_fetched_as_wav_from_this_account_only() {
    let wav = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    let server = Loopback::start(vec![Reply::bytes(200, "audio/x-wav", wav.clone())]).await;
    let twilio = client(&server);
    let url = format!("{}/2010-04-01/Accounts/AC123/Recordings/RE42", server.base_url);
    assert_eq!(twilio.fetch_recording(&url).await.unwrap(), wav);
    let request = server.single();
    assert_eq!(request.uri, "/2010-04-01/Accounts/AC123/Recordings/RE42.wav");
    assert_eq!(request.header("authorization"), Some(basic_auth("AC123", TOKEN).as_str()));

    for elsewhere in [
        "https://evil.example/2010-04-01/Accounts/AC123/Recordings/RE42".to_owned(),
        format!("{}/2010-04-01/Accounts/AC999/Recordings/RE42", server.base_url),
        format!("{}/2010-04-01/Accounts/AC123/Recordings/RE42/../../Calls", server.base_url),
    ] {
        let error = twilio.fetch_recording(&elsewhere).await.unwrap_err();
        assert!(matches!(error, ProviderError::InvalidRequest { .. }), "{elsewhere}: {error}");
    }
    assert_eq!(server.requests().len(), 1, "no credentials went anywhere else");
}
