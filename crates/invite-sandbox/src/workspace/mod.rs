//! Webflow Enterprise Workspace Members and Site Access, Data API v2. Token
//! `WEBFLOW_WORKSPACE_TOKEN`, separate from the site token. See
//! docs/vendors/webflow-workspace.md.
//!
//! | method | path | scope |
//! |---|---|---|
//! | `GET` | `/v2/workspaces/{workspace_id}/members` (`limit`, `email`, `roles`, `cursor`) | `workspace_members:read` |
//! | `POST` | `/v2/workspaces/{workspace_id}/members` (invite) | `workspace_members:write` |
//! | `PATCH` `DELETE` | `/v2/workspaces/{workspace_id}/members/{member_id}` | `workspace_members:write` |
//! | `POST` | `/v2/workspaces/{workspace_id}/members/bulk` (role change) | `workspace_members:write` |
//! | `DELETE` | `/v2/workspaces/{workspace_id}/members/bulk` (remove, cancel invites; JSON body) | `workspace_members:write` |
//! | `GET` | `/v2/sites/{site_id}/members` (`limit`, `email`, `cursor`) | `site_access:read` |
//! | `POST` | `/v2/sites/{site_id}/members` (grant) | `site_access:write` |
//! | `PATCH` `DELETE` | `/v2/sites/{site_id}/members?email=` | `site_access:write` |
//! | `PATCH` `DELETE` | `/v2/sites/{site_id}/members/{member_id}` | `site_access:write` |
//!
//! Seeded state: the workspace `WEBFLOW_WORKSPACE_ID` with two sites, `WEBFLOW_SITE_ID`
//! ("Sandbox Site", open to the whole workspace) and [`CLIENT_SITE_ID`] ("Client Portal",
//! site-specific access); one owner ([`OWNER_EMAIL`]); one custom, client-eligible Site Role
//! ([`CUSTOM_SITE_ROLE_ID`]). The workspace is on Enterprise and on Workspace seats, and the
//! token has all four scopes.
//!
//! Seed section `workspace` (all optional):
//! `{"enterprise": bool, "workspaceSeats": bool, "scopes": [..],
//!   "members": [{email, firstName?, lastName?, role?, defaultSiteRole?, defaultSiteRoleId?, scimManaged?}],
//!   "invites": [{email, role?, defaultSiteRole?, defaultSiteRoleId?, status?}]}`.
//!
//! Admin actions (`POST /_sandbox/workspace/{action}`, also `/_sandbox/webflow-workspace/…`):
//! `accept`, `decline`, `expire` (`{"email"}`: the pending invite for that address),
//! `enterprise` (`{"enterprise": bool}`), `seats` (`{"workspaceSeats": bool}`),
//! `scopes` (`{"scopes": [..]}`), `member` (adds a member, same fields as the seed),
//! `scim-managed` (`{"email", "managed": bool}`).
//!
//! Files: `model.rs` (state, rendering, role rules, request readers), `members.rs`
//! (workspace members), `site_access.rs` (site access), `admin.rs` (seed section and admin
//! actions); this file wires them into a surface.

mod admin;
mod members;
mod model;
mod site_access;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

use crate::ids::{is_object_id, object_id};
use crate::request::{has_bearer, route_template};
use crate::shared::{Locked, Shared};
use crate::surface::{AdminError, Problem, SurfaceModule};
use crate::webflow::error::WfError;
use std::collections::BTreeMap;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
struct Site {
    id: String,
    name: &'static str,
    site_specific: bool,
}

#[derive(Debug, Clone)]
struct CustomRole {
    id: String,
    name: &'static str,
    client_eligible: bool,
}

/// An explicit per-site entry for a member.
#[derive(Debug, Clone, PartialEq)]
enum Access {
    Granted {
        role: String,
        role_id: Option<String>,
    },
    Revoked,
}

#[derive(Debug, Clone)]
struct Member {
    id: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    /// `owner`, `admin`, `member`, `reviewer` or `client`.
    role: String,
    default_site_role: Option<String>,
    default_site_role_id: Option<String>,
    /// Whether the default site role applies on every site open to the workspace.
    all_sites: bool,
    added_on: OffsetDateTime,
    scim_managed: bool,
    access: BTreeMap<String, Access>,
}

#[derive(Debug, Clone)]
struct Invite {
    id: String,
    email: String,
    role: String,
    created_on: OffsetDateTime,
    status: &'static str,
    sites: Vec<String>,
    all_sites: bool,
    default_site_role: Option<String>,
    default_site_role_id: Option<String>,
}

#[derive(Debug)]
struct Store {
    enterprise: bool,
    workspace_seats: bool,
    scopes: Vec<String>,
    sites: Vec<Site>,
    custom_roles: Vec<CustomRole>,
    members: Vec<Member>,
    invites: Vec<Invite>,
}

/// One per-item error in a bulk answer.
struct ItemError {
    code: &'static str,
    message: String,
}

/// The second seeded site, "Client Portal", which has site-specific access.
pub const CLIENT_SITE_ID: &str = "62fa5e47f6b8256f4641c5be";
/// The seeded custom Site Role ("Copy Editor", client-eligible).
pub const CUSTOM_SITE_ROLE_ID: &str = "72fa5e47f6b8256f4641c5bd";
/// The email address of the seeded workspace owner.
pub const OWNER_EMAIL: &str = "sandbox-owner@example.com";

/// Every scope the workspace token has by default.
pub const DEFAULT_SCOPES: &[&str] = &[
    "workspace_members:read",
    "workspace_members:write",
    "site_access:read",
    "site_access:write",
];

/// The Webflow workspace-members and site-access surface.
pub struct Workspace {
    shared: Shared,
    workspace_id: String,
    token: String,
    main_site_id: String,
    owner_id: String,
    store: Locked<Store>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

type Module = Arc<Workspace>;

impl Workspace {
    /// The workspace surface of a sandbox, with the ids and token of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let workspace_id = c.webflow_workspace_id.clone();
        let token = c.webflow_workspace_token.clone();
        let main_site_id = c.webflow_site_id.clone();
        let owner_id = object_id();
        let store = Locked::new(Store::seeded(&main_site_id, &owner_id, c));
        Arc::new(Self {
            shared,
            workspace_id,
            token,
            main_site_id,
            owner_id,
            store,
        })
    }

    fn check_workspace(&self, id: &str) -> Result<(), WfError> {
        if !is_object_id(id) {
            return Err(WfError::validation("Provided ID is invalid"));
        }
        if !id.eq_ignore_ascii_case(&self.workspace_id) {
            return Err(WfError::not_found("The workspace cannot be found"));
        }
        Ok(())
    }
}

/// The scope a route needs.
fn required_scope(method: &str, template: &str) -> &'static str {
    let read = method.eq_ignore_ascii_case("GET");
    match (template.starts_with("/v2/workspaces"), read) {
        (true, true) => "workspace_members:read",
        (true, false) => "workspace_members:write",
        (false, true) => "site_access:read",
        (false, false) => "site_access:write",
    }
}

impl SurfaceModule for Workspace {
    fn router(self: Arc<Self>) -> Router {
        use members::*;
        use site_access::*;
        Router::new()
            .route(
                "/v2/workspaces/{workspace_id}/members",
                get(list_members).post(invite),
            )
            .route(
                "/v2/workspaces/{workspace_id}/members/bulk",
                post(bulk_update).delete(bulk_remove),
            )
            .route(
                "/v2/workspaces/{workspace_id}/members/{member_id}",
                patch(update_member).delete(remove_member),
            )
            .route(
                "/v2/sites/{site_id}/members",
                get(list_site_members)
                    .post(grant)
                    .patch(update_by_email)
                    .delete(revoke_by_email),
            )
            .route(
                "/v2/sites/{site_id}/members/{member_id}",
                patch(update_by_id).delete(revoke_by_id),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        if !has_bearer(parts, &self.token) {
            return Err(self.problem(Problem::Unauthorized));
        }
        let store = self.store.lock();
        if !store.enterprise {
            // UNCONFIRMED status and code for non-Enterprise workspaces
            // (docs/vendors/webflow-workspace.md, open question oq-non-enterprise-answer).
            return Err(WfError::new(
                StatusCode::FORBIDDEN,
                "not_enterprise_plan_workspace",
                "This endpoint requires an Enterprise workspace",
            )
            .into_response());
        }
        let scope = required_scope(parts.method.as_str(), route_template(parts));
        if !store.scopes.iter().any(|s| s == scope) {
            return Err(WfError::missing_scope(scope).into_response());
        }
        // Rate limits apply per API key (docs/vendors/webflow-workspace.md, Rate limits).
        Ok(format!("token:{}", self.token))
    }

    fn problem(&self, problem: Problem) -> Response {
        WfError::problem(problem, "Too Many Requests").into_response()
    }

    fn snapshot(&self) -> Value {
        let store = self.store.lock();
        json!({
            "workspaceId": self.workspace_id,
            "enterprise": store.enterprise,
            "workspaceSeats": store.workspace_seats,
            "scopes": store.scopes,
            "sites": store.sites.iter().map(|s| json!({
                "id": s.id, "name": s.name, "siteSpecificAccess": s.site_specific,
            })).collect::<Vec<_>>(),
            "customSiteRoles": store.custom_roles.iter().map(|r| json!({
                "id": r.id, "name": r.name, "clientEligible": r.client_eligible,
            })).collect::<Vec<_>>(),
            "members": store.members.iter().map(|m| {
                let mut v = m.workspace_json(true);
                if let Some(o) = v.as_object_mut() {
                    o.insert("scimManaged".into(), Value::from(m.scim_managed));
                    o.insert("sites".into(), Value::Object(store.sites.iter().filter_map(|s| {
                        m.access_on(s).map(|(r, _)| (s.id.clone(), Value::from(r)))
                    }).collect()));
                }
                v
            }).collect::<Vec<_>>(),
            "invites": store.invites.iter().map(Invite::to_json).collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        let fresh = Store::seeded(&self.main_site_id, &self.owner_id, self.shared.config());
        self.store.reseed(fresh, seed, Store::load_seed)
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        admin::admin_action(self, action, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_by_route() {
        assert_eq!(
            required_scope("GET", "/v2/workspaces/{workspace_id}/members"),
            "workspace_members:read"
        );
        assert_eq!(
            required_scope("DELETE", "/v2/sites/{site_id}/members"),
            "site_access:write"
        );
    }
}
