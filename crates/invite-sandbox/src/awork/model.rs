//! The awork surface's state (users, roles, teams), its JSON rendering, the `ErrorResponse`
//! body and the request readers. See docs/vendors/awork.md.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

use super::{Config, GUEST_ROLE_ID, Profile, Role, Store, TEAMS, User};
use crate::clock::{iso_millis, now};
use crate::email::norm_email;
use crate::ids::{is_uuid, object_id, uuid_v4};
use crate::request::{BodyError, json_object};

/// Documentation link carried by every `ErrorResponse`.
const DOCS_LINK: &str = "https://developers.awork.com";

/// How long an invitation code can be redeemed (spec: "valid for 24 hours").
pub(super) const INVITATION_TTL: Duration = Duration::hours(24);

/// First `resourceVersion` handed out: the spec's example `637825154598057900` (.NET ticks)
/// divided by 10^6. awork's own values exceed 2^53, which JavaScript clients (and any
/// client reading JSON numbers as `f64`) read wrongly; the sandbox's stay below
/// [`MAX_SAFE_INTEGER`] so every client reads them exactly
/// (docs/vendors/awork.md#trap-resource-version-i64).
pub(super) const RESOURCE_VERSION_BASE: i64 = 637_825_154_598;

/// The largest integer every JSON client reads exactly (2^53 - 1, JavaScript's
/// `Number.MAX_SAFE_INTEGER`). The sandbox's `resourceVersion` values stay at or below it.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

impl Store {
    /// The unseeded workspace: one admin (the API key's owner, accepted),
    /// the roles "Admin", "Member" (= `AWORK_ROLE_ID`) and an archived
    /// "Guest", and the teams "Design" and "Engineering".
    pub(super) fn seeded(cfg: &Config) -> Store {
        let t = now();
        let profile = Profile::named(Some("Sandbox".to_owned()), Some("Admin".to_owned()));
        let admin = User {
            id: cfg.admin_user_id.clone(),
            invitation_accepted: true,
            ..User::new(
                &cfg.admin_email,
                profile,
                cfg.admin_role_id.clone(),
                &cfg.admin_user_id,
                RESOURCE_VERSION_BASE,
                t,
            )
        };
        let role = |id: &str, name, is_admin, is_guest| Role {
            id: id.to_owned(),
            name,
            is_admin,
            is_guest,
        };
        let roles = vec![
            role(&cfg.admin_role_id, "Admin", true, false),
            role(&cfg.role_id, "Member", false, false),
            role(GUEST_ROLE_ID, "Guest", false, true),
        ];
        Store {
            users: vec![admin],
            roles,
            created_on: t,
            next_version: RESOURCE_VERSION_BASE + 1,
        }
    }

    /// The next `resourceVersion` (never above [`MAX_SAFE_INTEGER`]: after some 9 * 10^15
    /// changes it would stay there).
    pub(super) fn bump(&mut self) -> i64 {
        let v = self.next_version;
        self.next_version = self.next_version.saturating_add(1).min(MAX_SAFE_INTEGER);
        v
    }

    pub(super) fn live_user(&self, user_id: &str) -> Result<&User, AwError> {
        let idx = self.live_user_index(user_id)?;
        self.users
            .get(idx)
            .ok_or_else(|| AwError::not_found("user", user_id))
    }

    pub(super) fn live_user_index(&self, user_id: &str) -> Result<usize, AwError> {
        self.users
            .iter()
            .position(|u| u.deleted_on.is_none() && u.id.eq_ignore_ascii_case(user_id))
            .ok_or_else(|| AwError::not_found("user", user_id))
    }

    /// Whether a user not deleted has this address (compared trimmed and lower-cased).
    pub(super) fn has_live_email(&self, email: &str) -> bool {
        let key = norm_email(email);
        self.users
            .iter()
            .any(|u| u.deleted_on.is_none() && norm_email(&u.email) == key)
    }

    /// Refuses to delete or deactivate (`what`) the last active admin.
    pub(super) fn keep_an_admin(&self, idx: usize, what: &str) -> Result<(), AwError> {
        let is_admin = self
            .users
            .get(idx)
            .is_some_and(|u| u.is_active_admin(&self.roles));
        let other_admin = self
            .users
            .iter()
            .enumerate()
            .any(|(i, u)| i != idx && u.is_active_admin(&self.roles));
        if is_admin && !other_admin {
            return Err(AwError::bad(
                "last-admin",
                format!("The last admin of the workspace cannot be {what}."),
            ));
        }
        Ok(())
    }
}

/// An `ErrorResponse` with its status.
#[derive(Debug)]
pub(super) struct AwError {
    pub(super) status: StatusCode,
    pub(super) code: &'static str,
    pub(super) description: String,
    pub(super) details: Option<Vec<String>>,
    pub(super) validation: Option<Vec<(String, String)>>,
}

impl AwError {
    pub(super) fn new(
        status: StatusCode,
        code: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            details: None,
            validation: None,
        }
    }
    pub(super) fn bad(code: &'static str, description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, description)
    }
    pub(super) fn validation(property: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "validation-error",
            description: "One or more validation errors occurred.".to_owned(),
            details: None,
            validation: Some(vec![(property.to_owned(), message)]),
        }
    }
    pub(super) fn not_found(what: &str, id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not-found",
            description: format!("The {what} could not be found."),
            details: Some(vec![format!("No {what} with the id '{id}' exists.")]),
            validation: None,
        }
    }
    pub(super) fn with_details(mut self, details: Vec<String>) -> Self {
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
            "traceId": object_id(),
        });
        (self.status, axum::Json(body)).into_response()
    }
}

pub(super) type AwResult = Result<Response, AwError>;

pub(super) fn body_object(body: &[u8]) -> Result<Map<String, Value>, AwError> {
    json_object(body, false).map_err(|e| match e {
        BodyError::Malformed(m) => AwError::validation("$", format!("Invalid JSON: {m}")),
        BodyError::NotAnObject => AwError::validation("$", "The body must be a JSON object."),
    })
}

/// Refuses fields not in `allowed` (the spec's schemas declare
/// `additionalProperties: false`).
pub(super) fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str]) -> Result<(), AwError> {
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
pub(super) fn opt_string(
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

pub(super) fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, AwError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AwError::validation(
            field,
            format!("{field} must be a boolean."),
        )),
    }
}

pub(super) fn opt_uuid(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, AwError> {
    match opt_string(obj, field, None)? {
        None => Ok(None),
        Some(s) if is_uuid(&s) => Ok(Some(s.to_lowercase())),
        Some(s) => Err(AwError::validation(
            field,
            format!("'{s}' is not a valid uuid."),
        )),
    }
}

impl Profile {
    /// A profile with these names, in the sandbox's language.
    pub(super) fn named(first_name: Option<String>, last_name: Option<String>) -> Profile {
        Profile {
            first_name,
            last_name,
            language: Some("en-GB".to_owned()),
            ..Profile::default()
        }
    }
}

impl User {
    /// A live, active, not yet accepted user created at `t` by `by`.
    pub(super) fn new(
        email: &str,
        profile: Profile,
        role_id: String,
        by: &str,
        version: i64,
        t: OffsetDateTime,
    ) -> User {
        User {
            id: uuid_v4(),
            email: email.trim().to_owned(),
            contact_id: uuid_v4(),
            email_contact: true,
            profile,
            role_id,
            team_ids: Vec::new(),
            invitation_accepted: false,
            is_deactivated: false,
            deactivated_on: None,
            deleted_on: None,
            is_archived: false,
            created_on: t,
            created_by: by.to_owned(),
            updated_on: t,
            updated_by: by.to_owned(),
            resource_version: version,
            invitation: None,
        }
    }

    /// The `User` model with its teams.
    pub(super) fn json(&self) -> Value {
        let teams: Vec<Value> = self.team_ids.iter().filter_map(|t| team_model(t)).collect();
        self.to_json(&teams)
    }

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
            "userContactInfos": if self.email_contact { vec![contact] } else { Vec::new() },
            "resourceVersion": self.resource_version,
            "tags": [],
            "teams": teams,
            "isExternal": false,
        })
    }

    pub(super) fn is_active_admin(&self, roles: &[Role]) -> bool {
        self.deleted_on.is_none()
            && !self.is_deactivated
            && roles.iter().any(|r| r.id == self.role_id && r.is_admin)
    }
}

pub(super) fn team_model(id: &str) -> Option<Value> {
    TEAMS.iter().find(|t| t.0 == id).map(
        |(id, name, icon, color)| json!({ "id": id, "name": name, "icon": icon, "color": color }),
    )
}

/// A stable uuid derived from another one (the admin's account id).
pub(super) fn uuid_for(user_id: &str) -> String {
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
