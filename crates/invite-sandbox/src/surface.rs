//! What a surface (one emulated vendor API) is: its name, its path prefixes, the framework
//! problems it renders in its own error shape, and the [`SurfaceModule`] trait it implements.
//!
//! A surface owns its in-memory state, builds an axum [`Router`] with its routes (full paths,
//! such as `/v2/sites/{site_id}/users`), checks credentials in [`SurfaceModule::authorize`] and
//! renders the vendor's own error bodies in [`SurfaceModule::problem`]. The framework wraps
//! every surface router with the guard middleware (see `guard.rs`): counting, faults, auth,
//! rate limit.
//!
//! Route templates must use the same parameter names as the other surfaces at the same
//! position (axum rejects `/v2/sites/{site_id}` next to `/v2/sites/{id}`): use `{site_id}`,
//! `{workspace_id}`, `{user_id}` and `{member_id}`.
//!
//! Handlers follow one style in every surface: an `async fn` taking axum extractors and
//! returning `Result<Response, E>`, where `E` is the surface's error type (it renders the
//! vendor's error body) and failures propagate with `?`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One emulated vendor API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Surface {
    /// Webflow Data API v2, site users ("User Accounts"), under `/v2`.
    #[serde(rename = "webflow", alias = "webflow-data", alias = "webflow_data")]
    WebflowData,
    /// Webflow SCIM 2.0, under `/scim/v2`.
    #[serde(rename = "scim", alias = "webflow-scim", alias = "webflow_scim")]
    WebflowScim,
    /// Webflow Enterprise workspace members and site access, under `/v2`.
    #[serde(
        rename = "workspace",
        alias = "webflow-workspace",
        alias = "webflow_workspace"
    )]
    WebflowWorkspace,
    /// Flatfile users and roles, under `/v1`.
    #[serde(rename = "flatfile")]
    Flatfile,
    /// awork invitations and users, under `/api/v1`.
    #[serde(rename = "awork")]
    Awork,
}

impl Surface {
    /// Every surface, in a stable order.
    pub const ALL: [Surface; 5] = [
        Surface::WebflowData,
        Surface::WebflowScim,
        Surface::WebflowWorkspace,
        Surface::Flatfile,
        Surface::Awork,
    ];

    /// The short name used in the admin API and in JSON (`webflow`, `scim`, `workspace`,
    /// `flatfile`, `awork`).
    pub fn slug(self) -> &'static str {
        match self {
            Surface::WebflowData => "webflow",
            Surface::WebflowScim => "scim",
            Surface::WebflowWorkspace => "workspace",
            Surface::Flatfile => "flatfile",
            Surface::Awork => "awork",
        }
    }

    /// Path prefixes the surface owns (such as `/scim/v2`). Unmatched requests under a prefix
    /// are counted for this surface and answered with [`Problem::RouteNotFound`]; the
    /// longest matching prefix wins.
    pub fn prefixes(self) -> &'static [&'static str] {
        match self {
            Surface::WebflowData => &["/v2"],
            Surface::WebflowScim => &["/scim/v2"],
            Surface::WebflowWorkspace => &["/v2/workspaces", "/v2/sites/{}/members"],
            Surface::Flatfile => &["/v1"],
            Surface::Awork => &["/api/v1"],
        }
    }

    /// Parses a slug (also `webflow-data`, `webflow-scim`, `webflow-workspace`).
    pub fn from_slug(s: &str) -> Option<Surface> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "webflow" | "webflow-data" => Some(Surface::WebflowData),
            "scim" | "webflow-scim" => Some(Surface::WebflowScim),
            "workspace" | "webflow-workspace" => Some(Surface::WebflowWorkspace),
            "flatfile" => Some(Surface::Flatfile),
            "awork" => Some(Surface::Awork),
            _ => None,
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Surface {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Surface::from_slug(s).ok_or_else(|| format!("unknown surface `{s}`"))
    }
}

/// A framework-level failure a surface renders in its own error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Missing or wrong credentials (401).
    Unauthorized,
    /// Rate limit exhausted (429). The framework adds `Retry-After`.
    TooManyRequests,
    /// A server error with this status (5xx), in the vendor's JSON shape.
    ServerError(StatusCode),
    /// No route matched under the surface's prefix (404).
    RouteNotFound,
}

/// Why an admin action failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminError {
    /// The request was invalid (400).
    BadRequest(String),
    /// The named thing does not exist (404).
    NotFound(String),
    /// The surface does not support this action (400).
    Unsupported(String),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::BadRequest(m) | AdminError::NotFound(m) | AdminError::Unsupported(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for AdminError {}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = match self {
            AdminError::NotFound(_) => StatusCode::NOT_FOUND,
            AdminError::BadRequest(_) | AdminError::Unsupported(_) => StatusCode::BAD_REQUEST,
        };
        (status, axum::Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// One emulated vendor API: its state, routes, credential check and error shapes.
pub trait SurfaceModule: Send + Sync + 'static {
    /// The surface's routes with full paths, state already applied. The framework adds the
    /// guard (counting, faults, auth, rate limit) around them.
    fn router(self: Arc<Self>) -> Router;

    /// Checks the request's credentials (and scopes, feature switches). On success returns
    /// the rate-limit scope key (site id for Webflow, the token otherwise); on failure the
    /// complete vendor-shaped response (401/403).
    // The error is the finished response (axum's idiom); boxing it would only add an
    // allocation on the error path.
    #[allow(clippy::result_large_err)]
    fn authorize(&self, parts: &Parts) -> Result<String, Response>;

    /// Renders a framework-level problem in the vendor's error shape.
    fn problem(&self, problem: Problem) -> Response;

    /// All of the surface's state as JSON (for `GET /_sandbox/state`).
    fn snapshot(&self) -> Value;

    /// Drops all state and loads `seed` (the surface's section of the seed document, if any).
    fn reset(&self, seed: Option<&Value>) -> Result<(), String>;

    /// Runs an admin action (`POST /_sandbox/{surface}/{action}` with a JSON body), such as
    /// `accept` with `{"email": ...}`. Returns a JSON answer.
    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError>;
}
