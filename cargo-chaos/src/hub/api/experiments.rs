//! Experiments: published as sent (`{"experiment": {...}}` -> 201 `{"id"}`), read back, listed.

use super::*;

pub(super) async fn post_experiment(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
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

pub(super) async fn get_experiment(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Path(path): Params,
) -> Result<Response> {
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

pub(super) async fn list_experiments(
    State(hub): State<Hub>,
    Scoped { org, team }: Scoped,
    Query(q): Q,
) -> Result<Response> {
    let (limit, offset) = input::page(&q)?;
    let page = hub.run(move |s| s.experiments(&org, &team, limit, offset)).await?;
    let items: Vec<_> =
        page.items.iter().map(|e| json!({"id": e.id, "title": e.title, "created": e.created})).collect();
    Ok(json_response(
        StatusCode::OK,
        json!({"items": items, "total": page.total, "limit": limit, "offset": offset}),
    ))
}
