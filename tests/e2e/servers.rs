//! Real backends on loopback, started by the tests and stopped when dropped: redis-server and
//! PostgreSQL (initdb + postgres, run as the unprivileged `chaos` user when the tests run as
//! root, since PostgreSQL refuses root). A missing binary fails the test with the install
//! step to run; it is never skipped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn find(binary: &str, hint: &str) -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/bin")])
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("bin")),
        );
    for dir in candidates {
        let path = dir.join(binary);
        if path.is_file() {
            return path;
        }
    }
    panic!("`{binary}` is not installed: {hint} (.ci/run does this)");
}

fn wait_for_port(addr: SocketAddr, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on {addr}: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not listen on {addr} within 30 s");
}

/// A redis-server on a free loopback port, without persistence.
pub struct Redis {
    child: Child,
    pub addr: SocketAddr,
}

impl Redis {
    pub fn start() -> Redis {
        let port = free_port();
        let mut child = Command::new(find("redis-server", "apt-get install redis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--protected-mode", "no", "--maxclients", "20000"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_for_port(addr, &mut child, "redis-server");
        Redis { child, addr }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs `program` as the unprivileged user when we are root.
fn as_user(program: &Path) -> Command {
    if running_as_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "chaos", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// A PostgreSQL cluster in a temp dir, trust auth for `postgres` on loopback.
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    pub addr: SocketAddr,
}

impl Postgres {
    pub fn start() -> Postgres {
        let initdb = find("initdb", "apt-get install postgresql");
        let postgres = find("postgres", "apt-get install postgresql");
        let dir = std::env::temp_dir().join(format!("chaos-pg-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        if running_as_root() {
            let status = Command::new("chown").args(["-R", "chaos:chaos"]).arg(&dir).status().expect("chown");
            assert!(
                status.success(),
                "chown {} to the `chaos` user failed: create it with `useradd chaos`",
                dir.display()
            );
        }
        let data = dir.join("data");
        let out = as_user(&initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
            .output()
            .expect("run initdb");
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = free_port();
        let mut child = as_user(&postgres)
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .arg("-k")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start postgres");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        wait_for_port(addr, &mut child, "postgres");
        // The port opens before the server takes sessions ("the database system is starting
        // up"): wait for a real session, bounded.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match postgres::Client::connect(&Postgres::url(addr), postgres::NoTls) {
                Ok(_) => break,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
                Err(e) => panic!("postgres on {addr} takes no session after 30 s: {e}"),
            }
        }
        Postgres { child, dir, addr }
    }

    /// A connection string for the `postgres` user at `addr` (the server or a proxy).
    pub fn url(addr: SocketAddr) -> String {
        format!("host={} port={} user=postgres dbname=postgres connect_timeout=5", addr.ip(), addr.port())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // runuser does not forward SIGINT, and SIGKILL on it would orphan postgres: ask
        // postgres itself to stop (fast: disconnect clients), and wait for it.
        let _ = as_user(&find("pg_ctl", "apt-get install postgresql"))
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
