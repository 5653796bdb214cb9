//! Webflow's error body `{code, message, externalReference, details}`, shared by every
//! Webflow `/v2` surface (site users, workspace members and site access). See
//! docs/vendors/webflow-site.md and docs/vendors/webflow-workspace.md, Errors.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::surface::Problem;

/// A Webflow error before rendering.
#[derive(Debug)]
pub(crate) struct WfError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

/// What a Webflow handler answers.
pub(crate) type WfResult = Result<Response, WfError>;

impl WfError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `validation_error`, "Validation Error: {message}".
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            format!("Validation Error: {}", message.into()),
        )
    }

    /// 404 `resource_not_found`, "Requested resource not found: {what}".
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!("Requested resource not found: {what}"),
        )
    }

    /// 403 `missing_scopes` for a token without `scope`.
    pub(crate) fn missing_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "missing_scopes",
            format!("OAuthForbidden: You are missing the following scopes - {scope}"),
        )
    }

    /// A framework [`Problem`]. `too_many` is the 429 message: the site-users reference
    /// spells it "Too many requests", the rate-limit page (which the workspace surface
    /// follows) "Too Many Requests".
    pub(crate) fn problem(problem: Problem, too_many: &str) -> Self {
        match problem {
            Problem::Unauthorized => Self::new(
                StatusCode::UNAUTHORIZED,
                "not_authorized",
                "Request not authorized",
            ),
            Problem::TooManyRequests => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", too_many)
            }
            Problem::ServerError(status) => {
                Self::new(status, "internal_error", "An Internal Error occurred")
            }
            Problem::RouteNotFound => Self::not_found("The route cannot be found"),
        }
    }
}

impl IntoResponse for WfError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({
                "code": self.code,
                "message": self.message,
                "externalReference": Value::Null,
                "details": [],
            })),
        )
            .into_response()
    }
}
