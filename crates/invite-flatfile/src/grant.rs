//! Flatfile's grant: an actor role, a role bound to an account, environment or space.

use invite_core::{AdapterGrant, Grant, GrantKind, Result, SingleKindGrant};
use serde::{Deserialize, Serialize};

use crate::config::{ActorRoleSpec, check_resource_id, check_role_id};
use crate::wire::RoleAssignment;

/// The kind of Flatfile's grants, fields `role_id` (`us_rol_…`) and `resource_id`
/// (`us_acc_…`, `us_env_…` or `us_sp_…`); shown as `role us_rol_… on us_acc_…`.
pub const ACTOR_ROLE: GrantKind =
    GrantKind::new("flatfile_actor_role").phrased("role {role_id} on {resource_id}");

/// A role bound to a resource: what a Flatfile user is given.
///
/// ```
/// use invite_core::Grant;
/// use invite_flatfile::ActorRole;
///
/// let grant: Grant = ActorRole::new("us_rol_admin", "us_acc_1").into();
/// assert_eq!(grant.to_string(), "role us_rol_admin on us_acc_1");
/// ```
///
/// Equal when the role and the resource are: the assignment a role read from Flatfile
/// carries (what deleting it takes) is not part of the grant.
#[derive(Clone, Debug, Eq, Serialize, Deserialize)]
pub struct ActorRole {
    /// The role (`us_rol_…`).
    pub role_id: String,
    /// The account, environment or space (`us_acc_…`, `us_env_…`, `us_sp_…`).
    pub resource_id: String,
    /// The assignment (`us_acr_…`) holding it, when read from Flatfile.
    #[serde(skip)]
    pub(crate) assignment: Option<String>,
}

impl ActorRole {
    /// `role_id` on `resource_id`; the ids are checked before any request is sent.
    pub fn new(role_id: impl Into<String>, resource_id: impl Into<String>) -> Self {
        Self {
            role_id: role_id.into(),
            resource_id: resource_id.into(),
            assignment: None,
        }
    }

    /// Checks both ids' prefixes; errors name `field.role_id` or `field.resource_id`.
    pub fn check(&self, field: &str) -> Result<()> {
        check_role_id(&self.role_id, &format!("{field}.role_id"))?;
        check_resource_id(&self.resource_id, &format!("{field}.resource_id"))
    }
}

impl PartialEq for ActorRole {
    fn eq(&self, other: &Self) -> bool {
        self.role_id == other.role_id && self.resource_id == other.resource_id
    }
}

impl SingleKindGrant for ActorRole {
    const KIND: GrantKind = ACTOR_ROLE;

    fn check(&self, field: &str) -> Result<()> {
        ActorRole::check(self, field)
    }
}

impl From<ActorRole> for Grant {
    fn from(role: ActorRole) -> Self {
        role.to_grant()
    }
}

impl From<ActorRoleSpec> for ActorRole {
    fn from(spec: ActorRoleSpec) -> Self {
        Self::new(spec.role_id, spec.resource_id)
    }
}

impl From<&RoleAssignment> for ActorRole {
    fn from(a: &RoleAssignment) -> Self {
        Self {
            assignment: Some(a.id.clone()),
            ..Self::new(a.role_id.as_str(), a.resource_id.as_str())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use invite_core::Error;

    #[test]
    fn grants_are_validated_with_field_names() {
        let g = |r: &str, s: &str| ActorRole::new(r, s).to_grant();
        let ok = ActorRole::from_grants(
            &[g("us_rol_a", "us_acc_1"), g("us_rol_a", "us_acc_1")],
            "grants",
        )
        .unwrap();
        assert_eq!(ok.len(), 1, "duplicates dropped");
        let scim = Grant::new(GrantKind::new("scim_group")).with("group_id", "g");
        for (grants, field) in [
            (vec![g("rol_a", "us_acc_1")], "grants[0].role_id"),
            (
                vec![g("us_rol_a", "us_acc_1"), g("us_rol_a", "acc_1")],
                "grants[1].resource_id",
            ),
            (vec![scim], "grants[0]"),
        ] {
            match ActorRole::from_grants(&grants, "grants") {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn wire_form_is_the_old_tagged_one_and_ignores_the_assignment() {
        let mut role = ActorRole::new("us_rol_a", "us_env_1");
        role.assignment = Some("us_acr_1".into());
        let grant = role.to_grant();
        assert_eq!(
            serde_json::to_value(&grant).unwrap(),
            serde_json::json!({
                "kind": "flatfile_actor_role", "role_id": "us_rol_a", "resource_id": "us_env_1"
            })
        );
        assert_eq!(grant.to_string(), "role us_rol_a on us_env_1");
        assert_eq!(ActorRole::from_grant(&grant, "g").unwrap(), role);
    }
}
