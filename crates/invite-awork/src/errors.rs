//! [`parse_error`]: awork's error mapper, and the codes that mean "already a member".

use invite_core::Error;
use invite_core::http;
use invite_core::redact;

use crate::wire;

/// `ErrorResponse.code` values that mean "this person is already in the workspace".
///
/// `POST /invitations` declares no error answers at all, so the duplicate-invite answer is
/// unconfirmed (`docs/vendors/awork.md#oq-duplicate-invite-answer`): it most likely arrives
/// as 400 with a kebab-case code. The list holds the code the sandbox uses and the likeliest spellings of the real
/// one; in addition any code containing `already` is read as a conflict (see
/// [`is_already_member_code`]). A 409, should awork ever send one, is a conflict anyway.
pub const ALREADY_MEMBER_CODES: &[&str] = &[
    "user-already-in-workspace",
    "user-already-exists",
    "user-exists",
    "email-already-in-use",
    "email-already-exists",
    "duplicate-email",
    "duplicate-user",
];

/// True when an awork error code means the person is already in the workspace.
pub fn is_already_member_code(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    ALREADY_MEMBER_CODES.contains(&c.as_str()) || c.contains("already")
}

/// awork's error mapper: reads `ErrorResponse`, takes `traceId` as the request id, and
/// classifies by status (401, 403, 404, 409, 429 as usual) plus `code` (the codes in
/// [`ALREADY_MEMBER_CODES`] are conflicts, whatever the status).
pub fn parse_error(r: http::ErrorResponse<'_>) -> Error {
    let body: Option<wire::ErrorResponse> = r.json();
    let Some(body) = body else {
        return r.classify_generic();
    };
    let mut message = body.description.clone().unwrap_or_default();
    let mut extras: Vec<String> = body.details.clone().unwrap_or_default();
    for v in body.validation_errors.iter().flatten() {
        match (&v.property, &v.message) {
            (Some(p), Some(m)) => extras.push(format!("{p}: {m}")),
            (None, Some(m)) => extras.push(m.clone()),
            _ => {}
        }
    }
    if !extras.is_empty() {
        if !message.is_empty() {
            message.push_str(" (");
            message.push_str(&extras.join("; "));
            message.push(')');
        } else {
            message = extras.join("; ");
        }
    }
    let code = body.code.clone();
    let mut err = r.classify(code.clone(), Some(message));
    if let Some(trace) = body.trace_id.filter(|t| !t.trim().is_empty())
        && let Some(d) = err.detail_mut()
    {
        d.request_id = Some(redact::truncate(trace.trim(), 128));
    }
    if code.as_deref().is_some_and(is_already_member_code)
        && !matches!(err, Error::Conflict(_))
        && let Some(d) = err.detail()
    {
        return Error::Conflict(Box::new(d.clone()));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_member_codes() {
        assert!(is_already_member_code("user-already-in-workspace"));
        assert!(is_already_member_code("USER-ALREADY-EXISTS"));
        assert!(is_already_member_code("email-already-taken"));
        assert!(!is_already_member_code("not-found"));
        assert!(!is_already_member_code("validation-error"));
    }
}
