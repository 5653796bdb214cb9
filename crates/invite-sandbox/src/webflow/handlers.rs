//! The site-users routes. See docs/vendors/webflow-site.md.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::model::{parse_group_refs, valid_email};
use super::{AccessGroup, Module, Site, User};
use crate::clock::now_millis;
use crate::ids::object_id;
use crate::request::query_pairs;
use crate::surface::Surface;
use crate::webflow::error::{WfError, WfResult};

type S = State<Module>;

const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 10;

const USER_SORTS: &[&str] = &[
    "CreatedOn",
    "-CreatedOn",
    "Email",
    "-Email",
    "Status",
    "-Status",
    "LastLogin",
    "-LastLogin",
    "UpdatedOn",
    "-UpdatedOn",
];

fn user_not_found() -> WfError {
    WfError::new(
        StatusCode::NOT_FOUND,
        "user_not_found",
        "Requested resource not found: The user cannot be found",
    )
}

/// Where user `id` is on `site`, or 404 `user_not_found`.
fn user_index(site: &Site, id: &str) -> Result<usize, WfError> {
    site.users
        .iter()
        .position(|u| u.id == id)
        .ok_or_else(user_not_found)
}

fn bad_json() -> WfError {
    WfError::new(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Bad Request: Request is malformed",
    )
}

/// The ids of the path (the site id, or the site and user ids); ids that do not decode
/// answer 400.
pub(super) struct Ids<T>(T);

impl<T, S> FromRequestParts<S> for Ids<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = WfError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, WfError> {
        let Path(ids) = Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|_| WfError::validation("Provided ID is invalid"))?;
        Ok(Ids(ids))
    }
}

/// The request body as a JSON object (an empty body is `{}` when `empty_ok`).
fn body_object(body: &[u8], empty_ok: bool) -> Result<Map<String, Value>, WfError> {
    if empty_ok && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err(bad_json()),
    }
}

/// `offset`, `limit` (1..=100) and `sort` (one of `sorts`) from the query.
struct Paging {
    offset: usize,
    limit: usize,
    sort: Option<String>,
}

impl Paging {
    fn parse(query: Option<&str>, sorts: &[&str]) -> Result<Paging, WfError> {
        let mut p = Paging {
            offset: 0,
            limit: DEFAULT_LIMIT,
            sort: None,
        };
        for (k, v) in query_pairs(query) {
            match k.as_str() {
                "offset" => {
                    p.offset = v
                        .parse()
                        .map_err(|_| WfError::validation("offset must be a non-negative integer"))?
                }
                "limit" => {
                    p.limit = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            WfError::validation("limit must be an integer between 1 and 100")
                        })?;
                }
                "sort" => {
                    if !sorts.contains(&v.as_str()) {
                        return Err(WfError::validation(format!(
                            "sort must be one of: {}",
                            sorts.join(", ")
                        )));
                    }
                    p.sort = Some(v);
                }
                _ => {}
            }
        }
        Ok(p)
    }

    /// The page `{count, limit, offset, total, <key>: [...]}` of `items`.
    fn answer<'a, T: 'a>(
        &self,
        key: &str,
        items: impl ExactSizeIterator<Item = &'a T>,
        render: impl Fn(&T) -> Value,
    ) -> Response {
        let total = items.len();
        let page: Vec<Value> = items
            .skip(self.offset)
            .take(self.limit)
            .map(render)
            .collect();
        let mut body = json!({
            "count": page.len(),
            "limit": self.limit,
            "offset": self.offset,
            "total": total,
        });
        if let Some(o) = body.as_object_mut() {
            o.insert(key.to_owned(), Value::Array(page));
        }
        axum::Json(body).into_response()
    }
}

pub(super) async fn list_sites(State(s): S) -> WfResult {
    let st = s.state.lock();
    let sites: Vec<Value> = st
        .sites
        .iter()
        .map(|site| site.to_json(s.workspace_id()))
        .collect();
    Ok(axum::Json(json!({ "sites": sites })).into_response())
}

pub(super) async fn authorized_by(State(s): S) -> WfResult {
    Ok(axum::Json(json!({
        "id": s.authorized_user_id,
        "email": "sandbox-owner@example.com",
        "firstName": "Sandbox",
        "lastName": "Owner",
    }))
    .into_response())
}

pub(super) async fn introspect(State(s): S) -> WfResult {
    let cfg = s.shared.config();
    let site_ids: Vec<String> = s.state.lock().sites.iter().map(|s| s.id.clone()).collect();
    let rate = s.shared.rate_limit(Surface::WebflowData);
    Ok(axum::Json(json!({
        "authorization": {
            "id": s.token_id,
            "createdOn": s.started,
            "lastUsed": now_millis(),
            "grantType": "authorization_code",
            "rateLimit": rate.limit,
            "scope": cfg.webflow_token_scopes.join(","),
            "authorizedTo": {
                "siteIds": site_ids,
                "workspaceIds": [cfg.webflow_workspace_id],
                "userIds": [s.authorized_user_id],
            }
        },
        "application": {
            "id": s.app_id,
            "description": "invite-sandbox emulated Data Client app",
            "homepage": "https://example.invalid/invite-sandbox",
            "displayName": "invite sandbox",
        }
    }))
    .into_response())
}

pub(super) async fn list_access_groups(
    State(s): S,
    RawQuery(q): RawQuery,
    Ids(site_id): Ids<String>,
) -> WfResult {
    let p = Paging::parse(q.as_deref(), &["CreatedOn", "-CreatedOn"])?;
    let st = s.state.lock();
    let site = st.site(&site_id)?;
    let mut groups: Vec<&AccessGroup> = site.access_groups.iter().collect();
    if p.sort.as_deref() == Some("-CreatedOn") {
        groups.reverse();
    }
    Ok(p.answer("accessGroups", groups.into_iter(), AccessGroup::to_json))
}

fn status_rank(s: &str) -> u8 {
    match s {
        "invited" => 0,
        "unverified" => 1,
        _ => 2,
    }
}

pub(super) async fn list_users(State(s): S, q: RawQuery, Ids(site_id): Ids<String>) -> WfResult {
    let p = Paging::parse(q.0.as_deref(), USER_SORTS)?;
    let st = s.state.lock();
    let site = st.site(&site_id)?;
    let mut users: Vec<&User> = site.users.iter().collect();
    match p.sort.as_deref() {
        None | Some("CreatedOn") => {}
        Some("-CreatedOn") => users.reverse(),
        Some(sort) => {
            let (desc, key) = match sort.strip_prefix('-') {
                Some(k) => (true, k),
                None => (false, sort),
            };
            users.sort_by(|a, b| {
                let ord = match key {
                    "Email" => a.email.to_lowercase().cmp(&b.email.to_lowercase()),
                    "Status" => status_rank(&a.status).cmp(&status_rank(&b.status)),
                    "LastLogin" => a.last_login.cmp(&b.last_login),
                    _ => a.last_updated.cmp(&b.last_updated),
                };
                if desc { ord.reverse() } else { ord }
            });
        }
    }
    Ok(p.answer("users", users.into_iter(), User::to_json))
}

pub(super) async fn invite(State(s): S, Ids(site_id): Ids<String>, body: Bytes) -> WfResult {
    let req = body_object(&body, false)?;
    let user = {
        let mut st = s.state.lock();
        let site = st.site_mut(&site_id)?;
        let email = match req.get("email") {
            Some(Value::String(e)) => e.trim().to_owned(),
            Some(_) => return Err(WfError::validation("email must be a string")),
            None => return Err(WfError::validation("email is required")),
        };
        if !valid_email(&email) {
            return Err(WfError::new(
                StatusCode::BAD_REQUEST,
                "invalid_user_email",
                format!("Invalid user email: `{email}` is not a valid email address"),
            ));
        }
        let groups = match req.get("accessGroups") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => parse_group_refs(site, v).map_err(WfError::validation)?,
        };
        if site
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(&email))
        {
            return Err(WfError::new(
                StatusCode::CONFLICT,
                "duplicate_user_email",
                "Conflict: A user with this email already exists on this site",
            ));
        }
        if site.user_limit.is_some_and(|l| site.users.len() >= l) {
            return Err(WfError::new(
                StatusCode::CONFLICT,
                "user_limit_reached",
                "Conflict: The site has reached its user limit",
            ));
        }
        let now = now_millis();
        let user = User {
            id: object_id(),
            email,
            status: "invited".into(),
            created_on: now.clone(),
            invited_on: Some(now.clone()),
            last_updated: now,
            last_login: None,
            access_groups: groups,
            data: Map::new(),
        };
        site.users.push(user.clone());
        user
    };
    s.shared
        .record_invitation_email(Surface::WebflowData, &user.email);
    Ok(axum::Json(user.to_json()).into_response())
}

pub(super) async fn get_user(
    State(s): S,
    Ids((site_id, user_id)): Ids<(String, String)>,
) -> WfResult {
    let st = s.state.lock();
    let site = st.site(&site_id)?;
    let user = site
        .users
        .get(user_index(site, &user_id)?)
        .ok_or_else(user_not_found)?;
    Ok(axum::Json(user.to_json()).into_response())
}

pub(super) async fn update_user(
    State(s): S,
    Ids((site_id, user_id)): Ids<(String, String)>,
    body: Bytes,
) -> WfResult {
    let req = body_object(&body, true)?;
    let mut st = s.state.lock();
    let site = st.site_mut(&site_id)?;
    let idx = user_index(site, &user_id)?;
    let current_email = site
        .users
        .get(idx)
        .ok_or_else(user_not_found)?
        .email
        .clone();
    // Neither the password nor the email can change here, at the top level or in `data`.
    let refuse_identity_changes = |o: &Map<String, Value>| {
        if o.contains_key("password") {
            return Err(WfError::validation(
                "password cannot be changed through this endpoint",
            ));
        }
        let email_changes = match o.get("email") {
            None | Some(Value::Null) => false,
            Some(Value::String(e)) => !e.trim().eq_ignore_ascii_case(&current_email),
            Some(_) => true,
        };
        if email_changes {
            return Err(WfError::validation(
                "email cannot be changed through this endpoint",
            ));
        }
        Ok(())
    };
    refuse_identity_changes(&req)?;
    let fields = match req.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(d)) => match d.get("data") {
            Some(Value::Object(inner)) => Some(inner.clone()),
            Some(Value::Null) | None => Some(d.clone()),
            Some(_) => return Err(WfError::validation("data.data must be an object")),
        },
        Some(_) => return Err(WfError::validation("data must be an object")),
    };
    if let Some(f) = &fields {
        refuse_identity_changes(f)?;
    }
    let groups = match req.get("accessGroups") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_group_refs(site, v).map_err(WfError::validation)?),
    };
    let user = site.users.get_mut(idx).ok_or_else(user_not_found)?;
    for (k, v) in fields.into_iter().flatten() {
        if k == "email" {
            continue;
        }
        if v.is_null() {
            user.data.remove(&k);
        } else {
            user.data.insert(k, v);
        }
    }
    if let Some(g) = groups {
        user.access_groups = g;
    }
    user.last_updated = now_millis();
    Ok(axum::Json(user.to_json()).into_response())
}

pub(super) async fn delete_user(
    State(s): S,
    Ids((site_id, user_id)): Ids<(String, String)>,
) -> WfResult {
    let mut st = s.state.lock();
    let site = st.site_mut(&site_id)?;
    site.users.remove(user_index(site, &user_id)?);
    Ok(StatusCode::OK.into_response())
}
