//! The Flatfile routes under `/v1`. See docs/vendors/flatfile.md.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::model::{
    FfError, FfResult, SORT_FIELDS, body_object, data, positive, reject_unknown, required_string,
    sort_key, success,
};
use super::{ActorRole, Module, User};
use crate::clock::{iso_millis, now};
use crate::email::{looks_like_email, norm_email};
use crate::request::query_pairs;
use crate::surface::Surface;

type S = State<Module>;

pub(super) async fn invite(State(s): S, headers: HeaderMap, body: Bytes) -> FfResult {
    let hooks_disabled = headers
        .get("x-disable-hooks")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if !hooks_disabled {
        return Err(FfError::bad(
            "X-Disable-Hooks",
            "The X-Disable-Hooks header is required and must be \"true\"",
        ));
    }
    let obj = body_object(&body)?;
    reject_unknown(&obj, &["email", "name", "actorRoles"])?;
    let email = required_string(&obj, "email")?;
    if !looks_like_email(&email) {
        return Err(FfError::bad("email", format!("Invalid email: {email}")));
    }
    required_string(&obj, "name")?;
    let entries = match obj.get("actorRoles") {
        Some(Value::Array(a)) => a.clone(),
        Some(_) => return Err(FfError::bad("actorRoles", "actorRoles must be an array")),
        None => return Err(FfError::bad("actorRoles", "actorRoles is required")),
    };
    let mut store = s.store.lock();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for entry in &entries {
        let Value::Object(e) = entry else {
            return Err(FfError::bad(
                "actorRoles",
                "each actorRoles entry must be an object {roleId, resourceId}",
            ));
        };
        let pair = s.check_role_pair(&store, e)?;
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    if store.has_email(&email) {
        // The real status for an already-invited email is undocumented
        // (docs/vendors/flatfile.md#trap-duplicate-invite-undocumented): 409 by default,
        // 400 or 422 after the admin `duplicate-status` action, so clients meet each.
        return Err(FfError::new(
            store.duplicate_status,
            Some("email"),
            format!("A user with email {email} already exists"),
        ));
    }
    // Flatfile reports the invitee's name as the email's local part until they sign in
    // (sending "John Smith" gives back "john.smith"; docs/vendors/flatfile.md, Traps,
    // trap-name-echo-differs).
    // `PATCH` sets it explicitly.
    let name = email
        .trim()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    let user = User::new(&email, name, pairs, false);
    let out = user.to_json_with_roles(&s.cfg.account_id);
    store.users.push(user);
    drop(store);
    s.shared
        .record_invitation_email(Surface::Flatfile, email.trim());
    Ok(data(out))
}

pub(super) async fn resend(State(s): S, Path(user_id): Path<String>) -> FfResult {
    let email = {
        let store = s.store.lock();
        store.user(&user_id)?.email.clone()
    };
    s.shared.record_invitation_email(Surface::Flatfile, &email);
    Ok(success())
}

pub(super) async fn list(State(s): S, RawQuery(q): RawQuery) -> FfResult {
    let mut email = None;
    let mut search = None;
    let mut sort_field = None;
    let mut descending = false;
    let mut page_size = 20usize;
    let mut page_number = 1usize;
    for (k, v) in query_pairs(q.as_deref()) {
        match k.as_str() {
            "email" => email = Some(norm_email(&v)),
            "search" => search = Some(v.trim().to_lowercase()),
            "sortField" => {
                if !SORT_FIELDS.contains(&v.as_str()) {
                    return Err(FfError::bad(
                        "sortField",
                        format!("Invalid sortField: {v} (one of {})", SORT_FIELDS.join(", ")),
                    ));
                }
                sort_field = Some(v);
            }
            "sortDirection" => match v.as_str() {
                "asc" => descending = false,
                "desc" => descending = true,
                _ => {
                    return Err(FfError::bad(
                        "sortDirection",
                        format!("Invalid sortDirection: {v} (asc or desc)"),
                    ));
                }
            },
            "pageSize" => page_size = positive(&v, "pageSize")?,
            "pageNumber" => page_number = positive(&v, "pageNumber")?,
            _ => {}
        }
    }
    let store = s.store.lock();
    let mut users: Vec<&User> = store
        .users
        .iter()
        // UNCONFIRMED: whether `email` matches case-insensitively; the
        // sandbox compares trimmed, lower-cased addresses.
        .filter(|u| email.as_ref().is_none_or(|e| norm_email(&u.email) == *e))
        .filter(|u| {
            search.as_ref().is_none_or(|s| {
                u.email.to_lowercase().contains(s.as_str())
                    || u.name.to_lowercase().contains(s.as_str())
            })
        })
        .collect();
    if let Some(f) = &sort_field {
        users.sort_by_key(|u| sort_key(u, f));
    }
    if descending {
        users.reverse();
    }
    let total = users.len();
    let page_count = total.div_ceil(page_size);
    let start = page_size.saturating_mul(page_number - 1);
    let page: Vec<Value> = users
        .iter()
        .skip(start)
        .take(page_size)
        .map(|u| u.to_json(&s.cfg.account_id))
        .collect();
    Ok(axum::Json(json!({
        "data": page,
        "pagination": {
            "currentPage": page_number,
            "pageCount": page_count,
            "totalCount": total,
        }
    }))
    .into_response())
}

pub(super) async fn get_user(State(s): S, Path(user_id): Path<String>) -> FfResult {
    let store = s.store.lock();
    let user = store.user(&user_id)?;
    Ok(data(user.to_json(&s.cfg.account_id)))
}

pub(super) async fn update_user(State(s): S, Path(user_id): Path<String>, body: Bytes) -> FfResult {
    let obj = body_object(&body)?;
    if obj.contains_key("email") {
        return Err(FfError::bad("email", "email cannot be updated"));
    }
    reject_unknown(&obj, &["name", "dashboard"])?;
    let name = match obj.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => return Err(FfError::bad("name", "name must be a non-empty string")),
    };
    let dashboard = match obj.get("dashboard") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| FfError::bad("dashboard", "dashboard must be an integer"))?,
        ),
    };
    let mut store = s.store.lock();
    let user = store.user_mut(&user_id)?;
    if let Some(n) = name {
        user.name = n;
    }
    if let Some(d) = dashboard {
        user.dashboard = Some(d);
    }
    user.updated_at = now();
    Ok(data(user.to_json(&s.cfg.account_id)))
}

pub(super) async fn delete_user(State(s): S, Path(user_id): Path<String>) -> FfResult {
    let mut store = s.store.lock();
    let before = store.users.len();
    store.users.retain(|u| u.id != user_id);
    if store.users.len() == before {
        return Err(FfError::not_found(format!("User {user_id} not found")));
    }
    Ok(success())
}

pub(super) async fn list_user_roles(State(s): S, Path(user_id): Path<String>) -> FfResult {
    let store = s.store.lock();
    let user = store.user(&user_id)?;
    Ok(data(Value::Array(
        user.roles.iter().map(ActorRole::to_json).collect(),
    )))
}

pub(super) async fn assign_role(State(s): S, Path(user_id): Path<String>, body: Bytes) -> FfResult {
    let obj = body_object(&body)?;
    reject_unknown(&obj, &["roleId", "resourceId"])?;
    let mut store = s.store.lock();
    store.user(&user_id)?;
    let (role_id, resource_id) = s.check_role_pair(&store, &obj)?;
    let user = store.user_mut(&user_id)?;
    // Assigning a pair the user already holds returns that assignment
    // unchanged rather than duplicating it.
    if let Some(existing) = user
        .roles
        .iter()
        .find(|r| r.role_id == role_id && r.resource_id == resource_id)
    {
        return Ok(data(existing.to_json()));
    }
    let t = now();
    let role = ActorRole::new(role_id, &user.id, resource_id, t);
    let out = role.to_json();
    user.roles.push(role);
    user.updated_at = t;
    Ok(data(out))
}

pub(super) async fn remove_role(
    State(s): S,
    Path((user_id, actor_role_id)): Path<(String, String)>,
) -> FfResult {
    let mut store = s.store.lock();
    let user = store.user_mut(&user_id)?;
    let before = user.roles.len();
    user.roles.retain(|r| r.id != actor_role_id);
    if user.roles.len() == before {
        return Err(FfError::not_found(format!(
            "Actor role {actor_role_id} not found for user {user_id}"
        )));
    }
    user.updated_at = now();
    Ok(success())
}

pub(super) async fn list_roles(State(s): S) -> FfResult {
    let store = s.store.lock();
    let roles: Vec<Value> = store
        .roles
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "accountId": s.cfg.account_id,
                "createdAt": iso_millis(r.created_at),
                "updatedAt": iso_millis(r.created_at),
            })
        })
        .collect();
    Ok(data(Value::Array(roles)))
}

pub(super) async fn current_account(State(s): S) -> FfResult {
    let store = s.store.lock();
    Ok(data(json!({
        "id": s.cfg.account_id,
        "name": "Sandbox Account",
        "subdomain": "sandbox",
        "defaultEnvironmentId": s.cfg.environment_id,
        "metadata": {},
        "createdAt": iso_millis(store.created_at),
        "updatedAt": iso_millis(store.created_at),
    })))
}
