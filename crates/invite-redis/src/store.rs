//! The connection every Redis-backed piece shares.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use invite_core::{Error, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::journal::RedisJournal;
use crate::limiter::RedisRateLimiter;
use crate::lock::RedisInviteLock;

/// The environment variable [`RedisStore::from_env`] reads.
pub const URL_ENV: &str = "INVITE_REDIS_URL";

/// How a [`RedisStore`] names its keys and how long it waits for Redis.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisOptions {
    /// Prefix of every key (`{prefix}:rl:…`, `{prefix}:lock:…`, `{prefix}:journal:…`).
    /// Workers that must coordinate use the same prefix. Default `invite`.
    pub prefix: String,
    /// How long journal entries are kept, so a run can be resumed within that time.
    /// Default 30 days. (Limiter keys expire once their state no longer matters, locks after
    /// the TTL the orchestrator gives them.)
    pub key_ttl: Duration,
    /// The longest one Redis call may take before it fails with
    /// [`Error::Coordination`]. Default 2 s.
    pub command_timeout: Duration,
    /// The longest connecting (at start and when reconnecting) may take. Default 5 s.
    pub connect_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            prefix: "invite".to_owned(),
            key_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            command_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl RedisOptions {
    invite_core::setters! {
        /// Sets the key prefix.
        with_prefix(prefix: impl Into<String>) = prefix.into();
        /// Sets how long journal entries are kept.
        with_key_ttl(key_ttl: Duration);
        /// Sets the timeout of each Redis call.
        with_command_timeout(command_timeout: Duration);
        /// Sets the connect timeout.
        with_connect_timeout(connect_timeout: Duration);
    }
}

/// A connection to the Redis that several workers share. Cheap to clone (clones share the
/// connection). Hands out the [`RedisRateLimiter`], [`RedisInviteLock`] and [`RedisJournal`].
///
/// Its `Debug` shows the URL with the password replaced by `****`.
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    conn: ConnectionManager,
    url: String,
    options: RedisOptions,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.url)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`, or `rediss://` when the
    /// `redis` crate is built with TLS) and checks that Redis answers.
    ///
    /// Errors: [`Error::Config`] for an unusable URL or options, [`Error::Coordination`]
    /// when Redis cannot be reached (or refuses the credentials) within
    /// [`RedisOptions::connect_timeout`]. Both name the URL with the password redacted.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self> {
        let shown = redact_url(url);
        if options.prefix.is_empty() {
            return Err(Error::Config(
                "RedisOptions::prefix must not be empty".into(),
            ));
        }
        if options.command_timeout.is_zero() || options.connect_timeout.is_zero() {
            return Err(Error::Config(
                "RedisOptions timeouts must be greater than zero".into(),
            ));
        }
        if options.key_ttl < Duration::from_secs(1) {
            return Err(Error::Config(
                "RedisOptions::key_ttl must be at least one second".into(),
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|e| Error::Config(format!("invalid Redis URL {shown}: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let connect = async {
            let mut conn = ConnectionManager::new_with_config(client, config).await?;
            let _: String = redis::cmd("PING").query_async(&mut conn).await?;
            Ok::<_, redis::RedisError>(conn)
        };
        // The manager's own timeouts bound each attempt; this bounds the whole start.
        let whole = options.connect_timeout * 4 + options.command_timeout;
        let conn = match tokio::time::timeout(whole, connect).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => {
                return Err(Error::Coordination(format!(
                    "could not reach Redis at {shown}: {e}"
                )));
            }
            Err(_) => {
                return Err(Error::Coordination(format!(
                    "could not reach Redis at {shown}: no answer within {whole:?}"
                )));
            }
        };
        tracing::debug!(target: "invite::redis", url = %shown, prefix = %options.prefix, "connected to Redis");
        Ok(Self {
            inner: Arc::new(Inner {
                conn,
                url: shown,
                options,
            }),
        })
    }

    /// Connects to the URL in `INVITE_REDIS_URL` with default options.
    pub async fn from_env() -> Result<Self> {
        Self::from_env_with(RedisOptions::default()).await
    }

    /// Connects to the URL in `INVITE_REDIS_URL` with `options`.
    pub async fn from_env_with(options: RedisOptions) -> Result<Self> {
        let url = url_from(|k| std::env::var(k).ok())?;
        Self::connect(&url, options).await
    }

    /// The URL, with the password replaced by `****`.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The options.
    pub fn options(&self) -> &RedisOptions {
        &self.inner.options
    }

    /// The shared rate limiter.
    pub fn rate_limiter(&self) -> RedisRateLimiter {
        RedisRateLimiter::new(self.clone())
    }

    /// The shared invite lock.
    pub fn invite_lock(&self) -> RedisInviteLock {
        RedisInviteLock::new(self.clone())
    }

    /// The shared journal.
    pub fn journal(&self) -> RedisJournal {
        RedisJournal::new(self.clone())
    }

    /// Checks that Redis answers.
    pub async fn ping(&self) -> Result<()> {
        self.run("PING", |mut c| async move {
            redis::cmd("PING").query_async::<String>(&mut c).await
        })
        .await
        .map(|_| ())
    }

    /// `{prefix}:{kind}:{rest}`.
    pub(crate) fn key(&self, kind: &str, rest: &str) -> String {
        format!("{}:{kind}:{rest}", self.inner.options.prefix)
    }

    /// Runs one Redis call with the command timeout; every failure becomes
    /// [`Error::Coordination`] naming the operation and the (redacted) URL.
    pub(crate) async fn run<T, F, Fut>(&self, what: &str, call: F) -> Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let timeout = self.inner.options.command_timeout;
        match tokio::time::timeout(timeout, call(self.inner.conn.clone())).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Error::Coordination(format!(
                "Redis at {}: {what} failed: {e}",
                self.inner.url
            ))),
            Err(_) => Err(Error::Coordination(format!(
                "Redis at {}: {what} timed out after {timeout:?}",
                self.inner.url
            ))),
        }
    }
}

fn url_from(lookup: impl Fn(&str) -> Option<String>) -> Result<String> {
    match lookup(URL_ENV) {
        Some(u) if !u.trim().is_empty() => Ok(u.trim().to_owned()),
        _ => Err(Error::Config(format!(
            "{URL_ENV} is not set; set it to the Redis every worker shares, e.g. redis://:password@host:6379/0"
        ))),
    }
}

/// `url` with its password (and any `password`/`token`-like query value) replaced by
/// `****`: `redis://:secret@host:6379/0` becomes `redis://:****@host:6379/0`. A URL that
/// cannot be parsed is shown only by its scheme.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        let scheme = url
            .split_once("://")
            .map(|(s, _)| s)
            .filter(|s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
            .unwrap_or("?");
        return format!("{scheme}://<unparseable URL>");
    };
    if parsed.password().is_some() {
        // Fails only for URLs that cannot have credentials, which have no password.
        let _ = parsed.set_password(Some("****"));
    }
    let sensitive = |k: &str| {
        let k = k.to_ascii_lowercase();
        ["pass", "token", "secret", "auth"]
            .iter()
            .any(|s| k.contains(s))
    };
    if parsed.query_pairs().any(|(k, _)| sensitive(&k)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if sensitive(&k) {
                    "****".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_the_password() {
        assert_eq!(
            redact_url("redis://:hunter2@cache.internal:6380/3"),
            "redis://:****@cache.internal:6380/3"
        );
        let with_user = redact_url("rediss://worker:s3cr%40t@10.0.0.5:6379/0");
        assert_eq!(with_user, "rediss://worker:****@10.0.0.5:6379/0");
        assert!(!with_user.contains("s3cr"));
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        let q = redact_url("redis://h:1/0?password=abc123&protocol=resp3");
        assert!(!q.contains("abc123"), "{q}");
        assert!(q.contains("protocol=resp3"), "{q}");
        let bad = redact_url("redis://:pw with space@[bad");
        assert!(!bad.contains("pw with"), "{bad}");
    }

    #[test]
    fn the_env_variable_is_required_and_named() {
        let e = url_from(|_| None).unwrap_err();
        assert!(matches!(e, Error::Config(_)));
        assert!(e.to_string().contains("INVITE_REDIS_URL"), "{e}");
        assert_eq!(
            url_from(|k| (k == URL_ENV).then(|| " redis://h:1 ".to_owned())).unwrap(),
            "redis://h:1"
        );
    }

    #[test]
    fn default_options() {
        let o = RedisOptions::default();
        assert_eq!(o.prefix, "invite");
        assert_eq!(o.key_ttl, Duration::from_secs(2_592_000));
    }
}
