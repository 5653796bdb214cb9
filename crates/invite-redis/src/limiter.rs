//! [`RedisRateLimiter`]: the budget of each vendor scope, shared by every worker.
//!
//! The pacing rule is core's [`Pace`], the same one [`invite_core::LocalRateLimiter`] runs:
//! here its state lives in Redis, as a hash at `{prefix}:rl:{key}` with microsecond times on
//! Redis's clock (`TIME`), so clock skew between machines does not matter. A decision is an
//! optimistic transaction: one script reads `TIME` and the state, the worker runs
//! [`Pace::poll`] or [`Pace::observe`] on it, and a second script writes the result only if
//! no other worker wrote in between (a random version field), else the worker decides again.
//! Waiting writes nothing. The key expires once nothing in it lies in the future
//! ([`Pace::horizon`]; an expired key and a fresh one mean the same), so keys never pile up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use invite_core::limit::wait_for_slot;
use invite_core::{Error, LimitKey, Pace, RateBudget, RateFeedback, RateLimiter, Result};
use redis::Script;
use tokio::sync::Notify;

use crate::store::RedisStore;

/// Returns Redis's clock (seconds, microseconds), the version, then the fields of the
/// [`Pace`] (nil when absent). Reads only, so it needs no effect replication.
const LOAD: &str = r#"
local t = redis.call('TIME')
local v = redis.call('HMGET', KEYS[1], 'v', 'tat', 'paused_until', 'remaining', 'reset_at', 'last_at', 'limit', 'window', 'assumed')
return {t[1], t[2], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]}
"#;

/// KEYS[1] state; ARGV[1] the version read ('' for none), ARGV[2] the new version, ARGV[3]
/// the expiry in ms (0: delete), ARGV[4..11] the fields ('' for absent). Returns 1 when
/// written, 0 when another worker wrote since the read.
const SAVE: &str = r#"
if (redis.call('HGET', KEYS[1], 'v') or '') ~= ARGV[1] then return 0 end
local ttl = tonumber(ARGV[3])
if ttl <= 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
local names = {'tat', 'paused_until', 'remaining', 'reset_at', 'last_at', 'limit', 'window', 'assumed'}
local set, gone = {'v', ARGV[2]}, {}
for i, name in ipairs(names) do
  local value = ARGV[3 + i]
  if value == '' then
    table.insert(gone, name)
  else
    table.insert(set, name)
    table.insert(set, value)
  end
end
if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
redis.call('HSET', KEYS[1], unpack(set))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
"#;

/// The longest a worker sleeps before asking Redis again, so that a pause recorded (or a
/// window reset observed) by another worker is noticed promptly.
const MAX_SLEEP: Duration = Duration::from_secs(5);

/// The most random delay added to a wait (µs).
const JITTER_MAX_US: u64 = 5_000;

/// How often one decision is tried again when other workers keep writing in between.
const MAX_CONFLICTS: u32 = 100;

/// How long a key outlives the last time in it that matters.
const KEY_SLACK: Duration = Duration::from_secs(1);

/// A [`RateLimiter`] whose state lives in Redis, so every worker on every machine draws
/// from one budget per [`LimitKey`] and honours pauses any of them observed.
///
/// The rule is core's [`Pace`] (the same as [`invite_core::LocalRateLimiter`]'s): what the
/// server says remains is spent evenly until its reset, a [`RateBudget`] cap is never
/// exceeded, a documented budget paces while the server says nothing, and `Retry-After`
/// pauses the scope. Every failure to reach Redis is [`Error::Coordination`]: no request is
/// let through uncounted.
#[derive(Clone)]
pub struct RedisRateLimiter {
    store: RedisStore,
    load: Script,
    save: Script,
    /// Woken when this process observes an answer, so its waiters decide again at once.
    changed: Arc<Notify>,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// A time or count as the integer Redis stores.
fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 4)
}

/// The [`Pace`] stored under one key, Redis's clock, and the version it was read at.
struct Loaded {
    now: Duration,
    version: String,
    pace: Pace,
}

impl Loaded {
    fn parse(v: Vec<Option<i64>>) -> Option<Self> {
        let at = |i: usize| v.get(i).copied().flatten();
        let time = |i: usize| at(i).map(|us| Duration::from_micros(u64::try_from(us).unwrap_or(0)));
        let count = |i: usize| at(i).map(|n| u64::try_from(n).unwrap_or(0));
        let now = Duration::from_secs(u64::try_from(at(0)?).ok()?) + time(1)?;
        let mut pace = Pace::default();
        pace.tat = time(3).unwrap_or_default();
        pace.paused_until = time(4);
        pace.remaining = count(5);
        pace.reset_at = time(6);
        pace.last_at = time(7);
        pace.limit = count(8);
        pace.window = time(9);
        pace.assumed = at(10) == Some(1);
        Some(Self {
            now,
            version: at(2).map(|v| v.to_string()).unwrap_or_default(),
            pace,
        })
    }
}

impl RedisRateLimiter {
    /// A limiter on `store` (same as [`RedisStore::rate_limiter`]).
    pub fn new(store: RedisStore) -> Self {
        Self {
            store,
            load: Script::new(LOAD),
            save: Script::new(SAVE),
            changed: Arc::new(Notify::new()),
        }
    }

    /// The Redis key holding `key`'s state: `{prefix}:rl:{key}`.
    pub fn redis_key(&self, key: &LimitKey) -> String {
        self.store.key("rl", key.as_str())
    }

    /// Tries once: `Duration::ZERO` when a request under `key` was reserved, else how long
    /// to wait before trying again.
    pub async fn try_acquire(
        &self,
        key: &LimitKey,
        budget: Option<RateBudget>,
    ) -> Result<Duration> {
        let mut wait = Duration::ZERO;
        self.update(key, "rate limiter acquire", |pace, now| {
            wait = pace.poll(now, budget);
            // Waiting reserves nothing: nothing to write.
            wait.is_zero()
        })
        .await?;
        Ok(wait)
    }

    /// Reads the state of `key`, runs `decide` on it (which says whether it changed it), and
    /// writes it back unless another worker wrote in between, in which case it decides again.
    async fn update(
        &self,
        key: &LimitKey,
        what: &str,
        mut decide: impl FnMut(&mut Pace, Duration) -> bool,
    ) -> Result<()> {
        let redis_key = self.redis_key(key);
        for _ in 0..MAX_CONFLICTS {
            let (load, k) = (&self.load, redis_key.clone());
            let raw: Vec<Option<i64>> = self
                .store
                .run(what, |mut c| async move {
                    load.key(k).invoke_async(&mut c).await
                })
                .await?;
            let Loaded {
                now,
                version,
                mut pace,
            } = Loaded::parse(raw).ok_or_else(|| {
                Error::Coordination(format!("{what}: Redis answered TIME unreadably"))
            })?;
            if !decide(&mut pace, now) {
                return Ok(());
            }
            let ttl = pace.horizon().saturating_sub(now);
            let ttl_ms = if ttl.is_zero() {
                0
            } else {
                micros(ttl + KEY_SLACK) / 1000
            };
            let opt_time =
                |t: Option<Duration>| t.map(|t| micros(t).to_string()).unwrap_or_default();
            let opt_count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
            let fields = [
                micros(pace.tat).to_string(),
                opt_time(pace.paused_until),
                opt_count(pace.remaining),
                opt_time(pace.reset_at),
                opt_time(pace.last_at),
                opt_count(pace.limit),
                opt_time(pace.window),
                if pace.assumed { "1" } else { "" }.to_owned(),
            ];
            let (save, k) = (&self.save, redis_key.clone());
            let next_version = fastrand::u64(1..i64::MAX as u64).to_string();
            let written: i64 = self
                .store
                .run(what, |mut c| async move {
                    let mut call = save.key(k);
                    call.arg(version).arg(next_version).arg(ttl_ms);
                    for f in fields {
                        call.arg(f);
                    }
                    call.invoke_async(&mut c).await
                })
                .await?;
            if written == 1 {
                return Ok(());
            }
        }
        Err(Error::Coordination(format!(
            "{what}: the state of {key} kept changing under {MAX_CONFLICTS} attempts"
        )))
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Result<()> {
        // A few ms of jitter, so that workers woken for the same slot take turns instead of
        // the same one winning every race.
        let nap = |wait: Duration| {
            wait.min(MAX_SLEEP) + Duration::from_micros(fastrand::u64(..=JITTER_MAX_US))
        };
        wait_for_slot(&self.changed, key, || self.try_acquire(key, budget), nap).await
    }

    async fn observe(&self, key: &LimitKey, feedback: &RateFeedback) -> Result<()> {
        if feedback.is_empty() {
            return Ok(());
        }
        let mut pause = None;
        self.update(key, "rate limiter observe", |pace, now| {
            pace.observe(now, feedback);
            pause = pace.paused_until.map(|p| p.saturating_sub(now));
            true
        })
        .await?;
        self.changed.notify_waiters();
        if let Some(pause) = pause.filter(|p| !p.is_zero()) {
            tracing::debug!(target: "invite::limit", key = %key, pause_ms = pause.as_millis() as u64, "server feedback pauses the scope for every worker");
        }
        Ok(())
    }
}
