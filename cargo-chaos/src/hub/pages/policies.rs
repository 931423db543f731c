//! A team's policies: the freeze switch, and the stop switch of each running execution.

use super::*;

pub(super) async fn policies(
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

pub(super) async fn freeze(
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
