//! `Fault`: what to do to a connection, in which direction, how often, and from when.
//!
//! Faults are plain values built by chaining (`Fault::latency(ms(200)).jitter(ms(20))
//! .downstream().probability(0.5)`). A parameter out of range is kept as an error inside the
//! value and reported, naming the parameter, when the fault is injected or validated: chains
//! stay readable and nothing panics on a bad number.

use std::fmt;
use std::time::Duration;

use super::errors::ProxyError;

/// Which way data flows. Upstream is client -> server, downstream server -> client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client to server.
    Upstream,
    /// Server to client (Toxiproxy's default).
    Downstream,
    /// Both ways.
    Both,
}

impl Direction {
    /// Whether a fault with this direction acts on `flow` (Upstream or Downstream).
    pub fn covers(self, flow: Direction) -> bool {
        self == Direction::Both || self == flow
    }
}

/// How often the fault's probability is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    /// Once per connection and direction, when the fault first meets it (the default).
    PerConnection,
    /// Once per chunk of data.
    PerChunk,
}

/// Which connections a fault injected at run time reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// Connections open now and those accepted later (the default, like Toxiproxy).
    AllConnections,
    /// Only connections accepted after the fault was added.
    NewConnections,
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// No fault: pass-through (the control dimension of a walk proxy).
    PassThrough,
    /// Delay each chunk by `latency` plus a uniform draw in `-jitter..=jitter` (never below 0),
    /// as a deadline queue: chunks pipeline like a real link.
    Latency {
        /// The base delay.
        latency: Duration,
        /// The spread around it.
        jitter: Duration,
    },
    /// Refuse new connections (the listener closes); live ones are left alone.
    Down,
    /// Accept, then close at once without reaching the upstream.
    Blackout,
    /// Read and discard, never answer, never close.
    Hang,
    /// Replace data with `bytes` of garbage per chunk.
    Garbage {
        /// Garbage bytes sent instead of each chunk.
        bytes: usize,
    },
    /// Reset the connection (RST) when data flows.
    Reset,
    /// Limit throughput to `bytes_per_sec`.
    Bandwidth {
        /// Bytes per second, > 0.
        bytes_per_sec: u64,
    },
    /// Delay the close (EOF) by `delay`.
    SlowClose {
        /// How long the close waits.
        delay: Duration,
    },
    /// Stop data; close after `after` (zero: never close, a black hole).
    Timeout {
        /// When to close.
        after: Duration,
    },
    /// Send an RST after `after` once data flows (Toxiproxy's `reset_peer`).
    ResetPeer {
        /// How long after the first chunk.
        after: Duration,
    },
    /// Cut writes into pieces of `average` ± `variation` bytes, `delay` apart.
    Slicer {
        /// Average piece size, > 0.
        average: usize,
        /// Spread of piece sizes, < average.
        variation: usize,
        /// Pause between pieces.
        delay: Duration,
    },
    /// Close after `bytes` have passed in this direction.
    LimitData {
        /// Bytes let through.
        bytes: u64,
    },
}

impl FaultKind {
    /// The fault's name, as Toxiproxy spells its toxics where one exists.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::PassThrough => "none",
            FaultKind::Latency { .. } => "latency",
            FaultKind::Down => "down",
            FaultKind::Blackout => "blackout",
            FaultKind::Hang => "hang",
            FaultKind::Garbage { .. } => "garbage",
            FaultKind::Reset => "reset",
            FaultKind::Bandwidth { .. } => "bandwidth",
            FaultKind::SlowClose { .. } => "slow_close",
            FaultKind::Timeout { .. } => "timeout",
            FaultKind::ResetPeer { .. } => "reset_peer",
            FaultKind::Slicer { .. } => "slicer",
            FaultKind::LimitData { .. } => "limit_data",
        }
    }

    /// Whether it acts when a connection is accepted rather than on its data.
    pub fn on_accept(&self) -> bool {
        matches!(self, FaultKind::Down | FaultKind::Blackout)
    }
}

/// When a fault starts to act.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trigger {
    /// Only the first N connections accepted after the fault was added.
    pub first_connections: Option<u64>,
    /// Only once N bytes have passed in the direction.
    pub after_bytes: Option<u64>,
    /// Only once the connection is this old.
    pub after: Option<Duration>,
}

/// A fault, ready to inject.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What it does.
    pub kind: FaultKind,
    /// Which way it acts.
    pub direction: Direction,
    /// The probability that it acts (Toxiproxy's `toxicity`), 0 to 1.
    pub toxicity: f64,
    /// How often that probability is drawn.
    pub draw: Draw,
    /// When it starts.
    pub trigger: Trigger,
    /// Which connections it reaches.
    pub applies: Applies,
    invalid: Option<ProxyError>,
}

impl Fault {
    fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            direction: Direction::Downstream,
            toxicity: 1.0,
            draw: Draw::PerConnection,
            trigger: Trigger::default(),
            applies: Applies::AllConnections,
            invalid: None,
        }
    }

    fn refuse(mut self, parameter: &str, accepted: &str, got: impl fmt::Display) -> Self {
        if self.invalid.is_none() {
            self.invalid = Some(ProxyError::BadParameter {
                fault: self.kind.name(),
                parameter: parameter.to_string(),
                got: got.to_string(),
                accepted: accepted.to_string(),
            });
        }
        self
    }

    /// No fault: plain pass-through.
    pub fn none() -> Self {
        Fault { direction: Direction::Both, ..Fault::new(FaultKind::PassThrough) }
    }

    /// A short label for walk names: the fault, its main parameter, and the direction and
    /// probability when they are not the defaults (`latency-30ms`, `reset-up`, `hang-p0.5`).
    pub fn label(&self) -> String {
        let ms = |d: &Duration| format!("{}ms", d.as_millis());
        let mut label = match &self.kind {
            FaultKind::Latency { latency, jitter } if jitter.is_zero() => format!("latency-{}", ms(latency)),
            FaultKind::Latency { latency, jitter } => format!("latency-{}-j{}", ms(latency), ms(jitter)),
            FaultKind::Garbage { bytes } => format!("garbage-{bytes}"),
            FaultKind::Bandwidth { bytes_per_sec } => format!("bandwidth-{bytes_per_sec}Bps"),
            FaultKind::SlowClose { delay } => format!("slow_close-{}", ms(delay)),
            FaultKind::Timeout { after } => format!("timeout-{}", ms(after)),
            FaultKind::ResetPeer { after } if !after.is_zero() => format!("reset_peer-{}", ms(after)),
            FaultKind::Slicer { average, variation, .. } => format!("slicer-{average}-{variation}"),
            FaultKind::LimitData { bytes } => format!("limit_data-{bytes}"),
            other => other.name().to_string(),
        };
        let default_direction = match self.kind {
            FaultKind::Down | FaultKind::Blackout | FaultKind::PassThrough => Direction::Both,
            _ => Direction::Downstream,
        };
        if self.direction != default_direction {
            label.push_str(match self.direction {
                Direction::Upstream => "-up",
                Direction::Downstream => "-down",
                Direction::Both => "-both",
            });
        }
        if self.toxicity < 1.0 {
            label.push_str(&format!("-p{}", self.toxicity));
        }
        label
    }

    /// Delays each chunk by `latency` (add `.jitter(..)` for spread).
    pub fn latency(latency: Duration) -> Self {
        Fault::new(FaultKind::Latency { latency, jitter: Duration::ZERO })
    }

    /// Spreads a latency by a uniform draw in `-jitter..=jitter`, never below zero.
    pub fn jitter(mut self, spread: Duration) -> Self {
        match &mut self.kind {
            FaultKind::Latency { jitter, .. } => *jitter = spread,
            _ => return self.refuse("jitter", "only on Fault::latency", format!("{spread:?}")),
        }
        self
    }

    /// Refuses new connections.
    pub fn down() -> Self {
        Fault { direction: Direction::Both, ..Fault::new(FaultKind::Down) }
    }

    /// Accepts, then closes at once.
    pub fn blackout() -> Self {
        Fault { direction: Direction::Both, ..Fault::new(FaultKind::Blackout) }
    }

    /// Reads and never answers.
    pub fn hang() -> Self {
        Fault::new(FaultKind::Hang)
    }

    /// Sends `bytes` of garbage instead of each chunk.
    pub fn garbage(bytes: usize) -> Self {
        let f = Fault::new(FaultKind::Garbage { bytes });
        if bytes == 0 { f.refuse("bytes", "at least 1", 0) } else { f }
    }

    /// Resets the connection when data flows.
    pub fn reset() -> Self {
        Fault::new(FaultKind::Reset)
    }

    /// Limits throughput to `bytes_per_sec`.
    pub fn bandwidth(bytes_per_sec: u64) -> Self {
        let f = Fault::new(FaultKind::Bandwidth { bytes_per_sec });
        if bytes_per_sec == 0 { f.refuse("bytes_per_sec", "at least 1 byte per second", 0) } else { f }
    }

    /// Delays the close by `delay`.
    pub fn slow_close(delay: Duration) -> Self {
        Fault::new(FaultKind::SlowClose { delay })
    }

    /// Stops data and closes after `after` (zero: never).
    pub fn timeout(after: Duration) -> Self {
        Fault::new(FaultKind::Timeout { after })
    }

    /// Resets the connection (RST) `after` the first data.
    pub fn reset_peer() -> Self {
        Fault::new(FaultKind::ResetPeer { after: Duration::ZERO })
    }

    /// Cuts writes into pieces of `average` ± `variation` bytes, `delay` apart.
    pub fn slicer(average: usize, variation: usize, delay: Duration) -> Self {
        let f = Fault::new(FaultKind::Slicer { average, variation, delay });
        if average == 0 {
            f.refuse("average", "at least 1 byte", 0)
        } else if variation >= average {
            f.refuse("variation", "less than average", variation)
        } else {
            f
        }
    }

    /// Closes after `bytes` have passed.
    pub fn limit_data(bytes: u64) -> Self {
        Fault::new(FaultKind::LimitData { bytes })
    }

    /// Acts on client -> server data.
    pub fn upstream(mut self) -> Self {
        self.direction = Direction::Upstream;
        self
    }

    /// Acts on server -> client data.
    pub fn downstream(mut self) -> Self {
        self.direction = Direction::Downstream;
        self
    }

    /// Acts both ways.
    pub fn both(mut self) -> Self {
        self.direction = Direction::Both;
        self
    }

    /// Acts with probability `p` (0 to 1), drawn per connection unless `.per_chunk()`.
    pub fn probability(mut self, p: f64) -> Self {
        if !(0.0..=1.0).contains(&p) {
            return self.refuse("probability", "a number from 0 to 1", p);
        }
        self.toxicity = p;
        self
    }

    /// Draws the probability for every chunk instead of once per connection.
    pub fn per_chunk(mut self) -> Self {
        self.draw = Draw::PerChunk;
        self
    }

    /// Acts only on the first `n` connections accepted after it was added.
    pub fn first_connections(mut self, n: u64) -> Self {
        self.trigger.first_connections = Some(n);
        self
    }

    /// Acts only once `n` bytes have passed in its direction.
    pub fn after_bytes(mut self, n: u64) -> Self {
        self.trigger.after_bytes = Some(n);
        self
    }

    /// Acts only once the connection is `t` old. On `reset_peer`, the reset comes `t` after
    /// the first data.
    pub fn after(mut self, t: Duration) -> Self {
        match &mut self.kind {
            FaultKind::ResetPeer { after } => *after = t,
            _ => self.trigger.after = Some(t),
        }
        self
    }

    /// Reaches only connections accepted after it is added.
    pub fn new_connections_only(mut self) -> Self {
        self.applies = Applies::NewConnections;
        self
    }

    /// `Ok` when every parameter is in range; else the first one that is not.
    pub fn validate(&self) -> Result<(), ProxyError> {
        match &self.invalid {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Parses Vaurien's behaviour syntax, `20:delay` or `delay`, with a default for each
    /// fault's parameters: `delay` (1 s latency), `hang`, `blackout`, `error` (garbage),
    /// `reset`, `down`. The percentage becomes the probability.
    pub fn from_behavior(text: &str) -> Result<Self, ProxyError> {
        let bad = || ProxyError::BadBehavior {
            got: text.to_string(),
            accepted: "PERCENT:NAME or NAME, NAME one of delay, hang, blackout, error, reset, down",
        };
        let (percent, name) = match text.trim().split_once(':') {
            Some((p, n)) => (p.trim().parse::<f64>().map_err(|_| bad())?, n.trim()),
            None => (100.0, text.trim()),
        };
        if !(0.0..=100.0).contains(&percent) {
            return Err(bad());
        }
        let fault = match name {
            "delay" => Fault::latency(Duration::from_secs(1)),
            "hang" => Fault::hang(),
            "blackout" => Fault::blackout(),
            "error" | "errors" => Fault::garbage(64),
            "reset" => Fault::reset(),
            "down" => Fault::down(),
            _ => return Err(bad()),
        };
        Ok(fault.probability(percent / 100.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_parameters_are_named_at_validation() {
        let cases = [
            (Fault::latency(Duration::from_millis(5)).probability(1.5), "probability"),
            (Fault::bandwidth(0), "bytes_per_sec"),
            (Fault::slicer(10, 10, Duration::ZERO), "variation"),
            (Fault::slicer(0, 0, Duration::ZERO), "average"),
            (Fault::hang().jitter(Duration::from_millis(1)), "jitter"),
        ];
        for (fault, parameter) in cases {
            let e = fault.validate().unwrap_err().to_string();
            assert!(e.contains(&format!("`{parameter}`")), "{e}");
        }
        assert!(Fault::latency(Duration::from_millis(5)).jitter(Duration::from_millis(9)).validate().is_ok());
    }

    #[test]
    fn labels_are_short_and_name_what_differs_from_the_defaults() {
        assert_eq!(Fault::none().label(), "none");
        assert_eq!(Fault::latency(Duration::from_millis(30)).label(), "latency-30ms");
        assert_eq!(Fault::reset().upstream().label(), "reset-up");
        assert_eq!(Fault::hang().probability(0.5).label(), "hang-p0.5");
        assert_eq!(Fault::blackout().label(), "blackout");
    }

    #[test]
    fn vaurien_behaviours_parse_to_faults_with_probabilities() {
        let f = Fault::from_behavior("20:delay").unwrap();
        assert_eq!((f.kind.name(), f.toxicity), ("latency", 0.2));
        assert_eq!(Fault::from_behavior("hang").unwrap().toxicity, 1.0);
        for bad in ["20:nap", "x:delay", "120:delay", ""] {
            assert!(Fault::from_behavior(bad).unwrap_err().to_string().contains("PERCENT:NAME"), "{bad}");
        }
    }
}
