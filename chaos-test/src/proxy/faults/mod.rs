//! Data faults as transforms: each turns a chunk that arrived at an instant into what the
//! proxy should emit and when. They touch no socket and draw from the `Rng` they are given, so
//! each is unit-tested with plain values and a seed.

mod bandwidth;
mod garbage;
mod hang;
mod latency;
mod limit_data;
mod reset;
mod slicer;
mod slow_close;
mod timeout;

use tokio::time::Instant;

use super::fault::FaultKind;
use crate::rng::Rng;

/// What a direction of a connection does, at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emit {
    /// Write these bytes.
    Data(Instant, Vec<u8>),
    /// Half-close this direction (pass the EOF on).
    Eof(Instant),
    /// Close the whole connection, gracefully (FIN both ways).
    Close(Instant),
    /// Reset the whole connection (RST both ways).
    Reset(Instant),
}

impl Emit {
    /// When it happens.
    pub fn at(&self) -> Instant {
        match self {
            Emit::Data(at, _) | Emit::Eof(at) | Emit::Close(at) | Emit::Reset(at) => *at,
        }
    }
}

/// A data fault acting on one direction of one connection.
pub trait Transform: Send {
    /// The fault starts acting at `now` (a connection opened, or the fault was added).
    fn start(&mut self, _now: Instant, _out: &mut Vec<Emit>) {}
    /// A chunk reached the fault at `at`.
    fn chunk(&mut self, at: Instant, data: Vec<u8>, rng: &mut Rng, out: &mut Vec<Emit>);
    /// The source closed at `at`.
    fn eof(&mut self, at: Instant, out: &mut Vec<Emit>) {
        out.push(Emit::Eof(at));
    }
    /// A close or reset from an earlier fault passes through this one.
    fn end(&mut self, end: Emit, out: &mut Vec<Emit>) {
        out.push(end);
    }
}

/// The transform of a data fault; `None` for faults that act on accept (down, blackout).
pub fn transform(kind: &FaultKind) -> Option<Box<dyn Transform>> {
    Some(match kind {
        FaultKind::Latency { latency, jitter } => Box::new(latency::Latency::new(*latency, *jitter)),
        FaultKind::Bandwidth { bytes_per_sec } => Box::new(bandwidth::Bandwidth::new(*bytes_per_sec)),
        FaultKind::Slicer { average, variation, delay } => {
            Box::new(slicer::Slicer::new(*average, *variation, *delay))
        }
        FaultKind::LimitData { bytes } => Box::new(limit_data::LimitData::new(*bytes)),
        FaultKind::Timeout { after } => Box::new(timeout::Timeout::new(*after)),
        FaultKind::Hang => Box::new(hang::Hang),
        FaultKind::Garbage { bytes } => Box::new(garbage::Garbage::new(*bytes)),
        FaultKind::Reset => Box::new(reset::ResetPeer::new(None)),
        FaultKind::ResetPeer { after } => Box::new(reset::ResetPeer::new(Some(*after))),
        FaultKind::SlowClose { delay } => Box::new(slow_close::SlowClose::new(*delay)),
        FaultKind::Down | FaultKind::Blackout | FaultKind::PassThrough => return None,
    })
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Runs chunks (offset in ms from a base instant, bytes) through a transform; returns
    /// the emits with their offsets in ms.
    pub fn run(t: &mut dyn Transform, chunks: &[(u64, &[u8])], eof_at: Option<u64>) -> Vec<(u64, String)> {
        let base = Instant::now();
        let ms = |n: u64| base + std::time::Duration::from_millis(n);
        let mut rng = Rng(1);
        let mut out = Vec::new();
        t.start(base, &mut out);
        for (at, data) in chunks {
            t.chunk(ms(*at), data.to_vec(), &mut rng, &mut out);
        }
        if let Some(at) = eof_at {
            t.eof(ms(at), &mut out);
        }
        out.iter()
            .map(|e| {
                let offset = e.at().duration_since(base).as_millis() as u64;
                let what = match e {
                    Emit::Data(_, d) => format!("data {}", String::from_utf8_lossy(d)),
                    Emit::Eof(_) => "eof".into(),
                    Emit::Close(_) => "close".into(),
                    Emit::Reset(_) => "reset".into(),
                };
                (offset, what)
            })
            .collect()
    }
}
