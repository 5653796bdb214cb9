//! Flatfile v1 users & roles (vendor contracts, section 3).
//!
//! Routes (relative to the sandbox root; `FLATFILE_API_URL` is the root
//! without `/v1`):
//!
//! | method | path |
//! |---|---|
//! | `POST` | `/v1/users/invite` (needs `X-Disable-Hooks: true`) |
//! | `POST` | `/v1/users/{userId}/resend-invite` |
//! | `GET` | `/v1/users` (`email`, `search`, `sortField`, `sortDirection`, `pageSize`, `pageNumber`) |
//! | `GET` `PATCH` `DELETE` | `/v1/users/{userId}` |
//! | `GET` `POST` | `/v1/users/{userId}/roles` |
//! | `DELETE` | `/v1/users/{userId}/roles/{actorRoleId}` |
//! | `GET` | `/v1/roles` |
//! | `GET` | `/v1/accounts/current` |
//!
//! Every single object is wrapped in `{"data": …}`; errors use Flatfile's
//! `{"errors":[{"key"?, "message"}]}` shape.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::common::{AdminError, Problem, Shared, Surface, SurfaceModule, bearer_token, lock};
use crate::vendor_util::{
    self, BodyError, iso_millis, json_object, looks_like_email, norm_email, now, prefixed_id,
    query_pairs, seed_users,
};

/// The id of the second seeded role, "Guest Manager".
pub const GUEST_ROLE_ID: &str = "us_rol_guestmg1";

/// Identity provider Flatfile reports for invited users.
const IDP: &str = "FRONTEGG";

/// Ids and token of the emulated account, taken from the sandbox configuration.
#[derive(Debug, Clone)]
struct Config {
    /// The bearer token (secret key) the API accepts (`FLATFILE_API_KEY`).
    token: String,
    /// The account id (`FLATFILE_ACCOUNT_ID`), the resource of account-wide roles.
    account_id: String,
    /// The id of the seeded "Admin" role (`FLATFILE_ROLE_ID`).
    role_id: String,
    /// The account's default environment (derived from the account id).
    environment_id: String,
}

#[derive(Debug, Clone)]
struct ActorRole {
    id: String,
    role_id: String,
    actor_id: String,
    resource_id: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl ActorRole {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "roleId": self.role_id,
            "actorId": self.actor_id,
            "resourceId": self.resource_id,
            "createdAt": iso_millis(self.created_at),
            "updatedAt": iso_millis(self.updated_at),
        })
    }
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    name: String,
    idp_ref: String,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    last_seen_at: Option<OffsetDateTime>,
    dashboard: Option<i64>,
    roles: Vec<ActorRole>,
}

#[derive(Debug, Clone)]
struct Role {
    id: String,
    name: String,
    created_at: OffsetDateTime,
}

/// The in-memory state of the emulated account.
#[derive(Debug)]
struct Store {
    users: Vec<User>,
    roles: Vec<Role>,
    created_at: OffsetDateTime,
}

/// The Flatfile surface: configuration, users, roles.
pub struct Flatfile {
    shared: Shared,
    cfg: Config,
    store: Mutex<Store>,
}

impl std::fmt::Debug for Flatfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flatfile")
            .field("account_id", &self.cfg.account_id)
            .finish_non_exhaustive()
    }
}

/// A Flatfile error answer: status plus `{"errors":[{key?, message}]}`.
#[derive(Debug)]
struct FfError {
    status: StatusCode,
    key: Option<&'static str>,
    message: String,
}

impl FfError {
    fn new(status: StatusCode, key: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            status,
            key,
            message: message.into(),
        }
    }
    fn bad(key: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(key), message)
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, message)
    }
}

impl IntoResponse for FfError {
    fn into_response(self) -> Response {
        let mut e = Map::new();
        if let Some(k) = self.key {
            e.insert("key".to_owned(), Value::from(k));
        }
        e.insert("message".to_owned(), Value::from(self.message));
        (
            self.status,
            axum::Json(json!({ "errors": [Value::Object(e)] })),
        )
            .into_response()
    }
}

type FfResult = Result<Response, FfError>;

fn data(v: Value) -> Response {
    axum::Json(json!({ "data": v })).into_response()
}

fn success() -> Response {
    data(json!({ "success": true }))
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, FfError> {
    json_object(body, false).map_err(|e| match e {
        BodyError::Malformed(m) => FfError::bad("body", format!("Invalid JSON body: {m}")),
        BodyError::NotAnObject => FfError::bad("body", "The request body must be a JSON object"),
    })
}

fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), FfError> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        // UNCONFIRMED: Flatfile's validation of unexpected fields is not
        // documented; the sandbox refuses them so typos surface early.
        Some(k) => Err(FfError::bad("body", format!("Unexpected field \"{k}\""))),
        None => Ok(()),
    }
}

fn required_string(obj: &Map<String, Value>, field: &'static str) -> Result<String, FfError> {
    match obj.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(FfError::bad(field, format!("{field} must not be empty"))),
        Some(_) => Err(FfError::bad(field, format!("{field} must be a string"))),
        None => Err(FfError::bad(field, format!("{field} is required"))),
    }
}

impl User {
    fn to_json(&self, account_id: &str) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id.clone()));
        m.insert("email".into(), Value::from(self.email.clone()));
        m.insert("name".into(), Value::from(self.name.clone()));
        m.insert("accountId".into(), Value::from(account_id));
        m.insert("idp".into(), Value::from(IDP));
        m.insert("idpRef".into(), Value::from(self.idp_ref.clone()));
        m.insert("metadata".into(), json!({}));
        m.insert("createdAt".into(), Value::from(iso_millis(self.created_at)));
        m.insert("updatedAt".into(), Value::from(iso_millis(self.updated_at)));
        if let Some(t) = self.last_seen_at {
            m.insert("lastSeenAt".into(), Value::from(iso_millis(t)));
        }
        if let Some(d) = self.dashboard {
            m.insert("dashboard".into(), Value::from(d));
        }
        Value::Object(m)
    }

    fn to_json_with_roles(&self, account_id: &str) -> Value {
        let mut v = self.to_json(account_id);
        if let Value::Object(m) = &mut v {
            m.insert(
                "actorRoles".into(),
                Value::Array(self.roles.iter().map(ActorRole::to_json).collect()),
            );
        }
        v
    }
}

/// The fields `GET /users` can sort by (`ListUsersSortField`, snake_case).
const SORT_FIELDS: &[&str] = &[
    "email",
    "name",
    "id",
    "idp",
    "idp_ref",
    "created_at",
    "updated_at",
    "last_seen_at",
    "dashboard",
];

fn sort_key(u: &User, field: &str) -> (Option<i64>, String) {
    match field {
        "email" => (None, u.email.to_lowercase()),
        "name" => (None, u.name.to_lowercase()),
        "idp" => (None, IDP.to_owned()),
        "idp_ref" => (None, u.idp_ref.clone()),
        "created_at" => (Some(nanos(u.created_at)), String::new()),
        "updated_at" => (Some(nanos(u.updated_at)), String::new()),
        "last_seen_at" => (u.last_seen_at.map(nanos), String::new()),
        "dashboard" => (u.dashboard, String::new()),
        _ => (None, u.id.clone()),
    }
}

fn nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn positive(raw: &str, name: &'static str) -> Result<usize, FfError> {
    raw.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| FfError::bad(name, format!("{name} must be a positive integer")))
}

impl Flatfile {
    /// The Flatfile surface of a sandbox, with the ids and key of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let suffix = c
            .flatfile_account_id
            .strip_prefix("us_acc_")
            .unwrap_or("sandbox1")
            .to_owned();
        let cfg = Config {
            token: c.flatfile_api_key.clone(),
            account_id: c.flatfile_account_id.clone(),
            role_id: c.flatfile_role_id.clone(),
            environment_id: format!("us_env_{suffix}"),
        };
        let store = Mutex::new(Self::seeded(&cfg));
        Arc::new(Self { shared, cfg, store })
    }

    /// The unseeded state: two roles ("Admin" = `FLATFILE_ROLE_ID`, and
    /// "Guest Manager"), no users.
    fn seeded(cfg: &Config) -> Store {
        let t = now();
        let roles = vec![
            Role {
                id: cfg.role_id.clone(),
                name: "Admin".to_owned(),
                created_at: t,
            },
            Role {
                id: GUEST_ROLE_ID.to_owned(),
                name: "Guest Manager".to_owned(),
                created_at: t,
            },
        ];
        Store {
            users: Vec::new(),
            roles,
            created_at: t,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    /// Marks the user with `email` as having logged in (`lastSeenAt` set):
    /// the admin `accept` action.
    fn accept(&self, email: &str) -> Result<Value, AdminError> {
        let key = norm_email(email);
        let mut store = self.lock();
        let user = store
            .users
            .iter_mut()
            .find(|u| norm_email(&u.email) == key)
            .ok_or_else(|| AdminError::NotFound(format!("no Flatfile user with email {email}")))?;
        let t = now();
        user.last_seen_at = Some(t);
        user.updated_at = t;
        Ok(json!({ "accepted": true, "userId": user.id }))
    }

    /// Adds the users of a seed section `{"users":[{email, name?, actorRoles?, accepted?}]}`.
    fn load_seed(&self, store: &mut Store, seed: &Value) -> Result<(), String> {
        let seeded = seed_users("flatfile", seed, |e| {
            store
                .users
                .iter()
                .any(|x| norm_email(&x.email) == norm_email(e))
        })?;
        for (email, u) in seeded {
            let t = now();
            let id = prefixed_id("us_usr_");
            let mut roles = Vec::new();
            if let Some(list) = u.get("actorRoles") {
                let list = list.as_array().ok_or("`actorRoles` must be an array")?;
                for r in list {
                    let r = r
                        .as_object()
                        .ok_or("each actorRoles entry must be an object")?;
                    let (role_id, resource_id) =
                        self.check_role_pair(store, r).map_err(|e| e.message)?;
                    roles.push(ActorRole {
                        id: prefixed_id("us_acr_"),
                        role_id,
                        actor_id: id.clone(),
                        resource_id,
                        created_at: t,
                        updated_at: t,
                    });
                }
            }
            let name = u.get("name").and_then(Value::as_str).map_or_else(
                || email.split('@').next().unwrap_or_default().to_owned(),
                str::to_owned,
            );
            let accepted = u.get("accepted").and_then(Value::as_bool).unwrap_or(false);
            store.users.push(User {
                id,
                email: email.trim().to_owned(),
                name,
                idp_ref: vendor_util::uuid_v4(),
                created_at: t,
                updated_at: t,
                last_seen_at: accepted.then_some(t),
                dashboard: None,
                roles,
            });
        }
        Ok(())
    }

    /// Validates one `{roleId, resourceId}` pair against the account.
    fn check_role_pair(
        &self,
        store: &Store,
        obj: &Map<String, Value>,
    ) -> Result<(String, String), FfError> {
        let role_id = required_string(obj, "roleId")?;
        let resource_id = required_string(obj, "resourceId")?;
        if !role_id.starts_with("us_rol_") {
            return Err(FfError::bad(
                "roleId",
                format!("Invalid role id: {role_id}"),
            ));
        }
        if !store.roles.iter().any(|r| r.id == role_id) {
            return Err(FfError::not_found(format!("Role {role_id} not found")));
        }
        let valid_prefix = ["us_acc_", "us_env_", "us_sp_"]
            .iter()
            .any(|p| resource_id.len() > p.len() && resource_id.starts_with(p));
        if !valid_prefix {
            return Err(FfError::bad(
                "resourceId",
                format!(
                    "Invalid resource id: {resource_id} (expected an account, environment or space id)"
                ),
            ));
        }
        if resource_id.starts_with("us_acc_") && resource_id != self.cfg.account_id {
            return Err(FfError::not_found(format!(
                "Account {resource_id} not found"
            )));
        }
        // Environments and spaces are not modelled: any well-formed
        // `us_env_` / `us_sp_` id is accepted as a resource.
        Ok((role_id, resource_id))
    }

    fn invite(&self, headers: &HeaderMap, body: &[u8]) -> FfResult {
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
        let obj = body_object(body)?;
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
        let mut store = self.lock();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for entry in &entries {
            let Value::Object(e) = entry else {
                return Err(FfError::bad(
                    "actorRoles",
                    "each actorRoles entry must be an object {roleId, resourceId}",
                ));
            };
            let pair = self.check_role_pair(&store, e)?;
            if !pairs.contains(&pair) {
                pairs.push(pair);
            }
        }
        let key = norm_email(&email);
        if store.users.iter().any(|u| norm_email(&u.email) == key) {
            // The real status for an already-invited email is undocumented
            // (contracts 3.8 trap 7, 7 item 11). The sandbox answers 409
            // Conflict, the status a duplicate resource most often gets; an
            // adapter should look the user up with `GET /users?email=` first.
            return Err(FfError::new(
                StatusCode::CONFLICT,
                Some("email"),
                format!("A user with email {email} already exists"),
            ));
        }
        let t = now();
        let user_id = prefixed_id("us_usr_");
        let roles = pairs
            .into_iter()
            .map(|(role_id, resource_id)| ActorRole {
                id: prefixed_id("us_acr_"),
                role_id,
                actor_id: user_id.clone(),
                resource_id,
                created_at: t,
                updated_at: t,
            })
            .collect();
        // Flatfile reports the invitee's name as the email's local part
        // until they sign in (S3 sends "John Smith" and gets "john.smith"
        // back; contracts 3.8 trap 4). `PATCH` sets it explicitly.
        let name = email
            .trim()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned();
        let user = User {
            id: user_id,
            email: email.trim().to_owned(),
            name,
            idp_ref: vendor_util::uuid_v4(),
            created_at: t,
            updated_at: t,
            last_seen_at: None,
            dashboard: None,
            roles,
        };
        let out = user.to_json_with_roles(&self.cfg.account_id);
        store.users.push(user);
        drop(store);
        self.shared.record_invitation(Surface::Flatfile, &email);
        self.shared
            .record_email(Surface::Flatfile, email.trim(), "invitation");
        Ok(data(out))
    }

    fn resend(&self, user_id: &str) -> FfResult {
        let email = {
            let store = self.lock();
            store
                .users
                .iter()
                .find(|u| u.id == user_id)
                .map(|u| u.email.clone())
                .ok_or_else(|| FfError::not_found(format!("User {user_id} not found")))?
        };
        self.shared.record_invitation(Surface::Flatfile, &email);
        self.shared
            .record_email(Surface::Flatfile, &email, "invitation");
        Ok(success())
    }

    fn list(&self, raw_query: Option<&str>) -> FfResult {
        let mut email = None;
        let mut search = None;
        let mut sort_field = None;
        let mut descending = false;
        let mut page_size = 20usize;
        let mut page_number = 1usize;
        for (k, v) in query_pairs(raw_query) {
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
        let store = self.lock();
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
            .map(|u| u.to_json(&self.cfg.account_id))
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

    fn get_user(&self, user_id: &str) -> FfResult {
        let store = self.lock();
        let user = find_user(&store, user_id)?;
        Ok(data(user.to_json(&self.cfg.account_id)))
    }

    fn update_user(&self, user_id: &str, body: &[u8]) -> FfResult {
        let obj = body_object(body)?;
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
        let mut store = self.lock();
        let user = store
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or_else(|| FfError::not_found(format!("User {user_id} not found")))?;
        if let Some(n) = name {
            user.name = n;
        }
        if let Some(d) = dashboard {
            user.dashboard = Some(d);
        }
        user.updated_at = now();
        Ok(data(user.to_json(&self.cfg.account_id)))
    }

    fn delete_user(&self, user_id: &str) -> FfResult {
        let mut store = self.lock();
        let before = store.users.len();
        store.users.retain(|u| u.id != user_id);
        if store.users.len() == before {
            return Err(FfError::not_found(format!("User {user_id} not found")));
        }
        Ok(success())
    }

    fn list_user_roles(&self, user_id: &str) -> FfResult {
        let store = self.lock();
        let user = find_user(&store, user_id)?;
        Ok(data(Value::Array(
            user.roles.iter().map(ActorRole::to_json).collect(),
        )))
    }

    fn assign_role(&self, user_id: &str, body: &[u8]) -> FfResult {
        let obj = body_object(body)?;
        reject_unknown(&obj, &["roleId", "resourceId"])?;
        let mut store = self.lock();
        find_user(&store, user_id)?;
        let (role_id, resource_id) = self.check_role_pair(&store, &obj)?;
        let user = store
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or_else(|| FfError::not_found(format!("User {user_id} not found")))?;
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
        let role = ActorRole {
            id: prefixed_id("us_acr_"),
            role_id,
            actor_id: user.id.clone(),
            resource_id,
            created_at: t,
            updated_at: t,
        };
        let out = role.to_json();
        user.roles.push(role);
        user.updated_at = t;
        Ok(data(out))
    }

    fn remove_role(&self, user_id: &str, actor_role_id: &str) -> FfResult {
        let mut store = self.lock();
        let user = store
            .users
            .iter_mut()
            .find(|u| u.id == user_id)
            .ok_or_else(|| FfError::not_found(format!("User {user_id} not found")))?;
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

    fn list_roles(&self) -> FfResult {
        let store = self.lock();
        let roles: Vec<Value> = store
            .roles
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.name,
                    "accountId": self.cfg.account_id,
                    "createdAt": iso_millis(r.created_at),
                    "updatedAt": iso_millis(r.created_at),
                })
            })
            .collect();
        Ok(data(Value::Array(roles)))
    }

    fn current_account(&self) -> FfResult {
        let store = self.lock();
        Ok(data(json!({
            "id": self.cfg.account_id,
            "name": "Sandbox Account",
            "subdomain": "sandbox",
            "defaultEnvironmentId": self.cfg.environment_id,
            "metadata": {},
            "createdAt": iso_millis(store.created_at),
            "updatedAt": iso_millis(store.created_at),
        })))
    }
}

fn find_user<'a>(store: &'a Store, user_id: &str) -> Result<&'a User, FfError> {
    store
        .users
        .iter()
        .find(|u| u.id == user_id)
        .ok_or_else(|| FfError::not_found(format!("User {user_id} not found")))
}

fn respond(r: FfResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

type S = State<Arc<Flatfile>>;

async fn invite_h(State(s): S, headers: HeaderMap, body: Bytes) -> Response {
    respond(s.invite(&headers, &body))
}
async fn resend_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.resend(&id))
}
async fn list_h(State(s): S, RawQuery(q): RawQuery) -> Response {
    respond(s.list(q.as_deref()))
}
async fn get_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.get_user(&id))
}
async fn patch_h(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    respond(s.update_user(&id, &body))
}
async fn delete_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.delete_user(&id))
}
async fn user_roles_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.list_user_roles(&id))
}
async fn assign_h(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    respond(s.assign_role(&id, &body))
}
async fn unassign_h(State(s): S, Path((id, acr)): Path<(String, String)>) -> Response {
    respond(s.remove_role(&id, &acr))
}
async fn roles_h(State(s): S) -> Response {
    respond(s.list_roles())
}
async fn account_h(State(s): S) -> Response {
    respond(s.current_account())
}

impl SurfaceModule for Flatfile {
    fn surface(&self) -> Surface {
        Surface::Flatfile
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/v1"]
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v1/users/invite", post(invite_h))
            .route("/v1/users/{user_id}/resend-invite", post(resend_h))
            .route("/v1/users", get(list_h))
            .route(
                "/v1/users/{user_id}",
                get(get_h).patch(patch_h).delete(delete_h),
            )
            .route(
                "/v1/users/{user_id}/roles",
                get(user_roles_h).post(assign_h),
            )
            .route(
                "/v1/users/{user_id}/roles/{actor_role_id}",
                delete(unassign_h),
            )
            .route("/v1/roles", get(roles_h))
            .route("/v1/accounts/current", get(account_h))
            .with_state(self)
    }

    fn authorize(&self, parts: &Parts) -> Result<String, Response> {
        match bearer_token(&parts.headers) {
            Some(t) if t == self.cfg.token => Ok(t.to_owned()),
            _ => Err(self.problem(Problem::Unauthorized)),
        }
    }

    fn problem(&self, problem: Problem) -> Response {
        match problem {
            Problem::Unauthorized => FfError::new(
                StatusCode::UNAUTHORIZED,
                Some("authorization"),
                "Unauthorized: missing or invalid bearer token",
            ),
            Problem::TooManyRequests => FfError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Some("rate_limit"),
                "Too many requests, please retry later",
            ),
            Problem::ServerError(status) => {
                FfError::new(status, Some("internal"), "Internal server error")
            }
            Problem::RouteNotFound => FfError::not_found("Not found"),
        }
        .into_response()
    }

    fn snapshot(&self) -> Value {
        let store = self.lock();
        json!({
            "accountId": self.cfg.account_id,
            "environmentId": self.cfg.environment_id,
            "roles": store.roles.iter().map(|r| json!({"id": r.id, "name": r.name})).collect::<Vec<_>>(),
            "users": store
                .users
                .iter()
                .map(|u| u.to_json_with_roles(&self.cfg.account_id))
                .collect::<Vec<_>>(),
        })
    }

    fn reset(&self, seed: Option<&Value>) -> Result<(), String> {
        let mut fresh = Self::seeded(&self.cfg);
        if let Some(seed) = seed {
            self.load_seed(&mut fresh, seed)?;
        }
        *self.lock() = fresh;
        Ok(())
    }

    fn admin_action(&self, action: &str, body: &Value) -> Result<Value, AdminError> {
        match action {
            "accept" => {
                let email = body
                    .get("email")
                    .and_then(Value::as_str)
                    .ok_or_else(|| AdminError::BadRequest("`email` is required".to_owned()))?;
                self.accept(email)
            }
            other => Err(AdminError::Unsupported(format!(
                "flatfile has no admin action `{other}` (supported: accept)"
            ))),
        }
    }
}
