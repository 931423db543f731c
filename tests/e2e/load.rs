//! The load generator against real servers on loopback: the shop example (hyper, HTTP/1.1
//! and HTTP/2, known delays, a stall switch) and a Python `websockets` echo server.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chaos_test::load::{Executor, LoadTest, Profile, Report, Scenario, Session, StepFuture};

fn rows<'r>(report: &'r Report, name: &str) -> Vec<&'r chaos_test::load::report::Row> {
    report.rows.iter().filter(|r| r.name == name).collect()
}

fn items_and_delays(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        let id = s.iteration() * 7 + s.user();
        s.get("/items/{id}").path("id", id).send().await?.error_for_status()?;
        s.get("/delay/{ms}").path("ms", 20).send().await?.error_for_status()?;
        Ok(())
    })
}

#[test]
fn known_delays_show_in_the_percentiles_and_names_stay_bounded() {
    let shop = shop_example::start().unwrap();
    let scenario = Scenario::new("delays", items_and_delays).base_url(&shop.url());
    let mut test = LoadTest::new(vec![scenario], 4, Duration::from_secs(2));
    test.threads = 2;
    let report = test.run().unwrap();
    let requests: std::collections::BTreeSet<&str> =
        report.rows.iter().filter(|r| r.kind == "request").map(|r| r.name.as_str()).collect();
    // Hundreds of distinct ids, two names.
    assert_eq!(requests, ["GET /delay/{ms}", "GET /items/{id}"].into(), "{requests:?}");
    let delay = rows(&report, "GET /delay/{ms}");
    let items = rows(&report, "GET /items/{id}");
    assert_eq!((delay.len(), items.len()), (1, 1), "one outcome class each (2xx): {:?}", report.rows);
    assert_eq!(report.errors, 0, "{:?}", report.error_messages);
    // The server sleeps 20 ms and 5 ms: no answer is faster (3 significant digits: 0.1%), and
    // the median is the delay plus loopback overhead.
    assert!(delay[0].min_us >= 19_980, "{:?}", delay[0]);
    assert!(delay[0].p50_us < 30_000, "{:?}", delay[0]);
    assert!(items[0].min_us >= 4_995, "{:?}", items[0]);
    assert!(items[0].p50_us < 15_000, "{:?}", items[0]);
    assert!(delay[0].count >= 40, "4 users x 2 s at ~25 ms each: {:?}", delay[0]);
    // The histogram in the results is the real one: decoding it gives the same count.
    let h = chaos_test::load::metrics::decode(&delay[0].histogram).unwrap();
    assert_eq!(h.len(), delay[0].count);
}

/// `POST /stall/MS` on the shop, after `after`, from a thread of its own.
fn stall_later(addr: std::net::SocketAddr, after: Duration, ms: u64) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        std::thread::sleep(after);
        let mut s = TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /stall/{ms} HTTP/1.1\r\nHost: shop\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    })
}

fn front_page(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        s.get("/").send().await?.error_for_status()?;
        Ok(())
    })
}

#[test]
fn the_open_model_shows_a_stall_the_closed_model_hides() {
    // Open model: 100 arrivals/s for 3 s; the server stalls for 1 s after 1 s.
    let shop = shop_example::start().unwrap();
    let mut open =
        LoadTest::new(vec![Scenario::new("front", front_page).base_url(&shop.url())], 1, Duration::ZERO);
    open.executor =
        Executor::Rate { profile: Profile::constant(100.0, Duration::from_secs(3)), max_users: 500 };
    let stall = stall_later(shop.addr, Duration::from_millis(1000), 1000);
    let open = open.run().unwrap();
    stall.join().unwrap();
    // Closed model: 4 users, same stall.
    let shop = shop_example::start().unwrap();
    let closed = LoadTest::new(
        vec![Scenario::new("front", front_page).base_url(&shop.url())],
        4,
        Duration::from_secs(3),
    );
    let stall = stall_later(shop.addr, Duration::from_millis(1000), 1000);
    let closed = closed.run().unwrap();
    stall.join().unwrap();

    let p99 = |r: &Report| rows(r, "GET /")[0].p99_us;
    // Open: ~100 requests arrive during the stall and wait up to 1 s, measured from their
    // intended start: the p99 shows the stall.
    assert!(p99(&open) >= 700_000, "open p99 {} us; {:?}", p99(&open), open.seconds);
    assert!((280..=310).contains(&open.iterations), "{}", open.iterations);
    assert_eq!(open.dropped_iterations, 0);
    // Closed: only the 4 requests in flight wait; thousands of fast ones bury them in the
    // percentiles, but the throughput of the stalled second collapses.
    assert!(p99(&closed) < 100_000, "closed p99 {} us", p99(&closed));
    let per_second: Vec<u64> = closed.seconds.iter().map(|s| s.requests).collect();
    assert!(per_second.len() >= 3, "{per_second:?}");
    // The 1 s stall falls within seconds 1 and 2 (wherever it starts): together they lose at
    // least half a second's worth of the first second's throughput.
    assert!(2 * per_second[0] > per_second[1] + per_second[2] + per_second[0] / 2, "{per_second:?}");
    assert!(
        closed.iterations > open.iterations,
        "the closed model sent more: {} vs {}",
        closed.iterations,
        open.iterations
    );
}

fn sometimes_panics(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        s.get("/").send().await?;
        if s.iteration() % 2 == 1 {
            panic!("scenario bug at iteration {}", s.iteration());
        }
        if s.iteration() % 3 == 2 {
            chaos_test::bail!("checked and failed");
        }
        Ok(())
    })
}

#[test]
fn failing_and_panicking_iterations_are_counted_not_fatal() {
    let shop = shop_example::start().unwrap();
    let scenario = Scenario::new("flaky", sometimes_panics).base_url(&shop.url());
    let report = LoadTest::new(vec![scenario], 2, Duration::from_millis(500)).run().unwrap();
    assert!(report.iterations > 10, "{}", report.iterations);
    assert!(report.failed_iterations >= report.iterations / 2, "{report:?}");
    let messages: Vec<&str> = report.error_messages.iter().map(|(m, _)| m.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("iteration failed: panic: scenario bug at iteration")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("checked and failed")), "{messages:?}");
    assert_eq!(report.errors, 0, "requests themselves succeeded");
}

fn unreachable(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        s.get("/").send().await?;
        Ok(())
    })
}

#[test]
fn an_unreachable_server_gives_errors_in_the_report_not_a_hang() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let scenario = Scenario::new("gone", unreachable).base_url(&format!("http://127.0.0.1:{port}"));
    let started = std::time::Instant::now();
    let report = LoadTest::new(vec![scenario], 2, Duration::from_millis(500)).run().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(report.errors > 0 && report.errors == report.requests, "{report:?}");
    assert!(
        report.error_messages[0].0.contains("cannot connect to 127.0.0.1"),
        "{:?}",
        report.error_messages
    );
}

#[test]
fn bad_settings_are_refused_with_the_setting_named() {
    let s = || Scenario::new("s", unreachable).base_url("http://127.0.0.1:9");
    let e = LoadTest::new(vec![s()], 0, Duration::from_secs(1)).run().unwrap_err().to_string();
    assert!(e.contains("users must be more than 0"), "{e}");
    let e = LoadTest::new(vec![], 1, Duration::from_secs(1)).run().unwrap_err().to_string();
    assert!(e.contains("no scenario"), "{e}");
    let options = chaos_test::load::Options { rate: Some(0.0), ..Default::default() };
    let e = options.to_test(vec![s()]).unwrap_err().to_string();
    assert!(e.contains("rate must be more than 0"), "{e}");
    let options = chaos_test::load::Options { thresholds: vec!["p99 < soon".into()], ..Default::default() };
    let e = options.to_test(vec![s()]).unwrap_err().to_string();
    assert!(e.contains("p99 < soon") && e.contains("accepted"), "{e}");
    let options = chaos_test::load::Options { scenario: Some("nope".into()), ..Default::default() };
    let e = options.to_test(vec![s()]).unwrap_err().to_string();
    assert!(e.contains("no scenario is named `nope`; known: s"), "{e}");
}

#[test]
fn http2_sessions_multiplex_on_one_connection() {
    let shop = shop_example::start().unwrap();
    let scenario = Scenario::new("h2", |s: &Session| -> StepFuture<'_> {
        Box::pin(async move {
            let (a, b, c) = tokio::join!(
                s.get("/items/{id}").path("id", 1).send(),
                s.get("/items/{id}").path("id", 2).send(),
                s.post("/cart").body("x").send()
            );
            a?.error_for_status()?;
            b?.error_for_status()?;
            chaos_test::ensure!(c?.status() == 201);
            Ok(())
        })
    })
    .base_url(&shop.url())
    .http2();
    let report = LoadTest::new(vec![scenario], 2, Duration::from_millis(600)).run().unwrap();
    assert_eq!(report.errors, 0, "{:?}", report.error_messages);
    assert_eq!(report.failed_iterations, 0, "{:?}", report.error_messages);
    // Three concurrent requests of 5 ms, 5 ms and 0 ms: an iteration takes about 5 ms, not 10.
    let iteration = rows(&report, "iteration")[0];
    assert!(iteration.p50_us < 9_000, "{iteration:?}");
}

/// A real WebSocket echo server: Python's `websockets` (installed by .ci/run).
struct Echo(Child, u16);

impl Drop for Echo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn echo_server() -> Echo {
    let script = r#"
import asyncio
from websockets.asyncio.server import serve
async def echo(ws):
    async for message in ws:
        await ws.send(message)
async def main():
    async with serve(echo, "127.0.0.1", 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(60)
asyncio.run(main())
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs (the websockets package is installed by .ci/run)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the echo server printed {line:?}: is `websockets` installed?"));
    Echo(child, port)
}

fn chat(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        let mut ws = s.websocket("/").await?;
        for i in 0..5 {
            let text = format!("user {} says {i}", s.user());
            let back = ws.exchange(&text).await?;
            chaos_test::ensure!(back == text, "echo {back:?} for {text:?}");
        }
        ws.close().await;
        Ok(())
    })
}

#[test]
fn a_websocket_scenario_is_measured_against_a_real_echo_server() {
    let echo = echo_server();
    let scenario = Scenario::new("chat", chat).base_url(&format!("ws://127.0.0.1:{}", echo.1));
    let report = LoadTest::new(vec![scenario], 2, Duration::from_millis(800)).run().unwrap();
    assert_eq!(report.failed_iterations, 0, "{:?}", report.error_messages);
    let connects = rows(&report, "WS /");
    let exchanges = rows(&report, "WS / exchange");
    assert_eq!((connects.len(), exchanges.len()), (1, 1), "{:?}", report.rows);
    assert!(connects[0].count >= 2, "{:?}", connects[0]);
    assert_eq!(exchanges[0].count, 5 * connects[0].count);
    assert!(exchanges[0].p50_us > 0 && exchanges[0].p50_us < 50_000, "{:?}", exchanges[0]);
    assert_eq!(report.requests, connects[0].count + exchanges[0].count);
}

#[test]
fn a_capped_open_model_reports_the_iterations_it_dropped() {
    // 200 arrivals/s, at most 10 in flight, and a server that stalls for 600 ms: arrivals that
    // find every user busy are dropped and counted, not silently delayed.
    let shop = shop_example::start().unwrap();
    let mut test =
        LoadTest::new(vec![Scenario::new("front", front_page).base_url(&shop.url())], 1, Duration::ZERO);
    test.executor =
        Executor::Rate { profile: Profile::constant(200.0, Duration::from_secs(2)), max_users: 10 };
    let stall = stall_later(shop.addr, Duration::from_millis(500), 600);
    let report = test.run().unwrap();
    stall.join().unwrap();
    assert!(report.dropped_iterations >= 60, "{report:?}");
    assert_eq!(report.iterations + report.dropped_iterations, 400, "every arrival either ran or was dropped");
}

#[test]
fn a_ramp_adds_users_over_time() {
    let shop = shop_example::start().unwrap();
    let scenario = Scenario::new("delays", items_and_delays).base_url(&shop.url());
    let mut test = LoadTest::new(vec![scenario], 1, Duration::ZERO);
    // From 0 to 8 users in 2 s, then 8 users for 1 s.
    test.executor = Executor::Users(Profile::parse(0.0, "2s:8,1s:8").unwrap());
    let report = test.run().unwrap();
    let per_second: Vec<u64> = report.seconds.iter().map(|s| s.iterations).collect();
    assert!(per_second.len() >= 3, "{per_second:?}");
    // ~2 users on average in the first second, ~6 in the second, 8 in the third: allow for a
    // busy machine, but the third second must do at least twice the first's work.
    assert!(per_second[0] * 2 < per_second[2] && per_second[0] < per_second[1], "{per_second:?}");
}

fn raw_urls(s: &Session) -> StepFuture<'_> {
    Box::pin(async move {
        // The anti-pattern: the id baked into the path, a new name per request.
        s.get(&format!("/items/{}", s.user() * 1_000_000 + s.iteration())).send().await?;
        Ok(())
    })
}

#[test]
fn raw_urls_do_not_make_unbounded_names() {
    let shop = shop_example::start().unwrap();
    let scenario = Scenario::new("raw", raw_urls).base_url(&shop.url());
    let mut test = LoadTest::new(vec![scenario], 8, Duration::from_secs(3));
    test.threads = 2;
    let report = test.run().unwrap();
    // Every request has a name of its own: each worker (4 users) must pass 200 names.
    assert!(report.requests > 2 * 2 * chaos_test::load::session::MAX_NAMES as u64, "{}", report.requests);
    let names: std::collections::BTreeSet<&str> =
        report.rows.iter().filter(|r| r.kind == "request").map(|r| r.name.as_str()).collect();
    // Each worker thread keeps its own bound.
    assert!(names.len() <= 2 * chaos_test::load::session::MAX_NAMES + 1, "{}", names.len());
    assert!(names.contains("(other names)"), "{names:?}");
    let warned: Vec<&(String, u64)> =
        report.error_messages.iter().filter(|(m, _)| m.contains("distinct names")).collect();
    assert!(
        !warned.is_empty() && warned.iter().map(|(_, n)| n).sum::<u64>() <= 2,
        "once per worker: {warned:?}"
    );
}
