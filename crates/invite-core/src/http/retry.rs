//! When to retry a call, and how long to wait first.

use std::time::Duration;

/// Retry settings.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// First backoff.
    pub initial_backoff: Duration,
    /// Largest backoff (and largest honoured `Retry-After` per wait).
    pub max_backoff: Duration,
    /// Total time budget for one call including every retry and wait.
    pub retry_timeout: Duration,
    /// Randomize backoffs ("equal jitter": half fixed, half random). Off for exact tests.
    pub jitter: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            retry_timeout: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
    /// Sets the number of retries.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// Sets the backoff range.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }
    /// Sets the total time budget of one call.
    pub fn with_retry_timeout(mut self, total: Duration) -> Self {
        self.retry_timeout = total;
        self
    }
    /// Turns jitter on or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let base = exp.min(self.max_backoff);
        if self.jitter {
            let half = base / 2;
            half + half.mul_f64(fastrand::f64())
        } else {
            base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        let r = RetryConfig::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(false);
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(2), Duration::from_millis(200));
        assert_eq!(r.backoff(4), Duration::from_millis(800));
        assert_eq!(r.backoff(5), Duration::from_secs(1));
        assert_eq!(r.backoff(40), Duration::from_secs(1));
        let j =
            RetryConfig::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        for n in 1..6 {
            let b = j.backoff(n);
            let fixed = r.backoff(n);
            assert!(b >= fixed / 2 && b <= fixed, "{b:?} vs {fixed:?}");
        }
    }
}
