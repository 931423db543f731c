//! The executions list: status, duration, failures, filtered by status and kind, a page at a time.

use super::*;

pub(super) async fn executions(
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
