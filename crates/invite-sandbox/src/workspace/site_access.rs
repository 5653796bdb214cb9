//! Site access: `GET`/`POST /v2/sites/{site_id}/members`, `PATCH`/`DELETE` by `?email=` or by
//! member id. See docs/vendors/webflow-workspace.md, Endpoints.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::model::{SiteRole, body_object, list_params, opt_str, pagination, reject_unknown};
use super::{Access, Member, Module, Site, Store, Workspace};
use crate::email::norm_email;
use crate::request::query_pairs;
use crate::webflow::error::{WfError, WfResult};

type S = State<Module>;

pub(super) async fn list_site_members(
    State(s): S,
    Path(site_id): Path<String>,
    RawQuery(q): RawQuery,
) -> WfResult {
    let p = list_params(q.as_deref(), false)?;
    let store = s.store.lock();
    let site = store
        .sites
        .get(store.site_index(&site_id)?)
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
    Ok(axum::Json(json!({
        "members": with_access.iter().skip(p.offset).take(p.limit).collect::<Vec<_>>(),
        "pagination": pagination(&p, with_access.len()),
    }))
    .into_response())
}

/// The site and the member (named by `email` or `member_id`) a site-access call is about.
fn site_and_member(
    store: &Store,
    site_id: &str,
    email: Option<&str>,
    member_id: Option<&str>,
) -> Result<(usize, usize), WfError> {
    Ok((
        store.site_index(site_id)?,
        store.find_member(email, member_id)?,
    ))
}

fn pick(store: &Store, (sidx, midx): (usize, usize)) -> Result<(&Site, &Member), WfError> {
    match (store.sites.get(sidx), store.members.get(midx)) {
        (Some(site), Some(m)) => Ok((site, m)),
        _ => Err(WfError::not_found("The site cannot be found")),
    }
}

/// Gives member `midx` `role` on site `sidx` and answers the member's site view.
fn set_site_role(store: &mut Store, (sidx, midx): (usize, usize), role: SiteRole) -> WfResult {
    let site_id = store
        .sites
        .get(sidx)
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let m = store
        .members
        .get_mut(midx)
        .ok_or_else(|| WfError::not_found("The workspace member cannot be found"))?;
    let json = m.site_json(&role.0, role.1.as_deref());
    m.access.insert(
        site_id,
        Access::Granted {
            role: role.0,
            role_id: role.1,
        },
    );
    Ok(axum::Json(json).into_response())
}

pub(super) async fn grant(State(s): S, Path(site_id): Path<String>, body: Bytes) -> WfResult {
    let obj = body_object(&body)?;
    reject_unknown(&obj, &["siteRole", "siteRoleId", "email", "memberId"])?;
    let mut store = s.store.lock();
    let sidx = store.site_index(&site_id)?;
    let at = (
        sidx,
        store.find_member(opt_str(&obj, "email")?, opt_str(&obj, "memberId")?)?,
    );
    let (site, m) = pick(&store, at)?;
    let role = store.site_role_body(&obj, m.role == "client")?;
    if m.access_on(site).is_some() {
        // HTTP status UNCONFIRMED (409 is the declared conflict status;
        // docs/vendors/webflow-workspace.md, open question oq-member-already-has-access-status).
        return Err(WfError::new(
            StatusCode::CONFLICT,
            "member_already_has_access",
            "The member already has access to this site; use PATCH to change their role",
        ));
    }
    set_site_role(&mut store, at, role)
}

fn update_site_role(
    s: &Workspace,
    site_id: &str,
    email: Option<&str>,
    member_id: Option<&str>,
    body: &[u8],
) -> WfResult {
    let obj = body_object(body)?;
    reject_unknown(&obj, &["siteRole", "siteRoleId"])?;
    let mut store = s.store.lock();
    let at = site_and_member(&store, site_id, email, member_id)?;
    let (site, m) = pick(&store, at)?;
    let role = store.site_role_body(&obj, m.role == "client")?;
    if m.is_admin() {
        return Err(WfError::new(
            StatusCode::BAD_REQUEST,
            "cannot_update_user_role",
            "Admins and the owner manage every site; their site role cannot be changed",
        ));
    }
    if site.site_specific && !matches!(m.access.get(&site.id), Some(Access::Granted { .. })) {
        // UNCONFIRMED status and code: the docs only say the member must already hold
        // access on a site with site-specific access (docs/vendors/webflow-workspace.md,
        // open question oq-update-before-grant-answer).
        return Err(WfError::new(
            StatusCode::CONFLICT,
            "conflict",
            "The member has no access to this site; grant access first with POST",
        ));
    }
    set_site_role(&mut store, at, role)
}

fn revoke(s: &Workspace, site_id: &str, email: Option<&str>, member_id: Option<&str>) -> WfResult {
    let mut store = s.store.lock();
    let at = site_and_member(&store, site_id, email, member_id)?;
    let (site, m) = pick(&store, at)?;
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
    if let Some(m) = store.members.get_mut(at.1) {
        m.access.insert(site_id, Access::Revoked);
    }
    Ok(StatusCode::OK.into_response())
}

/// The `email` query parameter the by-email routes need.
fn required_email(raw: Option<&str>) -> Result<String, WfError> {
    query_pairs(raw)
        .into_iter()
        .rev()
        .find(|(k, v)| k == "email" && !v.trim().is_empty())
        .map(|(_, v)| v)
        .ok_or_else(|| WfError::validation("the email query parameter is required"))
}

pub(super) async fn update_by_email(
    State(s): S,
    Path(site_id): Path<String>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> WfResult {
    let email = required_email(q.as_deref())?;
    update_site_role(&s, &site_id, Some(&email), None, &body)
}

pub(super) async fn revoke_by_email(
    State(s): S,
    Path(site_id): Path<String>,
    RawQuery(q): RawQuery,
) -> WfResult {
    let email = required_email(q.as_deref())?;
    revoke(&s, &site_id, Some(&email), None)
}

pub(super) async fn update_by_id(
    State(s): S,
    Path((site_id, member_id)): Path<(String, String)>,
    body: Bytes,
) -> WfResult {
    update_site_role(&s, &site_id, None, Some(&member_id), &body)
}

pub(super) async fn revoke_by_id(
    State(s): S,
    Path((site_id, member_id)): Path<(String, String)>,
) -> WfResult {
    revoke(&s, &site_id, None, Some(&member_id))
}
