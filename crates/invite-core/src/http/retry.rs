//! When to retry a call, and how long to wait first.
//!
//! Two kinds of retry, counted apart:
//! - after an error a retry may cure (5xx on a read, timeout, reset, connection refused):
//!   at most [`RetryConfig::max_retries`] times, after an exponential backoff;
//! - after a 429: the vendor proved the request was not processed, so it is sent again (POST
//!   included) after the `Retry-After` it asked for (or its window's reset), however long,
//!   as often as it takes, within the call's deadline ([`RetryConfig::retry_timeout`]).
//!   These waits never use up the retries meant for errors.

use std::time::Duration;

use tokio::time::Instant;

/// Retry settings.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after errors (0 disables them). 429 answers do not count: they are waited
    /// out within [`RetryConfig::retry_timeout`].
    pub max_retries: u32,
    /// First backoff.
    pub initial_backoff: Duration,
    /// Largest backoff. A `Retry-After` is honoured even when longer, within the deadline.
    pub max_backoff: Duration,
    /// The deadline of one call, counted from its start, every attempt and wait included
    /// (default 120 s: Webflow asks for 60 s after a 429). A rate-limit wait that would end
    /// past it is not started: the call fails with [`crate::Error::RateLimited`] at once.
    pub retry_timeout: Duration,
    /// Randomize backoffs ("equal jitter": half fixed, half random). Off for exact tests.
    pub jitter: bool,
    /// Send a request again after a 429, once the vendor's wait is over (within the
    /// deadline). On by default; off in [`RetryConfig::none`].
    pub retry_rate_limited: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            retry_timeout: Duration::from_secs(120),
            jitter: true,
            retry_rate_limited: true,
        }
    }
}

impl RetryConfig {
    /// No retries at all: the first error or 429 is the answer.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            retry_rate_limited: false,
            ..Self::default()
        }
    }
    crate::setters! {
        /// Sets the number of retries.
        with_max_retries(max_retries: u32);
        /// Sets the total time budget of one call.
        with_retry_timeout(retry_timeout: Duration);
        /// Turns sending again after a 429 on or off.
        with_retry_rate_limited(retry_rate_limited: bool);
        /// Turns jitter on or off.
        with_jitter(jitter: bool);
    }
    /// Sets the backoff range.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
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

/// Why an attempt is to be repeated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    /// An error a retry may cure: counts against [`RetryConfig::max_retries`].
    Error,
    /// A 429, with the wait the vendor asked for (`Retry-After`, or the reset of a window
    /// with nothing left). Never counts against `max_retries`.
    RateLimited(Option<Duration>),
}

/// The retries of one call: what it has used, and its deadline.
#[derive(Debug)]
pub(super) struct Retries<'a> {
    config: &'a RetryConfig,
    deadline: Instant,
    errors: u32,
    rate_limited: u32,
}

impl<'a> Retries<'a> {
    /// The retries of a call that starts at `started`.
    pub(super) fn new(config: &'a RetryConfig, started: Instant) -> Self {
        Self {
            config,
            deadline: started + config.retry_timeout,
            errors: 0,
            rate_limited: 0,
        }
    }

    /// When the call must be over.
    pub(super) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// How many 429 answers the call has waited out.
    pub(super) fn rate_limited(&self) -> u32 {
        self.rate_limited
    }

    /// How long to wait before the next attempt, or `None` to give up: the errors' retries
    /// are used up, or the wait would end past the deadline. A vendor's wait is honoured as
    /// asked, never shortened; one of zero (or none) gets the backoff, so that a vendor that
    /// answers 429 without saying how long is not hammered.
    pub(super) fn next(&mut self, cause: Cause, now: Instant) -> Option<Duration> {
        let wait = match cause {
            Cause::Error => {
                if self.errors >= self.config.max_retries {
                    return None;
                }
                self.errors += 1;
                self.config.backoff(self.errors)
            }
            Cause::RateLimited(asked) => {
                self.rate_limited += 1;
                if !self.config.retry_rate_limited {
                    return None;
                }
                asked
                    .filter(|w| !w.is_zero())
                    .unwrap_or_else(|| self.config.backoff(self.rate_limited))
            }
        };
        (now + wait <= self.deadline).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact() -> RetryConfig {
        RetryConfig::default()
            .with_max_retries(3)
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(false)
    }

    #[test]
    fn rate_limit_waits_do_not_use_up_the_error_retries() {
        let config = exact();
        let start = Instant::now();
        let mut r = Retries::new(&config, start);
        let second = Some(Duration::from_secs(1));
        for _ in 0..10 {
            assert_eq!(
                r.next(Cause::RateLimited(second), start),
                Some(Duration::from_secs(1))
            );
        }
        assert_eq!(r.rate_limited(), 10);
        assert_eq!(
            r.next(Cause::Error, start),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            r.next(Cause::Error, start),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            r.next(Cause::Error, start),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            r.next(Cause::Error, start),
            None,
            "three retries after errors"
        );
        assert_eq!(
            r.next(Cause::RateLimited(second), start),
            Some(Duration::from_secs(1)),
            "a 429 is still waited out"
        );
    }

    #[test]
    fn a_vendor_wait_is_honoured_however_long_within_the_deadline_only() {
        let config = exact(); // deadline 120 s, largest backoff 1 s
        let start = Instant::now();
        let mut r = Retries::new(&config, start);
        let minute = Some(Duration::from_secs(60));
        assert_eq!(r.next(Cause::RateLimited(minute), start), minute);
        let later = start + Duration::from_secs(60);
        assert_eq!(
            r.next(Cause::RateLimited(minute), later),
            minute,
            "ends at 120 s"
        );
        let past = start + Duration::from_secs(61);
        assert_eq!(r.next(Cause::RateLimited(minute), past), None);
        assert_eq!(r.deadline(), start + Duration::from_secs(120));
        // No wait given (or zero): the backoff, so a silent 429 is not hammered.
        let mut r = Retries::new(&config, start);
        assert_eq!(
            r.next(Cause::RateLimited(None), start),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            r.next(Cause::RateLimited(Some(Duration::ZERO)), start),
            Some(Duration::from_millis(200))
        );
        // `none()`: no retry of any kind.
        let none = RetryConfig::none();
        let mut r = Retries::new(&none, start);
        assert_eq!(
            r.next(Cause::RateLimited(Some(Duration::ZERO)), start),
            None
        );
        assert_eq!(r.next(Cause::Error, start), None);
    }

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
