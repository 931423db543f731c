//! Resets: `reset` sends an RST when data flows; `reset_peer` sends one `after` the fault
//! starts (at the first data when `after` is zero), letting data through until then. Only a
//! fault that fired gets here, so a probability of 0 never resets (Toxiproxy #603).

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct ResetPeer {
    after: Option<Duration>,
    done: bool,
}

impl ResetPeer {
    /// `None`: reset on the first data, dropping it. `Some(t)`: reset `t` after the start.
    pub fn new(after: Option<Duration>) -> Self {
        ResetPeer { after, done: false }
    }
}

impl Transform for ResetPeer {
    fn start(&mut self, now: Instant, out: &mut Vec<Emit>) {
        if let Some(after) = self.after.filter(|a| !a.is_zero()) {
            self.done = true;
            out.push(Emit::Reset(now + after));
        }
    }

    fn chunk(&mut self, at: Instant, data: Vec<u8>, _rng: &mut Rng, out: &mut Vec<Emit>) {
        match self.after {
            None if !self.done => {
                self.done = true;
                out.push(Emit::Reset(at));
            }
            None => {}
            Some(_) => {
                out.push(Emit::Data(at, data));
                if !self.done {
                    self.done = true;
                    out.push(Emit::Reset(at));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn reset_drops_data_and_resets_once() {
        let out = run(&mut ResetPeer::new(None), &[(3, b"a"), (4, b"b")], None);
        assert_eq!(out, [(3, "reset".into())]);
    }

    #[test]
    fn reset_peer_lets_data_through_until_its_time() {
        let out = run(&mut ResetPeer::new(Some(Duration::from_millis(30))), &[(3, b"a")], None);
        assert_eq!(out, [(30, "reset".into()), (3, "data a".into())]);
        let at_first_data = run(&mut ResetPeer::new(Some(Duration::ZERO)), &[(3, b"a"), (4, b"b")], None);
        assert_eq!(at_first_data, [(3, "data a".into()), (3, "reset".into()), (4, "data b".into())]);
    }
}
