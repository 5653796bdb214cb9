//! awork's grants: the role a person holds (exactly one) and the teams they are in.

use invite_core::{AdapterGrant, Error, Grant, GrantKind, Result};
use serde::Deserialize;

use crate::config::check_uuid;

/// An awork role, `{"kind": "awork_role", "role_id": "…"}`. Every user holds exactly one
/// (listed in [`invite_core::Capabilities::exclusive_grant_kinds`]).
pub const ROLE: GrantKind = GrantKind::new("awork_role").phrased("role {role_id}");
/// An awork team, `{"kind": "awork_team", "team_id": "…"}`. A user is in any number.
pub const TEAM: GrantKind = GrantKind::new("awork_team").phrased("team {team_id}");

/// An awork grant, read from a [`Grant`] of kind [`ROLE`] or [`TEAM`] with its id checked
/// to be a UUID. Ids are compared without regard to case (awork's ids are UUIDs).
#[non_exhaustive]
#[derive(Clone, Debug, Eq)]
pub enum AworkGrant {
    /// The role (`Role.id`).
    Role {
        /// The role's id.
        role_id: String,
    },
    /// A team (`Team.id`).
    Team {
        /// The team's id.
        team_id: String,
    },
}

impl AworkGrant {
    /// A [`ROLE`] grant: `AworkGrant::role("11111111-2222-4333-8444-555555555555")`.
    pub fn role(role_id: impl Into<String>) -> Grant {
        Grant::new(ROLE).with("role_id", role_id)
    }

    /// A [`TEAM`] grant.
    pub fn team(team_id: impl Into<String>) -> Grant {
        Grant::new(TEAM).with("team_id", team_id)
    }

    /// The role's or team's id.
    pub fn id(&self) -> &str {
        match self {
            AworkGrant::Role { role_id: id } | AworkGrant::Team { team_id: id } => id,
        }
    }
}

impl PartialEq for AworkGrant {
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.id().eq_ignore_ascii_case(other.id())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFields {
    role_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TeamFields {
    team_id: String,
}

impl AdapterGrant for AworkGrant {
    const KINDS: &'static [GrantKind] = &[ROLE, TEAM];

    fn to_grant(&self) -> Grant {
        match self {
            AworkGrant::Role { role_id } => Self::role(role_id.as_str()),
            AworkGrant::Team { team_id } => Self::team(team_id.as_str()),
        }
    }

    fn from_grant(grant: &Grant, field: &str) -> Result<Self> {
        let typed = if grant.is(ROLE) {
            let RoleFields { role_id } = grant.decode(ROLE, field)?;
            AworkGrant::Role { role_id }
        } else if grant.is(TEAM) {
            let TeamFields { team_id } = grant.decode(TEAM, field)?;
            AworkGrant::Team { team_id }
        } else {
            return Err(Error::invalid_input(
                field,
                format!("awork has roles and teams, not a {}", grant.kind_label()),
            ));
        };
        let name = match typed {
            AworkGrant::Role { .. } => "role_id",
            AworkGrant::Team { .. } => "team_id",
        };
        check_uuid(&format!("{field}.{name}"), typed.id())?;
        Ok(typed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: &str = "11111111-2222-4333-8444-555555555555";
    const T: &str = "aaaaaaaa-0000-4000-8000-000000000001";

    #[test]
    fn wire_form_phrase_and_round_trip() {
        let role = AworkGrant::role(R);
        assert_eq!(
            serde_json::to_value(&role).unwrap(),
            serde_json::json!({"kind": "awork_role", "role_id": R})
        );
        assert_eq!(role.to_string(), format!("role {R}"));
        assert_eq!(AworkGrant::team(T).to_string(), format!("team {T}"));
        let typed = AworkGrant::from_grant(&role, "grants[0]").unwrap();
        assert_eq!(typed.to_grant(), role);
        // Read back from JSON (kind known only by name): still the same grant.
        let back: Grant =
            serde_json::from_str(&format!(r#"{{"kind":"awork_team","team_id":"{T}"}}"#)).unwrap();
        assert_eq!(
            AworkGrant::from_grant(&back, "g").unwrap(),
            AworkGrant::Team {
                team_id: T.to_uppercase()
            }
        );
    }

    #[test]
    fn fields_are_checked_and_named() {
        let field = |g: Grant| match AworkGrant::from_grants(&[AworkGrant::team(T), g], "grants") {
            Err(Error::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(AworkGrant::role("../x")), "grants[1].role_id");
        assert_eq!(field(AworkGrant::team("a/b")), "grants[1].team_id");
        assert_eq!(field(Grant::new(ROLE)), "grants[1]");
        assert_eq!(field(AworkGrant::team(T).with("extra", "x")), "grants[1]");
        assert_eq!(field(Grant::new(GrantKind::new("scim_group"))), "grants[1]");
    }

    #[test]
    fn duplicates_are_dropped_whatever_their_case() {
        // (A second, different role is refused by the pipeline: roles are an exclusive kind.)
        let same = [
            AworkGrant::role(R),
            AworkGrant::team(T),
            AworkGrant::role(R.to_uppercase()),
            AworkGrant::team(T.to_uppercase()),
        ];
        assert_eq!(AworkGrant::from_grants(&same, "grants").unwrap().len(), 2);
    }
}
