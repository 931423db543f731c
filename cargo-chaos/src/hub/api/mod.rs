//! The HTTP API under `/api/v1`, with the routes of the Chaos Toolkit cloud client, with and
//! without the `/teams/{team}` segment (without it, the token's team).
//!
//! Every handler authenticates first (401), then scopes the path to the token's organization
//! and team (404 for any other), then reads and checks the whole body before one store call:
//! a refused request stores nothing.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, put};
use serde_json::{Value, json};

mod events;
mod executions;
mod experiments;
mod policies;

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
            .route(
                &format!("{p}/experiments"),
                get(experiments::list_experiments).post(experiments::post_experiment),
            )
            .route(&format!("{p}/experiments/{{exp}}"), get(experiments::get_experiment))
            .route(
                &format!("{p}/experiments/{{exp}}/executions"),
                get(executions::list_executions).post(executions::post_execution),
            )
            .route(&x, get(executions::get_execution).put(executions::put_execution))
            .route(&format!("{x}/events"), get(events::list_events).post(events::post_event))
            .route(&format!("{x}/policies"), get(policies::execution_policies))
            .route(&format!("{x}/stop"), put(policies::put_stop))
            .route(&format!("{p}/executions"), get(executions::list_executions))
            .route(&format!("{p}/policies"), get(policies::team_policies))
            .route(&format!("{p}/policies/freeze"), put(policies::put_freeze));
    }
    r
}

type Result<T> = std::result::Result<T, ApiError>;

async fn principal(hub: &Hub, headers: &HeaderMap) -> Result<Principal> {
    let token = super::auth::bearer(headers).ok_or_else(ApiError::unauthorized)?.to_owned();
    hub.run(move |s| s.authenticate(&token)).await?.ok_or_else(ApiError::unauthorized)
}

/// The organization and team of a request, authenticated (401) and scoped to the token's
/// (404 for any other): the first extractor of every scoped handler.
struct Scoped {
    org: String,
    team: String,
}

impl FromRequestParts<Hub> for Scoped {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Scoped> {
        let p = principal(hub, &parts.headers).await?;
        let Path(path) =
            Params::from_request_parts(parts, hub).await.map_err(|e| ApiError::not_found(e.body_text()))?;
        let (org, team) = scope(&p, &path)?;
        Ok(Scoped { org, team })
    }
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

async fn teams(State(hub): State<Hub>, Scoped { org, team }: Scoped, Query(q): Q) -> Result<Response> {
    let (limit, offset) = input::page(&q)?;
    let t = hub.run(move |s| s.team(&org, &team)).await?;
    let all: Vec<_> = t.into_iter().map(|t| json!({"id": t.id, "name": t.name})).collect();
    let page: Vec<_> = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(json_response(StatusCode::OK, Value::Array(page)))
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
