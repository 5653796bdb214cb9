//! Webflow Data API v2: sites, tokens, access groups and site users ("User Accounts").
//!
//! Routes (base `/v2`): `GET /sites`, `GET /token/authorized_by`, `GET /token/introspect`,
//! `GET /sites/{site_id}/accessgroups`, `GET /sites/{site_id}/users`,
//! `POST /sites/{site_id}/users/invite`, `GET`/`PATCH`/`DELETE /sites/{site_id}/users/{user_id}`.
//!
//! Errors use Webflow's body `{code, message, externalReference, details}`. Users are
//! rendered with the final SDK's nested `data.data` object. The "retired" switch makes every
//! users and access-groups route answer 403 `users_not_enabled`, as the feature was disabled
//! on all sites on 2026-01-29.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{MatchedPath, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::common::{
    AdminError, Problem, Shared, Surface, SurfaceModule, bearer_token, lock, new_object_id,
    now_rfc3339, query_pairs, random_hex, segment_after,
};

/// Message of the 403 answered while the feature is retired.
pub const RETIRED_MESSAGE: &str = "User Accounts are not enabled for this site: Webflow disabled User Accounts on all sites on January 29, 2026";

const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 10;

/// A framework [`Problem`] in the Data API's error shape, shared by every Webflow `/v2`
/// surface (site users, workspace members and site access). `too_many` is the 429 message:
/// the site-users reference spells it "Too many requests", the rate-limit page (which the
/// workspace surface follows) "Too Many Requests".
pub(crate) fn problem_response(problem: Problem, too_many: &str) -> Response {
    match problem {
        Problem::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "not_authorized",
            "Request not authorized",
        ),
        Problem::TooManyRequests => {
            error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", too_many)
        }
        Problem::ServerError(status) => {
            error(status, "internal_error", "An Internal Error occurred")
        }
        Problem::RouteNotFound => error(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "Requested resource not found: The route cannot be found",
        ),
    }
}

/// A Webflow error response: `{code, message, externalReference, details}`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "code": code,
            "message": message,
            "externalReference": Value::Null,
            "details": [],
        })),
    )
        .into_response()
}

fn validation(message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "validation_error",
        &format!("Validation Error: {message}"),
    )
}

fn site_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "resource_not_found",
        "Requested resource not found: The site cannot be found",
    )
}

fn user_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "user_not_found",
        "Requested resource not found: The user cannot be found",
    )
}

#[derive(Clone, Debug)]
struct AccessGroup {
    id: String,
    name: String,
    short_id: String,
    slug: String,
    created_on: String,
}

impl AccessGroup {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "shortId": self.short_id,
            "slug": self.slug,
            "createdOn": self.created_on,
        })
    }
}

#[derive(Clone, Debug)]
struct User {
    id: String,
    email: String,
    status: String,
    created_on: String,
    invited_on: Option<String>,
    last_updated: String,
    last_login: Option<String>,
    /// `(slug, type)` pairs.
    access_groups: Vec<(String, String)>,
    /// `data.data` without `email`.
    data: Map<String, Value>,
}

impl User {
    fn to_json(&self) -> Value {
        let mut data = self.data.clone();
        data.insert("email".into(), Value::String(self.email.clone()));
        json!({
            "id": self.id,
            "isEmailVerified": self.status == "verified",
            "lastUpdated": self.last_updated,
            "invitedOn": self.invited_on,
            "createdOn": self.created_on,
            "lastLogin": self.last_login,
            "status": self.status,
            "accessGroups": self.access_groups.iter()
                .map(|(slug, ty)| json!({ "slug": slug, "type": ty }))
                .collect::<Vec<_>>(),
            "data": { "data": data },
        })
    }
}

#[derive(Clone, Debug)]
struct Site {
    id: String,
    display_name: String,
    short_name: String,
    created_on: String,
    user_limit: Option<usize>,
    access_groups: Vec<AccessGroup>,
    users: Vec<User>,
}

impl Site {
    fn to_json(&self, workspace_id: &str) -> Value {
        json!({
            "id": self.id,
            "workspaceId": workspace_id,
            "createdOn": self.created_on,
            "displayName": self.display_name,
            "shortName": self.short_name,
            "lastPublished": self.created_on,
            "lastUpdated": self.created_on,
            "previewUrl": format!("https://screenshots.webflow.com/sites/{}/preview.png", self.id),
            "timeZone": "Europe/Berlin",
            "parentFolderId": Value::Null,
            "customDomains": [],
            "locales": {
                "primary": {
                    "id": self.id, "cmsLocaleId": self.id, "enabled": true,
                    "displayName": "English (United States)", "redirect": false,
                    "subdirectory": "", "tag": "en-US"
                },
                "secondary": []
            },
            "dataCollectionEnabled": true,
            "dataCollectionType": "always",
        })
    }

    fn group(&self, slug: &str) -> Option<&AccessGroup> {
        self.access_groups.iter().find(|g| g.slug == slug)
    }
}

#[derive(Default)]
struct WfState {
    retired: bool,
    sites: Vec<Site>,
}

impl WfState {
    fn site_mut(&mut self, id: &str) -> Option<&mut Site> {
        self.sites.iter_mut().find(|s| s.id == id)
    }
    fn site(&self, id: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == id)
    }
}

/// The Webflow Data API site-users surface.
pub struct WebflowData {
    shared: Shared,
    state: Mutex<WfState>,
    authorized_user_id: String,
    token_id: String,
    app_id: String,
    started: String,
}

type Module = Arc<WebflowData>;

impl WebflowData {
    /// A new, empty surface (the registry seeds it with [`SurfaceModule::reset`]).
    pub fn new(shared: Shared) -> Arc<Self> {
        Arc::new(WebflowData {
            shared,
            state: Mutex::new(WfState::default()),
            authorized_user_id: new_object_id(),
            token_id: new_object_id(),
            app_id: new_object_id(),
            started: now_rfc3339(),
        })
    }

    fn workspace_id(&self) -> &str {
        &self.shared.config().webflow_workspace_id
    }

    fn new_group(slug: &str, name: &str) -> AccessGroup {
        AccessGroup {
            id: new_object_id(),
            name: name.to_owned(),
            short_id: random_hex(8),
            slug: slug.to_owned(),
            created_on: now_rfc3339(),
        }
    }

    fn seed_site(&self, v: Option<&Value>, main: bool) -> Result<Site, String> {
        let cfg = self.shared.config();
        let empty = Map::new();
        let obj = match v {
            Some(Value::Object(o)) => o,
            Some(_) => return Err("a site must be an object".into()),
            None => &empty,
        };
        let str_field = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
        let id = if main {
            cfg.webflow_site_id.clone()
        } else {
            str_field("id").ok_or("extra sites need an `id`")?
        };
        let display_name = str_field("displayName").unwrap_or_else(|| {
            if main {
                "Sandbox Site".into()
            } else {
                format!("Site {id}")
            }
        });
        let short_name =
            str_field("shortName").unwrap_or_else(|| display_name.to_lowercase().replace(' ', "-"));
        let user_limit = match obj.get("userLimit") {
            Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or("`userLimit` must be a non-negative integer or null")?,
            ),
            None => cfg.webflow_user_limit,
        };
        let access_groups = match obj.get("accessGroups") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|g| {
                    let (slug, name) = match g {
                        Value::String(s) => (s.clone(), s.clone()),
                        Value::Object(o) => {
                            let slug = o
                                .get("slug")
                                .and_then(Value::as_str)
                                .ok_or("access group without `slug`")?;
                            let name = o.get("name").and_then(Value::as_str).unwrap_or(slug);
                            (slug.to_owned(), name.to_owned())
                        }
                        _ => return Err("access groups must be strings or objects".to_owned()),
                    };
                    Ok(Self::new_group(&slug, &name))
                })
                .collect::<Result<Vec<_>, String>>()?,
            Some(_) => return Err("`accessGroups` must be an array".into()),
            None => vec![
                Self::new_group("webflowers", "Webflowers"),
                Self::new_group("premium-members", "Premium Members"),
            ],
        };
        let mut site = Site {
            id,
            display_name,
            short_name,
            created_on: self.started.clone(),
            user_limit,
            access_groups,
            users: Vec::new(),
        };
        if let Some(users) = obj.get("users") {
            let users = users.as_array().ok_or("`users` must be an array")?;
            for u in users {
                let user = seed_user(&site, u)?;
                if site
                    .users
                    .iter()
                    .any(|x| x.email.eq_ignore_ascii_case(&user.email))
                {
                    return Err(format!("duplicate seeded user {}", user.email));
                }
                site.users.push(user);
            }
        }
        Ok(site)
    }
}

fn seed_user(site: &Site, v: &Value) -> Result<User, String> {
    let o = v.as_object().ok_or("a user must be an object")?;
    let email = o
        .get("email")
        .and_then(Value::as_str)
        .ok_or("a user needs an `email`")?
        .to_owned();
    let status = o
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("verified");
    if !matches!(status, "invited" | "verified" | "unverified") {
        return Err(format!("unknown user status `{status}`"));
    }
    let mut data = match o.get("data") {
        Some(Value::Object(d)) => match d.get("data") {
            Some(Value::Object(inner)) => inner.clone(),
            _ => d.clone(),
        },
        Some(_) => return Err("`data` must be an object".into()),
        None => Map::new(),
    };
    data.remove("email");
    if let Some(name) = o.get("name").and_then(Value::as_str) {
        data.insert("name".into(), Value::String(name.to_owned()));
    }
    let access_groups = match o.get("accessGroups") {
        Some(v) => parse_group_refs(site, v)?,
        None => Vec::new(),
    };
    let now = now_rfc3339();
    let created = o
        .get("createdOn")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| now.clone());
    Ok(User {
        id: o
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(new_object_id),
        email,
        status: status.to_owned(),
        created_on: created.clone(),
        invited_on: Some(created.clone()),
        last_updated: created,
        last_login: (status == "verified").then_some(now),
        access_groups,
        data,
    })
}

/// Parses `accessGroups` given as slug strings or `{slug, type}` objects.
fn parse_group_refs(site: &Site, v: &Value) -> Result<Vec<(String, String)>, String> {
    let items = v
        .as_array()
        .ok_or("accessGroups must be an array of access group slugs")?;
    let mut out: Vec<(String, String)> = Vec::with_capacity(items.len());
    for item in items {
        let (slug, ty) = match item {
            Value::String(s) => (s.as_str(), "admin"),
            Value::Object(o) => {
                let slug = o
                    .get("slug")
                    .and_then(Value::as_str)
                    .ok_or("each access group needs a `slug`")?;
                let ty = match o.get("type") {
                    None | Some(Value::Null) => "admin",
                    Some(Value::String(t)) if t == "admin" || t == "ecommerce" => t.as_str(),
                    Some(_) => return Err("access group `type` must be admin or ecommerce".into()),
                };
                (slug, ty)
            }
            _ => return Err("accessGroups must be an array of access group slugs".into()),
        };
        if site.group(slug).is_none() {
            return Err(format!("Access group `{slug}` does not exist on this site"));
        }
        if !out.iter().any(|(s, _)| s == slug) {
            out.push((slug.to_owned(), ty.to_owned()));
        }
    }
    Ok(out)
}

fn valid_email(email: &str) -> bool {
    email_address::EmailAddress::is_valid(email)
        && email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.contains('.') && !domain.ends_with('.'))
}

struct Paging {
    offset: usize,
    limit: usize,
    sort: Option<String>,
}

fn paging(uri: &Uri, sorts: &[&str]) -> Result<Paging, Response> {
    let mut p = Paging {
        offset: 0,
        limit: DEFAULT_LIMIT,
        sort: None,
    };
    for (k, v) in query_pairs(uri) {
        match k.as_str() {
            "offset" => {
                p.offset = v
                    .parse()
                    .map_err(|_| validation("offset must be a non-negative integer"))?
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| validation("limit must be an integer between 1 and 100"))?;
                if n == 0 || n > MAX_LIMIT {
                    return Err(validation("limit must be an integer between 1 and 100"));
                }
                p.limit = n;
            }
            "sort" => {
                if !sorts.contains(&v.as_str()) {
                    return Err(validation(&format!(
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

fn path1(p: Result<Path<String>, PathRejection>) -> Result<String, Response> {
    p.map(|Path(s)| s)
        .map_err(|_| validation("Provided ID is invalid"))
}

fn path2(p: Result<Path<(String, String)>, PathRejection>) -> Result<(String, String), Response> {
    p.map(|Path(s)| s)
        .map_err(|_| validation("Provided ID is invalid"))
}

fn bad_json() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Bad Request: Request is malformed",
    )
}

async fn list_sites(State(m): State<Module>) -> Response {
    let st = lock(&m.state);
    let sites: Vec<Value> = st
        .sites
        .iter()
        .map(|s| s.to_json(m.workspace_id()))
        .collect();
    axum::Json(json!({ "sites": sites })).into_response()
}

async fn authorized_by(State(m): State<Module>) -> Response {
    axum::Json(json!({
        "id": m.authorized_user_id,
        "email": "sandbox-owner@example.com",
        "firstName": "Sandbox",
        "lastName": "Owner",
    }))
    .into_response()
}

async fn introspect(State(m): State<Module>) -> Response {
    let cfg = m.shared.config();
    let site_ids: Vec<String> = lock(&m.state).sites.iter().map(|s| s.id.clone()).collect();
    let rate = m.shared.rate_limit(Surface::WebflowData);
    axum::Json(json!({
        "authorization": {
            "id": m.token_id,
            "createdOn": m.started,
            "lastUsed": now_rfc3339(),
            "grantType": "authorization_code",
            "rateLimit": rate.limit,
            "scope": cfg.webflow_token_scopes.join(","),
            "authorizedTo": {
                "siteIds": site_ids,
                "workspaceIds": [cfg.webflow_workspace_id],
                "userIds": [m.authorized_user_id],
            }
        },
        "application": {
            "id": m.app_id,
            "description": "invite-sandbox emulated Data Client app",
            "homepage": "https://example.invalid/invite-sandbox",
            "displayName": "invite sandbox",
        }
    }))
    .into_response()
}

async fn list_access_groups(
    State(m): State<Module>,
    uri: Uri,
    site: Result<Path<String>, PathRejection>,
) -> Response {
    let site_id = match path1(site) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = match paging(&uri, &["CreatedOn", "-CreatedOn"]) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = lock(&m.state);
    let Some(site) = st.site(&site_id) else {
        return site_not_found();
    };
    let mut groups: Vec<&AccessGroup> = site.access_groups.iter().collect();
    if p.sort.as_deref() == Some("-CreatedOn") {
        groups.reverse();
    }
    let page: Vec<Value> = groups
        .iter()
        .skip(p.offset)
        .take(p.limit)
        .map(|g| g.to_json())
        .collect();
    axum::Json(json!({
        "count": page.len(),
        "limit": p.limit,
        "offset": p.offset,
        "total": groups.len(),
        "accessGroups": page,
    }))
    .into_response()
}

fn status_rank(s: &str) -> u8 {
    match s {
        "invited" => 0,
        "unverified" => 1,
        _ => 2,
    }
}

async fn list_users(
    State(m): State<Module>,
    uri: Uri,
    site: Result<Path<String>, PathRejection>,
) -> Response {
    let site_id = match path1(site) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = match paging(&uri, USER_SORTS) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = lock(&m.state);
    let Some(site) = st.site(&site_id) else {
        return site_not_found();
    };
    let total = site.users.len();
    let page: Vec<Value> = match p.sort.as_deref() {
        None | Some("CreatedOn") => site
            .users
            .iter()
            .skip(p.offset)
            .take(p.limit)
            .map(User::to_json)
            .collect(),
        Some("-CreatedOn") => site
            .users
            .iter()
            .rev()
            .skip(p.offset)
            .take(p.limit)
            .map(User::to_json)
            .collect(),
        Some(sort) => {
            let (desc, key) = match sort.strip_prefix('-') {
                Some(k) => (true, k),
                None => (false, sort),
            };
            let mut users: Vec<&User> = site.users.iter().collect();
            users.sort_by(|a, b| {
                let ord = match key {
                    "Email" => a.email.to_lowercase().cmp(&b.email.to_lowercase()),
                    "Status" => status_rank(&a.status).cmp(&status_rank(&b.status)),
                    "LastLogin" => a.last_login.cmp(&b.last_login),
                    _ => a.last_updated.cmp(&b.last_updated),
                };
                if desc { ord.reverse() } else { ord }
            });
            users
                .into_iter()
                .skip(p.offset)
                .take(p.limit)
                .map(User::to_json)
                .collect()
        }
    };
    axum::Json(json!({
        "count": page.len(),
        "limit": p.limit,
        "offset": p.offset,
        "total": total,
        "users": page,
    }))
    .into_response()
}

async fn invite(
    State(m): State<Module>,
    site: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Response {
    let site_id = match path1(site) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return bad_json();
    };
    let Some(req) = req.as_object() else {
        return bad_json();
    };
    let user = {
        let mut st = lock(&m.state);
        let Some(site) = st.site_mut(&site_id) else {
            return site_not_found();
        };
        let email = match req.get("email") {
            Some(Value::String(e)) => e.trim().to_owned(),
            Some(_) => return validation("email must be a string"),
            None => return validation("email is required"),
        };
        if !valid_email(&email) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_user_email",
                &format!("Invalid user email: `{email}` is not a valid email address"),
            );
        }
        let groups = match req.get("accessGroups") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => match parse_group_refs(site, v) {
                Ok(g) => g,
                Err(msg) => return validation(&msg),
            },
        };
        if site
            .users
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(&email))
        {
            return error(
                StatusCode::CONFLICT,
                "duplicate_user_email",
                "Conflict: A user with this email already exists on this site",
            );
        }
        if site.user_limit.is_some_and(|l| site.users.len() >= l) {
            return error(
                StatusCode::CONFLICT,
                "user_limit_reached",
                "Conflict: The site has reached its user limit",
            );
        }
        let now = now_rfc3339();
        let user = User {
            id: new_object_id(),
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
    m.shared
        .record_invitation(Surface::WebflowData, &user.email);
    m.shared
        .record_email(Surface::WebflowData, &user.email, "invitation");
    axum::Json(user.to_json()).into_response()
}

async fn get_user(
    State(m): State<Module>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (site_id, user_id) = match path2(ids) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let st = lock(&m.state);
    let Some(site) = st.site(&site_id) else {
        return site_not_found();
    };
    match site.users.iter().find(|u| u.id == user_id) {
        Some(u) => axum::Json(u.to_json()).into_response(),
        None => user_not_found(),
    }
}

async fn update_user(
    State(m): State<Module>,
    ids: Result<Path<(String, String)>, PathRejection>,
    body: Bytes,
) -> Response {
    let (site_id, user_id) = match path2(ids) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let req: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => return bad_json(),
        }
    };
    let Some(req) = req.as_object() else {
        return bad_json();
    };
    let mut st = lock(&m.state);
    let Some(site) = st.site_mut(&site_id) else {
        return site_not_found();
    };
    let Some(idx) = site.users.iter().position(|u| u.id == user_id) else {
        return user_not_found();
    };
    let current_email = site.users[idx].email.clone();
    let email_changes = |v: Option<&Value>| match v {
        None | Some(Value::Null) => false,
        Some(Value::String(e)) => !e.trim().eq_ignore_ascii_case(&current_email),
        Some(_) => true,
    };
    if req.contains_key("password") {
        return validation("password cannot be changed through this endpoint");
    }
    if email_changes(req.get("email")) {
        return validation("email cannot be changed through this endpoint");
    }
    let fields = match req.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(d)) => match d.get("data") {
            Some(Value::Object(inner)) => Some(inner.clone()),
            Some(Value::Null) | None => Some(d.clone()),
            Some(_) => return validation("data.data must be an object"),
        },
        Some(_) => return validation("data must be an object"),
    };
    if let Some(f) = &fields {
        if f.contains_key("password") {
            return validation("password cannot be changed through this endpoint");
        }
        if email_changes(f.get("email")) {
            return validation("email cannot be changed through this endpoint");
        }
    }
    let groups = match req.get("accessGroups") {
        None | Some(Value::Null) => None,
        Some(v) => match parse_group_refs(site, v) {
            Ok(g) => Some(g),
            Err(msg) => return validation(&msg),
        },
    };
    let Some(user) = site.users.get_mut(idx) else {
        return user_not_found();
    };
    if let Some(f) = fields {
        for (k, v) in f {
            if k == "email" {
                continue;
            }
            if v.is_null() {
                user.data.remove(&k);
            } else {
                user.data.insert(k, v);
            }
        }
    }
    if let Some(g) = groups {
        user.access_groups = g;
    }
    user.last_updated = now_rfc3339();
    axum::Json(user.to_json()).into_response()
}

async fn delete_user(
    State(m): State<Module>,
    ids: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let (site_id, user_id) = match path2(ids) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut st = lock(&m.state);
    let Some(site) = st.site_mut(&site_id) else {
        return site_not_found();
    };
    let before = site.users.len();
    site.users.retain(|u| u.id != user_id);
    if site.users.len() == before {
        return user_not_found();
    }
    StatusCode::OK.into_response()
}

fn required_scope(method: &str, template: &str) -> Option<&'static str> {
    if template.ends_with("/token/introspect") {
        return None;
    }
    if template.ends_with("/token/authorized_by") {
        return Some("authorized_user:read");
    }
    if template.contains("/users") || template.ends_with("/accessgroups") {
        return Some(if method == "GET" {
            "users:read"
        } else {
            "users:write"
        });
    }
    if template.starts_with("/v2/sites") {
        return Some(if method == "GET" {
            "sites:read"
        } else {
            "sites:write"
        });
    }
    None
}

impl SurfaceModule for WebflowData {
    fn surface(&self) -> Surface {
        Surface::WebflowData
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/v2"]
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v2/sites", get(list_sites))
            .route("/v2/token/authorized_by", get(authorized_by))
            .route("/v2/token/introspect", get(introspect))
            .route("/v2/sites/{site_id}/accessgroups", get(list_access_groups))
            .route("/v2/sites/{site_id}/users", get(list_users))
            .route("/v2/sites/{site_id}/users/invite", post(invite))
            .route(
                "/v2/sites/{site_id}/users/{user_id}",
                get(get_user).patch(update_user).delete(delete_user),
            )
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        let cfg = self.shared.config();
        let token = bearer_token(&parts.headers);
        if token != Some(cfg.webflow_api_token.as_str()) {
            return Err(self.problem(Problem::Unauthorized));
        }
        let template = parts
            .extensions
            .get::<MatchedPath>()
            .map_or(parts.uri.path(), MatchedPath::as_str);
        if let Some(scope) = required_scope(parts.method.as_str(), template)
            && !cfg.webflow_token_scopes.iter().any(|s| s == scope)
        {
            return Err(error(
                StatusCode::FORBIDDEN,
                "missing_scopes",
                &format!("OAuthForbidden: You are missing the following scopes - {scope}"),
            ));
        }
        let users_route = template.contains("/users") || template.ends_with("/accessgroups");
        if users_route && lock(&self.state).retired {
            return Err(error(
                StatusCode::FORBIDDEN,
                "users_not_enabled",
                RETIRED_MESSAGE,
            ));
        }
        Ok(match segment_after(parts.uri.path(), "sites") {
            Some(site) => format!("site:{site}"),
            None => format!("token:{}", cfg.webflow_api_token),
        })
    }

    fn problem(&self, problem: Problem) -> Response {
        problem_response(problem, "Too many requests")
    }

    fn snapshot(&self) -> Value {
        let st = lock(&self.state);
        json!({
            "retired": st.retired,
            "sites": st.sites.iter().map(|s| {
                let mut v = s.to_json(self.workspace_id());
                if let Some(o) = v.as_object_mut() {
                    o.insert("userLimit".into(), json!(s.user_limit));
                    o.insert("accessGroups".into(),
                        Value::Array(s.access_groups.iter().map(AccessGroup::to_json).collect()));
                    o.insert("users".into(),
                        Value::Array(s.users.iter().map(User::to_json).collect()));
                }
                v
            }).collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        let cfg = self.shared.config();
        let mut retired = cfg.webflow_retired;
        let mut main_seed = None;
        let mut extra = Vec::new();
        if let Some(seed) = seed {
            let o = seed.as_object().ok_or("must be an object")?;
            if let Some(r) = o.get("retired") {
                retired = r.as_bool().ok_or("`retired` must be a boolean")?;
            }
            if let Some(sites) = o.get("sites") {
                for s in sites.as_array().ok_or("`sites` must be an array")? {
                    match s.get("id").and_then(Value::as_str) {
                        None => main_seed = Some(s),
                        Some(id) if id == cfg.webflow_site_id => main_seed = Some(s),
                        Some(_) => extra.push(s),
                    }
                }
            }
        }
        let mut sites = vec![self.seed_site(main_seed, true)?];
        for s in extra {
            let site = self.seed_site(Some(s), false)?;
            if sites.iter().any(|x| x.id == site.id) {
                return Err(format!("duplicate site id {}", site.id));
            }
            sites.push(site);
        }
        *lock(&self.state) = WfState { retired, sites };
        Ok(())
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        match action {
            "retire" => {
                let retired = match body.get("retired") {
                    None => true,
                    Some(v) => v.as_bool().ok_or_else(|| {
                        AdminError::BadRequest("`retired` must be a boolean".into())
                    })?,
                };
                lock(&self.state).retired = retired;
                Ok(json!({ "retired": retired }))
            }
            "accept" => {
                let email = body
                    .get("email")
                    .and_then(Value::as_str)
                    .ok_or_else(|| AdminError::BadRequest("`email` is required".into()))?
                    .trim()
                    .to_owned();
                let mut st = lock(&self.state);
                let now = now_rfc3339();
                let mut accepted = Vec::new();
                for site in st.sites.iter_mut() {
                    for u in site.users.iter_mut() {
                        if u.email.eq_ignore_ascii_case(&email) && u.status != "verified" {
                            u.status = "verified".into();
                            u.last_updated = now.clone();
                            u.last_login = Some(now.clone());
                            accepted.push(u.to_json());
                        }
                    }
                }
                if accepted.is_empty() {
                    return Err(AdminError::NotFound(format!(
                        "no pending Webflow site user with email {email}"
                    )));
                }
                Ok(json!({ "accepted": accepted }))
            }
            other => Err(AdminError::Unsupported(format!(
                "surface webflow has no admin action `{other}` (use accept or retire)"
            ))),
        }
    }
}
