//! Limit data: let `bytes` through, then close the connection.

use tokio::time::Instant;

use super::{Emit, Transform};
use crate::rng::Rng;

pub struct LimitData {
    left: u64,
    closed: bool,
}

impl LimitData {
    pub fn new(bytes: u64) -> Self {
        LimitData { left: bytes, closed: false }
    }
}

impl Transform for LimitData {
    fn start(&mut self, now: Instant, out: &mut Vec<Emit>) {
        if self.left == 0 {
            self.closed = true;
            out.push(Emit::Close(now));
        }
    }

    fn chunk(&mut self, at: Instant, mut data: Vec<u8>, _rng: &mut Rng, out: &mut Vec<Emit>) {
        if self.closed {
            return;
        }
        if data.len() as u64 >= self.left {
            data.truncate(self.left as usize);
            self.left = 0;
            self.closed = true;
            if !data.is_empty() {
                out.push(Emit::Data(at, data));
            }
            out.push(Emit::Close(at));
        } else {
            self.left -= data.len() as u64;
            out.push(Emit::Data(at, data));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::faults::testing::run;

    #[test]
    fn passes_exactly_the_limit_then_closes() {
        let mut l = LimitData::new(5);
        let out = run(&mut l, &[(0, b"abc"), (1, b"defg"), (2, b"hij")], None);
        assert_eq!(out, [(0, "data abc".into()), (1, "data de".into()), (1, "close".into())]);
    }
}
