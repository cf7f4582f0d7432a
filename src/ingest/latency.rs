//! How long the pipeline takes to store each mail, kept in this process
//! for `/metrics`. The store has no trace of it (a mail's rows carry the
//! desk's clock, not the commit's), so it can only be counted where the
//! mail is processed: `guichet run` observes its sources' mail and serves
//! the histogram; a `guichet ingest` process observes and exits.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (Prometheus's usual ones): one
/// mail alone takes milliseconds, a group of a hundred about a second.
pub const BOUNDS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Counts by bucket, lock-free: observing is three atomic additions.
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last one is above
    /// every bound.
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

/// What a histogram held at one moment, cumulative as exposed.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// (upper bound, observations at or below it), ending with +Inf.
    pub buckets: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram { buckets: [const { AtomicU64::new(0) }; BOUNDS.len() + 1], sum_nanos: AtomicU64::new(0) }
    }

    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let i = BOUNDS.iter().position(|&b| seconds <= b).unwrap_or(BOUNDS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The count is the buckets' total, so that it always equals the
    /// +Inf bucket even while other threads observe.
    pub fn snapshot(&self) -> Snapshot {
        let mut total = 0;
        let mut buckets = Vec::with_capacity(BOUNDS.len() + 1);
        for (i, bucket) in self.buckets.iter().enumerate() {
            total += bucket.load(Ordering::Relaxed);
            buckets.push((BOUNDS.get(i).copied().unwrap_or(f64::INFINITY), total));
        }
        let sum_seconds = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        Snapshot { buckets, count: total, sum_seconds }
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

/// Each mail stored by this process: from the moment the pipeline takes
/// it in hand (with the others of its group, up to 100 from one source)
/// to the commit that stores it.
pub static INGEST: Histogram = Histogram::new();

static READS_MAIL: AtomicBool = AtomicBool::new(false);

/// Said by `guichet run`, whose sources feed [`INGEST`]: only then is the
/// histogram worth serving (`guichet serve` stores no mail, and a
/// histogram that stays empty there would read as a desk receiving none).
pub fn set_reads_mail() {
    READS_MAIL.store(true, Ordering::Relaxed);
}

pub fn reads_mail() -> bool {
    READS_MAIL.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them_and_buckets_add_up() {
        let h = Histogram::new();
        for ms in [1, 5, 7, 300, 20_000] {
            h.observe(Duration::from_millis(ms));
        }
        let s = h.snapshot();
        assert_eq!(s.count, 5);
        let at = |bound: f64| s.buckets.iter().find(|(b, _)| *b == bound).map(|(_, n)| *n);
        assert_eq!(at(0.005), Some(2), "1 ms and exactly 5 ms");
        assert_eq!(at(0.01), Some(3));
        assert_eq!(at(0.25), Some(3));
        assert_eq!(at(0.5), Some(4));
        assert_eq!(at(10.0), Some(4));
        assert_eq!(s.buckets.last(), Some(&(f64::INFINITY, 5)));
        assert!(s.buckets.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 < w[1].0));
        assert!((s.sum_seconds - 20.313).abs() < 1e-9, "{}", s.sum_seconds);
    }
}
