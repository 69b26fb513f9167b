//! Calls the engine refuses: each says why, and a refusal before dialling stores nothing.

use switchboard_core::{AgentId, CallState, ContactId};
use switchboard_engine::{EngineError, ErrorCode};

use crate::{Script, ScriptedBackend, engine_with, ids};

#[tokio::test]
async fn an_invalid_number_is_refused_with_the_reason_and_nothing_is_stored() {
    let engine = engine_with(ScriptedBackend::new(Script::Play(vec![])), 60);
    let (contact, agent) = ids(&engine, "Harbor Supply Co.");
    let err = engine.start_call(contact, agent).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidPhone);
    assert_eq!(
        err.to_string(),
        "cannot call Harbor Supply Co.: \"555-0142\" is not a valid phone number (read with default region US)"
    );
    assert!(engine.store().list_calls(10).unwrap().is_empty());
}

#[tokio::test]
async fn unknown_contacts_and_agents_are_not_found() {
    let engine = engine_with(ScriptedBackend::new(Script::Play(vec![])), 60);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let err = engine.start_call(ContactId(999), agent).await.unwrap_err();
    assert!(matches!(err, EngineError::ContactNotFound(ContactId(999))));
    let err = engine.start_call(contact, AgentId(999)).await.unwrap_err();
    assert_eq!((err.code(), err.to_string()), (ErrorCode::NotFound, "agent 999 does not exist".to_owned()));
}

#[tokio::test]
async fn a_template_variable_nobody_supplies_is_listed() {
    let engine = engine_with(ScriptedBackend::new(Script::Play(vec![])), 60);
    let (contact, _) = ids(&engine, "Acme Fasteners");
    let (_, agent) = ids(&engine, "Acme Fasteners");
    let mut config = engine.store().agent(agent).unwrap().unwrap().config;
    config.name = "Asks for a PO".into();
    config.first_message = "Hi {{vendor_name}}, about PO {{po_number}} for {{ship_date}}.".into();
    let agent = engine.store().insert_agent(&config, switchboard_engine::now()).unwrap();

    let err = super::start(&engine, contact, agent).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::MissingVariables);
    assert!(err.to_string().ends_with("missing template variables: po_number, ship_date"), "{err}");
    assert!(engine.store().list_calls(10).unwrap().is_empty());
}

#[tokio::test]
async fn a_quote_call_without_a_request_is_refused_naming_what_it_needs() {
    let engine = engine_with(ScriptedBackend::new(Script::Play(vec![])), 60);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    // What to quote is a request's (a campaign's, or the one a single quote call is given), not the vendor's.
    let err = engine.start_call(contact, agent).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::MissingVariables);
    assert!(err.to_string().ends_with("missing template variables: quantity, unit, item, request_details"), "{err}");
    assert!(engine.store().list_calls(10).unwrap().is_empty());
}

#[tokio::test]
async fn a_backend_refusal_fails_the_call_with_its_message() {
    let engine = engine_with(ScriptedBackend::new(Script::Refuse("carrier rejected the number")), 60);
    let (contact, agent) = ids(&engine, "Acme Fasteners");
    let err = super::start(&engine, contact, agent).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::BackendFailed);
    let calls = engine.store().list_calls(10).unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].state, CallState::Failed);
    assert_eq!(calls[0].end_reason.as_deref(), Some("scripted: carrier rejected the number"));
}
