//! Timeout: stop all data; close the connection `after` the fault starts (zero: never, a
//! black hole).

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Timeout {
    after: Duration,
}

impl Timeout {
    pub fn new(after: Duration) -> Self {
        Timeout { after }
    }
}

impl Transform for Timeout {
    fn start(&mut self, now: Instant, out: &mut Vec<Emit>) {
        if !self.after.is_zero() {
            out.push(Emit::Close(now + self.after));
        }
    }

    fn chunk(&mut self, _at: Instant, _data: Vec<u8>, _rng: &mut Rng, _out: &mut Vec<Emit>) {}

    fn eof(&mut self, _at: Instant, _out: &mut Vec<Emit>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn data_stops_and_the_close_comes_after_the_timeout() {
        let out = run(&mut Timeout::new(Duration::from_millis(50)), &[(0, b"a"), (10, b"b")], Some(20));
        assert_eq!(out, [(50, "close".into())]);
        let black_hole = run(&mut Timeout::new(Duration::ZERO), &[(0, b"a")], Some(20));
        assert!(black_hole.is_empty());
    }
}
