//! The session a scenario runs over: HTTP requests timed under bounded names, WebSocket
//! connections, timed sub-steps, custom metrics and user data.
//!
//! Every method takes `&self`, so concurrent requests of one iteration are plain async Rust:
//! `tokio::join!(s.get("/a").send(), s.get("/b").send())`. A session lives on one worker
//! thread; its futures need not be `Send`.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::future::Future;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::Method;
use hyper::header::{HeaderName, HeaderValue};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::LoadError;
use super::http::{Origin, Outgoing, Pool, Protocol, Raw};
use super::metrics::{Interval, Key, Kind, Outcome, is_error, micros, status_class};

/// Records a worker thread's values into the current second and hands each finished second to
/// the runner.
#[derive(Debug)]
pub struct Recorder {
    start: Instant,
    current: Interval,
    tx: mpsc::Sender<Interval>,
    /// The names seen per scenario, to keep them bounded.
    names: HashMap<String, HashSet<String>>,
}

/// The most distinct names a scenario may record on one worker thread; later ones are filed
/// under [`OTHER_NAMES`].
pub const MAX_NAMES: usize = 200;

/// Where names beyond [`MAX_NAMES`] go.
pub const OTHER_NAMES: &str = "(other names)";

impl Recorder {
    /// A recorder whose seconds count from `start`.
    pub fn new(start: Instant, tx: mpsc::Sender<Interval>) -> Recorder {
        Recorder { start, current: Interval::new(0), tx, names: HashMap::new() }
    }

    fn roll(&mut self, at: Instant) -> &mut Interval {
        let second = at.saturating_duration_since(self.start).as_secs();
        if second > self.current.second {
            let done = std::mem::replace(&mut self.current, Interval::new(second));
            if !done.is_empty() {
                let _ = self.tx.send(done);
            }
        }
        &mut self.current
    }

    /// Records one value ending at `at`. A scenario's names stay bounded: past [`MAX_NAMES`]
    /// distinct ones (a raw URL per id, say), new names are filed under [`OTHER_NAMES`] and the
    /// report says so once.
    pub fn record(&mut self, key: &Key, at: Instant, value_us: u64) {
        if !self.names.contains_key(&key.scenario) {
            self.names.insert(key.scenario.clone(), HashSet::new());
        }
        let seen = self.names.get_mut(&key.scenario).expect("inserted above");
        let known = seen.contains(&key.name);
        if known || seen.len() < MAX_NAMES {
            if !known {
                seen.insert(key.name.clone());
            }
            self.roll(at).histograms.record(key, value_us);
            return;
        }
        let first = !seen.contains(OTHER_NAMES);
        seen.insert(OTHER_NAMES.to_string());
        let other = Key { name: OTHER_NAMES.to_string(), ..key.clone() };
        let interval = self.roll(at);
        interval.histograms.record(&other, value_us);
        if first {
            interval.error(&format!(
                "{}: more than {MAX_NAMES} distinct names (as {:?}); the rest are filed under {OTHER_NAMES:?}: \
                 write paths as templates (`/items/{{id}}` with `.path(\"id\", id)`) or name requests with `.name(..)`",
                key.scenario, key.name
            ));
        }
    }

    /// Counts an error message at `at`.
    pub fn error(&mut self, at: Instant, message: &str) {
        self.roll(at).error(message);
    }

    /// Counts an iteration that started at `at`, late or not.
    pub fn iteration(&mut self, at: Instant, late: bool) {
        let i = self.roll(at);
        i.iterations += 1;
        i.late += u64::from(late);
    }

    /// Counts an iteration of the open model that could not start.
    pub fn dropped(&mut self, at: Instant) {
        self.roll(at).dropped += 1;
    }

    /// Sends the second in progress if it is over (so quiet workers still report).
    pub fn tick(&mut self, now: Instant) {
        self.roll(now);
    }

    /// Sends whatever is recorded so far.
    pub fn flush(&mut self) {
        let second = self.current.second;
        let done = std::mem::replace(&mut self.current, Interval::new(second));
        if !done.is_empty() {
            let _ = self.tx.send(done);
        }
    }
}

/// How the sessions of a scenario talk to the system under test.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// Where relative paths go: `http://127.0.0.1:8080/prefix`.
    pub base_url: String,
    /// HTTP/1.1 or HTTP/2.
    pub protocol: Protocol,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// How long a request may take before it fails as an error.
    pub request_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            base_url: String::new(),
            protocol: Protocol::Http1,
            headers: Vec::new(),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// One virtual user: its connections, its data, and the recorder its values go to.
pub struct Session {
    scenario: String,
    origin: Option<Origin>,
    config: Rc<SessionConfig>,
    pool: Pool,
    recorder: Rc<RefCell<Recorder>>,
    data: RefCell<HashMap<TypeId, Box<dyn Any>>>,
    user: u64,
    iteration: Cell<u64>,
    intended: Cell<Option<Instant>>,
    used: Cell<bool>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("scenario", &self.scenario)
            .field("user", &self.user)
            .field("iteration", &self.iteration.get())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session of `scenario` for user number `user`.
    pub fn new(
        scenario: &str,
        user: u64,
        config: Rc<SessionConfig>,
        recorder: Rc<RefCell<Recorder>>,
    ) -> Result<Session, LoadError> {
        let origin = if config.base_url.is_empty() { None } else { Some(Origin::parse(&config.base_url)?) };
        Ok(Session {
            scenario: scenario.to_string(),
            origin,
            pool: Pool::new(config.protocol),
            config,
            recorder,
            data: RefCell::new(HashMap::new()),
            user,
            iteration: Cell::new(0),
            intended: Cell::new(None),
            used: Cell::new(false),
        })
    }

    /// The scenario this session runs.
    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    /// This user's number (0-based, unique within the run).
    pub fn user(&self) -> u64 {
        self.user
    }

    /// How many iterations this session started before the current one.
    pub fn iteration(&self) -> u64 {
        self.iteration.get()
    }

    /// The base URL relative paths are joined to.
    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    /// Starts an iteration: the first request (or timed step) of it is measured from
    /// `intended` when given (the open model's scheduled start), not from when it was sent.
    pub(crate) fn begin(&self, intended: Option<Instant>) {
        self.intended.set(intended);
    }

    /// True the first time only: the session's `init` is due.
    pub(crate) fn first_use(&self) -> bool {
        !self.used.replace(true)
    }

    pub(crate) fn end_iteration(&self) {
        self.intended.set(None);
        self.iteration.set(self.iteration.get() + 1);
    }

    fn start_time(&self) -> Instant {
        let now = Instant::now();
        match self.intended.take() {
            Some(t) if t < now => t,
            _ => now,
        }
    }

    fn record(&self, kind: Kind, name: &str, outcome: Outcome, start: Instant, end: Instant) {
        let key = Key { scenario: self.scenario.clone(), kind, name: name.to_string(), outcome };
        self.recorder.borrow_mut().record(&key, end, micros(end.saturating_duration_since(start)));
    }

    fn error(&self, at: Instant, message: &str) {
        self.recorder.borrow_mut().error(at, message);
    }

    /// A GET request; `path` is relative to the base URL (or a whole `http://` URL) and may
    /// hold `{placeholders}` filled by [`RequestBuilder::path`]. The request is timed as
    /// `GET <path as written>`, so the names stay bounded whatever the ids.
    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::GET, path)
    }

    /// A POST request; see [`get`](Self::get).
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::POST, path)
    }

    /// A PUT request; see [`get`](Self::get).
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::PUT, path)
    }

    /// A DELETE request; see [`get`](Self::get).
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.request(Method::DELETE, path)
    }

    /// A request of any method; see [`get`](Self::get).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            session: self,
            method,
            template: path.to_string(),
            params: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            name: None,
        }
    }

    /// Times a sub-step under `name` (kind `step`): `ok` when it returns `Ok`, `error` when it
    /// returns `Err`.
    pub async fn timed<T, E, F>(&self, name: &str, step: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>>,
        E: std::fmt::Display,
    {
        let start = self.start_time();
        let result = step.await;
        let end = Instant::now();
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.record(Kind::Step, name, outcome, start, end);
        if let Err(e) = &result {
            self.error(end, &format!("{name}: {e}"));
        }
        result
    }

    /// Records a custom duration under `name` (kind `custom`).
    pub fn record_duration(&self, name: &str, value: Duration) {
        let now = Instant::now();
        let key = Key {
            scenario: self.scenario.clone(),
            kind: Kind::Custom,
            name: name.to_string(),
            outcome: "ok",
        };
        self.recorder.borrow_mut().record(&key, now, micros(value));
    }

    /// Stores a value of this user's (one per type), replacing the previous one.
    pub fn set<T: 'static>(&self, value: T) {
        self.data.borrow_mut().insert(TypeId::of::<T>(), Box::new(value));
    }

    /// Runs `f` on this user's value of type `T`, made with `Default` on first use.
    pub fn with<T: Default + 'static, R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut data = self.data.borrow_mut();
        let slot = data.entry(TypeId::of::<T>()).or_insert_with(|| Box::new(T::default()));
        f(slot.downcast_mut::<T>().expect("the slot of a TypeId holds that type"))
    }

    /// Opens a WebSocket to `path` (relative to the base URL, or a whole `ws://` URL), timed
    /// as `WS <path>`.
    pub async fn websocket(&self, path: &str) -> Result<WebSocket, LoadError> {
        let name = format!("WS {path}");
        let start = self.start_time();
        let result = self.open_websocket(path).await;
        let end = Instant::now();
        match result {
            Ok(stream) => {
                self.record(Kind::Request, &name, "ok", start, end);
                Ok(WebSocket {
                    stream,
                    name,
                    session_scenario: self.scenario.clone(),
                    recorder: Rc::clone(&self.recorder),
                })
            }
            Err(e) => {
                self.record(Kind::Request, &name, "error", start, end);
                self.error(end, &format!("{name}: {e}"));
                Err(e)
            }
        }
    }

    async fn open_websocket(&self, path: &str) -> Result<WebSocketStream<TcpStream>, LoadError> {
        let (origin, target) = self.target(path)?;
        let url = format!("ws://{}{}", origin.authority, target);
        let request = url
            .as_str()
            .into_client_request()
            .map_err(|e| LoadError::new(format!("{url} is not a WebSocket URL: {e}")))?;
        let stream = TcpStream::connect(&origin.authority)
            .await
            .map_err(|e| LoadError::new(format!("cannot connect to {}: {e}", origin.authority)))?;
        let _ = stream.set_nodelay(true);
        let timeout = self.config.request_timeout;
        match tokio::time::timeout(timeout, tokio_tungstenite::client_async(request, stream)).await {
            Ok(Ok((ws, _))) => Ok(ws),
            Ok(Err(e)) => Err(LoadError::new(format!("WebSocket handshake with {url} failed: {e}"))),
            Err(_) => {
                Err(LoadError::new(format!("WebSocket handshake with {url}: no answer within {timeout:?}")))
            }
        }
    }

    /// The origin and the request target (path and query) of a path as written.
    fn target(&self, path: &str) -> Result<(Origin, String), LoadError> {
        if path.contains("://") {
            let origin = Origin::parse(path)?;
            let target =
                path.splitn(4, '/').nth(3).map(|rest| format!("/{rest}")).unwrap_or_else(|| "/".into());
            return Ok((Origin { prefix: String::new(), ..origin }, target));
        }
        let origin = self.origin.clone().ok_or_else(|| {
            LoadError::new(format!(
                "{path:?} is relative but the scenario has no base URL; set one or give a whole URL"
            ))
        })?;
        let slash = if path.starts_with('/') { "" } else { "/" };
        let target = format!("{}{slash}{path}", origin.prefix);
        Ok((origin, target))
    }
}

/// A request being built; [`send`](Self::send) sends it and times it.
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder<'s> {
    session: &'s Session,
    method: Method,
    template: String,
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Bytes,
    name: Option<String>,
}

impl RequestBuilder<'_> {
    /// Fills the `{name}` placeholder of the path (the metric name keeps the placeholder).
    pub fn path(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.params.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a query parameter (not part of the metric name).
    pub fn query(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.query.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Sets a body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body (and `Content-Type: application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.body = serde_json::to_vec(value).unwrap_or_default().into();
        self.headers.push(("content-type".into(), "application/json".into()));
        self
    }

    /// Names the request's metric explicitly instead of `METHOD path`.
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Sends the request, reads the response and records its time under its name and status
    /// class. Any HTTP status is `Ok` (use [`Response::error_for_status`]); a transport error or
    /// a timeout is `Err`, recorded as `error`.
    pub async fn send(self) -> Result<Response, LoadError> {
        let session = self.session;
        let name = self.name.clone().unwrap_or_else(|| {
            let shown = self
                .template
                .split_once("://")
                .map_or(self.template.as_str(), |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
            format!("{} {shown}", self.method)
        });
        let start = session.start_time();
        let result = match self.build() {
            Ok(request) => session.pool.send(request, session.config.request_timeout).await,
            Err(e) => Err(e),
        };
        let end = Instant::now();
        match result {
            Ok(raw) => {
                session.record(Kind::Request, &name, status_class(raw.status), start, end);
                if is_error(status_class(raw.status)) {
                    session.error(end, &format!("{name}: HTTP {}", raw.status));
                }
                Ok(Response { raw })
            }
            Err(e) => {
                session.record(Kind::Request, &name, "error", start, end);
                session.error(end, &format!("{name}: {e}"));
                Err(e)
            }
        }
    }

    fn build(&self) -> Result<Outgoing, LoadError> {
        let mut path = self.template.clone();
        for (name, value) in &self.params {
            let placeholder = format!("{{{name}}}");
            if !path.contains(&placeholder) {
                return Err(LoadError::new(format!(
                    "the path {:?} has no placeholder {placeholder}",
                    self.template
                )));
            }
            path = path.replace(&placeholder, &encode(value));
        }
        let (origin, mut target) = self.session.target(&path)?;
        for (i, (k, v)) in self.query.iter().enumerate() {
            let sep = if i == 0 && !target.contains('?') { '?' } else { '&' };
            let _ = write!(target, "{sep}{}={}", encode(k), encode(v));
        }
        if target.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
            return Err(LoadError::new(format!(
                "{path:?}: a request target cannot hold spaces or control characters"
            )));
        }
        let config_headers = &self.session.config.headers;
        let mut headers = Vec::with_capacity(config_headers.len() + self.headers.len());
        for (k, v) in config_headers.iter().chain(&self.headers) {
            HeaderName::try_from(k.as_str())
                .map_err(|_| LoadError::new(format!("{k:?} is not a header name")))?;
            HeaderValue::try_from(v.as_str())
                .map_err(|_| LoadError::new(format!("{v:?} is not a header value")))?;
            headers.push((k.clone(), v.clone()));
        }
        Ok(Outgoing {
            method: self.method.clone(),
            authority: origin.authority,
            target,
            headers,
            body: self.body.clone(),
        })
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A response, its body read whole.
#[derive(Debug)]
pub struct Response {
    raw: Raw,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.raw.status
    }

    /// A header's value, when it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.raw.headers.get(name)
    }

    /// The `Content-Type`, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.raw.headers.get("content-type")
    }

    /// The body's bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.raw.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, LoadError> {
        serde_json::from_slice(&self.raw.body)
            .map_err(|e| LoadError::new(format!("the body is not the JSON expected: {e}")))
    }

    /// `Err` for a 4xx or 5xx status, naming it.
    pub fn error_for_status(self) -> Result<Response, LoadError> {
        if self.raw.status >= 400 {
            return Err(LoadError::new(format!("HTTP {}", self.raw.status)));
        }
        Ok(self)
    }
}

/// A WebSocket connection of a session. [`exchange`](Self::exchange) is timed.
pub struct WebSocket {
    stream: WebSocketStream<TcpStream>,
    name: String,
    session_scenario: String,
    recorder: Rc<RefCell<Recorder>>,
}

impl std::fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket").field("name", &self.name).finish_non_exhaustive()
    }
}

impl WebSocket {
    /// Sends a text message.
    pub async fn send_text(&mut self, text: &str) -> Result<(), LoadError> {
        self.stream
            .send(Message::text(text))
            .await
            .map_err(|e| LoadError::new(format!("{}: send failed: {e}", self.name)))
    }

    /// The next text or binary message (as text, invalid UTF-8 replaced); `None` once closed.
    pub async fn recv(&mut self) -> Result<Option<String>, LoadError> {
        while let Some(message) = self.stream.next().await {
            match message.map_err(|e| LoadError::new(format!("{}: receive failed: {e}", self.name)))? {
                Message::Text(t) => return Ok(Some(t.as_str().to_string())),
                Message::Binary(b) => return Ok(Some(String::from_utf8_lossy(&b).into_owned())),
                Message::Close(_) => return Ok(None),
                _ => {}
            }
        }
        Ok(None)
    }

    /// Sends `text` and waits for the next message, timed as `WS <path> exchange`.
    pub async fn exchange(&mut self, text: &str) -> Result<String, LoadError> {
        let name = format!("{} exchange", self.name);
        let start = Instant::now();
        let result = async {
            self.send_text(text).await?;
            self.recv()
                .await?
                .ok_or_else(|| LoadError::new(format!("{}: closed before answering", self.name)))
        }
        .await;
        let end = Instant::now();
        let key = Key {
            scenario: self.session_scenario.clone(),
            kind: Kind::Request,
            name,
            outcome: if result.is_ok() { "ok" } else { "error" },
        };
        let mut recorder = self.recorder.borrow_mut();
        recorder.record(&key, end, micros(end - start));
        if let Err(e) = &result {
            recorder.error(end, &e.to_string());
        }
        result
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(base: &str) -> Session {
        let (tx, _rx) = mpsc::channel();
        let config = Rc::new(SessionConfig { base_url: base.into(), ..SessionConfig::default() });
        Session::new("s", 0, config, Rc::new(RefCell::new(Recorder::new(Instant::now(), tx)))).unwrap()
    }

    #[test]
    fn paths_fill_placeholders_and_encode_queries() {
        let s = session("http://127.0.0.1:9/api");
        let req = s.get("/items/{id}").path("id", "a b").query("q", "x&y").build().unwrap();
        assert_eq!(req.authority, "127.0.0.1:9");
        assert_eq!(req.target, "/api/items/a%20b?q=x%26y");
        let e = s.get("/items").path("id", 1).build().unwrap_err().to_string();
        assert!(e.contains("{id}"), "{e}");
        let req = s.get("http://127.0.0.1:7/x/y").build().unwrap();
        assert_eq!((req.authority.as_str(), req.target.as_str()), ("127.0.0.1:7", "/x/y"));
        let e = s.get("/a b").build().unwrap_err().to_string();
        assert!(e.contains("spaces"), "{e}");
        let e = s.get("/").header("bad name", "v").build().unwrap_err().to_string();
        assert!(e.contains("not a header name"), "{e}");
    }

    #[test]
    fn user_data_is_per_type() {
        let s = session("");
        s.with::<u32, _>(|n| *n += 2);
        s.with::<u32, _>(|n| *n += 3);
        s.set(String::from("token"));
        assert_eq!(s.with::<u32, _>(|n| *n), 5);
        assert_eq!(s.with::<String, _>(|t| t.clone()), "token");
        let e = s.get("/x").build().unwrap_err().to_string();
        assert!(e.contains("no base URL"), "{e}");
    }
}
