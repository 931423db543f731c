//! CloudEvents 1.0 in structured mode, stored once per (execution, event id).

use super::*;

/// A CloudEvents 1.0 event in structured mode: its id, type and time, checked.
fn event_of(bytes: &[u8]) -> Result<(String, String, Option<String>)> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(format!("malformed JSON in the event: {e}")))?;
    let Value::Object(m) = v else {
        return Err(ApiError::bad(format!(
            "the event must be a JSON object (CloudEvents structured mode), not {}",
            input::kind(&v)
        )));
    };
    let text = |k: &str| -> Result<String> {
        match m.get(k) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(ApiError::unprocessable(format!(
                "the event needs a non-empty string `{k}` (CloudEvents 1.0)"
            ))),
        }
    };
    let spec = text("specversion")?;
    if spec != "1.0" {
        return Err(ApiError::unprocessable(format!("`specversion` must be \"1.0\", not {spec:?}")));
    }
    let (id, kind) = (text("id")?, text("type")?);
    text("source")?;
    let time = match m.get("time") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if journal::parse_time(t).is_some() => Some(t.clone()),
        Some(t) => {
            return Err(ApiError::unprocessable(format!(
                "the event's `time` is not an RFC 3339 timestamp: {t}"
            )));
        }
    };
    match m.get("data") {
        None | Some(Value::Null | Value::String(_) | Value::Object(_)) => {}
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "the event's `data` must be a JSON object or a string holding one, not {}",
                input::kind(other)
            )));
        }
    }
    Ok((id, kind, time))
}

pub(super) async fn post_event(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let bytes = input::body(&headers, body, EVENT, hub.max_body).await?;
    let (id, kind, time) = event_of(&bytes)?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::bad("the event is not UTF-8"))?;
    let (exp, exec) = (param(&path, "exp").to_owned(), param(&path, "exec").to_owned());
    let eid = id.clone();
    let stored =
        hub.run(move |s| s.add_event(&org, &team, &exp, &exec, &eid, &kind, time.as_deref(), &text)).await?;
    let new = stored.ok_or_else(|| {
        ApiError::not_found(format!(
            "no execution {:?} of experiment {:?}",
            param(&path, "exec"),
            param(&path, "exp")
        ))
    })?;
    Ok(json_response(StatusCode::CREATED, json!({"id": id, "duplicate": !new})))
}

pub(super) async fn list_events(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
    let (limit, offset) = input::page(&q)?;
    let e = load_execution(&hub, &org, &team, &path).await?;
    let page = hub.run(move |s| s.events(&e.id, limit, offset)).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|e| serde_json::from_str(&e.body).unwrap_or_else(|_| Value::String(e.body.clone())))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"items": items, "total": page.total, "limit": limit, "offset": offset}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_need_the_cloudevents_attributes() {
        let ok = br#"{"specversion":"1.0","id":"1","source":"s","type":"t","time":"2026-11-21T23:06:13.46+00:00","data":"{}"}"#;
        assert_eq!(event_of(ok).unwrap().0, "1");
        let err = event_of(br#"{"specversion":"1.0","source":"s","type":"t"}"#).unwrap_err();
        assert!(err.message.contains("`id`"), "{}", err.message);
        let err = event_of(br#"{"specversion":"0.3","id":"1","source":"s","type":"t"}"#).unwrap_err();
        assert!(err.message.contains("specversion"), "{}", err.message);
        assert_eq!(event_of(b"[1]").unwrap_err().status, StatusCode::BAD_REQUEST);
        let err =
            event_of(br#"{"specversion":"1.0","id":"1","source":"s","type":"t","data":3}"#).unwrap_err();
        assert!(err.message.contains("data"), "{}", err.message);
    }
}
