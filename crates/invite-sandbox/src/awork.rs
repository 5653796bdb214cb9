//! awork v1 invitations & users (vendor contracts, section 4; OpenAPI
//! "awork API 1.3.0").
//!
//! Routes (relative to the sandbox root; the awork base URL is
//! `<root>/api/v1`):
//!
//! | method | path |
//! |---|---|
//! | `POST` | `/api/v1/invitations` |
//! | `POST` | `/api/v1/invitations/accept` |
//! | `GET` | `/api/v1/users` (`page`, `pageSize`, `orderby`, `filterby`, `showArchived`) |
//! | `GET` `PUT` `DELETE` | `/api/v1/users/{userId}` |
//! | `POST` | `/api/v1/users/{userId}/deactivate`, `/api/v1/users/{userId}/activate` |
//! | `GET` | `/api/v1/me`, `/api/v1/users/me` |
//! | `GET` | `/api/v1/roles` (`showArchived`) |
//! | `GET` | `/api/v1/teams` (`includeUserIds`, `includeProjectIds`, `page`, `pageSize`, `orderby`, `filterby`) |
//!
//! Bodies use the spec's field names; lists are bare JSON arrays; errors
//! are `ErrorResponse {code, description, link, details?, validationErrors?, traceId?}`.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use crate::common::{AdminError, Problem, Shared, Surface, SurfaceModule, bearer_token, lock};
use crate::vendor_util::{
    self, BodyError, is_uuid, iso_millis, json_object, looks_like_email, norm_email, now,
    query_pairs, seed_users, uuid_v4,
};

/// Documentation link carried by every `ErrorResponse`.
const DOCS_LINK: &str = "https://developers.awork.com";

/// How long an invitation code can be redeemed (spec: "valid for 24 hours").
const INVITATION_TTL: Duration = Duration::hours(24);

/// First `resourceVersion` handed out; above 2^53 like the spec's example,
/// so a client that parses it as `f64` loses precision.
const RESOURCE_VERSION_BASE: i64 = 637_825_154_598_057_900;

/// The id of the seeded "Admin" role.
pub const ADMIN_ROLE_ID: &str = "9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a";
/// The id of the seeded, archived "Guest" role.
pub const GUEST_ROLE_ID: &str = "5d4c3b2a-1908-4f7e-a6d5-c4b3a2918070";
/// The user id of the API key's owner, an admin, returned by `GET /me`.
pub const ADMIN_USER_ID: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
/// The email address of that admin.
pub const ADMIN_EMAIL: &str = "admin@sandbox.example";
/// The id of the seeded team "Design".
pub const DESIGN_TEAM_ID: &str = "7f0e1d2c-3b4a-4596-8877-665544332211";
/// The id of the seeded team "Engineering".
pub const ENGINEERING_TEAM_ID: &str = "8a9b0c1d-2e3f-4a5b-9c6d-7e8f90a1b2c3";

/// Ids and token of the emulated workspace.
#[derive(Debug, Clone)]
struct Config {
    /// The bearer token the API accepts (`AWORK_API_TOKEN`).
    token: String,
    /// The one workspace (`AWORK_WORKSPACE_ID`).
    workspace_id: String,
    /// The seeded non-admin "Member" role (`AWORK_ROLE_ID`), the default
    /// for invitations without `roleId`.
    role_id: String,
    /// The seeded "Admin" role.
    admin_role_id: String,
    /// The API key's owner.
    admin_user_id: String,
    /// That owner's email.
    admin_email: String,
}

/// The seeded teams: `(id, name, icon, color)`.
const TEAMS: &[(&str, &str, &str, &str)] = &[
    (DESIGN_TEAM_ID, "Design", "brush", "#FF6B6B"),
    (ENGINEERING_TEAM_ID, "Engineering", "code", "#4D96FF"),
];

#[derive(Debug, Clone, Default)]
struct Profile {
    first_name: Option<String>,
    last_name: Option<String>,
    birth_date: Option<String>,
    gender: Option<String>,
    title: Option<String>,
    position: Option<String>,
    language: Option<String>,
}

#[derive(Debug, Clone)]
struct Invitation {
    code: String,
    expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    contact_id: String,
    profile: Profile,
    role_id: String,
    team_ids: Vec<String>,
    invitation_accepted: bool,
    is_deactivated: bool,
    deactivated_on: Option<OffsetDateTime>,
    deleted_on: Option<OffsetDateTime>,
    is_archived: bool,
    created_on: OffsetDateTime,
    created_by: String,
    updated_on: OffsetDateTime,
    updated_by: String,
    resource_version: i64,
    invitation: Option<Invitation>,
}

#[derive(Debug, Clone)]
struct Role {
    id: String,
    name: &'static str,
    is_admin: bool,
    is_guest: bool,
}

#[derive(Debug)]
struct Store {
    users: Vec<User>,
    roles: Vec<Role>,
    created_on: OffsetDateTime,
    next_version: i64,
}

/// The awork surface: one workspace with its users, roles and teams.
pub struct Awork {
    shared: Shared,
    cfg: Config,
    store: Mutex<Store>,
}

impl std::fmt::Debug for Awork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Awork")
            .field("workspace_id", &self.cfg.workspace_id)
            .finish_non_exhaustive()
    }
}

/// An `ErrorResponse` with its status.
#[derive(Debug)]
struct AwError {
    status: StatusCode,
    code: &'static str,
    description: String,
    details: Option<Vec<String>>,
    validation: Option<Vec<(String, String)>>,
}

impl AwError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            details: None,
            validation: None,
        }
    }
    fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }
    fn validation(property: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "validation-error",
            description: "One or more validation errors occurred.".to_owned(),
            details: None,
            validation: Some(vec![(property.to_owned(), message)]),
        }
    }
    fn not_found(what: &str, id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not-found",
            description: format!("The {what} could not be found."),
            details: Some(vec![format!("No {what} with the id '{id}' exists.")]),
            validation: None,
        }
    }
    fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = Some(details);
        self
    }
}

impl IntoResponse for AwError {
    fn into_response(self) -> Response {
        let validation = self.validation.map(|v| {
            v.into_iter()
                .map(|(p, m)| json!({ "property": p, "message": m }))
                .collect::<Vec<_>>()
        });
        let body = json!({
            "code": self.code,
            "description": self.description,
            "link": DOCS_LINK,
            "details": self.details,
            "validationErrors": validation,
            "traceId": vendor_util::object_id(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

type AwResult = Result<Response, AwError>;

fn body_object(body: &[u8]) -> Result<Map<String, Value>, AwError> {
    json_object(body, false).map_err(|e| match e {
        BodyError::Malformed(m) => AwError::validation("$", format!("Invalid JSON: {m}")),
        BodyError::NotAnObject => AwError::validation("$", "The body must be a JSON object."),
    })
}

/// Refuses fields not in `allowed` (the spec's schemas declare
/// `additionalProperties: false`).
fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), AwError> {
    let unknown: Vec<(String, String)> = obj
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .map(|k| {
            (
                k.clone(),
                format!("Could not find member '{k}' on the model."),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AwError {
            status: StatusCode::BAD_REQUEST,
            code: "validation-error",
            description: "One or more validation errors occurred.".to_owned(),
            details: None,
            validation: Some(unknown),
        })
    }
}

/// A nullable string field with an optional maximum length.
fn opt_string(
    obj: &Map<String, Value>,
    field: &str,
    max: Option<usize>,
) -> Result<Option<String>, AwError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            if let Some(m) = max
                && s.chars().count() > m
            {
                return Err(AwError::validation(
                    field,
                    format!("{field} must be at most {m} characters."),
                ));
            }
            Ok(Some(s.clone()))
        }
        Some(_) => Err(AwError::validation(
            field,
            format!("{field} must be a string."),
        )),
    }
}

fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, AwError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AwError::validation(
            field,
            format!("{field} must be a boolean."),
        )),
    }
}

fn opt_uuid(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, AwError> {
    match opt_string(obj, field, None)? {
        None => Ok(None),
        Some(s) if is_uuid(&s) => Ok(Some(s.to_lowercase())),
        Some(s) => Err(AwError::validation(
            field,
            format!("'{s}' is not a valid uuid."),
        )),
    }
}

impl User {
    fn to_json(&self, teams: &[Value]) -> Value {
        let p = &self.profile;
        let contact = json!({
            "label": null,
            "value": self.email,
            "type": "email",
            "subType": "work",
            "addressLine1": null,
            "addressLine2": null,
            "zipCode": null,
            "city": null,
            "state": null,
            "country": null,
            "isAddress": false,
            "id": self.contact_id,
            "createdOn": iso_millis(self.created_on),
            "createdBy": self.created_by,
            "updatedOn": iso_millis(self.created_on),
            "updatedBy": self.created_by,
        });
        json!({
            "firstName": p.first_name,
            "lastName": p.last_name,
            "birthDate": p.birth_date,
            "gender": p.gender,
            "title": p.title,
            "position": p.position,
            "language": p.language,
            "id": self.id,
            "status": {
                "invitationAccepted": self.invitation_accepted,
                "isDeactivated": self.is_deactivated,
            },
            "createdOn": iso_millis(self.created_on),
            "createdBy": self.created_by,
            "updatedOn": iso_millis(self.updated_on),
            "updatedBy": self.updated_by,
            "isArchived": self.is_archived,
            "isDeactivated": self.is_deactivated,
            "deactivatedOn": self.deactivated_on.map(iso_millis),
            "deletedOn": self.deleted_on.map(iso_millis),
            "hasImage": false,
            "shouldMigrateToConnect": false,
            "userContactInfos": [contact],
            "resourceVersion": self.resource_version,
            "tags": [],
            "teams": teams,
            "isExternal": false,
        })
    }

    fn is_active_admin(&self, roles: &[Role]) -> bool {
        self.deleted_on.is_none()
            && !self.is_deactivated
            && roles.iter().any(|r| r.id == self.role_id && r.is_admin)
    }
}

fn team_model(id: &str) -> Option<Value> {
    TEAMS.iter().find(|t| t.0 == id).map(
        |(id, name, icon, color)| json!({ "id": id, "name": name, "icon": icon, "color": color }),
    )
}

/// A parsed `filterby` expression: `field eq 'value'` joined by `and`.
fn parse_filter(expr: &str, fields: &[&str]) -> Result<Vec<(String, String)>, AwError> {
    let mut clauses = Vec::new();
    for clause in expr.split(" and ") {
        let clause = clause.trim();
        let bad = || {
            AwError::bad(
                "invalid-filter",
                format!(
                    "The filter expression '{expr}' is not supported. Use `<field> eq '<value>'` on {}.",
                    fields.join(", ")
                ),
            )
        };
        let (field, rest) = clause.split_once(' ').ok_or_else(bad)?;
        let rest = rest.trim_start();
        let value = rest
            .strip_prefix("eq ")
            .map(str::trim)
            .and_then(|v| v.strip_prefix('\''))
            .and_then(|v| v.strip_suffix('\''))
            .ok_or_else(bad)?;
        let field = fields
            .iter()
            .find(|f| f.eq_ignore_ascii_case(field))
            .ok_or_else(bad)?;
        clauses.push(((*field).to_owned(), value.replace("''", "'")));
    }
    Ok(clauses)
}

/// A parsed `orderby`: `field [asc|desc]`.
fn parse_order(expr: &str, fields: &[&str]) -> Result<(String, bool), AwError> {
    let mut parts = expr.split_whitespace();
    let bad = || {
        AwError::bad(
            "invalid-orderby",
            format!(
                "The order expression '{expr}' is not supported. Use `<field> [asc|desc]` on {}.",
                fields.join(", ")
            ),
        )
    };
    let field = parts.next().ok_or_else(bad)?;
    let field = fields
        .iter()
        .find(|f| f.eq_ignore_ascii_case(field))
        .ok_or_else(bad)?;
    let desc = match parts.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(bad()),
    };
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(((*field).to_owned(), desc))
}

/// `page` / `pageSize` from the query; both must be positive integers.
fn paging(pairs: &[(String, String)]) -> Result<(usize, usize), AwError> {
    let mut page = 1usize;
    let mut size = 10usize;
    for (k, v) in pairs {
        let target = match k.as_str() {
            "page" => &mut page,
            "pageSize" => &mut size,
            _ => continue,
        };
        *target = v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AwError::validation(k, format!("{k} must be a positive integer.")))?;
    }
    Ok((page, size))
}

fn bool_param(pairs: &[(String, String)], name: &str) -> Result<bool, AwError> {
    match pairs.iter().rev().find(|(k, _)| k == name) {
        None => Ok(false),
        Some((_, v)) => match v.to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(AwError::validation(
                name,
                format!("{name} must be true or false."),
            )),
        },
    }
}

const USER_FIELDS: &[&str] = &["firstName", "lastName"];
const USER_ORDER_FIELDS: &[&str] = &["firstName", "lastName", "createdOn", "updatedOn"];

impl Awork {
    /// The awork surface of a sandbox, with the ids and token of `shared`'s configuration.
    pub fn new(shared: Shared) -> Arc<Self> {
        let c = shared.config();
        let cfg = Config {
            token: c.awork_api_token.clone(),
            workspace_id: c.awork_workspace_id.to_lowercase(),
            role_id: c.awork_role_id.to_lowercase(),
            admin_role_id: ADMIN_ROLE_ID.to_owned(),
            admin_user_id: ADMIN_USER_ID.to_owned(),
            admin_email: ADMIN_EMAIL.to_owned(),
        };
        let store = Mutex::new(Self::seeded(&cfg));
        Arc::new(Self { shared, cfg, store })
    }

    /// The unseeded workspace: one admin (the API key's owner, accepted),
    /// the roles "Admin", "Member" (= `AWORK_ROLE_ID`) and an archived
    /// "Guest", and the teams "Design" and "Engineering".
    fn seeded(cfg: &Config) -> Store {
        let t = now();
        let admin = User {
            id: cfg.admin_user_id.clone(),
            email: cfg.admin_email.clone(),
            contact_id: uuid_v4(),
            profile: Profile {
                first_name: Some("Sandbox".to_owned()),
                last_name: Some("Admin".to_owned()),
                language: Some("en-GB".to_owned()),
                ..Profile::default()
            },
            role_id: cfg.admin_role_id.clone(),
            team_ids: Vec::new(),
            invitation_accepted: true,
            is_deactivated: false,
            deactivated_on: None,
            deleted_on: None,
            is_archived: false,
            created_on: t,
            created_by: cfg.admin_user_id.clone(),
            updated_on: t,
            updated_by: cfg.admin_user_id.clone(),
            resource_version: RESOURCE_VERSION_BASE,
            invitation: None,
        };
        let roles = vec![
            Role {
                id: cfg.admin_role_id.clone(),
                name: "Admin",
                is_admin: true,
                is_guest: false,
            },
            Role {
                id: cfg.role_id.clone(),
                name: "Member",
                is_admin: false,
                is_guest: false,
            },
            Role {
                id: GUEST_ROLE_ID.to_owned(),
                name: "Guest",
                is_admin: false,
                is_guest: true,
            },
        ];
        Store {
            users: vec![admin],
            roles,
            created_on: t,
            next_version: RESOURCE_VERSION_BASE + 1,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    fn workspace_json(&self, store: &Store) -> Value {
        let members = store
            .users
            .iter()
            .filter(|u| u.deleted_on.is_none())
            .count();
        let created = iso_millis(store.created_on);
        json!({
            "name": "Sandbox Workspace",
            "description": null,
            "language": "en-GB",
            "type": null,
            "size": null,
            "goals": null,
            "selfAttribution": null,
            "previousTool": null,
            "department": null,
            "allowSocialLogin": true,
            "allowCredentialsLogin": true,
            "allowAutomaticScimUserBooking": false,
            "sameDomainSignupEnabled": false,
            "sameDomainSignupRoleId": null,
            "sameDomainSignupDomains": null,
            "requireMfa": false,
            "skipCreateDefaultWorkspaceData": null,
            "id": self.cfg.workspace_id,
            "subdomains": [{ "name": "sandbox", "isDefault": true }],
            "memberCount": members,
            "lastUsed": true,
            "lastLogin": null,
            "accountIds": null,
            "hasImage": false,
            "createdOn": created,
            "createdBy": self.cfg.admin_user_id,
            "updatedOn": created,
            "updatedBy": self.cfg.admin_user_id,
            "isTestWorkspace": true,
            "isApproved": true,
            "allowSSOLogin": false,
            "isScimActivated": false,
            "virtualMRR": null,
            "isMobileSignup": null,
            "isFreeMail": null,
            "isJoinable": false,
            "isFull": false,
        })
    }

    fn user_json(u: &User) -> Value {
        let teams: Vec<Value> = u.team_ids.iter().filter_map(|t| team_model(t)).collect();
        u.to_json(&teams)
    }

    fn bump(store: &mut Store) -> i64 {
        let v = store.next_version;
        store.next_version = store.next_version.saturating_add(1);
        v
    }

    fn invite(&self, body: &[u8]) -> AwResult {
        let obj = body_object(body)?;
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
            // NEW WORKSPACE for the invitee (contracts 4.11 trap 1). The
            // sandbox refuses it so the mistake shows up in tests.
            return Err(AwError::bad(
                "workspace-id-required",
                "workspaceId is missing. On the real awork API an invitation without workspaceId creates a NEW workspace; the sandbox refuses it. Send the workspace id from GET /me.",
            ));
        };
        if workspace_id != self.cfg.workspace_id {
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
        let mut store = self.lock();
        let role_id = role_id.unwrap_or_else(|| self.cfg.role_id.clone());
        if !store.roles.iter().any(|r| r.id == role_id) {
            return Err(AwError::not_found("role", &role_id));
        }
        if let Some(missing) = team_ids.iter().find(|t| team_model(t).is_none()) {
            return Err(AwError::not_found("team", missing));
        }
        let key = norm_email(&email);
        if store
            .users
            .iter()
            .any(|u| u.deleted_on.is_none() && norm_email(&u.email) == key)
        {
            // The answer for an email already in the workspace is not in
            // the spec (POST /invitations declares only 200; contracts 4.8
            // and 7 item 12). The sandbox answers 400 with this code.
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
        let code = vendor_util::opaque_code(16);
        let reset = vendor_util::opaque_code(16);
        let version = Self::bump(&mut store);
        let user = User {
            id: uuid_v4(),
            email: email.trim().to_owned(),
            contact_id: uuid_v4(),
            profile,
            role_id,
            team_ids,
            invitation_accepted: false,
            is_deactivated: false,
            deactivated_on: None,
            deleted_on: None,
            is_archived: false,
            created_on: t,
            created_by: self.cfg.admin_user_id.clone(),
            updated_on: t,
            updated_by: self.cfg.admin_user_id.clone(),
            resource_version: version,
            invitation: Some(Invitation {
                code: code.clone(),
                expires_at: t + INVITATION_TTL,
            }),
        };
        let user_id = user.id.clone();
        store.users.push(user);
        let workspace = self.workspace_json(&store);
        drop(store);
        self.shared.record_invitation(Surface::Awork, email.trim());
        if !skip_email {
            self.shared
                .record_email(Surface::Awork, email.trim(), "invitation");
        }
        Ok(axum::Json(json!({
            "invitationCode": code,
            "passwordResetCode": reset,
            "userId": user_id,
            "workspace": workspace,
        }))
        .into_response())
    }

    fn accept_code(&self, body: &[u8]) -> AwResult {
        let obj = body_object(body)?;
        reject_unknown(&obj, &["invitationCode", "referralCode"])?;
        opt_string(&obj, "referralCode", None)?;
        let Some(code) = opt_string(&obj, "invitationCode", None)? else {
            return Err(AwError::validation(
                "invitationCode",
                "invitationCode is required.",
            ));
        };
        let mut store = self.lock();
        let t = now();
        let version = Self::bump(&mut store);
        let user = store
            .users
            .iter_mut()
            .find(|u| {
                u.deleted_on.is_none() && u.invitation.as_ref().is_some_and(|i| i.code == code)
            })
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

    /// Accepts the pending invitation of the user with `email` (admin hook).
    /// Returns whether such a pending invitation existed.
    pub(crate) fn accept(&self, email: &str) -> bool {
        let key = norm_email(email);
        let mut store = self.lock();
        let version = Self::bump(&mut store);
        let Some(user) = store.users.iter_mut().find(|u| {
            u.deleted_on.is_none() && !u.invitation_accepted && norm_email(&u.email) == key
        }) else {
            return false;
        };
        user.invitation = None;
        user.invitation_accepted = true;
        user.updated_on = now();
        user.resource_version = version;
        true
    }

    /// Makes the pending invitation code of `email` expired (admin hook).
    /// Returns whether such a pending invitation existed.
    pub(crate) fn expire_invitation(&self, email: &str) -> bool {
        let key = norm_email(email);
        let mut store = self.lock();
        let past = now() - Duration::seconds(1);
        store
            .users
            .iter_mut()
            .filter(|u| u.deleted_on.is_none() && norm_email(&u.email) == key)
            .filter_map(|u| u.invitation.as_mut())
            .map(|i| i.expires_at = past)
            .count()
            > 0
    }

    fn list_users(&self, raw_query: Option<&str>) -> AwResult {
        let pairs = query_pairs(raw_query);
        let (page, size) = paging(&pairs)?;
        let show_archived = bool_param(&pairs, "showArchived")?;
        let filter = match pairs.iter().rev().find(|(k, _)| k == "filterby") {
            Some((_, f)) if !f.trim().is_empty() => parse_filter(f, USER_FIELDS)?,
            _ => Vec::new(),
        };
        let order = match pairs.iter().rev().find(|(k, _)| k == "orderby") {
            Some((_, o)) if !o.trim().is_empty() => Some(parse_order(o, USER_ORDER_FIELDS)?),
            _ => None,
        };
        let store = self.lock();
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
        let out: Vec<Value> = users
            .into_iter()
            .skip(size.saturating_mul(page - 1))
            .take(size)
            .map(Self::user_json)
            .collect();
        Ok(axum::Json(Value::Array(out)).into_response())
    }

    fn live_user<'a>(store: &'a Store, user_id: &str) -> Result<&'a User, AwError> {
        store
            .users
            .iter()
            .find(|u| u.deleted_on.is_none() && u.id.eq_ignore_ascii_case(user_id))
            .ok_or_else(|| AwError::not_found("user", user_id))
    }

    fn live_user_index(store: &Store, user_id: &str) -> Result<usize, AwError> {
        store
            .users
            .iter()
            .position(|u| u.deleted_on.is_none() && u.id.eq_ignore_ascii_case(user_id))
            .ok_or_else(|| AwError::not_found("user", user_id))
    }

    fn get_user(&self, user_id: &str) -> AwResult {
        let store = self.lock();
        Ok(axum::Json(Self::user_json(Self::live_user(&store, user_id)?)).into_response())
    }

    fn put_user(&self, user_id: &str, body: &[u8]) -> AwResult {
        let obj = body_object(body)?;
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
            && time::OffsetDateTime::parse(b, &time::format_description::well_known::Rfc3339)
                .is_err()
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
        let mut store = self.lock();
        let idx = Self::live_user_index(&store, user_id)?;
        let version = Self::bump(&mut store);
        let user = store
            .users
            .get_mut(idx)
            .ok_or_else(|| AwError::not_found("user", user_id))?;
        user.profile = profile;
        user.updated_on = now();
        user.updated_by = self.cfg.admin_user_id.clone();
        user.resource_version = version;
        Ok(axum::Json(Self::user_json(user)).into_response())
    }

    fn other_active_admin(store: &Store, idx: usize) -> bool {
        store
            .users
            .iter()
            .enumerate()
            .any(|(i, u)| i != idx && u.is_active_admin(&store.roles))
    }

    fn delete_user(&self, user_id: &str) -> AwResult {
        let mut store = self.lock();
        let idx = Self::live_user_index(&store, user_id)?;
        let is_admin = store
            .users
            .get(idx)
            .is_some_and(|u| u.is_active_admin(&store.roles));
        if is_admin && !Self::other_active_admin(&store, idx) {
            return Err(AwError::bad(
                "last-admin",
                "The last admin of the workspace cannot be deleted.",
            ));
        }
        let version = Self::bump(&mut store);
        if let Some(u) = store.users.get_mut(idx) {
            let t = now();
            u.deleted_on = Some(t);
            u.updated_on = t;
            u.invitation = None;
            u.resource_version = version;
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn set_active(&self, user_id: &str, active: bool) -> AwResult {
        let mut store = self.lock();
        let idx = Self::live_user_index(&store, user_id)?;
        if !active {
            let is_admin = store
                .users
                .get(idx)
                .is_some_and(|u| u.is_active_admin(&store.roles));
            if is_admin && !Self::other_active_admin(&store, idx) {
                return Err(AwError::bad(
                    "last-admin",
                    "The last admin of the workspace cannot be deactivated.",
                ));
            }
        }
        let version = Self::bump(&mut store);
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
            self.shared
                .record_email(Surface::Awork, &email, "activation");
        }
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn me(&self) -> AwResult {
        let store = self.lock();
        let admin = Self::live_user(&store, &self.cfg.admin_user_id)?;
        let mut v = Self::user_json(admin);
        if let Value::Object(m) = &mut v {
            m.insert(
                "accountId".into(),
                Value::from(uuid_for(&self.cfg.admin_user_id)),
            );
            m.insert(
                "workspace".into(),
                json!({
                    "id": self.cfg.workspace_id,
                    "name": "Sandbox Workspace",
                    "url": "https://sandbox.awork.com",
                }),
            );
        }
        Ok(axum::Json(v).into_response())
    }

    fn roles(&self, raw_query: Option<&str>) -> AwResult {
        let pairs = query_pairs(raw_query);
        let show_archived = bool_param(&pairs, "showArchived")?;
        let store = self.lock();
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
                    "createdBy": self.cfg.admin_user_id,
                    "createdOn": created,
                    "updatedBy": self.cfg.admin_user_id,
                    "updatedOn": created,
                })
            })
            .collect();
        Ok(axum::Json(Value::Array(out)).into_response())
    }

    fn teams(&self, raw_query: Option<&str>) -> AwResult {
        let pairs = query_pairs(raw_query);
        let (page, size) = paging(&pairs)?;
        let include_users = bool_param(&pairs, "includeUserIds")?;
        let include_projects = bool_param(&pairs, "includeProjectIds")?;
        let filter = match pairs.iter().rev().find(|(k, _)| k == "filterby") {
            Some((_, f)) if !f.trim().is_empty() => parse_filter(f, &["name"])?,
            _ => Vec::new(),
        };
        let order = match pairs.iter().rev().find(|(k, _)| k == "orderby") {
            Some((_, o)) if !o.trim().is_empty() => Some(parse_order(o, &["name"])?),
            _ => None,
        };
        let store = self.lock();
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
        let out: Vec<Value> = teams
            .into_iter()
            .skip(size.saturating_mul(page - 1))
            .take(size)
            .map(|(id, name, icon, color)| {
                let mut v = json!({
                    "name": name,
                    "icon": icon,
                    "color": color,
                    "id": id,
                    "createdOn": created,
                    "createdBy": self.cfg.admin_user_id,
                    "updatedOn": created,
                    "updatedBy": self.cfg.admin_user_id,
                });
                if let Value::Object(m) = &mut v {
                    if include_users {
                        let ids: Vec<&str> = store
                            .users
                            .iter()
                            .filter(|u| {
                                u.deleted_on.is_none() && u.team_ids.iter().any(|t| t == id)
                            })
                            .map(|u| u.id.as_str())
                            .collect();
                        m.insert("userIds".into(), json!(ids));
                    }
                    if include_projects {
                        m.insert("projectIds".into(), json!([]));
                    }
                }
                v
            })
            .collect();
        Ok(axum::Json(Value::Array(out)).into_response())
    }
}

/// A stable uuid derived from another one (the admin's account id).
fn uuid_for(user_id: &str) -> String {
    let mut chars: Vec<char> = user_id.chars().collect();
    chars.reverse();
    let s: String = chars.into_iter().filter(|c| *c != '-').collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        s.get(0..8).unwrap_or("00000000"),
        s.get(8..12).unwrap_or("0000"),
        s.get(13..16).unwrap_or("000"),
        s.get(17..20).unwrap_or("000"),
        s.get(20..32).unwrap_or("000000000000")
    )
}

fn respond(r: AwResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

type S = State<Arc<Awork>>;

async fn invite_h(State(s): S, body: Bytes) -> Response {
    respond(s.invite(&body))
}
async fn accept_h(State(s): S, body: Bytes) -> Response {
    respond(s.accept_code(&body))
}
async fn users_h(State(s): S, RawQuery(q): RawQuery) -> Response {
    respond(s.list_users(q.as_deref()))
}
async fn user_get_h(State(s): S, Path(id): Path<String>) -> Response {
    if id == "me" {
        return respond(s.me());
    }
    respond(s.get_user(&id))
}
async fn user_put_h(State(s): S, Path(id): Path<String>, body: Bytes) -> Response {
    respond(s.put_user(&id, &body))
}
async fn user_delete_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.delete_user(&id))
}
async fn deactivate_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.set_active(&id, false))
}
async fn activate_h(State(s): S, Path(id): Path<String>) -> Response {
    respond(s.set_active(&id, true))
}
async fn me_h(State(s): S) -> Response {
    respond(s.me())
}
async fn roles_h(State(s): S, RawQuery(q): RawQuery) -> Response {
    respond(s.roles(q.as_deref()))
}
async fn teams_h(State(s): S, RawQuery(q): RawQuery) -> Response {
    respond(s.teams(q.as_deref()))
}

impl Awork {
    /// Adds the users of a seed section
    /// `{"users":[{email, firstName?, lastName?, accepted?, deactivated?, admin?, teamIds?}]}`
    /// (`accepted` defaults to true).
    fn load_seed(&self, store: &mut Store, seed: &Value) -> Result<(), String> {
        let seeded = seed_users("awork", seed, |e| {
            store
                .users
                .iter()
                .any(|x| norm_email(&x.email) == norm_email(e))
        })?;
        for (email, u) in seeded {
            let text = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_owned);
            let flag = |k: &str, d: bool| u.get(k).and_then(Value::as_bool).unwrap_or(d);
            let mut team_ids = Vec::new();
            if let Some(list) = u.get("teamIds") {
                for t in list.as_array().ok_or("`teamIds` must be an array")? {
                    let t = t.as_str().map(str::to_lowercase).unwrap_or_default();
                    if team_model(&t).is_none() {
                        return Err(format!("unknown team id `{t}`"));
                    }
                    team_ids.push(t);
                }
            }
            let t = now();
            let deactivated = flag("deactivated", false);
            let version = Self::bump(store);
            store.users.push(User {
                id: uuid_v4(),
                email: email.trim().to_owned(),
                contact_id: uuid_v4(),
                profile: Profile {
                    first_name: text("firstName"),
                    last_name: text("lastName"),
                    language: Some("en-GB".to_owned()),
                    ..Profile::default()
                },
                role_id: if flag("admin", false) {
                    self.cfg.admin_role_id.clone()
                } else {
                    self.cfg.role_id.clone()
                },
                team_ids,
                invitation_accepted: flag("accepted", true),
                is_deactivated: deactivated,
                deactivated_on: deactivated.then_some(t),
                deleted_on: None,
                is_archived: false,
                created_on: t,
                created_by: self.cfg.admin_user_id.clone(),
                updated_on: t,
                updated_by: self.cfg.admin_user_id.clone(),
                resource_version: version,
                invitation: None,
            });
        }
        Ok(())
    }
}

impl SurfaceModule for Awork {
    fn surface(&self) -> Surface {
        Surface::Awork
    }

    fn prefixes(&self) -> &'static [&'static str] {
        &["/api/v1"]
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/api/v1/invitations", post(invite_h))
            .route("/api/v1/invitations/accept", post(accept_h))
            .route("/api/v1/users", get(users_h))
            .route(
                "/api/v1/users/{user_id}",
                get(user_get_h).put(user_put_h).delete(user_delete_h),
            )
            .route("/api/v1/users/{user_id}/deactivate", post(deactivate_h))
            .route("/api/v1/users/{user_id}/activate", post(activate_h))
            .route("/api/v1/me", get(me_h))
            .route("/api/v1/roles", get(roles_h))
            .route("/api/v1/teams", get(teams_h))
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
            Problem::Unauthorized => AwError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "The request is not authorized: missing or invalid bearer token.",
            ),
            Problem::TooManyRequests => AwError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests. Retry after the time given in Retry-After.",
            ),
            Problem::ServerError(status) => AwError::new(
                status,
                "internal-server-error",
                "An unexpected error occurred.",
            ),
            Problem::RouteNotFound => AwError::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "There is no matching path for this URL.",
            ),
        }
        .into_response()
    }

    fn snapshot(&self) -> Value {
        let store = self.lock();
        json!({
            "workspaceId": self.cfg.workspace_id,
            "users": store
                .users
                .iter()
                .map(|u| {
                    let mut v = Self::user_json(u);
                    if let Value::Object(m) = &mut v {
                        m.insert("email".into(), Value::from(u.email.clone()));
                        m.insert("roleId".into(), Value::from(u.role_id.clone()));
                        m.insert("pendingInvitation".into(), Value::from(u.invitation.is_some()));
                    }
                    v
                })
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
        let email = body
            .get("email")
            .and_then(Value::as_str)
            .ok_or_else(|| AdminError::BadRequest("`email` is required".to_owned()));
        match action {
            "accept" => {
                let email = email?;
                if self.accept(email) {
                    Ok(json!({ "accepted": true }))
                } else {
                    Err(AdminError::NotFound(format!(
                        "no pending awork invitation for {email}"
                    )))
                }
            }
            "expire" => {
                let email = email?;
                if self.expire_invitation(email) {
                    Ok(json!({ "expired": true }))
                } else {
                    Err(AdminError::NotFound(format!(
                        "no pending awork invitation code for {email}"
                    )))
                }
            }
            other => Err(AdminError::Unsupported(format!(
                "awork has no admin action `{other}` (supported: accept, expire)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_orders_parse() {
        let f = parse_filter(
            "firstName eq 'Carla' and lastName eq 'O''Neil'",
            USER_FIELDS,
        );
        assert_eq!(
            f.ok(),
            Some(vec![
                ("firstName".to_owned(), "Carla".to_owned()),
                ("lastName".to_owned(), "O'Neil".to_owned())
            ])
        );
        assert!(parse_filter("email eq 'a@b.c'", USER_FIELDS).is_err());
        assert!(parse_filter("firstName ne 'x'", USER_FIELDS).is_err());
        assert_eq!(
            parse_order("lastName desc", USER_ORDER_FIELDS).ok(),
            Some(("lastName".to_owned(), true))
        );
        assert!(parse_order("lastName sideways", USER_ORDER_FIELDS).is_err());
        assert!(is_uuid(&uuid_for("1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f")));
    }
}
