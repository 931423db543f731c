//! The pages in headless Chromium, driven through chromedriver's W3C WebDriver API: sign in,
//! screenshots of the executions list and of an execution with failed walks (their content
//! checked), and the stop switch clicked in the browser.
//!
//! Skipped, saying so, only when chromium or chromedriver is not installed (`.ci/run`
//! installs both).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{HubProc, free_port, request, token};

const T: &str = "/api/v1/organizations/org-1/teams/team-1";

fn installed(names: &[&str]) -> Option<PathBuf> {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A chromedriver process and one headless Chromium session.
struct Driver {
    child: Child,
    addr: SocketAddr,
    session: String,
    profile: tempfile::TempDir,
}

impl Driver {
    fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let port = free_port();
        let mut child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(s)) = child.try_wait() {
                panic!("chromedriver exited: {s}");
            }
            assert!(Instant::now() < deadline, "chromedriver did not listen within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1200,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium.display().to_string(), "args": args}}}});
        let mut d = Driver { child, addr, session: String::new(), profile };
        let v = d.call("POST", "/session", Some(caps));
        d.session = v["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {v}")).to_owned();
        d
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let body = body.map(|b| b.to_string());
        let r = request(
            self.addr,
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_deref().map(str::as_bytes),
        );
        let v = r.json();
        assert_eq!(r.status, 200, "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }

    fn cmd(&self, method: &str, rest: &str, body: Option<Value>) -> Value {
        self.call(method, &format!("/session/{}{rest}", self.session), body)
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        v.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap().to_owned()
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", None).as_str().unwrap().to_owned()
    }

    /// A PNG screenshot, written to `path`.
    fn screenshot(&self, path: &Path) -> Vec<u8> {
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64(b64.as_str().unwrap());
        std::fs::write(path, &png).unwrap();
        png
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = request(self.addr, "DELETE", &format!("/session/{}", self.session), &[], None);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Without a session to end (its start failed), the browser outlives chromedriver:
        // end the processes that use this test's own profile directory, by pid.
        let profile = self.profile.path().display().to_string();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&profile) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
        }
    }
}

fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).map(val).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Width and height of a PNG.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn pages_open_in_headless_chromium_and_the_stop_switch_stops() {
    let (Some(chromium), Some(chromedriver)) =
        (installed(&["chromium", "chromium-browser"]), installed(&["chromedriver"]))
    else {
        eprintln!(
            "SKIPPED: chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hub.db").display().to_string();
    let tok = token(&db, "org-1", "team-1", true);
    let hub = HubProc::start(&db, &[]);
    let c = hub.client(&tok);
    let exp =
        c.post(&format!("{T}/experiments"), &json!({"experiment": {"title": "bank walks"}})).json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let walks = json!({"status": "running", "start": "2026-11-21T10:00:00+00:00", "experiment": {"title": "bank walks"},
        "extensions": [{"name": "chaos-test", "kind": "walks", "walks": [
            {"name": "bank::deposit=0::freeze=true", "status": "passed", "duration": 0.004},
            {"name": "bank::deposit=10::freeze=false", "status": "passed", "duration": 0.003},
            {"name": "bank::deposit=-5::freeze=true", "status": "failed", "duration": 0.002,
             "failure": "invariants: balance -10 < -5"}]}]});
    let exec =
        c.post(&format!("{T}/experiments/{exp}/executions"), &json!({ "journal": walks })).json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let done = json!({"status": "completed", "start": "2026-11-21T09:00:00", "end": "2026-11-21T09:00:01.5",
        "experiment": {"title": "echo says hello"}});
    c.post(&format!("{T}/experiments/{exp}/executions"), &json!({ "journal": done }));
    let event = json!({"specversion": "1.0", "id": "e1", "source": "chaos-test", "type": "starting-walk",
        "time": "2026-11-21T10:00:00+00:00", "data": "{\"context\": {\"name\": \"bank::deposit=0\"}}"});
    let r = crate::support::request(
        hub.addr,
        "POST",
        &format!("{T}/experiments/{exp}/executions/{exec}/events"),
        &[("Authorization", &format!("Bearer {tok}")), ("Content-Type", "application/cloudevents+json")],
        Some(event.to_string().as_bytes()),
    );
    assert_eq!(r.status, 201);

    let d = Driver::start(&chromium, &chromedriver);
    let base = format!("http://{}", hub.addr);
    d.go(&format!("{base}/signin"));
    let input = d.find("input[name=token]");
    d.cmd("POST", &format!("/element/{input}/value"), Some(json!({ "text": tok })));
    let button = d.find("#signin");
    d.cmd("POST", &format!("/element/{button}/click"), Some(json!({})));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !d.cmd("GET", "/url", None).as_str().unwrap().ends_with("/executions") {
        assert!(Instant::now() < deadline, "signed in and sent to the executions list");
        std::thread::sleep(Duration::from_millis(100));
    }

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let png = d.screenshot(&shots.join("hub-executions.png"));
    assert_eq!(png_size(&png).0, 1200);
    let list = d.source();
    for want in ["bank walks", "echo says hello", "running", "completed", "1.500 s", "walks"] {
        assert!(list.contains(want), "the executions list shows {want:?}");
    }

    d.go(&format!("{base}/executions/{exec}"));
    let png = d.screenshot(&shots.join("hub-execution-walks.png"));
    assert!(png_size(&png).1 >= 500);
    let page = d.source();
    let failed = page.find("bank::deposit=-5::freeze=true").expect("the failed walk");
    let passed = page.find("bank::deposit=0::freeze=true").expect("a passed walk");
    assert!(failed < passed, "failed walks come first");
    assert!(page.contains("invariants: balance -10 &lt; -5"), "the failure is shown");
    assert!(page.contains("3 walks, 1 failed"));
    assert!(page.contains("starting-walk"), "the event timeline");

    assert_eq!(c.get(&format!("{T}/experiments/{exp}/executions/{exec}/policies")).json()["allowed"], true);
    let stop = d.find("#stop-switch");
    d.cmd("POST", &format!("/element/{stop}/click"), Some(json!({})));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !d.source().contains("stopped: the next policies answer says no") {
        assert!(Instant::now() < deadline, "the page shows the stop");
        std::thread::sleep(Duration::from_millis(100));
    }
    let p = c.get(&format!("{T}/experiments/{exp}/executions/{exec}/policies")).json();
    assert_eq!(p["allowed"], false, "{p}");
    assert_eq!(p["policies"][0]["name"], "execution-stop");
    eprintln!("screenshots: {}", shots.display());
}
