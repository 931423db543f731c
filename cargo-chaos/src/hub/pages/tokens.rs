//! Token management for admin tokens: list, create (shown once), revoke.

use super::*;

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

pub(super) async fn tokens(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match session(&hub, &headers).await {
        Ok(s) => tokens_page(&hub, &s, None, page_number(&q, "page")).await,
        Err(r) => r,
    }
}

pub(super) async fn create_token(
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
    if let Err(e) = crate::hub::name_ok("team", &team) {
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

pub(super) async fn revoke_token(
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
