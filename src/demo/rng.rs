//! A small seeded generator (SplitMix64): the same seed plays the same
//! weeks, on every machine. Not for anything secret.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Seeds 0, 1, 2 … start far apart.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x6A09_E667_F3BC_C908)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A number in `lo..=hi`, as often between 1 and 10 as between 10
    /// and 100: waits are mostly short and sometimes long.
    pub fn spread(&mut self, lo: i64, hi: i64) -> i64 {
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1)) as f64);
        (lo * (hi / lo).powf(self.unit())).round() as i64
    }

    /// How many of something rare happen when `mean` are expected.
    pub fn poisson(&mut self, mean: f64) -> usize {
        let limit = (-mean).exp();
        let (mut k, mut p) = (0, self.unit());
        while p > limit && k < 1000 {
            k += 1;
            p *= self.unit();
        }
        k
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with these weights (the last one when all are 0).
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut left = self.below(total as usize) as u64;
        for (i, w) in weights.iter().enumerate() {
            if left < u64::from(*w) {
                return i;
            }
            left -= u64::from(*w);
        }
        weights.len().saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_another_seed_others() {
        let draw = |seed| {
            let mut r = Rng::new(seed);
            (0..8).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            assert!(r.below(7) < 7);
            assert!((3..=9).contains(&r.between(3, 9)));
            assert!((5..=300).contains(&r.spread(5, 300)));
            assert!((0.0..1.0).contains(&r.unit()));
        }
        assert_eq!(r.below(0), 0);
        let mean = (0..10_000).map(|_| r.poisson(4.0)).sum::<usize>() as f64 / 10_000.0;
        assert!((3.8..4.2).contains(&mean), "{mean}");
        let heavy = (0..10_000).filter(|_| r.weighted(&[1, 9]) == 1).count();
        assert!((8_700..9_300).contains(&heavy), "{heavy}");
    }
}
