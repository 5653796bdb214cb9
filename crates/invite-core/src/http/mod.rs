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
