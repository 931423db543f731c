//! Reading a request: its body within the size limit, of an accepted content type, as JSON;
//! its pagination. Each refusal names the problem and what is accepted.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::errors::ApiError;

pub const JSON: &[&str] = &["application/json"];
pub const EVENT: &[&str] = &["application/cloudevents+json", "application/json"];

/// The body, if its content type is one of `accepted` and it fits in `max` bytes.
pub async fn body(
    headers: &HeaderMap,
    body: Body,
    accepted: &[&str],
    max: usize,
) -> Result<Vec<u8>, ApiError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !accepted.contains(&media.as_str()) {
        let got = if ct.is_empty() { "none".to_owned() } else { format!("{ct:?}") };
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type {got} is not accepted here: send {}", accepted.join(" or ")),
        ));
    }
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the hub's limit of {max} bytes"),
        )
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_big());
    }
    match axum::body::to_bytes(body, max).await {
        Ok(b) => Ok(b.to_vec()),
        Err(_) => Err(too_big()),
    }
}

/// The body as a JSON object whose members keep their exact text.
pub fn object(bytes: &[u8]) -> Result<HashMap<String, Box<RawValue>>, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(format!("malformed JSON in the request body: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad(format!("the request body must be a JSON object, not {}", kind(&value))));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(format!("malformed JSON in the request body: {e}")))
}

/// Member `key` of a body, which must be a JSON object: its exact text and its value.
pub fn member(
    body: &HashMap<String, Box<RawValue>>,
    key: &str,
) -> Result<(String, Map<String, Value>), ApiError> {
    let raw = body.get(key).ok_or_else(|| {
        ApiError::unprocessable(format!("the request body needs a `{key}` member, a JSON object"))
    })?;
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(Value::Object(m)) => Ok((raw.get().to_owned(), m)),
        Ok(other) => {
            Err(ApiError::unprocessable(format!("`{key}` must be a JSON object, not {}", kind(&other))))
        }
        Err(e) => Err(ApiError::bad(format!("malformed JSON in `{key}`: {e}"))),
    }
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `limit` (1..=500, default 50) and `offset` (default 0) of a list.
pub fn page(q: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    let get = |k: &str, default: i64, max: i64| -> Result<i64, ApiError> {
        match q.get(k) {
            None => Ok(default),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (0..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::bad(format!("`{k}` must be a whole number from 0 to {max}, not {v:?}"))),
            },
        }
    };
    Ok((get("limit", 50, 500)?.max(1), get("offset", 0, i64::MAX)?))
}
