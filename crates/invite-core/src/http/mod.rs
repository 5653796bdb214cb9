//! The HTTP machinery every adapter shares: the only place `reqwest` appears.
//!
//! - [`validate_base_url`]: HTTPS required, plain HTTP only to loopback.
//! - [`Request`]: a route template whose `{}` parameters are percent-encoded as exactly one
//!   path segment each, so an id like `../sites` or `u1?x=y` can never reach another endpoint.
//! - [`HttpClient`]: bearer auth from a [`SecretString`](crate::SecretString) (marked sensitive, never logged),
//!   timeouts, rate limiting per vendor scope through a shared [`RateLimiter`](crate::RateLimiter), retries with
//!   exponential backoff and jitter that honour `Retry-After`, a tracing span per request, and
//!   classification of failures into [`Error`](crate::Error).
//!
//! # Retry rules
//! | what happened | idempotent request (GET, PUT, PATCH, DELETE) | non-idempotent (POST invite) |
//! |---|---|---|
//! | connection refused / failed before sending | retried | retried (provably not sent) |
//! | 429 | retried after `Retry-After` (or the window's reset), however long, within the deadline; not counted as a retry | same: the vendor proved it processed nothing |
//! | 408, 500, 502, 503, 504 | retried with backoff | [`Error::Uncertain`](crate::Error::Uncertain) (the server may have acted) |
//! | timeout, reset, truncated or undecodable answer | retried | [`Error::Uncertain`](crate::Error::Uncertain) |
//! | other 4xx | mapped by the adapter's error mapper, not retried | same |
//!
//! Retries after errors stop after [`RetryConfig::max_retries`]; no retry is made whose wait
//! would end past the call's deadline ([`RetryConfig::retry_timeout`], default 120 s). A call
//! that ends on a 429 (or finds no room in the rate budget before its deadline) is
//! [`Error::RateLimited`](crate::Error::RateLimited): nothing was processed, so the person is *not attempted*, to be
//! tried again later, never failed.
//!
//! Inside: `client` builds and runs calls, `request` builds URLs, `retry`
//! decides retries, `rate` reads the rate headers, `response` hands answers to the adapter.

mod client;
mod rate;
mod request;
mod response;
mod retry;

pub use client::{ClientOptions, HttpClient, HttpClientBuilder};
pub use rate::{parse_reset, parse_retry_after};
pub use request::{Request, validate_base_url};
pub use reqwest::Method;
pub use response::{ErrorMapper, ErrorResponse, Response};
pub use retry::RetryConfig;

/// Re-exported header types for adapters that inspect responses.
pub mod header {
    pub use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
}
