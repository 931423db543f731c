//! Hang: read and discard, never answer, never close.

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct Hang;

impl Transform for Hang {
    fn chunk(&mut self, _at: Instant, _data: Vec<u8>, _rng: &mut Rng, _out: &mut Vec<Emit>) {}

    fn eof(&mut self, _at: Instant, _out: &mut Vec<Emit>) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn nothing_comes_out_not_even_the_close() {
        assert!(run(&mut Hang, &[(0, b"ping")], Some(5)).is_empty());
    }
}
