//! Several workers, one vendor budget: the Redis that `--redis URL` (or `INVITE_REDIS_URL`, or
//! `redis_url` in the config file) names coordinates every `invite` process pointed at it.
//!
//! - Every provider's HTTP client draws from the store's rate limiter, so all processes share
//!   one budget per vendor scope (a Webflow site, an API key) and honour the pauses any of
//!   them was told about.
//! - The orchestrator takes the store's per-person invite lock, so two workers given the same
//!   person produce one invitation (the second reports "already_member").
//! - The store's journal replaces the JSON-lines file, so a run interrupted on one machine is
//!   resumed on another without re-inviting or skipping anyone. Entries are keyed by the
//!   provider's name *and* instance (`webflow-site@<site id>`), so runs against different
//!   sites or accounts never read each other's entries.
//!
//! It fails closed: Redis unreachable at start is a configuration error (exit 2, nothing
//! sent); lost mid-run, every call that needs it fails with a coordination error, no request
//! reaches a vendor uncounted, `invite bulk` starts nobody new and reports who was not
//! attempted, and the exit code is 1.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use invite_core::http::ClientOptions;
use invite_core::onboard::Target;
use invite_core::{Describe, InviteLock, Journal, JournalEntry};
use invite_redis::{RedisOptions, RedisStore, redact_url};

use crate::CliError;

/// How long one worker may hold a person's invite lock by default (it expires by itself if
/// the worker dies, so a crashed worker delays others' work on that person by at most this);
/// another worker waits up to twice as long for it.
pub const LOCK_TTL: Duration = Duration::from_secs(60);
/// Overrides [`LOCK_TTL`] in whole seconds (at least 5: the lock covers a lookup and an
/// invitation, rate-limit waits included).
pub const LOCK_TTL_ENV: &str = "INVITE_REDIS_LOCK_TTL_SECS";

/// A connected coordination store.
#[derive(Clone, Debug)]
pub struct Coordination {
    store: RedisStore,
    lock_ttl: Duration,
}

impl Coordination {
    /// Connects to `url` and checks that Redis answers. Unreachable or unusable: a usage
    /// error (exit 2) naming the URL with its password replaced by `****`.
    pub async fn connect(url: &str) -> Result<Self, CliError> {
        let lock_ttl = match std::env::var(LOCK_TTL_ENV) {
            Ok(v) if !v.trim().is_empty() => match v.trim().parse::<u64>() {
                Ok(n) if n >= 5 => Duration::from_secs(n),
                _ => {
                    return Err(CliError::Usage(format!(
                        "{LOCK_TTL_ENV} must be a whole number of seconds, at least 5: {v:?}"
                    )));
                }
            },
            _ => LOCK_TTL,
        };
        let options = RedisOptions::default()
            .with_connect_timeout(Duration::from_secs(2))
            .with_command_timeout(Duration::from_secs(2));
        match RedisStore::connect(url, options).await {
            Ok(store) => Ok(Self { store, lock_ttl }),
            Err(e) => {
                let message = match e {
                    invite_core::Error::Config(m) | invite_core::Error::Coordination(m) => m,
                    other => other.to_string(),
                };
                Err(CliError::Usage(format!(
                    "{message}; nothing was sent (the Redis comes from --redis, the config file's redis_url or INVITE_REDIS_URL: {})",
                    redact_url(url)
                )))
            }
        }
    }

    /// The URL with the password redacted.
    pub fn url(&self) -> &str {
        self.store.url()
    }

    /// Client options whose rate limiter is the shared one.
    pub fn client_options(&self) -> ClientOptions {
        ClientOptions::default().with_limiter(Arc::new(self.store.rate_limiter()))
    }

    /// The shared invite lock.
    pub fn lock(&self) -> Arc<dyn InviteLock> {
        Arc::new(self.store.invite_lock())
    }

    /// How long a worker holds a person's lock at most, and how long another waits for it.
    pub fn lock_times(&self) -> (Duration, Duration) {
        (self.lock_ttl, self.lock_ttl * 2)
    }

    /// The shared journal, keyed per provider instance of `targets`.
    pub fn journal(&self, targets: &[Target]) -> Arc<dyn Journal> {
        let scopes = targets
            .iter()
            .map(|t| {
                let instance = &Describe::info(t.provider.as_ref()).instance;
                (t.name.clone(), format!("{}@{instance}", t.name))
            })
            .collect();
        Arc::new(ScopedJournal {
            inner: self.store.journal(),
            scopes,
        })
    }

    /// Whether Redis still answers.
    pub async fn alive(&self) -> bool {
        self.store.ping().await.is_ok()
    }
}

/// A journal whose entries name the provider instance, not only the provider's name: the
/// file journal belongs to one CSV, but a shared store outlives runs against other sites.
#[derive(Debug)]
struct ScopedJournal {
    inner: invite_redis::RedisJournal,
    scopes: HashMap<String, String>,
}

impl ScopedJournal {
    fn scope<'a>(&'a self, provider: &'a str) -> &'a str {
        self.scopes.get(provider).map_or(provider, String::as_str)
    }
}

#[async_trait]
impl Journal for ScopedJournal {
    async fn latest(
        &self,
        job: &str,
        provider: &str,
        email: &str,
    ) -> invite_core::Result<Option<JournalEntry>> {
        let entry = self.inner.latest(job, self.scope(provider), email).await?;
        Ok(entry.map(|mut e| {
            e.provider = provider.to_owned();
            e
        }))
    }

    async fn record(&self, entry: &JournalEntry) -> invite_core::Result<()> {
        let mut scoped = entry.clone();
        scoped.provider = self.scope(&entry.provider).to_owned();
        self.inner.record(&scoped).await
    }
}
