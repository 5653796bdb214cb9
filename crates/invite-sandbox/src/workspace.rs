//! Webflow Enterprise Workspace Members and Site Access, Data API v2 (vendor contracts,
//! section 5). Token `WEBFLOW_WORKSPACE_TOKEN`, separate from the site token.
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

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::common::{AdminError, Problem, Shared, Surface, SurfaceModule, bearer_token, lock};
use crate::vendor_util::{
    BodyError, is_object_id, json_object, looks_like_email, norm_email, now, object_id,
    query_pairs, rfc3339_seconds,
};
use crate::webflow::{error, problem_response};

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

/// Request field names of `DELETE /workspaces/{workspace_id}/members/bulk`.
/// UNCONFIRMED (contracts 5.3, 7 item 13): no stored source names them; these mirror bulk
/// update. Kept here, in one place, so they are easy to change.
const BULK_REMOVE_MEMBER_IDS: &str = "memberIds";
/// See [`BULK_REMOVE_MEMBER_IDS`].
const BULK_REMOVE_INVITE_IDS: &str = "inviteIds";
/// Answer field names of bulk remove, UNCONFIRMED like the request ones:
/// `{summary: {removed, failed}, results: [{id, type, outcome: "removed"|"failed", error?}]}`.
const BULK_REMOVE_OUTCOME_OK: &str = "removed";

/// Most ids one bulk call may carry (members and invites combined, counted before
/// deduplication; UNCONFIRMED whether duplicates count, contracts 7 item 21).
const MAX_BULK_IDS: usize = 100;
const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

/// Site roles a request may set.
const SITE_ROLES: &[&str] = &[
    "site_manager",
    "designer",
    "marketer",
    "content_editor",
    "reviewer",
    "custom",
];
/// Site roles a collaborator client may get.
const CLIENT_SITE_ROLES: &[&str] = &["marketer", "content_editor", "reviewer", "custom"];
/// Workspace roles as read (list filter values).
const READ_WORKSPACE_ROLES: &[&str] = &["owner", "admin", "member", "guest", "reviewer", "client"];

/// Whether `workspace_role` + `site_role` is one of the seven valid pairs (contracts 5.5).
fn valid_pair(workspace_role: &str, site_role: &str) -> bool {
    matches!(
        (workspace_role, site_role),
        ("admin", "site_manager")
            | (
                "member",
                "site_manager" | "designer" | "marketer" | "content_editor" | "custom"
            )
            | ("reviewer", "reviewer")
    )
}

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

/// A Webflow error before rendering.
#[derive(Debug)]
struct WfError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl WfError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            format!("Validation Error: {}", message.into()),
        )
    }
    fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            format!("Requested resource not found: {what}"),
        )
    }
}

impl IntoResponse for WfError {
    fn into_response(self) -> Response {
        error(self.status, self.code, &self.message)
    }
}

type WfResult = Result<Response, WfError>;

/// One per-item error in a bulk answer.
struct ItemError {
    code: &'static str,
    message: String,
}

fn item_err(code: &'static str, message: impl Into<String>) -> ItemError {
    ItemError {
        code,
        message: message.into(),
    }
}

impl Member {
    fn workspace_json(&self, seats: bool) -> Value {
        let mut roles = Map::new();
        roles.insert("workspace".into(), Value::from(self.role.clone()));
        // `roles.site` appears only on workspaces enrolled in Workspace seats.
        if seats && let Some(site) = self.effective_default() {
            roles.insert("site".into(), Value::from(site));
        }
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id.clone()));
        m.insert("email".into(), Value::from(self.email.clone()));
        if let Some(f) = &self.first_name {
            m.insert("firstName".into(), Value::from(f.clone()));
        }
        if let Some(l) = &self.last_name {
            m.insert("lastName".into(), Value::from(l.clone()));
        }
        m.insert("roles".into(), Value::Object(roles));
        m.insert(
            "addedOn".into(),
            Value::from(rfc3339_seconds(self.added_on)),
        );
        Value::Object(m)
    }

    fn effective_default(&self) -> Option<String> {
        if self.is_admin() {
            Some("site_manager".to_owned())
        } else {
            self.default_site_role.clone()
        }
    }

    fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }

    /// The member's role on `site`, if they can open it.
    fn access_on(&self, site: &Site) -> Option<(String, Option<String>)> {
        if self.is_admin() {
            return Some(("site_manager".to_owned(), None));
        }
        match self.access.get(&site.id) {
            Some(Access::Granted { role, role_id }) => Some((role.clone(), role_id.clone())),
            Some(Access::Revoked) => None,
            None if !site.site_specific && self.all_sites => self
                .default_site_role
                .clone()
                .map(|r| (r, self.default_site_role_id.clone())),
            None => None,
        }
    }

    fn site_json(&self, role: &str, role_id: Option<&str>) -> Value {
        let mut roles = Map::new();
        roles.insert("workspace".into(), Value::from(self.role.clone()));
        roles.insert("site".into(), Value::from(role));
        if let Some(id) = role_id {
            roles.insert("siteRoleId".into(), Value::from(id));
        }
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id.clone()));
        m.insert("email".into(), Value::from(self.email.clone()));
        if let Some(f) = &self.first_name {
            m.insert("firstName".into(), Value::from(f.clone()));
        }
        if let Some(l) = &self.last_name {
            m.insert("lastName".into(), Value::from(l.clone()));
        }
        m.insert("roles".into(), Value::Object(roles));
        Value::Object(m)
    }
}

impl Invite {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id.clone()));
        m.insert("email".into(), Value::from(self.email.clone()));
        m.insert("role".into(), Value::from(self.role.clone()));
        m.insert(
            "createdOn".into(),
            Value::from(rfc3339_seconds(self.created_on)),
        );
        m.insert("status".into(), Value::from(self.status));
        m.insert("sites".into(), json!(self.sites));
        m.insert("allSites".into(), Value::from(self.all_sites));
        if let Some(r) = &self.default_site_role {
            m.insert("defaultSiteRole".into(), Value::from(r.clone()));
        }
        if let Some(r) = &self.default_site_role_id {
            m.insert("defaultSiteRoleId".into(), Value::from(r.clone()));
        }
        Value::Object(m)
    }
}

/// The Webflow workspace-members and site-access surface.
pub struct Workspace {
    shared: Shared,
    workspace_id: String,
    token: String,
    main_site_id: String,
    owner_id: String,
    store: Mutex<Store>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("workspace_id", &self.workspace_id)
            .finish_non_exhaustive()
    }
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, WfError> {
    json_object(body, false).map_err(|e| match e {
        BodyError::Malformed(m) => WfError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Bad Request: Request is malformed ({m})"),
        ),
        BodyError::NotAnObject => WfError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Bad Request: the body must be a JSON object",
        ),
    })
}

fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), WfError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(WfError::validation(format!("{k} is not accepted"))),
        None => Ok(()),
    }
}

fn opt_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, WfError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(WfError::validation(format!("{field} must be a string"))),
    }
}

fn req_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, WfError> {
    opt_str(obj, field)?.ok_or_else(|| WfError::validation(format!("{field} is required")))
}

fn id_list(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, WfError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| WfError::validation(format!("{field} must be an array of ids")))
            })
            .collect(),
        Some(_) => Err(WfError::validation(format!(
            "{field} must be an array of ids"
        ))),
    }
}

fn dedupe(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// An opaque cursor for offset `n`.
fn encode_cursor(n: usize) -> String {
    format!("offset:{n}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_cursor(c: &str) -> Option<usize> {
    if !c.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..c.len())
        .step_by(2)
        .map(|i| c.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

struct ListParams {
    limit: usize,
    offset: usize,
    email: Option<String>,
    roles: Vec<String>,
}

fn list_params(raw: Option<&str>, allow_roles: bool) -> Result<ListParams, WfError> {
    let mut p = ListParams {
        limit: DEFAULT_LIMIT,
        offset: 0,
        email: None,
        roles: Vec::new(),
    };
    for (k, v) in query_pairs(raw) {
        match k.as_str() {
            "limit" => {
                p.limit = v
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        WfError::validation(format!(
                            "limit must be an integer from 1 to {MAX_LIMIT}"
                        ))
                    })?;
            }
            "cursor" if !v.is_empty() => {
                p.offset =
                    decode_cursor(&v).ok_or_else(|| WfError::validation("cursor is invalid"))?;
            }
            "email" if !v.trim().is_empty() => p.email = Some(norm_email(&v)),
            // Accepts both `roles=a,b` and repeated `roles=` keys (contracts 7 item 17).
            "roles" | "roles[]" if allow_roles => {
                for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    if !READ_WORKSPACE_ROLES.contains(&r) {
                        return Err(WfError::validation(format!(
                            "roles: `{r}` is not one of {}",
                            READ_WORKSPACE_ROLES.join(", ")
                        )));
                    }
                    p.roles.push(r.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(p)
}

/// A validated `(siteRole, siteRoleId)` pair.
type SiteRole = (String, Option<String>);

impl Workspace {
    /// The workspace surface of a sandbox, with the ids and token of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let workspace_id = c.webflow_workspace_id.clone();
        let token = c.webflow_workspace_token.clone();
        let main_site_id = c.webflow_site_id.clone();
        let owner_id = object_id();
        let store = Mutex::new(Self::seeded(&main_site_id, &owner_id, c));
        Arc::new(Self {
            shared,
            workspace_id,
            token,
            main_site_id,
            owner_id,
            store,
        })
    }

    fn seeded(main_site_id: &str, owner_id: &str, c: &crate::SandboxConfig) -> Store {
        let owner = Member {
            id: owner_id.to_owned(),
            email: OWNER_EMAIL.to_owned(),
            first_name: Some("Sandbox".to_owned()),
            last_name: Some("Owner".to_owned()),
            role: "owner".to_owned(),
            default_site_role: Some("site_manager".to_owned()),
            default_site_role_id: None,
            all_sites: true,
            added_on: now(),
            scim_managed: false,
            access: BTreeMap::new(),
        };
        Store {
            enterprise: c.webflow_workspace_enterprise,
            workspace_seats: true,
            scopes: c.webflow_workspace_scopes.clone(),
            sites: vec![
                Site {
                    id: main_site_id.to_owned(),
                    name: "Sandbox Site",
                    site_specific: false,
                },
                Site {
                    id: CLIENT_SITE_ID.to_owned(),
                    name: "Client Portal",
                    site_specific: true,
                },
            ],
            custom_roles: vec![CustomRole {
                id: CUSTOM_SITE_ROLE_ID.to_owned(),
                name: "Copy Editor",
                client_eligible: true,
            }],
            members: vec![owner],
            invites: Vec::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
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

    fn site_index(store: &Store, id: &str) -> Result<usize, WfError> {
        if !is_object_id(id) {
            return Err(WfError::validation("Provided ID is invalid"));
        }
        store
            .sites
            .iter()
            .position(|s| s.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| WfError::not_found("The site cannot be found"))
    }

    /// Validates `role` (+ `role_id`) as a site role to write.
    fn site_role(
        store: &Store,
        role: &str,
        role_id: Option<&str>,
        id_field: &str,
    ) -> Result<SiteRole, WfError> {
        if !SITE_ROLES.contains(&role) {
            return Err(WfError::validation(format!(
                "`{role}` is not a site role ({})",
                SITE_ROLES.join(", ")
            )));
        }
        match (role, role_id) {
            ("custom", None) => Err(WfError::validation(format!(
                "{id_field} is required when the site role is custom"
            ))),
            ("custom", Some(id)) => {
                if store.custom_roles.iter().any(|r| r.id == id) {
                    Ok((role.to_owned(), Some(id.to_owned())))
                } else {
                    Err(WfError::validation(format!(
                        "{id_field} `{id}` is not a custom Site Role of this workspace"
                    )))
                }
            }
            (_, Some(_)) => Err(WfError::validation(format!(
                "{id_field} is only accepted with the custom site role"
            ))),
            (_, None) => Ok((role.to_owned(), None)),
        }
    }

    // ---- workspace members -------------------------------------------------------------

    fn list_members(&self, ws: &str, raw: Option<&str>) -> WfResult {
        self.check_workspace(ws)?;
        let p = list_params(raw, true)?;
        let store = self.lock();
        let email_ok = |e: &str| p.email.as_ref().is_none_or(|x| norm_email(e) == *x);
        let role_ok = |r: &str| p.roles.is_empty() || p.roles.iter().any(|x| x == r);
        let members: Vec<&Member> = store
            .members
            .iter()
            .filter(|m| email_ok(&m.email) && role_ok(&m.role))
            .collect();
        let invites: Vec<&Invite> = store
            .invites
            .iter()
            .filter(|i| email_ok(&i.email) && role_ok(&i.role))
            .collect();
        let end = p.offset.saturating_add(p.limit);
        let more = members.len() > end || invites.len() > end;
        Ok(axum::Json(json!({
            "members": members
                .iter()
                .skip(p.offset)
                .take(p.limit)
                .map(|m| m.workspace_json(store.workspace_seats))
                .collect::<Vec<_>>(),
            "invites": invites
                .iter()
                .skip(p.offset)
                .take(p.limit)
                .map(|i| i.to_json())
                .collect::<Vec<_>>(),
            "pagination": {
                "limit": p.limit,
                "nextCursor": if more { Value::from(encode_cursor(end)) } else { Value::Null },
            },
        }))
        .into_response())
    }

    fn invite(&self, ws: &str, body: &[u8]) -> WfResult {
        self.check_workspace(ws)?;
        let obj = body_object(body)?;
        for k in ["sitePlan", "canPublish"] {
            if obj.contains_key(k) {
                return Err(WfError::validation(format!(
                    "{k} is not accepted on workspace invites"
                )));
            }
        }
        reject_unknown(
            &obj,
            &[
                "email",
                "workspaceRole",
                "defaultSiteRole",
                "defaultSiteRoleId",
                "siteAccess",
            ],
        )?;
        let email = req_str(&obj, "email")?.trim().to_owned();
        if !looks_like_email(&email) {
            return Err(WfError::new(
                StatusCode::BAD_REQUEST,
                "invalid_user_email",
                format!("Invalid email: {email}"),
            ));
        }
        let ws_role = req_str(&obj, "workspaceRole")?;
        if !["admin", "member", "reviewer", "client"].contains(&ws_role) {
            return Err(WfError::validation(format!(
                "workspaceRole `{ws_role}` is not one of admin, member, reviewer, client"
            )));
        }
        let default_role = opt_str(&obj, "defaultSiteRole")?;
        let default_role_id = opt_str(&obj, "defaultSiteRoleId")?;
        let site_access = match obj.get("siteAccess") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(a),
            Some(_) => return Err(WfError::validation("siteAccess must be an array")),
        };
        if site_access.is_some() && (default_role.is_some() || default_role_id.is_some()) {
            return Err(WfError::validation(
                "send either defaultSiteRole or siteAccess, not both",
            ));
        }
        let mut store = self.lock();
        // (sites, all_sites, site role)
        let (sites, all_sites, (site_role, site_role_id)) = match site_access {
            Some(entries) => {
                if ws_role == "admin" {
                    return Err(WfError::validation(
                        "admins have access to every site: an admin invite cannot list sites",
                    ));
                }
                if entries.is_empty() {
                    return Err(WfError::validation("siteAccess must not be empty"));
                }
                if ws_role == "client" && entries.len() != 1 {
                    return Err(WfError::validation(
                        "a client invite takes exactly one siteAccess entry",
                    ));
                }
                let mut sites: Vec<String> = Vec::new();
                let mut role: Option<SiteRole> = None;
                for e in entries {
                    let Value::Object(e) = e else {
                        return Err(WfError::validation(
                            "each siteAccess entry must be an object {siteId, siteRole, siteRoleId?}",
                        ));
                    };
                    reject_unknown(e, &["siteId", "siteRole", "siteRoleId"])?;
                    let site_id = req_str(e, "siteId")?;
                    let idx = Self::site_index(&store, site_id).map_err(|_| {
                        WfError::validation(format!(
                            "siteId `{site_id}` is not a site of this workspace"
                        ))
                    })?;
                    let r = Self::site_role(
                        &store,
                        req_str(e, "siteRole")?,
                        opt_str(e, "siteRoleId")?,
                        "siteRoleId",
                    )?;
                    if role.as_ref().is_some_and(|x| *x != r) {
                        return Err(WfError::validation(
                            "every siteAccess entry must carry the same siteRole (and siteRoleId)",
                        ));
                    }
                    role = Some(r);
                    if let Some(s) = store.sites.get(idx)
                        && !sites.contains(&s.id)
                    {
                        sites.push(s.id.clone());
                    }
                }
                let role =
                    role.ok_or_else(|| WfError::validation("siteAccess must not be empty"))?;
                (sites, false, role)
            }
            None => {
                if ws_role == "client" {
                    return Err(WfError::validation(
                        "a client invite takes exactly one siteAccess entry and no defaultSiteRole",
                    ));
                }
                let role = default_role.ok_or_else(|| {
                    WfError::validation("defaultSiteRole or siteAccess is required")
                })?;
                (
                    Vec::new(),
                    true,
                    Self::site_role(&store, role, default_role_id, "defaultSiteRoleId")?,
                )
            }
        };
        if ws_role == "client" {
            if !CLIENT_SITE_ROLES.contains(&site_role.as_str()) {
                return Err(WfError::validation(format!(
                    "a client's site role must be one of {}",
                    CLIENT_SITE_ROLES.join(", ")
                )));
            }
            if let Some(id) = &site_role_id
                && !store
                    .custom_roles
                    .iter()
                    .any(|r| &r.id == id && r.client_eligible)
            {
                return Err(WfError::validation(format!(
                    "custom Site Role `{id}` is not client-eligible"
                )));
            }
        } else if !valid_pair(ws_role, &site_role) {
            return Err(WfError::new(
                StatusCode::BAD_REQUEST,
                "invalid_workspace_role",
                format!("Workspace role `{ws_role}` cannot be paired with site role `{site_role}`"),
            ));
        }
        let key = norm_email(&email);
        if let Some(m) = store.members.iter().find(|m| norm_email(&m.email) == key) {
            // Already a member: 200 `active` with the member, role unchanged
            // (UNCONFIRMED whether Webflow changes the role, contracts 7 item 15).
            return Ok(axum::Json(json!({
                "status": "active",
                "member": m.workspace_json(store.workspace_seats),
            }))
            .into_response());
        }
        let t = now();
        let invite = match store
            .invites
            .iter_mut()
            .find(|i| norm_email(&i.email) == key)
        {
            // A compatible pending client invite is extended to the new site (WD wm/invite).
            Some(i)
                if i.status == "pending"
                    && i.role == "client"
                    && ws_role == "client"
                    && i.default_site_role.as_deref() == Some(site_role.as_str())
                    && i.default_site_role_id == site_role_id =>
            {
                for s in sites {
                    if !i.sites.contains(&s) {
                        i.sites.push(s);
                    }
                }
                i.clone()
            }
            // Any other earlier invite (pending, declined or expired) is refreshed in place:
            // same id, new role and sites, status pending. UNCONFIRMED (contracts 7 item 15).
            Some(i) => {
                i.role = ws_role.to_owned();
                i.created_on = t;
                i.status = "pending";
                i.sites = sites;
                i.all_sites = all_sites;
                i.default_site_role = Some(site_role);
                i.default_site_role_id = site_role_id;
                i.clone()
            }
            None => {
                let i = Invite {
                    id: object_id(),
                    email: email.clone(),
                    role: ws_role.to_owned(),
                    created_on: t,
                    status: "pending",
                    sites,
                    all_sites,
                    default_site_role: Some(site_role),
                    default_site_role_id: site_role_id,
                };
                store.invites.push(i.clone());
                i
            }
        };
        drop(store);
        self.shared
            .record_invitation(Surface::WebflowWorkspace, &email);
        self.shared
            .record_email(Surface::WebflowWorkspace, &email, "invitation");
        Ok(axum::Json(json!({ "status": "invited", "invite": invite.to_json() })).into_response())
    }

    /// Validates a `{role, defaultSiteRole, defaultSiteRoleId?}` body (PATCH and bulk update).
    fn role_change(obj: &Map<String, Value>) -> Result<(String, String, Option<String>), WfError> {
        let role = req_str(obj, "role")?;
        if !["admin", "member", "reviewer"].contains(&role) {
            return Err(WfError::validation(format!(
                "role `{role}` is not one of admin, member, reviewer"
            )));
        }
        let site = req_str(obj, "defaultSiteRole")?;
        if !SITE_ROLES.contains(&site) {
            return Err(WfError::validation(format!(
                "defaultSiteRole `{site}` is not one of {}",
                SITE_ROLES.join(", ")
            )));
        }
        let site_id = opt_str(obj, "defaultSiteRoleId")?;
        match (site, site_id) {
            ("custom", None) => Err(WfError::validation(
                "defaultSiteRoleId is required when defaultSiteRole is custom",
            )),
            ("custom", Some(_)) | (_, None) => {
                Ok((role.to_owned(), site.to_owned(), site_id.map(str::to_owned)))
            }
            (_, Some(_)) => Err(WfError::validation(
                "defaultSiteRoleId is only accepted with the custom defaultSiteRole",
            )),
        }
    }

    /// Why `member` cannot take the role change, if it cannot.
    fn member_change_error(
        store: &Store,
        m: &Member,
        role: &str,
        site: &str,
        site_id: Option<&str>,
    ) -> Option<ItemError> {
        if m.scim_managed {
            return Some(item_err(
                "workspace_member_managed_by_scim",
                "This member is provisioned by SCIM; change their role in the identity provider",
            ));
        }
        if m.role == "owner" || m.role == "client" {
            return Some(item_err(
                "cannot_update_user_role",
                format!("A workspace {}'s role cannot be changed here", m.role),
            ));
        }
        Self::pair_error(store, m.role.as_str(), role, site, site_id)
    }

    /// Pairing, custom-role and Workspace-seats checks shared by members and invites.
    fn pair_error(
        store: &Store,
        current: &str,
        role: &str,
        site: &str,
        site_id: Option<&str>,
    ) -> Option<ItemError> {
        if !valid_pair(role, site) {
            return Some(item_err(
                "invalid_workspace_role",
                format!("Workspace role `{role}` cannot be paired with site role `{site}`"),
            ));
        }
        if let Some(id) = site_id
            && !store.custom_roles.iter().any(|r| r.id == id)
        {
            return Some(item_err(
                "invalid_site_role",
                format!("`{id}` is not a custom Site Role of this workspace"),
            ));
        }
        if !store.workspace_seats && ((current == "reviewer") != (role == "reviewer")) {
            return Some(item_err(
                "cannot_update_user_role",
                "Moving to or from reviewer needs a workspace enrolled in Workspace seats",
            ));
        }
        None
    }

    fn update_member(&self, ws: &str, member_id: &str, body: &[u8]) -> WfResult {
        self.check_workspace(ws)?;
        let obj = body_object(body)?;
        reject_unknown(&obj, &["role", "defaultSiteRole", "defaultSiteRoleId"])?;
        let mut store = self.lock();
        let (role, site, site_id) = Self::role_change(&obj)?;
        let idx = store
            .members
            .iter()
            .position(|m| m.id == member_id)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        let m = store
            .members
            .get(idx)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        if let Some(e) = Self::member_change_error(&store, m, &role, &site, site_id.as_deref()) {
            let status = match e.code {
                // UNCONFIRMED: documented only as a bulk per-item code (contracts 7 item 23);
                // the sandbox answers 409 on single update and remove too.
                "workspace_member_managed_by_scim" => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            return Err(WfError::new(status, e.code, e.message));
        }
        let seats = store.workspace_seats;
        let m = store
            .members
            .get_mut(idx)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        m.role = role;
        m.default_site_role = Some(site);
        m.default_site_role_id = site_id;
        Ok(axum::Json(m.workspace_json(seats)).into_response())
    }

    /// Why `m` cannot be removed, if it cannot.
    fn removal_error(m: &Member) -> Option<ItemError> {
        if m.scim_managed {
            return Some(item_err(
                "workspace_member_managed_by_scim",
                "This member is provisioned by SCIM; remove them in the identity provider",
            ));
        }
        if m.role == "owner" {
            // UNCONFIRMED code: no source says how removing the owner fails.
            return Some(item_err(
                "cannot_remove_workspace_owner",
                "The workspace owner cannot be removed",
            ));
        }
        None
    }

    fn remove_member(&self, ws: &str, member_id: &str) -> WfResult {
        self.check_workspace(ws)?;
        let mut store = self.lock();
        // Invite ids are not member ids: they get 404 here (contracts 5.8 trap 1; the exact
        // status is UNCONFIRMED, 7 item 22).
        let idx = store
            .members
            .iter()
            .position(|m| m.id == member_id)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        if let Some(e) = store.members.get(idx).and_then(Self::removal_error) {
            return Err(WfError::new(StatusCode::CONFLICT, e.code, e.message));
        }
        store.members.remove(idx);
        Ok(StatusCode::OK.into_response())
    }

    fn bulk_update(&self, ws: &str, body: &[u8]) -> WfResult {
        self.check_workspace(ws)?;
        let obj = body_object(body)?;
        reject_unknown(
            &obj,
            &[
                "memberIds",
                "inviteIds",
                "role",
                "defaultSiteRole",
                "defaultSiteRoleId",
            ],
        )?;
        let member_ids = id_list(&obj, "memberIds")?;
        let invite_ids = id_list(&obj, "inviteIds")?;
        check_bulk_size(member_ids.len() + invite_ids.len())?;
        let mut store = self.lock();
        let (role, site, site_id) = Self::role_change(&obj)?;
        let mut results = Vec::new();
        let (mut ok, mut failed) = (0u32, 0u32);
        let mut push = |id: &str, kind: &str, err: Option<ItemError>| {
            let mut r = json!({ "id": id, "type": kind, "outcome": "updated" });
            if let (Some(e), Some(m)) = (err, r.as_object_mut()) {
                m.insert("outcome".into(), Value::from("failed"));
                m.insert(
                    "error".into(),
                    json!({ "code": e.code, "message": e.message }),
                );
                failed += 1;
            } else {
                ok += 1;
            }
            results.push(r);
        };
        for id in dedupe(member_ids) {
            let err = match store.members.iter().position(|m| m.id == id) {
                None => Some(item_err(
                    "workspace_member_not_found",
                    format!("No member with id {id} in this workspace"),
                )),
                Some(idx) => {
                    let e = store.members.get(idx).and_then(|m| {
                        Self::member_change_error(&store, m, &role, &site, site_id.as_deref())
                    });
                    if e.is_none()
                        && let Some(m) = store.members.get_mut(idx)
                    {
                        m.role = role.clone();
                        m.default_site_role = Some(site.clone());
                        m.default_site_role_id = site_id.clone();
                    }
                    e
                }
            };
            push(&id, "member", err);
        }
        for id in dedupe(invite_ids) {
            let err = match store.invites.iter().position(|i| i.id == id) {
                None => Some(item_err(
                    "workspace_invite_not_found",
                    format!("No invite with id {id} in this workspace"),
                )),
                Some(idx) => {
                    let e = store.invites.get(idx).and_then(|i| {
                        if i.role == "client" {
                            Some(item_err(
                                "cannot_update_user_role",
                                "A client invite's role cannot be changed",
                            ))
                        } else {
                            Self::pair_error(&store, &i.role, &role, &site, site_id.as_deref())
                        }
                    });
                    if e.is_none()
                        && let Some(i) = store.invites.get_mut(idx)
                    {
                        i.role = role.clone();
                        i.default_site_role = Some(site.clone());
                        i.default_site_role_id = site_id.clone();
                    }
                    e
                }
            };
            push(&id, "invite", err);
        }
        Ok(axum::Json(json!({
            "summary": { "updated": ok, "failed": failed },
            "results": results,
        }))
        .into_response())
    }

    fn bulk_remove(&self, ws: &str, body: &[u8]) -> WfResult {
        self.check_workspace(ws)?;
        let obj = body_object(body)?;
        reject_unknown(&obj, &[BULK_REMOVE_MEMBER_IDS, BULK_REMOVE_INVITE_IDS])?;
        let member_ids = id_list(&obj, BULK_REMOVE_MEMBER_IDS)?;
        let invite_ids = id_list(&obj, BULK_REMOVE_INVITE_IDS)?;
        // A 4xx means the whole request was refused and nothing was removed (WD cl-1026).
        check_bulk_size(member_ids.len() + invite_ids.len())?;
        let mut store = self.lock();
        let mut results = Vec::new();
        let (mut ok, mut failed) = (0u32, 0u32);
        let mut push = |id: &str, kind: &str, err: Option<ItemError>| {
            let mut r = json!({ "id": id, "type": kind, "outcome": BULK_REMOVE_OUTCOME_OK });
            if let (Some(e), Some(m)) = (err, r.as_object_mut()) {
                m.insert("outcome".into(), Value::from("failed"));
                m.insert(
                    "error".into(),
                    json!({ "code": e.code, "message": e.message }),
                );
                failed += 1;
            } else {
                ok += 1;
            }
            results.push(r);
        };
        for id in dedupe(member_ids) {
            let err = match store.members.iter().position(|m| m.id == id) {
                None => Some(item_err(
                    "workspace_member_not_found",
                    format!("No member with id {id} in this workspace"),
                )),
                Some(idx) => {
                    let e = store.members.get(idx).and_then(Self::removal_error);
                    if e.is_none() {
                        store.members.remove(idx);
                    }
                    e
                }
            };
            push(&id, "member", err);
        }
        for id in dedupe(invite_ids) {
            let err = match store.invites.iter().position(|i| i.id == id) {
                None => Some(item_err(
                    "workspace_invite_not_found",
                    format!("No invite with id {id} in this workspace"),
                )),
                Some(idx) => {
                    // Cancelling: the invite can no longer be accepted and leaves the list.
                    store.invites.remove(idx);
                    None
                }
            };
            push(&id, "invite", err);
        }
        Ok(axum::Json(json!({
            "summary": { "removed": ok, "failed": failed },
            "results": results,
        }))
        .into_response())
    }

    // ---- site access -------------------------------------------------------------------

    fn list_site_members(&self, site_id: &str, raw: Option<&str>) -> WfResult {
        let p = list_params(raw, false)?;
        let store = self.lock();
        let site = store
            .sites
            .get(Self::site_index(&store, site_id)?)
            .ok_or_else(|| WfError::not_found("The site cannot be found"))?;
        let with_access: Vec<Value> = store
            .members
            .iter()
            .filter(|m| p.email.as_ref().is_none_or(|e| norm_email(&m.email) == *e))
            .filter_map(|m| {
                m.access_on(site)
                    .map(|(r, id)| m.site_json(&r, id.as_deref()))
            })
            .collect();
        let end = p.offset.saturating_add(p.limit);
        Ok(axum::Json(json!({
            "members": with_access.iter().skip(p.offset).take(p.limit).collect::<Vec<_>>(),
            "pagination": {
                "limit": p.limit,
                "nextCursor": if with_access.len() > end { Value::from(encode_cursor(end)) } else { Value::Null },
            },
        }))
        .into_response())
    }

    /// The member named by `email` or `member_id` (exactly one), or 404 for non-members.
    fn find_member(
        store: &Store,
        email: Option<&str>,
        member_id: Option<&str>,
    ) -> Result<usize, WfError> {
        let idx = match (email, member_id) {
            (Some(e), None) => {
                let key = norm_email(e);
                store
                    .members
                    .iter()
                    .position(|m| norm_email(&m.email) == key)
            }
            (None, Some(id)) => store.members.iter().position(|m| m.id == id),
            _ => {
                return Err(WfError::validation(
                    "name the member by exactly one of email or memberId",
                ));
            }
        };
        idx.ok_or_else(|| WfError::not_found("The person is not a member of this workspace"))
    }

    fn site_role_body(
        store: &Store,
        obj: &Map<String, Value>,
        client: bool,
    ) -> Result<SiteRole, WfError> {
        let r = Self::site_role(
            store,
            req_str(obj, "siteRole")?,
            opt_str(obj, "siteRoleId")?,
            "siteRoleId",
        )?;
        if client && !CLIENT_SITE_ROLES.contains(&r.0.as_str()) {
            return Err(WfError::validation(format!(
                "a client's site role must be one of {}",
                CLIENT_SITE_ROLES.join(", ")
            )));
        }
        Ok(r)
    }

    fn grant(&self, site_id: &str, body: &[u8]) -> WfResult {
        let obj = body_object(body)?;
        reject_unknown(&obj, &["siteRole", "siteRoleId", "email", "memberId"])?;
        let mut store = self.lock();
        let sidx = Self::site_index(&store, site_id)?;
        let midx = Self::find_member(&store, opt_str(&obj, "email")?, opt_str(&obj, "memberId")?)?;
        let (Some(site), Some(m)) = (store.sites.get(sidx), store.members.get(midx)) else {
            return Err(WfError::not_found("The site cannot be found"));
        };
        let role = Self::site_role_body(&store, &obj, m.role == "client")?;
        if m.access_on(site).is_some() {
            // HTTP status UNCONFIRMED (409 is the declared conflict status; contracts 5.6).
            return Err(WfError::new(
                StatusCode::CONFLICT,
                "member_already_has_access",
                "The member already has access to this site; use PATCH to change their role",
            ));
        }
        let site_id = site.id.clone();
        let m = store
            .members
            .get_mut(midx)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        m.access.insert(
            site_id,
            Access::Granted {
                role: role.0.clone(),
                role_id: role.1.clone(),
            },
        );
        Ok(axum::Json(m.site_json(&role.0, role.1.as_deref())).into_response())
    }

    fn update_site_role(
        &self,
        site_id: &str,
        email: Option<&str>,
        member_id: Option<&str>,
        body: &[u8],
    ) -> WfResult {
        let obj = body_object(body)?;
        reject_unknown(&obj, &["siteRole", "siteRoleId"])?;
        let mut store = self.lock();
        let sidx = Self::site_index(&store, site_id)?;
        let midx = Self::find_member(&store, email, member_id)?;
        let (Some(site), Some(m)) = (store.sites.get(sidx), store.members.get(midx)) else {
            return Err(WfError::not_found("The site cannot be found"));
        };
        let role = Self::site_role_body(&store, &obj, m.role == "client")?;
        if m.is_admin() {
            return Err(WfError::new(
                StatusCode::BAD_REQUEST,
                "cannot_update_user_role",
                "Admins and the owner manage every site; their site role cannot be changed",
            ));
        }
        if site.site_specific && !matches!(m.access.get(&site.id), Some(Access::Granted { .. })) {
            // UNCONFIRMED status and code: the docs only say the member must already hold
            // access on a site with site-specific access (contracts 5.2).
            return Err(WfError::new(
                StatusCode::CONFLICT,
                "conflict",
                "The member has no access to this site; grant access first with POST",
            ));
        }
        let site_id = site.id.clone();
        let m = store
            .members
            .get_mut(midx)
            .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
        m.access.insert(
            site_id,
            Access::Granted {
                role: role.0.clone(),
                role_id: role.1.clone(),
            },
        );
        Ok(axum::Json(m.site_json(&role.0, role.1.as_deref())).into_response())
    }

    fn revoke(&self, site_id: &str, email: Option<&str>, member_id: Option<&str>) -> WfResult {
        let mut store = self.lock();
        let sidx = Self::site_index(&store, site_id)?;
        let midx = Self::find_member(&store, email, member_id)?;
        let (Some(site), Some(m)) = (store.sites.get(sidx), store.members.get(midx)) else {
            return Err(WfError::not_found("The site cannot be found"));
        };
        if m.is_admin() {
            // UNCONFIRMED: admins always have access to every site.
            return Err(WfError::new(
                StatusCode::CONFLICT,
                "conflict",
                "Admins and the owner have access to every site; change their workspace role instead",
            ));
        }
        // Idempotent: a member without access stays without access (200).
        let site_id = site.id.clone();
        if let Some(m) = store.members.get_mut(midx) {
            m.access.insert(site_id, Access::Revoked);
        }
        Ok(StatusCode::OK.into_response())
    }

    // ---- admin -------------------------------------------------------------------------

    fn add_member(&self, store: &mut Store, v: &Value) -> Result<Member, String> {
        let o = v.as_object().ok_or("a member must be an object")?;
        let email = o
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| looks_like_email(e))
            .ok_or("a member needs a valid `email`")?;
        let key = norm_email(email);
        if store.members.iter().any(|m| norm_email(&m.email) == key) {
            return Err(format!("{email} is already a member"));
        }
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
        let role = s("role").unwrap_or_else(|| "member".to_owned());
        if !["admin", "member", "reviewer", "guest", "client"].contains(&role.as_str()) {
            return Err(format!("unsupported member role `{role}`"));
        }
        let default_site = match role.as_str() {
            "admin" => Some("site_manager".to_owned()),
            "client" | "guest" => s("defaultSiteRole"),
            "reviewer" => Some("reviewer".to_owned()),
            _ => Some(s("defaultSiteRole").unwrap_or_else(|| "designer".to_owned())),
        };
        let default_id = s("defaultSiteRoleId");
        if let Some(r) = &default_site
            && !SITE_ROLES.contains(&r.as_str())
        {
            return Err(format!("unsupported defaultSiteRole `{r}`"));
        }
        let m = Member {
            id: object_id(),
            email: email.trim().to_owned(),
            first_name: s("firstName"),
            last_name: s("lastName"),
            all_sites: role != "client",
            role,
            default_site_role: default_site,
            default_site_role_id: default_id,
            added_on: now(),
            scim_managed: o
                .get("scimManaged")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            access: BTreeMap::new(),
        };
        store.members.push(m.clone());
        Ok(m)
    }

    fn load_seed(&self, store: &mut Store, seed: &Value) -> Result<(), String> {
        let o = seed
            .as_object()
            .ok_or("the workspace section must be an object")?;
        for (k, v) in o {
            match k.as_str() {
                "enterprise" => {
                    store.enterprise = v.as_bool().ok_or("`enterprise` must be a boolean")?
                }
                "workspaceSeats" => {
                    store.workspace_seats =
                        v.as_bool().ok_or("`workspaceSeats` must be a boolean")?;
                }
                "scopes" => {
                    store.scopes = string_list(v).ok_or("`scopes` must be an array of strings")?
                }
                "members" => {
                    for m in v.as_array().ok_or("`members` must be an array")? {
                        self.add_member(store, m)?;
                    }
                }
                "invites" => {
                    for i in v.as_array().ok_or("`invites` must be an array")? {
                        let i = i.as_object().ok_or("an invite must be an object")?;
                        let email = i
                            .get("email")
                            .and_then(Value::as_str)
                            .filter(|e| looks_like_email(e))
                            .ok_or("an invite needs a valid `email`")?;
                        let s = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_owned);
                        let status = match s("status").as_deref() {
                            None | Some("pending") => "pending",
                            Some("declined") => "declined",
                            Some("expired") => "expired",
                            Some(other) => return Err(format!("unknown invite status `{other}`")),
                        };
                        store.invites.push(Invite {
                            id: object_id(),
                            email: email.trim().to_owned(),
                            role: s("role").unwrap_or_else(|| "member".to_owned()),
                            created_on: now(),
                            status,
                            sites: Vec::new(),
                            all_sites: true,
                            default_site_role: Some(
                                s("defaultSiteRole").unwrap_or_else(|| "designer".to_owned()),
                            ),
                            default_site_role_id: s("defaultSiteRoleId"),
                        });
                    }
                }
                other => return Err(format!("unknown workspace seed field `{other}`")),
            }
        }
        Ok(())
    }

    /// Moves the pending invite of `email` to `status`, or accepts it (`None`).
    fn settle_invite(
        &self,
        email: &str,
        status: Option<&'static str>,
    ) -> Result<Value, AdminError> {
        let key = norm_email(email);
        let mut store = self.lock();
        let idx = store
            .invites
            .iter()
            .position(|i| norm_email(&i.email) == key)
            .ok_or_else(|| AdminError::NotFound(format!("no workspace invite for {email}")))?;
        let current = store.invites.get(idx).map_or("pending", |i| i.status);
        if current != "pending" {
            return Err(AdminError::BadRequest(format!(
                "the invite for {email} is {current}; only pending invites can change"
            )));
        }
        if let Some(s) = status {
            if let Some(i) = store.invites.get_mut(idx) {
                i.status = s;
            }
            return Ok(json!({ "status": s }));
        }
        let i = store.invites.remove(idx);
        let access = if i.all_sites {
            BTreeMap::new()
        } else {
            i.sites
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        Access::Granted {
                            role: i.default_site_role.clone().unwrap_or_default(),
                            role_id: i.default_site_role_id.clone(),
                        },
                    )
                })
                .collect()
        };
        let m = Member {
            id: object_id(),
            email: i.email,
            first_name: None,
            last_name: None,
            role: i.role,
            default_site_role: i.default_site_role,
            default_site_role_id: i.default_site_role_id,
            all_sites: i.all_sites,
            added_on: now(),
            scim_managed: false,
            access,
        };
        let out = m.workspace_json(store.workspace_seats);
        store.members.push(m);
        Ok(json!({ "status": "active", "member": out }))
    }
}

fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn check_bulk_size(n: usize) -> Result<(), WfError> {
    if n == 0 {
        return Err(WfError::validation(
            "memberIds or inviteIds must list at least one id",
        ));
    }
    if n > MAX_BULK_IDS {
        return Err(WfError::validation(format!(
            "at most {MAX_BULK_IDS} member and invite ids per request (got {n})"
        )));
    }
    Ok(())
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

fn respond(r: WfResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

type S = State<Arc<Workspace>>;

async fn list_members_h(State(s): S, Path(ws): Path<String>, RawQuery(q): RawQuery) -> Response {
    respond(s.list_members(&ws, q.as_deref()))
}
async fn invite_h(State(s): S, Path(ws): Path<String>, body: Bytes) -> Response {
    respond(s.invite(&ws, &body))
}
async fn update_member_h(
    State(s): S,
    Path((ws, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    respond(s.update_member(&ws, &id, &body))
}
async fn remove_member_h(State(s): S, Path((ws, id)): Path<(String, String)>) -> Response {
    respond(s.remove_member(&ws, &id))
}
async fn bulk_update_h(State(s): S, Path(ws): Path<String>, body: Bytes) -> Response {
    respond(s.bulk_update(&ws, &body))
}
async fn bulk_remove_h(State(s): S, Path(ws): Path<String>, body: Bytes) -> Response {
    respond(s.bulk_remove(&ws, &body))
}
async fn list_site_h(State(s): S, Path(site): Path<String>, RawQuery(q): RawQuery) -> Response {
    respond(s.list_site_members(&site, q.as_deref()))
}
async fn grant_h(State(s): S, Path(site): Path<String>, body: Bytes) -> Response {
    respond(s.grant(&site, &body))
}

fn required_email(raw: Option<&str>) -> Result<String, WfError> {
    query_pairs(raw)
        .into_iter()
        .rev()
        .find(|(k, v)| k == "email" && !v.trim().is_empty())
        .map(|(_, v)| v)
        .ok_or_else(|| WfError::validation("the email query parameter is required"))
}

async fn update_by_email_h(
    State(s): S,
    Path(site): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    respond(
        required_email(q.as_deref()).and_then(|e| s.update_site_role(&site, Some(&e), None, &body)),
    )
}
async fn revoke_by_email_h(
    State(s): S,
    Path(site): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    respond(required_email(q.as_deref()).and_then(|e| s.revoke(&site, Some(&e), None)))
}
async fn update_by_id_h(
    State(s): S,
    Path((site, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    respond(s.update_site_role(&site, None, Some(&id), &body))
}
async fn revoke_by_id_h(State(s): S, Path((site, id)): Path<(String, String)>) -> Response {
    respond(s.revoke(&site, None, Some(&id)))
}

impl SurfaceModule for Workspace {
    fn surface(&self) -> Surface {
        Surface::WebflowWorkspace
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/v2/workspaces", "/v2/sites/{}/members"]
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/v2/workspaces/{workspace_id}/members",
                get(list_members_h).post(invite_h),
            )
            .route(
                "/v2/workspaces/{workspace_id}/members/bulk",
                axum::routing::post(bulk_update_h).delete(bulk_remove_h),
            )
            .route(
                "/v2/workspaces/{workspace_id}/members/{member_id}",
                patch(update_member_h).delete(remove_member_h),
            )
            .route(
                "/v2/sites/{site_id}/members",
                get(list_site_h)
                    .post(grant_h)
                    .patch(update_by_email_h)
                    .delete(revoke_by_email_h),
            )
            .route(
                "/v2/sites/{site_id}/members/{member_id}",
                patch(update_by_id_h).delete(revoke_by_id_h),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        if bearer_token(&parts.headers) != Some(self.token.as_str()) {
            return Err(self.problem(Problem::Unauthorized));
        }
        let store = self.lock();
        if !store.enterprise {
            // UNCONFIRMED status and code for non-Enterprise workspaces (contracts 7 item 19).
            return Err(error(
                StatusCode::FORBIDDEN,
                "not_enterprise_plan_workspace",
                "This endpoint requires an Enterprise workspace",
            ));
        }
        let template = parts
            .extensions
            .get::<MatchedPath>()
            .map_or(parts.uri.path(), MatchedPath::as_str);
        let scope = required_scope(parts.method.as_str(), template);
        if !store.scopes.iter().any(|s| s == scope) {
            return Err(error(
                StatusCode::FORBIDDEN,
                "missing_scopes",
                &format!("OAuthForbidden: You are missing the following scopes - {scope}"),
            ));
        }
        // Rate limits apply per API key (WD rl).
        Ok(format!("token:{}", self.token))
    }

    fn problem(&self, problem: Problem) -> Response {
        problem_response(problem, "Too Many Requests")
    }

    fn snapshot(&self) -> Value {
        let store = self.lock();
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
        let mut fresh = Self::seeded(&self.main_site_id, &self.owner_id, self.shared.config());
        if let Some(seed) = seed {
            self.load_seed(&mut fresh, seed)?;
        }
        *self.lock() = fresh;
        Ok(())
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        let email = || {
            body.get("email")
                .and_then(Value::as_str)
                .ok_or_else(|| AdminError::BadRequest("`email` is required".to_owned()))
        };
        let flag = |k: &str| {
            body.get(k)
                .and_then(Value::as_bool)
                .ok_or_else(|| AdminError::BadRequest(format!("`{k}` (boolean) is required")))
        };
        match action {
            "accept" => self.settle_invite(email()?, None),
            "decline" => self.settle_invite(email()?, Some("declined")),
            "expire" => self.settle_invite(email()?, Some("expired")),
            "enterprise" => {
                let on = flag("enterprise")?;
                self.lock().enterprise = on;
                Ok(json!({ "enterprise": on }))
            }
            "seats" => {
                let on = flag("workspaceSeats")?;
                self.lock().workspace_seats = on;
                Ok(json!({ "workspaceSeats": on }))
            }
            "scopes" => {
                let scopes = body.get("scopes").and_then(string_list).ok_or_else(|| {
                    AdminError::BadRequest("`scopes` must be an array of strings".to_owned())
                })?;
                self.lock().scopes = scopes.clone();
                Ok(json!({ "scopes": scopes }))
            }
            "member" => {
                let mut store = self.lock();
                let m = self
                    .add_member(&mut store, body)
                    .map_err(AdminError::BadRequest)?;
                Ok(m.workspace_json(true))
            }
            "scim-managed" => {
                let email = email()?;
                let managed = flag("managed")?;
                let key = norm_email(email);
                let mut store = self.lock();
                let m = store
                    .members
                    .iter_mut()
                    .find(|m| norm_email(&m.email) == key)
                    .ok_or_else(|| AdminError::NotFound(format!("no workspace member {email}")))?;
                m.scim_managed = managed;
                Ok(json!({ "id": m.id, "scimManaged": managed }))
            }
            other => Err(AdminError::Unsupported(format!(
                "workspace has no admin action `{other}` (supported: accept, decline, expire, enterprise, seats, scopes, member, scim-managed)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        assert_eq!(decode_cursor(&encode_cursor(150)), Some(150));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("abc"), None);
    }

    #[test]
    fn pairs_follow_the_table() {
        assert!(valid_pair("admin", "site_manager"));
        assert!(valid_pair("member", "custom"));
        assert!(valid_pair("reviewer", "reviewer"));
        assert!(!valid_pair("reviewer", "designer"));
        assert!(!valid_pair("admin", "designer"));
        assert!(!valid_pair("member", "reviewer"));
    }

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
