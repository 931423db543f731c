//! Seeded randomness: splitmix64, and independent streams derived from a root seed.
//!
//! Everything random in chaos-test (covering arrays, sampling, fault decisions) draws from
//! here, so a seed reproduces a run exactly. A derived stream mixes the root seed with the
//! stream's coordinates (for the proxy: connection ordinal, direction, fault), so streams are
//! independent of each other and of the order in which they are created.

/// splitmix64: tiny, fast, and good enough for tie-breaking, sampling and fault decisions.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// A stream for `coordinates` under `seed`.
    pub fn derive(seed: u64, coordinates: &[u64]) -> Self {
        let mut state = Rng(seed);
        let mut mixed = state.next();
        for &c in coordinates {
            state.0 ^= c.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ mixed;
            mixed = state.next();
        }
        Rng(mixed)
    }

    /// The next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0) by multiply-high, avoiding modulo bias for small n.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_streams_repeat_and_differ_by_coordinates() {
        let draw = |seed, coords: &[u64]| {
            let mut r = Rng::derive(seed, coords);
            (0..8).map(|_| r.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, &[1, 0, 3]), draw(42, &[1, 0, 3]));
        assert_ne!(draw(42, &[1, 0, 3]), draw(42, &[2, 0, 3]));
        assert_ne!(draw(42, &[1, 0, 3]), draw(42, &[1, 1, 3]));
        assert_ne!(draw(42, &[1, 0, 3]), draw(43, &[1, 0, 3]));
        let mut r = Rng(7);
        assert!((0..1000).map(|_| r.unit()).all(|u| (0.0..1.0).contains(&u)));
    }
}
