//! What an answer says about the vendor's budget: `Retry-After` and `X-RateLimit-*` read
//! into a [`RateFeedback`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderName};

use crate::limit::RateFeedback;

pub(super) fn header_str(
    headers: &HeaderMap,
    name: impl reqwest::header::AsHeaderName,
) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
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
pub(super) fn rate_feedback(headers: &HeaderMap, status: u16) -> RateFeedback {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_and_reset() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT").is_some());
        assert_eq!(parse_reset("30"), Some(Duration::from_secs(30)));
        assert!(parse_reset("99999999999").unwrap() > Duration::from_secs(60));
    }
}
