//! [`parse_error`]: how a SCIM error answer (RFC 7644 §3.12) becomes an [`Error`].

use invite_core::Error;
use invite_core::http::ErrorResponse;
use serde_json::Value;

use crate::wire::ScimError;

/// Turns a SCIM error answer (RFC 7644 §3.12) into an [`Error`]: `scimType` becomes the
/// vendor code and `detail` the message.
///
/// | answer | error |
/// |---|---|
/// | `scimType: uniqueness` (any status), 409 | [`Error::Conflict`] |
/// | 412 (`If-Match` no longer current) | [`Error::Conflict`], status 412 |
/// | 401 | [`Error::Unauthorized`] |
/// | 403 | [`Error::Forbidden`] |
/// | 404, 410 | [`Error::NotFound`] |
/// | 429 | [`Error::RateLimited`] with `Retry-After` |
/// | 400 `invalidFilter`/`invalidValue`/`invalidSyntax`/`invalidPath`/`noTarget`/`mutability`/`tooMany`, 415, 5xx, … | [`Error::Vendor`] with the `scimType` as code |
///
/// A 400 is not [`Error::InvalidInput`]: that variant promises nothing was sent, and here
/// the server saw the request and refused it.
pub fn parse_error(r: ErrorResponse<'_>) -> Error {
    let (code, message) = match r.json::<ScimError>() {
        Some(e) if e.scim_type.is_some() || e.detail.is_some() => (e.scim_type, e.detail),
        _ => {
            // Not an RFC error body: read the commonest fields anyway.
            let v: Option<Value> = r.json();
            let get = |keys: &[&str]| -> Option<String> {
                let obj = v.as_ref()?.as_object()?;
                keys.iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str).map(str::to_owned))
            };
            (
                get(&["scimType", "code", "error"]),
                get(&["detail", "message", "error_description", "description"]),
            )
        }
    };
    let uniqueness = code.as_deref() == Some("uniqueness");
    let detail = r.detail_with(code, message);
    match r.status {
        _ if uniqueness => Error::Conflict(detail),
        409 | 412 => Error::Conflict(detail),
        401 => Error::Unauthorized(detail),
        403 => Error::Forbidden {
            missing_scope: None,
            detail,
        },
        404 | 410 => Error::NotFound(detail),
        429 => Error::RateLimited {
            retry_after: r.retry_after,
            detail,
        },
        _ => Error::Vendor(detail),
    }
}
