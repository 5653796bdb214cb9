//! What comes back: a successful [`Response`], or an [`ErrorResponse`] handed to the
//! adapter's [`ErrorMapper`].

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{Error, VendorDetail};
use crate::redact;

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
        redact::replace_secrets(&redact::scrub_text(text), self.secrets)
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
