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

mod execution;
mod executions;
mod policies;
mod tokens;

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
        .route("/executions", get(executions::executions))
        .route("/executions/{id}", get(execution::execution))
        .route("/executions/{id}/stop", post(execution::stop))
        .route("/policies", get(policies::policies))
        .route("/policies/freeze", post(policies::freeze))
        .route("/tokens", get(tokens::tokens).post(tokens::create_token))
        .route("/tokens/{id}/revoke", post(tokens::revoke_token))
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
