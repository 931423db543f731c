//! HTTP for sessions: keep-alive connections per origin over hyper's client connections,
//! HTTP/1.1 (a small pool, so concurrent requests of one session each get a connection) or
//! HTTP/2 with prior knowledge (one connection, requests multiplexed).

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::{Request, Uri};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

use super::LoadError;

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

/// The connections of one session.
#[derive(Default)]
pub struct Pool {
    protocol: Protocol,
    idle: RefCell<HashMap<String, Vec<http1::SendRequest<Full<Bytes>>>>>,
    h2: RefCell<HashMap<String, http2::SendRequest<Full<Bytes>>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("protocol", &self.protocol).finish_non_exhaustive()
    }
}

/// A response, its body read whole.
#[derive(Debug)]
pub struct Raw {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: hyper::HeaderMap,
    /// The body.
    pub body: Bytes,
}

async fn connect(authority: &str) -> Result<TokioIo<TcpStream>, LoadError> {
    let stream = TcpStream::connect(authority)
        .await
        .map_err(|e| LoadError::new(format!("cannot connect to {authority}: {e}")))?;
    let _ = stream.set_nodelay(true);
    Ok(TokioIo::new(stream))
}

impl Pool {
    /// A pool speaking `protocol`.
    pub fn new(protocol: Protocol) -> Pool {
        Pool { protocol, ..Pool::default() }
    }

    /// Sends a request to `authority` and reads the whole response, within `timeout`.
    pub async fn send(
        &self,
        authority: &str,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Raw, LoadError> {
        match tokio::time::timeout(timeout, self.send_now(authority, request)).await {
            Ok(result) => result,
            Err(_) => Err(LoadError::new(format!("no response within {timeout:?}"))),
        }
    }

    async fn send_now(&self, authority: &str, request: Request<Full<Bytes>>) -> Result<Raw, LoadError> {
        match self.protocol {
            Protocol::Http1 => self.send_h1(authority, request).await,
            Protocol::Http2 => self.send_h2(authority, request).await,
        }
    }

    async fn send_h1(&self, authority: &str, request: Request<Full<Bytes>>) -> Result<Raw, LoadError> {
        // A kept-alive connection may have been closed by the server since: then the request is
        // sent again once on a new connection (only when the first attempt reused one).
        let reused = self.idle.borrow_mut().get_mut(authority).and_then(|v| v.pop());
        let retry = reused.is_some().then(|| clone_request(&request));
        let sender = match reused {
            Some(s) if !s.is_closed() => s,
            _ => self.open_h1(authority).await?,
        };
        match self.exchange_h1(authority, sender, request).await {
            Err(e) if e.retryable => match retry {
                Some(again) => {
                    let fresh = self.open_h1(authority).await?;
                    self.exchange_h1(authority, fresh, again).await
                }
                None => Err(e),
            },
            other => other,
        }
    }

    async fn open_h1(&self, authority: &str) -> Result<http1::SendRequest<Full<Bytes>>, LoadError> {
        let io = connect(authority).await?;
        let (sender, conn) = http1::handshake(io)
            .await
            .map_err(|e| LoadError::new(format!("HTTP/1.1 handshake with {authority} failed: {e}")))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    async fn exchange_h1(
        &self,
        authority: &str,
        mut sender: http1::SendRequest<Full<Bytes>>,
        request: Request<Full<Bytes>>,
    ) -> Result<Raw, LoadError> {
        if sender.ready().await.is_err() {
            return Err(LoadError::retryable(format!("connection to {authority} closed")));
        }
        let response = sender.send_request(request).await.map_err(|e| {
            let retryable = e.is_canceled() || e.is_incomplete_message() || e.is_closed();
            LoadError { message: format!("request to {authority} failed: {e}"), retryable }
        })?;
        let raw = read(response).await?;
        if !sender.is_closed() {
            self.idle.borrow_mut().entry(authority.to_string()).or_default().push(sender);
        }
        Ok(raw)
    }

    async fn send_h2(&self, authority: &str, request: Request<Full<Bytes>>) -> Result<Raw, LoadError> {
        let existing = self.h2.borrow().get(authority).filter(|s| !s.is_closed()).cloned();
        let mut sender = match existing {
            Some(s) => s,
            None => {
                let io = connect(authority).await?;
                let (sender, conn) = http2::handshake(TokioExecutor::new(), io)
                    .await
                    .map_err(|e| LoadError::new(format!("HTTP/2 handshake with {authority} failed: {e}")))?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                self.h2.borrow_mut().insert(authority.to_string(), sender.clone());
                sender
            }
        };
        sender.ready().await.map_err(|e| LoadError::new(format!("HTTP/2 connection to {authority}: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| LoadError::new(format!("request to {authority} failed: {e}")))?;
        read(response).await
    }
}

async fn read(response: hyper::Response<hyper::body::Incoming>) -> Result<Raw, LoadError> {
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| LoadError::new(format!("reading the response body failed: {e}")))?
        .to_bytes();
    Ok(Raw { status: parts.status.as_u16(), headers: parts.headers, body })
}

fn clone_request(request: &Request<Full<Bytes>>) -> Request<Full<Bytes>> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    copy
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
