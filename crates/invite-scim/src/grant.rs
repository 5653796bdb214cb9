//! The SCIM grant: membership of a group, by the group's server-assigned id.

use invite_core::{AdapterGrant, Grant, GrantKind, Result, SingleKindGrant, check_id};
use serde::{Deserialize, Serialize};

/// Membership of a SCIM group. Field: `group_id` (the group's `id`, not its display name).
pub const SCIM_GROUP: GrantKind = GrantKind::new("scim_group").phrased("group {group_id}");

/// A SCIM group a person belongs to (grant kind [`SCIM_GROUP`]); a person may hold any
/// number. On the wire: `{"kind": "scim_group", "group_id": "…"}`.
///
/// ```
/// use invite_core::AdapterGrant;
/// use invite_scim::ScimGroup;
/// let grant = ScimGroup::grant("designers-id");
/// assert_eq!(grant.to_string(), "group designers-id");
/// assert_eq!(ScimGroup::from_grant(&grant, "grants[0]")?, ScimGroup::new("designers-id"));
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScimGroup {
    /// The group's `id`.
    pub group_id: String,
}

impl ScimGroup {
    /// Membership of the group with this id.
    pub fn new(group_id: impl Into<String>) -> Self {
        Self {
            group_id: group_id.into(),
        }
    }

    /// Membership of the group with this id, as a [`Grant`].
    pub fn grant(group_id: impl Into<String>) -> Grant {
        Self::new(group_id).to_grant()
    }
}

impl SingleKindGrant for ScimGroup {
    const KIND: GrantKind = SCIM_GROUP;

    /// The id must be one safe path segment (`grants[i].group_id` names it otherwise).
    fn check(&self, field: &str) -> Result<()> {
        check_id(&format!("{field}.group_id"), &self.group_id)
    }
}
