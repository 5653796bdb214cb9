//! Flatfile v1 users & roles. See docs/vendors/flatfile.md.
//!
//! Routes (relative to the sandbox root; `FLATFILE_API_URL` is the root
//! without `/v1`):
//!
//! | method | path |
//! |---|---|
//! | `POST` | `/v1/users/invite` (needs `X-Disable-Hooks: true`) |
//! | `POST` | `/v1/users/{userId}/resend-invite` |
//! | `GET` | `/v1/users` (`email`, `search`, `sortField`, `sortDirection`, `pageSize`, `pageNumber`) |
//! | `GET` `PATCH` `DELETE` | `/v1/users/{userId}` |
//! | `GET` `POST` | `/v1/users/{userId}/roles` |
//! | `DELETE` | `/v1/users/{userId}/roles/{actorRoleId}` |
//! | `GET` | `/v1/roles` |
//! | `GET` | `/v1/accounts/current` |
//!
//! Every single object is wrapped in `{"data": …}`; errors use Flatfile's
//! `{"errors":[{"key"?, "message"}]}` shape. Answers have the shapes of Flatfile's
//! published examples (`fixtures/vendors/flatfile/`, checked by `tests/flatfile.rs`): a new
//! invitee's `lastSeenAt` is its `createdAt`, and moves on when they accept.
//!
//! Admin actions (`POST /_sandbox/flatfile/{action}`, or [`crate::Sandbox::admin_action`]):
//! `accept` `{"email"}` (the invitee signs in) and `duplicate-status` `{"status": 400 | 409
//! | 422}` (how a duplicate invite is refused, 409 until the next reset; Flatfile documents
//! no status for it).
//!
//! Files: `model.rs` (state, rendering, error body, request readers), `handlers.rs`
//! (routes); this file wires them into a surface and holds the seed section and admin action.

mod handlers;
mod model;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};

use crate::admin::{email_arg, unsupported};
use crate::clock::now;
use crate::email::norm_email;
use crate::request::token_scope;
use crate::seed::seed_users;
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
use model::{FfError, required_string};
use time::OffsetDateTime;

/// Ids and token of the emulated account, taken from the sandbox configuration.
#[derive(Debug, Clone)]
struct Config {
    /// The bearer token (secret key) the API accepts (`FLATFILE_API_KEY`).
    token: String,
    /// The account id (`FLATFILE_ACCOUNT_ID`), the resource of account-wide roles.
    account_id: String,
    /// The id of the seeded "Admin" role (`FLATFILE_ROLE_ID`).
    role_id: String,
    /// The account's default environment (derived from the account id).
    environment_id: String,
}

#[derive(Debug, Clone)]
struct ActorRole {
    id: String,
    role_id: String,
    actor_id: String,
    resource_id: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    name: String,
    idp_ref: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    last_seen_at: Option<OffsetDateTime>,
    dashboard: Option<i64>,
    roles: Vec<ActorRole>,
}

#[derive(Debug, Clone)]
struct Role {
    id: String,
    name: String,
    created_at: OffsetDateTime,
}

/// The in-memory state of the emulated account.
#[derive(Debug)]
struct Store {
    users: Vec<User>,
    roles: Vec<Role>,
    created_at: OffsetDateTime,
    /// The status a duplicate invite is refused with (admin `duplicate-status`; 409).
    duplicate_status: StatusCode,
}

/// The id of the second seeded role, "Guest Manager".
pub const GUEST_ROLE_ID: &str = "us_rol_guestmg1";

/// The Flatfile surface: configuration, users, roles.
pub struct Flatfile {
    shared: Shared,
    cfg: Config,
    store: Locked<Store>,
}

type Module = Arc<Flatfile>;

impl std::fmt::Debug for Flatfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flatfile")
            .field("account_id", &self.cfg.account_id)
            .finish_non_exhaustive()
    }
}

impl Flatfile {
    /// The Flatfile surface of a sandbox, with the ids and key of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let suffix = c
            .flatfile_account_id
            .strip_prefix("us_acc_")
            .unwrap_or("sandbox1")
            .to_owned();
        let cfg = Config {
            token: c.flatfile_api_key.clone(),
            account_id: c.flatfile_account_id.clone(),
            role_id: c.flatfile_role_id.clone(),
            environment_id: format!("us_env_{suffix}"),
        };
        let store = Locked::new(Store::seeded(&cfg));
        Arc::new(Self { shared, cfg, store })
    }

    /// Marks the user with `email` as having logged in (`lastSeenAt` moved on, at least
    /// [`model::SEEN_AFTER_INVITE`] after `createdAt`): the admin `accept` action.
    fn accept(&self, email: &str) -> Result<Value, AdminError> {
        let key = norm_email(email);
        let mut store = self.store.lock();
        let user = store
            .users
            .iter_mut()
            .find(|u| norm_email(&u.email) == key)
            .ok_or_else(|| AdminError::NotFound(format!("no Flatfile user with email {email}")))?;
        let t = now().max(user.created_at + model::SEEN_AFTER_INVITE);
        user.last_seen_at = Some(t);
        user.updated_at = t;
        Ok(json!({ "accepted": true, "userId": user.id }))
    }

    /// Sets the status a duplicate invite is refused with: the admin `duplicate-status`
    /// action, `{"status": 400 | 409 | 422}` (409 after a reset). Flatfile documents none
    /// (docs/vendors/flatfile.md#trap-duplicate-invite-undocumented), so a client must cope
    /// with each.
    fn set_duplicate_status(&self, body: &Value) -> Result<Value, AdminError> {
        let status = match body.get("status").and_then(Value::as_u64) {
            Some(400) => StatusCode::BAD_REQUEST,
            Some(409) => StatusCode::CONFLICT,
            Some(422) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => {
                return Err(AdminError::BadRequest(
                    "`status` must be 400, 409 or 422".to_owned(),
                ));
            }
        };
        self.store.lock().duplicate_status = status;
        Ok(json!({ "duplicateStatus": status.as_u16() }))
    }

    /// Adds the users of a seed section `{"users":[{email, name?, actorRoles?, accepted?}]}`.
    fn load_seed(&self, store: &mut Store, seed: &Value) -> Result<(), String> {
        let seeded = seed_users("flatfile", seed, |e| store.has_email(e))?;
        for (email, u) in seeded {
            let mut pairs = Vec::new();
            if let Some(list) = u.get("actorRoles") {
                let list = list.as_array().ok_or("`actorRoles` must be an array")?;
                for r in list {
                    let r = r
                        .as_object()
                        .ok_or("each actorRoles entry must be an object")?;
                    pairs.push(self.check_role_pair(store, r).map_err(|e| e.message)?);
                }
            }
            let name = u.get("name").and_then(Value::as_str).map_or_else(
                || email.split('@').next().unwrap_or_default().to_owned(),
                str::to_owned,
            );
            let accepted = u.get("accepted").and_then(Value::as_bool).unwrap_or(false);
            store.users.push(User::new(email, name, pairs, accepted));
        }
        Ok(())
    }

    /// Validates one `{roleId, resourceId}` pair against the account.
    fn check_role_pair(
        &self,
        store: &Store,
        obj: &Map<String, Value>,
    ) -> Result<(String, String), FfError> {
        let role_id = required_string(obj, "roleId")?;
        let resource_id = required_string(obj, "resourceId")?;
        if !role_id.starts_with("us_rol_") {
            return Err(FfError::bad(
                "roleId",
                format!("Invalid role id: {role_id}"),
            ));
        }
        if !store.roles.iter().any(|r| r.id == role_id) {
            return Err(FfError::not_found(format!("Role {role_id} not found")));
        }
        let valid_prefix = ["us_acc_", "us_env_", "us_sp_"]
            .iter()
            .any(|p| resource_id.len() > p.len() && resource_id.starts_with(p));
        if !valid_prefix {
            return Err(FfError::bad(
                "resourceId",
                format!(
                    "Invalid resource id: {resource_id} (expected an account, environment or space id)"
                ),
            ));
        }
        if resource_id.starts_with("us_acc_") && resource_id != self.cfg.account_id {
            return Err(FfError::not_found(format!(
                "Account {resource_id} not found"
            )));
        }
        // Environments and spaces are not modelled: any well-formed
        // `us_env_` / `us_sp_` id is accepted as a resource.
        Ok((role_id, resource_id))
    }
}

impl SurfaceModule for Flatfile {
    fn router(self: Arc<Self>) -> Router {
        use handlers::*;
        Router::new()
            .route("/v1/users/invite", post(invite))
            .route("/v1/users/{user_id}/resend-invite", post(resend))
            .route("/v1/users", get(list))
            .route(
                "/v1/users/{user_id}",
                get(get_user).patch(update_user).delete(delete_user),
            )
            .route(
                "/v1/users/{user_id}/roles",
                get(list_user_roles).post(assign_role),
            )
            .route(
                "/v1/users/{user_id}/roles/{actor_role_id}",
                delete(remove_role),
            )
            .route("/v1/roles", get(list_roles))
            .route("/v1/accounts/current", get(current_account))
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        token_scope(self, parts, &self.cfg.token)
    }

    fn problem(&self, problem: Problem) -> Response {
        let (status, key, message) = match problem {
            Problem::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                Some("authorization"),
                "Unauthorized: missing or invalid bearer token",
            ),
            Problem::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                Some("rate_limit"),
                "Too many requests, please retry later",
            ),
            Problem::ServerError(status) => (status, Some("internal"), "Internal server error"),
            Problem::RouteNotFound => (StatusCode::NOT_FOUND, None, "Not found"),
        };
        FfError::new(status, key, message).into_response()
    }

    fn snapshot(&self) -> Value {
        let store = self.store.lock();
        json!({
            "accountId": self.cfg.account_id,
            "environmentId": self.cfg.environment_id,
            "roles": store.roles.iter().map(|r| json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
            "users": store
                .users
                .iter()
                .map(|u| u.to_json_with_roles(&self.cfg.account_id))
                .collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        self.store.reseed(Store::seeded(&self.cfg), seed, |st, s| {
            self.load_seed(st, s)
        })
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        match action {
            "accept" => self.accept(email_arg(body)?),
            "duplicate-status" => self.set_duplicate_status(body),
            other => Err(unsupported(
                "flatfile",
                other,
                "supported: accept, duplicate-status",
            )),
        }
    }
}
