//! awork v1 invitations & users (OpenAPI "awork API 1.3.0"). See docs/vendors/awork.md.
//!
//! Routes (relative to the sandbox root; the awork base URL is
//! `<root>/api/v1`):
//!
//! | method | path |
//! |---|---|
//! | `POST` | `/api/v1/invitations` |
//! | `POST` | `/api/v1/invitations/accept` |
//! | `GET` | `/api/v1/users` (`page`, `pageSize`, `orderby`, `filterby`, `showArchived`) |
//! | `GET` `PUT` `DELETE` | `/api/v1/users/{userId}` |
//! | `POST` | `/api/v1/users/{userId}/deactivate`, `/api/v1/users/{userId}/activate` |
//! | `GET` | `/api/v1/me`, `/api/v1/users/me` |
//! | `GET` | `/api/v1/roles` (`showArchived`) |
//! | `GET` | `/api/v1/teams` (`includeUserIds`, `includeProjectIds`, `page`, `pageSize`, `orderby`, `filterby`) |
//!
//! Bodies use the spec's field names; lists are bare JSON arrays; errors
//! are `ErrorResponse {code, description, link, details?, validationErrors?, traceId?}`.
//!
//! Files: `model.rs` (state, rendering, error body, request readers), `query.rs` (list
//! queries), `handlers.rs` (routes); this file wires them into a surface and holds the seed
//! section and admin actions.

mod handlers;
mod model;
mod query;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::Duration;

use crate::admin::{email_arg, unsupported};
use crate::clock::{iso_millis, now};
use crate::email::norm_email;
use crate::request::token_scope;
use crate::seed::seed_users;
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
pub use model::MAX_SAFE_INTEGER;
use model::{AwError, team_model};
use time::OffsetDateTime;

/// Ids and token of the emulated workspace.
#[derive(Debug, Clone)]
struct Config {
    /// The bearer token the API accepts (`AWORK_API_TOKEN`).
    token: String,
    /// The one workspace (`AWORK_WORKSPACE_ID`).
    workspace_id: String,
    /// The seeded non-admin "Member" role (`AWORK_ROLE_ID`), the default
    /// for invitations without `roleId`.
    role_id: String,
    /// The seeded "Admin" role.
    admin_role_id: String,
    /// The API key's owner.
    admin_user_id: String,
    /// That owner's email.
    admin_email: String,
}

#[derive(Debug, Clone, Default)]
struct Profile {
    first_name: Option<String>,
    last_name: Option<String>,
    birth_date: Option<String>,
    gender: Option<String>,
    title: Option<String>,
    position: Option<String>,
    language: Option<String>,
}

#[derive(Debug, Clone)]
struct Invitation {
    code: String,
    expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    contact_id: String,
    /// Whether `userContactInfos` lists the address (an `email` entry). awork keeps the login
    /// address on the account, which `User` does not show; the admin action
    /// `remove-contacts` drops the entry to emulate a user whose profile lists none.
    email_contact: bool,
    profile: Profile,
    role_id: String,
    team_ids: Vec<String>,
    invitation_accepted: bool,
    is_deactivated: bool,
    deactivated_on: Option<OffsetDateTime>,
    deleted_on: Option<OffsetDateTime>,
    is_archived: bool,
    created_on: OffsetDateTime,
    created_by: String,
    updated_on: OffsetDateTime,
    updated_by: String,
    resource_version: i64,
    invitation: Option<Invitation>,
}

#[derive(Debug, Clone)]
struct Role {
    id: String,
    name: &'static str,
    is_admin: bool,
    is_guest: bool,
}

#[derive(Debug)]
struct Store {
    users: Vec<User>,
    roles: Vec<Role>,
    created_on: OffsetDateTime,
    next_version: i64,
}

/// The id of the seeded "Admin" role.
pub const ADMIN_ROLE_ID: &str = "9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a";
/// The id of the seeded, archived "Guest" role.
pub const GUEST_ROLE_ID: &str = "5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070";
/// The user id of the API key's owner, an admin, returned by `GET /me`.
pub const ADMIN_USER_ID: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
/// The email address of that admin.
pub const ADMIN_EMAIL: &str = "admin@sandbox.example";
/// The seeded teams: `(id, name, icon, color)`.
const TEAMS: &[(&str, &str, &str, &str)] = &[
    (DESIGN_TEAM_ID, "Design", "brush", "#FF6B6B"),
    (ENGINEERING_TEAM_ID, "Engineering", "code", "#4D96FF"),
];

/// The id of the seeded team "Design".
pub const DESIGN_TEAM_ID: &str = "7f0e1d2c-3b4a-4596-8877-665544332211";
/// The id of the seeded team "Engineering".
pub const ENGINEERING_TEAM_ID: &str = "8a9b0c1d-2e3f-4a5b-9c6d-7e8f90a1b2c3";

/// The awork surface: one workspace with its users, roles and teams.
pub struct Awork {
    shared: Shared,
    cfg: Config,
    store: Locked<Store>,
}

impl std::fmt::Debug for Awork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Awork")
            .field("workspace_id", &self.cfg.workspace_id)
            .finish_non_exhaustive()
    }
}

type Module = Arc<Awork>;

impl Awork {
    /// The awork surface of a sandbox, with the ids and token of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let cfg = Config {
            token: c.awork_api_token.clone(),
            workspace_id: c.awork_workspace_id.to_lowercase(),
            role_id: c.awork_role_id.to_lowercase(),
            admin_role_id: ADMIN_ROLE_ID.to_owned(),
            admin_user_id: ADMIN_USER_ID.to_owned(),
            admin_email: ADMIN_EMAIL.to_owned(),
        };
        let store = Locked::new(Store::seeded(&cfg));
        Arc::new(Self { shared, cfg, store })
    }

    fn workspace_json(&self, store: &Store) -> Value {
        let members = store
            .users
            .iter()
            .filter(|u| u.deleted_on.is_none())
            .count();
        let created = iso_millis(store.created_on);
        json!({
            "name": "Sandbox Workspace",
            "description": null,
            "language": "en-GB",
            "type": null,
            "size": null,
            "goals": null,
            "selfAttribution": null,
            "previousTool": null,
            "department": null,
            "allowSocialLogin": true,
            "allowCredentialsLogin": true,
            "allowAutomaticScimUserBooking": false,
            "sameDomainSignupEnabled": false,
            "sameDomainSignupRoleId": null,
            "sameDomainSignupDomains": null,
            "requireMfa": false,
            "skipCreateDefaultWorkspaceData": null,
            "id": self.cfg.workspace_id,
            "subdomains": [{ "name": "sandbox", "isDefault": true }],
            "memberCount": members,
            "lastUsed": true,
            "lastLogin": null,
            "accountIds": null,
            "hasImage": false,
            "createdOn": created,
            "createdBy": self.cfg.admin_user_id,
            "updatedOn": created,
            "updatedBy": self.cfg.admin_user_id,
            "isTestWorkspace": true,
            "isApproved": true,
            "allowSSOLogin": false,
            "isScimActivated": false,
            "virtualMRR": null,
            "isMobileSignup": null,
            "isFreeMail": null,
            "isJoinable": false,
            "isFull": false,
        })
    }

    /// Accepts the pending invitation of the user with `email` (admin hook).
    /// Returns whether such a pending invitation existed.
    fn accept(&self, email: &str) -> bool {
        let key = norm_email(email);
        let mut store = self.store.lock();
        let version = store.bump();
        let Some(user) = store.users.iter_mut().find(|u| {
            u.deleted_on.is_none() && !u.invitation_accepted && norm_email(&u.email) == key
        }) else {
            return false;
        };
        user.invitation = None;
        user.invitation_accepted = true;
        user.updated_on = now();
        user.resource_version = version;
        true
    }

    /// Makes the pending invitation code of `email` expired (admin hook).
    /// Returns whether such a pending invitation existed.
    fn expire_invitation(&self, email: &str) -> bool {
        let key = norm_email(email);
        let mut store = self.store.lock();
        let past = now() - Duration::seconds(1);
        store
            .users
            .iter_mut()
            .filter(|u| u.deleted_on.is_none() && norm_email(&u.email) == key)
            .filter_map(|u| u.invitation.as_mut())
            .map(|i| i.expires_at = past)
            .count()
            > 0
    }

    /// Drops the email contact entry of the live user with `email` (admin hook): awork then
    /// lists them without any address. Returns whether such a user existed.
    fn remove_contacts(&self, email: &str) -> bool {
        let key = norm_email(email);
        let mut store = self.store.lock();
        let version = store.bump();
        let Some(user) = store
            .users
            .iter_mut()
            .find(|u| u.deleted_on.is_none() && norm_email(&u.email) == key)
        else {
            return false;
        };
        user.email_contact = false;
        user.updated_on = now();
        user.resource_version = version;
        true
    }

    /// Adds the users of a seed section
    /// `{"users":[{email, firstName?, lastName?, accepted?, deactivated?, admin?, teamIds?}]}`
    /// (`accepted` defaults to true).
    fn load_seed(&self, store: &mut Store, seed: &Value) -> Result<(), String> {
        let seeded = seed_users("awork", seed, |e| {
            let key = norm_email(e);
            store.users.iter().any(|x| norm_email(&x.email) == key)
        })?;
        for (email, u) in seeded {
            let text = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_owned);
            let flag = |k: &str, d: bool| u.get(k).and_then(Value::as_bool).unwrap_or(d);
            let mut team_ids = Vec::new();
            if let Some(list) = u.get("teamIds") {
                for t in list.as_array().ok_or("`teamIds` must be an array")? {
                    let t = t.as_str().map(str::to_lowercase).unwrap_or_default();
                    if team_model(&t).is_none() {
                        return Err(format!("unknown team id `{t}`"));
                    }
                    team_ids.push(t);
                }
            }
            let t = now();
            let deactivated = flag("deactivated", false);
            let version = store.bump();
            let role_id = if flag("admin", false) {
                self.cfg.admin_role_id.clone()
            } else {
                self.cfg.role_id.clone()
            };
            let profile = Profile::named(text("firstName"), text("lastName"));
            store.users.push(User {
                team_ids,
                invitation_accepted: flag("accepted", true),
                is_deactivated: deactivated,
                deactivated_on: deactivated.then_some(t),
                ..User::new(email, profile, role_id, &self.cfg.admin_user_id, version, t)
            });
        }
        Ok(())
    }
}

impl SurfaceModule for Awork {
    fn router(self: Arc<Self>) -> Router {
        use handlers::*;
        Router::new()
            .route("/api/v1/invitations", post(invite))
            .route("/api/v1/invitations/accept", post(accept_code))
            .route("/api/v1/users", get(list_users))
            .route(
                "/api/v1/users/{user_id}",
                get(user_get).put(put_user).delete(delete_user),
            )
            .route("/api/v1/users/{user_id}/deactivate", post(deactivate))
            .route("/api/v1/users/{user_id}/activate", post(activate))
            .route("/api/v1/me", get(me))
            .route("/api/v1/roles", get(roles))
            .route("/api/v1/teams", get(teams))
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        token_scope(self, parts, &self.cfg.token)
    }

    fn problem(&self, problem: Problem) -> Response {
        match problem {
            Problem::Unauthorized => AwError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The request is not authorized: missing or invalid bearer token.",
            ),
            Problem::TooManyRequests => AwError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests. Retry after the time given in Retry-After.",
            ),
            Problem::ServerError(status) => AwError::new(
                status,
                "internal-server-error",
                "An unexpected error occurred.",
            ),
            Problem::RouteNotFound => AwError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "There is no matching path for this URL.",
            ),
        }
        .into_response()
    }

    fn snapshot(&self) -> Value {
        let store = self.store.lock();
        json!({
            "workspaceId": self.cfg.workspace_id,
            "users": store
                .users
                .iter()
                .map(|u| {
                    let mut v = u.json();
                    if let Value::Object(m) = &mut v {
                        m.insert("email".into(), Value::from(u.email.clone()));
                        m.insert("roleId".into(), Value::from(u.role_id.clone()));
                        m.insert("pendingInvitation".into(), Value::from(u.invitation.is_some()));
                    }
                    v
                })
                .collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        self.store.reseed(Store::seeded(&self.cfg), seed, |st, s| {
            self.load_seed(st, s)
        })
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        let email = email_arg(body);
        match action {
            "accept" | "expire" => {
                let email = email?;
                let (done, what) = if action == "accept" {
                    (self.accept(email), "invitation")
                } else {
                    (self.expire_invitation(email), "invitation code")
                };
                if !done {
                    return Err(AdminError::NotFound(format!(
                        "no pending awork {what} for {email}"
                    )));
                }
                let key = if action == "accept" {
                    "accepted"
                } else {
                    "expired"
                };
                Ok(json!({ key: true }))
            }
            "remove-contacts" => {
                let email = email?;
                if !self.remove_contacts(email) {
                    return Err(AdminError::NotFound(format!("no awork user {email}")));
                }
                Ok(json!({ "removed": true }))
            }
            other => Err(unsupported(
                "awork",
                other,
                "supported: accept, expire, remove-contacts",
            )),
        }
    }
}
