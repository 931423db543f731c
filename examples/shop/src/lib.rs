//! A tiny shop API on loopback with known delays, for load tests (HTTP/1.1 and HTTP/2):
//!
//! - `GET /` answers at once; `GET /items/{id}` after 5 ms; `GET /delay/{ms}` after `ms`;
//! - `POST /cart` answers 201; any other path 404;
//! - `POST /stall/{ms}` makes every request that arrives in the next `ms` wait until then
//!   (a stalled server, for coordinated-omission tests).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

/// How long `GET /items/{id}` takes.
pub const ITEM_DELAY: Duration = Duration::from_millis(5);

/// A running shop; it serves until the process ends.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Shop {
    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Starts a shop on `127.0.0.1:0` on a thread of its own.
pub fn start() -> std::io::Result<Shop> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let stall: Arc<Mutex<Option<Instant>>> = Arc::default();
    std::thread::Builder::new().name("shop".into()).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                let stall = Arc::clone(&stall);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(req, Arc::clone(&stall)));
                    let _ = auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    })?;
    Ok(Shop { addr })
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    stall: Arc<Mutex<Option<Instant>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if let ["stall", ms] = parts[..] {
        let ms: u64 = ms.parse().unwrap_or(0);
        *stall.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + Duration::from_millis(ms));
        return Ok(answer(StatusCode::NO_CONTENT, ""));
    }
    let until = *stall.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(until) = until {
        tokio::time::sleep_until(until.into()).await;
    }
    Ok(match (req.method().as_str(), &parts[..]) {
        ("GET", [""]) => answer(StatusCode::OK, "shop"),
        ("GET", ["items", id]) => {
            tokio::time::sleep(ITEM_DELAY).await;
            answer(StatusCode::OK, &format!("{{\"id\":\"{id}\"}}"))
        }
        ("GET", ["delay", ms]) => {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            answer(StatusCode::OK, "late")
        }
        ("POST", ["cart"]) => answer(StatusCode::CREATED, "added"),
        _ => answer(StatusCode::NOT_FOUND, "no such page"),
    })
}

fn answer(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = status;
    r
}
