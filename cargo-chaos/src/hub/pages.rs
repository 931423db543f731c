//! The web pages, rendered on the server: sign-in, the executions list, one execution, the
//! team's policies with the freeze and stop switches, and token management for admins.
//!
//! A token signs in once and gets a session cookie (HttpOnly, SameSite=Strict, expiring).
//! Every state-changing form is a POST carrying the session's CSRF token, and its `Origin`
//! (when the browser sends one) must be this host. Pages show only the session's team.

use std::collections::HashMap;
use std::fmt::Write;

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value};

use super::auth;
use super::html::{self, badge, esc, page};
use super::journal::format_time;
use super::server::Hub;
use super::store::{Filter, Principal};

const PER_PAGE: i64 = 50;

pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/", get(root).head(head_root))
        .route("/signin", get(signin_form).post(signin))
        .route("/signout", post(signout))
        .route("/executions", get(executions))
        .route("/executions/{id}", get(execution))
        .route("/executions/{id}/stop", post(stop))
        .route("/policies", get(policies))
        .route("/policies/freeze", post(freeze))
        .route("/tokens", get(tokens).post(create_token))
        .route("/tokens/{id}/revoke", post(revoke_token))
}

/// A signed-in page request.
struct Session {
    who: Principal,
    csrf: String,
}

impl Session {
    fn page(&self, title: &str, body: &str) -> Response {
        Html(page(title, Some((&self.who.org, &self.who.team, &self.csrf)), body)).into_response()
    }
    fn csrf_field(&self) -> String {
        format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(&self.csrf))
    }
}

fn error_page(status: StatusCode, msg: &str) -> Response {
    (status, Html(page("Error", None, &format!("<p>{}</p>", esc(msg))))).into_response()
}

async fn session(hub: &Hub, headers: &HeaderMap) -> Result<Session, Response> {
    let Some(cookie) = auth::session_cookie(headers).map(str::to_owned) else {
        return Err(Redirect::to("/signin").into_response());
    };
    match hub.run(move |s| s.session(&cookie)).await {
        Ok(Some((who, csrf))) => Ok(Session { who, csrf }),
        Ok(None) => Err(Redirect::to("/signin").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// A signed-in session whose form carries its CSRF token, from this site.
async fn checked(
    hub: &Hub,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<Session, Response> {
    let s = session(hub, headers).await?;
    let sent = form.get("csrf").map(String::as_str).unwrap_or("");
    if !auth::same(sent, &s.csrf) || !auth::same_origin(headers) {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            "this form did not come from the hub's own pages (CSRF check failed): reload the page and try again",
        ));
    }
    Ok(s)
}

async fn root(State(hub): State<Hub>, headers: HeaderMap) -> Response {
    match session(&hub, &headers).await {
        Ok(_) => Redirect::to("/executions").into_response(),
        Err(r) => r,
    }
}

/// `HEAD /` is the client's sign-in probe: 200 for a good bearer token, else 401.
async fn head_root(State(hub): State<Hub>, headers: HeaderMap) -> StatusCode {
    let Some(token) = auth::bearer(&headers).map(str::to_owned) else { return StatusCode::UNAUTHORIZED };
    match hub.run(move |s| s.authenticate(&token)).await {
        Ok(Some(_)) => StatusCode::OK,
        _ => StatusCode::UNAUTHORIZED,
    }
}

fn signin_body(msg: &str) -> String {
    format!(
        "{msg}<form method=\"post\" action=\"/signin\"><p><label>Token <input name=\"token\" type=\"password\" size=\"70\" \
         autocomplete=\"off\" autofocus></label></p><p><button type=\"submit\" id=\"signin\">Sign in</button></p></form>\
         <p class=\"note\">Create a token with <code>cargo chaos hub token create --org ORG --team TEAM</code>.</p>"
    )
}

async fn signin_form() -> Html<String> {
    Html(page("Sign in", None, &signin_body("")))
}

async fn signin(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !auth::same_origin(&headers) {
        return error_page(StatusCode::FORBIDDEN, "sign-in must come from the hub's own page");
    }
    let token = form.get("token").map(|t| t.trim().to_owned()).unwrap_or_default();
    let who = match hub.run(move |s| s.authenticate(&token)).await {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let Some(who) = who else {
        let body = signin_body("<p class=\"frozen\">That token is not valid (unknown or revoked).</p>");
        return (StatusCode::UNAUTHORIZED, Html(page("Sign in", None, &body))).into_response();
    };
    let id = who.token_id.clone();
    match hub.run(move |s| s.create_session(&id, auth::SESSION_MS)).await {
        Ok((cookie, _)) => {
            ([(header::SET_COOKIE, auth::set_cookie(&cookie))], Redirect::to("/executions")).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn signout(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = checked(&hub, &headers, &form).await {
        return r;
    }
    if let Some(cookie) = auth::session_cookie(&headers).map(str::to_owned) {
        let _ = hub.run(move |s| s.end_session(&cookie)).await;
    }
    ([(header::SET_COOKIE, auth::clear_cookie())], Redirect::to("/signin")).into_response()
}

fn page_number(q: &HashMap<String, String>, key: &str) -> i64 {
    q.get(key).and_then(|p| p.parse::<i64>().ok()).filter(|p| (1..=1_000_000).contains(p)).unwrap_or(1)
}

fn pager(base: &str, key: &str, page: i64, total: i64) -> String {
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut out = format!("<p class=\"pager\">page {page} of {pages} ({total} in all)");
    let sep = if base.contains('?') { '&' } else { '?' };
    if page > 1 {
        let _ = write!(out, " <a href=\"{base}{sep}{key}={}\">previous</a>", page - 1);
    }
    if page < pages {
        let _ = write!(out, " <a href=\"{base}{sep}{key}={}\">next</a>", page + 1);
    }
    out.push_str("</p>");
    out
}

fn duration_of(start: Option<i64>, end: Option<i64>) -> String {
    match (start, end) {
        (Some(s), Some(e)) => html::duration(e.saturating_sub(s)),
        _ => String::new(),
    }
}

async fn executions(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match session(&hub, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let pick = |k: &str| q.get(k).filter(|v| !v.is_empty()).cloned();
    let filter = Filter { status: pick("status"), kind: pick("kind"), experiment: None };
    let page_no = page_number(&q, "page");
    let (org, team, f) = (s.who.org.clone(), s.who.team.clone(), filter.clone());
    let list =
        match hub.run(move |st| st.executions(&org, &team, &f, PER_PAGE, (page_no - 1) * PER_PAGE)).await {
            Ok(l) => l,
            Err(e) => return e.into_response(),
        };
    let select = |name: &str, options: &[&str], current: &Option<String>| {
        let mut out = format!("<label>{name} <select name=\"{name}\"><option value=\"\">any</option>");
        for o in options {
            let sel = if current.as_deref() == Some(*o) { " selected" } else { "" };
            let _ = write!(out, "<option{sel}>{o}</option>");
        }
        out.push_str("</select></label> ");
        out
    };
    let mut body = String::from("<form method=\"get\" action=\"/executions\">");
    body += &select(
        "status",
        &["running", "completed", "deviated", "failed", "interrupted", "aborted"],
        &filter.status,
    );
    body += &select("kind", &["experiment", "walks", "mutants", "load"], &filter.kind);
    body += "<button type=\"submit\">Filter</button></form>";
    body += "<table id=\"executions\"><tr><th>execution</th><th>title</th><th>kind</th><th>status</th><th>started</th>\
             <th>duration</th><th>failures</th></tr>";
    for e in &list.items {
        let interrupted = e
            .interrupted_by
            .as_ref()
            .filter(|_| e.status == "interrupted" || e.status == "running")
            .map(|by| format!(" <span class=\"note\">by {}</span>", esc(by)))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td><a href=\"/executions/{id}\">{short}</a></td><td>{title}</td><td>{kind}</td><td>{status}{interrupted}</td>\
             <td>{start}</td><td>{dur}</td><td>{fails}</td></tr>",
            id = esc(&e.id),
            short = esc(&e.id[..8.min(e.id.len())]),
            title = esc(&e.title),
            kind = esc(&e.kind),
            status = badge(&e.status),
            start = e.start_ms.map(format_time).unwrap_or_default(),
            dur = duration_of(e.start_ms, e.end_ms),
            fails = e.failures
        );
    }
    body += "</table>";
    if list.items.is_empty() {
        body += "<p class=\"note\">No executions yet.</p>";
    }
    let mut base = String::from("/executions?");
    for (k, v) in [("status", &filter.status), ("kind", &filter.kind)] {
        if let Some(v) = v {
            let _ = write!(base, "{k}={}&", html::url(v));
        }
    }
    base.pop();
    body += &pager(&base, "page", page_no, list.total);
    s.page("Executions", &body)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An event's one-line detail: the activity or phase its data names.
fn event_detail(body: &str) -> String {
    let Ok(ev) = serde_json::from_str::<Value>(body) else { return String::new() };
    let data = match ev.get("data") {
        Some(Value::String(s)) => serde_json::from_str::<Value>(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let ctx = data.get("context").unwrap_or(&Value::Null);
    let name = ctx.get("name").or_else(|| ctx.get("title")).map(text).unwrap_or_default();
    let status = data.get("state").and_then(|s| s.get("status")).map(text).unwrap_or_default();
    format!(
        "{}{}",
        esc(&name),
        if status.is_empty() { String::new() } else { format!(" ({})", esc(&status)) }
    )
}

fn activities(journal: &Map<String, Value>, key: &str) -> String {
    let Some(runs) = journal.get(key).and_then(Value::as_array).filter(|r| !r.is_empty()) else {
        return String::new();
    };
    let mut out = format!(
        "<h2>{}</h2><table class=\"activities\"><tr><th>activity</th><th>type</th><th>status</th><th>duration</th><th>output</th></tr>",
        if key == "run" { "Activities" } else { "Rollbacks" }
    );
    for r in runs {
        let a = r.get("activity").unwrap_or(&Value::Null);
        let output = match r.get("exception") {
            Some(e) if !e.is_null() => text(e),
            _ => r.get("output").map(text).unwrap_or_default(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
            esc(&a.get("name").map(text).unwrap_or_default()),
            esc(&a.get("type").map(text).unwrap_or_default()),
            badge(&r.get("status").map(text).unwrap_or_default()),
            r.get("duration")
                .and_then(Value::as_f64)
                .map(|d| html::duration((d * 1000.0) as i64))
                .unwrap_or_default(),
            esc(&output.chars().take(400).collect::<String>())
        );
    }
    out.push_str("</table>");
    out
}

fn walks(ext: &Map<String, Value>) -> String {
    let mut list: Vec<&Value> =
        ext.get("walks").and_then(Value::as_array).map(|w| w.iter().collect()).unwrap_or_default();
    // Failures first, then in the order sent.
    list.sort_by_key(|w| w.get("status").and_then(Value::as_str) != Some("failed"));
    let failed = list.iter().filter(|w| w.get("status").and_then(Value::as_str) == Some("failed")).count();
    let mut out = format!(
        "<h2>Walks</h2><p>{} walks, {failed} failed</p><table id=\"walks\"><tr><th>walk</th><th>status</th><th>duration</th><th>failure</th></tr>",
        list.len()
    );
    for w in list {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&w.get("name").map(text).unwrap_or_default()),
            badge(&w.get("status").map(text).unwrap_or_default()),
            w.get("duration")
                .and_then(Value::as_f64)
                .map(|d| html::duration((d * 1000.0) as i64))
                .unwrap_or_default(),
            w.get("failure").map(|f| format!("<pre>{}</pre>", esc(&text(f)))).unwrap_or_default()
        );
    }
    out + "</table>"
}

fn mutants(ext: &Map<String, Value>) -> String {
    let list: Vec<&Value> =
        ext.get("mutants").and_then(Value::as_array).map(|w| w.iter().collect()).unwrap_or_default();
    let survivors: Vec<_> = list
        .iter()
        .filter(|m| matches!(m.get("outcome").and_then(Value::as_str), Some("missed" | "survived")))
        .collect();
    let mut out =
        format!("<h2>Surviving mutants</h2><p>{} mutants, {} survived</p>", list.len(), survivors.len());
    for m in survivors {
        let _ = write!(
            out,
            "<div class=\"mutant\"><h3>{} {}</h3>{}</div>",
            badge(&m.get("outcome").map(text).unwrap_or_default()),
            esc(&m.get("name").map(text).unwrap_or_default()),
            html::diff(&m.get("diff").map(text).unwrap_or_default())
        );
    }
    out
}

fn load(ext: &Map<String, Value>) -> String {
    let mut out = String::from("<h2>Load</h2>");
    for h in ext.get("histograms").and_then(Value::as_array).into_iter().flatten() {
        out += &html::histogram(h);
    }
    out
}

async fn execution(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match session(&hub, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (org, team, eid) = (s.who.org.clone(), s.who.team.clone(), id.clone());
    let e = match hub.run(move |st| st.execution(&org, &team, None, &eid)).await {
        Ok(Some(e)) => e,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, &format!("no execution {id:?}")),
        Err(e) => return e.into_response(),
    };
    let events_page = page_number(&q, "events");
    let eid = e.id.clone();
    let events = match hub.run(move |st| st.events(&eid, PER_PAGE, (events_page - 1) * PER_PAGE)).await {
        Ok(ev) => ev,
        Err(e) => return e.into_response(),
    };
    let journal: Map<String, Value> = serde_json::from_str(&e.journal).unwrap_or_default();
    let mut body = format!(
        "<table class=\"facts\"><tr><th>title</th><td>{}</td></tr><tr><th>status</th><td id=\"status\">{}</td></tr>\
         <tr><th>kind</th><td>{}</td></tr><tr><th>experiment</th><td><code>{}</code></td></tr>\
         <tr><th>started</th><td>{}</td></tr><tr><th>duration</th><td>{}</td></tr><tr><th>failures</th><td>{}</td></tr>",
        esc(&e.title),
        badge(&e.status),
        esc(&e.kind),
        esc(&e.experiment),
        e.start_ms.map(format_time).unwrap_or_default(),
        duration_of(e.start_ms, e.end_ms),
        e.failures
    );
    if let Some(by) = &e.interrupted_by {
        let _ = write!(body, "<tr><th>interrupted by</th><td class=\"frozen\">{}</td></tr>", esc(by));
    }
    body += "</table>";
    if e.status == "running" {
        let (label, value) = if e.stopped { ("Let it go on", "0") } else { ("Stop this execution", "1") };
        let _ = write!(
            body,
            "<form method=\"post\" action=\"/executions/{}/stop\">{}<input type=\"hidden\" name=\"stopped\" value=\"{value}\">\
             <button class=\"switch\" id=\"stop-switch\" type=\"submit\">{label}</button>{}</form>",
            esc(&e.id),
            s.csrf_field(),
            if e.stopped {
                " <span class=\"frozen\">stopped: the next policies answer says no</span>"
            } else {
                ""
            }
        );
    }
    if let Ok((_, Some(ext))) = super::journal::ours(&journal) {
        body += &match e.kind.as_str() {
            "walks" => walks(ext),
            "mutants" => mutants(ext),
            "load" => load(ext),
            _ => String::new(),
        };
    }
    body += &activities(&journal, "run");
    body += &activities(&journal, "rollbacks");
    body +=
        "<h2>Events</h2><table id=\"events\"><tr><th>#</th><th>type</th><th>time</th><th>detail</th></tr>";
    for (i, ev) in events.items.iter().enumerate() {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (events_page - 1) * PER_PAGE + i as i64 + 1,
            esc(&ev.kind),
            esc(ev.time.as_deref().unwrap_or("")),
            event_detail(&ev.body)
        );
    }
    body += "</table>";
    body += &pager(&format!("/executions/{}", esc(&e.id)), "events", events_page, events.total);
    s.page(&format!("Execution {}", &e.id[..8.min(e.id.len())]), &body)
}

async fn stop(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let s = match checked(&hub, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let stopped = form.get("stopped").map(String::as_str) != Some("0");
    let (org, team, eid) = (s.who.org.clone(), s.who.team.clone(), id.clone());
    match hub.run(move |st| st.set_stop(&org, &team, &eid, stopped)).await {
        Ok(true) => Redirect::to(&format!("/executions/{}", html::url(&id))).into_response(),
        Ok(false) => error_page(StatusCode::NOT_FOUND, &format!("no execution {id:?}")),
        Err(e) => e.into_response(),
    }
}

async fn policies(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match session(&hub, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (org, team) = (s.who.org.clone(), s.who.team.clone());
    let f = Filter { status: Some("running".into()), ..Filter::default() };
    let page_no = page_number(&q, "page");
    let offset = (page_no - 1) * PER_PAGE;
    let found = hub
        .run(move |st| Ok((st.team(&org, &team)?, st.executions(&org, &team, &f, PER_PAGE, offset)?)))
        .await;
    let (team, running) = match found {
        Ok((Some(t), r)) => (t, r),
        Ok((None, _)) => return error_page(StatusCode::NOT_FOUND, "no such team"),
        Err(e) => return e.into_response(),
    };
    let mut body = String::from("<h2>Freeze</h2>");
    if team.frozen {
        let _ = write!(
            body,
            "<p class=\"frozen\" id=\"freeze-state\">All chaos of team {} is frozen{}: every execution is told to stop.</p>",
            esc(&team.name),
            team.freeze_reason.as_ref().map(|r| format!(" ({})", esc(r))).unwrap_or_default()
        );
    } else {
        let _ = write!(body, "<p id=\"freeze-state\">Team {} may run chaos.</p>", esc(&team.name));
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/policies/freeze\">{}<input type=\"hidden\" name=\"frozen\" value=\"{}\">{}\
         <button class=\"switch\" id=\"freeze-switch\" type=\"submit\">{}</button></form>",
        s.csrf_field(),
        if team.frozen { "0" } else { "1" },
        if team.frozen { "" } else { "<label>reason <input name=\"reason\" size=\"40\"></label> " },
        if team.frozen { "Unfreeze" } else { "Freeze all chaos" }
    );
    body += "<h2>Running executions</h2><table id=\"running\"><tr><th>execution</th><th>title</th><th>stop</th></tr>";
    for e in &running.items {
        let (label, value) = if e.stopped { ("Let it go on", "0") } else { ("Stop", "1") };
        let _ = write!(
            body,
            "<tr><td><a href=\"/executions/{id}\">{short}</a></td><td>{}</td><td><form class=\"inline\" method=\"post\" \
             action=\"/executions/{id}/stop\">{}<input type=\"hidden\" name=\"stopped\" value=\"{value}\">\
             <button type=\"submit\">{label}</button></form></td></tr>",
            esc(&e.title),
            s.csrf_field(),
            id = esc(&e.id),
            short = esc(&e.id[..8.min(e.id.len())]),
        );
    }
    body += "</table>";
    body += &pager("/policies", "page", page_no, running.total);
    s.page("Policies", &body)
}

async fn freeze(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let s = match checked(&hub, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let frozen = form.get("frozen").map(String::as_str) == Some("1");
    let reason = form.get("reason").map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    let (org, team) = (s.who.org.clone(), s.who.team.clone());
    match hub.run(move |st| st.set_freeze(&org, &team, frozen, reason.as_deref())).await {
        Ok(_) => Redirect::to("/policies").into_response(),
        Err(e) => e.into_response(),
    }
}

async fn tokens_page(hub: &Hub, s: &Session, created: Option<(String, String)>, page_no: i64) -> Response {
    if !s.who.admin {
        return error_page(
            StatusCode::FORBIDDEN,
            "only an admin token manages tokens (`cargo chaos hub token create --admin`)",
        );
    }
    let org = s.who.org.clone();
    let list = match hub.run(move |st| st.tokens(&org, PER_PAGE, (page_no - 1) * PER_PAGE)).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let mut body = String::new();
    if let Some((id, secret)) = created {
        let _ = write!(
            body,
            "<p>New token <code>{}</code>, shown this once: <code id=\"new-token\">{}</code></p>",
            esc(&id),
            esc(&secret)
        );
    }
    body += "<table id=\"tokens\"><tr><th>id</th><th>team</th><th>rights</th><th>label</th><th>created</th><th>state</th><th></th></tr>";
    for t in &list.items {
        let revoke = if t.revoked {
            String::new()
        } else {
            format!(
                "<form class=\"inline\" method=\"post\" action=\"/tokens/{}/revoke\">{}<button type=\"submit\">Revoke</button></form>",
                esc(&t.id),
                s.csrf_field()
            )
        };
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{revoke}</td></tr>",
            esc(&t.id),
            esc(&t.team),
            if t.admin { "admin" } else { "member" },
            esc(&t.label),
            format_time(t.created),
            if t.revoked { "revoked" } else { "live" }
        );
    }
    let _ = write!(
        body,
        "</table><h2>New token</h2><form method=\"post\" action=\"/tokens\">{}<label>team <input name=\"team\" value=\"{}\"></label> \
         <label>label <input name=\"label\"></label> <label><input type=\"checkbox\" name=\"admin\" value=\"1\"> admin</label> \
         <button type=\"submit\">Create</button></form>",
        s.csrf_field(),
        esc(&s.who.team)
    );
    body += &pager("/tokens", "page", page_no, list.total);
    s.page("Tokens", &body)
}

async fn tokens(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match session(&hub, &headers).await {
        Ok(s) => tokens_page(&hub, &s, None, page_number(&q, "page")).await,
        Err(r) => r,
    }
}

async fn create_token(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let s = match checked(&hub, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !s.who.admin {
        return error_page(StatusCode::FORBIDDEN, "only an admin token manages tokens");
    }
    let team = form.get("team").map(|t| t.trim().to_owned()).unwrap_or_default();
    if let Err(e) = super::name_ok("team", &team) {
        return error_page(StatusCode::BAD_REQUEST, &e.to_string());
    }
    let admin = form.get("admin").is_some_and(|a| a == "1");
    let label = form.get("label").cloned().unwrap_or_default();
    let org = s.who.org.clone();
    match hub.run(move |st| st.create_token(&org, &team, admin, &label)).await {
        Ok(created) => tokens_page(&hub, &s, Some(created), 1).await,
        Err(e) => e.into_response(),
    }
}

async fn revoke_token(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let s = match checked(&hub, &headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !s.who.admin {
        return error_page(StatusCode::FORBIDDEN, "only an admin token manages tokens");
    }
    let org = s.who.org.clone();
    match hub.run(move |st| st.revoke_token(Some(&org), &id)).await {
        Ok(_) => Redirect::to("/tokens").into_response(),
        Err(e) => e.into_response(),
    }
}
