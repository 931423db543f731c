//! `cargo chaos proxy --api`: the Toxiproxy-compatible REST API, driven over HTTP against the
//! real binary, with a real echo upstream on loopback. Every socket has a timeout.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_cargo-chaos");
const IO: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- HTTP

struct Resp {
    status: u16,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {} {}", self.status, String::from_utf8_lossy(&self.body))
        })
    }

    /// The refusal's message; checks Toxiproxy's `{"error", "status"}` shape.
    fn error(&self) -> String {
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        let v = self.json();
        assert_eq!(v["status"], json!(self.status), "{v}");
        v["error"].as_str().unwrap_or_else(|| panic!("no error in {v}")).to_owned()
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&[u8]>) -> Resp {
    let mut s = TcpStream::connect_timeout(&addr, IO).expect("connect to the API");
    s.set_read_timeout(Some(IO)).unwrap();
    s.set_write_timeout(Some(IO)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(b) = body {
        req += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len());
    } else if method != "GET" {
        req += "Content-Length: 0\r\n";
    }
    req += "\r\n";
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        s.write_all(b).unwrap();
    }
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status: u16 = line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect(&line);
    let (mut length, mut content_type) = (None, None);
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body = vec![0; n];
            r.read_exact(&mut body).unwrap();
        }
        None => {
            r.read_to_end(&mut body).unwrap();
        }
    }
    Resp { status, content_type, body }
}

// ---------------------------------------------------------------- the API process, the echo

/// `cargo chaos proxy --api 127.0.0.1:0 [extra]`; killed when dropped.
struct Api {
    child: Child,
    addr: SocketAddr,
    lines: Vec<String>,
}

impl Api {
    fn start(extra: &[&str]) -> Api {
        let mut child = Command::new(BIN)
            .args(["proxy", "--api", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cargo-chaos proxy --api");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        let addr = loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap() == 0 {
                panic!("the proxy ended without saying where its API listens: {lines:?}");
            }
            if let Some(a) = line.trim().strip_prefix("api listening on ") {
                break a.parse().unwrap();
            }
            lines.push(line.trim().to_owned());
        };
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Api { child, addr, lines }
    }

    fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path, None)
    }

    fn post(&self, path: &str, v: &Value) -> Resp {
        request(self.addr, "POST", path, Some(v.to_string().as_bytes()))
    }

    fn delete(&self, path: &str) -> Resp {
        request(self.addr, "DELETE", path, None)
    }

    /// Creates a proxy in front of `upstream`; its real listen address.
    fn create(&self, name: &str, upstream: SocketAddr) -> SocketAddr {
        let r = self.post(
            "/proxies",
            &json!({"name": name, "listen": "127.0.0.1:0", "upstream": upstream.to_string()}),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert_eq!(v["enabled"], json!(true));
        let listen: SocketAddr = v["listen"].as_str().unwrap().parse().unwrap();
        assert_ne!(listen.port(), 0, "{v}");
        listen
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An echo server on a free loopback port, one thread per connection.
fn echo() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
                let mut w = s.try_clone().unwrap();
                let mut r = s;
                let _ = std::io::copy(&mut r, &mut w);
            });
        }
    });
    addr
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, IO)?;
    s.set_read_timeout(Some(IO))?;
    s.set_write_timeout(Some(IO))?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// One echo through `addr` on a new connection; how long it took.
fn round_trip(addr: SocketAddr) -> Duration {
    let mut s = connect(addr).expect("connect to the proxy");
    let t = Instant::now();
    s.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    s.read_exact(&mut buf).expect("the echo comes back");
    assert_eq!(&buf, b"ping");
    t.elapsed()
}

/// Reads until EOF or error: the bytes, and whether it ended (rather than timed out).
fn read_all(s: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return (got, false),
            Err(_) => return (got, true),
        }
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn latency_toxic_slows_the_echo_and_deleting_it_restores_it() {
    let api = Api::start(&[]);
    let upstream = echo();
    let v = api.get("/version");
    assert_eq!(v.status, 200);
    assert!(v.json()["version"].as_str().unwrap().starts_with("2."));
    let listen = api.create("echo", upstream);
    assert!(round_trip(listen) < Duration::from_millis(200));

    let r = api.post("/proxies/echo/toxics", &json!({"type": "latency", "attributes": {"latency": 200}}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({"name": "latency_downstream", "type": "latency", "stream": "downstream", "toxicity": 1.0,
               "attributes": {"latency": 200, "jitter": 0}})
    );
    let slow = round_trip(listen);
    assert!(slow >= Duration::from_millis(200), "{slow:?}");

    // Toxiproxy's shapes: a map name -> proxy, and a list of toxics.
    let all = api.get("/proxies").json();
    assert_eq!(
        all,
        json!({"echo": {"name": "echo", "listen": listen.to_string(), "upstream": upstream.to_string(),
                        "enabled": true, "toxics": [{"name": "latency_downstream", "type": "latency",
                        "stream": "downstream", "toxicity": 1.0, "attributes": {"latency": 200, "jitter": 0}}]}})
    );
    let toxics = api.get("/proxies/echo/toxics").json();
    assert_eq!(toxics, all["echo"]["toxics"]);
    assert_eq!(api.get("/proxies/echo/toxics/latency_downstream").json(), toxics[0]);
    assert_eq!(api.get("/proxies/echo").json(), all["echo"]);

    // Update: the fault is replaced.
    let r = api.post("/proxies/echo/toxics/latency_downstream", &json!({"attributes": {"latency": 0}}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["attributes"], json!({"latency": 0, "jitter": 0}));
    assert!(round_trip(listen) < Duration::from_millis(200));
    let r = api.post("/proxies/echo/toxics/latency_downstream", &json!({"attributes": {"latency": 300}}));
    assert_eq!(r.status, 200);
    assert!(round_trip(listen) >= Duration::from_millis(300));

    assert_eq!(api.delete("/proxies/echo/toxics/latency_downstream").status, 204);
    let fast = round_trip(listen);
    assert!(fast < Duration::from_millis(200), "{fast:?}");
    assert_eq!(api.get("/proxies/echo/toxics").json(), json!([]));

    assert_eq!(api.delete("/proxies/echo").status, 204);
    assert_eq!(api.get("/proxies").json(), json!({}));
    assert!(connect(listen).is_err(), "a deleted proxy still listens");
}

#[test]
fn enable_disable_reset_and_populate() {
    let api = Api::start(&[]);
    let upstream = echo();
    let listen = api.create("db", upstream);
    round_trip(listen);

    // Disabling closes the live connections too, at once.
    let mut live = connect(listen).unwrap();
    live.write_all(b"ping").unwrap();
    let mut buf = [0; 4];
    live.read_exact(&mut buf).unwrap();
    let t = Instant::now();
    let r = api.post("/proxies/db", &json!({"enabled": false}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["enabled"], json!(false));
    let (got, ended) = read_all(&mut live);
    assert!(got.is_empty() && ended, "a live connection survived the disable");
    assert!(t.elapsed() < Duration::from_secs(1), "disable took {:?}", t.elapsed());
    assert_eq!(connect(listen).err().map(|e| e.kind()), Some(ErrorKind::ConnectionRefused));

    // PATCH, as Toxiproxy 2.6+ clients send it (POST is the older form).
    let r = request(api.addr, "PATCH", "/proxies/db", Some(br#"{"enabled": true}"#));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["listen"], json!(listen.to_string()), "the port is kept");
    round_trip(listen);

    // A toxic and a disabled proxy, then reset: enabled, no toxics.
    let r = api.post(
        "/proxies/db/toxics",
        &json!({"type": "latency", "stream": "upstream", "attributes": {"latency": 500}}),
    );
    assert_eq!(r.json()["name"], json!("latency_upstream"));
    assert_eq!(api.post("/proxies/db", &json!({"enabled": false})).status, 200);
    assert_eq!(api.post("/reset", &json!({})).status, 204);
    let db = api.get("/proxies/db").json();
    assert_eq!(db["enabled"], json!(true));
    assert_eq!(db["toxics"], json!([]));
    assert!(round_trip(listen) < Duration::from_millis(500));

    // Populate: two new proxies, and `db` replaced (new upstream).
    let other = echo();
    let r = api.post(
        "/populate",
        &json!([
            {"name": "a", "listen": "127.0.0.1:0", "upstream": upstream.to_string()},
            {"name": "b", "listen": "127.0.0.1:0", "upstream": other.to_string(), "enabled": true},
            {"name": "db", "listen": "127.0.0.1:0", "upstream": other.to_string()},
        ]),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let proxies = r.json()["proxies"].as_array().unwrap().clone();
    assert_eq!(proxies.len(), 3);
    for p in &proxies {
        round_trip(p["listen"].as_str().unwrap().parse().unwrap());
    }
    let all = api.get("/proxies").json();
    assert_eq!(all.as_object().unwrap().len(), 3);
    assert_eq!(all["db"]["upstream"], json!(other.to_string()));
}

#[test]
fn upstream_and_api_together_make_the_default_proxy() {
    let upstream = echo();
    let api = Api::start(&["--upstream", &upstream.to_string(), "--seed", "7"]);
    let line = api.lines.iter().find(|l| l.starts_with("listening on ")).expect("the default proxy's line");
    let addr: SocketAddr = line["listening on ".len()..].split(' ').next().unwrap().parse().unwrap();
    round_trip(addr);
    let d = api.get("/proxies/default").json();
    assert_eq!(d["listen"], json!(addr.to_string()));
    assert_eq!(d["upstream"], json!(upstream.to_string()));
}

#[test]
fn limit_data_closes_after_n_bytes_and_timeout_stops_data() {
    let api = Api::start(&[]);
    let listen = api.create("lim", echo());
    let r = api.post("/proxies/lim/toxics", &json!({"type": "limit_data", "attributes": {"bytes": 10}}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut s = connect(listen).unwrap();
    s.write_all(&[b'x'; 100]).unwrap();
    let (got, ended) = read_all(&mut s);
    assert!(ended, "limit_data did not close the connection");
    assert_eq!(got.len(), 10, "limit_data let {} bytes through", got.len());

    assert_eq!(api.delete("/proxies/lim/toxics/limit_data_downstream").status, 204);
    let r = api.post("/proxies/lim/toxics", &json!({"type": "timeout", "attributes": {"timeout": 100}}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut s = connect(listen).unwrap();
    let t = Instant::now();
    s.write_all(b"ping").unwrap();
    let (got, ended) = read_all(&mut s);
    assert!(ended, "timeout did not close the connection");
    assert!(got.is_empty(), "data passed a timeout toxic: {got:?}");
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(90) && took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn reset_peer_drops_the_data_and_ends_the_connection() {
    let api = Api::start(&[]);
    let listen = api.create("rst", echo());
    let r = api.post("/proxies/rst/toxics", &json!({"type": "reset_peer", "attributes": {"timeout": 0}}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["attributes"], json!({"timeout": 0}));
    // As Toxiproxy's with timeout 0: the first data is dropped and the connection reset.
    let mut s = connect(listen).unwrap();
    let t = Instant::now();
    s.write_all(b"ping").unwrap();
    let (got, ended) = read_all(&mut s);
    assert!(got.is_empty(), "data passed reset_peer: {got:?}");
    assert!(ended && t.elapsed() < Duration::from_secs(5), "reset_peer did not end the connection");
    // timeout 0 again through an update, then removed: the echo works again.
    let r = api.post("/proxies/rst/toxics/reset_peer_downstream", &json!({"toxicity": 0.0}));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["toxicity"], json!(0.0));
    round_trip(listen);
}

#[test]
fn bandwidth_slows_a_large_echo() {
    let api = Api::start(&[]);
    let listen = api.create("bw", echo());
    // 20 KB/s downstream: 10,000 bytes take about half a second.
    let r = api.post("/proxies/bw/toxics", &json!({"type": "bandwidth", "attributes": {"rate": 20}}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut s = connect(listen).unwrap();
    let t = Instant::now();
    s.write_all(&[7; 10_000]).unwrap();
    let mut back = vec![0; 10_000];
    s.read_exact(&mut back).unwrap();
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(350) && took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn bad_input_is_a_4xx_with_a_json_error() {
    let api = Api::start(&[]);
    let upstream = echo();
    api.create("p", upstream);

    let r = request(api.addr, "POST", "/proxies", Some(b"{\"name\": "));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("JSON"), "{}", r.error());

    let r = api.post("/proxies/p/toxics", &json!({"type": "fluffy"}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("fluffy"), "{}", r.error());

    let r = api.post("/proxies/p/toxics", &json!({"type": "latency", "stream": "sideways"}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("sideways"), "{}", r.error());

    let r = api.post("/proxies/p/toxics", &json!({"type": "latency", "attributes": {"latency": "slow"}}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("latency"), "{}", r.error());

    let r = api.post("/proxies/p/toxics", &json!({"type": "latency", "toxicity": 1.5}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("toxicity"), "{}", r.error());

    let r = api.get("/proxies/nope");
    assert_eq!(r.status, 404);
    assert!(r.error().contains("nope"), "{}", r.error());
    let r = api.post("/proxies/nope/toxics", &json!({"type": "latency"}));
    assert_eq!(r.status, 404);
    let r = api.delete("/proxies/p/toxics/nope");
    assert_eq!(r.status, 404);
    assert!(r.error().contains("toxic not found: nope"), "{}", r.error());

    let r = api
        .post("/proxies", &json!({"name": "p", "listen": "127.0.0.1:0", "upstream": upstream.to_string()}));
    assert_eq!(r.status, 409);
    assert!(r.error().contains("already exists"), "{}", r.error());
    assert_eq!(api.post("/proxies/p/toxics", &json!({"type": "latency"})).status, 200);
    let r = api.post("/proxies/p/toxics", &json!({"type": "latency"}));
    assert_eq!(r.status, 409);
    assert!(r.error().contains("latency_downstream"), "{}", r.error());

    let r = api.post("/proxies", &json!({"listen": "127.0.0.1:0", "upstream": upstream.to_string()}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("name"), "{}", r.error());
    let r = api.post("/populate", &json!({"name": "x"}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("list"), "{}", r.error());
    let dup = json!({"name": "x", "listen": "127.0.0.1:0", "upstream": upstream.to_string()});
    let r = api.post("/populate", &json!([dup, dup]));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("duplicate proxy name `x` at proxy 2"), "{}", r.error());
    let r = api.post("/populate", &json!([{"name": "y"}]));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("upstream at proxy 1"), "{}", r.error());

    // A listen address in use: 409 naming it; an upstream that is no address: 400 naming it.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap().to_string();
    let r =
        api.post("/proxies", &json!({"name": "q", "listen": taken_addr, "upstream": upstream.to_string()}));
    assert_eq!(r.status, 409);
    assert!(r.error().contains(&taken_addr), "{}", r.error());
    let r = api.post("/proxies", &json!({"name": "q", "listen": "127.0.0.1:0", "upstream": "no port here"}));
    assert_eq!(r.status, 400);
    assert!(r.error().contains("no port here"), "{}", r.error());
    // Moving `p` onto the taken address fails and leaves it serving where it was.
    let before = api.get("/proxies/p").json();
    let r = api.post("/proxies/p", &json!({"listen": taken_addr}));
    assert_eq!(r.status, 409);
    assert_eq!(api.get("/proxies/p").json(), before);
    round_trip(before["listen"].as_str().unwrap().parse().unwrap());

    // Still serving.
    assert_eq!(api.get("/proxies").json().as_object().unwrap().len(), 1);
}
