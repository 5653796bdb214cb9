//! [`RedisRateLimiter`]: the budget of each vendor scope, shared by every worker.
//!
//! The state of one [`LimitKey`] is a hash at `{prefix}:rl:{key}` with microsecond
//! timestamps on Redis's clock:
//! - `tat`: the GCRA theoretical arrival time;
//! - `paused_until`: no request before this (a `Retry-After` someone observed);
//! - `remaining` and `reset_at`: what the server said is left of its current window, minus
//!   what workers sent since.
//!
//! Both scripts read `TIME` on Redis, decide and write in one atomic step, and set the key
//! to expire once none of these times lies in the future (an expired key and a fresh one
//! mean the same), so keys never pile up.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use invite_core::{LimitKey, RateBudget, RateFeedback, RateLimiter, Result};
use redis::Script;

use crate::store::RedisStore;

/// Shared helpers: Redis's clock in microseconds, integer formatting (Lua numbers are
/// doubles, and `tostring` would print large ones in exponent form), and the save step.
const COMMON: &str = r#"
-- Redis < 5 replicates scripts verbatim and refuses writes after TIME unless told to
-- replicate effects; from Redis 5 on this is the default and the call is a no-op.
if redis.replicate_commands then redis.replicate_commands() end
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function int(x) return string.format('%d', math.floor(x)) end
local function load_state(key)
  local v = redis.call('HMGET', key, 'tat', 'paused_until', 'remaining', 'reset_at')
  return {tat = tonumber(v[1]), paused = tonumber(v[2]), remaining = tonumber(v[3]), reset_at = tonumber(v[4])}
end
-- Writes the state and expires the key once nothing in it lies in the future.
local function save(key, st, now)
  local horizon = now
  local fields = {}
  local gone = {}
  local function put(name, value, is_time)
    if value == nil then
      table.insert(gone, name)
    else
      table.insert(fields, name)
      table.insert(fields, int(value))
      if is_time and value > horizon then horizon = value end
    end
  end
  put('tat', st.tat, true)
  put('paused_until', st.paused, true)
  put('remaining', st.remaining, false)
  put('reset_at', st.reset_at, true)
  if horizon <= now then
    redis.call('DEL', key)
    return
  end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
  if #fields > 0 then redis.call('HSET', key, unpack(fields)) end
  -- One second of slack past the last time that matters.
  redis.call('PEXPIRE', key, int((horizon - now) / 1000) + 1000)
end
"#;

/// KEYS[1] state; ARGV[1] interval (µs), ARGV[2] burst tolerance (µs), ARGV[3] "1" when a
/// budget applies. Returns 0 when a request was reserved, else how many µs to wait.
const ACQUIRE: &str = r#"
local now = now_us()
local st = load_state(KEYS[1])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local has_budget = ARGV[3] == '1'
if st.paused then
  if st.paused > now then return st.paused - now end
  st.paused = nil
end
if st.reset_at then
  if st.reset_at <= now then
    -- The server's window has rolled over: its old count no longer applies.
    st.reset_at = nil
    st.remaining = nil
  elseif st.remaining == 0 then
    return st.reset_at - now
  end
end
if has_budget then
  local tat = st.tat or now
  if tat < now then tat = now end
  local allowed_at = tat - tolerance
  if allowed_at > now then return allowed_at - now end
  st.tat = tat + interval
end
if st.remaining then
  st.remaining = math.max(st.remaining - 1, 0)
end
save(KEYS[1], st, now)
return 0
"#;

/// KEYS[1] state; ARGV[1] retry-after (µs, or -1), ARGV[2] remaining (or -1), ARGV[3]
/// reset-after (µs, or -1). Returns the pause now in force (µs, 0 for none).
const OBSERVE: &str = r#"
local now = now_us()
local st = load_state(KEYS[1])
local retry = tonumber(ARGV[1])
local rem = tonumber(ARGV[2])
local reset = tonumber(ARGV[3])
if retry >= 0 then
  local untl = now + retry
  if st.paused == nil or st.paused < untl then st.paused = untl end
end
if rem >= 0 and reset >= 0 then
  -- X-RateLimit-Reset has whole-second resolution, is rounded up, and the answer spent
  -- time in transit: every now + reset is an upper bound of the window's true end, within
  -- about a second of it (the slack below). Same rules as core's LocalRateLimiter.
  local slack = 1500000
  local reset_at = now + reset
  if st.reset_at ~= nil and reset_at + slack < st.reset_at then
    -- An answer of a window that has already ended, overtaken by the current one's:
    -- it says nothing about the current window.
  elseif st.reset_at ~= nil and reset_at < st.reset_at + slack then
    -- The same window: the earliest reset is the tightest bound of its end, and requests
    -- sent after this answer was produced are not in its count.
    if st.remaining ~= nil then
      st.remaining = math.min(st.remaining, rem)
    else
      st.remaining = rem
    end
    st.reset_at = math.min(st.reset_at, reset_at)
  else
    -- A new window (or the first answer): its count replaces the old one.
    st.remaining = rem
    st.reset_at = reset_at
  end
end
save(KEYS[1], st, now)
local pause = 0
if st.paused and st.paused > now then pause = st.paused - now end
if st.remaining == 0 and st.reset_at and st.reset_at - now > pause then pause = st.reset_at - now end
return pause
"#;

/// The longest a worker sleeps before asking Redis again, so that a pause recorded (or a
/// window reset observed) by another worker is noticed promptly.
const MAX_SLEEP: Duration = Duration::from_secs(5);

/// The most random delay added to a wait (µs).
const JITTER_MAX_US: u64 = 5_000;

/// A [`RateLimiter`] whose state lives in Redis, so every worker on every machine draws
/// from one budget per [`LimitKey`] and honours pauses any of them observed.
///
/// Semantics match [`invite_core::LocalRateLimiter`]: GCRA with the budget's interval and
/// burst, `Retry-After` pausing the scope, `X-RateLimit-Remaining` counted down until
/// `X-RateLimit-Reset`. Time is Redis's (`TIME`), so clock skew between machines does not
/// matter. Every failure to reach Redis is [`invite_core::Error::Coordination`]: no request
/// is let through uncounted.
#[derive(Clone)]
pub struct RedisRateLimiter {
    store: RedisStore,
    acquire: Script,
    observe: Script,
}

impl fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 4)
}

impl RedisRateLimiter {
    /// A limiter on `store` (same as [`RedisStore::rate_limiter`]).
    pub fn new(store: RedisStore) -> Self {
        Self {
            store,
            acquire: Script::new(&format!("{COMMON}{ACQUIRE}")),
            observe: Script::new(&format!("{COMMON}{OBSERVE}")),
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
        let (interval, tolerance) = match budget {
            Some(b) => {
                let interval = b.interval();
                let tolerance = interval * (b.burst.max(1) - 1);
                (micros(interval), micros(tolerance))
            }
            None => (0, 0),
        };
        let redis_key = self.redis_key(key);
        let script = &self.acquire;
        let wait: i64 = self
            .store
            .run("rate limiter acquire", |mut c| async move {
                script
                    .key(redis_key)
                    .arg(interval)
                    .arg(tolerance)
                    .arg(if budget.is_some() { "1" } else { "0" })
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, key: &LimitKey, budget: Option<RateBudget>) -> Result<()> {
        loop {
            let wait = self.try_acquire(key, budget).await?;
            if wait.is_zero() {
                return Ok(());
            }
            tracing::debug!(target: "invite::limit", key = %key, wait_ms = wait.as_millis() as u64, "pacing request (shared budget)");
            // A few ms of jitter, so that workers woken for the same slot take turns
            // instead of the same one winning every race.
            let jitter = Duration::from_micros(fastrand::u64(..=JITTER_MAX_US));
            tokio::time::sleep(wait.min(MAX_SLEEP) + jitter).await;
        }
    }

    async fn observe(&self, key: &LimitKey, feedback: &RateFeedback) -> Result<()> {
        if feedback.is_empty() {
            return Ok(());
        }
        let retry = feedback.retry_after.map_or(-1, micros);
        let (remaining, reset) = match (feedback.remaining, feedback.reset_after) {
            (Some(r), Some(reset)) => (i64::try_from(r).unwrap_or(i64::MAX / 4), micros(reset)),
            _ => (-1, -1),
        };
        if retry < 0 && remaining < 0 {
            return Ok(());
        }
        let redis_key = self.redis_key(key);
        let script = &self.observe;
        let pause: i64 = self
            .store
            .run("rate limiter observe", |mut c| async move {
                script
                    .key(redis_key)
                    .arg(retry)
                    .arg(remaining)
                    .arg(reset)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if pause > 0 {
            tracing::debug!(target: "invite::limit", key = %key, pause_ms = pause / 1000, "server feedback pauses the scope for every worker");
        }
        Ok(())
    }
}
