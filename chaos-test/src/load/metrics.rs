//! Metrics: HDR histograms in microseconds, one per (scenario, name, outcome), recorded by
//! each worker thread without locks and merged by the runner once a second.
//!
//! No per-request sample is ever kept: a worker holds the histograms of the current second;
//! the runner merges them into the run's totals and into a one-second summary (count, errors,
//! p50/p95/p99 over all requests), then drops them. Memory stays bounded whatever the length
//! of the run.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Significant digits kept by every histogram (as HdrHistogram, wrk2 and Chaperon).
pub const SIGFIG: u8 = 3;

/// What a recorded value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// An HTTP request (or a WebSocket connect or exchange).
    Request,
    /// A sub-step timed with [`Session::timed`](super::Session::timed).
    Step,
    /// A value recorded with [`Session::record`](super::Session::record).
    Custom,
    /// One whole iteration of a scenario.
    Iteration,
}

impl Kind {
    /// The kind of a name in results.json.
    pub fn parse(text: &str) -> Option<Kind> {
        [Kind::Request, Kind::Step, Kind::Custom, Kind::Iteration].into_iter().find(|k| k.as_str() == text)
    }

    /// The name used in results.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Step => "step",
            Kind::Custom => "custom",
            Kind::Iteration => "iteration",
        }
    }
}

/// The outcome class a value is filed under: `2xx`..`5xx` for HTTP, `ok` or `error` otherwise.
pub type Outcome = &'static str;

/// The outcome class of an HTTP status.
pub fn status_class(status: u16) -> Outcome {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Whether an outcome class counts as an error (transport errors, 4xx and 5xx).
pub fn is_error(outcome: &str) -> bool {
    matches!(outcome, "error" | "4xx" | "5xx")
}

/// Where a value goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The scenario that recorded it.
    pub scenario: String,
    /// What was recorded.
    pub kind: Kind,
    /// The bounded name: `GET /items/{id}`, a step's name, a custom metric's name.
    pub name: String,
    /// `2xx`.. `5xx`, `ok` or `error`.
    pub outcome: Outcome,
}

/// A histogram of microseconds that grows as values arrive (starts small: memory follows the
/// largest value seen, not a fixed maximum).
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 2, SIGFIG).expect("1..2 at 3 digits is a valid histogram");
    h.auto(true);
    h
}

/// Microseconds of a duration, at least 1 (HDR histograms start at 1).
pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// The histograms of one interval (or of a whole run).
#[derive(Debug, Default)]
pub struct Histograms {
    /// One histogram per key.
    pub by_key: BTreeMap<Key, Histogram<u64>>,
}

impl Histograms {
    /// Records one value.
    pub fn record(&mut self, key: &Key, value_us: u64) {
        let h = match self.by_key.get_mut(key) {
            Some(h) => h,
            None => self.by_key.entry(key.clone()).or_insert_with(new_histogram),
        };
        // With auto-resize on, recording cannot fail but for values beyond u64 range.
        let _ = h.record(value_us);
    }

    /// Adds every histogram of `other` to this one's.
    pub fn merge(&mut self, other: &Histograms) {
        for (key, h) in &other.by_key {
            match self.by_key.get_mut(key) {
                Some(mine) => {
                    let _ = mine.add(h);
                }
                None => {
                    self.by_key.insert(key.clone(), h.clone());
                }
            }
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

/// What a worker sends the runner: the histograms of one second and the failures in it.
#[derive(Debug, Default)]
pub struct Interval {
    /// Seconds since the start of the run.
    pub second: u64,
    /// The histograms recorded in that second.
    pub histograms: Histograms,
    /// Failed iterations and request errors: message -> count.
    pub errors: BTreeMap<String, u64>,
    /// Iterations that started (open model: on time or late).
    pub iterations: u64,
    /// Iterations of the open model that started more than [`LATE`](super::runner::LATE) after
    /// their intended time.
    pub late: u64,
    /// Iterations of the open model that could not start: every user of the pool was busy.
    pub dropped: u64,
}

impl Interval {
    /// An empty interval for a second.
    pub fn new(second: u64) -> Self {
        Interval { second, ..Interval::default() }
    }

    /// Counts one error message (messages are capped in length and number).
    pub fn error(&mut self, message: &str) {
        const MAX_DISTINCT: usize = 100;
        let message: String = message.chars().take(300).collect();
        if let Some(n) = self.errors.get_mut(&message) {
            *n += 1;
        } else if self.errors.len() < MAX_DISTINCT {
            self.errors.insert(message, 1);
        } else {
            *self.errors.entry("(other errors)".to_string()).or_insert(0) += 1;
        }
    }

    /// Whether the interval holds anything worth sending.
    pub fn is_empty(&self) -> bool {
        self.histograms.is_empty() && self.errors.is_empty() && self.iterations == 0 && self.dropped == 0
    }
}

/// One second of the run, summarised over every request of every scenario.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Second {
    /// Seconds since the start.
    pub t: u64,
    /// Requests completed in that second.
    pub requests: u64,
    /// Requests that failed (transport error, 4xx, 5xx).
    pub errors: u64,
    /// Iterations started.
    pub iterations: u64,
    /// Median request latency, in microseconds.
    pub p50_us: u64,
    /// 95th percentile, in microseconds.
    pub p95_us: u64,
    /// 99th percentile, in microseconds.
    pub p99_us: u64,
    /// Every request of that second, HdrHistogram V2 + DEFLATE, base64 (so shards' seconds
    /// merge exactly).
    #[serde(default)]
    pub histogram: String,
}

impl Second {
    /// Summarises the request histograms of one interval.
    pub fn of(interval: &Interval) -> Second {
        let mut all = new_histogram();
        let mut errors = 0;
        for (key, h) in &interval.histograms.by_key {
            if key.kind == Kind::Request {
                let _ = all.add(h);
                if is_error(key.outcome) {
                    errors += h.len();
                }
            }
        }
        Second {
            t: interval.second,
            requests: all.len(),
            errors,
            iterations: interval.iterations,
            p50_us: all.value_at_quantile(0.50),
            p95_us: all.value_at_quantile(0.95),
            p99_us: all.value_at_quantile(0.99),
            histogram: encode(&all),
        }
    }
}

/// The V2 + DEFLATE encoding of a histogram, base64 (HdrHistogram's interchange format, so
/// shards can be merged exactly by any HdrHistogram implementation).
pub fn encode(h: &Histogram<u64>) -> String {
    use base64::Engine;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(h, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

/// Decodes [`encode`]'s output.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    use base64::Engine;
    use hdrhistogram::serialization::Deserializer;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("not an HdrHistogram V2 histogram: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key { scenario: "s".into(), kind: Kind::Request, name: name.into(), outcome: "2xx" }
    }

    #[test]
    fn merged_shards_equal_one_histogram_of_everything() {
        let mut whole = Histograms::default();
        let mut a = Histograms::default();
        let mut b = Histograms::default();
        for v in 1..=10_000u64 {
            whole.record(&key("GET /"), v * 7);
            if v % 2 == 0 { a.record(&key("GET /"), v * 7) } else { b.record(&key("GET /"), v * 7) }
        }
        a.merge(&b);
        let (x, y) = (&whole.by_key[&key("GET /")], &a.by_key[&key("GET /")]);
        assert_eq!(x.len(), 10_000);
        for q in [0.5, 0.9, 0.99, 0.999] {
            assert_eq!(x.value_at_quantile(q), y.value_at_quantile(q));
        }
    }

    #[test]
    fn encoding_round_trips_exactly() {
        let mut h = new_histogram();
        for v in [1u64, 10, 100, 1_000, 1_000_000, 5_000_000] {
            h.record_n(v, v % 7 + 1).unwrap();
        }
        let back = decode(&encode(&h)).unwrap();
        assert_eq!(back.len(), h.len());
        assert_eq!(back.max(), h.max());
        assert_eq!(back.value_at_quantile(0.5), h.value_at_quantile(0.5));
        assert!(decode("not base64!").unwrap_err().contains("base64"));
    }

    #[test]
    fn seconds_count_errors_by_class() {
        let mut i = Interval::new(3);
        for _ in 0..9 {
            i.histograms.record(&key("GET /"), 100);
        }
        let mut bad = key("GET /");
        bad.outcome = "5xx";
        i.histograms.record(&bad, 2_000);
        let s = Second::of(&i);
        assert_eq!((s.t, s.requests, s.errors), (3, 10, 1));
        assert_eq!(s.p50_us, 100);
        assert!(s.p99_us >= 1_999, "{}", s.p99_us);
    }
}
