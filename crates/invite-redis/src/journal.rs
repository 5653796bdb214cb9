//! [`RedisJournal`]: onboarding outcomes shared by every worker, so any of them can resume a
//! run another one started.

use async_trait::async_trait;
use invite_core::{Error, Journal, JournalEntry, Result};

use crate::store::RedisStore;

/// A [`Journal`] in Redis: the latest entry per (job, provider, lower-cased email) as JSON at
/// `{prefix}:journal:{job}:{provider}:{email}` (each part with `%` and `:` escaped), expiring
/// after [`RedisOptions::key_ttl`](crate::RedisOptions::key_ttl). `record` returns once
/// Redis has acknowledged the write.
#[derive(Clone, Debug)]
pub struct RedisJournal {
    store: RedisStore,
}

fn escape(part: &str) -> String {
    part.replace('%', "%25").replace(':', "%3A")
}

impl RedisJournal {
    /// A journal on `store` (same as [`RedisStore::journal`]).
    pub fn new(store: RedisStore) -> Self {
        Self { store }
    }

    /// The Redis key of the entry for (`job`, `provider`, `email`).
    pub fn redis_key(&self, job: &str, provider: &str, email: &str) -> String {
        self.store.key(
            "journal",
            &format!(
                "{}:{}:{}",
                escape(job),
                escape(provider),
                escape(&email.to_lowercase())
            ),
        )
    }
}

#[async_trait]
impl Journal for RedisJournal {
    async fn latest(&self, job: &str, provider: &str, email: &str) -> Result<Option<JournalEntry>> {
        let key = self.redis_key(job, provider, email);
        let raw: Option<String> = self
            .store
            .run("journal read", |mut c| async move {
                redis::cmd("GET").arg(key).query_async(&mut c).await
            })
            .await?;
        raw.map(|s| {
            serde_json::from_str::<JournalEntry>(&s).map_err(|e| {
                Error::Coordination(format!(
                    "Redis at {}: unreadable journal entry for {job}/{provider}/{email}: {e}",
                    self.store.url()
                ))
            })
        })
        .transpose()
    }

    async fn record(&self, entry: &JournalEntry) -> Result<()> {
        let key = self.redis_key(&entry.job, &entry.provider, &entry.email);
        let json = serde_json::to_string(entry)
            .map_err(|e| Error::Coordination(format!("journal entry: {e}")))?;
        let ttl_ms = u64::try_from(self.store.options().key_ttl.as_millis())
            .unwrap_or(u64::MAX / 2)
            .max(1);
        let _: String = self
            .store
            .run("journal write", |mut c| async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(json)
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn key_parts_cannot_run_into_each_other() {
        assert_ne!(
            format!("{}:{}", escape("a:b"), escape("c")),
            format!("{}:{}", escape("a"), escape("b:c"))
        );
        assert_eq!(escape("50%:x"), "50%25%3Ax");
    }
}
