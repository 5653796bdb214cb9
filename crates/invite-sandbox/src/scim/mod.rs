//! Webflow SCIM 2.0 (RFC 7643/7644) for workspace collaborators, under `/scim/v2`.
//! See docs/vendors/scim.md.
//!
//! Routes: `GET`/`POST /Users`, `GET`/`PUT`/`PATCH`/`DELETE /Users/{id}`, the same for
//! `/Groups`, `POST /.search`, `/Users/.search`, `/Groups/.search`, and the RFC 7644 §4
//! discovery endpoints `/ServiceProviderConfig`, `/ResourceTypes[/{id}]`,
//! `/Schemas[/{urn}]`. Every answer is `application/scim+json`; every error (a wrong method
//! on a served route: 405 with `Allow`; a route not served: 404) carries the RFC 7644 error
//! URN, `status` as a string, `scimType` where the RFC defines one, and `detail`. Single
//! resources carry an `ETag` (`W/"n"`, also `meta.version`); `If-Match` with another
//! version answers 412.
//!
//! Lists and searches support `filter` (one `attr op "value"` or `attr pr` on `userName`,
//! `emails.value`, `emails`, `externalId`, `id`, `displayName`, `active`; `userName` and
//! emails compare case-insensitively), 1-based `startIndex` and `count` (capped at 100);
//! users come in creation order. Every answer with resources honours `attributes` /
//! `excludedAttributes` (`id` and `schemas` always returned). The enterprise User extension
//! (any extension) is refused with 400. A SCIM `POST /Users` sends no email but is counted
//! in the invitation counts under the `scim` surface (keyed by the user's email, else its
//! `userName`).
//!
//! Files: `model.rs` (state, rendering, projection, error body, seed section), `filter.rs`
//! (list and search queries), `patch.rs` (resource bodies, PatchOp and attribute paths),
//! `handlers.rs` (resource routes), `discovery.rs` (discovery routes, `schemas.json`).

mod discovery;
mod filter;
mod handlers;
mod model;
mod patch;

use std::sync::Arc;

use axum::Router;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde_json::{Value, json};

use crate::admin::unsupported;
use crate::request::token_scope;
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
pub use model::{ERROR_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, PATCH_SCHEMA, SCIM_JSON, USER_SCHEMA};
use model::{Resource, ScimError};
use serde_json::Map;

/// Gives an error answer that is not yet a SCIM error (axum's 405 for a wrong method on a
/// served route, a body over the size limit) the RFC 7644 §3.12 body and media type, keeping
/// its status and headers (`Allow` on a 405).
async fn scim_error_body(r: Response) -> Response {
    let status = r.status();
    let is_scim = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_scim {
        return r;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "The endpoint does not support this method".to_owned(),
        s => s.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let (mut parts, _) = r.into_parts();
    let scim = ScimError::new(status, None, detail).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .extend(scim.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
    Response::from_parts(parts, scim.into_body())
}

#[derive(Clone, Debug)]
struct ScimUser {
    id: String,
    attrs: Map<String, Value>,
    created: String,
    last_modified: String,
    version: u64,
}

/// A group member: the user's id and the `display` the client sent, if any.
#[derive(Clone, Debug, PartialEq)]
struct Member {
    value: String,
    display: Option<String>,
}

#[derive(Clone, Debug)]
struct ScimGroup {
    id: String,
    display_name: String,
    external_id: Option<String>,
    members: Vec<Member>,
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

/// The routes of resource type `R` under `/scim/v2/{KIND}s`: list and `create`, `.search`,
/// and on `/{id}` read and `change` (PUT, PATCH, DELETE).
fn resource_routes<R: Resource + Send + 'static>(
    create: MethodRouter<Module>,
    change: MethodRouter<Module>,
) -> Router<Module> {
    use handlers::{list, read, search};
    let path = format!("/scim/v2/{}s", R::KIND);
    Router::new()
        .route(&path, get(list::<R>).merge(create))
        .route(&format!("{path}/.search"), post(search::<R>))
        .route(&format!("{path}/{{id}}"), get(read::<R>).merge(change))
}

impl SurfaceModule for Scim {
    fn router(self: Arc<Self>) -> Router {
        use discovery::*;
        use handlers::*;
        Router::new()
            .merge(resource_routes::<ScimUser>(
                post(create_user),
                put(replace_user).patch(patch_user).delete(delete_user),
            ))
            .merge(resource_routes::<ScimGroup>(
                post(create_group),
                put(replace_group).patch(patch_group).delete(delete_group),
            ))
            .route("/scim/v2/.search", post(search_all))
            .route(
                "/scim/v2/ServiceProviderConfig",
                get(service_provider_config),
            )
            .route("/scim/v2/ResourceTypes", get(list_resource_types))
            .route("/scim/v2/ResourceTypes/{type_id}", get(get_resource_type))
            .route("/scim/v2/Schemas", get(list_schemas))
            .route("/scim/v2/Schemas/{schema_id}", get(get_schema))
            .layer(middleware::map_response(scim_error_body))
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
