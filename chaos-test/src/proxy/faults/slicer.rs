//! Slicer: cut each chunk into pieces of `average ± variation` bytes, `delay` apart.

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Slicer {
    average: usize,
    variation: usize,
    delay: Duration,
    free_at: Option<Instant>,
}

impl Slicer {
    pub fn new(average: usize, variation: usize, delay: Duration) -> Self {
        Slicer {
            average: average.max(1),
            variation: variation.min(average.saturating_sub(1)),
            delay,
            free_at: None,
        }
    }
}

impl Transform for Slicer {
    fn chunk(&mut self, at: Instant, data: Vec<u8>, rng: &mut Rng, out: &mut Vec<Emit>) {
        let mut clock = self.free_at.map_or(at, |f| f.max(at));
        let mut rest = &data[..];
        let mut first = true;
        while !rest.is_empty() {
            let size = self.average - self.variation + rng.below(2 * self.variation + 1);
            let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
            if !first {
                clock += self.delay;
            }
            first = false;
            out.push(Emit::Data(clock, piece.to_vec()));
            rest = tail;
        }
        self.free_at = Some(clock + self.delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn pieces_keep_every_byte_in_order_and_are_spaced_by_the_delay() {
        let mut s = Slicer::new(3, 1, Duration::from_millis(5));
        let out = run(&mut s, &[(0, b"abcdefghijklmnop")], None);
        let joined: String = out.iter().map(|(_, d)| d.trim_start_matches("data ")).collect();
        assert_eq!(joined, "abcdefghijklmnop");
        assert!(out.len() >= 4);
        for (i, (at, data)) in out.iter().enumerate() {
            assert_eq!(*at, 5 * i as u64);
            let len = data.len() - "data ".len();
            assert!((2..=4).contains(&len) || i == out.len() - 1, "{data}");
        }
    }
}
