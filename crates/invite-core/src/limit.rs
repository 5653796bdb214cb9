//! Rate limiting keyed by vendor scope.
//!
//! A vendor's budget belongs to the vendor's scope (a Webflow site, an API key), not to one
//! client value: every client, clone and task that talks to the same scope must draw from
//! one budget. [`RateLimiter`] is that shared budget; [`LocalRateLimiter::global`] is the
//! in-process default that every adapter uses unless told otherwise, and `invite-redis`
//! provides one shared by every process.
//!
//! One rule paces requests, [`Pace`], whichever limiter holds the state:
//! - while the server advertises its window (`X-RateLimit-Remaining` and `-Reset`), what
//!   remains is spent evenly until the reset;
//! - a [`RateBudget`] set by the user is a cap, never exceeded (GCRA, so requests are spread
//!   evenly and never exceed it in any window); a documented one
//!   ([`RateBudget::documented`]) paces only while the server advertises nothing;
//! - a 429's `Retry-After` pauses the whole scope until then.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::error::Result;

mod pace;

pub use pace::Pace;

/// The scope a budget belongs to, e.g. `webflow-site:5f0c…` or `flatfile-key:<hash>`.
///
/// Never put a secret in a key: use [`LimitKey::hashed`] for scopes identified by a token.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LimitKey(String);

impl LimitKey {
    /// A key for a public scope (site id, workspace id, base URL).
    pub fn new(scope: impl Into<String>) -> Self {
        Self(scope.into())
    }

    /// A key for a scope identified by a secret (an API key): `prefix:` followed by a
    /// non-reversible 64-bit hash of the secret, so the secret itself is never stored,
    /// logged or sent to a shared store.
    pub fn hashed(prefix: &str, secret: &str) -> Self {
        // FNV-1a over the secret, then mixed; collisions only merge two budgets.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in secret.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        Self(format!("{prefix}:{h:016x}"))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request budget: `requests` per `per`, with up to `burst` sent back to back.
///
/// Either a **cap** (the default: a budget the user set, e.g. to leave room for other
/// integrations on the same site; never exceeded, even when the server advertises more) or
/// **documented** ([`RateBudget::documented`]: the vendor's published plan limit, used only
/// while the server advertises nothing, since its own `X-RateLimit-*` headers are better).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateBudget {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
    /// How many may be sent back to back before pacing starts (at least 1). With 1, requests
    /// are spread evenly and no fixed window of length `per` ever sees more than `requests`.
    pub burst: u32,
    /// A cap (never exceeded), or only the pace while the server advertises nothing.
    pub cap: bool,
}

impl RateBudget {
    /// `requests` per minute, evenly paced.
    pub fn per_minute(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(60))
    }

    /// `requests` per `per`, evenly paced.
    pub fn new(requests: u32, per: Duration) -> Self {
        Self {
            requests: requests.max(1),
            per,
            burst: 1,
            cap: true,
        }
    }

    /// Marks the budget as documented rather than set by the user: it paces only while the
    /// server sends no `X-RateLimit-Remaining` and `-Reset`, and is no cap on what it
    /// advertises.
    pub fn documented(mut self) -> Self {
        self.cap = false;
        self
    }

    crate::setters! {
        /// Allows `burst` requests back to back.
        with_burst(burst: u32) = burst.max(1);
    }

    /// The interval between two requests at the steady rate.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

/// What a response said about the budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateFeedback {
    /// `X-RateLimit-Limit`.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// Time until the window resets (from `X-RateLimit-Reset`).
    pub reset_after: Option<Duration>,
    /// `Retry-After` on a 429.
    pub retry_after: Option<Duration>,
}

impl RateFeedback {
    /// True when the feedback says anything.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// How long the whole scope must pause, if at all: the `Retry-After`, or the reset time
    /// when nothing remains.
    pub fn pause(&self) -> Option<Duration> {
        if let Some(r) = self.retry_after {
            return Some(r);
        }
        match (self.remaining, self.reset_after) {
            (Some(0), Some(reset)) => Some(reset),
            _ => None,
        }
    }
}

/// A budget shared by everything that talks to one vendor scope.
#[async_trait]
pub trait RateLimiter: fmt::Debug + Send + Sync + 'static {
    /// Waits until one request under `key` may be sent, and reserves it.
    async fn acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Result<()>;

    /// Records what a response said about the budget (pauses, remaining count).
    async fn observe(&self, key: &LimitKey, feedback: &RateFeedback) -> Result<()>;

    /// Reserves one request under `key` without waiting, when the budget allows it now:
    /// `Some(Ok(()))` means reserved (as [`RateLimiter::acquire`] would), `None` means the
    /// caller must go through [`RateLimiter::acquire`]. The default always answers `None`;
    /// a limiter that can decide from memory overrides it and spares every request an
    /// `async` round trip.
    fn try_acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Option<Result<()>> {
        let _ = (key, budget);
        None
    }
}

/// The waiting of every [`RateLimiter::acquire`]: asks `poll` how long until a request under
/// `key` may go (zero: it went, reserved), and otherwise sleeps that long (as `nap` makes it,
/// e.g. capped or jittered) or until `changed` is notified (an observed answer may have
/// freed a slot), then asks again. An error from `poll` ends the wait.
pub async fn wait_for_slot<F, Fut>(
    changed: &Notify,
    key: &LimitKey,
    mut poll: F,
    nap: impl Fn(Duration) -> Duration,
) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Duration>>,
{
    loop {
        let notified = changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let wait = poll().await?;
        if wait.is_zero() {
            return Ok(());
        }
        tracing::debug!(target: "invite::limit", key = %key, wait_ms = wait.as_millis() as u64, "pacing request");
        tokio::select! {
            () = tokio::time::sleep(nap(wait)) => {}
            () = notified => {}
        }
    }
}

/// The in-process [`RateLimiter`]: a [`Pace`] per key, shared by every client in the process
/// through [`LocalRateLimiter::global`].
#[derive(Debug)]
pub struct LocalRateLimiter {
    /// The epoch of every [`Pace`] held here.
    origin: Instant,
    keys: Mutex<HashMap<LimitKey, Pace>>,
    /// Woken on every observation, so that waiters decide again with what the server said.
    changed: Notify,
}

impl Default for LocalRateLimiter {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            keys: Mutex::default(),
            changed: Notify::new(),
        }
    }
}

impl LocalRateLimiter {
    /// A fresh limiter with no history (tests; use [`LocalRateLimiter::global`] otherwise).
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide limiter every adapter uses by default, so that all clients for one
    /// vendor scope share one budget.
    pub fn global() -> Arc<LocalRateLimiter> {
        static GLOBAL: OnceLock<Arc<LocalRateLimiter>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| Arc::new(LocalRateLimiter::new()))
            .clone()
    }

    /// Runs `f` on the pace of `key` (created fresh on first use; the key is cloned only
    /// then) at the present time on this limiter's clock.
    fn with_pace<R>(&self, key: &LimitKey, f: impl FnOnce(&mut Pace, Duration) -> R) -> R {
        let now = Instant::now().saturating_duration_since(self.origin);
        let mut keys = match self.keys.lock() {
            Ok(k) => k,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(pace) = keys.get_mut(key) {
            return f(pace, now);
        }
        let mut pace = Pace::default();
        let out = f(&mut pace, now);
        keys.insert(key.clone(), pace);
        out
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Result<()> {
        let poll = || std::future::ready(Ok(self.with_pace(key, |p, now| p.poll(now, budget))));
        wait_for_slot(&self.changed, key, poll, |wait| wait).await
    }

    async fn observe(&self, key: &LimitKey, feedback: &RateFeedback) -> Result<()> {
        if !feedback.is_empty() {
            self.with_pace(key, |p, now| p.observe(now, feedback));
            self.changed.notify_waiters();
        }
        Ok(())
    }

    fn try_acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Option<Result<()>> {
        self.with_pace(key, |p, now| p.poll(now, budget))
            .is_zero()
            .then_some(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tells `l` that the server asked for a pause of `secs` under `key` (`Retry-After`).
    async fn retry_after(l: &LocalRateLimiter, key: &LimitKey, secs: u64) {
        let feedback = RateFeedback {
            retry_after: Some(Duration::from_secs(secs)),
            ..Default::default()
        };
        l.observe(key, &feedback).await.unwrap();
    }

    #[test]
    fn hashed_keys_hide_the_secret() {
        let k = LimitKey::hashed("flatfile-key", "sk_live_abcdef");
        assert!(!k.as_str().contains("abcdef"));
        assert_eq!(k, LimitKey::hashed("flatfile-key", "sk_live_abcdef"));
        assert_ne!(k, LimitKey::hashed("flatfile-key", "sk_live_abcdeg"));
    }

    #[tokio::test(start_paused = true)]
    async fn paces_evenly_at_the_budget() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:a");
        let budget = Some(RateBudget::new(10, Duration::from_secs(1)));
        // 21 requests at 100 ms spacing: the last leaves at 2.0 s.
        assert_eq!(
            acquire_n(&l, &key, budget, 21).await,
            Duration::from_secs(2)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn burst_then_pace() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:b");
        let budget = Some(RateBudget::new(10, Duration::from_secs(1)).with_burst(5));
        assert_eq!(acquire_n(&l, &key, budget, 5).await, Duration::ZERO);
        assert_eq!(
            acquire_n(&l, &key, budget, 1).await,
            Duration::from_millis(100)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn keys_are_independent_and_shared_by_clones() {
        let l = Arc::new(LocalRateLimiter::new());
        let budget = Some(RateBudget::new(1, Duration::from_secs(1)));
        let a = LimitKey::new("site:a");
        let b = LimitKey::new("site:b");
        assert_eq!(acquire_n(&l, &a, budget, 1).await, Duration::ZERO);
        assert_eq!(acquire_n(&l, &b, budget, 1).await, Duration::ZERO);
        let l2 = l.clone();
        assert_eq!(acquire_n(&l2, &a, budget, 1).await, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_pauses_the_scope() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:c");
        retry_after(&l, &key, 3).await;
        assert_eq!(acquire_n(&l, &key, None, 1).await, Duration::from_secs(3));
    }

    /// `try_acquire` reserves exactly when `acquire` would not wait, and defers otherwise
    /// (pacing and server pauses alike) without reserving anything.
    #[tokio::test(start_paused = true)]
    async fn try_acquire_reserves_only_what_needs_no_wait() {
        let l = LocalRateLimiter::new();
        let budget = Some(RateBudget::new(1, Duration::from_secs(1)));
        let key = LimitKey::new("site:t");
        assert!(matches!(l.try_acquire(&key, budget), Some(Ok(()))));
        assert!(l.try_acquire(&key, budget).is_none(), "the second is paced");
        assert!(
            l.try_acquire(&key, budget).is_none(),
            "deferring reserves nothing"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(matches!(l.try_acquire(&key, budget), Some(Ok(()))));

        let paused = LimitKey::new("site:p");
        retry_after(&l, &paused, 2).await;
        assert!(l.try_acquire(&paused, None).is_none());
        assert_eq!(
            acquire_n(&l, &paused, None, 1).await,
            Duration::from_secs(2)
        );
    }

    /// A fixed-window server like Webflow's: `limit` per `window` from the first request of
    /// each window, `X-RateLimit-Reset` in whole seconds rounded up.
    struct FixedWindowServer {
        limit: u64,
        window: Duration,
        start: Option<Instant>,
        used: u64,
    }

    impl FixedWindowServer {
        fn new(limit: u64, window: Duration) -> Self {
            Self {
                limit,
                window,
                start: None,
                used: 0,
            }
        }

        /// Sends `n` requests one after another through a fresh limiter under `budget`, each
        /// answered by this server (none may be refused); how long they took.
        async fn serve(&mut self, budget: Option<RateBudget>, n: u32) -> Duration {
            let l = LocalRateLimiter::new();
            let key = LimitKey::new("site:window");
            let start = Instant::now();
            for i in 0..n {
                l.acquire(&key, budget).await.unwrap();
                let (allowed, fb) = self.hit(Instant::now());
                assert!(allowed, "request {i} was refused at {:?}", start.elapsed());
                l.observe(&key, &fb).await.unwrap();
            }
            start.elapsed()
        }

        fn hit(&mut self, now: Instant) -> (bool, RateFeedback) {
            let start = match self.start {
                Some(s) if now.duration_since(s) < self.window => s,
                _ => {
                    self.start = Some(now);
                    self.used = 0;
                    now
                }
            };
            let left = self.window - now.duration_since(start);
            let reset = Duration::from_secs(left.as_secs() + u64::from(left.subsec_nanos() > 0));
            let allowed = self.used < self.limit;
            if allowed {
                self.used += 1;
            }
            let fb = RateFeedback {
                limit: Some(self.limit),
                remaining: Some(self.limit - self.used),
                reset_after: Some(reset.max(Duration::from_secs(1))),
                retry_after: (!allowed).then_some(reset),
            };
            (allowed, fb)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn matching_budget_and_whole_second_resets_keep_the_pace() {
        // 60 per 2 s on both sides: the GCRA schedule alone fits the server's windows, and
        // the rounded-up resets (and the count dropping to 0 at each window's last request)
        // must not add pauses. Before the readings of one window were combined with `min`,
        // the estimate of the window's end crept up to a second late and every window
        // paused for that long (180 requests took 9 s instead of 6).
        let budget = Some(RateBudget::new(60, Duration::from_secs(2)));
        let mut server = FixedWindowServer::new(60, Duration::from_secs(2));
        let took = server.serve(budget, 180).await;
        // The last of 180 requests at 33.3 ms spacing leaves at 5.97 s; the end of each
        // window is known only to within one request spacing (the first reading after the
        // reset drops to 1 s), which may add that much per window.
        assert!(took <= Duration::from_millis(6100), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_of_an_ended_window_is_ignored() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:late");
        let fb = |remaining, reset| RateFeedback {
            limit: Some(10),
            remaining: Some(remaining),
            reset_after: Some(Duration::from_secs(reset)),
            retry_after: None,
        };
        // The current window has 5 left and ends in 60 s.
        l.observe(&key, &fb(5, 60)).await.unwrap();
        // An answer of the previous window (nothing left, reset in 1 s) arrives late.
        l.observe(&key, &fb(0, 1)).await.unwrap();
        assert_eq!(acquire_n(&l, &key, None, 1).await, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn remaining_counts_down_and_waits_for_reset() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:d");
        l.observe(
            &key,
            &RateFeedback {
                limit: Some(10),
                remaining: Some(2),
                reset_after: Some(Duration::from_secs(5)),
                retry_after: None,
            },
        )
        .await
        .unwrap();
        let start = Instant::now();
        l.acquire(&key, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        // Two left over 5 s: one now, the other half way to the reset.
        l.acquire(&key, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        // Two reserved, none left: the third waits for the window to reset.
        l.acquire(&key, None).await.unwrap();
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    fn window(limit: u64, remaining: u64, reset_secs: u64) -> RateFeedback {
        RateFeedback {
            limit: Some(limit),
            remaining: Some(remaining),
            reset_after: Some(Duration::from_secs(reset_secs)),
            retry_after: None,
        }
    }

    /// [`grant_times`] of a fresh limiter that first read `feedback` (when there is one).
    async fn fresh_grant_times(
        feedback: Option<RateFeedback>,
        budget: Option<RateBudget>,
        n: usize,
    ) -> Vec<Duration> {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:fresh");
        if let Some(feedback) = feedback {
            l.observe(&key, &feedback).await.unwrap();
        }
        grant_times(&l, &key, budget, n).await
    }

    /// How long `n` acquires under `key`, one after another, took.
    async fn acquire_n(
        l: &LocalRateLimiter,
        key: &LimitKey,
        budget: Option<RateBudget>,
        n: usize,
    ) -> Duration {
        let times = grant_times(l, key, budget, n).await;
        times.last().copied().unwrap_or_default()
    }

    /// When each of `n` acquires under `key` was granted, from the first.
    async fn grant_times(
        l: &LocalRateLimiter,
        key: &LimitKey,
        budget: Option<RateBudget>,
        n: usize,
    ) -> Vec<Duration> {
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..n {
            l.acquire(key, budget).await.unwrap();
            times.push(start.elapsed());
        }
        times
    }

    /// Tokio's timers have millisecond resolution: a grant is due at `expected` when it
    /// comes within that millisecond.
    fn assert_near(times: &[Duration], expected: impl Fn(usize) -> Duration) {
        for (i, t) in times.iter().enumerate() {
            let e = expected(i);
            assert!(
                *t >= e && *t <= e + Duration::from_millis(1),
                "grant {i} at {t:?}, due at {e:?}: {times:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn what_remains_is_spent_evenly_until_the_reset() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:even");
        l.observe(&key, &window(30, 30, 10)).await.unwrap();
        // 30 left over 10 s: one every 333 ms, not 30 at once, and none at 10 s left over.
        let times = grant_times(&l, &key, None, 30).await;
        assert_near(&times, |i| Duration::from_secs(10) * i as u32 / 30);
        // None left: the next waits for the reset at 10 s, then goes at once (the next window
        // is assumed like this one until its first answer).
        let to_reset = Duration::from_secs(10) - times[29];
        assert_near(&[acquire_n(&l, &key, None, 1).await], |_| to_reset);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fresher_reading_moves_the_schedule() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:fresh");
        l.observe(&key, &window(100, 100, 10)).await.unwrap();
        assert_eq!(acquire_n(&l, &key, None, 1).await, Duration::ZERO);
        // Other workers spent most of the window: 4 left for the 10 s.
        l.observe(&key, &window(100, 4, 10)).await.unwrap();
        let times = grant_times(&l, &key, None, 4).await;
        assert_near(&times, |i| Duration::from_secs(10) * (i as u32 + 1) / 5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_documented_budget_gives_way_to_the_headers_a_cap_does_not() {
        let documented = Some(RateBudget::per_minute(6).documented()); // one per 10 s
        let cap = Some(RateBudget::per_minute(60)); // one per second

        let told = Some(window(30, 30, 10));

        // No headers: the documented budget paces.
        let times = fresh_grant_times(None, documented, 3).await;
        assert_near(&times, |i| Duration::from_secs(10) * i as u32);

        // Headers advertise 30 per 10 s: they pace, the documented budget does not.
        let times = fresh_grant_times(told, documented, 6).await;
        assert_near(&times, |i| Duration::from_secs(10) * i as u32 / 30);

        // A cap of 60 per minute holds under the same headers: one per second.
        let times = fresh_grant_times(told, cap, 6).await;
        assert_near(&times, |i| Duration::from_secs(1) * i as u32);

        // A cap looser than the server's pace changes nothing.
        let times = fresh_grant_times(told, Some(RateBudget::per_minute(600)), 6).await;
        assert_near(&times, |i| Duration::from_secs(10) * i as u32 / 30);
    }

    /// A window assumed after the last one ended is only a guess: its first reading replaces
    /// it, even one much shorter (here the last window was read from a 429 that asked for a
    /// minute, but the server's windows are 10 s).
    #[tokio::test(start_paused = true)]
    async fn an_assumed_window_gives_way_to_its_first_reading() {
        let l = LocalRateLimiter::new();
        let key = LimitKey::new("site:assumed");
        l.observe(&key, &window(30, 0, 60)).await.unwrap();
        assert_eq!(acquire_n(&l, &key, None, 1).await, Duration::from_secs(60));
        // Assumed: 30 over 61 s, one every 2 s. Read: 29 left over 10 s.
        l.observe(&key, &window(30, 29, 10)).await.unwrap();
        let times = grant_times(&l, &key, None, 3).await;
        assert_near(&times, |i| Duration::from_secs(10) * (i as u32 + 1) / 30);
    }

    /// The bench's surface (30 per 10 s, windows from the first request, headers on) with
    /// Webflow's default settings (a documented 60 per minute): the pace is the server's, no
    /// request is refused, and the run takes the floor (requests at the server's rate).
    #[tokio::test(start_paused = true)]
    async fn the_servers_pace_carries_on_across_its_windows() {
        let budget = Some(RateBudget::per_minute(60).documented());
        let mut server = FixedWindowServer::new(30, Duration::from_secs(10));
        let n = 120;
        let took = server.serve(budget, n).await;
        // 120 requests at 3 per second: the last is due at 39.67 s.
        let floor = Duration::from_secs(10) * (n - 1) / 30;
        assert!(
            took >= floor && took <= floor.mul_f64(1.02),
            "{took:?} against a floor of {floor:?}"
        );
    }
}
