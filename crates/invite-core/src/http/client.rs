//! [`HttpClient`]: options, building, and the execution of one call with its retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::rate::{header_str, rate_feedback};
use super::retry::{Cause, Retries};
use super::{ErrorMapper, ErrorResponse, Request, Response, RetryConfig};
use crate::error::{Error, Result, VendorDetail};
use crate::limit::{LimitKey, LocalRateLimiter, RateBudget, RateLimiter};
use crate::redact;

/// Largest success body read, in bytes.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Largest error body read, in bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Options shared by every adapter's client.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Time limit of one attempt (sending and reading the answer).
    pub timeout: Duration,
    /// Time limit for connecting.
    pub connect_timeout: Duration,
    /// Retry settings.
    pub retry: RetryConfig,
    /// `User-Agent` header.
    pub user_agent: String,
    /// The request budget of the vendor scope, if known (e.g. Webflow's plan limit).
    pub rate_budget: Option<RateBudget>,
    /// The shared limiter; `None` uses [`LocalRateLimiter::global`].
    pub limiter: Option<Arc<dyn RateLimiter>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryConfig::default(),
            user_agent: concat!("invite/", env!("CARGO_PKG_VERSION")).to_owned(),
            rate_budget: None,
            limiter: None,
        }
    }
}

impl ClientOptions {
    crate::setters! {
        /// Sets the per-attempt timeout.
        with_timeout(timeout: Duration);
        /// Sets the retry settings.
        with_retry(retry: RetryConfig);
        /// Sets the request budget.
        with_rate_budget(rate_budget: Option<RateBudget>);
        /// Sets the shared limiter.
        with_limiter(limiter: Arc<dyn RateLimiter>) = Some(limiter);
        /// Sets the `User-Agent`.
        with_user_agent(user_agent: impl Into<String>) = user_agent.into();
    }
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    provider: String,
    token: Option<SecretString>,
    /// `Bearer <token>`, built once and marked sensitive.
    auth_header: Option<HeaderValue>,
    options: ClientOptions,
    limiter: Arc<dyn RateLimiter>,
    limit_key: LimitKey,
    error_mapper: ErrorMapper,
    default_headers: Vec<(HeaderName, HeaderValue)>,
}

/// A configured HTTP client for one vendor surface. Cheap to clone; clones share the
/// connection pool and the rate budget.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.inner.provider)
            .field("base", &self.inner.base.as_str())
            .field("limit_key", &self.inner.limit_key)
            .field(
                "auth",
                &self.inner.token.as_ref().map(|_| "Bearer [REDACTED]"),
            )
            .finish_non_exhaustive()
    }
}

/// Builds an [`HttpClient`].
pub struct HttpClientBuilder {
    provider: String,
    base: Url,
    token: Option<SecretString>,
    options: ClientOptions,
    limit_key: Option<LimitKey>,
    error_mapper: Option<ErrorMapper>,
    default_headers: Vec<(&'static str, String)>,
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("provider", &self.provider)
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

impl HttpClientBuilder {
    crate::setters! {
        /// Authenticates every request with `Authorization: Bearer <token>`.
        bearer(token: SecretString) = Some(token);
        /// Sets the options.
        options(options: ClientOptions);
        /// Sets the rate-limit scope (default: the base URL's host and path).
        limit_key(limit_key: LimitKey) = Some(limit_key);
        /// Sets the adapter's error mapper (default: [`ErrorResponse::classify_generic`]).
        error_mapper(error_mapper: ErrorMapper) = Some(error_mapper);
    }
    /// Adds a header sent on every request (e.g. `Accept`).
    pub fn default_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.default_headers.push((name, value.into()));
        self
    }
    /// Authenticates every request with `Authorization: Bearer <token>` and scopes the rate
    /// limit to the token: every client using the same token shares one budget, keyed
    /// [`LimitKey::hashed`]`(scope, token)` (a hash, never the token itself).
    pub fn bearer_per_token(self, scope: &str, token: &SecretString) -> Self {
        self.limit_key(LimitKey::hashed(scope, token.expose_secret()))
            .bearer(token.clone())
    }
    /// Sends `Accept: application/json` on every request.
    pub fn accept_json(self) -> Self {
        self.default_header("Accept", "application/json")
    }
    /// Builds the client.
    pub fn build(self) -> Result<HttpClient> {
        // reqwest is built without a bundled crypto provider; install ring once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(self.options.timeout)
            .connect_timeout(self.options.connect_timeout)
            .user_agent(self.options.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?;
        let limit_key = self.limit_key.unwrap_or_else(|| {
            LimitKey::new(format!(
                "{}{}",
                self.base.host_str().unwrap_or_default(),
                self.base.path()
            ))
        });
        let limiter = self
            .options
            .limiter
            .clone()
            .unwrap_or_else(|| LocalRateLimiter::global() as Arc<dyn RateLimiter>);
        let default_headers = self
            .default_headers
            .iter()
            .map(|(name, value)| {
                let n = HeaderName::from_bytes(name.as_bytes());
                let v = HeaderValue::from_str(value);
                match (n, v) {
                    (Ok(n), Ok(v)) => Ok((n, v)),
                    _ => Err(Error::Config(format!(
                        "the default header {name} is not a valid HTTP header"
                    ))),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let auth_header = match &self.token {
            Some(token) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                    .map_err(|_| {
                        Error::Config(
                            "the API token contains characters not allowed in an HTTP header"
                                .into(),
                        )
                    })?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http,
                base: self.base,
                provider: self.provider,
                token: self.token,
                auth_header,
                options: self.options,
                limiter,
                limit_key,
                error_mapper: self
                    .error_mapper
                    .unwrap_or_else(|| Arc::new(|r: ErrorResponse<'_>| r.classify_generic())),
                default_headers,
            }),
        })
    }
}

enum Attempt<T> {
    Done(T),
    /// Worth another attempt, for this cause.
    Retry {
        error: Error,
        cause: Cause,
    },
    Fail(Error),
}

impl HttpClient {
    /// Starts building a client for `provider` (a secret-free label such as
    /// `webflow-site(5f0c…)`) at `base`, which must already be validated.
    pub fn builder(provider: impl Into<String>, base: Url) -> HttpClientBuilder {
        HttpClientBuilder {
            provider: provider.into(),
            base,
            token: None,
            options: ClientOptions::default(),
            limit_key: None,
            error_mapper: None,
            default_headers: Vec::new(),
        }
    }

    /// The provider label.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The rate-limit scope.
    pub fn limit_key(&self) -> &LimitKey {
        &self.inner.limit_key
    }

    /// The full URL of a request.
    pub fn url(&self, req: &Request) -> Result<Url> {
        let base_path = self.inner.base.path().trim_end_matches('/');
        let mut path = String::with_capacity(base_path.len() + req.route.len() + 48);
        path.push_str(base_path);
        req.write_path(&mut path)?;
        let mut url = self.inner.base.clone();
        url.set_path(&path);
        if !req.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        Ok(url)
    }

    // The public entry points are plain functions returning `execute_raw`'s future (mapped),
    // not `async fn`s awaiting it: each `async fn` layer would keep its own copy of the
    // `Request` in the future, and adapters box that future once per call.

    /// Sends `req` and decodes a JSON answer.
    pub fn json<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        req: Request,
    ) -> impl Future<Output = Result<T>> + Send + 'a {
        self.execute_raw(req, |_, body| {
            serde_json::from_slice::<T>(body).map_err(|e| e.to_string())
        })
        .map(|r| r.map(|(_, t)| t))
    }

    /// Sends `req` and decodes a JSON answer, or `None` for an empty body (e.g. 204).
    pub fn json_or_empty<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        req: Request,
    ) -> impl Future<Output = Result<Option<T>>> + Send + 'a {
        self.execute_raw(req, |_, body| {
            if body.iter().all(u8::is_ascii_whitespace) {
                Ok(None)
            } else {
                serde_json::from_slice::<T>(body)
                    .map(Some)
                    .map_err(|e| e.to_string())
            }
        })
        .map(|r| r.map(|(_, t)| t))
    }

    /// Sends `req` and ignores the answer's body (any 2xx succeeds).
    pub fn send(&self, req: Request) -> impl Future<Output = Result<Response>> + Send + '_ {
        self.execute_raw(req, |_, _| Ok(()))
            .map(|r| r.map(|(r, ())| r))
    }

    /// Sends `req`, retrying per the rules in the module docs, and decodes the success body
    /// with `decode`.
    async fn execute_raw<T, F>(&self, req: Request, decode: F) -> Result<(Response, T)>
    where
        F: Fn(u16, &[u8]) -> std::result::Result<T, String> + Send + Sync,
        T: Send,
    {
        let url = self.url(&req)?;
        let body = match &req.body {
            Some(Ok(b)) => Some(b.as_slice()),
            Some(Err(e)) => {
                return Err(Error::invalid_input(
                    "body",
                    format!("could not serialize the request body: {e}"),
                ));
            }
            None => None,
        };
        let retry = &self.inner.options.retry;
        let mut retries = Retries::new(retry, Instant::now());
        let deadline = retries.deadline();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "invite.http",
                provider = %self.inner.provider,
                op = req.operation,
                method = %req.method,
                route = req.route,
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let outcome = self
                .attempt(&req, &url, body, deadline, &decode)
                .instrument(span)
                .await;
            match outcome {
                Attempt::Done(v) => return Ok(v),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { error, cause } => {
                    let Some(wait) = retries.next(cause, Instant::now()) else {
                        return Err(gave_up(error, &retries, retry));
                    };
                    tracing::debug!(
                        target: "invite::http",
                        provider = %self.inner.provider,
                        route = req.route,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        reason = error.kind_name(),
                        "retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    fn detail(&self, req: &Request) -> VendorDetail {
        VendorDetail::new(self.inner.provider.clone(), req.operation)
    }

    fn secrets<'a>(&'a self, req: &'a Request) -> Vec<&'a str> {
        self.inner
            .token
            .iter()
            .chain(req.secrets.iter())
            .map(|t| t.expose_secret())
            .collect()
    }

    async fn attempt<T, F>(
        &self,
        req: &Request,
        url: &Url,
        body: Option<&[u8]>,
        deadline: Instant,
        decode: &F,
    ) -> Attempt<(Response, T)>
    where
        F: Fn(u16, &[u8]) -> std::result::Result<T, String>,
    {
        let inner = &self.inner;
        // Wait for the shared budget, but never past the call's deadline. Most requests are
        // within budget and reserve at once, without the async path.
        let reserved = match inner
            .limiter
            .try_acquire(&inner.limit_key, inner.options.rate_budget)
        {
            Some(reserved) => reserved,
            None => {
                let acquire = inner
                    .limiter
                    .acquire(&inner.limit_key, inner.options.rate_budget);
                match tokio::time::timeout_at(deadline, acquire).await {
                    Ok(reserved) => reserved,
                    Err(_) => {
                        let mut detail = self.detail(req);
                        detail.message = Some(format!(
                            "the rate budget of {} has no room before this call's deadline \
                             ({:.0}s, retry_timeout); nothing was sent, so it is safe to try again later",
                            inner.limit_key,
                            inner.options.retry.retry_timeout.as_secs_f64()
                        ));
                        return Attempt::Fail(Error::RateLimited {
                            retry_after: None,
                            detail: Box::new(detail),
                        });
                    }
                }
            }
        };
        if let Err(e) = reserved {
            return Attempt::Fail(e);
        }

        let mut builder = inner.http.request(req.method.clone(), url.clone());
        for (name, value) in &inner.default_headers {
            builder = builder.header(name.clone(), value.clone());
        }
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(auth) = &inner.auth_header {
            builder = builder.header(reqwest::header::AUTHORIZATION, auth.clone());
        }
        if let Some(b) = body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, req.content_type)
                .body(b.to_vec());
        }

        // The clock is read for the latency only when someone will see it.
        let span = tracing::Span::current();
        let sent_at = (!span.is_disabled()
            || tracing::enabled!(target: "invite::http", tracing::Level::DEBUG))
        .then(Instant::now);
        let result = builder.send().await;
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                let e = e.without_url();
                let mut d = self.detail(req);
                d.message = Some(e.to_string());
                let detail = Box::new(d);
                let message = error_chain(&e);
                if e.is_connect() {
                    // Never reached the server: safe to retry any method.
                    return Attempt::Retry {
                        error: Error::Transport { detail, message },
                        cause: Cause::Error,
                    };
                }
                if req.idempotent {
                    let error = if e.is_timeout() {
                        Error::Timeout(detail)
                    } else {
                        Error::Transport { detail, message }
                    };
                    return Attempt::Retry {
                        error,
                        cause: Cause::Error,
                    };
                }
                return Attempt::Fail(Error::Uncertain {
                    reason: if e.is_timeout() {
                        "timed out waiting for the answer".into()
                    } else {
                        format!("the connection failed after sending ({message})")
                    },
                    detail,
                });
            }
        };
        let status = resp.status().as_u16();
        if let Some(sent_at) = sent_at {
            let latency_ms = sent_at.elapsed().as_millis() as u64;
            span.record("status", status);
            span.record("latency_ms", latency_ms);
            tracing::debug!(target: "invite::http", status, latency_ms, "response");
        }
        let headers = std::mem::take(resp.headers_mut());
        let feedback = rate_feedback(&headers, status);
        if !feedback.is_empty()
            && let Err(e) = inner.limiter.observe(&inner.limit_key, &feedback).await
        {
            return Attempt::Fail(e);
        }
        // Built only on the paths that report an error: the success path allocates nothing.
        let answered_detail = |headers: &HeaderMap| {
            let mut d = self.detail(req);
            d.status = Some(status);
            d.request_id = request_id(headers);
            d
        };

        let success = (200..300).contains(&status);
        let limit = if success { MAX_BODY } else { MAX_ERROR_BODY };
        let body = match read_body(&mut resp, limit).await {
            Ok(b) => b,
            Err(msg) => {
                let mut detail = answered_detail(&headers);
                detail.message = Some(format!("the answer was cut off: {msg}"));
                if success && !req.idempotent {
                    return Attempt::Fail(Error::Uncertain {
                        reason: "the success answer was cut off".into(),
                        detail: Box::new(detail),
                    });
                }
                if success || req.idempotent {
                    return Attempt::Retry {
                        error: Error::Transport {
                            detail: Box::new(detail),
                            message: msg,
                        },
                        cause: Cause::Error,
                    };
                }
                Bytes::new()
            }
        };

        if success {
            return match decode(status, &body) {
                Ok(v) => Attempt::Done((
                    Response {
                        status,
                        headers,
                        body,
                    },
                    v,
                )),
                Err(msg) => {
                    let mut detail = answered_detail(&headers);
                    detail.body_excerpt = Some(redact::excerpt(&body, &self.secrets(req)));
                    detail.message = Some(msg.clone());
                    let expected = format!("{} answer for {}", req.route, op_name(req));
                    if req.idempotent {
                        Attempt::Retry {
                            error: Error::Decode {
                                expected,
                                detail: Box::new(detail),
                            },
                            cause: Cause::Error,
                        }
                    } else {
                        Attempt::Fail(Error::Uncertain {
                            reason: format!("the success answer could not be decoded ({msg})"),
                            detail: Box::new(detail),
                        })
                    }
                }
            };
        }

        let secrets = self.secrets(req);
        let mut detail = answered_detail(&headers);
        detail.body_excerpt = Some(redact::excerpt(&body, &secrets));
        let retry_after = feedback.retry_after;
        let mapped = (inner.error_mapper)(ErrorResponse {
            status,
            headers: &headers,
            body: &body,
            detail: detail.clone(),
            retry_after,
            secrets: &secrets,
        });
        match status {
            429 => {
                let error = match mapped {
                    e @ Error::RateLimited { .. } => e,
                    _ => Error::RateLimited {
                        retry_after: feedback.pause(),
                        detail: Box::new(detail),
                    },
                };
                // The server refused the request: safe to retry any method.
                Attempt::Retry {
                    error,
                    cause: Cause::RateLimited(feedback.pause()),
                }
            }
            408 | 500 | 502 | 503 | 504 => {
                if req.idempotent {
                    Attempt::Retry {
                        error: mapped,
                        cause: Cause::Error,
                    }
                } else {
                    Attempt::Fail(Error::Uncertain {
                        reason: format!("HTTP {status} after the server may have acted"),
                        detail: mapped
                            .detail()
                            .map(|d| Box::new(d.clone()))
                            .unwrap_or_else(|| Box::new(detail)),
                    })
                }
            }
            _ => Attempt::Fail(mapped),
        }
    }
}

/// The error a call ends with when it stops retrying. A 429 says so plainly: the vendor
/// processed nothing, so the caller may try again later (the person was not attempted).
fn gave_up(mut error: Error, retries: &Retries<'_>, config: &RetryConfig) -> Error {
    if let Error::RateLimited {
        retry_after,
        detail,
    } = &mut error
    {
        let asked = retry_after
            .map(|d| format!(" and asks for {:.1}s more", d.as_secs_f64()))
            .unwrap_or_default();
        let note = format!(
            "still rate limited after {} answers 429{asked}, past this call's deadline of {:.0}s \
             (retry_timeout); the vendor processed nothing, so it is safe to try again later",
            retries.rate_limited(),
            config.retry_timeout.as_secs_f64()
        );
        detail.message = Some(match detail.message.take() {
            Some(m) => format!("{m}; {note}"),
            None => note,
        });
    }
    error
}

fn op_name(req: &Request) -> &'static str {
    if req.operation.is_empty() {
        "the request"
    } else {
        req.operation
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// Reads the body, at most `limit` bytes. The usual small answer arrives as one chunk,
/// which is kept as it is (no copy); several chunks are gathered into one buffer.
async fn read_body(
    resp: &mut reqwest::Response,
    limit: usize,
) -> std::result::Result<Bytes, String> {
    let mut first: Option<Bytes> = None;
    let mut gathered = BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Some(earlier) = first.take() {
                    gathered.extend_from_slice(&earlier);
                } else if gathered.is_empty() {
                    if chunk.len() >= limit {
                        return Ok(chunk.slice(..limit));
                    }
                    first = Some(chunk);
                    continue;
                }
                let room = limit.saturating_sub(gathered.len());
                gathered.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
                if gathered.len() >= limit {
                    return Ok(gathered.freeze());
                }
            }
            Ok(None) => return Ok(first.unwrap_or_else(|| gathered.freeze())),
            Err(e) => return Err(error_chain(&e.without_url())),
        }
    }
}

/// The vendor's request id from the usual headers.
fn request_id(headers: &HeaderMap) -> Option<String> {
    [
        "x-request-id",
        "request-id",
        "x-correlation-id",
        "trace-id",
        "x-amzn-requestid",
        "cf-ray",
    ]
    .iter()
    .find_map(|h| header_str(headers, *h).map(|v| redact::truncate(v, 128)))
}

#[cfg(test)]
mod tests {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;

    #[tokio::test]
    async fn bearer_per_token_authenticates_and_keys_the_budget_by_the_token_hash() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/me"))
            .and(header("authorization", "Bearer sk_live_abcdef"))
            .and(header("accept", "application/json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
            .expect(1)
            .mount(&server)
            .await;
        let token = SecretString::from("sk_live_abcdef");
        let base = Url::parse(&format!("{}/v1", server.uri())).unwrap();
        let client = HttpClient::builder("demo", base)
            .bearer_per_token("demo-token", &token)
            .accept_json()
            .build()
            .unwrap();
        assert_eq!(
            client.limit_key(),
            &LimitKey::hashed("demo-token", "sk_live_abcdef")
        );
        assert!(!client.limit_key().as_str().contains("abcdef"));
        let body: serde_json::Value = client.json(Request::get("/me")).await.unwrap();
        assert_eq!(body, serde_json::json!({"ok": true}));
    }
}
