//! How the workspace endpoints' error answers become [`Error`]s (docs/vendors/webflow-workspace.md#errors).
//!
//! The body is the Data API error `{code, message, externalReference, details}`; the same
//! codes also arrive per item in bulk answers, so [`map_code`] serves both.

use invite_core::http::ErrorResponse;
use invite_core::{Error, VendorDetail};

use crate::common::{ErrorBody, missing_scope_in};

/// Reads `code` and `message` (with `details`) from a Data API error body through the
/// shared parser [`ErrorBody`], leniently (400/403/409 bodies may not follow the shape; then
/// the redacted body excerpt is the message and the status decides).
fn decode(resp: &ErrorResponse<'_>) -> (Option<String>, Option<String>) {
    let body = ErrorBody::parse(resp.body).unwrap_or_default();
    let message = body
        .message_with_details()
        .or_else(|| resp.detail.body_excerpt.clone().filter(|s| !s.is_empty()));
    (body.code, message)
}

/// The provider's `ErrorMapper`.
pub(crate) fn parse_error(resp: ErrorResponse<'_>) -> Error {
    let (code, message) = decode(&resp);
    let detail = resp.detail_with(code.clone(), message);
    if resp.status == 429 {
        return Error::RateLimited {
            retry_after: resp.retry_after,
            detail,
        };
    }
    map_code(Some(resp.status), code.as_deref(), detail)
}

/// Maps a vendor code (and status, when there was one) to an error variant.
pub(crate) fn map_code(
    status: Option<u16>,
    code: Option<&str>,
    mut detail: Box<VendorDetail>,
) -> Error {
    let message = detail.message.clone().unwrap_or_default();
    match code {
        Some("missing_scopes") => {
            // "OAuthForbidden: You are missing the following scopes - workspace_members:write"
            let scope = missing_scope_in(&message);
            Error::Forbidden {
                missing_scope: scope,
                detail,
            }
        }
        // UNCONFIRMED (docs/vendors/webflow-workspace.md#oq-non-enterprise-answer): the
        // non-Enterprise answer is undocumented; these codes come from the Data API error enum. Forbidden (not Unsupported): the request
        // was sent and refused for the plan, and the same token works on an Enterprise
        // workspace.
        Some(c @ ("not_enterprise_plan_workspace" | "not_enterprise_plan_site")) => {
            detail.message = Some(explain(
                &format!(
                    "an Enterprise workspace is required for workspace members and site access ({c})"
                ),
                &message,
            ));
            Error::Forbidden {
                missing_scope: None,
                detail,
            }
        }
        Some("workspace_member_managed_by_scim") => {
            detail.message = Some(explain(
                "the member is managed by SCIM: change them through the identity provider (SCIM), or the next directory sync reverts the change",
                &message,
            ));
            Error::Conflict(detail)
        }
        Some("member_already_has_access" | "cannot_update_user_role" | "conflict") => {
            Error::Conflict(detail)
        }
        Some(
            "workspace_member_not_found"
            | "workspace_invite_not_found"
            | "resource_not_found"
            | "user_not_found",
        ) => not_found(detail),
        Some("not_authorized" | "invalid_credentials") => Error::Unauthorized(detail),
        Some("too_many_requests") => Error::RateLimited {
            retry_after: None,
            detail,
        },
        _ => match status {
            Some(401) => Error::Unauthorized(detail),
            Some(403) => Error::Forbidden {
                missing_scope: None,
                detail,
            },
            Some(404 | 410) => not_found(detail),
            Some(409) => Error::Conflict(detail),
            _ => Error::Vendor(detail),
        },
    }
}

/// A not-found error whose message says what was not found: the workspace, the site, or
/// the person (revoking site access answers 404 for someone who is not a workspace member).
fn not_found(mut detail: Box<VendorDetail>) -> Error {
    let message = detail.message.clone().unwrap_or_default();
    let lower = message.to_lowercase();
    let what = if lower.contains("site") && !lower.contains("member") {
        "unknown site"
    } else if lower.contains("workspace") && !lower.contains("member") {
        "unknown workspace"
    } else if matches!(
        detail.operation,
        "revoke_site_access" | "grant_site_access" | "update_site_role"
    ) || lower.contains("not a member")
    {
        "not a workspace member"
    } else if detail.code.as_deref() == Some("workspace_invite_not_found") {
        "unknown invite"
    } else {
        "unknown workspace member"
    };
    detail.message = Some(explain(what, &message));
    Error::NotFound(detail)
}

/// `what`, followed by Webflow's own message when it sent one.
fn explain(what: &str, message: &str) -> String {
    if message.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {message}")
    }
}
