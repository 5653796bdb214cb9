//! The HTTP machinery every adapter shares: the only place `reqwest` appears.
//!
//! - [`validate_base_url`]: HTTPS required, plain HTTP only to loopback.
//! - [`Request`]: a route template whose `{}` parameters are percent-encoded as exactly one
//!   path segment each, so an id like `../sites` or `u1?x=y` can never reach another endpoint.
//! - [`HttpClient`]: bearer auth from a [`SecretString`] (marked sensitive, never logged),
//!   timeouts, rate limiting per vendor scope through a shared [`RateLimiter`], retries with
//!   exponential backoff and jitter that honour `Retry-After`, a tracing span per request, and
//!   classification of failures into [`Error`].
//!
//! # Retry rules
//! | what happened | idempotent request (GET, PUT, PATCH, DELETE) | non-idempotent (POST invite) |
//! |---|---|---|
//! | connection refused / failed before sending | retried | retried (provably not sent) |
//! | 429 | retried after `Retry-After` (within the deadline) | retried (the server refused it) |
//! | 408, 500, 502, 503, 504 | retried with backoff | [`Error::Uncertain`] (the server may have acted) |
//! | timeout, reset, truncated or undecodable answer | retried | [`Error::Uncertain`] |
//! | other 4xx | mapped by the adapter's error mapper, not retried | same |
//!
//! Retries stop after [`RetryConfig::max_retries`] or when the next wait would pass
//! [`RetryConfig::retry_timeout`]; a 429 then becomes [`Error::RateLimited`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

pub use reqwest::Method;

use crate::error::{Error, Result, VendorDetail};
use crate::limit::{LimitKey, LocalRateLimiter, RateBudget, RateFeedback, RateLimiter};
use crate::redact;

/// Characters left unencoded in a path segment: RFC 3986 unreserved only. `/`, `?`, `#`, `%`
/// and everything else are encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest success body read, in bytes.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Largest error body read, in bytes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Parses and checks a base URL: `https`, or `http` to a loopback host (127.0.0.0/8, `::1`,
/// `localhost`) for sandboxes and tests. `setting` names where the value came from (an
/// environment variable or builder method) for the error message.
pub fn validate_base_url(value: &str, setting: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| Error::Config(format!("{setting} is not a valid URL ({e}): {value:?}")))?;
    if url.cannot_be_a_base() || url.host().is_none() {
        return Err(Error::Config(format!(
            "{setting} must be an absolute http(s) URL with a host: {value:?}"
        )));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(Error::Config(format!(
            "{setting} may not carry a query, fragment or credentials"
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(Error::Config(format!(
            "{setting} must use https (plain http is only allowed to loopback addresses): {value:?}"
        ))),
        other => Err(Error::Config(format!(
            "{setting} has unsupported scheme {other:?}; use https"
        ))),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Retry settings.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// First backoff.
    pub initial_backoff: Duration,
    /// Largest backoff (and largest honoured `Retry-After` per wait).
    pub max_backoff: Duration,
    /// Total time budget for one call including every retry and wait.
    pub retry_timeout: Duration,
    /// Randomize backoffs ("equal jitter": half fixed, half random). Off for exact tests.
    pub jitter: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
            retry_timeout: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
    /// Sets the number of retries.
    pub fn with_max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// Sets the backoff range.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }
    /// Sets the total time budget of one call.
    pub fn with_retry_timeout(mut self, total: Duration) -> Self {
        self.retry_timeout = total;
        self
    }
    /// Turns jitter on or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.initial_backoff.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let base = exp.min(self.max_backoff);
        if self.jitter {
            let half = base / 2;
            half + half.mul_f64(fastrand::f64())
        } else {
            base
        }
    }
}

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
    /// Sets the per-attempt timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Sets the retry settings.
    pub fn with_retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }
    /// Sets the request budget.
    pub fn with_rate_budget(mut self, budget: Option<RateBudget>) -> Self {
        self.rate_budget = budget;
        self
    }
    /// Sets the shared limiter.
    pub fn with_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }
    /// Sets the `User-Agent`.
    pub fn with_user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }
}

/// One request: method, route template, path parameters, query, body and headers.
///
/// ```
/// use invite_core::http::Request;
/// let req = Request::get("/sites/{}/users/{}")
///     .segment("5f0c8c9e1c9d440000e8d8c3")
///     .segment("../../admin")
///     .query("limit", "100");
/// assert_eq!(
///     req.path().unwrap(),
///     "/sites/5f0c8c9e1c9d440000e8d8c3/users/..%2F..%2Fadmin"
/// );
/// ```
#[derive(Clone)]
pub struct Request {
    method: Method,
    route: &'static str,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<std::result::Result<Vec<u8>, String>>,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    idempotent: bool,
    operation: &'static str,
    secrets: Vec<SecretString>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("route", &self.route)
            .field("operation", &self.operation)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

impl Request {
    /// A request with `method` to `route` (relative to the base URL; `{}` marks a parameter).
    /// Idempotent unless the method is POST.
    #[inline]
    pub fn new(method: Method, route: &'static str) -> Self {
        let idempotent = method != Method::POST;
        Self {
            method,
            route,
            segments: Vec::new(),
            query: Vec::new(),
            body: None,
            content_type: "application/json",
            headers: Vec::new(),
            idempotent,
            operation: "",
            secrets: Vec::new(),
        }
    }
    /// A GET.
    #[inline]
    pub fn get(route: &'static str) -> Self {
        Self::new(Method::GET, route)
    }
    /// A POST (not idempotent unless marked).
    #[inline]
    pub fn post(route: &'static str) -> Self {
        Self::new(Method::POST, route)
    }
    /// A PUT.
    #[inline]
    pub fn put(route: &'static str) -> Self {
        Self::new(Method::PUT, route)
    }
    /// A PATCH.
    #[inline]
    pub fn patch(route: &'static str) -> Self {
        Self::new(Method::PATCH, route)
    }
    /// A DELETE.
    #[inline]
    pub fn delete(route: &'static str) -> Self {
        Self::new(Method::DELETE, route)
    }
    /// Fills the next `{}` of the route; the value is encoded as one path segment.
    #[inline]
    pub fn segment(mut self, value: impl Into<String>) -> Self {
        self.segments.push(value.into());
        self
    }
    /// Adds a query parameter.
    #[inline]
    pub fn query(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.query.push((key.into(), value.to_string()));
        self
    }
    /// Adds a query parameter when `value` is `Some`.
    #[inline]
    pub fn query_opt(self, key: impl Into<String>, value: Option<impl ToString>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }
    /// Sets a JSON body (`Content-Type: application/json`).
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }
    /// Sets the body's content type (e.g. `application/scim+json`).
    #[inline]
    pub fn content_type(mut self, ct: &'static str) -> Self {
        self.content_type = ct;
        self
    }
    /// Adds a header. Never put a secret here: use the client's bearer token.
    #[inline]
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    /// Marks the request as safe (or not) to send twice.
    #[inline]
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }
    /// Declares a secret this request carries (e.g. an invitation code in its body): if the
    /// answer echoes it, it is redacted from every error excerpt, like the bearer token.
    pub fn secret(mut self, value: &str) -> Self {
        if !value.is_empty() {
            self.secrets.push(SecretString::from(value));
        }
        self
    }
    /// Names the operation for errors and traces (`invite`, `get`, …).
    #[inline]
    pub fn operation(mut self, op: &'static str) -> Self {
        self.operation = op;
        self
    }
    /// The route template.
    #[inline]
    pub fn route(&self) -> &'static str {
        self.route
    }
    /// The method.
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The encoded path (without the base URL's path), checking that every template
    /// parameter has a value and that no value is empty, `.`, `..` or has control characters.
    pub fn path(&self) -> Result<String> {
        let mut out = String::with_capacity(self.route.len() + 32);
        self.write_path(&mut out)?;
        Ok(out)
    }

    /// Appends the encoded path to `out` (see [`Request::path`]).
    fn write_path(&self, out: &mut String) -> Result<()> {
        let mut values = self.segments.iter();
        let mut rest = self.route;
        // A byte search: `str::find("{}")` would build a substring searcher per call.
        while let Some(idx) = rest.as_bytes().windows(2).position(|w| w == b"{}") {
            out.push_str(rest.get(..idx).unwrap_or_default());
            let value = values.next().ok_or_else(|| {
                Error::invalid_input(
                    "path",
                    format!("route {} is missing a parameter", self.route),
                )
            })?;
            crate::provider::check_id("path parameter", value)?;
            out.extend(utf8_percent_encode(value, SEGMENT));
            rest = rest.get(idx + 2..).unwrap_or_default();
        }
        out.push_str(rest);
        if values.next().is_some() {
            return Err(Error::invalid_input(
                "path",
                format!("route {} got more parameters than it has", self.route),
            ));
        }
        Ok(())
    }
}

/// An error answer, handed to the adapter's [`ErrorMapper`] to turn into an [`Error`].
#[derive(Debug)]
pub struct ErrorResponse<'a> {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: &'a HeaderMap,
    /// The body (at most 64 KiB). Never put it in an error as is: use `detail.body_excerpt`.
    pub body: &'a [u8],
    /// Provider, operation, status, request id and a redacted excerpt, filled in already.
    pub detail: VendorDetail,
    /// `Retry-After`, parsed.
    pub retry_after: Option<Duration>,
    /// Secrets the request carried (token, invitation codes): redacted from messages.
    pub secrets: &'a [&'a str],
}

impl ErrorResponse<'_> {
    /// Decodes the body as the vendor's error shape, if it is one.
    pub fn json<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(self.body).ok()
    }

    /// `text` with every secret the request carried, and every secret-named JSON value,
    /// replaced by `[REDACTED]`: for anything taken from the body into an error.
    pub fn scrub(&self, text: &str) -> String {
        let mut t = redact::scrub_text(text);
        for s in self.secrets {
            if s.len() >= 4 {
                t = t.replace(s, redact::REDACTED);
            }
        }
        t
    }

    /// The detail with the vendor's code and message set (both scrubbed, the message cut to
    /// 300 characters).
    pub fn detail_with(&self, code: Option<String>, message: Option<String>) -> Box<VendorDetail> {
        let mut d = self.detail.clone();
        d.code = code.filter(|c| !c.is_empty()).map(|c| self.scrub(&c));
        d.message = message
            .filter(|m| !m.is_empty())
            .map(|m| redact::truncate(&self.scrub(&m), 300));
        Box::new(d)
    }

    /// The default classification by status: 401 unauthorized, 403 forbidden, 404 not
    /// found, 409 conflict, 429 rate limited, anything else a vendor error.
    pub fn classify(&self, code: Option<String>, message: Option<String>) -> Error {
        let detail = self.detail_with(code, message);
        match self.status {
            401 => Error::Unauthorized(detail),
            403 => Error::Forbidden {
                missing_scope: None,
                detail,
            },
            404 | 410 => Error::NotFound(detail),
            409 => Error::Conflict(detail),
            429 => Error::RateLimited {
                retry_after: self.retry_after,
                detail,
            },
            _ => Error::Vendor(detail),
        }
    }

    /// [`ErrorResponse::classify`] after reading the commonest error fields (`code`,
    /// `message`, `detail`, `description`, `error`).
    pub fn classify_generic(&self) -> Error {
        let v: Option<serde_json::Value> = self.json();
        let get = |keys: &[&str]| -> Option<String> {
            let obj = v.as_ref()?.as_object()?;
            keys.iter()
                .find_map(|k| obj.get(*k).and_then(|x| x.as_str()).map(str::to_owned))
        };
        self.classify(
            get(&["code", "error", "scimType"]),
            get(&["message", "detail", "description", "error_description"]),
        )
    }
}

/// Turns an error answer into an [`Error`]; each adapter supplies one (its `parse_error`).
pub type ErrorMapper = Arc<dyn Fn(ErrorResponse<'_>) -> Error + Send + Sync>;

/// A successful answer.
#[derive(Debug)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body (at most 32 MiB).
    pub body: Bytes,
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
    /// Authenticates every request with `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: SecretString) -> Self {
        self.token = Some(token);
        self
    }
    /// Sets the options.
    pub fn options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }
    /// Sets the rate-limit scope (default: the base URL's host and path).
    pub fn limit_key(mut self, key: LimitKey) -> Self {
        self.limit_key = Some(key);
        self
    }
    /// Sets the adapter's error mapper (default: [`ErrorResponse::classify_generic`]).
    pub fn error_mapper(mut self, mapper: ErrorMapper) -> Self {
        self.error_mapper = Some(mapper);
        self
    }
    /// Adds a header sent on every request (e.g. `Accept`).
    pub fn default_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.default_headers.push((name, value.into()));
        self
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
    /// Retry after at least this long (`None`: the computed backoff).
    Retry {
        error: Error,
        wait: Option<Duration>,
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
        let started = Instant::now();
        let deadline = started + retry.retry_timeout;
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
                Attempt::Retry { error, wait } => {
                    if attempt > retry.max_retries {
                        return Err(error);
                    }
                    // A wait the server asked for is honoured, never shortened: when it is
                    // longer than the largest backoff or would pass the deadline, the error
                    // (with its retry-after) goes back to the caller at once.
                    let wait = match wait {
                        Some(w) if w > retry.max_backoff => return Err(error),
                        Some(w) => w,
                        None => retry.backoff(attempt),
                    };
                    if Instant::now() + wait > deadline {
                        return Err(error);
                    }
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
                        return Attempt::Fail(Error::RateLimited {
                            retry_after: None,
                            detail: Box::new(self.detail(req)),
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
                        wait: None,
                    };
                }
                if req.idempotent {
                    let error = if e.is_timeout() {
                        Error::Timeout(detail)
                    } else {
                        Error::Transport { detail, message }
                    };
                    return Attempt::Retry { error, wait: None };
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
                        wait: None,
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
                            wait: None,
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
                        retry_after,
                        detail: Box::new(detail),
                    },
                };
                // The server refused the request: safe to retry any method.
                Attempt::Retry {
                    error,
                    wait: retry_after,
                }
            }
            408 | 500 | 502 | 503 | 504 => {
                if req.idempotent {
                    Attempt::Retry {
                        error: mapped,
                        wait: None,
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

fn header_str(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
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

/// Parses `Retry-After`: delta-seconds (integer or decimal) or an HTTP-date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses `X-RateLimit-Reset`: seconds until reset, or (for values that look like one) a
/// Unix timestamp. Webflow does not document the unit; both readings are accepted.
pub fn parse_reset(value: &str) -> Option<Duration> {
    let n: f64 = value.trim().parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n > 1_000_000_000.0 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_secs_f64();
        Some(Duration::from_secs_f64((n - now).clamp(0.0, 86_400.0)))
    } else {
        Some(Duration::from_secs_f64(n.min(86_400.0)))
    }
}

const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// What the answer's headers say about the budget. The names are parsed once, at compile
/// time: this runs on every answer.
fn rate_feedback(headers: &HeaderMap, status: u16) -> RateFeedback {
    let num = |name: &HeaderName| header_str(headers, name).and_then(|v| v.parse::<u64>().ok());
    RateFeedback {
        limit: num(&X_RATELIMIT_LIMIT),
        remaining: num(&X_RATELIMIT_REMAINING),
        reset_after: header_str(headers, &X_RATELIMIT_RESET).and_then(parse_reset),
        retry_after: if status == 429 || status == 503 {
            header_str(headers, reqwest::header::RETRY_AFTER).and_then(parse_retry_after)
        } else {
            None
        },
    }
}

/// Re-exported header types for adapters that inspect responses.
pub mod header {
    pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(validate_base_url("https://api.webflow.com/v2", "X").is_ok());
        assert!(validate_base_url("http://127.0.0.1:8080/v2", "X").is_ok());
        assert!(validate_base_url("http://localhost:1/v2", "X").is_ok());
        assert!(validate_base_url("http://[::1]:1/", "X").is_ok());
        let e = validate_base_url("http://api.webflow.com/v2", "WEBFLOW_API_BASE_URL").unwrap_err();
        assert!(e.to_string().contains("WEBFLOW_API_BASE_URL"));
        assert!(e.to_string().contains("https"));
        assert!(validate_base_url("ftp://x.com", "X").is_err());
        assert!(validate_base_url("not a url", "X").is_err());
        assert!(validate_base_url("https://u:p@x.com", "X").is_err());
        assert!(validate_base_url("https://x.com/?a=b", "X").is_err());
    }

    #[test]
    fn segments_are_encoded_one_each() {
        let p = |id: &str| Request::get("/sites/{}/users").segment(id).path();
        assert_eq!(p("abc").unwrap(), "/sites/abc/users");
        assert_eq!(p("a/b").unwrap(), "/sites/a%2Fb/users");
        assert_eq!(p("u1?x=y").unwrap(), "/sites/u1%3Fx%3Dy/users");
        assert_eq!(p("a#b").unwrap(), "/sites/a%23b/users");
        assert_eq!(p("%2F").unwrap(), "/sites/%252F/users");
        assert_eq!(p("../x").unwrap(), "/sites/..%2Fx/users");
        for bad in ["", "..", ".", "a\nb", " "] {
            assert!(matches!(p(bad), Err(Error::InvalidInput { .. })), "{bad:?}");
        }
        assert!(Request::get("/a/{}").path().is_err());
        assert!(Request::get("/a").segment("x").path().is_err());
    }

    #[test]
    fn retry_after_and_reset() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_reset("30"), Some(Duration::from_secs(30)));
        assert!(parse_reset("99999999999").unwrap() > Duration::from_secs(60));
    }

    #[test]
    fn backoff_grows_and_caps() {
        let r = RetryConfig::default()
            .with_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .with_jitter(false);
        assert_eq!(r.backoff(1), Duration::from_millis(100));
        assert_eq!(r.backoff(2), Duration::from_millis(200));
        assert_eq!(r.backoff(4), Duration::from_millis(800));
        assert_eq!(r.backoff(5), Duration::from_secs(1));
        assert_eq!(r.backoff(40), Duration::from_secs(1));
        let j =
            RetryConfig::default().with_backoff(Duration::from_millis(100), Duration::from_secs(1));
        for n in 1..6 {
            let b = j.backoff(n);
            let fixed = r.backoff(n);
            assert!(b >= fixed / 2 && b <= fixed, "{b:?} vs {fixed:?}");
        }
    }
}
