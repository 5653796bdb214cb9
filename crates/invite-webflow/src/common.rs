//! What every Webflow Data API v2 surface shares: the default base URL, the site token and
//! the error body `{code, message, externalReference, details}` with its classification.
//!
//! The workspace-members module reuses [`ErrorBody`] and [`classify`]; the site-users module
//! adds its retirement check on top (see `site::provider::retirement`).
//!
//! Both surfaces decode their wire users from the raw JSON value each `User` keeps; the
//! crate-private `borrow_opt_str` and `borrow_str_vec` let those wire structs borrow their
//! optional and listed strings from it instead of copying them.

use invite_core::Error;
use invite_core::http::ErrorResponse;
use serde::Deserialize;

/// The Data API v2 base URL. `/v2` belongs to the base; every route is relative to it.
pub const DEFAULT_BASE_URL: &str = "https://api.webflow.com/v2";

invite_core::secret_type! {
    /// A Webflow Data API token for one site: a site API token (Site Settings > Integrations)
    /// or an OAuth access token authorized for the site.
    ///
    /// A distinct type from the SCIM token and the workspace token, so one cannot be passed
    /// where another belongs. It has a redacting `Debug`, no `Display`, and is only ever sent as
    /// `Authorization: Bearer`.
    ///
    /// ```
    /// use invite_webflow::SiteToken;
    /// let token = SiteToken::new("wf_site_secret");
    /// assert_eq!(format!("{token:?}"), "SiteToken([REDACTED])");
    /// ```
    ///
    /// The site-users configuration takes a `SiteToken`:
    ///
    /// ```
    /// use invite_webflow::{SiteToken, WebflowSiteConfig};
    /// let cfg = WebflowSiteConfig::builder("5f0c8c9e1c9d440000e8d8c3", SiteToken::new("wf_site_secret"));
    /// ```
    ///
    /// and nothing else: a workspace token does not compile there,
    ///
    /// ```compile_fail,E0308
    /// use invite_webflow::{WebflowSiteConfig, WorkspaceToken};
    /// let token = WorkspaceToken::new("wf_ws_secret").unwrap();
    /// let cfg = WebflowSiteConfig::builder("5f0c8c9e1c9d440000e8d8c3", token);
    /// ```
    ///
    /// nor does a SCIM token,
    ///
    /// ```compile_fail,E0308
    /// use invite_webflow::WebflowSiteConfig;
    /// use invite_webflow::scim::WebflowScimToken;
    /// let cfg = WebflowSiteConfig::builder("5f0c8c9e1c9d440000e8d8c3", WebflowScimToken::new("wf_scim_secret"));
    /// ```
    ///
    /// nor a raw string.
    ///
    /// ```compile_fail,E0308
    /// use invite_webflow::WebflowSiteConfig;
    /// let cfg = WebflowSiteConfig::builder("5f0c8c9e1c9d440000e8d8c3", String::from("wf_site_secret"));
    /// ```
    pub struct SiteToken;
}

impl SiteToken {
    /// The token's characters, for tests that prove it never leaks.
    #[cfg(test)]
    pub(crate) fn expose(&self) -> &str {
        invite_core::ExposeSecret::expose_secret(&self.0)
    }
}

/// Webflow's error body, read leniently: every field optional, unknown fields ignored,
/// `details` items either strings or objects. 400, 403 and 409 answers are not guaranteed
/// to have this shape (the SDK types them as `unknown`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorBody {
    /// The error code (`missing_scopes`, `duplicate_user_email`, …). Unknown codes are kept.
    pub code: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// A documentation link.
    pub external_reference: Option<String>,
    /// Extra details: strings or objects.
    pub details: Option<Vec<serde_json::Value>>,
}

impl ErrorBody {
    /// Reads the body of an error answer; `None` when it is not a JSON object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        if !value.is_object() {
            return None;
        }
        // Field by field, so one field of an unexpected type does not lose the others.
        let str_field = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Some(Self {
            code: str_field("code"),
            message: str_field("message"),
            external_reference: str_field("externalReference"),
            details: value.get("details").and_then(|d| d.as_array()).cloned(),
        })
    }

    /// The message with any `details` appended (bounded by the core's redaction).
    pub fn message_with_details(&self) -> Option<String> {
        let details: Vec<String> = self
            .details
            .iter()
            .flatten()
            .map(|d| match d {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .filter(|s| !s.is_empty())
            .collect();
        match (&self.message, details.is_empty()) {
            (Some(m), true) => Some(m.clone()),
            (Some(m), false) => Some(format!("{m} (details: {})", details.join("; "))),
            (None, false) => Some(details.join("; ")),
            (None, true) => None,
        }
    }
}

pub(crate) use invite_core::de::{opt_str as borrow_opt_str, str_vec as borrow_str_vec};

/// Reads the scope(s) from Webflow's `missing_scopes` message
/// ("OAuthForbidden: You are missing the following scopes - users:write").
///
/// ```
/// use invite_webflow::common::missing_scope_in;
/// assert_eq!(
///     missing_scope_in("OAuthForbidden: You are missing the following scopes - users:write").as_deref(),
///     Some("users:write")
/// );
/// assert_eq!(missing_scope_in("Forbidden"), None);
/// ```
pub fn missing_scope_in(message: &str) -> Option<String> {
    let lower = message.to_ascii_lowercase();
    let idx = lower.find("scopes")?;
    let rest = message.get(idx + "scopes".len()..)?;
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '-' | ':'));
    let scopes: Vec<&str> = rest
        .split([',', ' '])
        .map(|s| s.trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '"' | '\'')))
        .filter(|s| s.contains(':') && !s.is_empty())
        .collect();
    if scopes.is_empty() {
        None
    } else {
        Some(scopes.join(", "))
    }
}

/// Classifies a Webflow error answer (without the site-users retirement check):
///
/// | status / code | error |
/// |---|---|
/// | 401 | [`Error::Unauthorized`] |
/// | 403 `missing_scopes` (or a "missing the following scopes" message) | [`Error::Forbidden`] naming the scope; `required_scope` when the message names none |
/// | other 403 | [`Error::Forbidden`] |
/// | 404, 410 | [`Error::NotFound`] |
/// | 409 `user_limit_reached` | [`Error::Vendor`]: the plan's cap, **not** a conflict (nobody exists) |
/// | other 409 | [`Error::Conflict`] |
/// | 429 | [`Error::RateLimited`] with `Retry-After` |
/// | anything else | [`Error::Vendor`] |
///
/// Bodies that are not Webflow's shape fall back to the redacted body excerpt as message.
pub fn classify(resp: &ErrorResponse<'_>, required_scope: Option<&str>) -> Error {
    let body = ErrorBody::parse(resp.body).unwrap_or_default();
    let code = body.code.clone();
    let message = body
        .message_with_details()
        .or_else(|| resp.detail.body_excerpt.clone().filter(|s| !s.is_empty()));
    let is_code = |c: &str| code.as_deref() == Some(c);
    match resp.status {
        403 => {
            let scope_message = message.as_deref().is_some_and(|m| {
                m.to_ascii_lowercase()
                    .contains("missing the following scopes")
            });
            let missing_scope = if is_code("missing_scopes") || scope_message {
                message
                    .as_deref()
                    .and_then(missing_scope_in)
                    .or_else(|| required_scope.map(str::to_owned))
            } else {
                None
            };
            Error::Forbidden {
                missing_scope,
                detail: resp.detail_with(code, message),
            }
        }
        409 if is_code("user_limit_reached") => Error::Vendor(resp.detail_with(code, message)),
        _ => resp.classify(code, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_read_from_messages() {
        for (msg, want) in [
            (
                "OAuthForbidden: You are missing the following scopes - users:write",
                Some("users:write"),
            ),
            (
                "You are missing the following scopes - users:read, sites:read",
                Some("users:read, sites:read"),
            ),
            (
                "missing the following scopes: users:read.",
                Some("users:read"),
            ),
            ("missing the following scopes", None),
            ("Forbidden", None),
        ] {
            assert_eq!(missing_scope_in(msg).as_deref(), want, "{msg}");
        }
    }

    #[test]
    fn error_body_is_lenient() {
        let b = ErrorBody::parse(
            br#"{"code":"validation_error","message":"Validation Error","externalReference":null,"details":["bad slug",{"param":"accessGroups"}],"extra":1}"#,
        )
        .unwrap();
        assert_eq!(b.code.as_deref(), Some("validation_error"));
        assert_eq!(
            b.message_with_details().as_deref(),
            Some(r#"Validation Error (details: bad slug; {"param":"accessGroups"})"#)
        );
        let b = ErrorBody::parse(br#"{"code":7,"message":"m","details":"x"}"#).unwrap();
        assert_eq!(b.code, None);
        assert_eq!(b.message.as_deref(), Some("m"));
        assert!(ErrorBody::parse(b"not json").is_none());
        assert!(ErrorBody::parse(b"[1]").is_none());
        assert_eq!(
            ErrorBody::parse(br#"{"key":"value"}"#).unwrap(),
            ErrorBody::default()
        );
    }

    #[test]
    fn token_is_redacted() {
        let t = SiteToken::new("wf_site_abc123");
        assert!(!format!("{t:?}").contains("abc123"));
        assert_eq!(t.expose(), "wf_site_abc123");
        assert!(SiteToken::new("  ").is_blank());
    }
}
