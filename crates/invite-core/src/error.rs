//! One error type for every adapter.
//!
//! Variants are semantic (what happened), not by source (which library failed), so callers
//! can match on [`Error::NotFound`], [`Error::Conflict`], [`Error::RateLimited`] or
//! [`Error::Uncertain`] whatever the vendor. The facts the vendor gave — HTTP status, vendor
//! error code, message, request id — travel on [`VendorDetail`] and are in `Display`.
//! No variant ever carries a token or an invitation code: bodies are redacted and bounded
//! before they are stored (see [`crate::redact`]).

use std::fmt;
use std::time::Duration;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What the vendor said about a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VendorDetail {
    /// The provider that answered, e.g. `webflow-site(5f0c…)`.
    pub provider: String,
    /// The operation, e.g. `invite`.
    pub operation: &'static str,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The vendor's error code (`duplicate_user_email`, `uniqueness`, `not-found`, …).
    pub code: Option<String>,
    /// The vendor's message.
    pub message: Option<String>,
    /// The vendor's request or trace id, when it sent one.
    pub request_id: Option<String>,
    /// A bounded, redacted excerpt of the response body.
    pub body_excerpt: Option<String>,
}

impl VendorDetail {
    /// A detail for `provider` and `operation` with nothing else known yet.
    pub fn new(provider: impl Into<String>, operation: &'static str) -> Self {
        Self {
            provider: provider.into(),
            operation,
            ..Self::default()
        }
    }
}

impl fmt::Display for VendorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.provider)?;
        if !self.operation.is_empty() {
            write!(f, " {}", self.operation)?;
        }
        if let Some(s) = self.status {
            write!(f, ": HTTP {s}")?;
        }
        if let Some(c) = &self.code {
            write!(f, " [{c}]")?;
        }
        if let Some(m) = &self.message {
            write!(f, " {m}")?;
        }
        if let Some(r) = &self.request_id {
            write!(f, " (request id {r})")?;
        }
        Ok(())
    }
}

/// Every failure an adapter can report.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is invalid: refused locally before anything was sent (most cases), or
    /// refused by the vendor's validation for a named field (an HTTP 400 naming it); either
    /// way nothing was changed.
    #[error("invalid input in `{field}`: {reason}")]
    InvalidInput {
        /// Which field or argument (`email`, `grants[0].role_id`, `user_id`, …).
        field: String,
        /// Why it was refused.
        reason: String,
    },
    /// The configuration is incomplete or wrong (missing variable, bad base URL, …).
    #[error("configuration error: {0}")]
    Config(String),
    /// The credentials were missing, wrong or expired (HTTP 401).
    #[error("unauthorized: {0}")]
    Unauthorized(Box<VendorDetail>),
    /// The credentials lack a permission or scope (HTTP 403).
    #[error("forbidden{}: {detail}", missing_scope.as_ref().map(|s| format!(" (missing scope `{s}`)")).unwrap_or_default())]
    Forbidden {
        /// The scope the vendor says is missing, when it says.
        missing_scope: Option<String>,
        /// What the vendor said.
        detail: Box<VendorDetail>,
    },
    /// The user, site or other resource does not exist (HTTP 404).
    #[error("not found: {0}")]
    NotFound(Box<VendorDetail>),
    /// The resource already exists or the request conflicts with its state (HTTP 409, or a
    /// vendor code that means so).
    #[error("conflict: {0}")]
    Conflict(Box<VendorDetail>),
    /// The vendor's rate limit was hit and the retry budget could not absorb it.
    #[error("rate limited{}: {detail}", retry_after.map(|d| format!(" (retry after {:.1}s)", d.as_secs_f64())).unwrap_or_default())]
    RateLimited {
        /// How long the vendor asked to wait.
        retry_after: Option<Duration>,
        /// What the vendor said.
        detail: Box<VendorDetail>,
    },
    /// The provider cannot do what was asked; nothing was sent.
    #[error("{provider} does not support {operation}: {reason}")]
    Unsupported {
        /// The provider.
        provider: String,
        /// The operation or option refused.
        operation: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// The vendor has retired the feature this adapter uses.
    #[error("{feature} was retired by the vendor{}: {advice}", since.as_ref().map(|s| format!(" on {s}")).unwrap_or_default())]
    Retired {
        /// The retired feature, e.g. "Webflow User Accounts".
        feature: String,
        /// When, if known.
        since: Option<String>,
        /// What to use instead.
        advice: String,
        /// What the vendor answered.
        detail: Box<VendorDetail>,
    },
    /// Any other error answer from the vendor.
    #[error("vendor error: {0}")]
    Vendor(Box<VendorDetail>),
    /// The call timed out before an answer, and it is safe to say nothing was changed
    /// (a read, or a write that was never sent).
    #[error("timed out: {0}")]
    Timeout(Box<VendorDetail>),
    /// The connection failed.
    #[error("transport error: {detail}: {message}")]
    Transport {
        /// Where it happened.
        detail: Box<VendorDetail>,
        /// What failed.
        message: String,
    },
    /// The answer could not be decoded.
    #[error("could not decode the answer (expected {expected}): {detail}")]
    Decode {
        /// What was expected.
        expected: String,
        /// Where it happened; `body_excerpt` holds a bounded, redacted excerpt.
        detail: Box<VendorDetail>,
    },
    /// A write may or may not have taken effect: it was sent, and its answer was lost
    /// (timeout, dropped connection, 5xx after the server may have acted, undecodable
    /// success body). Never retried blindly: reconcile by looking the person up
    /// (`ensure_invited` does this).
    #[error("outcome unknown ({reason}); not retried because {operation} is not idempotent: {detail}", operation = detail.operation)]
    Uncertain {
        /// Why the outcome is unknown.
        reason: String,
        /// Where it happened.
        detail: Box<VendorDetail>,
    },
    /// A shared coordination store (journal, lock, distributed limiter) failed. Writes to
    /// vendors stop rather than continue uncoordinated.
    #[error("coordination store error: {0}")]
    Coordination(String),
}

/// The vendor detail of an error, by reference or by mutable reference (one match for
/// [`Error::detail`] and [`Error::detail_mut`]).
macro_rules! vendor_detail {
    ($error:expr) => {
        match $error {
            Error::Unauthorized(d)
            | Error::NotFound(d)
            | Error::Conflict(d)
            | Error::Vendor(d)
            | Error::Timeout(d) => Some(d),
            Error::Forbidden { detail, .. }
            | Error::RateLimited { detail, .. }
            | Error::Retired { detail, .. }
            | Error::Transport { detail, .. }
            | Error::Decode { detail, .. }
            | Error::Uncertain { detail, .. } => Some(detail),
            _ => None,
        }
    };
}

impl Error {
    /// An [`Error::InvalidInput`].
    pub fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Unsupported`].
    pub fn unsupported(
        provider: impl fmt::Display,
        operation: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Error::Unsupported {
            provider: provider.to_string(),
            operation: operation.into(),
            reason: reason.into(),
        }
    }

    /// True when retrying the same call later may succeed: rate limits, timeouts of safe
    /// calls, transport failures, 5xx answers. False for input, auth, not-found, conflict,
    /// unsupported, retired and uncertain outcomes (an uncertain write must be reconciled,
    /// not retried).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout(_) | Error::Transport { .. } => true,
            Error::Vendor(d) => matches!(d.status, Some(408 | 500..=599)),
            _ => false,
        }
    }

    /// True for [`Error::Uncertain`].
    pub fn is_uncertain(&self) -> bool {
        matches!(self, Error::Uncertain { .. })
    }

    /// True for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// True for [`Error::Conflict`].
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict(_))
    }

    /// The vendor detail, for errors that came from a call.
    pub fn detail(&self) -> Option<&VendorDetail> {
        vendor_detail!(self)
    }

    /// The vendor detail, mutably (adapters refine it, e.g. with a request id read from the
    /// body).
    pub fn detail_mut(&mut self) -> Option<&mut VendorDetail> {
        vendor_detail!(self)
    }

    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<u16> {
        self.detail().and_then(|d| d.status)
    }

    /// The vendor's error code, when it sent one.
    pub fn vendor_code(&self) -> Option<&str> {
        self.detail().and_then(|d| d.code.as_deref())
    }

    /// The vendor's request id, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.detail().and_then(|d| d.request_id.as_deref())
    }

    /// How long the vendor asked to wait, for rate limits.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A short, stable name for the variant (`not_found`, `conflict`, …), for reports.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::Config(_) => "config",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden { .. } => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Conflict(_) => "conflict",
            Error::RateLimited { .. } => "rate_limited",
            Error::Unsupported { .. } => "unsupported",
            Error::Retired { .. } => "retired",
            Error::Vendor(_) => "vendor",
            Error::Timeout(_) => "timeout",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "decode",
            Error::Uncertain { .. } => "uncertain",
            Error::Coordination(_) => "coordination",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail() -> Box<VendorDetail> {
        Box::new(VendorDetail {
            provider: "webflow-site(abc)".into(),
            operation: "invite",
            status: Some(409),
            code: Some("duplicate_user_email".into()),
            message: Some("already a member".into()),
            request_id: Some("req-1".into()),
            body_excerpt: None,
        })
    }

    #[test]
    fn display_carries_vendor_facts() {
        let e = Error::Conflict(detail());
        let s = e.to_string();
        for part in [
            "webflow-site(abc)",
            "invite",
            "409",
            "duplicate_user_email",
            "already a member",
            "req-1",
        ] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
        assert_eq!(e.status(), Some(409));
        assert_eq!(e.vendor_code(), Some("duplicate_user_email"));
        assert_eq!(e.request_id(), Some("req-1"));
        assert!(e.is_conflict());
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryability() {
        let rl = Error::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
            detail: detail(),
        };
        assert!(rl.is_retryable());
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(2)));
        assert!(rl.to_string().contains("retry after 2.0s"));
        let mut d = detail();
        d.status = Some(503);
        assert!(Error::Vendor(d).is_retryable());
        let u = Error::Uncertain {
            reason: "connection dropped".into(),
            detail: detail(),
        };
        assert!(!u.is_retryable());
        assert!(u.is_uncertain());
        assert!(u.to_string().contains("not idempotent"));
        assert!(!Error::invalid_input("email", "bad").is_retryable());
    }

    #[test]
    fn forbidden_names_scope() {
        let e = Error::Forbidden {
            missing_scope: Some("users:write".into()),
            detail: detail(),
        };
        assert!(e.to_string().contains("missing scope `users:write`"));
    }
}
