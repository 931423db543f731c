//! Latency with jitter, as a deadline queue: each chunk is due at its arrival plus the delay,
//! so chunks in flight overlap like on a real link instead of adding up.

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Latency {
    latency: Duration,
    jitter: Duration,
}

impl Latency {
    pub fn new(latency: Duration, jitter: Duration) -> Self {
        Latency { latency, jitter }
    }

    /// `latency + uniform(-jitter..=jitter)` in signed nanoseconds, clamped at zero: no
    /// unsigned underflow when jitter exceeds latency.
    fn delay(&self, rng: &mut Rng) -> Duration {
        let base = self.latency.as_nanos() as i128;
        let spread = self.jitter.as_nanos() as i128;
        let offset = if spread == 0 { 0 } else { (rng.next() as i128 % (2 * spread + 1)) - spread };
        Duration::from_nanos((base + offset).max(0) as u64)
    }
}

impl Transform for Latency {
    fn chunk(&mut self, at: Instant, data: Vec<u8>, rng: &mut Rng, out: &mut Vec<Emit>) {
        out.push(Emit::Data(at + self.delay(rng), data));
    }

    fn eof(&mut self, at: Instant, out: &mut Vec<Emit>) {
        out.push(Emit::Eof(at + self.latency));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn chunks_are_due_at_arrival_plus_delay_not_cumulatively() {
        let mut l = Latency::new(Duration::from_millis(20), Duration::ZERO);
        let out = run(&mut l, &[(0, b"a"), (1, b"b"), (2, b"c")], Some(3));
        assert_eq!(
            out,
            [(20, "data a".into()), (21, "data b".into()), (22, "data c".into()), (23, "eof".into())]
        );
    }

    #[test]
    fn jitter_larger_than_latency_never_goes_below_zero() {
        let l = Latency::new(Duration::from_millis(1), Duration::from_millis(10));
        let mut rng = Rng(9);
        let delays: Vec<Duration> = (0..2000).map(|_| l.delay(&mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(11)));
        assert!(delays.contains(&Duration::ZERO), "clamping at zero happens");
        assert!(delays.iter().any(|d| *d > Duration::from_millis(5)));
    }
}
