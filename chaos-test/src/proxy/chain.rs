//! The faults acting on one direction of one connection, in the order they were added, with
//! their per-connection draws, their triggers and their transforms' state.
//!
//! Each fault draws from its own stream, derived from (seed, connection ordinal, direction,
//! fault id): runs repeat exactly, and no two connections share a stream.

use tokio::time::Instant;

use super::fault::{Direction, Draw, Fault};
use super::faults::{self, Emit, Transform};
use super::state::{Decision, Installed, Shared};
use crate::rng::Rng;

struct Entry {
    id: u64,
    fault: Fault,
    transform: Box<dyn Transform>,
    rng: Rng,
    /// The per-connection draw (`None` when drawn per chunk).
    fired: Option<bool>,
    started: bool,
    seen: u64,
}

impl Entry {
    /// Whether the fault acts on data arriving at `at` (time trigger).
    fn due(&self, at: Instant, opened: Instant) -> bool {
        self.fault.trigger.after.is_none_or(|after| at >= opened + after)
    }

    fn fires(&mut self) -> bool {
        match self.fired {
            Some(fired) => fired,
            None => self.rng.unit() < self.fault.toxicity,
        }
    }
}

/// The fault chain of one direction.
pub struct Chain {
    connection: u64,
    flow: Direction,
    opened: Instant,
    entries: Vec<Entry>,
}

impl Chain {
    /// An empty chain for `flow` of connection `connection`.
    pub fn new(connection: u64, flow: Direction, opened: Instant) -> Self {
        Chain { connection, flow, opened, entries: Vec::new() }
    }

    /// Whether no fault acts on this direction.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Follows the installed faults: keeps the state of those still there, drops removed
    /// ones, and adds new ones (drawing their per-connection decision once).
    pub fn sync(&mut self, installed: &[Installed], shared: &Shared, now: Instant, out: &mut Vec<Emit>) {
        self.entries.retain(|e| installed.iter().any(|i| i.id == e.id));
        for item in installed {
            if self.entries.iter().any(|e| e.id == item.id)
                || item.fault.kind.on_accept()
                || !item.fault.direction.covers(self.flow)
                || !item.reaches(self.connection)
            {
                continue;
            }
            let Some(transform) = faults::transform(&item.fault.kind) else { continue };
            let flow = u64::from(self.flow == Direction::Downstream);
            let mut rng = Rng::derive(shared.seed, &[self.connection, flow, item.id]);
            let fired = match item.fault.draw {
                Draw::PerConnection => {
                    let fired = rng.unit() < item.fault.toxicity;
                    shared.decide(Decision {
                        connection: self.connection,
                        flow: self.flow,
                        fault_id: item.id,
                        fault: item.fault.kind.name(),
                        fired,
                    });
                    Some(fired)
                }
                Draw::PerChunk => None,
            };
            let mut entry = Entry {
                id: item.id,
                fault: item.fault.clone(),
                transform,
                rng,
                fired,
                started: false,
                seen: 0,
            };
            let untriggered =
                entry.fault.trigger.after.is_none() && entry.fault.trigger.after_bytes.is_none();
            if fired == Some(true) && untriggered {
                entry.started = true;
                entry.transform.start(now, out);
            }
            self.entries.push(entry);
        }
    }

    /// Runs a chunk that arrived at `at` through the chain.
    pub fn chunk(&mut self, at: Instant, data: Vec<u8>, out: &mut Vec<Emit>) {
        let mut items = vec![Emit::Data(at, data)];
        for entry in &mut self.entries {
            let mut next = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Emit::Data(at, mut data) => {
                        // A byte trigger splits the chunk: the bytes before it pass untouched.
                        if let Some(limit) = entry.fault.trigger.after_bytes {
                            let before = limit.saturating_sub(entry.seen).min(data.len() as u64) as usize;
                            entry.seen += data.len() as u64;
                            if before > 0 {
                                let rest = data.split_off(before);
                                next.push(Emit::Data(at, data));
                                if rest.is_empty() {
                                    continue;
                                }
                                data = rest;
                            }
                        }
                        if !entry.due(at, self.opened) || !entry.fires() {
                            next.push(Emit::Data(at, data));
                            continue;
                        }
                        if !entry.started {
                            entry.started = true;
                            entry.transform.start(at, &mut next);
                        }
                        entry.transform.chunk(at, data, &mut entry.rng, &mut next);
                    }
                    Emit::Eof(at) if entry.started => entry.transform.eof(at, &mut next),
                    end @ (Emit::Close(_) | Emit::Reset(_)) if entry.started => {
                        entry.transform.end(end, &mut next)
                    }
                    other => next.push(other),
                }
            }
            items = next;
        }
        out.extend(items);
    }

    /// The source closed at `at`.
    pub fn eof(&mut self, at: Instant, out: &mut Vec<Emit>) {
        let mut items = vec![Emit::Eof(at)];
        for entry in &mut self.entries {
            let mut next = Vec::new();
            for item in items {
                match item {
                    Emit::Eof(at) if entry.started => entry.transform.eof(at, &mut next),
                    other => next.push(other),
                }
            }
            items = next;
        }
        out.extend(items);
    }
}
