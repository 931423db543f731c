//! A lean HTTP/1.1 client connection: the request written straight to the socket, the
//! response parsed with httparse in the caller's own future (no connection task, no channel),
//! so a user costs about what a wrk connection costs. Bodies: `Content-Length`, chunked, or
//! until close; `1xx` answers skipped; no body for `HEAD`, `204` and `304`.

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::LoadError;

/// Response headers kept as the raw head and parsed only when asked for.
#[derive(Debug, Clone, Default)]
pub struct RawHead(pub Bytes);

impl RawHead {
    /// The value of header `name` (case-insensitive), if present and text.
    pub fn get(&self, name: &str) -> Option<&str> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        response.parse(&self.0).ok()?;
        let value = response.headers.iter().find(|h| h.name.eq_ignore_ascii_case(name))?.value;
        std::str::from_utf8(value).ok()
    }
}

/// One kept-alive connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` not consumed yet.
    filled: usize,
}

/// What a response was, and whether the connection can serve another request.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// The head (status line and headers).
    pub head: RawHead,
    /// The body.
    pub body: Bytes,
    /// The server keeps the connection open.
    pub reusable: bool,
}

/// Why an exchange failed, and whether nothing at all came back (a kept-alive connection the
/// server had closed: worth one retry on a new connection).
#[derive(Debug)]
pub struct Failure {
    /// The error.
    pub error: LoadError,
    /// No byte of an answer arrived.
    pub nothing_back: bool,
}

impl Conn {
    /// Connects (TCP_NODELAY on).
    pub async fn open(authority: &str) -> Result<Conn, LoadError> {
        let stream = TcpStream::connect(authority)
            .await
            .map_err(|e| LoadError::new(format!("cannot connect to {authority}: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn { stream, buf: vec![0; 16 * 1024], filled: 0 })
    }

    /// Sends one request (already serialised) and reads its whole answer.
    pub async fn exchange(&mut self, request: &[u8], head_only: bool) -> Result<Answer, Failure> {
        let fail =
            |message: String, nothing_back: bool| Failure { error: LoadError::new(message), nothing_back };
        if let Err(e) = self.stream.write_all(request).await {
            return Err(fail(format!("sending the request failed: {e}"), true));
        }
        loop {
            let (status, head_len, framing, close) = self.read_head().await?;
            if (100..200).contains(&status) && status != 101 {
                self.consume(head_len);
                continue;
            }
            let head = Bytes::copy_from_slice(&self.buf[..head_len]);
            self.consume(head_len);
            let no_body = head_only || status == 204 || status == 304 || (100..200).contains(&status);
            let (body, reusable) = if no_body {
                (Bytes::new(), !close)
            } else {
                match framing {
                    Framing::Length(n) => (self.read_exact(n).await?, !close),
                    Framing::Chunked => (self.read_chunked().await?, !close),
                    Framing::UntilClose => (self.read_to_close().await?, false),
                }
            };
            return Ok(Answer { status, head: RawHead(head), body, reusable });
        }
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn fill(&mut self) -> Result<usize, Failure> {
        if self.filled == self.buf.len() {
            let grown = (self.buf.len() * 2).min(64 * 1024 * 1024);
            if grown == self.buf.len() {
                return Err(Failure {
                    error: LoadError::new("a response head over 64 MiB".into()),
                    nothing_back: false,
                });
            }
            self.buf.resize(grown, 0);
        }
        let filled = self.filled;
        match self.stream.read(&mut self.buf[filled..]).await {
            Ok(n) => {
                self.filled += n;
                Ok(n)
            }
            Err(e) => Err(Failure {
                error: LoadError::new(format!("reading the response failed: {e}")),
                nothing_back: self.filled == 0,
            }),
        }
    }

    async fn read_head(&mut self) -> Result<(u16, usize, Framing, bool), Failure> {
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf[..self.filled]) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let mut framing = Framing::UntilClose;
                    let mut close = response.version == Some(0);
                    for h in response.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let n = std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse().ok());
                            match n {
                                Some(n) if !matches!(framing, Framing::Chunked) => {
                                    framing = Framing::Length(n)
                                }
                                Some(_) => {}
                                None => return Err(protocol("a Content-Length that is not a number")),
                            }
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            if h.value.to_ascii_lowercase().ends_with(b"chunked") {
                                framing = Framing::Chunked;
                            }
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            let v = h.value.to_ascii_lowercase();
                            if v == b"close" {
                                close = true;
                            } else if v == b"keep-alive" {
                                close = false;
                            }
                        }
                    }
                    return Ok((status, len, framing, close));
                }
                Ok(httparse::Status::Partial) => {
                    if self.fill().await? == 0 {
                        let nothing_back = self.filled == 0;
                        return Err(Failure {
                            error: LoadError::new("the server closed the connection before answering".into()),
                            nothing_back,
                        });
                    }
                }
                Err(e) => return Err(protocol(&format!("not an HTTP/1.1 response ({e})"))),
            }
        }
    }

    async fn read_exact(&mut self, n: usize) -> Result<Bytes, Failure> {
        while self.filled < n {
            if self.buf.len() < n {
                self.buf.resize(n, 0);
            }
            if self.fill().await? == 0 {
                return Err(protocol("the server closed the connection in the middle of a body"));
            }
        }
        let body = Bytes::copy_from_slice(&self.buf[..n]);
        self.consume(n);
        Ok(body)
    }

    async fn read_line(&mut self) -> Result<Vec<u8>, Failure> {
        loop {
            if let Some(i) = self.buf[..self.filled].windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..i].to_vec();
                self.consume(i + 2);
                return Ok(line);
            }
            if self.fill().await? == 0 {
                return Err(protocol("the server closed the connection in the middle of a chunked body"));
            }
        }
    }

    async fn read_chunked(&mut self) -> Result<Bytes, Failure> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line().await?;
            let size = std::str::from_utf8(&line)
                .ok()
                .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or("").trim(), 16).ok())
                .ok_or_else(|| protocol("a chunk size that is not hexadecimal"))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !self.read_line().await?.is_empty() {}
                return Ok(body.into());
            }
            let chunk = self.read_exact(size).await?;
            body.extend_from_slice(&chunk);
            if !self.read_line().await?.is_empty() {
                return Err(protocol("a chunk not followed by CRLF"));
            }
        }
    }

    async fn read_to_close(&mut self) -> Result<Bytes, Failure> {
        while self.fill().await? > 0 {}
        let body = Bytes::copy_from_slice(&self.buf[..self.filled]);
        self.filled = 0;
        Ok(body)
    }
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

fn protocol(why: &str) -> Failure {
    Failure { error: LoadError::new(format!("bad response: {why}")), nothing_back: false }
}

/// Serialises a request: request line, `Host`, the headers, `Content-Length` when there is a
/// body (or the method carries one), the body.
pub fn serialise(
    method: &str,
    target: &str,
    authority: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + target.len() + authority.len() + body.len());
    out.extend_from_slice(method.as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, v) in headers {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers each connection's requests with the given raw answers in turn.
    async fn serve(answers: Vec<&'static [u8]>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            for answer in answers {
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(answer).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn lengths_chunks_informational_and_heads() {
        let addr = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest of it",
        ])
        .await;
        let mut c = Conn::open(&addr).await.unwrap();
        let req = serialise("GET", "/", &addr, &[], b"");
        let a = c.exchange(&req, false).await.unwrap();
        assert_eq!((a.status, &a.body[..], a.reusable), (200, &b"hello"[..], true));
        assert_eq!(a.head.get("x-a"), Some("b"));
        let a = c.exchange(&req, false).await.unwrap();
        assert_eq!((a.status, &a.body[..]), (201, &b"abcde"[..]));
        let a = c.exchange(&req, false).await.unwrap();
        assert_eq!((a.status, a.body.len()), (204, 0));
        let a = c.exchange(&serialise("HEAD", "/", &addr, &[], b""), true).await.unwrap();
        assert_eq!((a.status, a.body.len(), a.reusable), (200, 0, true));
        let a = c.exchange(&req, false).await.unwrap();
        assert_eq!((&a.body[..], a.reusable), (&b"rest of it"[..], false));
    }

    #[tokio::test]
    async fn garbage_and_early_close_are_errors_not_panics() {
        let addr = serve(vec![b"SMTP ready\r\n\r\n"]).await;
        let mut c = Conn::open(&addr).await.unwrap();
        let e = c.exchange(&serialise("GET", "/", &addr, &[], b""), false).await.unwrap_err();
        assert!(e.error.to_string().contains("not an HTTP/1.1 response"), "{}", e.error);
        let addr = serve(vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]).await;
        let mut c = Conn::open(&addr).await.unwrap();
        let e = c.exchange(&serialise("GET", "/", &addr, &[], b""), false).await.unwrap_err();
        assert!(e.error.to_string().contains("middle of a body"), "{}", e.error);
        assert!(!e.nothing_back);
    }

    #[test]
    fn requests_carry_host_headers_and_lengths() {
        let r = serialise("POST", "/cart?a=1", "h:1", &[("X-U".into(), "7".into())], b"item");
        assert_eq!(r, b"POST /cart?a=1 HTTP/1.1\r\nHost: h:1\r\nX-U: 7\r\nContent-Length: 4\r\n\r\nitem");
        let r = serialise("GET", "/", "h:1", &[], b"");
        assert_eq!(r, b"GET / HTTP/1.1\r\nHost: h:1\r\n\r\n");
    }
}
