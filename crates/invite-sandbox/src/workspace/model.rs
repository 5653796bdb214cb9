//! The workspace surface's state (sites, custom Site Roles, members, invites), its JSON
//! rendering, the role rules and the request readers. See docs/vendors/webflow-workspace.md.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{Access, CustomRole, Invite, ItemError, Member, Site, Store};
use super::{CLIENT_SITE_ID, CUSTOM_SITE_ROLE_ID, OWNER_EMAIL};
use crate::SandboxConfig;
use crate::clock::{now, rfc3339_seconds};
use crate::email::norm_email;
use crate::ids::is_object_id;
use crate::request::{BodyError, json_object, query_pairs};
use crate::webflow::error::WfError;

/// Request field names of `DELETE /workspaces/{workspace_id}/members/bulk`.
/// UNCONFIRMED (docs/vendors/webflow-workspace.md, open question oq-bulk-remove-body): no source names them; these
/// mirror bulk update. Kept here, in one place, so they are easy to change.
pub(super) const BULK_REMOVE_MEMBER_IDS: &str = "memberIds";
/// See [`BULK_REMOVE_MEMBER_IDS`].
pub(super) const BULK_REMOVE_INVITE_IDS: &str = "inviteIds";
/// Answer field names of bulk remove, UNCONFIRMED like the request ones:
/// `{summary: {removed, failed}, results: [{id, type, outcome: "removed"|"failed", error?}]}`.
pub(super) const BULK_REMOVE_OUTCOME_OK: &str = "removed";

/// Most ids one bulk call may carry (members and invites combined, counted before
/// deduplication; UNCONFIRMED whether duplicates count, docs/vendors/webflow-workspace.md,
/// open question oq-bulk-cap).
pub(super) const MAX_BULK_IDS: usize = 100;
pub(super) const DEFAULT_LIMIT: usize = 50;
pub(super) const MAX_LIMIT: usize = 100;

/// Site roles a request may set.
pub(super) const SITE_ROLES: &[&str] = &[
    "site_manager",
    "designer",
    "marketer",
    "content_editor",
    "reviewer",
    "custom",
];
/// Site roles a collaborator client may get.
pub(super) const CLIENT_SITE_ROLES: &[&str] = &["marketer", "content_editor", "reviewer", "custom"];
/// Workspace roles as read (list filter values).
pub(super) const READ_WORKSPACE_ROLES: &[&str] =
    &["owner", "admin", "member", "guest", "reviewer", "client"];

/// Whether `workspace_role` + `site_role` is one of the seven valid pairs
/// (docs/vendors/webflow-workspace.md, Traps, trap-role-pairs).
pub(super) fn valid_pair(workspace_role: &str, site_role: &str) -> bool {
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

impl ItemError {
    /// `workspace_{kind}_not_found` for an id that names no `kind` (member, invite).
    pub(super) fn missing(kind: &str, id: &str) -> ItemError {
        let code = if kind == "member" {
            "workspace_member_not_found"
        } else {
            "workspace_invite_not_found"
        };
        item_err(code, format!("No {kind} with id {id} in this workspace"))
    }
}

/// The answer of a bulk call: per-item `results` and a `summary` counting `outcome`s and
/// failures.
pub(super) struct Bulk {
    outcome: &'static str,
    results: Vec<Value>,
    ok: u32,
    failed: u32,
}

impl Bulk {
    pub(super) fn new(outcome: &'static str) -> Bulk {
        Bulk {
            outcome,
            results: Vec::new(),
            ok: 0,
            failed: 0,
        }
    }

    /// One item: `outcome`, or `failed` with `err`.
    pub(super) fn push(&mut self, id: &str, kind: &str, err: Option<ItemError>) {
        let mut r = json!({ "id": id, "type": kind, "outcome": self.outcome });
        if let (Some(e), Some(m)) = (err, r.as_object_mut()) {
            m.insert("outcome".into(), Value::from("failed"));
            m.insert(
                "error".into(),
                json!({ "code": e.code, "message": e.message }),
            );
            self.failed += 1;
        } else {
            self.ok += 1;
        }
        self.results.push(r);
    }

    pub(super) fn answer(self) -> Response {
        let mut summary = Map::new();
        summary.insert(self.outcome.into(), Value::from(self.ok));
        summary.insert("failed".into(), Value::from(self.failed));
        axum::Json(json!({ "summary": summary, "results": self.results })).into_response()
    }
}

pub(super) fn item_err(code: &'static str, message: impl Into<String>) -> ItemError {
    ItemError {
        code,
        message: message.into(),
    }
}

impl Site {
    fn new(id: &str, name: &'static str, site_specific: bool) -> Site {
        Site {
            id: id.to_owned(),
            name,
            site_specific,
        }
    }
}

impl Member {
    /// Takes a role change.
    pub(super) fn change_roles(&mut self, change: &RoleChange) {
        change.apply(
            &mut self.role,
            &mut self.default_site_role,
            &mut self.default_site_role_id,
        );
    }

    /// Why `m` cannot be removed, if it cannot.
    pub(super) fn removal_error(&self) -> Option<ItemError> {
        if self.scim_managed {
            return Some(item_err(
                "workspace_member_managed_by_scim",
                "This member is provisioned by SCIM; remove them in the identity provider",
            ));
        }
        if self.role == "owner" {
            // UNCONFIRMED code: no source says how removing the owner fails.
            return Some(item_err(
                "cannot_remove_workspace_owner",
                "The workspace owner cannot be removed",
            ));
        }
        None
    }

    pub(super) fn workspace_json(&self, seats: bool) -> Value {
        let mut roles = Map::new();
        roles.insert("workspace".into(), Value::from(self.role.clone()));
        // `roles.site` appears only on workspaces enrolled in Workspace seats.
        if seats && let Some(site) = self.effective_default() {
            roles.insert("site".into(), Value::from(site));
        }
        let mut m = self.identity(roles);
        m.insert(
            "addedOn".into(),
            Value::from(rfc3339_seconds(self.added_on)),
        );
        Value::Object(m)
    }

    /// `{id, email, firstName?, lastName?, roles}`, what both member views start with.
    fn identity(&self, roles: Map<String, Value>) -> Map<String, Value> {
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
        m
    }

    pub(super) fn effective_default(&self) -> Option<String> {
        if self.is_admin() {
            Some("site_manager".to_owned())
        } else {
            self.default_site_role.clone()
        }
    }

    pub(super) fn is_admin(&self) -> bool {
        self.role == "owner" || self.role == "admin"
    }

    /// The member's role on `site`, if they can open it.
    pub(super) fn access_on(&self, site: &Site) -> Option<(String, Option<String>)> {
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

    pub(super) fn site_json(&self, role: &str, role_id: Option<&str>) -> Value {
        let mut roles = Map::new();
        roles.insert("workspace".into(), Value::from(self.role.clone()));
        roles.insert("site".into(), Value::from(role));
        if let Some(id) = role_id {
            roles.insert("siteRoleId".into(), Value::from(id));
        }
        Value::Object(self.identity(roles))
    }
}

impl Invite {
    /// Takes a role change.
    pub(super) fn change_roles(&mut self, change: &RoleChange) {
        change.apply(
            &mut self.role,
            &mut self.default_site_role,
            &mut self.default_site_role_id,
        );
    }

    pub(super) fn to_json(&self) -> Value {
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

pub(super) fn body_object(body: &[u8]) -> Result<Map<String, Value>, WfError> {
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

pub(super) fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), WfError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(WfError::validation(format!("{k} is not accepted"))),
        None => Ok(()),
    }
}

pub(super) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, WfError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(WfError::validation(format!("{field} must be a string"))),
    }
}

pub(super) fn req_str<'a>(obj: &'a Map<String, Value>, field: &str) -> Result<&'a str, WfError> {
    opt_str(obj, field)?.ok_or_else(|| WfError::validation(format!("{field} is required")))
}

pub(super) fn id_list(obj: &Map<String, Value>, field: &str) -> Result<Vec<String>, WfError> {
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

pub(super) fn dedupe(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// An opaque cursor for offset `n`.
pub(super) fn encode_cursor(n: usize) -> String {
    format!("offset:{n}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(super) fn decode_cursor(c: &str) -> Option<usize> {
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

pub(super) struct ListParams {
    pub(super) limit: usize,
    pub(super) offset: usize,
    pub(super) email: Option<String>,
    pub(super) roles: Vec<String>,
}

impl ListParams {
    /// This page of `items`.
    pub(super) fn page<'a, T>(&self, items: &'a [T]) -> impl Iterator<Item = &'a T> {
        items.iter().skip(self.offset).take(self.limit)
    }
}

/// `{limit, nextCursor}` for a page of lists whose longest has `longest` items.
pub(super) fn pagination(p: &ListParams, longest: usize) -> Value {
    let end = p.offset.saturating_add(p.limit);
    let next = if longest > end {
        Value::from(encode_cursor(end))
    } else {
        Value::Null
    };
    json!({ "limit": p.limit, "nextCursor": next })
}

pub(super) fn list_params(raw: Option<&str>, allow_roles: bool) -> Result<ListParams, WfError> {
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
            // Accepts both `roles=a,b` and repeated `roles=` keys
            // (docs/vendors/webflow-workspace.md, open question oq-roles-filter-encoding).
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
pub(super) type SiteRole = (String, Option<String>);

impl Store {
    /// The unseeded workspace: two sites, one custom Site Role, the owner.
    pub(super) fn seeded(main_site_id: &str, owner_id: &str, c: &SandboxConfig) -> Store {
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
                Site::new(main_site_id, "Sandbox Site", false),
                Site::new(CLIENT_SITE_ID, "Client Portal", true),
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

    pub(super) fn site_index(&self, id: &str) -> Result<usize, WfError> {
        if !is_object_id(id) {
            return Err(WfError::validation("Provided ID is invalid"));
        }
        self.sites
            .iter()
            .position(|s| s.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| WfError::not_found("The site cannot be found"))
    }

    /// Validates `role` (+ `role_id`) as a site role to write.
    pub(super) fn site_role(
        &self,
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
                if self.custom_roles.iter().any(|r| r.id == id) {
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

    /// Why `member` cannot take the role change, if it cannot.
    pub(super) fn member_change_error(&self, m: &Member, change: &RoleChange) -> Option<ItemError> {
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
        self.pair_error(m.role.as_str(), change)
    }

    /// Pairing, custom-role and Workspace-seats checks shared by members and invites.
    pub(super) fn pair_error(&self, current: &str, change: &RoleChange) -> Option<ItemError> {
        let (role, site) = (change.role.as_str(), change.site.as_str());
        if !valid_pair(role, site) {
            return Some(item_err(
                "invalid_workspace_role",
                format!("Workspace role `{role}` cannot be paired with site role `{site}`"),
            ));
        }
        if let Some(id) = &change.site_id
            && !self.custom_roles.iter().any(|r| &r.id == id)
        {
            return Some(item_err(
                "invalid_site_role",
                format!("`{id}` is not a custom Site Role of this workspace"),
            ));
        }
        if !self.workspace_seats && ((current == "reviewer") != (role == "reviewer")) {
            return Some(item_err(
                "cannot_update_user_role",
                "Moving to or from reviewer needs a workspace enrolled in Workspace seats",
            ));
        }
        None
    }

    /// The member named by `email` or `member_id` (exactly one), or 404 for non-members.
    pub(super) fn find_member(
        &self,
        email: Option<&str>,
        member_id: Option<&str>,
    ) -> Result<usize, WfError> {
        let idx = match (email, member_id) {
            (Some(e), None) => {
                let key = norm_email(e);
                self.members
                    .iter()
                    .position(|m| norm_email(&m.email) == key)
            }
            (None, Some(id)) => self.members.iter().position(|m| m.id == id),
            _ => {
                return Err(WfError::validation(
                    "name the member by exactly one of email or memberId",
                ));
            }
        };
        idx.ok_or_else(|| WfError::not_found("The person is not a member of this workspace"))
    }

    pub(super) fn site_role_body(
        &self,
        obj: &Map<String, Value>,
        client: bool,
    ) -> Result<SiteRole, WfError> {
        let r = self.site_role(
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
}

/// A workspace role with its default site role, as PATCH and bulk update set them.
pub(super) struct RoleChange {
    role: String,
    site: String,
    site_id: Option<String>,
}

impl RoleChange {
    /// Writes the change into a member's or an invite's role fields.
    pub(super) fn apply(
        &self,
        role: &mut String,
        site: &mut Option<String>,
        site_id: &mut Option<String>,
    ) {
        role.clone_from(&self.role);
        *site = Some(self.site.clone());
        site_id.clone_from(&self.site_id);
    }
}

/// Validates a `{role, defaultSiteRole, defaultSiteRoleId?}` body (PATCH and bulk update).
pub(super) fn role_change(obj: &Map<String, Value>) -> Result<RoleChange, WfError> {
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
        ("custom", Some(_)) | (_, None) => Ok(RoleChange {
            role: role.to_owned(),
            site: site.to_owned(),
            site_id: site_id.map(str::to_owned),
        }),
        (_, Some(_)) => Err(WfError::validation(
            "defaultSiteRoleId is only accepted with the custom defaultSiteRole",
        )),
    }
}

pub(super) fn string_list(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

pub(super) fn check_bulk_size(n: usize) -> Result<(), WfError> {
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
}
