//! `cargo chaos proxy --api ADDR`: Toxiproxy 2.x's REST API over `FaultProxy`s, so Toxiproxy's
//! clients and tooling can drive our proxy.
//!
//! Routes (all JSON; errors are `{"error": "...", "status": N}`): `GET /version`,
//! `GET|POST /proxies`, `POST /populate`, `POST /reset`, `GET|POST|DELETE /proxies/{name}`,
//! `GET|POST /proxies/{name}/toxics`, `GET|POST|DELETE /proxies/{name}/toxics/{toxic}`.
//! Routing is by hand in [`Api::handle`], a plain blocking function (starting and stopping a
//! proxy blocks), which axum calls on a blocking thread.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chaos_test::proxy::{Fault, FaultProxy, ProxyError};
use serde_json::{Map, Value, json};

/// The Toxiproxy version we answer on `GET /version` (the API we follow).
pub const VERSION: &str = "2.12.0";

/// Toxic types: Toxiproxy's seven, then our own extra faults.
const TYPES: &str = "latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, down, blackout, hang, garbage, reset";

/// A refusal: HTTP status and message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

fn err(status: u16, message: impl Into<String>) -> ApiError {
    ApiError { status, message: message.into() }
}

fn bad(message: impl Into<String>) -> ApiError {
    err(400, message)
}

/// An answer: status and optional JSON body.
pub type Reply = Result<(u16, Option<Value>), ApiError>;

/// One toxic as the API shows it, with the id of its installed fault.
#[derive(Debug, Clone)]
struct Toxic {
    name: String,
    kind: String,
    stream: String,
    toxicity: f64,
    attributes: Map<String, Value>,
    fault: Fault,
    id: Option<u64>,
}

impl Toxic {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.kind,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": self.attributes,
        })
    }
}

/// One named proxy. `running` is `None` while disabled.
#[derive(Debug)]
struct Entry {
    name: String,
    listen: String,
    upstream: String,
    enabled: bool,
    toxics: Vec<Toxic>,
    /// Faults from the command line (`--behavior`, `--latency-ms`) on the `default` proxy:
    /// always on, not toxics, kept by `/reset`.
    base: Vec<Fault>,
    running: Option<FaultProxy>,
}

impl Entry {
    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": self.toxics.iter().map(Toxic::to_json).collect::<Vec<_>>(),
        })
    }

    /// Binds (on the address shown, so a re-enabled proxy keeps its port) and installs the toxics.
    fn start(&mut self, seed: Option<u64>) -> Result<(), ApiError> {
        let mut builder = FaultProxy::builder(self.upstream.clone()).listen(self.listen.clone());
        if let Some(seed) = seed {
            builder = builder.seed(seed);
        }
        for f in &self.base {
            builder = builder.fault(f.clone());
        }
        let proxy = builder.start().map_err(|e| {
            // A listen address in use is a conflict; an upstream that does not resolve, bad input.
            let status = if matches!(e, ProxyError::Bind { .. }) { 409 } else { 400 };
            err(status, format!("proxy {}: {e}", self.name))
        })?;
        self.listen = proxy.addr().to_string();
        for t in &mut self.toxics {
            t.id = proxy.add(t.fault.clone()).ok();
        }
        self.running = Some(proxy);
        Ok(())
    }

    /// Stops listening and closes its connections.
    fn stop(&mut self) {
        if let Some(p) = self.running.take() {
            p.stop();
        }
        for t in &mut self.toxics {
            t.id = None;
        }
    }

    fn install(&mut self, t: &mut Toxic) {
        if let Some(p) = &self.running {
            t.id = p.add(t.fault.clone()).ok();
        }
    }

    fn uninstall(&self, t: &Toxic) {
        if let (Some(p), Some(id)) = (&self.running, t.id) {
            p.remove(id);
        }
    }
}

/// The API's state: the proxies by name.
#[derive(Debug, Default)]
pub struct Api {
    proxies: Mutex<BTreeMap<String, Entry>>,
    seed: Option<u64>,
}

/// The fields of a proxy in a request body.
#[derive(Debug, Default)]
struct ProxyInput {
    name: Option<String>,
    listen: Option<String>,
    upstream: Option<String>,
    enabled: Option<bool>,
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("bad request body: malformed JSON: {e}")))
}

fn proxy_input(v: &Value) -> Result<ProxyInput, ApiError> {
    let obj = v.as_object().ok_or_else(|| bad("bad request body: a proxy must be a JSON object"))?;
    let mut input = ProxyInput::default();
    for (k, val) in obj {
        let text = || {
            val.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("proxy field `{k}` must be a string, got {val}")))
        };
        match k.as_str() {
            "name" => input.name = Some(text()?),
            "listen" => input.listen = Some(text()?),
            "upstream" => input.upstream = Some(text()?),
            "enabled" => {
                input.enabled =
                    Some(val.as_bool().ok_or_else(|| {
                        bad(format!("proxy field `enabled` must be true or false, got {val}"))
                    })?)
            }
            // Toxiproxy shows these; a client may send a proxy back as it read it.
            "toxics" => {}
            other => return Err(bad(format!("unknown proxy field `{other}`"))),
        }
    }
    Ok(input)
}

/// A non-negative integer attribute.
fn uint(attrs: &Map<String, Value>, key: &str) -> Result<u64, ApiError> {
    match attrs.get(key) {
        None => Ok(0),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| bad(format!("toxic attribute `{key}` must be a non-negative integer, got {v}"))),
    }
}

/// The attributes of each type, in Toxiproxy's names.
fn attribute_names(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "latency" => &["latency", "jitter"],
        "bandwidth" => &["rate"],
        "slow_close" => &["delay"],
        "timeout" | "reset_peer" => &["timeout"],
        "slicer" => &["average_size", "size_variation", "delay"],
        "limit_data" => &["bytes"],
        "garbage" => &["bytes"],
        "down" | "blackout" | "hang" | "reset" => &[],
        _ => return None,
    })
}

/// Builds the fault of a toxic; the attributes are filled with their defaults.
fn build_fault(
    kind: &str,
    stream: &str,
    toxicity: f64,
    attrs: &mut Map<String, Value>,
) -> Result<Fault, ApiError> {
    let names = attribute_names(kind)
        .ok_or_else(|| bad(format!("invalid toxic type `{kind}`: accepted types are {TYPES}")))?;
    if let Some(k) = attrs.keys().find(|k| !names.contains(&k.as_str())) {
        return Err(bad(format!(
            "unknown attribute `{k}` for toxic type `{kind}` (accepted: {})",
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        )));
    }
    let ms = |key: &str| uint(attrs, key).map(Duration::from_millis);
    let fault = match kind {
        "latency" => Fault::latency(ms("latency")?).jitter(ms("jitter")?),
        // Toxiproxy's rate is in KB/s, KB = 1000 bytes; 0 is no limit there.
        "bandwidth" => match uint(attrs, "rate")? {
            0 => Fault::none(),
            kb => Fault::bandwidth(kb.saturating_mul(1000)),
        },
        "slow_close" => Fault::slow_close(ms("delay")?),
        "timeout" => Fault::timeout(ms("timeout")?),
        // Toxiproxy's reset_peer drops the first data and resets `timeout` after it. With 0 that is
        // our `reset`; with more, our `reset_peer` resets `timeout` after the connection starts
        // and lets data through until then (see README).
        "reset_peer" => match ms("timeout")? {
            t if t.is_zero() => Fault::reset(),
            t => Fault::reset_peer().after(t),
        },
        "slicer" => {
            let size = |k: &str| uint(attrs, k).map(|n| usize::try_from(n).unwrap_or(usize::MAX));
            Fault::slicer(
                size("average_size")?,
                size("size_variation")?,
                Duration::from_micros(uint(attrs, "delay")?),
            )
        }
        "limit_data" => Fault::limit_data(uint(attrs, "bytes")?),
        "garbage" => Fault::garbage(usize::try_from(uint(attrs, "bytes")?).unwrap_or(usize::MAX)),
        "down" => Fault::down(),
        "blackout" => Fault::blackout(),
        "hang" => Fault::hang(),
        _ => Fault::reset(),
    };
    for name in names {
        attrs.entry(name.to_string()).or_insert(json!(0));
    }
    let fault = match (kind, stream) {
        // Accept-time faults act on the connection, whatever the stream.
        ("down" | "blackout", _) => fault,
        (_, "upstream") => fault.upstream(),
        _ => fault.downstream(),
    };
    let fault = fault.probability(toxicity);
    fault.validate().map_err(|e| bad(format!("toxic `{kind}`: {e}")))?;
    Ok(fault)
}

fn toxicity_of(v: &Value) -> Result<f64, ApiError> {
    v.as_f64()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| bad(format!("toxicity must be a number from 0 to 1, got {v}")))
}

/// A new toxic from a request body.
fn toxic_input(v: &Value) -> Result<Toxic, ApiError> {
    let obj = v.as_object().ok_or_else(|| bad("bad request body: a toxic must be a JSON object"))?;
    let mut name = None;
    let mut kind = None;
    let mut stream = "downstream".to_string();
    let mut toxicity = 1.0;
    let mut attributes = Map::new();
    for (k, val) in obj {
        let text = || {
            val.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("toxic field `{k}` must be a string, got {val}")))
        };
        match k.as_str() {
            "name" => name = Some(text()?),
            "type" => kind = Some(text()?),
            "stream" => stream = text()?,
            "toxicity" => toxicity = toxicity_of(val)?,
            "attributes" => {
                attributes = val
                    .as_object()
                    .cloned()
                    .ok_or_else(|| bad(format!("toxic field `attributes` must be an object, got {val}")))?
            }
            other => return Err(bad(format!("unknown toxic field `{other}`"))),
        }
    }
    let kind = kind.ok_or_else(|| bad("missing required field: type"))?;
    if stream != "upstream" && stream != "downstream" {
        return Err(bad(format!("stream was invalid, can be either upstream or downstream: got `{stream}`")));
    }
    let fault = build_fault(&kind, &stream, toxicity, &mut attributes)?;
    let name = name.filter(|n| !n.is_empty()).unwrap_or_else(|| format!("{kind}_{stream}"));
    Ok(Toxic { name, kind, stream, toxicity, attributes, fault, id: None })
}

fn not_found_proxy(name: &str) -> ApiError {
    err(404, format!("proxy not found: {name}"))
}

impl Api {
    /// An empty API; every proxy gets `seed` when given.
    pub fn new(seed: Option<u64>) -> Self {
        Api { proxies: Mutex::new(BTreeMap::new()), seed }
    }

    /// Creates a proxy with faults outside the API (the command line's `default` proxy).
    pub fn create_with(
        &self,
        name: &str,
        listen: &str,
        upstream: &str,
        base: Vec<Fault>,
    ) -> anyhow::Result<FaultInfo> {
        let mut map = self.lock();
        let mut e = Entry {
            name: name.to_string(),
            listen: listen.to_string(),
            upstream: upstream.to_string(),
            enabled: true,
            toxics: Vec::new(),
            base,
            running: None,
        };
        e.start(self.seed).map_err(|e| anyhow::anyhow!(e.message))?;
        let info = e.running.as_ref().map(|p| FaultInfo { addr: p.addr(), seed: p.seed() });
        map.insert(name.to_string(), e);
        info.ok_or_else(|| anyhow::anyhow!("proxy {name} did not start"))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Entry>> {
        self.proxies.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Answers one request. `path` has no query string.
    pub fn handle(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        match (method, parts.as_slice()) {
            ("GET", ["version"]) => Ok((200, Some(json!({ "version": VERSION })))),
            ("GET", ["proxies"]) => {
                let map = self.lock();
                let all: Map<String, Value> = map.iter().map(|(k, e)| (k.clone(), e.to_json())).collect();
                Ok((200, Some(Value::Object(all))))
            }
            ("POST", ["proxies"]) => self.create(&parse_body(body)?),
            ("POST", ["populate"]) => self.populate(&parse_body(body)?),
            ("POST", ["reset"]) => self.reset(),
            ("GET", ["proxies", name]) => {
                let map = self.lock();
                let e = map.get(*name).ok_or_else(|| not_found_proxy(name))?;
                Ok((200, Some(e.to_json())))
            }
            ("POST" | "PATCH", ["proxies", name]) => self.update(name, &parse_body(body)?),
            ("DELETE", ["proxies", name]) => {
                let mut e = self.lock().remove(*name).ok_or_else(|| not_found_proxy(name))?;
                e.stop();
                Ok((204, None))
            }
            ("GET", ["proxies", name, "toxics"]) => {
                let map = self.lock();
                let e = map.get(*name).ok_or_else(|| not_found_proxy(name))?;
                Ok((200, Some(Value::Array(e.toxics.iter().map(Toxic::to_json).collect()))))
            }
            ("POST", ["proxies", name, "toxics"]) => self.add_toxic(name, &parse_body(body)?),
            ("GET", ["proxies", name, "toxics", toxic]) => {
                let map = self.lock();
                let e = map.get(*name).ok_or_else(|| not_found_proxy(name))?;
                let t = e.toxics.iter().find(|t| t.name == *toxic).ok_or_else(|| not_found_toxic(toxic))?;
                Ok((200, Some(t.to_json())))
            }
            ("POST" | "PATCH", ["proxies", name, "toxics", toxic]) => {
                self.update_toxic(name, toxic, &parse_body(body)?)
            }
            ("DELETE", ["proxies", name, "toxics", toxic]) => {
                let mut map = self.lock();
                let e = map.get_mut(*name).ok_or_else(|| not_found_proxy(name))?;
                let i =
                    e.toxics.iter().position(|t| t.name == *toxic).ok_or_else(|| not_found_toxic(toxic))?;
                let t = e.toxics.remove(i);
                e.uninstall(&t);
                Ok((204, None))
            }
            (_, ["version" | "proxies" | "populate" | "reset"])
            | (_, ["proxies", _] | ["proxies", _, "toxics"] | ["proxies", _, "toxics", _]) => {
                Err(err(405, format!("method {method} not allowed on {path}")))
            }
            _ => Err(err(404, format!("no such route: {path}"))),
        }
    }

    fn new_entry(input: ProxyInput) -> Result<Entry, ApiError> {
        let name = input.name.filter(|n| !n.is_empty()).ok_or_else(|| bad("missing required field: name"))?;
        if name.contains('/') {
            return Err(bad(format!("proxy name `{name}` must not contain `/`")));
        }
        let upstream = input
            .upstream
            .filter(|u| !u.is_empty())
            .ok_or_else(|| bad("missing required field: upstream"))?;
        let listen = input.listen.filter(|l| !l.is_empty()).unwrap_or_else(|| "127.0.0.1:0".to_string());
        Ok(Entry {
            name,
            listen,
            upstream,
            enabled: input.enabled.unwrap_or(true),
            toxics: Vec::new(),
            base: Vec::new(),
            running: None,
        })
    }

    fn create(&self, body: &Value) -> Reply {
        let mut e = Self::new_entry(proxy_input(body)?)?;
        let mut map = self.lock();
        if map.contains_key(&e.name) {
            return Err(err(409, format!("proxy already exists: {}", e.name)));
        }
        if e.enabled {
            e.start(self.seed)?;
        }
        let out = e.to_json();
        map.insert(e.name.clone(), e);
        Ok((201, Some(out)))
    }

    fn populate(&self, body: &Value) -> Reply {
        let list = match body {
            Value::Array(list) => list.clone(),
            Value::Object(o) if o.get("proxies").is_some_and(Value::is_array) => {
                o["proxies"].as_array().cloned().unwrap_or_default()
            }
            _ => return Err(bad("bad request body: populate takes a JSON list of proxies")),
        };
        // Check them all before changing anything.
        let mut entries: Vec<Entry> = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let e = proxy_input(v)
                .and_then(Self::new_entry)
                .map_err(|e| ApiError { message: format!("{} at proxy {}", e.message, i + 1), ..e })?;
            if entries.iter().any(|x| x.name == e.name) {
                return Err(bad(format!("duplicate proxy name `{}` at proxy {}", e.name, i + 1)));
            }
            entries.push(e);
        }
        let mut map = self.lock();
        let mut out = Vec::new();
        for mut e in entries {
            if let Some(old) = map.get_mut(&e.name) {
                let same = old.upstream == e.upstream && (old.listen == e.listen || e.listen.ends_with(":0"));
                if same {
                    // Kept as is, toxics too; only `enabled` changes.
                    if e.enabled && old.running.is_none() {
                        old.start(self.seed)?;
                    } else if !e.enabled {
                        old.stop();
                    }
                    old.enabled = e.enabled;
                    out.push(old.to_json());
                    continue;
                }
                if let Some(mut old) = map.remove(&e.name) {
                    old.stop();
                }
            }
            if e.enabled {
                e.start(self.seed)?;
            }
            out.push(e.to_json());
            map.insert(e.name.clone(), e);
        }
        Ok((201, Some(json!({ "proxies": out }))))
    }

    fn reset(&self) -> Reply {
        let mut map = self.lock();
        for e in map.values_mut() {
            for t in std::mem::take(&mut e.toxics) {
                e.uninstall(&t);
            }
            if e.running.is_none() {
                e.start(self.seed)?;
            }
            e.enabled = true;
        }
        Ok((204, None))
    }

    fn update(&self, name: &str, body: &Value) -> Reply {
        let input = proxy_input(body)?;
        if input.name.as_deref().is_some_and(|n| n != name) {
            return Err(bad("proxy field `name` cannot change"));
        }
        let mut map = self.lock();
        let e = map.get_mut(name).ok_or_else(|| not_found_proxy(name))?;
        let (old_listen, old_upstream) = (e.listen.clone(), e.upstream.clone());
        let mut restart = false;
        if let Some(u) = input.upstream.filter(|u| !u.is_empty() && *u != e.upstream) {
            e.upstream = u;
            restart = true;
        }
        if let Some(l) = input.listen.filter(|l| !l.is_empty() && *l != e.listen) {
            e.listen = l;
            restart = true;
        }
        let enabled = input.enabled.unwrap_or(e.enabled);
        if restart || !enabled {
            e.stop();
        }
        if enabled
            && e.running.is_none()
            && let Err(refusal) = e.start(self.seed)
        {
            // Back to the old addresses, serving as before when it was.
            e.listen = old_listen;
            e.upstream = old_upstream;
            if e.enabled {
                let _ = e.start(self.seed);
                e.enabled = e.running.is_some();
            }
            return Err(refusal);
        }
        e.enabled = enabled;
        Ok((200, Some(e.to_json())))
    }

    fn add_toxic(&self, name: &str, body: &Value) -> Reply {
        let mut map = self.lock();
        let e = map.get_mut(name).ok_or_else(|| not_found_proxy(name))?;
        let mut t = toxic_input(body)?;
        if e.toxics.iter().any(|x| x.name == t.name) {
            return Err(err(409, format!("toxic already exists: {}", t.name)));
        }
        e.install(&mut t);
        let out = t.to_json();
        e.toxics.push(t);
        Ok((200, Some(out)))
    }

    fn update_toxic(&self, name: &str, toxic: &str, body: &Value) -> Reply {
        let obj = body.as_object().ok_or_else(|| bad("bad request body: a toxic must be a JSON object"))?;
        let mut map = self.lock();
        let e = map.get_mut(name).ok_or_else(|| not_found_proxy(name))?;
        let i = e.toxics.iter().position(|t| t.name == toxic).ok_or_else(|| not_found_toxic(toxic))?;
        let mut t = e.toxics[i].clone();
        for (k, val) in obj {
            match k.as_str() {
                "toxicity" => t.toxicity = toxicity_of(val)?,
                "attributes" => {
                    let attrs = val.as_object().ok_or_else(|| {
                        bad(format!("toxic field `attributes` must be an object, got {val}"))
                    })?;
                    for (a, v) in attrs {
                        t.attributes.insert(a.clone(), v.clone());
                    }
                }
                "name" | "type" | "stream" if val.as_str() == Some(to_str(&t, k)) => {}
                "name" | "type" | "stream" => return Err(bad(format!("toxic field `{k}` cannot change"))),
                other => return Err(bad(format!("unknown toxic field `{other}`"))),
            }
        }
        t.fault = build_fault(&t.kind, &t.stream, t.toxicity, &mut t.attributes)?;
        let old = std::mem::replace(&mut e.toxics[i], t.clone());
        e.uninstall(&old);
        e.install(&mut t);
        let out = t.to_json();
        e.toxics[i] = t;
        Ok((200, Some(out)))
    }
}

fn to_str<'a>(t: &'a Toxic, field: &str) -> &'a str {
    match field {
        "name" => &t.name,
        "type" => &t.kind,
        _ => &t.stream,
    }
}

fn not_found_toxic(name: &str) -> ApiError {
    err(404, format!("toxic not found: {name}"))
}

/// Where a proxy started from the command line listens, and its seed.
#[derive(Debug, Clone, Copy)]
pub struct FaultInfo {
    pub addr: SocketAddr,
    pub seed: u64,
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(api: Arc<Api>, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    use axum::body::Bytes;
    use axum::http::{Method, StatusCode, Uri, header};
    use axum::response::{IntoResponse, Response};

    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        let api = Arc::clone(&api);
        async move {
            let path = uri.path().to_string();
            let answer = tokio::task::spawn_blocking(move || api.handle(method.as_str(), &path, &body))
                .await
                .unwrap_or_else(|e| Err(err(500, format!("internal error: {e}"))));
            let (status, body) = match answer {
                Ok((status, body)) => (status, body),
                Err(e) => (e.status, Some(json!({ "error": e.message, "status": e.status }))),
            };
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let r: Response = match body {
                Some(v) => {
                    (status, [(header::CONTENT_TYPE, "application/json")], v.to_string()).into_response()
                }
                None => status.into_response(),
            };
            r
        }
    });
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toxic_name_stream_and_attributes() {
        let t = toxic_input(&json!({"type": "latency", "attributes": {"latency": 5}})).unwrap();
        assert_eq!(t.name, "latency_downstream");
        assert_eq!(t.stream, "downstream");
        assert_eq!(t.to_json()["attributes"], json!({"latency": 5, "jitter": 0}));
        assert_eq!(t.toxicity, 1.0);
    }

    #[test]
    fn refusals_name_the_problem() {
        let e = toxic_input(&json!({"type": "nope"})).unwrap_err();
        assert!(e.status == 400 && e.message.contains("nope"), "{e:?}");
        let e = toxic_input(&json!({"type": "latency", "stream": "sideways"})).unwrap_err();
        assert!(e.message.contains("sideways"), "{e:?}");
        let e = toxic_input(&json!({"type": "latency", "attributes": {"latency": -1}})).unwrap_err();
        assert!(e.message.contains("latency"), "{e:?}");
        let e = toxic_input(&json!({"type": "latency", "attributes": {"rate": 1}})).unwrap_err();
        assert!(e.message.contains("rate"), "{e:?}");
        let e = toxic_input(&json!({"type": "slicer"})).unwrap_err();
        assert!(e.message.contains("average"), "{e:?}");
        // Toxiproxy's bandwidth with rate 0 does not limit.
        let t = toxic_input(&json!({"type": "bandwidth"})).unwrap();
        assert_eq!(t.fault.kind, chaos_test::proxy::FaultKind::PassThrough);
        let e = toxic_input(&json!({"type": "latency", "toxicity": 2})).unwrap_err();
        assert!(e.message.contains("toxicity"), "{e:?}");
    }

    #[test]
    fn unknown_routes_and_methods() {
        let api = Api::new(Some(1));
        assert_eq!(api.handle("GET", "/nope", b"").unwrap_err().status, 404);
        assert_eq!(api.handle("PUT", "/proxies", b"").unwrap_err().status, 405);
        assert_eq!(api.handle("GET", "/proxies/x", b"").unwrap_err().status, 404);
        assert_eq!(api.handle("POST", "/proxies", b"{").unwrap_err().status, 400);
    }
}
