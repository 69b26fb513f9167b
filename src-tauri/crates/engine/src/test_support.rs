//! Test helpers for the crates above the engine (a dev-dependency feature): a quote call's
//! request to Acme, the shipped vendor-quote preset moved to a backend by `configure`.

use switchboard_core::{
    Agent, AgentConfig, AgentId, CallId, Contact, ContactDetails, ContactFields, ContactId, VendorDetails,
};

use crate::CallRequest;

pub fn quote_request(configure: impl FnOnce(&mut AgentConfig)) -> CallRequest {
    let mut config: AgentConfig =
        serde_json::from_str(include_str!("../../../../assets/presets/vendor-quote.json")).unwrap();
    configure(&mut config);
    let fields = ContactFields {
        name: "Acme".into(),
        phone: "+13125550143".into(),
        tags: vec![],
        time_zone: None,
        do_not_call: false,
        custom: Default::default(),
        details: ContactDetails::Vendor(VendorDetails::default()),
    };
    CallRequest {
        call_id: CallId(7),
        to: "+13125550143".into(),
        extension: None,
        agent: Agent { id: AgentId(1), config },
        contact: Contact { id: ContactId(1), phone_e164: Some("+13125550143".into()), phone_extension: None, fields },
        system_prompt: "You call Acme.".into(),
        first_message: "Hi Acme".into(),
        voicemail: None,
        attempt: 1,
        variables: [("vendor_name".to_owned(), "Acme".to_owned())].into(),
        recording_dir: None,
    }
}
