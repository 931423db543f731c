//! Garbage: each chunk is replaced by random bytes (Vaurien's `error` handler on raw TCP).

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Garbage {
    bytes: usize,
}

impl Garbage {
    pub fn new(bytes: usize) -> Self {
        Garbage { bytes: bytes.max(1) }
    }
}

impl Transform for Garbage {
    fn chunk(&mut self, at: Instant, _data: Vec<u8>, rng: &mut Rng, out: &mut Vec<Emit>) {
        let junk: Vec<u8> = (0..self.bytes).map(|_| rng.next() as u8).collect();
        out.push(Emit::Data(at, junk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_become_seeded_garbage_of_the_given_size() {
        let mut g = Garbage::new(16);
        let now = Instant::now();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        g.chunk(now, b"PING".to_vec(), &mut Rng(3), &mut a);
        g.chunk(now, b"PING".to_vec(), &mut Rng(3), &mut b);
        assert_eq!(a, b);
        match &a[0] {
            Emit::Data(_, d) => assert!(d.len() == 16 && d[..] != b"PING"[..]),
            other => panic!("{other:?}"),
        }
    }
}
