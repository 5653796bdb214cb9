//! Fault injection: what a fault does ([`Fault`]) and which requests it hits ([`FaultRule`]).

use axum::http::Method;
use serde::{Deserialize, Serialize};

use crate::surface::Surface;

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer 429 in the vendor's error shape with `Retry-After: retry_after_secs`.
    RateLimited {
        /// Seconds for the `Retry-After` header.
        #[serde(default = "one")]
        retry_after_secs: u64,
    },
    /// Answer `status` with the vendor's JSON error, or with an HTML page (as a proxy would).
    ServerError {
        /// HTTP status, 500 by default.
        #[serde(default = "five_hundred")]
        status: u16,
        /// Send an HTML page instead of the vendor's JSON error.
        #[serde(default)]
        html: bool,
    },
    /// Wait `ms` milliseconds, then handle the request normally.
    Delay {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Close the TCP connection without any response; the handler does not run.
    DropConnection,
    /// Handle normally, then send only the first half of the body (with a matching
    /// `Content-Length`, so the HTTP framing is valid and the JSON is not).
    TruncatedJson,
    /// Answer 200 with an invalid JSON body; the handler does not run.
    MalformedJson,
    /// Run the handler (state changes), then close the connection without a response.
    CommitThenDrop,
}

fn one() -> u64 {
    1
}
fn five_hundred() -> u16 {
    500
}
fn one_time() -> Option<u64> {
    Some(1)
}

/// A fault-injection rule. JSON form (`POST /_sandbox/faults`):
///
/// ```json
/// {"surface": "webflow", "method": "POST", "path": "/v2/sites/{}/users/invite",
///  "skip": 0, "times": 1, "fault": {"kind": "server_error", "status": 503, "html": true}}
/// ```
///
/// `surface`, `method` and `path` are optional filters (absent = any). `path` is a route
/// template matched segment by segment, where `{}` or any `{name}` matches one segment;
/// a trailing `*` makes it a prefix (`/scim/v2/*`). `skip` lets that many matching requests
/// pass first; `times` is how many requests the fault then applies to (default 1; `null` =
/// every later request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only requests to this surface.
    #[serde(default)]
    pub surface: Option<Surface>,
    /// Only requests with this method (case-insensitive).
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path matches this template or prefix.
    #[serde(default)]
    pub path: Option<String>,
    /// Matching requests to let pass before the fault applies.
    #[serde(default)]
    pub skip: u64,
    /// Matching requests the fault applies to after `skip` (`None` = unlimited).
    #[serde(default = "one_time")]
    pub times: Option<u64>,
    /// What happens.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule applying `fault` once to any request.
    pub fn new(fault: Fault) -> Self {
        FaultRule {
            surface: None,
            method: None,
            path: None,
            skip: 0,
            times: Some(1),
            fault,
        }
    }
    /// Restricts the rule to one surface.
    pub fn surface(mut self, surface: Surface) -> Self {
        self.surface = Some(surface);
        self
    }
    /// Restricts the rule to one HTTP method.
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }
    /// Restricts the rule to a path template (`{}` = one segment) or prefix (trailing `*`).
    pub fn path(mut self, path: &str) -> Self {
        self.path = Some(path.to_owned());
        self
    }
    /// Lets `n` matching requests pass first.
    pub fn skip(mut self, n: u64) -> Self {
        self.skip = n;
        self
    }
    /// Applies the fault to `n` requests.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }
    /// Applies the fault to every matching request (after `skip`).
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    pub(crate) fn matches(&self, surface: Surface, method: &Method, path: &str) -> bool {
        if self.surface.is_some_and(|s| s != surface) {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method.as_str())
        {
            return false;
        }
        match &self.path {
            Some(p) => path_matches(p, path),
            None => true,
        }
    }
}

/// Whether `path` matches a template (`{}`/`{name}` = one segment, trailing `*` = prefix).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let (pattern, prefix) = match pattern.strip_suffix('*') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if prefix {
        if segs.len() < pat.len() {
            return false;
        }
    } else if segs.len() != pat.len() {
        return false;
    }
    pat.iter().zip(segs.iter()).all(|(p, s)| {
        (p.starts_with('{') && p.ends_with('}')) || *p == "*" || p.eq_ignore_ascii_case(s)
    })
}

/// A rule with its counters.
#[derive(Clone, Debug)]
pub(crate) struct ActiveRule {
    pub(crate) rule: FaultRule,
    pub(crate) seen: u64,
    pub(crate) applied: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match() {
        assert!(path_matches(
            "/v2/sites/{}/users/invite",
            "/v2/sites/abc/users/invite"
        ));
        assert!(path_matches(
            "/v2/sites/{site_id}/users",
            "/v2/sites/abc/users"
        ));
        assert!(!path_matches("/v2/sites/{}/users", "/v2/sites/abc/users/x"));
        assert!(path_matches("/v2/sites/*", "/v2/sites/abc/users/x"));
        assert!(path_matches("/scim/v2*", "/scim/v2/Users"));
        assert!(!path_matches("/scim/v2/*", "/v2/sites"));
    }

    #[test]
    fn fault_json() {
        let r: FaultRule = serde_json::from_str(
            r#"{"surface":"webflow","path":"/v2/sites/{}/users/invite","fault":{"kind":"server_error","status":503,"html":true}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.times, Some(1));
        let r: FaultRule =
            serde_json::from_str(r#"{"times":null,"fault":{"kind":"drop_connection"}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.times, None);
    }
}
