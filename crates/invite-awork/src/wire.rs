//! awork's wire shapes, exactly as the OpenAPI document "awork API 1.3.0" names them
//! (`specs/awork/swagger.json`, contracts section 4).
//!
//! Requests carry only the fields the adapter means to send (`additionalProperties` is false
//! on every awork schema). Responses are read leniently: every field is optional, unknown
//! fields are ignored, timestamps stay strings (the spec's own example `1998-04-19T00:00:000Z`
//! is not RFC 3339, see [`invite_core::parse_timestamp`]) and `resourceVersion` is an `i64`
//! (it exceeds 2^53).

use serde::{Deserialize, Serialize};

/// `Invitation`: the body of `POST /invitations`.
///
/// `password`, `passcode`, `connectInviteCode` and `bookedSeats` exist in the schema but are
/// never sent by this adapter.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvitationBody {
    /// Always set: without it awork creates a new workspace (contracts 4.11 trap 1).
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

/// `InvitationResponse`: the answer of `POST /invitations`. `invitationCode` and
/// `passwordResetCode` are secrets; this type has no `Debug`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvitationResponse {
    #[serde(default)]
    pub invitation_code: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub workspace: Option<serde_json::Value>,
}

/// `AcceptInvitation`: the body of `POST /invitations/accept`. No `Debug`: it holds a secret.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AcceptInvitation<'a> {
    pub invitation_code: &'a str,
}

/// `UserStatus`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserStatus {
    /// Whether the user accepted the invitation to this workspace.
    #[serde(default)]
    pub invitation_accepted: Option<bool>,
    /// Whether the user is deactivated.
    #[serde(default)]
    pub is_deactivated: Option<bool>,
}

/// `ContactInfo` (the fields the adapter reads).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContactInfo {
    /// The contact info's id.
    #[serde(default)]
    pub id: Option<String>,
    /// `phone`, `email`, `address`, `messenger`, `social` or `urls`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// e.g. `work`, `private`.
    #[serde(default)]
    pub sub_type: Option<String>,
    /// The value, e.g. the address for `type: "email"`.
    #[serde(default)]
    pub value: Option<String>,
}

/// `TeamModel`: a team as listed on a user.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TeamModel {
    /// The team's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The team's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `User` (also the user part of `UserAndWorkspace`).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct User {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub status: Option<UserStatus>,
    #[serde(default)]
    pub is_archived: Option<bool>,
    #[serde(default)]
    pub is_deactivated: Option<bool>,
    #[serde(default)]
    pub deleted_on: Option<String>,
    #[serde(default)]
    pub created_on: Option<String>,
    #[serde(default)]
    pub updated_on: Option<String>,
    #[serde(default)]
    pub user_contact_infos: Option<Vec<ContactInfo>>,
    #[serde(default)]
    pub resource_version: Option<i64>,
    #[serde(default)]
    pub teams: Option<Vec<TeamModel>>,
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
#[serde(rename_all = "camelCase")]
pub struct WorkspaceOfUser {
    /// The workspace id: the value for `AWORK_WORKSPACE_ID`.
    #[serde(default)]
    pub id: Option<String>,
    /// The workspace name.
    #[serde(default)]
    pub name: Option<String>,
    /// The workspace's default URL.
    #[serde(default)]
    pub url: Option<String>,
}

/// `UserAndWorkspace`: the answer of `GET /me`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserAndWorkspace {
    #[serde(flatten)]
    pub user: User,
    #[serde(default)]
    pub workspace: Option<WorkspaceOfUser>,
}

/// `Role`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// The role's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The role's (unique) name.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether this is the admin role.
    #[serde(default)]
    pub is_admin_role: Option<bool>,
    /// Whether this is the guest role.
    #[serde(default)]
    pub is_guest_role: Option<bool>,
    /// Whether this is a preset role.
    #[serde(default)]
    pub is_preset: Option<bool>,
    /// Whether the role is archived.
    #[serde(default)]
    pub is_archived: Option<bool>,
}

/// `Team`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    /// The team's id.
    #[serde(default)]
    pub id: Option<String>,
    /// The team's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The team's icon.
    #[serde(default)]
    pub icon: Option<String>,
    /// The team's color.
    #[serde(default)]
    pub color: Option<String>,
    /// Member ids (only sent with `includeUserIds=true`).
    #[serde(default)]
    pub user_ids: Option<Vec<String>>,
}

/// `ValidationErrorResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ValidationError {
    #[serde(default)]
    pub property: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `ErrorResponse {code, description, link, details?, validationErrors?, traceId?}`. The spec
/// marks the first three required; they are optional here so a partial body still maps.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorResponse {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub details: Option<Vec<String>>,
    #[serde(default)]
    pub validation_errors: Option<Vec<ValidationError>>,
    #[serde(default)]
    pub trace_id: Option<String>,
}
