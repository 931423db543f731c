//! The fault proxy in front of real Redis and PostgreSQL servers, driven by their real Rust
//! clients: every fault is observed by the client, as an application would see it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chaos_test::proxy::{Fault, FaultProxy, ProxyError, ms};

use crate::servers::{Postgres, Redis, free_port};

fn redis_at(addr: SocketAddr) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://{addr}/"))?;
    let con = client.get_connection_with_timeout(Duration::from_secs(5))?;
    con.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(con)
}

fn ping(con: &mut redis::Connection) -> redis::RedisResult<String> {
    redis::cmd("PING").query(con)
}

#[test]
fn redis_client_sees_latency_and_recovers_when_the_fault_ends() {
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let mut con = redis_at(proxy.addr()).unwrap();
    assert_eq!(ping(&mut con).unwrap(), "PONG");
    {
        let _slow = proxy.inject(Fault::latency(ms(150)).jitter(ms(20)).downstream()).unwrap();
        let started = Instant::now();
        assert_eq!(ping(&mut con).unwrap(), "PONG");
        let took = started.elapsed();
        assert!(took >= ms(130), "latency not observed: {took:?}");
    }
    let started = Instant::now();
    assert_eq!(ping(&mut con).unwrap(), "PONG");
    assert!(started.elapsed() < ms(100), "latency outlived its guard: {:?}", started.elapsed());
    // Latency pipelines: ten pipelined commands cost one delay, not ten.
    let _slow = proxy.inject(Fault::latency(ms(100)).downstream()).unwrap();
    let mut pipe = redis::pipe();
    for _ in 0..10 {
        pipe.cmd("PING");
    }
    let started = Instant::now();
    let answers: Vec<String> = pipe.query(&mut con).unwrap();
    assert_eq!(answers.len(), 10);
    assert!(started.elapsed() < ms(600), "chunks were delayed one after another: {:?}", started.elapsed());
}

#[test]
fn reset_and_blackout_surface_as_client_errors_and_down_refuses_connections() {
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    {
        let _reset = proxy.inject(Fault::reset().upstream()).unwrap();
        // The client's first bytes (its handshake, or the PING) meet the reset.
        let err = redis_at(proxy.addr()).and_then(|mut c| ping(&mut c)).unwrap_err();
        assert!(err.is_io_error() || err.is_connection_dropped(), "{err:?}");
        assert!(proxy.decisions().iter().any(|d| d.fault == "reset" && d.fired));
    }
    {
        let _blackout = proxy.inject(Fault::blackout()).unwrap();
        let outcome = redis_at(proxy.addr()).and_then(|mut c| ping(&mut c));
        assert!(outcome.is_err(), "blackout let a PING through");
    }
    {
        let _down = proxy.inject(Fault::down()).unwrap();
        std::thread::sleep(ms(100));
        let refused = TcpStream::connect_timeout(&proxy.addr(), ms(500)).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused, "{refused:?}");
    }
    std::thread::sleep(ms(100));
    let mut con = redis_at(proxy.addr()).unwrap();
    assert_eq!(ping(&mut con).unwrap(), "PONG", "the proxy came back after `down`");
}

#[test]
fn a_reset_reaches_the_client_as_a_reset_not_a_clean_close() {
    // A raw client on Redis's port: after the reset it must read ECONNRESET, not an end of
    // stream (a FIN sent before the RST would look like a server that simply hung up).
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let _reset = proxy.inject(Fault::reset().downstream()).unwrap();
    let mut s = TcpStream::connect(proxy.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 64];
    let got = s.read(&mut buf);
    match got {
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e:?}"),
        Ok(n) => panic!("the client read {n} bytes ({:?}) instead of a reset", &buf[..n]),
    }
}

#[test]
fn bandwidth_bounds_throughput_within_ten_percent_and_limit_data_closes_after_n_bytes() {
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let mut con = redis_at(proxy.addr()).unwrap();
    let value = vec![b'v'; 300_000];
    let _: () = redis::cmd("SET").arg("big").arg(&value).query(&mut con).unwrap();
    {
        let rate = 200_000u64; // bytes per second
        let _narrow = proxy.inject(Fault::bandwidth(rate).downstream()).unwrap();
        let started = Instant::now();
        let got: Vec<u8> = redis::cmd("GET").arg("big").query(&mut con).unwrap();
        let took = started.elapsed().as_secs_f64();
        assert_eq!(got.len(), value.len());
        let throughput = value.len() as f64 / took;
        assert!(
            (0.9 * rate as f64..=1.1 * rate as f64).contains(&throughput),
            "throughput {throughput:.0} B/s for a {rate} B/s limit"
        );
    }
    // The counter moves just after each write: let the last piece of the GET above land.
    std::thread::sleep(ms(100));
    let before = proxy.bytes().1;
    let _limit = proxy.inject(Fault::limit_data(1000).downstream().new_connections_only()).unwrap();
    let mut limited = redis_at(proxy.addr()).unwrap();
    let outcome: redis::RedisResult<Vec<u8>> = redis::cmd("GET").arg("big").query(&mut limited);
    assert!(outcome.is_err(), "a 100 kB reply passed a 1000-byte limit");
    std::thread::sleep(ms(100));
    assert_eq!(proxy.bytes().1 - before, 1000, "exactly the limit reached the client\n{}", proxy.report());
}

#[test]
fn postgres_client_sees_latency_and_reset_peer_through_the_proxy() {
    let server = Postgres::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let mut client = postgres::Client::connect(&Postgres::url(proxy.addr()), postgres::NoTls).unwrap();
    let row = client.query_one("SELECT 40 + 2", &[]).unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);
    {
        let _slow = proxy.inject(Fault::latency(ms(120)).upstream()).unwrap();
        let started = Instant::now();
        client.query_one("SELECT 1", &[]).unwrap();
        assert!(started.elapsed() >= ms(120), "latency not observed: {:?}", started.elapsed());
    }
    {
        let _reset = proxy.inject(Fault::reset_peer().downstream()).unwrap();
        let err = client.query_one("SELECT 2", &[]).unwrap_err();
        let io = std::error::Error::source(&err).and_then(|e| e.downcast_ref::<std::io::Error>());
        let reset = io.is_some_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset);
        assert!(reset || err.is_closed(), "neither a reset nor a closed connection: {err:?}");
    }
    // A new connection works once the fault is gone.
    let mut again = postgres::Client::connect(&Postgres::url(proxy.addr()), postgres::NoTls).unwrap();
    assert_eq!(again.query_one("SELECT 7", &[]).unwrap().get::<_, i32>(0), 7);
}

/// Opens `n` connections that each send a PING and read whatever comes back.
fn probe(addr: SocketAddr, n: usize) {
    for _ in 0..n {
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(ms(50)));
            let _ = s.write_all(b"PING\r\n");
            let mut buf = [0u8; 64];
            let _ = s.read(&mut buf);
        }
    }
}

#[test]
fn the_same_seed_draws_the_same_decisions_and_connections_draw_independently() {
    let server = Redis::start();
    let decisions = |seed| {
        let proxy = FaultProxy::builder(server.addr.to_string())
            .seed(seed)
            .fault(Fault::latency(ms(1)).probability(0.5))
            .fault(Fault::garbage(8).upstream().probability(0.3))
            .start()
            .unwrap();
        probe(proxy.addr(), 24);
        std::thread::sleep(ms(50));
        let mut d = proxy.decisions();
        d.sort_by_key(|d| (d.connection, d.fault_id));
        d
    };
    let first = decisions(42);
    assert_eq!(first.len(), 48, "one decision per connection and fault");
    assert_eq!(first, decisions(42));
    let fired: Vec<bool> = first.iter().filter(|d| d.fault_id == 0).map(|d| d.fired).collect();
    assert!(fired.contains(&true) && fired.contains(&false), "every connection drew the same: {fired:?}");
    assert_ne!(first, decisions(43));
}

/// This process's descriptors that are TCP sockets with a local or remote port in `ports`
/// (other tests of this binary open and close descriptors of their own at the same time, so a
/// plain count of /proc/self/fd would not be this test's).
fn sockets_on(ports: &[u16]) -> usize {
    let mut inodes = std::collections::HashSet::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = |addr: &str| addr.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
            if f.len() > 9 && [f[1], f[2]].iter().any(|a| port(a).is_some_and(|p| ports.contains(&p))) {
                inodes.insert(f[9].to_string());
            }
        }
    }
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| {
            let t = target.to_string_lossy();
            t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')).is_some_and(|i| inodes.contains(i))
        })
        .count()
}

#[test]
fn ten_thousand_connections_with_faults_switching_leave_nothing_behind() {
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let addr = proxy.addr();
    let ports = [addr.port(), server.addr.port()];
    assert_eq!(sockets_on(&ports), 1, "the proxy's listener is the one socket on its ports");
    let clients: Vec<_> = (0..8).map(|_| std::thread::spawn(move || probe(addr, 1250))).collect();
    let faults = [
        Fault::latency(ms(1)),
        Fault::reset().probability(0.3),
        Fault::garbage(16).upstream(),
        Fault::slicer(2, 1, Duration::ZERO),
        Fault::blackout().probability(0.2),
        Fault::limit_data(3),
    ];
    let mut i = 0;
    while !clients.iter().all(|c| c.is_finished()) {
        let _guard = proxy.inject(faults[i % faults.len()].clone()).unwrap();
        std::thread::sleep(ms(5));
        i += 1;
    }
    for c in clients {
        c.join().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while proxy.live_connections() > 0 && Instant::now() < deadline {
        std::thread::sleep(ms(20));
    }
    assert_eq!(proxy.connections(), 10_000);
    assert_eq!(proxy.live_connections(), 0, "connection tasks left behind");
    assert!(i > 3, "faults switched {i} times");
    proxy.stop();
    assert_eq!(sockets_on(&ports), 0, "descriptors left open after 10,000 connections and a stop");
}

#[test]
fn an_upstream_that_refuses_is_a_closed_connection_and_a_clear_error_and_the_proxy_stays_up() {
    let port = free_port();
    let proxy = FaultProxy::start(format!("127.0.0.1:{port}")).unwrap();
    let mut s = TcpStream::connect(proxy.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 8];
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the client sees a closed connection");
    std::thread::sleep(ms(50));
    let errors = proxy.errors();
    assert!(errors.iter().any(|e| e.contains(&format!("upstream 127.0.0.1:{port} refused"))), "{errors:?}");
    assert!(TcpStream::connect(proxy.addr()).is_ok(), "the proxy still accepts");
    let bad = FaultProxy::start("no-such-host.invalid:1").unwrap_err();
    assert!(matches!(bad, ProxyError::Upstream { .. }), "{bad}");
    let e = proxy.inject(Fault::latency(ms(1)).probability(2.0)).unwrap_err();
    assert!(e.to_string().contains("parameter `probability` = 2 is out of range"), "{e}");
}

#[tokio::test]
async fn async_tests_scope_a_fault_to_a_future() {
    let server = Redis::start();
    let proxy = FaultProxy::start(server.addr.to_string()).unwrap();
    let addr = proxy.addr();
    let roundtrip = || async move {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, b"PING\r\n").await.unwrap();
        let mut buf = [0u8; 7];
        let started = Instant::now();
        tokio::io::AsyncReadExt::read_exact(&mut s, &mut buf).await.unwrap();
        assert_eq!(&buf, b"+PONG\r\n");
        started.elapsed()
    };
    let slow = proxy.with(Fault::latency(ms(100)), roundtrip()).await.unwrap();
    assert!(slow >= ms(100), "{slow:?}");
    let fast = roundtrip().await;
    assert!(fast < ms(80), "{fast:?}");
}

#[test]
fn a_walk_proxy_of_three_faults_triples_the_walks_each_with_its_own_proxy() {
    let server = Redis::start();
    let f = crate::support::walkers();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("proxies.log");
    let listed = crate::support::Ran::of(f.bin("proxied").arg("--list"));
    assert_eq!(
        listed.listed(),
        [
            "proxied::redis=none::pings=1",
            "proxied::redis=none::pings=2",
            "proxied::redis=latency-30ms::pings=1",
            "proxied::redis=latency-30ms::pings=2",
            "proxied::redis=reset-up::pings=1",
            "proxied::redis=reset-up::pings=2",
        ]
    );
    let ran = crate::support::Ran::of(
        f.bin("proxied")
            .args(["--test-threads", "4"])
            .env("REDIS_ADDR", server.addr.to_string())
            .env("PROXY_LOG", &log)
            .env("CHAOS_TRACE_DIR", dir.path())
            .env("CHAOS_REGRESSIONS", "off"),
    );
    assert_eq!(ran.counts(), (4, 2), "{}", ran.stdout);
    for line in ran.stdout.lines().filter_map(|l| l.strip_prefix("    proxied::")) {
        assert!(line.starts_with("redis=reset-up::"), "only the reset walks fail: {line}");
    }
    let addrs: Vec<String> = std::fs::read_to_string(&log).unwrap().lines().map(str::to_string).collect();
    assert_eq!(addrs.len(), 6, "{addrs:?}");
    let distinct: std::collections::BTreeSet<&String> = addrs.iter().collect();
    assert_eq!(distinct.len(), 6, "walks shared a proxy: {addrs:?}");
}

#[chaos_test::proxy::fault_proxy(upstream = "127.0.0.1:9", seed = 5)]
#[test]
fn the_test_form_hands_the_test_a_started_proxy(proxy: FaultProxy) {
    assert_eq!(proxy.upstream(), "127.0.0.1:9");
    assert_eq!(proxy.seed(), 5);
    assert!(TcpStream::connect(proxy.addr()).is_ok());
}

#[chaos_test::proxy::fault_proxy(upstream = format!("127.0.0.1:{}", 9))]
#[tokio::test]
async fn the_test_form_works_on_async_tests(proxy: FaultProxy) {
    let stream = tokio::net::TcpStream::connect(proxy.addr()).await;
    assert!(stream.is_ok());
}
