//! awork's wire shapes, exactly as the OpenAPI document "awork API" 1.3.0 names them
//! (<https://github.com/awork-io/awork-cli> `swagger.json`; `docs/vendors/awork.md`).
//!
//! Requests carry only the fields the adapter means to send (`additionalProperties` is false
//! on every awork schema). Responses are read leniently: every field is optional, unknown
//! fields are ignored, timestamps stay strings (the spec's own example `1998-04-19T00:00:000Z`
//! is not RFC 3339, see [`invite_core::parse_timestamp`]) and `resourceVersion` is an `i64`
//! (it exceeds 2^53). The user shapes are read from the JSON value the adapter keeps as the
//! raw payload, their strings borrowed from it.

use serde::{Deserialize, Serialize};

/// `Invitation`: the body of `POST /invitations`.
///
/// `password`, `passcode`, `connectInviteCode` and `bookedSeats` exist in the schema but are
/// never sent by this adapter.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvitationBody {
    /// Always set: without it awork creates a new workspace
    /// (`docs/vendors/awork.md#trap-invite-without-workspace-creates-one`).
    pub workspace_id: String,
    pub invitation_flow: &'static str,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub team_ids: Vec<String>,
    pub skip_sending_email: bool,
}

/// `InvitationResponse`: the answer of `POST /invitations`, read from the raw JSON value the
/// adapter keeps (the strings are borrowed from it, not copied). `workspace` is not decoded:
/// the adapter reads it from the raw value. `invitationCode` and `passwordResetCode` are
/// secrets; this type has no `Debug`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct InvitationResponse<'a> {
    pub invitation_code: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

/// `AcceptInvitation`: the body of `POST /invitations/accept`. No `Debug`: it holds a secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AcceptInvitation<'a> {
    pub invitation_code: &'a str,
}

/// `UserStatus`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct UserStatus {
    /// Whether the user accepted the invitation to this workspace.
    pub invitation_accepted: Option<bool>,
    /// Whether the user is deactivated.
    pub is_deactivated: Option<bool>,
}

/// `ContactInfo` (the fields the adapter reads). Decoded from a borrowed JSON value, the
/// strings borrow from it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactInfo<'a> {
    /// The contact info's id.
    pub id: Option<&'a str>,
    /// `phone`, `email`, `address`, `messenger`, `social` or `urls`.
    #[serde(rename = "type")]
    pub kind: Option<&'a str>,
    /// e.g. `work`, `private`.
    pub sub_type: Option<&'a str>,
    /// The value, e.g. the address for `type: "email"`.
    pub value: Option<&'a str>,
}

/// `TeamModel`: a team as listed on a user. Decoded from a borrowed JSON value, the strings
/// borrow from it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct TeamModel<'a> {
    /// The team's id.
    pub id: Option<&'a str>,
    /// The team's name.
    pub name: Option<&'a str>,
}

/// `User` (also the user part of `UserAndWorkspace`), read from the raw JSON value the
/// adapter keeps: the strings are borrowed from it, not copied.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct User<'a> {
    pub id: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub title: Option<&'a str>,
    pub position: Option<&'a str>,
    pub language: Option<&'a str>,
    pub status: Option<UserStatus>,
    pub is_archived: Option<bool>,
    pub is_deactivated: Option<bool>,
    pub deleted_on: Option<&'a str>,
    pub created_on: Option<&'a str>,
    pub updated_on: Option<&'a str>,
    #[serde(borrow)]
    pub user_contact_infos: Option<Vec<ContactInfo<'a>>>,
    pub resource_version: Option<i64>,
    #[serde(borrow)]
    pub teams: Option<Vec<TeamModel<'a>>>,
}

/// `UserForm`: the body of `PUT /users/{userId}`. PUT replaces every field, so the adapter
/// always sends all seven, copied from the current user where unchanged.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserForm {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<String>,
    pub gender: Option<String>,
    pub title: Option<String>,
    pub position: Option<String>,
    pub language: Option<String>,
}

/// `MoveUserInRole`: the body of `POST /roles/moveuser`.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MoveUserInRole<'a> {
    pub user_id: &'a str,
    pub to_role_id: &'a str,
}

/// `WorkspaceOfUser`: the workspace part of `GET /me`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkspaceOfUser {
    /// The workspace id: the value for `AWORK_WORKSPACE_ID`.
    pub id: Option<String>,
    /// The workspace name.
    pub name: Option<String>,
    /// The workspace's default URL.
    pub url: Option<String>,
}

/// `UserAndWorkspace`: the answer of `GET /me`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct UserAndWorkspace<'a> {
    #[serde(flatten, borrow)]
    pub user: User<'a>,
    pub workspace: Option<WorkspaceOfUser>,
}

/// `Role`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Role {
    /// The role's id.
    pub id: Option<String>,
    /// The role's (unique) name.
    pub name: Option<String>,
    /// Whether this is the admin role.
    pub is_admin_role: Option<bool>,
    /// Whether this is the guest role.
    pub is_guest_role: Option<bool>,
    /// Whether this is a preset role.
    pub is_preset: Option<bool>,
    /// Whether the role is archived.
    pub is_archived: Option<bool>,
}

/// `Team`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct Team {
    /// The team's id.
    pub id: Option<String>,
    /// The team's name.
    pub name: Option<String>,
    /// The team's icon.
    pub icon: Option<String>,
    /// The team's color.
    pub color: Option<String>,
    /// Member ids (only sent with `includeUserIds=true`).
    pub user_ids: Option<Vec<String>>,
}

/// `ValidationErrorResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ValidationError {
    pub property: Option<String>,
    pub message: Option<String>,
}

/// `ErrorResponse {code, description, link, details?, validationErrors?, traceId?}`. The spec
/// marks the first three required; they are optional here so a partial body still maps.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ErrorResponse {
    pub code: Option<String>,
    pub description: Option<String>,
    pub details: Option<Vec<String>>,
    pub validation_errors: Option<Vec<ValidationError>>,
    pub trace_id: Option<String>,
}
