//! Workspace members: list, invite, update, remove, bulk update and bulk remove under
//! `/v2/workspaces/{workspace_id}/members`. See docs/vendors/webflow-workspace.md, Endpoints.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::model::{
    BULK_REMOVE_INVITE_IDS, BULK_REMOVE_MEMBER_IDS, BULK_REMOVE_OUTCOME_OK, Bulk,
    CLIENT_SITE_ROLES, SiteRole, body_object, check_bulk_size, dedupe, id_list, item_err,
    list_params, opt_str, pagination, reject_unknown, req_str, role_change, valid_pair,
};
use super::{Invite, ItemError, Member, Module};
use crate::clock::now;
use crate::email::{looks_like_email, norm_email};
use crate::ids::object_id;
use crate::surface::Surface;
use crate::webflow::error::{WfError, WfResult};

type S = State<Module>;

fn member_not_found() -> WfError {
    WfError::not_found("The workspace member cannot be found")
}

pub(super) async fn list_members(
    State(s): S,
    Path(ws): Path<String>,
    RawQuery(q): RawQuery,
) -> WfResult {
    s.check_workspace(&ws)?;
    let p = list_params(q.as_deref(), true)?;
    let store = s.store.lock();
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
    Ok(axum::Json(json!({
        "members": p.page(&members)
            .map(|m| m.workspace_json(store.workspace_seats))
            .collect::<Vec<_>>(),
        "invites": p.page(&invites).map(|i| i.to_json()).collect::<Vec<_>>(),
        "pagination": pagination(&p, members.len().max(invites.len())),
    }))
    .into_response())
}

pub(super) async fn invite(State(s): S, Path(ws): Path<String>, body: Bytes) -> WfResult {
    s.check_workspace(&ws)?;
    let obj = body_object(&body)?;
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
    let mut store = s.store.lock();
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
                let idx = store.site_index(site_id).map_err(|_| {
                    WfError::validation(format!(
                        "siteId `{site_id}` is not a site of this workspace"
                    ))
                })?;
                let r = store.site_role(
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
            let role = role.ok_or_else(|| WfError::validation("siteAccess must not be empty"))?;
            (sites, false, role)
        }
        None => {
            if ws_role == "client" {
                return Err(WfError::validation(
                    "a client invite takes exactly one siteAccess entry and no defaultSiteRole",
                ));
            }
            let role = default_role
                .ok_or_else(|| WfError::validation("defaultSiteRole or siteAccess is required"))?;
            (
                Vec::new(),
                true,
                store.site_role(role, default_role_id, "defaultSiteRoleId")?,
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
        // (UNCONFIRMED whether Webflow changes the role; docs/vendors/webflow-workspace.md,
        // Traps, trap-invite-existing-member-active).
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
        // A compatible pending client invite is extended to the new site
        // (docs/vendors/webflow-workspace.md, Traps, trap-client-invite-one-site).
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
        // same id, new role and sites, status pending. UNCONFIRMED
        // (docs/vendors/webflow-workspace.md, open question oq-reinvite-behaviour).
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
    s.shared
        .record_invitation_email(Surface::WebflowWorkspace, &email);
    Ok(axum::Json(json!({ "status": "invited", "invite": invite.to_json() })).into_response())
}

pub(super) async fn update_member(
    State(s): S,
    Path((ws, member_id)): Path<(String, String)>,
    body: Bytes,
) -> WfResult {
    s.check_workspace(&ws)?;
    let obj = body_object(&body)?;
    reject_unknown(&obj, &["role", "defaultSiteRole", "defaultSiteRoleId"])?;
    let mut store = s.store.lock();
    let change = role_change(&obj)?;
    let idx = store
        .members
        .iter()
        .position(|m| m.id == member_id)
        .ok_or_else(member_not_found)?;
    let m = store.members.get(idx).ok_or_else(member_not_found)?;
    if let Some(e) = store.member_change_error(m, &change) {
        let status = match e.code {
            // UNCONFIRMED: documented only as a bulk per-item code (docs/vendors/webflow-workspace.md,
            // open question oq-scim-managed-single-calls); the sandbox answers 409 on single update and remove too.
            "workspace_member_managed_by_scim" => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        };
        return Err(WfError::new(status, e.code, e.message));
    }
    let seats = store.workspace_seats;
    let m = store.members.get_mut(idx).ok_or_else(member_not_found)?;
    m.change_roles(&change);
    Ok(axum::Json(m.workspace_json(seats)).into_response())
}

pub(super) async fn remove_member(
    State(s): S,
    Path((ws, member_id)): Path<(String, String)>,
) -> WfResult {
    s.check_workspace(&ws)?;
    let mut store = s.store.lock();
    // Invite ids are not member ids: they get 404 here (the exact status is UNCONFIRMED;
    // docs/vendors/webflow-workspace.md, open question oq-remove-with-invite-id).
    let idx = store
        .members
        .iter()
        .position(|m| m.id == member_id)
        .ok_or_else(member_not_found)?;
    if let Some(e) = store.members.get(idx).and_then(Member::removal_error) {
        return Err(WfError::new(StatusCode::CONFLICT, e.code, e.message));
    }
    store.members.remove(idx);
    Ok(StatusCode::OK.into_response())
}

pub(super) async fn bulk_update(State(s): S, Path(ws): Path<String>, body: Bytes) -> WfResult {
    s.check_workspace(&ws)?;
    let obj = body_object(&body)?;
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
    let mut store = s.store.lock();
    let change = role_change(&obj)?;
    let mut bulk = Bulk::new("updated");
    for id in dedupe(member_ids) {
        let err = match store.members.iter().position(|m| m.id == id) {
            None => Some(ItemError::missing("member", &id)),
            Some(idx) => {
                let e = store
                    .members
                    .get(idx)
                    .and_then(|m| store.member_change_error(m, &change));
                if e.is_none()
                    && let Some(m) = store.members.get_mut(idx)
                {
                    m.change_roles(&change);
                }
                e
            }
        };
        bulk.push(&id, "member", err);
    }
    for id in dedupe(invite_ids) {
        let err = match store.invites.iter().position(|i| i.id == id) {
            None => Some(ItemError::missing("invite", &id)),
            Some(idx) => {
                let e = store.invites.get(idx).and_then(|i| {
                    if i.role == "client" {
                        Some(item_err(
                            "cannot_update_user_role",
                            "A client invite's role cannot be changed",
                        ))
                    } else {
                        store.pair_error(&i.role, &change)
                    }
                });
                if e.is_none()
                    && let Some(i) = store.invites.get_mut(idx)
                {
                    i.change_roles(&change);
                }
                e
            }
        };
        bulk.push(&id, "invite", err);
    }
    Ok(bulk.answer())
}

pub(super) async fn bulk_remove(State(s): S, Path(ws): Path<String>, body: Bytes) -> WfResult {
    s.check_workspace(&ws)?;
    let obj = body_object(&body)?;
    reject_unknown(&obj, &[BULK_REMOVE_MEMBER_IDS, BULK_REMOVE_INVITE_IDS])?;
    let member_ids = id_list(&obj, BULK_REMOVE_MEMBER_IDS)?;
    let invite_ids = id_list(&obj, BULK_REMOVE_INVITE_IDS)?;
    // A 4xx means the whole request was refused and nothing was removed (docs/vendors/webflow-workspace.md,
    // Traps, trap-bulk-200-with-failures).
    check_bulk_size(member_ids.len() + invite_ids.len())?;
    let mut store = s.store.lock();
    let mut bulk = Bulk::new(BULK_REMOVE_OUTCOME_OK);
    for id in dedupe(member_ids) {
        let err = match store.members.iter().position(|m| m.id == id) {
            None => Some(ItemError::missing("member", &id)),
            Some(idx) => {
                let e = store.members.get(idx).and_then(Member::removal_error);
                if e.is_none() {
                    store.members.remove(idx);
                }
                e
            }
        };
        bulk.push(&id, "member", err);
    }
    for id in dedupe(invite_ids) {
        let err = match store.invites.iter().position(|i| i.id == id) {
            None => Some(ItemError::missing("invite", &id)),
            Some(idx) => {
                // Cancelling: the invite can no longer be accepted and leaves the list.
                store.invites.remove(idx);
                None
            }
        };
        bulk.push(&id, "invite", err);
    }
    Ok(bulk.answer())
}
