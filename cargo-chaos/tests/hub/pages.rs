//! The pages over plain HTTP: sign-in and the session cookie, CSRF on every form, only the
//! signed-in organization's data, token management for admins.

use serde_json::json;

use crate::support::{Client, HubProc, Resp, request, token};

const T: &str = "/api/v1/organizations/org-1/teams/team-1";

struct Browser {
    addr: std::net::SocketAddr,
    cookie: String,
}

impl Browser {
    fn signin(hub: &HubProc, tok: &str) -> Browser {
        let body = format!("token={tok}");
        let r = request(
            hub.addr,
            "POST",
            "/signin",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &format!("http://{}", hub.addr)),
            ],
            Some(body.as_bytes()),
        );
        assert_eq!(r.status, 303, "{}", r.text());
        assert_eq!(r.header("location"), Some("/executions"));
        let set = r.header("set-cookie").expect("a session cookie").to_owned();
        for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=43200", "Path=/"] {
            assert!(set.contains(attr), "{set} lacks {attr}");
        }
        let cookie = set.split(';').next().unwrap().to_owned();
        Browser { addr: hub.addr, cookie }
    }

    fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, &[("Cookie", &self.cookie)], None)
    }

    fn post(&self, path: &str, form: &str, origin: Option<&str>) -> Resp {
        let mut h =
            vec![("Cookie", self.cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        if let Some(o) = origin {
            h.push(("Origin", o));
        }
        request(self.addr, "POST", path, &h, Some(form.as_bytes()))
    }

    /// The CSRF token in a page's forms.
    fn csrf(&self, path: &str) -> String {
        let page = self.get(path).text();
        let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    }
}

fn seed(c: &Client, title: &str, journal: serde_json::Value) -> String {
    let base = format!(
        "/api/v1/organizations/{}/teams/team-1",
        if title.starts_with("theirs") { "org-2" } else { "org-1" }
    );
    let exp = c.post(&format!("{base}/experiments"), &json!({"experiment": {"title": title}})).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut j = journal;
    j["experiment"] = json!({"title": title});
    let r = c.post(&format!("{base}/experiments/{exp}/executions"), &json!({ "journal": j }));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().unwrap().to_owned()
}

#[test]
fn pages_sign_in_once_and_show_only_the_signed_in_organization() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let mine = token(&db, "org-1", "team-1", false);
    let theirs = token(&db, "org-2", "team-1", false);
    let hub = HubProc::start(&db, &[]);
    let exec = seed(
        &hub.client(&mine),
        "mine: ledger",
        json!({"status": "failed", "start": "2026-11-21T10:00:00", "end": "2026-11-21T10:00:03"}),
    );
    seed(&hub.client(&mine), "mine: second", json!({"status": "completed"}));
    let other = seed(&hub.client(&theirs), "theirs: secret", json!({"status": "completed"}));

    // Without a session, pages send the browser to sign in.
    for path in ["/", "/executions", &format!("/executions/{exec}"), "/policies", "/tokens"] {
        let r = request(hub.addr, "GET", path, &[], None);
        assert_eq!((r.status, r.header("location")), (303, Some("/signin")), "{path}");
        let r = request(hub.addr, "GET", path, &[("Cookie", "chaos_hub_session=forged")], None);
        assert_eq!((r.status, r.header("location")), (303, Some("/signin")), "{path} with a forged cookie");
    }
    for path in
        ["/policies/freeze", &format!("/executions/{exec}/stop"), "/tokens", "/tokens/x/revoke", "/signout"]
    {
        let h = [("Content-Type", "application/x-www-form-urlencoded")];
        let r = request(hub.addr, "POST", path, &h, Some(b"frozen=1&stopped=1&csrf=x"));
        assert_eq!((r.status, r.header("location")), (303, Some("/signin")), "POST {path}");
    }
    let r = request(
        hub.addr,
        "POST",
        "/signin",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"token=chs_nope"),
    );
    assert_eq!(r.status, 401);
    assert!(r.header("set-cookie").is_none());

    let b = Browser::signin(&hub, &mine);
    let list = b.get("/executions");
    assert_eq!(list.status, 200);
    assert!(list.header("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")));
    assert_eq!(list.header("x-frame-options"), Some("DENY"));
    let html = list.text();
    assert!(html.contains("mine: ledger") && html.contains("mine: second"), "{html}");
    assert!(!html.contains("theirs: secret"));
    assert!(html.contains("3.000 s"), "the duration is shown");
    // Filters.
    let failed = b.get("/executions?status=failed").text();
    assert!(failed.contains("mine: ledger") && !failed.contains("mine: second"));
    // One execution; another organization's is not found.
    assert!(b.get(&format!("/executions/{exec}")).text().contains("mine: ledger"));
    assert_eq!(b.get(&format!("/executions/{other}")).status, 404);
}

#[test]
fn every_form_is_protected_against_cross_site_requests() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let tok = token(&db, "org-1", "team-1", true);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    let exec = seed(&c, "running one", json!({"status": "running"}));
    let b = Browser::signin(&hub, &tok);
    let csrf = b.csrf("/policies");
    let origin = format!("http://{}", hub.addr);
    let token_id =
        b.get("/tokens").text().split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    // No token, a wrong token, a foreign origin: refused, nothing changed.
    for (form, from) in [
        ("frozen=1".to_owned(), Some(origin.as_str())),
        ("frozen=1&csrf=abc".to_owned(), Some(origin.as_str())),
        (format!("frozen=1&csrf={csrf}"), Some("http://evil.example")),
    ] {
        assert_eq!(b.post("/policies/freeze", &form, from).status, 403, "{form} from {from:?}");
        assert_eq!(
            b.post(&format!("/executions/{exec}/stop"), &form.replace("frozen", "stopped"), from).status,
            403
        );
        assert_eq!(b.post("/signout", &form, from).status, 403);
        assert_eq!(b.post("/tokens", &format!("team=team-1&{form}"), from).status, 403);
        assert_eq!(b.post(&format!("/tokens/{token_id}/revoke"), &form, from).status, 403);
    }
    assert_eq!(b.get("/tokens").text().matches("<tr>").count(), 2, "no token made: the header row and ours");
    assert_eq!(c.get("/api/v1/organizations").status, 200, "ours is not revoked");
    assert_eq!(c.get(&format!("{T}/executions?status=running")).json()["items"][0]["stopped"], false);
    assert_eq!(c.get(&format!("{T}/policies")).json()["frozen"], false);
    // The page's own form works.
    let r = b.post("/policies/freeze", &format!("frozen=1&reason=release&csrf={csrf}"), Some(&origin));
    assert_eq!((r.status, r.header("location")), (303, Some("/policies")));
    assert_eq!(
        c.get(&format!("{T}/policies")).json(),
        json!({"team": "team-1", "frozen": true, "reason": "release"})
    );
    assert!(b.get("/policies").text().contains("is frozen (release)"));
    // Signing out ends the session.
    assert_eq!(b.post("/signout", &format!("csrf={csrf}"), None).status, 303);
    assert_eq!(b.get("/policies").status, 303);
}

#[test]
fn only_admins_manage_tokens_and_a_new_token_is_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let member = token(&db, "org-1", "team-1", false);
    let admin = token(&db, "org-1", "team-1", true);
    let hub = HubProc::start(&db, &[]);
    assert_eq!(Browser::signin(&hub, &member).get("/tokens").status, 403);
    let b = Browser::signin(&hub, &admin);
    let csrf = b.csrf("/tokens");
    let page = b.post("/tokens", &format!("team=team-1&label=ci&csrf={csrf}"), None).text();
    let at = page.find("id=\"new-token\">").expect("the new token") + 15;
    let new = &page[at..at + 68];
    assert!(new.starts_with("chs_"));
    assert_eq!(hub.client(new).get("/api/v1/organizations").status, 200);
    // Later visits list it by id only.
    assert!(!b.get("/tokens").text().contains(new));
    // Revoking the member's token signs its sessions out and refuses the API.
    let member_session = Browser::signin(&hub, &member);
    let list = b.get("/tokens").text();
    let id = list.split("<code>").nth(1).unwrap().split("</code>").next().unwrap().to_owned();
    assert_eq!(b.post(&format!("/tokens/{id}/revoke"), &format!("csrf={csrf}"), None).status, 303);
    assert_eq!(hub.client(&member).get("/api/v1/organizations").status, 401);
    assert_eq!(member_session.get("/executions").status, 303);
}

#[test]
fn execution_pages_show_surviving_mutants_load_charts_and_interruptions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let tok = token(&db, "org-1", "team-1", false);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    let mutants = seed(
        &c,
        "mutants of ledger",
        json!({"status": "completed", "extensions": [{"name": "chaos-test", "kind": "mutants", "mutants": [
            {"name": "src/lib.rs:3: replace + with -", "outcome": "missed",
             "diff": "--- a/src/lib.rs\n+++ b/src/lib.rs\n-    a + b\n+    a - b"},
            {"name": "src/lib.rs:9: replace > with >=", "outcome": "caught", "diff": "-x > y\n+x >= y"}]}]}),
    );
    let page = Browser::signin(&hub, &tok).get(&format!("/executions/{mutants}")).text();
    assert!(page.contains("2 mutants, 1 survived"), "{page}");
    assert!(page.contains("replace + with -") && !page.contains("replace &gt; with &gt;="), "only survivors");
    assert!(page.contains("<span class=\"diff-add\">+    a - b</span>"));
    let load = seed(
        &c,
        "load of ledger",
        json!({"status": "completed", "extensions": [{"name": "chaos-test", "kind": "load", "histograms": [
            {"name": "GET /accounts", "unit": "ms", "buckets": [[1, 10], [2, 30], [4, 5], [8, 1]]}]}]}),
    );
    let page = Browser::signin(&hub, &tok).get(&format!("/executions/{load}")).text();
    assert!(page.contains("GET /accounts (4 buckets, ms)"), "{page}");
    assert_eq!(page.matches("<rect").count(), 4);
    // A Chaos Toolkit journal's activities and rollbacks.
    let journal: serde_json::Value =
        serde_json::from_str(include_str!("../../testdata/ctk-cloud/journal.json")).unwrap();
    let run = seed(&c, "echo says hello", journal);
    let page = Browser::signin(&hub, &tok).get(&format!("/executions/{run}")).text();
    for want in ["<h2>Activities</h2>", "sleep-a-bit", "read-date", "<h2>Rollbacks</h2>", "say-bye"] {
        assert!(page.contains(want), "{want} in {page}");
    }
    // An execution interrupted by a freeze says so in the list.
    let run = seed(&c, "frozen run", json!({"status": "running"}));
    c.put(&format!("{T}/policies/freeze"), &json!({"frozen": true}));
    let exp = c.get(&format!("{T}/executions?status=running")).json()["items"][0]["experiment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let x = format!("{T}/experiments/{exp}/executions/{run}");
    assert_eq!(c.get(&format!("{x}/policies")).json()["allowed"], false);
    c.put(&x, &json!({"journal": {"status": "interrupted", "experiment": {"title": "frozen run"}}}));
    let list = Browser::signin(&hub, &tok).get("/executions").text();
    assert!(list.contains("interrupted</span> <span class=\"note\">by team-freeze</span>"), "{list}");
}

#[test]
fn the_executions_list_is_paginated() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let tok = token(&db, "org-1", "team-1", false);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    let exp = c.post(&format!("{T}/experiments"), &json!({"experiment": {"title": "many"}})).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..55 {
        let j = json!({"journal": {"status": "completed", "experiment": {"title": format!("run-{i:02}")}}});
        assert_eq!(c.post(&format!("{T}/experiments/{exp}/executions"), &j).status, 201);
    }
    let b = Browser::signin(&hub, &tok);
    let first = b.get("/executions").text();
    assert!(first.contains("page 1 of 2 (55 in all)") && first.contains("href=\"/executions?page=2\""));
    let second = b.get("/executions?page=2").text();
    assert!(second.contains("page 2 of 2"));
    let rows = |html: &str| html.matches("<tr><td><a href=\"/executions/").count();
    assert_eq!((rows(&first), rows(&second)), (50, 5));
    for i in 0..55 {
        let t = format!("run-{i:02}");
        assert!(first.contains(&t) ^ second.contains(&t), "{t} on exactly one page");
    }
}
