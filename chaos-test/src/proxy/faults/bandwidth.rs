//! Bandwidth: a virtual clock releases bytes no faster than the rate, in pieces of about 20 ms
//! of transfer so a large chunk trickles instead of arriving in one late burst.

use std::time::Duration;

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Bandwidth {
    bytes_per_sec: u64,
    free_at: Option<Instant>,
}

impl Bandwidth {
    pub fn new(bytes_per_sec: u64) -> Self {
        Bandwidth { bytes_per_sec: bytes_per_sec.max(1), free_at: None }
    }
}

impl Transform for Bandwidth {
    fn chunk(&mut self, at: Instant, data: Vec<u8>, _rng: &mut Rng, out: &mut Vec<Emit>) {
        let piece = (self.bytes_per_sec / 50).max(1) as usize;
        let mut clock = self.free_at.map_or(at, |f| f.max(at));
        for part in data.chunks(piece) {
            clock += Duration::from_secs_f64(part.len() as f64 / self.bytes_per_sec as f64);
            out.push(Emit::Data(clock, part.to_vec()));
        }
        self.free_at = Some(clock);
    }

    fn eof(&mut self, at: Instant, out: &mut Vec<Emit>) {
        out.push(Emit::Eof(self.free_at.map_or(at, |f| f.max(at))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn a_thousand_bytes_at_a_hundred_per_second_take_ten_seconds() {
        let mut b = Bandwidth::new(100);
        let data = vec![b'x'; 1000];
        let out = run(&mut b, &[(0, &data)], Some(0));
        let (last_data, _) = out[out.len() - 2];
        assert_eq!(last_data, 10_000);
        assert_eq!(out.last().unwrap().1, "eof");
        assert_eq!(out.len() - 1, 500, "2-byte pieces (20 ms each at 100 B/s)");
    }
}
