//! The HTTP API under `/api/v1`, with the routes of the Chaos Toolkit cloud client, with and
//! without the `/teams/{team}` segment (without it, the token's team).
//!
//! Every handler authenticates first (401), then scopes the path to the token's organization
//! and team (404 for any other), then reads and checks the whole body before one store call:
//! a refused request stores nothing.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, put};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::input::{self, EVENT, JSON};
use super::journal;
use super::server::Hub;
use super::store::{Execution, Filter, Principal};

type Params = Path<HashMap<String, String>>;
type Q = Query<HashMap<String, String>>;

/// The API's routes.
pub fn routes() -> Router<Hub> {
    let mut r = Router::new()
        .route("/api/v1", head(head_root).get(head_root))
        .route("/api/v1/", head(head_root).get(head_root))
        .route("/api/v1/organizations", get(organizations))
        .route("/api/v1/organizations/{org}/teams", get(teams));
    for p in ["/api/v1/organizations/{org}", "/api/v1/organizations/{org}/teams/{team}"] {
        let x = format!("{p}/experiments/{{exp}}/executions/{{exec}}");
        r = r
            .route(&format!("{p}/experiments"), get(list_experiments).post(post_experiment))
            .route(&format!("{p}/experiments/{{exp}}"), get(get_experiment))
            .route(&format!("{p}/experiments/{{exp}}/executions"), get(list_executions).post(post_execution))
            .route(&x, get(get_execution).put(put_execution))
            .route(&format!("{x}/events"), get(list_events).post(post_event))
            .route(&format!("{x}/policies"), get(execution_policies))
            .route(&format!("{x}/stop"), put(put_stop))
            .route(&format!("{p}/executions"), get(list_executions))
            .route(&format!("{p}/policies"), get(team_policies))
            .route(&format!("{p}/policies/freeze"), put(put_freeze));
    }
    r
}

type Result<T> = std::result::Result<T, ApiError>;

async fn principal(hub: &Hub, headers: &HeaderMap) -> Result<Principal> {
    let token = super::auth::bearer(headers).ok_or_else(ApiError::unauthorized)?.to_owned();
    hub.run(move |s| s.authenticate(&token)).await?.ok_or_else(ApiError::unauthorized)
}

/// The organization and team a path names, when they are the token's.
fn scope(p: &Principal, path: &HashMap<String, String>) -> Result<(String, String)> {
    let org = path.get("org").map(String::as_str).unwrap_or_default();
    if org != p.org {
        return Err(ApiError::not_found(format!("no organization {org:?}")));
    }
    match path.get("team") {
        Some(team) if *team != p.team => {
            Err(ApiError::not_found(format!("no team {team:?} in organization {org:?}")))
        }
        _ => Ok((p.org.clone(), p.team.clone())),
    }
}

fn param<'a>(path: &'a HashMap<String, String>, key: &str) -> &'a str {
    path.get(key).map(String::as_str).unwrap_or_default()
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
}

fn execution_location(org: &str, team: &str, exp: &str, id: &str) -> String {
    format!("/api/v1/organizations/{org}/teams/{team}/experiments/{exp}/executions/{id}")
}

async fn head_root(State(hub): State<Hub>, headers: HeaderMap) -> Result<StatusCode> {
    principal(&hub, &headers).await?;
    Ok(StatusCode::OK)
}

async fn organizations(State(hub): State<Hub>, headers: HeaderMap, Query(q): Q) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (limit, offset) = input::page(&q)?;
    let org = p.org.clone();
    let name = hub.run(move |s| s.org_name(&org)).await?.unwrap_or_else(|| p.org.clone());
    let all = [json!({"id": p.org, "name": name})];
    let page: Vec<_> = all.iter().skip(offset as usize).take(limit as usize).cloned().collect();
    Ok(json_response(StatusCode::OK, Value::Array(page)))
}

async fn teams(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let (limit, offset) = input::page(&q)?;
    let t = hub.run(move |s| s.team(&org, &team)).await?;
    let all: Vec<_> = t.into_iter().map(|t| json!({"id": t.id, "name": t.name})).collect();
    let page: Vec<_> = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(json_response(StatusCode::OK, Value::Array(page)))
}

async fn post_experiment(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (raw, exp) = input::member(&input::object(&bytes)?, "experiment")?;
    let title = match exp.get("title") {
        Some(Value::String(t)) => t.clone(),
        None => "(untitled)".to_owned(),
        Some(other) => {
            return Err(ApiError::unprocessable(format!(
                "`experiment.title` must be a string, not {}",
                input::kind(other)
            )));
        }
    };
    let id = hub.run(move |s| s.add_experiment(&org, &team, &title, &raw)).await?;
    Ok(json_response(StatusCode::CREATED, json!({ "id": id })))
}

async fn get_experiment(State(hub): State<Hub>, headers: HeaderMap, Path(path): Params) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let exp = param(&path, "exp").to_owned();
    let e = hub.run(move |s| s.experiment(&org, &team, &exp)).await?;
    let e = e.ok_or_else(|| ApiError::not_found(format!("no experiment {:?}", param(&path, "exp"))))?;
    let body = format!(
        "{{\"id\":{},\"title\":{},\"created\":{},\"experiment\":{}}}",
        json!(e.id),
        json!(e.title),
        e.created,
        e.body
    );
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn list_experiments(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let (limit, offset) = input::page(&q)?;
    let page = hub.run(move |s| s.experiments(&org, &team, limit, offset)).await?;
    let items: Vec<_> =
        page.items.iter().map(|e| json!({"id": e.id, "title": e.title, "created": e.created})).collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"items": items, "total": page.total, "limit": limit, "offset": offset}),
    ))
}

/// The journal member of a body and its index.
fn journal_of(bytes: &[u8]) -> Result<(String, journal::Summary)> {
    let (raw, j) = input::member(&input::object(bytes)?, "journal")?;
    let summary = journal::summarize(&j).map_err(ApiError::unprocessable)?;
    Ok((raw, summary))
}

async fn post_execution(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (raw, summary) = journal_of(&bytes)?;
    let exp = param(&path, "exp").to_owned();
    let (o, t, e) = (org.clone(), team.clone(), exp.clone());
    let id = hub.run(move |s| s.add_execution(&o, &t, &e, &raw, &summary)).await?;
    let id = id.ok_or_else(|| ApiError::not_found(format!("no experiment {exp:?}")))?;
    let mut r = json_response(StatusCode::CREATED, json!({ "id": id }));
    let loc = execution_location(&org, &team, &exp, &id);
    r.headers_mut().insert(header::CONTENT_LOCATION, loc.parse().expect("ids and names are header-safe"));
    Ok(r)
}

fn execution_json(e: &Execution) -> Value {
    json!({
        "id": e.id, "experiment_id": e.experiment, "status": e.status, "kind": e.kind, "title": e.title,
        "start_ms": e.start_ms, "end_ms": e.end_ms, "failures": e.failures, "stopped": e.stopped,
        "interrupted_by": e.interrupted_by, "created": e.created,
    })
}

async fn load_execution(
    hub: &Hub,
    org: &str,
    team: &str,
    path: &HashMap<String, String>,
) -> Result<Execution> {
    let (o, t) = (org.to_owned(), team.to_owned());
    let (exp, id) = (param(path, "exp").to_owned(), param(path, "exec").to_owned());
    hub.run(move |s| s.execution(&o, &t, Some(&exp), &id)).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "no execution {:?} of experiment {:?}",
            param(path, "exec"),
            param(path, "exp")
        ))
    })
}

async fn get_execution(State(hub): State<Hub>, headers: HeaderMap, Path(path): Params) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let e = load_execution(&hub, &org, &team, &path).await?;
    let mut v = execution_json(&e).to_string();
    v.pop();
    let body = format!("{v},\"journal\":{}}}", e.journal);
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    let loc = execution_location(&org, &team, &e.experiment, &e.id);
    r.headers_mut().insert(header::CONTENT_LOCATION, loc.parse().expect("ids and names are header-safe"));
    Ok(r)
}

async fn put_execution(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (raw, summary) = journal_of(&bytes)?;
    let (exp, id) = (param(&path, "exp").to_owned(), param(&path, "exec").to_owned());
    let found = hub.run(move |s| s.update_execution(&org, &team, &exp, &id, &raw, &summary)).await?;
    if !found {
        return Err(ApiError::not_found(format!(
            "no execution {:?} of experiment {:?}",
            param(&path, "exec"),
            param(&path, "exp")
        )));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_executions(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let (limit, offset) = input::page(&q)?;
    if let Some(exp) = path.get("exp").cloned() {
        let (o, t) = (org.clone(), team.clone());
        if hub.run(move |s| s.experiment(&o, &t, &exp)).await?.is_none() {
            return Err(ApiError::not_found(format!("no experiment {:?}", param(&path, "exp"))));
        }
    }
    let f = Filter {
        status: q.get("status").filter(|s| !s.is_empty()).cloned(),
        kind: q.get("kind").filter(|s| !s.is_empty()).cloned(),
        experiment: path.get("exp").cloned(),
    };
    let page = hub.run(move |s| s.executions(&org, &team, &f, limit, offset)).await?;
    let items: Vec<_> = page.items.iter().map(execution_json).collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"items": items, "total": page.total, "limit": limit, "offset": offset}),
    ))
}

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

async fn post_event(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
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

async fn list_events(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
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

async fn execution_policies(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
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

async fn team_policies(State(hub): State<Hub>, headers: HeaderMap, Path(path): Params) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
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

async fn put_freeze(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (frozen, reason) = switch_of(&bytes, "frozen")?;
    hub.run(move |s| s.set_freeze(&org, &team, frozen, reason.as_deref())).await?;
    Ok(json_response(StatusCode::OK, json!({"frozen": frozen})))
}

async fn put_stop(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
    let p = principal(&hub, &headers).await?;
    let (org, team) = scope(&p, &path)?;
    let bytes = input::body(&headers, body, JSON, hub.max_body).await?;
    let (stopped, _) = switch_of(&bytes, "stopped")?;
    let e = load_execution(&hub, &org, &team, &path).await?;
    hub.run(move |s| s.set_stop(&org, &team, &e.id, stopped)).await?;
    Ok(json_response(StatusCode::OK, json!({"stopped": stopped})))
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
