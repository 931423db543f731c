//! HTTP for sessions: keep-alive connections per origin, HTTP/1.1 through [`h1`] (a small
//! pool, so concurrent requests of one session each get a connection) or HTTP/2 with prior
//! knowledge through hyper (one connection, requests multiplexed).

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http2;
use hyper::{Request, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::{LoadError, h1};

/// Which HTTP version a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// HTTP/1.1 with keep-alive.
    #[default]
    Http1,
    /// HTTP/2 over cleartext with prior knowledge (h2c), requests multiplexed on one connection.
    Http2,
}

/// A parsed `http://host:port/prefix` (or `ws://`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `host:port`, as connected to and sent in `Host`.
    pub authority: String,
    /// The path every relative request is appended to, without a trailing `/`.
    pub prefix: String,
}

impl Origin {
    /// Parses a base URL; only `http` and `ws` (TLS is not supported: load tests run on loopback
    /// or behind a TLS-terminating proxy).
    pub fn parse(url: &str) -> Result<Origin, LoadError> {
        let bad = |why: &str| {
            LoadError::new(format!("{url:?} is not a usable URL: {why}; accepted: http://HOST[:PORT][/PATH]"))
        };
        let uri: Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
        let scheme = uri.scheme_str().ok_or_else(|| bad("no scheme"))?;
        let default_port = match scheme {
            "http" | "ws" => 80,
            "https" | "wss" => return Err(bad("TLS (https, wss) is not supported")),
            other => return Err(bad(&format!("unknown scheme `{other}`"))),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let port = authority.port_u16().unwrap_or(default_port);
        let prefix = uri.path().trim_end_matches('/').to_string();
        Ok(Origin { authority: format!("{}:{port}", authority.host()), prefix })
    }
}

/// A request ready to go: where, what, and its (validated) headers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The method.
    pub method: hyper::Method,
    /// `host:port` to connect to.
    pub authority: String,
    /// Path and query.
    pub target: String,
    /// Headers, names and values already checked.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

/// The connections of one session.
#[derive(Default)]
pub struct Pool {
    protocol: Protocol,
    idle: RefCell<HashMap<String, Vec<h1::Conn>>>,
    h2: RefCell<HashMap<String, http2::SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("protocol", &self.protocol).finish_non_exhaustive()
    }
}

/// Response headers: the raw HTTP/1.1 head (parsed on demand) or HTTP/2's map.
#[derive(Debug)]
pub enum Headers {
    /// HTTP/1.1.
    Raw(h1::RawHead),
    /// HTTP/2.
    Map(hyper::HeaderMap),
}

impl Headers {
    /// A header's value, if present and text.
    pub fn get(&self, name: &str) -> Option<&str> {
        match self {
            Headers::Raw(head) => head.get(name),
            Headers::Map(map) => map.get(name).and_then(|v| v.to_str().ok()),
        }
    }
}

/// A response, its body read whole.
#[derive(Debug)]
pub struct Raw {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Headers,
    /// The body.
    pub body: Bytes,
}

impl Pool {
    /// A pool speaking `protocol`.
    pub fn new(protocol: Protocol) -> Pool {
        Pool { protocol, ..Pool::default() }
    }

    /// Sends a request and reads the whole response, within `timeout`.
    pub async fn send(&self, request: Outgoing, timeout: Duration) -> Result<Raw, LoadError> {
        let work = async {
            match self.protocol {
                Protocol::Http1 => self.send_h1(&request).await,
                Protocol::Http2 => self.send_h2(&request).await,
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(LoadError::new(format!("no response within {timeout:?}"))),
        }
    }

    async fn send_h1(&self, request: &Outgoing) -> Result<Raw, LoadError> {
        let bytes = h1::serialise(
            request.method.as_str(),
            &request.target,
            &request.authority,
            &request.headers,
            &request.body,
        );
        let head_only = request.method == hyper::Method::HEAD;
        let authority = request.authority.as_str();
        // A kept-alive connection the server has closed since answers nothing: then the request
        // goes once more on a new connection (only when the first attempt reused one).
        let reused = self.idle.borrow_mut().get_mut(authority).and_then(Vec::pop);
        let was_reused = reused.is_some();
        let mut conn = match reused {
            Some(c) => c,
            None => h1::Conn::open(authority).await?,
        };
        let answer = match conn.exchange(&bytes, head_only).await {
            Ok(a) => a,
            Err(f) if f.nothing_back && was_reused => {
                conn = h1::Conn::open(authority).await?;
                conn.exchange(&bytes, head_only).await.map_err(|f| f.error)?
            }
            Err(f) => return Err(f.error),
        };
        if answer.reusable {
            let mut idle = self.idle.borrow_mut();
            match idle.get_mut(authority) {
                Some(conns) => conns.push(conn),
                None => {
                    idle.insert(authority.to_string(), vec![conn]);
                }
            }
        }
        Ok(Raw { status: answer.status, headers: Headers::Raw(answer.head), body: answer.body })
    }

    async fn send_h2(&self, request: &Outgoing) -> Result<Raw, LoadError> {
        let authority = request.authority.as_str();
        let existing = self.h2.borrow().get(authority).filter(|s| !s.is_closed()).cloned();
        let mut sender = match existing {
            Some(s) => s,
            None => {
                let stream = TcpStream::connect(authority)
                    .await
                    .map_err(|e| LoadError::new(format!("cannot connect to {authority}: {e}")))?;
                let _ = stream.set_nodelay(true);
                let (sender, conn) = http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                    .await
                    .map_err(|e| LoadError::new(format!("HTTP/2 handshake with {authority} failed: {e}")))?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                self.h2.borrow_mut().insert(authority.to_string(), sender.clone());
                sender
            }
        };
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(format!("http://{authority}{}", request.target));
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let req = builder.body(Full::new(request.body.clone())).map_err(|e| {
            LoadError::new(format!("{} {}: not a valid request: {e}", request.method, request.target))
        })?;
        sender.ready().await.map_err(|e| LoadError::new(format!("HTTP/2 connection to {authority}: {e}")))?;
        let response = sender
            .send_request(req)
            .await
            .map_err(|e| LoadError::new(format!("request to {authority} failed: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| LoadError::new(format!("reading the response body failed: {e}")))?
            .to_bytes();
        Ok(Raw { status: parts.status.as_u16(), headers: Headers::Map(parts.headers), body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_with_default_ports_and_prefixes() {
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080/api/").unwrap(),
            Origin { authority: "127.0.0.1:8080".into(), prefix: "/api".into() }
        );
        assert_eq!(Origin::parse("ws://localhost").unwrap().authority, "localhost:80");
        let e = Origin::parse("https://example.org").unwrap_err().to_string();
        assert!(e.contains("TLS") && e.contains("https://example.org"), "{e}");
        assert!(Origin::parse("ftp://x").unwrap_err().to_string().contains("ftp"));
        assert!(Origin::parse("not a url").is_err());
    }
}
