//! The API on both stores: the real client's recorded request sequences replayed, auth route
//! by route, bad input, policies, our own result kinds, pagination.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::support::{Case, Client, HubProc, Store, on_postgres, on_sqlite, recording, token};

const T: &str = "/api/v1/organizations/org-1/teams/team-1";

const CASES: &[Case] = &[
    ("the recorded run replays and its journal is stored as sent", replayed_run_is_stored_as_sent),
    ("the recorded publish replays, finished executions are finished", replayed_publish_finishes_executions),
    ("the recorded denied run is told to stop by a freeze", replayed_run_is_denied_by_a_freeze),
    (
        "every route refuses missing and wrong tokens and hides other organizations",
        every_route_checks_its_token,
    ),
    ("bad input gets a 4xx naming the problem and stores nothing", bad_input_is_refused_whole),
    ("a stopped execution is told to stop and shows it", a_stopped_execution_is_told_to_stop),
    ("walk, mutation and load runs are listed with their kinds", our_result_kinds_are_listed),
    ("lists are paginated", lists_are_paginated),
    ("a revoked token is refused", a_revoked_token_is_refused),
];

#[test]
fn api_on_sqlite() {
    on_sqlite(CASES);
}

#[test]
fn api_on_postgres() {
    on_postgres(CASES);
}

fn start(store: &Store) -> (HubProc, Client) {
    let db = store.spec();
    let tok = token(&db, "org-1", "team-1", false);
    let hub = HubProc::start(&db, &["--max-body", "65536"]);
    let c = hub.client(&tok);
    (hub, c)
}

/// What a replay saw.
#[derive(Default, Debug)]
struct Replay {
    exp: Option<String>,
    exec: Option<String>,
    /// The exact text of the last journal sent.
    journal: Option<String>,
    events: Vec<String>,
    policies: Vec<Value>,
}

/// Sends a recorded sequence as the real client sent it, with the hub's ids in place of the
/// recording's, and checks each answer is one the client needs.
fn replay(c: &Client, name: &str) -> Replay {
    let mut seen = Replay::default();
    for r in recording(name) {
        let method = r["method"].as_str().unwrap();
        let mut path = r["path"].as_str().unwrap().to_owned();
        if let Some(exp) = &seen.exp {
            path = path.replace("/experiments/exp-1", &format!("/experiments/{exp}"));
        }
        if let Some(exec) = &seen.exec {
            path = path.replace("/executions/exec-1", &format!("/executions/{exec}"));
        }
        let ctype = r["headers"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str().unwrap().to_owned());
        let body = (!r["body"].is_null()).then(|| r["body"].to_string());
        let resp = c.send(method, &path, ctype.as_deref(), body.as_deref().map(str::as_bytes));
        let what = format!("{name} #{} {method} {path}", r["n"]);
        if method == "POST" && path.ends_with("/experiments") {
            assert_eq!(resp.status, 201, "{what}: {}", resp.text());
            seen.exp = Some(resp.json()["id"].as_str().expect("an experiment id").to_owned());
            seen.exec = None;
        } else if method == "POST" && path.ends_with("/executions") {
            assert_eq!(resp.status, 201, "{what}: {}", resp.text());
            let id = resp.json()["id"].as_str().expect("an execution id").to_owned();
            let loc = resp.header("content-location").expect("a Content-Location header");
            assert!(
                loc.ends_with(&format!("/experiments/{}/executions/{id}", seen.exp.as_ref().unwrap())),
                "{loc}"
            );
            seen.exec = Some(id);
            seen.journal = Some(r["body"]["journal"].to_string());
        } else if method == "GET" && path.ends_with("/executions/exec-1") {
            // The client asks for an execution id it kept from an earlier run; unknown here.
            assert_eq!(resp.status, 404, "{what}");
        } else if method == "POST" && path.ends_with("/events") {
            assert_eq!(resp.status, 201, "{what}: {}", resp.text());
            seen.events.push(r["body"]["type"].as_str().unwrap().to_owned());
        } else if method == "GET" && path.ends_with("/policies") {
            assert_eq!(resp.status, 200, "{what}: {}", resp.text());
            let v = resp.json();
            assert!(v["allowed"].is_boolean() && v["policies"].is_array(), "{what}: {v}");
            seen.policies.push(v);
        } else if method == "PUT" {
            assert!(resp.status == 204 || resp.status == 200, "{what}: {} {}", resp.status, resp.text());
            seen.journal = Some(r["body"]["journal"].to_string());
        } else {
            panic!("{what}: a request the replay does not know");
        }
    }
    seen
}

fn exec_path(seen: &Replay) -> String {
    format!("{T}/experiments/{}/executions/{}", seen.exp.as_ref().unwrap(), seen.exec.as_ref().unwrap())
}

/// The stored journal's exact text, and the execution's other fields.
fn stored(c: &Client, path: &str) -> (String, Value) {
    let r = c.get(path);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-location").is_some_and(|l| {
        path.ends_with(l.trim_start_matches("/api/v1/organizations/org-1/teams/team-1")) || l == path
    }));
    let raw: HashMap<String, Box<RawValue>> = serde_json::from_slice(&r.body).unwrap();
    (raw["journal"].get().to_owned(), r.json())
}

fn replayed_run_is_stored_as_sent(store: &Store) {
    let (_hub, c) = start(store);
    let seen = replay(&c, "requests-run.jsonl");
    assert!(seen.policies.iter().all(|p| p["allowed"] == true && p["policies"] == json!([])));
    let path = exec_path(&seen);
    let (journal, exec) = stored(&c, &path);
    let sent = seen.journal.unwrap();
    assert_eq!(journal, sent, "the stored journal is the text sent");
    assert_eq!(
        serde_json::from_str::<Value>(&journal).unwrap(),
        serde_json::from_str::<Value>(&sent).unwrap()
    );
    assert_eq!(exec["status"], "completed");
    assert_eq!(exec["title"], "Echo says hello");
    // Every event, once, in order.
    let ev = c.get(&format!("{path}/events?limit=500")).json();
    assert_eq!(ev["total"], seen.events.len());
    let types: Vec<_> =
        ev["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(types, seen.events);
    assert_eq!(types.first().map(String::as_str), Some("starting-experiment"));
    assert_eq!(types.last().map(String::as_str), Some("experiment-finished"));
    // The experiment is kept as sent.
    let e = c.get(&format!("{T}/experiments/{}", seen.exp.as_ref().unwrap()));
    assert_eq!(e.status, 200);
    assert_eq!(e.json()["experiment"]["title"], "Echo says hello");
}

fn replayed_publish_finishes_executions(store: &Store) {
    let (_hub, c) = start(store);
    let seen = replay(&c, "requests-publish.jsonl");
    let (journal, exec) = stored(&c, &exec_path(&seen));
    assert_eq!(Some(&journal), seen.journal.as_ref());
    // `chaos publish` sends status "running" with an `end`: the run is over.
    assert_eq!(exec["status"], "completed");
    let list = c.get(&format!("{T}/executions")).json();
    assert_eq!(list["total"], 2);
    for e in list["items"].as_array().unwrap() {
        assert_eq!(e["status"], "completed", "{e}");
        // One journal has timestamps without an offset, the other with: both give a duration.
        let d = e["end_ms"].as_i64().unwrap() - e["start_ms"].as_i64().unwrap();
        assert!((200..5000).contains(&d), "{e}");
    }
}

fn replayed_run_is_denied_by_a_freeze(store: &Store) {
    let (_hub, c) = start(store);
    let r = c.put(&format!("{T}/policies/freeze"), &json!({"frozen": true, "reason": "no chaos on fridays"}));
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = replay(&c, "requests-deny.jsonl");
    assert!(!seen.policies.is_empty());
    for p in &seen.policies {
        assert_eq!(p["allowed"], false, "{p}");
        assert_eq!(p["policies"][0]["name"], "team-freeze", "{p}");
        assert!(p["policies"][0]["reason"].as_str().unwrap().contains("fridays"));
    }
    let (journal, exec) = stored(&c, &exec_path(&seen));
    assert_eq!(Some(&journal), seen.journal.as_ref());
    assert_eq!(exec["status"], "interrupted");
    assert_eq!(exec["interrupted_by"], "team-freeze");
    // Unfrozen, the same execution may go on.
    c.put(&format!("{T}/policies/freeze"), &json!({"frozen": false}));
    assert_eq!(c.get(&format!("{}/policies", exec_path(&seen))).json()["allowed"], true);
}

/// An experiment with one execution and one event, as ids.
fn seed(c: &Client, base: &str) -> (String, String) {
    let exp = c.post(&format!("{base}/experiments"), &json!({"experiment": {"title": "t", "method": []}}));
    assert_eq!(exp.status, 201, "{}", exp.text());
    let exp = exp.json()["id"].as_str().unwrap().to_owned();
    let ex =
        c.post(&format!("{base}/experiments/{exp}/executions"), &json!({"journal": {"status": "running"}}));
    assert_eq!(ex.status, 201, "{}", ex.text());
    (exp, ex.json()["id"].as_str().unwrap().to_owned())
}

fn event(id: &str) -> Vec<u8> {
    json!({"specversion": "1.0", "id": id, "source": "test", "type": "starting-activity",
           "time": "2026-11-21T23:06:13.46+00:00", "data": {"context": {"name": "a"}, "state": null}})
    .to_string()
    .into_bytes()
}

fn every_route_checks_its_token(store: &Store) {
    let db = store.spec();
    let mine = token(&db, "org-1", "team-1", false);
    let theirs = token(&db, "org-2", "team-1", false);
    let other_team = token(&db, "org-1", "team-2", false);
    let hub = HubProc::start(&db, &[]);
    let me = hub.client(&mine);
    let (exp, exec) = seed(&me, T);
    let x = format!("experiments/{exp}/executions/{exec}");
    let journal = json!({"journal": {"status": "completed"}}).to_string().into_bytes();
    let exp_body = json!({"experiment": {"title": "t"}}).to_string().into_bytes();
    let switch = json!({"frozen": true, "stopped": true}).to_string().into_bytes();
    let ev = event("e-1");
    // (method, path under the organization, content type, body)
    #[allow(clippy::type_complexity)]
    let routes: Vec<(&str, String, Option<&str>, Option<&[u8]>)> = vec![
        ("GET", "experiments".into(), None, None),
        ("POST", "experiments".into(), Some("application/json"), Some(&exp_body)),
        ("GET", format!("experiments/{exp}"), None, None),
        ("GET", format!("experiments/{exp}/executions"), None, None),
        ("POST", format!("experiments/{exp}/executions"), Some("application/json"), Some(&journal)),
        ("GET", x.clone(), None, None),
        ("PUT", x.clone(), Some("application/json"), Some(&journal)),
        ("GET", format!("{x}/events"), None, None),
        ("POST", format!("{x}/events"), Some("application/cloudevents+json"), Some(&ev)),
        ("GET", format!("{x}/policies"), None, None),
        ("PUT", format!("{x}/stop"), Some("application/json"), Some(&switch)),
        ("GET", "executions".into(), None, None),
        ("GET", "policies".into(), None, None),
        ("PUT", "policies/freeze".into(), Some("application/json"), Some(&switch)),
    ];
    let send = |tok: Option<&str>, method: &str, path: &str, ct: Option<&str>, body: Option<&[u8]>| {
        let auth = tok.map(|t| format!("Bearer {t}"));
        let mut h = vec![];
        if let Some(a) = &auth {
            h.push(("Authorization", a.as_str()));
        }
        if let Some(c) = ct {
            h.push(("Content-Type", c));
        }
        crate::support::request(hub.addr, method, path, &h, body)
    };
    let mut top = vec![
        ("HEAD", "/".to_owned()),
        ("HEAD", "/api/v1/".to_owned()),
        ("GET", "/api/v1/organizations".to_owned()),
    ];
    top.push(("GET", "/api/v1/organizations/org-1/teams".to_owned()));
    for (m, p) in &top {
        for tok in [None, Some("chs_wrong"), Some("not-even-a-token")] {
            let r = send(tok, m, p, None, None);
            assert_eq!(r.status, 401, "{m} {p} with {tok:?}");
        }
        assert_eq!(send(Some(&mine), m, p, None, None).status, 200, "{m} {p}");
    }
    // Another organization is not found, and neither is its team list.
    assert_eq!(send(Some(&theirs), "GET", "/api/v1/organizations/org-1/teams", None, None).status, 404);
    let orgs = send(Some(&theirs), "GET", "/api/v1/organizations", None, None).json();
    assert_eq!(orgs, json!([{"id": "org-2", "name": "org-2"}]));
    for (method, rest, ct, body) in &routes {
        for base in [T.to_owned(), "/api/v1/organizations/org-1".to_owned()] {
            let path = format!("{base}/{rest}");
            for tok in [None, Some("chs_wrong")] {
                let r = send(tok, method, &path, *ct, *body);
                assert_eq!(r.status, 401, "{method} {path} with {tok:?}");
                assert!(r.error().contains("bearer token"), "{method} {path}");
                assert_eq!(r.header("www-authenticate"), Some("Bearer"));
            }
            let r = send(Some(&theirs), method, &path, *ct, *body);
            assert_eq!(r.status, 404, "{method} {path} with another organization's token: {}", r.text());
            assert!(r.error().contains("org-1"), "{}", r.text());
            // The other organization's own path with our ids: still not found.
            let their_path = path.replace("org-1", "org-2");
            let r = send(Some(&theirs), method, &their_path, *ct, *body);
            if rest.contains(&exp) {
                assert_eq!(r.status, 404, "{method} {their_path}: {}", r.text());
            }
        }
        // Another team of the same organization does not see this team's data.
        let path = format!("{T}/{rest}");
        let r = send(Some(&other_team), method, &path, *ct, *body);
        assert_eq!(r.status, 404, "{method} {path} with another team's token");
    }
    // Nothing the refused requests carried was stored.
    assert_eq!(me.get(&format!("{T}/experiments")).json()["total"], 1);
    assert_eq!(me.get(&format!("{T}/executions")).json()["total"], 1);
    assert_eq!(me.get(&format!("{T}/{x}/events")).json()["total"], 0);
    assert_eq!(me.get(&format!("{T}/{x}/policies")).json()["allowed"], true, "no freeze or stop got through");
    assert_eq!(me.get(&format!("{T}/{x}")).json()["journal"], json!({"status": "running"}));
}

fn bad_input_is_refused_whole(store: &Store) {
    let (_hub, c) = start(store);
    let (exp, exec) = seed(&c, T);
    let x = format!("{T}/experiments/{exp}/executions/{exec}");
    #[allow(clippy::type_complexity)]
    let cases: Vec<(&str, String, &str, Vec<u8>, u16, &str)> = vec![
        (
            "POST",
            format!("{T}/experiments"),
            "application/json",
            b"{\"experiment\": {".to_vec(),
            400,
            "malformed JSON",
        ),
        ("POST", format!("{T}/experiments"), "application/json", b"[1, 2]".to_vec(), 400, "JSON object"),
        (
            "POST",
            format!("{T}/experiments"),
            "application/json",
            b"{\"experiment\": 3}".to_vec(),
            422,
            "`experiment` must be a JSON object",
        ),
        (
            "POST",
            format!("{T}/experiments"),
            "text/plain",
            b"{\"experiment\": {}}".to_vec(),
            415,
            "application/json",
        ),
        (
            "POST",
            format!("{T}/experiments/{exp}/executions"),
            "application/json",
            b"{\"journal\": []}".to_vec(),
            422,
            "`journal` must be a JSON object",
        ),
        (
            "POST",
            format!("{T}/experiments/{exp}/executions"),
            "application/json",
            b"{\"journal\": \"x\"}".to_vec(),
            422,
            "not a string",
        ),
        (
            "POST",
            format!("{T}/experiments/{exp}/executions"),
            "application/json",
            b"{\"journal\": {\"start\": \"yesterday\"}}".to_vec(),
            422,
            "journal.start",
        ),
        (
            "POST",
            format!("{T}/experiments/nope/executions"),
            "application/json",
            b"{\"journal\": {}}".to_vec(),
            404,
            "no experiment",
        ),
        (
            "PUT",
            x.clone(),
            "application/json",
            b"{\"journal\": 1}".to_vec(),
            422,
            "`journal` must be a JSON object",
        ),
        (
            "PUT",
            x.clone(),
            "application/x-www-form-urlencoded",
            b"journal=1".to_vec(),
            415,
            "application/json",
        ),
        (
            "POST",
            format!("{x}/events"),
            "application/cloudevents+json",
            b"{\"specversion\": \"1.0\"".to_vec(),
            400,
            "malformed JSON",
        ),
        (
            "POST",
            format!("{x}/events"),
            "application/cloudevents+json",
            b"{\"specversion\": \"1.0\", \"source\": \"s\", \"type\": \"t\"}".to_vec(),
            422,
            "`id`",
        ),
        ("POST", format!("{x}/events"), "text/xml", event("e-9"), 415, "application/cloudevents+json"),
        (
            "POST",
            "/api/v1/organizations/unknown/teams/team-1/experiments".into(),
            "application/json",
            b"{\"experiment\": {}}".to_vec(),
            404,
            "no organization \"unknown\"",
        ),
        (
            "POST",
            format!("{T}/experiments"),
            "application/json",
            format!("{{\"experiment\": {{\"title\": \"{}\"}}}}", "x".repeat(70_000)).into_bytes(),
            413,
            "limit of 65536 bytes",
        ),
        (
            "PUT",
            format!("{T}/policies/freeze"),
            "application/json",
            b"{\"frozen\": \"yes\"}".to_vec(),
            422,
            "boolean `frozen`",
        ),
    ];
    for (method, path, ct, body, status, needle) in cases {
        let r = c.send(method, &path, Some(ct), Some(&body));
        assert_eq!(r.status, status, "{method} {path} {ct}: {}", r.text());
        let e = r.error();
        assert!(e.contains(needle), "{method} {path}: {e:?} should name {needle:?}");
    }
    // Nothing partial: still the one seeded experiment, execution (unchanged), no event.
    assert_eq!(c.get(&format!("{T}/experiments")).json()["total"], 1);
    assert_eq!(c.get(&format!("{T}/executions")).json()["total"], 1);
    assert_eq!(c.get(&format!("{x}/events")).json()["total"], 0);
    let (journal, _) = stored(&c, &x);
    assert_eq!(journal, "{\"status\":\"running\"}");
    // Bad pagination is refused too.
    assert_eq!(c.get(&format!("{T}/executions?limit=x")).status, 400);
}

fn a_stopped_execution_is_told_to_stop(store: &Store) {
    let (_hub, c) = start(store);
    let (exp, exec) = seed(&c, T);
    let (other_exp, other) = seed(&c, T);
    let x = format!("{T}/experiments/{exp}/executions/{exec}");
    assert_eq!(c.get(&format!("{x}/policies")).json(), json!({"allowed": true, "policies": []}));
    assert_eq!(c.put(&format!("{x}/stop"), &json!({"stopped": true})).status, 200);
    let p = c.get(&format!("{x}/policies")).json();
    assert_eq!(p["allowed"], false);
    assert_eq!(p["policies"][0]["name"], "execution-stop");
    // Only that one: the other execution of the team goes on.
    let y = format!("{T}/experiments/{other_exp}/executions/{other}");
    assert_eq!(c.get(&format!("{y}/policies")).json()["allowed"], true);
    // The interrupted execution shows it.
    let (_, e) = stored(&c, &x);
    assert_eq!(e["interrupted_by"], "execution-stop");
    assert_eq!(e["stopped"], true);
}

fn our_result_kinds_are_listed(store: &Store) {
    let (_hub, c) = start(store);
    let exp =
        c.post(&format!("{T}/experiments"), &json!({"experiment": {"title": "ledger walks"}})).json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let journals = [
        json!({"status": "failed", "start": "2026-11-21T10:00:00Z", "end": "2026-11-21T10:00:02Z",
               "experiment": {"title": "ledger walks"},
               "extensions": [{"name": "chaos-test", "kind": "walks", "walks": [
                   {"name": "bank::deposit=0", "status": "passed", "duration": 0.01},
                   {"name": "bank::deposit=-5", "status": "failed", "failure": "balance < -5"}]}]}),
        json!({"status": "completed", "experiment": {"title": "mutants"},
               "extensions": [{"name": "chaos-test", "kind": "mutants", "mutants": [
                   {"name": "src/lib.rs:3: replace + with -", "outcome": "missed", "diff": "-a + b\n+a - b"},
                   {"name": "src/lib.rs:9: replace > with >=", "outcome": "caught"}]}]}),
        json!({"status": "completed", "experiment": {"title": "load"},
               "extensions": [{"name": "chaos-test", "kind": "load", "histograms": [
                   {"name": "GET /", "buckets": [[1, 10], [2, 30], [4, 5]]}]}]}),
    ];
    for j in &journals {
        let r = c.post(&format!("{T}/experiments/{exp}/executions"), &json!({"journal": j}));
        assert_eq!(r.status, 201, "{}", r.text());
    }
    for (kind, failures) in [("walks", 1), ("mutants", 1), ("load", 0)] {
        let l = c.get(&format!("{T}/executions?kind={kind}")).json();
        assert_eq!(l["total"], 1, "{kind}: {l}");
        assert_eq!(l["items"][0]["failures"], failures, "{kind}");
    }
    assert_eq!(c.get(&format!("{T}/executions?status=failed")).json()["total"], 1);
    let bad = json!({"journal": {"extensions": [{"name": "chaos-test", "kind": "walks", "walks": [{"status": "failed"}]}]}});
    let r = c.post(&format!("{T}/experiments/{exp}/executions"), &bad);
    assert_eq!(r.status, 422);
    assert!(r.error().contains("walks[0]"));
}

fn lists_are_paginated(store: &Store) {
    let (_hub, c) = start(store);
    let (exp, _) = seed(&c, T);
    for _ in 0..4 {
        c.post(&format!("{T}/experiments/{exp}/executions"), &json!({"journal": {}}));
    }
    let mut ids = Vec::new();
    for offset in [0, 2, 4] {
        let p = c.get(&format!("{T}/experiments/{exp}/executions?limit=2&offset={offset}")).json();
        assert_eq!(p["total"], 5);
        for i in p["items"].as_array().unwrap() {
            ids.push(i["id"].as_str().unwrap().to_owned());
        }
    }
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!((n, ids.len()), (5, 5), "every execution once across pages");
    assert_eq!(c.get(&format!("{T}/experiments?limit=1")).json()["items"].as_array().unwrap().len(), 1);
}

fn a_revoked_token_is_refused(store: &Store) {
    let db = store.spec();
    let tok = token(&db, "org-1", "team-1", false);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    assert_eq!(c.get("/api/v1/organizations").status, 200);
    let out = std::process::Command::new(crate::support::BIN)
        .args(["hub", "token", "revoke", "--db", &db, &tok])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(c.get("/api/v1/organizations").status, 401);
}
