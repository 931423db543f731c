//! What the hub tests share: the hub as a real process on a free loopback port, on SQLite or
//! on a real PostgreSQL (initdb + postgres, as the unprivileged `chaos` user when root), and a
//! minimal HTTP/1.1 client over a TCP socket, bounded in time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_cargo-chaos");

// ---------------------------------------------------------------- HTTP

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {} {}", self.status, self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The JSON error message of a refusal.
    pub fn error(&self) -> String {
        assert_eq!(self.header("content-type"), Some("application/json"), "{} {}", self.status, self.text());
        self.json()["error"].as_str().unwrap_or_else(|| panic!("no `error` in {}", self.text())).to_owned()
    }
}

/// One request on its own connection (`Connection: close`).
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Resp {
    try_request(addr, method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

pub fn try_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req += &format!("{k}: {v}\r\n");
    }
    if let Some(b) = body {
        req += &format!("Content-Length: {}\r\n", b.len());
    }
    req += "\r\n";
    s.write_all(req.as_bytes())?;
    if let Some(b) = body {
        // The server may answer (413) before reading it all.
        let _ = s.write_all(b);
    }
    let mut raw = Vec::new();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut hs = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            hs.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let chunked =
        hs.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if method != "HEAD" {
        if chunked {
            loop {
                line.clear();
                r.read_line(&mut line)?;
                let n = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
                if n == 0 {
                    break;
                }
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk)?;
                raw.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(n) = hs.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
            // Some servers (chromedriver) keep the connection open despite `Connection: close`.
            raw = vec![0; n.1.parse().map_err(std::io::Error::other)?];
            r.read_exact(&mut raw)?;
        } else {
            r.read_to_end(&mut raw)?;
        }
    }
    Ok(Resp { status, headers: hs, body: raw })
}

/// A client of one hub with one token.
#[derive(Clone, Debug)]
pub struct Client {
    pub addr: SocketAddr,
    pub token: String,
}

impl Client {
    pub fn send(&self, method: &str, path: &str, ctype: Option<&str>, body: Option<&[u8]>) -> Resp {
        let auth = format!("Bearer {}", self.token);
        let mut h = vec![("Authorization", auth.as_str()), ("Accept", "application/json")];
        if let Some(c) = ctype {
            h.push(("Content-Type", c));
        }
        request(self.addr, method, path, &h, body)
    }
    pub fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None, None)
    }
    pub fn post(&self, path: &str, v: &Value) -> Resp {
        self.send("POST", path, Some("application/json"), Some(v.to_string().as_bytes()))
    }
    pub fn put(&self, path: &str, v: &Value) -> Resp {
        self.send("PUT", path, Some("application/json"), Some(v.to_string().as_bytes()))
    }
}

// ---------------------------------------------------------------- the hub

/// A hub process; killed (SIGKILL) when dropped.
pub struct HubProc {
    child: Child,
    pub addr: SocketAddr,
}

impl HubProc {
    pub fn start(db: &str, extra: &[&str]) -> HubProc {
        let mut child = Command::new(BIN)
            .args(["hub", "--listen", "127.0.0.1:0", "--db", db])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cargo-chaos hub");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).expect("read the hub's first line");
        let addr = line
            .trim()
            .strip_prefix("chaos hub listening on http://")
            .unwrap_or_else(|| panic!("the hub did not say where it listens: {line:?}"))
            .parse()
            .unwrap();
        // Keep draining stdout so the hub never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        HubProc { child, addr }
    }

    pub fn client(&self, token: &str) -> Client {
        Client { addr: self.addr, token: token.to_owned() }
    }

    /// SIGKILL, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HubProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cargo chaos hub token create`: the printed token.
pub fn token(db: &str, org: &str, team: &str, admin: bool) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["hub", "token", "create", "--db", db, "--org", org, "--team", team]);
    if admin {
        cmd.arg("--admin");
    }
    let out = cmd.output().expect("run token create");
    assert!(out.status.success(), "token create failed: {}", String::from_utf8_lossy(&out.stderr));
    let t = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(t.starts_with("chs_") && t.len() == 68, "{t:?}");
    t
}

// ---------------------------------------------------------------- stores

/// Where a test's hub keeps its data.
pub enum Store {
    Sqlite(tempfile::TempDir),
    Postgres(String),
}

impl Store {
    pub fn spec(&self) -> String {
        match self {
            Store::Sqlite(dir) => dir.path().join("hub.db").display().to_string(),
            Store::Postgres(url) => url.clone(),
        }
    }
}

/// A port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn find(binary: &str) -> PathBuf {
    let dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("bin")),
        );
    for dir in dirs {
        if dir.join(binary).is_file() {
            return dir.join(binary);
        }
    }
    panic!("`{binary}` is not installed: apt-get install postgresql (.ci/run does this)");
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs `program` as the unprivileged `chaos` user when we are root (PostgreSQL refuses root).
fn as_user(program: &Path) -> Command {
    if running_as_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "chaos", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// A PostgreSQL cluster in a temp dir on a free loopback port, trust auth; stopped on drop.
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    port: u16,
    databases: usize,
}

impl Postgres {
    pub fn start() -> Postgres {
        let dir = std::env::temp_dir().join(format!("chaos-hub-pg-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        if running_as_root() {
            let ok = Command::new("chown").args(["-R", "chaos:chaos"]).arg(&dir).status().unwrap().success();
            assert!(ok, "chown {} to the `chaos` user failed: create it with `useradd chaos`", dir.display());
        }
        let data = dir.join("data");
        let out = as_user(&find("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = free_port();
        // fsync stays on: the kill test relies on acknowledged writes being durable.
        let mut child = as_user(&find("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"])
            .arg("-k")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("postgres exited before listening: {status}");
            }
            assert!(Instant::now() < deadline, "postgres did not listen on {addr} within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Postgres { child, dir, port, databases: 0 }
    }

    /// A fresh, empty database's URL.
    pub fn database(&mut self) -> String {
        self.databases += 1;
        let name = format!("hub{}", self.databases);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = as_user(&find("createdb"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", &name])
                .output()
                .expect("run createdb");
            if out.status.success() {
                break;
            }
            // Just after start, the server may still refuse connections.
            assert!(Instant::now() < deadline, "createdb failed: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(200));
        }
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // runuser does not forward SIGINT, and SIGKILL on it would orphan postgres: ask
        // postgres itself to stop (fast: disconnect clients), and wait for it.
        let _ = as_user(&find("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "fast", "-w", "-t", "10"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs each case on a fresh store of each kind: SQLite files, and databases of one real
/// PostgreSQL started for the run. Names the case that failed.
/// A named test case run on one store.
pub type Case = (&'static str, fn(&Store));

pub fn on_sqlite(cases: &[Case]) {
    for (name, case) in cases {
        eprintln!("sqlite: {name}");
        let store = Store::Sqlite(tempfile::tempdir().unwrap());
        case(&store);
    }
}

pub fn on_postgres(cases: &[Case]) {
    let mut pg = Postgres::start();
    for (name, case) in cases {
        eprintln!("postgres: {name}");
        let store = Store::Postgres(pg.database());
        case(&store);
    }
}

/// The recorded request sequences of the real client (copied from the research into
/// `testdata/ctk-cloud/`).
pub fn recording(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/ctk-cloud").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
