//! The tools the model may call during a call the engine holds itself (the realtime pipeline
//! and speech-gather calls) — `end_call`, `transfer_call` (when the agent has a transfer number)
//! and `record_field` (one of the agent's data fields) — and reading the calls it makes.

use serde_json::{Value, json};
use switchboard_core::DataField;
use switchboard_providers::anthropic::Tool;

pub const END_CALL: &str = "end_call";
pub const TRANSFER_CALL: &str = "transfer_call";
pub const RECORD_FIELD: &str = "record_field";

/// The tools offered for a call with these data fields.
pub fn tools(fields: &[DataField], can_transfer: bool) -> Vec<Tool> {
    let reason = json!({"type": "object", "properties": {"reason": {"type": "string",
        "description": "Why, in a few words."}}, "required": ["reason"]});
    let mut tools = vec![Tool {
        name: END_CALL.into(),
        description: "Hang up. Say goodbye first, in the same reply.".into(),
        input_schema: reason.clone(),
    }];
    if can_transfer {
        tools.push(Tool {
            name: TRANSFER_CALL.into(),
            description: "Transfer the callee to a person at our end, when they ask for one. Tell them first.".into(),
            input_schema: reason,
        });
    }
    if !fields.is_empty() {
        let keys: Vec<&str> = fields.iter().map(|field| field.key.as_str()).collect();
        let list: Vec<String> = fields
            .iter()
            .map(|field| {
                let required = if field.required { "required" } else { "optional" };
                format!("{} ({required}): {}", field.key, field.description)
            })
            .collect();
        tools.push(Tool {
            name: RECORD_FIELD.into(),
            description: format!(
                "Record a value the callee gave, as soon as they give it. Fields:\n{}",
                list.join("\n")
            ),
            input_schema: json!({"type": "object", "properties": {
                "field": {"type": "string", "enum": keys},
                "value": {"type": "string", "description": "The value as the callee stated it."}},
                "required": ["field", "value"]}),
        });
    }
    tools
}

/// A tool call, read.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolCall {
    EndCall {
        reason: String,
    },
    Transfer {
        reason: String,
    },
    RecordField {
        key: String,
        value: String,
    },
    /// A call the model got wrong; the reason goes back to it as the tool's result.
    Invalid {
        reason: String,
    },
}

/// Reads a tool call by its name and input.
pub fn read(name: &str, input: &Value, fields: &[DataField]) -> ToolCall {
    let reason = || input.get("reason").and_then(Value::as_str).unwrap_or_default().trim().to_owned();
    match name {
        END_CALL => ToolCall::EndCall { reason: reason() },
        TRANSFER_CALL => ToolCall::Transfer { reason: reason() },
        RECORD_FIELD => {
            let key = input.get("field").and_then(Value::as_str).unwrap_or_default();
            let value = match input.get("value") {
                Some(Value::String(text)) => text.trim().to_owned(),
                Some(value @ (Value::Number(_) | Value::Bool(_))) => value.to_string(),
                _ => String::new(),
            };
            if !fields.iter().any(|field| field.key == key) {
                ToolCall::Invalid { reason: format!("there is no field {key:?} to record") }
            } else if value.is_empty() {
                ToolCall::Invalid { reason: format!("no value given for {key}") }
            } else {
                ToolCall::RecordField { key: key.to_owned(), value }
            }
        }
        other => ToolCall::Invalid { reason: format!("there is no tool {other:?}") },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use switchboard_core::{DataField, FieldType};

    use super::{ToolCall, read, tools};

    fn price() -> DataField {
        DataField {
            key: "unit_price".into(),
            field_type: FieldType::Number,
            description: "Price".into(),
            required: true,
        }
    }

    #[test]
    fn transfer_is_offered_only_with_a_number_and_fields_are_listed() {
        let names = |tools: Vec<switchboard_providers::anthropic::Tool>| {
            tools.into_iter().map(|tool| tool.name).collect::<Vec<_>>()
        };
        assert_eq!(names(tools(&[], false)), ["end_call"]);
        assert_eq!(names(tools(&[price()], true)), ["end_call", "transfer_call", "record_field"]);
        let record = tools(&[price()], false).pop().unwrap();
        assert_eq!(record.input_schema["properties"]["field"]["enum"], json!(["unit_price"]));
    }

    #[test]
    fn reads_calls_and_says_what_is_wrong() {
        let fields = [price()];
        assert_eq!(
            read("record_field", &json!({"field": "unit_price", "value": 12.5}), &fields),
            ToolCall::RecordField { key: "unit_price".into(), value: "12.5".into() }
        );
        assert!(matches!(read("record_field", &json!({"field": "colour", "value": "red"}), &fields),
            ToolCall::Invalid { reason } if reason.contains("colour")));
        assert!(matches!(read("record_field", &json!({"field": "unit_price"}), &fields), ToolCall::Invalid { .. }));
        assert_eq!(
            read("end_call", &json!({"reason": " done "}), &fields),
            ToolCall::EndCall { reason: "done".into() }
        );
        assert!(matches!(read("launch", &json!({}), &fields), ToolCall::Invalid { .. }));
    }
}
