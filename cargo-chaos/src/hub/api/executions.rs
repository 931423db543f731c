//! Executions: a journal per execution, stored as sent and indexed; created with a
//! `Content-Location`, replaced by the final journal, listed with filters.

use super::*;

/// The journal member of a body and its index.
fn journal_of(bytes: &[u8]) -> Result<(String, journal::Summary)> {
    let (raw, j) = input::member(&input::object(bytes)?, "journal")?;
    let summary = journal::summarize(&j).map_err(ApiError::unprocessable)?;
    Ok((raw, summary))
}

pub(super) async fn post_execution(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
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

pub(super) async fn get_execution(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Path(path): Params,
) -> Result<Response> {
    let e = load_execution(&hub, &org, &team, &path).await?;
    let mut v = execution_json(&e).to_string();
    v.pop();
    let body = format!("{v},\"journal\":{}}}", e.journal);
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    let loc = execution_location(&org, &team, &e.experiment, &e.id);
    r.headers_mut().insert(header::CONTENT_LOCATION, loc.parse().expect("ids and names are header-safe"));
    Ok(r)
}

pub(super) async fn put_execution(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    Path(path): Params,
    body: Body,
) -> Result<Response> {
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

pub(super) async fn list_executions(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Path(path): Params,
    Query(q): Q,
) -> Result<Response> {
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
