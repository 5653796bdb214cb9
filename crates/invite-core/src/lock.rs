//! Per-person invite locks: two workers onboarding the same person at the same moment must
//! produce one invitation.
//!
//! The [`crate::onboard::Orchestrator`] takes a lock per (target, instance, lower-cased email)
//! before it looks the person up and invites them. A worker that finds the lock taken waits
//! for it and then looks again, so it reports the person as already a member instead of
//! inviting twice. [`LocalInviteLock`] serves one process; `invite-redis` serves many
//! machines (`SET NX PX` with a token, released only by its holder).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::error::{Error, Result};

/// Proof of holding a lock; only its holder can release it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LockToken(String);

impl LockToken {
    /// A fresh random token.
    pub fn random() -> Self {
        Self(format!(
            "{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        ))
    }
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LockToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockToken({})", self.0.get(..6).unwrap_or(&self.0))
    }
}

/// A lock keyed by string, with an expiry so a crashed holder cannot block forever.
#[async_trait]
pub trait InviteLock: fmt::Debug + Send + Sync + 'static {
    /// Takes the lock for `ttl` if it is free: `Some(token)` when taken, `None` when someone
    /// else holds it.
    async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>>;

    /// Releases the lock if `token` still holds it (an expired and re-taken lock is left
    /// alone).
    async fn release(&self, key: &str, token: &LockToken) -> Result<()>;
}

/// Takes `key`, waiting up to `wait` (polling) while someone else holds it.
pub async fn acquire_waiting(
    lock: &dyn InviteLock,
    key: &str,
    ttl: Duration,
    wait: Duration,
) -> Result<LockToken> {
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(50);
    loop {
        if let Some(token) = lock.try_acquire(key, ttl).await? {
            return Ok(token);
        }
        if Instant::now() + pause > deadline {
            return Err(Error::Coordination(format!(
                "another worker has held the invite lock {key} for more than {:.0?}",
                wait
            )));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// An in-process [`InviteLock`].
#[derive(Debug, Default)]
pub struct LocalInviteLock {
    held: Mutex<HashMap<String, (LockToken, Instant)>>,
}

impl LocalInviteLock {
    /// A lock table with nothing held.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl InviteLock for LocalInviteLock {
    async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>> {
        let mut held = self
            .held
            .lock()
            .map_err(|_| Error::Coordination("lock table poisoned".into()))?;
        let now = Instant::now();
        if let Some((_, expires)) = held.get(key)
            && *expires > now
        {
            return Ok(None);
        }
        let token = LockToken::random();
        held.insert(key.to_owned(), (token.clone(), now + ttl));
        Ok(Some(token))
    }

    async fn release(&self, key: &str, token: &LockToken) -> Result<()> {
        let mut held = self
            .held
            .lock()
            .map_err(|_| Error::Coordination("lock table poisoned".into()))?;
        if held.get(key).is_some_and(|(t, _)| t == token) {
            held.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `try_acquire("k", ttl_secs)`: the token, or `None` while someone else holds `k`.
    async fn try_k(l: &LocalInviteLock, ttl_secs: u64) -> Option<LockToken> {
        l.try_acquire("k", Duration::from_secs(ttl_secs))
            .await
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn only_holder_releases_and_expiry_frees() {
        let l = LocalInviteLock::new();
        let t = try_k(&l, 5).await.unwrap();
        assert!(try_k(&l, 5).await.is_none());
        l.release("k", &LockToken::new("not-mine")).await.unwrap();
        assert!(try_k(&l, 5).await.is_none());
        l.release("k", &t).await.unwrap();
        let t2 = try_k(&l, 5).await.unwrap();
        tokio::time::advance(Duration::from_secs(6)).await;
        let t3 = try_k(&l, 5).await.unwrap();
        l.release("k", &t2).await.unwrap(); // stale holder: no effect
        assert!(try_k(&l, 5).await.is_none());
        l.release("k", &t3).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_acquire_times_out_with_a_clear_error() {
        let l = LocalInviteLock::new();
        let _t = try_k(&l, 60).await.unwrap();
        let e = acquire_waiting(&l, "k", Duration::from_secs(5), Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("invite lock k"), "{e}");
        assert!(!format!("{:?}", LockToken::new("abcdefghijkl")).contains("ghijkl"));
    }
}
