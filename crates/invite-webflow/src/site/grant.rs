//! The site-users grant: an access group by slug, on the wire exactly as before:
//! `{"kind": "webflow_access_group", "slug": "premium-members"}`.

use invite_core::{AdapterGrant, Error, Grant, GrantKind, Result};
use serde::{Deserialize, Serialize};

use super::config::check_slug;

/// A site user's access group. Field `slug`.
pub const ACCESS_GROUP: GrantKind =
    GrantKind::new("webflow_access_group").phrased("access group {slug}");

/// An [`ACCESS_GROUP`] grant: the site users adapter's typed grant.
///
/// ```
/// use invite_core::Grant;
/// use invite_webflow::site::AccessGroupGrant;
/// let g = AccessGroupGrant::grant("premium-members");
/// assert_eq!(g.to_string(), "access group premium-members");
/// assert_eq!(
///     serde_json::to_value(&g)?,
///     serde_json::json!({"kind": "webflow_access_group", "slug": "premium-members"})
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AccessGroupGrant {
    /// The access group's slug.
    pub slug: String,
}

impl AccessGroupGrant {
    /// The grant of the access group `slug`.
    pub fn grant(slug: impl Into<String>) -> Grant {
        Self { slug: slug.into() }.to_grant()
    }
}

impl AdapterGrant for AccessGroupGrant {
    const KINDS: &'static [GrantKind] = &[ACCESS_GROUP];

    fn to_grant(&self) -> Grant {
        Grant::encode(ACCESS_GROUP, self)
    }

    /// Reads the grant and checks its slug (errors name `{field}.slug`).
    fn from_grant(grant: &Grant, field: &str) -> Result<Self> {
        let g: Self = grant.decode(ACCESS_GROUP, field)?;
        check_slug(&g.slug)
            .map_err(|reason| Error::invalid_input(format!("{field}.slug"), reason))?;
        Ok(g)
    }
}

impl From<AccessGroupGrant> for Grant {
    fn from(g: AccessGroupGrant) -> Self {
        g.to_grant()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked_and_deduplicated() {
        let g = AccessGroupGrant::grant;
        assert_eq!(
            AccessGroupGrant::from_grants(&[g("a"), g("b"), g("a")], "grants").unwrap(),
            vec![
                AccessGroupGrant { slug: "a".into() },
                AccessGroupGrant { slug: "b".into() }
            ]
        );
        assert!(matches!(
            AccessGroupGrant::from_grants(&[g("a"), g(" ")], "grants"),
            Err(Error::InvalidInput { field, .. }) if field == "grants[1].slug"
        ));
        let other = Grant::new(GrantKind::new("awork_role")).with("role_id", "r");
        assert!(AccessGroupGrant::from_grant(&other, "grants[0]").is_err());
    }
}
