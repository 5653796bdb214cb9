//! [`Pace`]: the one pacing rule, shared by [`LocalRateLimiter`](super::LocalRateLimiter) and
//! the Redis limiter of `invite-redis` (which stores a `Pace` per scope and runs these same
//! methods on it).
//!
//! - While the server advertises its window (`X-RateLimit-Remaining` and `-Reset`), what
//!   remains is spent **evenly until the reset**: each request reserves one and the next is
//!   due `(reset - now) / remaining` later. When the window ends, the next is assumed like it
//!   (same limit, same length) until its first answer says better, so the pace carries on
//!   without a burst or a stall.
//! - A [`RateBudget`] that is a cap (set by the user, to leave room for other integrations on
//!   the same account) is never exceeded, whatever the server advertises. A documented budget
//!   ([`RateBudget::documented`]) paces only while the server advertises nothing.
//! - `Retry-After` pauses the scope until then.

use std::time::Duration;

use super::{RateBudget, RateFeedback};

/// How far apart two `X-RateLimit-Reset` readings of one server window can be: the header's
/// one-second resolution plus transit time.
const WINDOW_SLACK: Duration = Duration::from_millis(1500);

/// The resolution of `X-RateLimit-Reset`: a window assumed after the last one ends at most
/// this much later than the last one's length, so that it is never taken to end too early.
const RESET_RESOLUTION: Duration = Duration::from_secs(1);

/// The pacing state of one vendor scope. Times are offsets from an epoch the limiter
/// chooses (its creation for [`LocalRateLimiter`](super::LocalRateLimiter), the Unix epoch
/// on Redis's clock for `invite-redis`); every method takes `now` on that clock.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pace {
    /// GCRA theoretical arrival time under the budget.
    pub tat: Duration,
    /// No request before this (the server's `Retry-After`).
    pub paused_until: Option<Duration>,
    /// Requests the server's current window still allows, minus those reserved since.
    pub remaining: Option<u64>,
    /// When the server's current window ends.
    pub reset_at: Option<Duration>,
    /// When the last request was reserved (on schedule: its due time), from which the
    /// remainder of a server window is spread.
    pub last_at: Option<Duration>,
    /// `X-RateLimit-Limit`: requests per server window.
    pub limit: Option<u64>,
    /// The server window's length: the longest `X-RateLimit-Reset` read.
    pub window: Option<Duration>,
    /// The current window is assumed from the last one, not read: its first reading
    /// replaces it, whatever it says.
    pub assumed: bool,
}

impl Pace {
    /// How long to wait before the next request; when zero, the request is reserved.
    pub fn poll(&mut self, now: Duration, budget: Option<RateBudget>) -> Duration {
        if let Some(until) = self.paused_until {
            if until > now {
                return until - now;
            }
            self.paused_until = None;
        }
        self.roll(now);
        let server = self.reset_at.zip(self.remaining);
        let mut wait = Duration::ZERO;
        let mut due = now;
        if let Some((reset_at, remaining)) = server {
            if remaining == 0 {
                return reset_at.saturating_sub(now);
            }
            // What remains, evenly until the reset, counted from the last request: the next
            // is one share of the time left after it. Read at every poll, so a new reading
            // of the window moves the schedule at once.
            if let Some(last) = self.last_at {
                let share = u32::try_from(remaining.saturating_add(1)).unwrap_or(u32::MAX);
                due = last + reset_at.saturating_sub(last) / share;
                wait = due.saturating_sub(now);
            }
        }
        let mut tat = None;
        if let Some(b) = budget.filter(|b| b.cap || server.is_none()) {
            let interval = b.interval();
            let tolerance = interval * (b.burst.max(1) - 1);
            let t = self.tat.max(now);
            wait = wait.max(t.saturating_sub(tolerance).saturating_sub(now));
            tat = Some(t + interval);
        }
        if !wait.is_zero() {
            return wait;
        }
        if let Some(t) = tat {
            self.tat = t;
        }
        if let Some((_, remaining)) = server {
            self.remaining = Some(remaining - 1);
        }
        // A request woken a little after its due time keeps the schedule (timers overshoot,
        // and the overshoot would add up); one that comes much later starts it afresh.
        let late = self
            .last_at
            .map_or(Duration::ZERO, |last| due.saturating_sub(last));
        self.last_at = Some(if now <= due + late { due } else { now });
        Duration::ZERO
    }

    /// Records what an answer said about the budget.
    pub fn observe(&mut self, now: Duration, fb: &RateFeedback) {
        if let Some(retry) = fb.retry_after {
            let until = now + retry;
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
        if fb.limit.is_some() {
            self.limit = fb.limit;
        }
        let (Some(rem), Some(reset)) = (fb.remaining, fb.reset_after) else {
            return;
        };
        self.window = Some(self.window.map_or(reset, |w| w.max(reset)));
        // `X-RateLimit-Reset` has whole-second resolution and is rounded up, and the answer
        // spent some time in transit: every `now + reset` is an upper bound of the window's
        // true end, within about a second of it. Answers of one window therefore agree
        // within that second; an answer a window later is further off.
        let reset_at = now + reset;
        match self.reset_at {
            // The first reading of a window that was only assumed: the reading's end, and
            // requests reserved after the answer was produced are not in its count.
            Some(_) if self.assumed => {
                self.remaining = Some(self.remaining.map_or(rem, |local| local.min(rem)));
                self.reset_at = Some(reset_at);
            }
            // An answer from a window that has already ended (it overtook the answers of
            // the current one on the way back): it says nothing about the current one.
            Some(w) if reset_at + WINDOW_SLACK < w => {}
            // The same window: the earliest reset is the tightest bound of its end, and
            // requests reserved after this answer was produced are not in its count.
            Some(w) if reset_at < w + WINDOW_SLACK => {
                self.remaining = Some(self.remaining.map_or(rem, |local| local.min(rem)));
                self.reset_at = Some(w.min(reset_at));
            }
            // A new window (or the first answer): its count replaces the old one.
            _ => {
                self.remaining = Some(rem);
                self.reset_at = Some(reset_at);
            }
        }
        self.assumed = false;
    }

    /// The last time this state matters: past it, a fresh state means the same (stores may
    /// expire it then).
    pub fn horizon(&self) -> Duration {
        let carried = match (self.reset_at, self.limit, self.window) {
            (Some(r), Some(_), Some(w)) => Some(r + w),
            (r, _, _) => r,
        };
        [self.paused_until, carried]
            .into_iter()
            .flatten()
            .fold(self.tat, Duration::max)
    }

    /// When the server's window has ended: the next is assumed like it (its limit, over its
    /// length from now, rounded up), and its first request goes at once, if the last one was
    /// in use until now; otherwise nothing is known until the next answer.
    fn roll(&mut self, now: Duration) {
        let Some(reset_at) = self.reset_at.filter(|r| *r <= now) else {
            return;
        };
        match (self.limit, self.window) {
            (Some(limit), Some(window)) if now < reset_at + window => {
                self.reset_at = Some(now + window + RESET_RESOLUTION);
                self.remaining = Some(limit);
                self.last_at = None;
                self.assumed = true;
            }
            _ => {
                self.reset_at = None;
                self.remaining = None;
                self.assumed = false;
            }
        }
    }
}
