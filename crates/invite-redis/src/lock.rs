//! [`RedisInviteLock`]: the orchestrator's per-person lock, shared by every worker.

use std::time::Duration;

use async_trait::async_trait;
use invite_core::{InviteLock, LockToken, Result};
use redis::Script;

use crate::store::RedisStore;

/// Deletes the lock only while it still holds the caller's token.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// An [`InviteLock`] in Redis: `SET {prefix}:lock:{key} token NX PX ttl` to take it, a Lua
/// compare-and-delete to release it, so only its holder can (an expired lock re-taken by
/// another worker is left alone). The expiry frees the lock of a worker that crashed.
#[derive(Clone, Debug)]
pub struct RedisInviteLock {
    store: RedisStore,
    release: Script,
}

impl RedisInviteLock {
    /// A lock table on `store` (same as [`RedisStore::invite_lock`]).
    pub fn new(store: RedisStore) -> Self {
        Self {
            store,
            release: Script::new(RELEASE),
        }
    }

    /// The Redis key of the lock `key`: `{prefix}:lock:{key}`.
    pub fn redis_key(&self, key: &str) -> String {
        self.store.key("lock", key)
    }
}

#[async_trait]
impl InviteLock for RedisInviteLock {
    async fn try_acquire(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>> {
        let token = LockToken::random();
        let ttl_ms = u64::try_from(ttl.as_millis())
            .unwrap_or(u64::MAX / 2)
            .max(1);
        let redis_key = self.redis_key(key);
        let value = token.as_str().to_owned();
        let set: Option<String> = self
            .store
            .run("lock acquire", |mut c| async move {
                redis::cmd("SET")
                    .arg(redis_key)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(set.map(|_| token))
    }

    async fn release(&self, key: &str, token: &LockToken) -> Result<()> {
        let redis_key = self.redis_key(key);
        let script = &self.release;
        let value = token.as_str();
        let _deleted: i64 = self
            .store
            .run("lock release", |mut c| async move {
                script.key(redis_key).arg(value).invoke_async(&mut c).await
            })
            .await?;
        Ok(())
    }
}
