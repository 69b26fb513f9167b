//! One-off calls with an action and context (seed 001's API): call this number, tell them
//! this, answer their questions from that. The callee is found by number or saved as a person.

use serde::{Deserialize, Serialize};
use switchboard_core::{
    AgentId, AgentPurpose, CallSummary, ContactDetails, ContactFields, PersonDetails, Variables, parse_phone,
};

use crate::blocking;
use crate::settings::default_region;
use crate::{CallPlan, Engine, EngineError, now};

/// What to call about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ActionCall {
    pub phone: String,
    /// What the call is for, e.g. "Confirm your dentist appointment Thursday at 2pm".
    pub action: String,
    /// What the agent may use to answer questions.
    pub context: String,
    pub callee_name: String,
    /// The agent to use; by default the first general-purpose agent.
    pub agent_id: Option<AgentId>,
    /// The name the agent gives itself on this call.
    pub agent_name: Option<String>,
    /// The organisation the agent calls for on this call.
    pub organization: Option<String>,
}

impl Engine {
    /// Places a one-off call. Refused, with the reason, for a number that cannot be dialled,
    /// an empty action, or when no general-purpose agent exists.
    pub async fn call_with_action(&self, call: ActionCall) -> Result<CallSummary, EngineError> {
        if call.action.trim().is_empty() {
            return Err(EngineError::InvalidRequest("say what the call is for (the action)".into()));
        }
        let store = std::sync::Arc::clone(self.store());
        let request = call.clone();
        let (contact_id, agent_id) = blocking(move || {
            let region = default_region(&store)?;
            let name = if request.callee_name.trim().is_empty() {
                "Callee".to_owned()
            } else {
                request.callee_name.trim().to_owned()
            };
            let phone = parse_phone(&request.phone, &region)
                .map_err(|reason| EngineError::InvalidPhone { contact: name.clone(), reason })?;
            let contact = match store.contact_by_phone(&phone.e164)? {
                Some(contact) => contact.id,
                None => {
                    let fields = ContactFields {
                        name,
                        phone: request.phone.trim().to_owned(),
                        tags: vec![],
                        time_zone: None,
                        do_not_call: false,
                        custom: Default::default(),
                        details: ContactDetails::Person(PersonDetails::default()),
                    };
                    store.insert_contact(&fields, Some(&phone), now())?
                }
            };
            let agent = match request.agent_id {
                Some(id) => id,
                None => store
                    .list_agents()?
                    .into_iter()
                    .find(|a| a.config.purpose == AgentPurpose::Generic)
                    .map(|a| a.id)
                    .ok_or_else(|| {
                        EngineError::InvalidRequest(
                            "no general-purpose agent: create one from the appointment reminder preset".into(),
                        )
                    })?,
            };
            Ok::<_, EngineError>((contact, agent))
        })
        .await?;
        let mut extra = Variables::new();
        extra.insert("action".into(), call.action.trim().to_owned());
        extra.insert("context".into(), call.context.trim().to_owned());
        if !call.callee_name.trim().is_empty() {
            extra.insert("contact_name".into(), call.callee_name.trim().to_owned());
        }
        if let Some(name) = call.agent_name.filter(|n| !n.trim().is_empty()) {
            extra.insert("agent_name".into(), name.trim().to_owned());
        }
        if let Some(organization) = call.organization.filter(|o| !o.trim().is_empty()) {
            extra.insert("organization".into(), organization.trim().to_owned());
        }
        self.place_call(CallPlan { contact_id, agent_id, extra, campaign: None, slot: None }).await
    }
}
