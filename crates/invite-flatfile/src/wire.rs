//! Flatfile's wire shapes (`@flatfile/api` 1.23.1, `docs/vendors/flatfile.md`), as the API
//! sends and expects them. Decoding is lenient: unknown fields are ignored and every field
//! the adapter can live without is optional (an `Option` field may be absent).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::grant::ActorRole;

/// `{ "data": T }`: every single-object answer is wrapped like this.
#[derive(Debug, Deserialize)]
pub(crate) struct Data<T> {
    pub data: T,
}

/// `User` (and `UserWithRoles` when `actorRoles` is present), read by [`invite_core::decode`]
/// from the JSON value the adapter keeps as the user's [`invite_core::RawPayload`]; strings
/// are borrowed from it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireUser<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
    pub email: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
    pub name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
    pub created_at: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
    pub updated_at: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
    pub last_seen_at: Option<Cow<'a, str>>,
    /// Present on `UserWithRoles` (invite answer) only.
    pub actor_roles: Option<Vec<RoleAssignment>>,
}

/// `ListUsersResponse`: `{data: User[], pagination?: {currentPage, pageCount, totalCount}}`.
/// Items stay JSON values so each user's untouched payload can be kept.
#[derive(Debug, Deserialize)]
pub(crate) struct ListUsersResponse {
    #[serde(default)]
    pub data: Vec<serde_json::Value>,
    pub pagination: Option<Pagination>,
}

/// Flatfile's `Pagination` (`currentPage` and `totalCount` are not needed).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Pagination {
    pub page_count: Option<u64>,
}

/// `UserCreateAndInviteRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InviteRequest<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub actor_roles: Vec<AssignActorRoleRequest<'a>>,
}

/// `AssignActorRoleRequest` (invite entries and `POST /users/{id}/roles`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AssignActorRoleRequest<'a> {
    pub role_id: &'a str,
    pub resource_id: &'a str,
}

impl<'a> From<&'a ActorRole> for AssignActorRoleRequest<'a> {
    fn from(role: &'a ActorRole) -> Self {
        Self {
            role_id: &role.role_id,
            resource_id: &role.resource_id,
        }
    }
}

/// `UpdateUserRequest` (only `name` is used; `dashboard` is not part of the normalized model).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateUserRequest<'a> {
    pub name: &'a str,
}

/// `Errors`: `{errors: [{key?, message}]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct Errors {
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
}

/// One entry of [`Errors`].
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorItem {
    pub key: Option<String>,
    pub message: Option<String>,
}

/// One role assignment of a user (`ActorRoleResponse`, also `AssignRoleResponseData`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    /// The assignment's id (`us_acr_…`), needed to remove it.
    pub id: String,
    /// The role (`us_rol_…`).
    pub role_id: String,
    /// The actor holding it (`us_usr_…`, or `us_ag_…` / `us_g_…`; not always the user id).
    pub actor_id: Option<String>,
    /// The account, environment or space (`us_acc_…`, `us_env_…`, `us_sp_…`).
    pub resource_id: String,
    /// When it was created (ISO 8601, as sent).
    pub created_at: Option<String>,
    /// When it was last updated (ISO 8601, as sent).
    pub updated_at: Option<String>,
}

/// A role of the account (`RoleResponse`), from `GET /roles`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    /// The role id (`us_rol_…`).
    pub id: String,
    /// Its name, e.g. `Admin`.
    pub name: Option<String>,
    /// The account (`us_acc_…`).
    pub account_id: Option<String>,
    /// When it was created (ISO 8601, as sent).
    pub created_at: Option<String>,
    /// When it was last updated (ISO 8601, as sent).
    pub updated_at: Option<String>,
}

/// The account the API key belongs to, from `GET /accounts/current`
/// (`docs/vendors/flatfile.md#oq-accounts-current`, answered by Flatfile's reference page).
/// Only `id` is relied on; the whole answer is kept in [`Account::raw`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq)]
pub struct Account {
    /// The account id (`us_acc_…`).
    pub id: String,
    /// Its name, if sent.
    pub name: Option<String>,
    /// Its default environment (`us_env_…`), if sent.
    pub default_environment_id: Option<String>,
    /// The `data` object as received.
    pub raw: serde_json::Value,
}

/// The fields of [`Account`] read from the answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireAccount {
    pub id: String,
    pub name: Option<String>,
    pub default_environment_id: Option<String>,
}
