//! Listening in on a hosted-agent call: the engine asks Twilio (the fake Twilio's Streams
//! resource, docs/providers.md#twilio-calls) to fork both tracks of the call to the listener's media route
//! with the monitor parameter and a per-fork token; the fake joins the fork as Twilio joins any
//! stream, and the fork's frames reach the listener through the call's tap; stopping listening
//! stops the fork, and its token with it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::pipeline_rig::{PUBLIC_BASE, PipelineRig, RigSettings};
use switchboard_audio::Party;
use switchboard_core::{BackendKind, CallId, CallState, UnixMillis};
use switchboard_engine::{Engine, EngineSettings};
use switchboard_fakes::anthropic::scripted;
use switchboard_fakes::twilio_media::CallerStep;
use switchboard_providers::twilio::{
    CallInstructions, CreateCall, StartStream, StreamTrack, TwilioClient, TwilioConfig, TwimlResponse,
};
use switchboard_providers::{HttpSettings, Secret};
use switchboard_store::{NewCall, Store};
use switchboard_telephony::backends::TWILIO_CALL_REF;
use switchboard_telephony::listen_in::{HostedForking, ListenError, listen_in};
use switchboard_telephony::listener::TWILIO_MEDIA_PATH;
use switchboard_voice::MONITOR_PARAMETER;

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const CALL_SID: &str = "CA0123456789abcdef0123456789abcdef";

/// An ElevenLabs call in progress whose Twilio call is `twilio_sid` (as the backend records it).
fn hosted_call(store: &Store, twilio_sid: Option<&str>) -> CallId {
    let contact = store.list_contacts().unwrap().into_iter().find(|c| c.fields.name == "Acme Fasteners").unwrap();
    let agent = store.list_agents().unwrap().into_iter().find(|a| a.config.name == "Vendor quote").unwrap();
    let call = store
        .insert_call(&NewCall {
            contact_id: contact.id,
            agent_id: agent.id,
            backend: BackendKind::ElevenLabs,
            phone_e164: "+13125550100".into(),
            created_at: UnixMillis(1),
            campaign: None,
        })
        .unwrap();
    for state in [CallState::Dialing, CallState::Ringing, CallState::InProgress] {
        store.advance_call(call.id, state, None, UnixMillis(2)).unwrap();
    }
    if let Some(sid) = twilio_sid {
        store.set_provider_ref(call.id, TWILIO_CALL_REF, sid).unwrap();
    }
    call.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_call_is_heard_through_a_twilio_fork_that_stops_with_the_listening() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    // The callee talks all along; the fork carries their voice and the agent's.
    let settings = RigSettings {
        responder: scripted(Vec::new()),
        ms_per_char: 10,
        script: vec![CallerStep::Speak(Duration::from_secs(60))],
        wrong_token: false,
        keep_audio: true,
    };
    let rig = PipelineRig::start(Arc::clone(&store), None, settings).await.unwrap();
    let engine = rig.engine();
    // The hosted agent's Twilio call, live at the fake Twilio while the test holds it.
    rig.twilio.hand_off();
    let client = rig.twilio.client(&super::loopback_http()).unwrap();
    let twiml = CallInstructions::Twiml(TwimlResponse::new().pause(60).render().unwrap());
    client.create_call(&CreateCall::new("+13125550100", "+13125550000", twiml)).await.unwrap();
    let answered = rig.twilio.next_answered().await.unwrap();
    let sid = answered.call_sid.clone();
    let forking = HostedForking::new(client.clone(), PUBLIC_BASE, rig.sessions().monitor_forks().clone());
    let call = hosted_call(&store, Some(&sid));

    let (mut listening, stop) = listen_in(engine, Some(&forking), call).await.unwrap().into_parts();
    let mut frames = Vec::new();
    while frames.len() < 40 {
        let frame = tokio::time::timeout(Duration::from_secs(5), listening.recv()).await.unwrap().unwrap();
        frames.push(frame);
    }
    stop.stop().await.unwrap();
    // The fork ends with its stop: the frames end.
    while let Some(frame) = tokio::time::timeout(Duration::from_secs(5), listening.recv()).await.unwrap() {
        frames.push(frame);
    }
    assert_eq!(listening.dropped_frames(), 0);

    // Every frame the fork sent was heard, in order, as its party's.
    let fork = rig.twilio.next_stream().await.unwrap();
    assert_eq!(fork.call_sid, sid);
    let sent = tokio::time::timeout(Duration::from_secs(5), fork.stream.unwrap().finish()).await.unwrap().unwrap();
    assert!(!sent.closed_by_listener, "Twilio ended the fork");
    let heard = |party: Party| frames.iter().filter(|f| f.party == party).flat_map(|f| f.frame).collect::<Vec<_>>();
    let (callee, agent) = (heard(Party::Caller), heard(Party::Agent));
    assert!(callee.len() >= 15 * 160 && agent.len() >= 15 * 160, "both tracks: {} {}", callee.len(), agent.len());
    assert!(callee == sent.caller_audio, "the callee's frames, all and in order");
    assert!(agent == sent.far_end_audio, "the agent's frames, all and in order");

    let requests = rig.twilio.stream_requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].0, format!("/Calls/{sid}/Streams.json"));
    let started: BTreeMap<_, _> = requests[0].1.iter().cloned().collect();
    assert_eq!(started["Url"], format!("wss://switchboard.example{TWILIO_MEDIA_PATH}"));
    assert_eq!(started["Track"], "both_tracks");
    assert_eq!(
        (started["Parameter1.Name"].as_str(), started["Parameter1.Value"].clone()),
        (MONITOR_PARAMETER, call.to_string())
    );
    assert_eq!(started["Parameter2.Name"], "token");
    let token = started["Parameter2.Value"].clone();
    assert_eq!(token.len(), 64, "a fresh 32-byte token");
    assert_eq!(requests[1].0, format!("/Calls/{sid}/Streams/{}.json", fork.stream_sid));
    assert_eq!(requests[1].1, [("Status".to_owned(), "stopped".to_owned())]);

    // The fork's token went with it: a stream presenting it again is refused.
    let again = StartStream {
        url: format!("wss://switchboard.example{TWILIO_MEDIA_PATH}"),
        track: StreamTrack::Both,
        name: None,
        status_callback: None,
        parameters: vec![(MONITOR_PARAMETER.to_owned(), call.to_string()), ("token".to_owned(), token)],
    };
    client.start_stream(&sid, &again).await.unwrap();
    let refused = rig.twilio.next_stream().await.unwrap().stream.unwrap().finish().await.unwrap();
    assert!(refused.closed_by_listener);
    assert_eq!(refused.close_code, Some(1008));
    drop(answered);
}

#[tokio::test]
async fn calls_that_cannot_be_heard_say_why() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    super::seed(&store);
    let engine = Engine::new(Arc::clone(&store), EngineSettings::default());
    let config = TwilioConfig {
        base_url: "http://127.0.0.1:9".into(),
        account_sid: ACCOUNT.into(),
        auth_token: Secret::new("twilio_rest_token"),
        api_key_sid: None,
    };
    let forking = HostedForking::new(
        TwilioClient::new(config, &HttpSettings::default()).unwrap(),
        PUBLIC_BASE,
        Default::default(),
    );

    let no_sid = hosted_call(&store, None);
    let error = listen_in(&engine, Some(&forking), no_sid).await.err().unwrap();
    assert!(matches!(error, ListenError::NoTwilioCall(id) if id == no_sid), "{error}");
    let hosted = hosted_call(&store, Some(CALL_SID));
    let error = listen_in(&engine, None, hosted).await.err().unwrap();
    assert!(matches!(error, ListenError::NoTwilio), "{error}");
    store.advance_call(hosted, CallState::Completed, Some("done"), UnixMillis(3)).unwrap();
    let error = listen_in(&engine, Some(&forking), hosted).await.err().unwrap();
    assert!(error.to_string().contains("only live calls"), "{error}");
    let error = listen_in(&engine, None, CallId(999)).await.err().unwrap();
    assert!(matches!(error, ListenError::NotFound(_)), "{error}");
}
