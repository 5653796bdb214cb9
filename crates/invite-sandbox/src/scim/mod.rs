//! Webflow SCIM 2.0 (RFC 7643/7644) for workspace collaborators, under `/scim/v2`.
//! See docs/vendors/scim.md.
//!
//! Routes: `GET`/`POST /Users`, `GET`/`PUT`/`PATCH`/`DELETE /Users/{id}`, `GET /Groups`,
//! `GET`/`PATCH /Groups/{id}`, `GET /ServiceProviderConfig`. Every answer is
//! `application/scim+json`; errors carry the RFC 7644 error URN, `status` as a string,
//! `scimType` where the RFC defines one, and `detail`. Single resources carry an `ETag`
//! (`W/"n"`, also `meta.version`); `If-Match` with another version answers 412.
//!
//! Lists support `filter` (`attr eq "value"` on `userName`, `emails.value`, `emails`,
//! `externalId`, `id`, `displayName`, `active`; `userName` and emails compare
//! case-insensitively), 1-based `startIndex` and `count` (capped at 100); users come in
//! creation order. A SCIM `POST /Users` sends no email but is counted in the invitation
//! counts under the `scim` surface (keyed by the user's email, else its `userName`).
//!
//! Files: `model.rs` (state, rendering, error body, seed section), `filter.rs` (list
//! queries), `patch.rs` (PatchOp and attribute paths), `handlers.rs` (routes).

mod filter;
mod handlers;
mod model;
mod patch;

use std::sync::Arc;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::admin::unsupported;
use crate::request::token_scope;
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
use model::ScimError;
pub use model::{ERROR_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, PATCH_SCHEMA, SCIM_JSON, USER_SCHEMA};
use serde_json::Map;

#[derive(Clone, Debug)]
struct ScimUser {
    id: String,
    attrs: Map<String, Value>,
    created: String,
    last_modified: String,
    version: u64,
}

#[derive(Clone, Debug)]
struct ScimGroup {
    id: String,
    display_name: String,
    external_id: Option<String>,
    members: Vec<String>,
    created: String,
    last_modified: String,
    version: u64,
}

#[derive(Default)]
struct ScimState {
    users: Vec<ScimUser>,
    groups: Vec<ScimGroup>,
}

/// The Webflow SCIM 2.0 surface.
pub struct Scim {
    shared: Shared,
    state: Locked<ScimState>,
}

type Module = Arc<Scim>;

impl Scim {
    /// A new, empty surface (the registry seeds it with [`SurfaceModule::reset`]).
    pub fn new(shared: Shared) -> Arc<Self> {
        Arc::new(Scim {
            shared,
            state: Locked::default(),
        })
    }
}

impl SurfaceModule for Scim {
    fn router(self: Arc<Self>) -> Router {
        use handlers::*;
        Router::new()
            .route("/scim/v2/Users", get(list_users).post(create_user))
            .route(
                "/scim/v2/Users/{user_id}",
                get(get_user)
                    .put(replace_user)
                    .patch(patch_user)
                    .delete(delete_user),
            )
            .route("/scim/v2/Groups", get(list_groups))
            .route(
                "/scim/v2/Groups/{group_id}",
                get(get_group).patch(patch_group),
            )
            .route(
                "/scim/v2/ServiceProviderConfig",
                get(service_provider_config),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        let token = &self.shared.config().webflow_scim_token;
        token_scope(self, parts, token)
    }

    fn problem(&self, problem: Problem) -> Response {
        let (status, detail) = match problem {
            Problem::Unauthorized => {
                let mut r = ScimError::new(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "Authorization failure. The authorization header is invalid or missing.",
                )
                .into_response();
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"scim\""),
                );
                return r;
            }
            Problem::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests. Retry later.",
            ),
            Problem::ServerError(status) => (status, "Internal server error"),
            Problem::RouteNotFound => (
                StatusCode::NOT_FOUND,
                "The requested endpoint does not exist",
            ),
        };
        ScimError::new(status, None, detail).into_response()
    }

    fn snapshot(&self) -> Value {
        let st = self.state.lock();
        json!({
            "users": st.users.iter().map(|u| st.user_json(u, "/scim/v2")).collect::<Vec<_>>(),
            "groups": st.groups.iter().map(|g| st.group_json(g, "/scim/v2")).collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        self.state.replace(ScimState::seeded(seed)?);
        Ok(())
    }

    fn admin_action(&self, action: &str, _body: &Value) -> Result<Value, AdminError> {
        Err(unsupported(
            "surface scim",
            action,
            "SCIM users are provisioned, not invited",
        ))
    }
}
