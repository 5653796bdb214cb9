//! Webflow Data API v2: sites, tokens, access groups and site users ("User Accounts").
//! See docs/vendors/webflow-site.md.
//!
//! Routes (base `/v2`): `GET /sites`, `GET /token/authorized_by`, `GET /token/introspect`,
//! `GET /sites/{site_id}/accessgroups`, `GET /sites/{site_id}/users`,
//! `POST /sites/{site_id}/users/invite`, `GET`/`PATCH`/`DELETE /sites/{site_id}/users/{user_id}`.
//!
//! Errors use Webflow's body `{code, message, externalReference, details}` (module `error`,
//! shared with the workspace surface). Users are rendered with the final SDK's nested
//! `data.data` object. The "retired" switch makes every users and access-groups route answer
//! 403 `users_not_enabled`, as the feature was disabled on all sites on 2026-01-29.
//!
//! Files: `model.rs` (state, JSON rendering, seed section), `handlers.rs` (routes),
//! `error.rs` (error body); this file wires them into a surface.

pub(crate) mod error;
mod handlers;
mod model;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::admin::{email_arg, unsupported};
use crate::clock::now_millis;
use crate::ids::object_id;
use crate::request::{has_bearer, route_template, segment_after};
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
use error::WfError;
use serde_json::Map;

#[derive(Clone, Debug)]
struct AccessGroup {
    id: String,
    name: String,
    short_id: String,
    slug: String,
    created_on: String,
}

#[derive(Clone, Debug)]
struct User {
    id: String,
    email: String,
    status: String,
    created_on: String,
    invited_on: Option<String>,
    last_updated: String,
    last_login: Option<String>,
    /// `(slug, type)` pairs.
    access_groups: Vec<(String, String)>,
    /// `data.data` without `email`.
    data: Map<String, Value>,
}

#[derive(Clone, Debug)]
struct Site {
    id: String,
    display_name: String,
    short_name: String,
    created_on: String,
    user_limit: Option<usize>,
    access_groups: Vec<AccessGroup>,
    users: Vec<User>,
}

#[derive(Default)]
struct WfState {
    retired: bool,
    sites: Vec<Site>,
}

/// Message of the 403 answered while the feature is retired.
pub const RETIRED_MESSAGE: &str = "User Accounts are not enabled for this site: Webflow disabled User Accounts on all sites on January 29, 2026";

/// The Webflow Data API site-users surface.
pub struct WebflowData {
    shared: Shared,
    state: Locked<WfState>,
    authorized_user_id: String,
    token_id: String,
    app_id: String,
    started: String,
}

type Module = Arc<WebflowData>;

impl WebflowData {
    /// A new, empty surface (the registry seeds it with [`SurfaceModule::reset`]).
    pub fn new(shared: Shared) -> Arc<Self> {
        Arc::new(WebflowData {
            shared,
            state: Locked::default(),
            authorized_user_id: object_id(),
            token_id: object_id(),
            app_id: object_id(),
            started: now_millis(),
        })
    }

    fn workspace_id(&self) -> &str {
        &self.shared.config().webflow_workspace_id
    }
}

/// The scope a route needs, if any.
fn required_scope(method: &str, template: &str) -> Option<&'static str> {
    let read = method == "GET";
    if template.ends_with("/token/introspect") {
        None
    } else if template.ends_with("/token/authorized_by") {
        Some("authorized_user:read")
    } else if is_users_route(template) {
        Some(if read { "users:read" } else { "users:write" })
    } else if template.starts_with("/v2/sites") {
        Some(if read { "sites:read" } else { "sites:write" })
    } else {
        None
    }
}

/// Whether the route belongs to the (retirable) User Accounts feature.
fn is_users_route(template: &str) -> bool {
    template.contains("/users") || template.ends_with("/accessgroups")
}

impl SurfaceModule for WebflowData {
    fn router(self: Arc<Self>) -> Router {
        use handlers::*;
        Router::new()
            .route("/v2/sites", get(list_sites))
            .route("/v2/token/authorized_by", get(authorized_by))
            .route("/v2/token/introspect", get(introspect))
            .route("/v2/sites/{site_id}/accessgroups", get(list_access_groups))
            .route("/v2/sites/{site_id}/users", get(list_users))
            .route("/v2/sites/{site_id}/users/invite", post(invite))
            .route(
                "/v2/sites/{site_id}/users/{user_id}",
                get(get_user).patch(update_user).delete(delete_user),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        let cfg = self.shared.config();
        if !has_bearer(parts, &cfg.webflow_api_token) {
            return Err(self.problem(Problem::Unauthorized));
        }
        let template = route_template(parts);
        if let Some(scope) = required_scope(parts.method.as_str(), template)
            && !cfg.webflow_token_scopes.iter().any(|s| s == scope)
        {
            return Err(WfError::missing_scope(scope).into_response());
        }
        if is_users_route(template) && self.state.lock().retired {
            return Err(
                WfError::new(StatusCode::FORBIDDEN, "users_not_enabled", RETIRED_MESSAGE)
                    .into_response(),
            );
        }
        Ok(match segment_after(parts.uri.path(), "sites") {
            Some(site) => format!("site:{site}"),
            None => format!("token:{}", cfg.webflow_api_token),
        })
    }

    fn problem(&self, problem: Problem) -> Response {
        WfError::problem(problem, "Too many requests").into_response()
    }

    fn snapshot(&self) -> Value {
        let st = self.state.lock();
        json!({
            "retired": st.retired,
            "sites": st.sites.iter().map(|s| {
                let mut v = s.to_json(self.workspace_id());
                if let Some(o) = v.as_object_mut() {
                    o.insert("userLimit".into(), json!(s.user_limit));
                    o.insert("accessGroups".into(),
                        Value::Array(s.access_groups.iter().map(AccessGroup::to_json).collect()));
                    o.insert("users".into(),
                        Value::Array(s.users.iter().map(User::to_json).collect()));
                }
                v
            }).collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        let state = WfState::seeded(self.shared.config(), &self.started, seed)?;
        self.state.replace(state);
        Ok(())
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        match action {
            "retire" => {
                let retired = match body.get("retired") {
                    None => true,
                    Some(v) => v.as_bool().ok_or_else(|| {
                        AdminError::BadRequest("`retired` must be a boolean".into())
                    })?,
                };
                self.state.lock().retired = retired;
                Ok(json!({ "retired": retired }))
            }
            "accept" => {
                let email = email_arg(body)?.trim();
                let mut st = self.state.lock();
                let now = now_millis();
                let mut accepted = Vec::new();
                for u in st.sites.iter_mut().flat_map(|s| s.users.iter_mut()) {
                    if u.email.eq_ignore_ascii_case(email) && u.status != "verified" {
                        u.status = "verified".into();
                        u.last_updated = now.clone();
                        u.last_login = Some(now.clone());
                        accepted.push(u.to_json());
                    }
                }
                if accepted.is_empty() {
                    return Err(AdminError::NotFound(format!(
                        "no pending Webflow site user with email {email}"
                    )));
                }
                Ok(json!({ "accepted": accepted }))
            }
            other => Err(unsupported(
                "surface webflow",
                other,
                "use accept or retire",
            )),
        }
    }
}
