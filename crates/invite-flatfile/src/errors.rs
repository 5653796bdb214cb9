//! [`parse_error`], the Flatfile adapter's error mapper.

use invite_core::Error;
use invite_core::http::ErrorResponse;
use invite_core::redact;

use crate::wire::Errors;

/// Flatfile's error mapper: reads `{"errors":[{"key"?, "message"}]}` (all messages are
/// kept, joined with `; `; the first `key` is the vendor code) and maps by status:
/// 400 with a `key` → [`Error::InvalidInput`] naming that field, other 400s →
/// [`Error::Vendor`]; 401, 403, 404, 409 and 429 to their variants. A body of another shape
/// (or not JSON) falls back to the generic classification, keeping a redacted excerpt.
/// Keys and messages are scrubbed of the API key in case the server echoes it.
pub fn parse_error(r: ErrorResponse<'_>) -> Error {
    let errors = r.json::<Errors>().map(|e| e.errors).unwrap_or_default();
    if errors.is_empty() {
        return r.classify_generic();
    }
    let scrub = |s: &str| r.scrub(s);
    let key = errors
        .iter()
        .filter_map(|e| e.key.as_deref())
        .find(|k| !k.trim().is_empty())
        .map(scrub);
    let message = errors
        .iter()
        .filter_map(|e| e.message.as_deref())
        .filter(|m| !m.trim().is_empty())
        .map(scrub)
        .collect::<Vec<_>>()
        .join("; ");
    let message = (!message.is_empty()).then_some(message);
    if r.status == 400
        && let Some(field) = &key
    {
        return Error::invalid_input(
            field.clone(),
            format!(
                "Flatfile refused it (HTTP 400): {}",
                redact::truncate(message.as_deref().unwrap_or("no message"), 300)
            ),
        );
    }
    r.classify(key, message)
}
