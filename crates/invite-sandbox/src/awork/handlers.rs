//! The awork routes under `/api/v1`. See docs/vendors/awork.md.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::model::{
    AwError, AwResult, INVITATION_TTL, body_object, opt_bool, opt_string, opt_uuid, reject_unknown,
    team_model, uuid_for,
};
use super::query::{Page, USER_FIELDS, USER_ORDER_FIELDS, bool_param, filter_and_order};
use super::{Awork, Invitation, Module, Profile, TEAMS, User};
use crate::clock::{iso_millis, now};
use crate::email::looks_like_email;
use crate::ids::{is_uuid, opaque_code};
use crate::request::query_pairs;
use crate::surface::Surface;

type S = State<Module>;

pub(super) async fn invite(State(s): S, body: Bytes) -> AwResult {
    let obj = body_object(&body)?;
    reject_unknown(
        &obj,
        &[
            "workspaceId",
            "invitationFlow",
            "roleId",
            "connectInviteCode",
            "passcode",
            "email",
            "password",
            "firstName",
            "lastName",
            "title",
            "position",
            "gender",
            "skipSendingEmail",
            "teamIds",
            "bookedSeats",
        ],
    )?;
    let workspace_id = opt_uuid(&obj, "workspaceId")?;
    let flow = opt_string(&obj, "invitationFlow", None)?;
    let role_id = opt_uuid(&obj, "roleId")?;
    opt_string(&obj, "connectInviteCode", None)?;
    opt_string(&obj, "passcode", None)?;
    let email = opt_string(&obj, "email", Some(1000))?;
    // A password is accepted as the schema allows, and never stored.
    opt_string(&obj, "password", None)?;
    let profile = Profile {
        first_name: opt_string(&obj, "firstName", Some(1000))?,
        last_name: opt_string(&obj, "lastName", Some(1000))?,
        title: opt_string(&obj, "title", Some(100))?,
        position: opt_string(&obj, "position", Some(1000))?,
        gender: opt_string(&obj, "gender", Some(25))?,
        language: Some("en-GB".to_owned()),
        birth_date: None,
    };
    let skip_email = opt_bool(&obj, "skipSendingEmail")?.unwrap_or(false);
    let team_ids = match obj.get("teamIds") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            let mut ids = Vec::new();
            for v in a {
                match v.as_str() {
                    Some(s) if is_uuid(s) => {
                        let s = s.to_lowercase();
                        if !ids.contains(&s) {
                            ids.push(s);
                        }
                    }
                    _ => {
                        return Err(AwError::validation(
                            "teamIds",
                            "teamIds must be an array of uuids.",
                        ));
                    }
                }
            }
            ids
        }
        Some(_) => {
            return Err(AwError::validation(
                "teamIds",
                "teamIds must be an array of uuids.",
            ));
        }
    };
    match obj.get("bookedSeats") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()) => {}
        Some(_) => {
            return Err(AwError::validation(
                "bookedSeats",
                "bookedSeats must be an int32.",
            ));
        }
    }
    if let Some(g) = &profile.gender
        && !["male", "female", "other"].contains(&g.as_str())
    {
        return Err(AwError::validation(
            "gender",
            "gender must be one of male, female, other.",
        ));
    }
    match flow.as_deref() {
        None | Some("invite") => {}
        Some("new_user_new_workspace" | "existing_user_new_workspace") => {
            return Err(AwError::bad(
                "invitation-flow-not-supported",
                "This invitation flow creates a new workspace, which the sandbox does not emulate. Use 'invite' (or omit invitationFlow) with the sandbox workspaceId.",
            ));
        }
        Some(other) => {
            return Err(AwError::validation(
                "invitationFlow",
                format!(
                    "'{other}' is not a valid invitation flow (invite, new_user_new_workspace, existing_user_new_workspace)."
                ),
            ));
        }
    }
    let Some(workspace_id) = workspace_id else {
        // On the real API an invitation without `workspaceId` CREATES A
        // NEW WORKSPACE for the invitee (docs/vendors/awork.md, Traps,
        // trap-invite-without-workspace-creates-one).
        // The sandbox refuses it so the mistake shows up in tests.
        return Err(AwError::bad(
            "workspace-id-required",
            "workspaceId is missing. On the real awork API an invitation without workspaceId creates a NEW workspace; the sandbox refuses it. Send the workspace id from GET /me.",
        ));
    };
    if workspace_id != s.cfg.workspace_id {
        return Err(AwError::not_found("workspace", &workspace_id));
    }
    let Some(email) = email.filter(|e| !e.trim().is_empty()) else {
        return Err(AwError::validation("email", "email is required."));
    };
    if !looks_like_email(&email) {
        return Err(AwError::validation(
            "email",
            format!("'{email}' is not a valid email address."),
        ));
    }
    let mut store = s.store.lock();
    let role_id = role_id.unwrap_or_else(|| s.cfg.role_id.clone());
    if !store.roles.iter().any(|r| r.id == role_id) {
        return Err(AwError::not_found("role", &role_id));
    }
    if let Some(missing) = team_ids.iter().find(|t| team_model(t).is_none()) {
        return Err(AwError::not_found("team", missing));
    }
    if store.has_live_email(&email) {
        // The answer for an email already in the workspace is not in
        // the spec (POST /invitations declares only 200; docs/vendors/awork.md,
        // open question oq-duplicate-invite-answer). The sandbox answers 400 with this code.
        return Err(AwError::bad(
            "user-already-in-workspace",
            "A user with this email address is already a member of the workspace.",
        )
        .with_details(vec![format!(
            "The email '{}' is already in use in this workspace.",
            email.trim()
        )]));
    }
    let t = now();
    let code = opaque_code(16);
    let reset = opaque_code(16);
    let version = store.bump();
    let user = User {
        team_ids,
        invitation: Some(Invitation {
            code: code.clone(),
            expires_at: t + INVITATION_TTL,
        }),
        ..User::new(&email, profile, role_id, &s.cfg.admin_user_id, version, t)
    };
    let user_id = user.id.clone();
    store.users.push(user);
    let workspace = s.workspace_json(&store);
    drop(store);
    if skip_email {
        s.shared.record_invitation(Surface::Awork, email.trim());
    } else {
        s.shared
            .record_invitation_email(Surface::Awork, email.trim());
    }
    Ok(axum::Json(json!({
        "invitationCode": code,
        "passwordResetCode": reset,
        "userId": user_id,
        "workspace": workspace,
    }))
    .into_response())
}

pub(super) async fn accept_code(State(s): S, body: Bytes) -> AwResult {
    let obj = body_object(&body)?;
    reject_unknown(&obj, &["invitationCode", "referralCode"])?;
    opt_string(&obj, "referralCode", None)?;
    let Some(code) = opt_string(&obj, "invitationCode", None)? else {
        return Err(AwError::validation(
            "invitationCode",
            "invitationCode is required.",
        ));
    };
    let mut store = s.store.lock();
    let t = now();
    let version = store.bump();
    let user = store
        .users
        .iter_mut()
        .find(|u| u.deleted_on.is_none() && u.invitation.as_ref().is_some_and(|i| i.code == code))
        .ok_or_else(|| {
            AwError::bad(
                "invalid-invitation-code",
                "The invitation code is invalid or has already been used.",
            )
        })?;
    if user.invitation.as_ref().is_some_and(|i| i.expires_at <= t) {
        return Err(AwError::bad(
            "invitation-expired",
            "The invitation code has expired (codes are valid for 24 hours).",
        ));
    }
    user.invitation = None;
    user.invitation_accepted = true;
    user.updated_on = t;
    user.resource_version = version;
    Ok(StatusCode::OK.into_response())
}

pub(super) async fn list_users(State(s): S, RawQuery(q): RawQuery) -> AwResult {
    let pairs = query_pairs(q.as_deref());
    let page = Page::parse(&pairs)?;
    let show_archived = bool_param(&pairs, "showArchived")?;
    let (filter, order) = filter_and_order(&pairs, USER_FIELDS, USER_ORDER_FIELDS)?;
    let store = s.store.lock();
    let mut users: Vec<&User> = store
        .users
        .iter()
        .filter(|u| u.deleted_on.is_none())
        .filter(|u| show_archived || !u.is_archived)
        .filter(|u| {
            filter.iter().all(|(f, v)| {
                let field = match f.as_str() {
                    "firstName" => &u.profile.first_name,
                    _ => &u.profile.last_name,
                };
                field.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(v))
            })
        })
        .collect();
    if let Some((field, desc)) = &order {
        users.sort_by(|a, b| {
            let key = |u: &User| match field.as_str() {
                "firstName" => (
                    u.profile
                        .first_name
                        .clone()
                        .unwrap_or_default()
                        .to_lowercase(),
                    0,
                ),
                "lastName" => (
                    u.profile
                        .last_name
                        .clone()
                        .unwrap_or_default()
                        .to_lowercase(),
                    0,
                ),
                "updatedOn" => (String::new(), u.updated_on.unix_timestamp_nanos()),
                _ => (String::new(), u.created_on.unix_timestamp_nanos()),
            };
            key(a).cmp(&key(b))
        });
        if *desc {
            users.reverse();
        }
    }
    let out: Vec<Value> = page.of(users).map(User::json).collect();
    Ok(axum::Json(Value::Array(out)).into_response())
}

pub(super) async fn get_user(State(s): S, Path(user_id): Path<String>) -> AwResult {
    let store = s.store.lock();
    Ok(axum::Json(store.live_user(&user_id)?.json()).into_response())
}

pub(super) async fn put_user(State(s): S, Path(user_id): Path<String>, body: Bytes) -> AwResult {
    let obj = body_object(&body)?;
    reject_unknown(
        &obj,
        &[
            "firstName",
            "lastName",
            "birthDate",
            "gender",
            "title",
            "position",
            "language",
        ],
    )?;
    let birth_date = opt_string(&obj, "birthDate", None)?;
    if let Some(b) = &birth_date
        && time::OffsetDateTime::parse(b, &time::format_description::well_known::Rfc3339).is_err()
    {
        return Err(AwError::validation(
            "birthDate",
            format!("'{b}' is not a valid date-time."),
        ));
    }
    // PUT replaces every UserForm field: an absent field becomes null.
    let profile = Profile {
        first_name: opt_string(&obj, "firstName", Some(1000))?,
        last_name: opt_string(&obj, "lastName", Some(1000))?,
        birth_date,
        gender: opt_string(&obj, "gender", Some(25))?,
        title: opt_string(&obj, "title", Some(100))?,
        position: opt_string(&obj, "position", Some(1000))?,
        language: opt_string(&obj, "language", Some(25))?,
    };
    let mut store = s.store.lock();
    let idx = store.live_user_index(&user_id)?;
    let version = store.bump();
    let user = store
        .users
        .get_mut(idx)
        .ok_or_else(|| AwError::not_found("user", &user_id))?;
    user.profile = profile;
    user.updated_on = now();
    user.updated_by = s.cfg.admin_user_id.clone();
    user.resource_version = version;
    Ok(axum::Json(user.json()).into_response())
}

pub(super) async fn delete_user(State(s): S, Path(user_id): Path<String>) -> AwResult {
    let mut store = s.store.lock();
    let idx = store.live_user_index(&user_id)?;
    store.keep_an_admin(idx, "deleted")?;
    let version = store.bump();
    if let Some(u) = store.users.get_mut(idx) {
        let t = now();
        u.deleted_on = Some(t);
        u.updated_on = t;
        u.invitation = None;
        u.resource_version = version;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn set_active(s: &Awork, user_id: &str, active: bool) -> AwResult {
    let mut store = s.store.lock();
    let idx = store.live_user_index(user_id)?;
    if !active {
        store.keep_an_admin(idx, "deactivated")?;
    }
    let version = store.bump();
    let Some(u) = store.users.get_mut(idx) else {
        return Err(AwError::not_found("user", user_id));
    };
    let changed = u.is_deactivated == active;
    if changed {
        let t = now();
        u.is_deactivated = !active;
        u.deactivated_on = if active { None } else { Some(t) };
        u.updated_on = t;
        u.resource_version = version;
    }
    let email = u.email.clone();
    drop(store);
    if active && changed {
        // "The user is then allowed to sign in again and will be
        // notified via email."
        s.shared.record_email(Surface::Awork, &email, "activation");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(super) async fn me(State(s): S) -> AwResult {
    let store = s.store.lock();
    let admin = store.live_user(&s.cfg.admin_user_id)?;
    let mut v = admin.json();
    if let Value::Object(m) = &mut v {
        m.insert(
            "accountId".into(),
            Value::from(uuid_for(&s.cfg.admin_user_id)),
        );
        m.insert(
            "workspace".into(),
            json!({
                "id": s.cfg.workspace_id,
                "name": "Sandbox Workspace",
                "url": "https://sandbox.awork.com",
            }),
        );
    }
    Ok(axum::Json(v).into_response())
}

pub(super) async fn roles(State(s): S, RawQuery(q): RawQuery) -> AwResult {
    let pairs = query_pairs(q.as_deref());
    let show_archived = bool_param(&pairs, "showArchived")?;
    let store = s.store.lock();
    let created = iso_millis(store.created_on);
    let out: Vec<Value> = store
        .roles
        .iter()
        // The seeded "Guest" role is archived.
        .filter(|r| show_archived || !r.is_guest)
        .map(|r| {
            json!({
                "name": r.name,
                "isAdminRole": r.is_admin,
                "isGuestRole": r.is_guest,
                "id": r.id,
                "isPreset": true,
                "isArchived": r.is_guest,
                "createdBy": s.cfg.admin_user_id,
                "createdOn": created,
                "updatedBy": s.cfg.admin_user_id,
                "updatedOn": created,
            })
        })
        .collect();
    Ok(axum::Json(Value::Array(out)).into_response())
}

pub(super) async fn teams(State(s): S, RawQuery(q): RawQuery) -> AwResult {
    let pairs = query_pairs(q.as_deref());
    let page = Page::parse(&pairs)?;
    let include_users = bool_param(&pairs, "includeUserIds")?;
    let include_projects = bool_param(&pairs, "includeProjectIds")?;
    let (filter, order) = filter_and_order(&pairs, &["name"], &["name"])?;
    let store = s.store.lock();
    let created = iso_millis(store.created_on);
    let mut teams: Vec<&(&str, &str, &str, &str)> = TEAMS
        .iter()
        .filter(|t| filter.iter().all(|(_, v)| t.1.eq_ignore_ascii_case(v)))
        .collect();
    if let Some((_, desc)) = order {
        teams.sort_by_key(|t| t.1.to_lowercase());
        if desc {
            teams.reverse();
        }
    }
    let out: Vec<Value> = page
        .of(teams)
        .map(|(id, name, icon, color)| {
            let mut v = json!({
                "name": name,
                "icon": icon,
                "color": color,
                "id": id,
                "createdOn": created,
                "createdBy": s.cfg.admin_user_id,
                "updatedOn": created,
                "updatedBy": s.cfg.admin_user_id,
            });
            // `userIds` and `projectIds` are nullable: null unless asked for.
            if let Value::Object(m) = &mut v {
                let user_ids = include_users.then(|| {
                    store
                        .users
                        .iter()
                        .filter(|u| u.deleted_on.is_none() && u.team_ids.iter().any(|t| t == id))
                        .map(|u| u.id.as_str())
                        .collect::<Vec<_>>()
                });
                m.insert("userIds".into(), json!(user_ids));
                m.insert(
                    "projectIds".into(),
                    json!(include_projects.then(Vec::<String>::new)),
                );
            }
            v
        })
        .collect();
    Ok(axum::Json(Value::Array(out)).into_response())
}

/// `GET /users/{user_id}`; `GET /users/me` is the key's owner, as `GET /me`.
pub(super) async fn user_get(state: S, Path(user_id): Path<String>) -> AwResult {
    if user_id == "me" {
        return me(state).await;
    }
    get_user(state, Path(user_id)).await
}

pub(super) async fn deactivate(State(s): S, Path(user_id): Path<String>) -> AwResult {
    set_active(&s, &user_id, false)
}

pub(super) async fn activate(State(s): S, Path(user_id): Path<String>) -> AwResult {
    set_active(&s, &user_id, true)
}
