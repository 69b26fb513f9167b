//! Values filled into a provider-side prompt template (ElevenLabs dynamic variables, Ultravox
//! template context, Vapi variable values).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One template value; on the wire a JSON string, number, boolean or null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VariableValue {
    Text(String),
    Integer(i64),
    Decimal(f64),
    Bool(bool),
    Null,
}

/// Template values by name, sent in name order.
pub type Variables = BTreeMap<String, VariableValue>;

impl From<String> for VariableValue {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<&str> for VariableValue {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<i64> for VariableValue {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<f64> for VariableValue {
    fn from(value: f64) -> Self {
        Self::Decimal(value)
    }
}

impl From<bool> for VariableValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

#[cfg(test)]
mod tests {
    use super::{VariableValue, Variables};

    #[test]
    fn values_serialize_as_plain_json_scalars() {
        let variables = Variables::from([
            ("name".to_owned(), "Acme".into()),
            ("quantity".to_owned(), 10_000.into()),
            ("price".to_owned(), 4.5.into()),
            ("urgent".to_owned(), true.into()),
            ("note".to_owned(), VariableValue::Null),
        ]);
        assert_eq!(
            serde_json::to_string(&variables).unwrap(),
            r#"{"name":"Acme","note":null,"price":4.5,"quantity":10000,"urgent":true}"#
        );
    }
}
