//! The answer to an Ultravox agent's `record_field` tool. It only acknowledges: the values are
//! read after the call from Ultravox's own record of it (the call's messages, fetched with our
//! API key), so a request here cannot put a value on a call. A body without a key is answered
//! 400 with a sentence the model can act on.

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub(super) async fn record_field(body: Bytes) -> Response {
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    let key = body.as_ref().and_then(|body| body.get("key")).and_then(Value::as_str).map(str::trim);
    match key {
        Some(key) if !key.is_empty() => (StatusCode::OK, "Recorded.").into_response(),
        _ => (StatusCode::BAD_REQUEST, "Give the key of the value to record.").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use axum::http::StatusCode;

    use super::record_field;

    #[tokio::test]
    async fn a_value_with_its_key_is_acknowledged_and_anything_else_refused() {
        let recorded = record_field(Bytes::from_static(br#"{"key":"unit_price","value":"4.50"}"#)).await;
        assert_eq!(recorded.status(), StatusCode::OK);
        for bad in [&br#"{"value":"4.50"}"#[..], br#"{"key":" "}"#, b"not json"] {
            assert_eq!(record_field(Bytes::from_static(bad)).await.status(), StatusCode::BAD_REQUEST);
        }
    }
}
