//! `cargo chaos load`: the URL mode against the shop example on loopback, thresholds and exit
//! codes, the `--test` mode on the shop's scenarios, and the HTML report in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chaos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .arg("chaos")
        .arg("load")
        .args(args)
        .env_remove("CHAOS_LOAD")
        .output()
        .expect("cargo-chaos runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn results(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

#[test]
fn thresholds_decide_the_exit_code() {
    let shop = shop_example::start().unwrap();
    let url = format!("{}/items/42", shop.url());
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_str().unwrap();

    let pass = chaos(&[
        &url,
        "-c",
        "4",
        "-z",
        "1s",
        "-q",
        "--out",
        out,
        "--threshold",
        "p99 < 5s",
        "--threshold",
        "errors < 1%",
    ]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass));
    assert!(text(&pass).contains("threshold pass: p99 < 5s"), "{}", text(&pass));
    let r = results(out_dir.path());
    assert_eq!(r["passed"], true);
    assert!(r["requests"].as_u64().unwrap() > 50, "{r}");
    let request = r["rows"].as_array().unwrap().iter().find(|row| row["kind"] == "request").unwrap();
    assert_eq!(request["name"], "GET /items/42", "the URL mode names the request by its path");

    // Every answer takes at least 5 ms: a p50 under 1 ms must fail, and so does the run.
    let fail = chaos(&[&url, "-c", "2", "-z", "1s", "-q", "--out", out, "--threshold", "p50 < 1ms"]);
    assert_eq!(fail.status.code(), Some(99), "{}", text(&fail));
    assert!(text(&fail).contains("threshold FAIL: p50 < 1ms"), "{}", text(&fail));
    assert_eq!(results(out_dir.path())["thresholds"][0]["passed"], false);
    assert!(
        out_dir.path().with_extension("old").join("results.json").exists(),
        "the previous run is kept as .old"
    );

    // 404s are errors: an error-rate threshold catches them.
    let missing = format!("{}/no/such/page", shop.url());
    let errors =
        chaos(&[&missing, "-c", "1", "-z", "500ms", "-q", "--out", out, "--threshold", "errors < 1%"]);
    assert_eq!(errors.status.code(), Some(99), "{}", text(&errors));
    assert!(text(&errors).contains("HTTP 404"), "{}", text(&errors));
}

#[test]
fn bad_input_is_refused_with_the_input_named() {
    let cases: [(&[&str], &str); 6] = [
        (&["http://127.0.0.1:9/", "--threshold", "p99 < soon"], "threshold \"p99 < soon\""),
        (&["http://127.0.0.1:9/", "-c", "0"], "--users: 0 users"),
        (&["http://127.0.0.1:9/", "--rate", "0"], "rate must be more than 0"),
        (&["http://127.0.0.1:9/", "-z", "ten"], "--duration: \"ten\" is not a duration"),
        (&["https://127.0.0.1:9/"], "TLS (https, wss) is not supported"),
        (&[], "nothing to load"),
    ];
    for (args, expected) in cases {
        let out = chaos(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(expected), "{args:?}: {}", text(&out));
    }
}

#[test]
fn an_unreachable_url_ends_on_time_with_its_errors_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out_dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = chaos(&[
        &format!("http://127.0.0.1:{port}/"),
        "-c",
        "2",
        "-z",
        "500ms",
        "-q",
        "--out",
        out_dir.path().to_str().unwrap(),
    ]);
    assert!(started.elapsed().as_secs() < 10);
    assert_eq!(out.status.code(), Some(0), "no threshold set: {}", text(&out));
    let r = results(out_dir.path());
    assert_eq!(r["errors"], r["requests"], "{r}");
    assert!(text(&out).contains("cannot connect to 127.0.0.1"), "{}", text(&out));
}

#[test]
fn the_open_model_runs_at_the_asked_rate() {
    let shop = shop_example::start().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out =
        chaos(&[&shop.url(), "--rate", "200", "-z", "1s", "-q", "--out", out_dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(out_dir.path());
    assert_eq!(r["model"], "open");
    let n = r["iterations"].as_u64().unwrap();
    assert!((190..=201).contains(&n), "200/s for 1 s: {n}");
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn a_test_targets_scenarios_run_as_a_load_test() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .args([
            "chaos",
            "load",
            "--test",
            "shop",
            "-p",
            "shop-example",
            "--users",
            "4",
            "--duration",
            "1s",
            "-q",
        ])
        .args(["--threshold", "checkout: p50 >= 5ms", "--out"])
        .arg(out_dir.path())
        .current_dir(workspace())
        .env_remove("CHAOS_LOAD")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = results(out_dir.path());
    assert_eq!(r["scenarios"], serde_json::json!(["browse", "buy"]));
    let names: Vec<&str> =
        r["rows"].as_array().unwrap().iter().map(|row| row["name"].as_str().unwrap()).collect();
    for name in ["GET /", "GET /items/{id}", "POST /cart", "checkout"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(r["errors"], 0, "{r}");
    assert_eq!(r["thresholds"][0]["passed"], true, "checkout includes a 5 ms item: {r}");
}

/// Debian's chromium, headless, as root (flags that keep it off the closed network).
fn chromium(args: &[&str], profile: &Path) -> Output {
    Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium is installed (.ci/run installs Debian's chromium)")
}

#[test]
fn the_html_report_renders_its_charts_in_chromium() {
    let shop = shop_example::start().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let url = format!("{}/items/1", shop.url());
    let out = chaos(&[
        &url,
        "-c",
        "4",
        "-z",
        "2s",
        "-q",
        "--out",
        out_dir.path().to_str().unwrap(),
        "--threshold",
        "p99 < 1us",
    ]);
    assert_eq!(out.status.code(), Some(99), "{}", text(&out));
    let page = format!("file://{}", out_dir.path().join("report.html").display());
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(&["--dump-dom", &page], profile.path());
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in ["chart-throughput", "chart-latency", "chart-spectrum"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing from the rendered page");
    }
    assert_eq!(dom.matches("<polyline").count(), 6, "2 throughput + 3 latency + 1 spectrum series");
    assert!(dom.contains("GET /items/1"), "the per-request table");
    assert!(dom.contains("FAIL") && dom.contains("p99 &lt; 1us"), "the threshold verdict");
    let shot = out_dir.path().join("report.png");
    let taken = chromium(
        &["--window-size=1000,1600", &format!("--screenshot={}", shot.display()), &page],
        profile.path(),
    );
    let png = std::fs::read(&shot).unwrap_or_else(|_| panic!("no screenshot: {}", text(&taken)));
    assert_eq!(&png[1..4], b"PNG");
    assert!(png.len() > 20_000, "a page with charts, not a blank one: {} bytes", png.len());
}

#[test]
fn shards_merge_exactly_and_thresholds_judge_the_whole() {
    let shop = shop_example::start().unwrap();
    let url = format!("{}/items/3", shop.url());
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    // Two shards side by side, as two machines (or two pods of an Indexed Job) would run them.
    let shards: Vec<std::process::Child> = dirs
        .iter()
        .map(|d| {
            Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
                .args(["chaos", "load", &url, "-c", "2", "-z", "1s", "-q", "--out"])
                .arg(d.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut s in shards {
        assert!(s.wait().unwrap().success());
    }
    let parts: Vec<serde_json::Value> = dirs.iter().map(|d| results(d.path())).collect();
    let out_dir = tempfile::tempdir().unwrap();
    let merged_dir = out_dir.path().join("merged");
    let files: Vec<String> =
        dirs.iter().map(|d| d.path().join("results.json").display().to_string()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .args(["chaos", "merge", &files[0], &files[1], "--threshold", "p50 > 4ms", "--out"])
        .arg(&merged_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let m = results(&merged_dir);
    let sum = |field: &str| parts.iter().map(|p| p[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!(m["requests"].as_u64().unwrap(), sum("requests"));
    assert_eq!(m["iterations"].as_u64().unwrap(), sum("iterations"));
    assert_eq!(
        m["generator"]["threads"].as_u64().unwrap(),
        2 * parts[0]["generator"]["threads"].as_u64().unwrap()
    );
    let per_second: u64 =
        m["seconds"].as_array().unwrap().iter().map(|s| s["requests"].as_u64().unwrap()).sum();
    assert_eq!(per_second, sum("requests"));
    assert_eq!(m["thresholds"][0]["passed"], true, "every item takes 5 ms: {m}");
    // The merged percentile lies between the shards' (it is not their average by luck).
    let p50 = |r: &serde_json::Value| {
        r["rows"].as_array().unwrap().iter().find(|row| row["kind"] == "request").unwrap()["p50_us"]
            .as_u64()
            .unwrap()
    };
    let (lo, hi) = (p50(&parts[0]).min(p50(&parts[1])), p50(&parts[0]).max(p50(&parts[1])));
    assert!((lo..=hi).contains(&p50(&m)), "{lo} <= {} <= {hi}", p50(&m));

    let bad = out_dir.path().join("bad.json");
    std::fs::write(&bad, "{\"kind\": \"mutate\"}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-chaos"))
        .args(["chaos", "merge", &files[0]])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("bad.json: not the results.json of cargo chaos load"), "{}", text(&out));
}
