//! One execution: its facts, the stop switch while it runs, our walk table (failures first),
//! surviving mutants with their diffs, load charts, the journal's activities and the event
//! timeline.

use super::*;

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

pub(super) async fn execution(
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
    if let Ok((_, Some(ext))) = crate::hub::journal::ours(&journal) {
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

pub(super) async fn stop(
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
