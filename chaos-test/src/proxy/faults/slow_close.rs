//! Slow close: data passes; the close (EOF, or a close from an earlier fault) waits `delay`.

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct SlowClose {
    delay: Duration,
}

impl SlowClose {
    pub fn new(delay: Duration) -> Self {
        SlowClose { delay }
    }
}

impl Transform for SlowClose {
    fn chunk(&mut self, at: Instant, data: Vec<u8>, _rng: &mut Rng, out: &mut Vec<Emit>) {
        out.push(Emit::Data(at, data));
    }

    fn eof(&mut self, at: Instant, out: &mut Vec<Emit>) {
        out.push(Emit::Eof(at + self.delay));
    }

    fn end(&mut self, end: Emit, out: &mut Vec<Emit>) {
        out.push(match end {
            Emit::Close(at) => Emit::Close(at + self.delay),
            other => other,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn data_passes_and_the_close_waits() {
        let out = run(&mut SlowClose::new(Duration::from_millis(40)), &[(1, b"a")], Some(2));
        assert_eq!(out, [(1, "data a".into()), (42, "eof".into())]);
    }
}
