//! A hosted agent's tool calls, as its provider reports them, read into what the rehearsed call
//! collected and how it ended: `record_field`, `end_call` and `transfer_call`, read as the
//! pipeline reads them (Vapi's own `endCall` and `transferCall` too).

use std::collections::BTreeMap;

use serde_json::Value;
use switchboard_core::{DataField, RehearsalEnding};
use switchboard_voice::agent_tools::{END_CALL, TRANSFER_CALL, ToolCall, read};

/// What the tool calls of a rehearsed call did so far.
#[derive(Debug, Default)]
pub(super) struct ToolEffects {
    pub(super) fields: BTreeMap<String, String>,
    pub(super) ending: Option<RehearsalEnding>,
}

impl ToolEffects {
    /// Applies one call: `arguments` is its JSON text. A call the agent got wrong changes nothing.
    pub(super) fn apply(&mut self, name: &str, arguments: &str, fields: &[DataField]) {
        let name = match name {
            "endCall" => END_CALL,
            "transferCall" => TRANSFER_CALL,
            other => other,
        };
        let input: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
        match read(name, &input, fields) {
            ToolCall::RecordField { key, value } => {
                self.fields.insert(key, value);
            }
            ToolCall::EndCall { reason } => self.ending = Some(RehearsalEnding::Agent { reason }),
            ToolCall::Transfer { reason } => self.ending = Some(RehearsalEnding::Transferred { reason }),
            ToolCall::Invalid { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use switchboard_core::{DataField, FieldType, RehearsalEnding};

    use super::ToolEffects;

    #[test]
    fn fields_are_recorded_and_vapis_own_tool_names_end_or_transfer() {
        let fields = [DataField {
            key: "unit_price".into(),
            field_type: FieldType::Number,
            description: "Price".into(),
            required: true,
        }];
        let mut effects = ToolEffects::default();
        effects.apply("record_field", r#"{"field": "unit_price", "value": "4.10"}"#, &fields);
        effects.apply("record_field", r#"{"field": "colour", "value": "red"}"#, &fields);
        effects.apply("record_field", "not json", &fields);
        assert_eq!(effects.fields.into_iter().collect::<Vec<_>>(), [("unit_price".to_owned(), "4.10".to_owned())]);
        assert_eq!(effects.ending, None);
        let mut effects = ToolEffects::default();
        effects.apply("transferCall", r#"{"reason": "asked for a person"}"#, &fields);
        assert_eq!(effects.ending, Some(RehearsalEnding::Transferred { reason: "asked for a person".into() }));
        effects.apply("endCall", "{}", &fields);
        assert_eq!(effects.ending, Some(RehearsalEnding::Agent { reason: String::new() }));
    }
}
