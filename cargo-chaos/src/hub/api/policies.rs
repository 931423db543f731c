//! Safeguards: the policies answer of an execution, the team's freeze and an execution's stop.

use super::*;

pub(super) async fn execution_policies(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Path(path): Params,
) -> Result<Response> {
    let (exp, exec) = (param(&path, "exp").to_owned(), param(&path, "exec").to_owned());
    let found = hub.run(move |s| s.policies(&org, &team, &exp, &exec)).await?;
    let policies = found.ok_or_else(|| {
        ApiError::not_found(format!(
            "no execution {:?} of experiment {:?}",
            param(&path, "exec"),
            param(&path, "exp")
        ))
    })?;
    let list: Vec<_> = policies.iter().map(|p| json!({"name": p.name, "reason": p.reason})).collect();
    Ok(json_response(StatusCode::OK, json!({"allowed": list.is_empty(), "policies": list})))
}

pub(super) async fn team_policies(State(hub): State<Hub>, Scoped { org, team }: Scoped) -> Result<Response> {
    let t =
        hub.run(move |s| s.team(&org, &team)).await?.ok_or_else(|| ApiError::not_found("no such team"))?;
    Ok(json_response(StatusCode::OK, json!({"team": t.id, "frozen": t.frozen, "reason": t.freeze_reason})))
}

/// `{"<key>": bool, "reason"?: string}` of a policy switch.
fn switch_of(bytes: &[u8], key: &str) -> Result<(bool, Option<String>)> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(format!("malformed JSON in the request body: {e}")))?;
    let on = v
        .get(key)
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::unprocessable(format!("the request body needs a boolean `{key}`")))?;
    let reason = match v.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::unprocessable("`reason` must be a string")),
    };
    Ok((on, reason))
}

pub(super) async fn put_freeze(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (frozen, reason) = switch_of(&bytes, "frozen")?;
    hub.run(move |s| s.set_freeze(&org, &team, frozen, reason.as_deref())).await?;
    Ok(json_response(StatusCode::OK, json!({"frozen": frozen})))
}

pub(super) async fn put_stop(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (stopped, _) = switch_of(&bytes, "stopped")?;
    let e = load_execution(&hub, &org, &team, &path).await?;
    hub.run(move |s| s.set_stop(&org, &team, &e.id, stopped)).await?;
    Ok(json_response(StatusCode::OK, json!({"stopped": stopped})))
}
