//! The site-users grant: an access group by slug, on the wire exactly as before:
//! `{"kind": "webflow_access_group", "slug": "premium-members"}`.

use invite_core::{AdapterGrant, Error, Grant, GrantKind, Result, SingleKindGrant};
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

impl SingleKindGrant for AccessGroupGrant {
    const KIND: GrantKind = ACCESS_GROUP;

    /// Checks the slug (errors name `{field}.slug`).
    fn check(&self, field: &str) -> Result<()> {
        check_slug(&self.slug)
            .map_err(|reason| Error::invalid_input(format!("{field}.slug"), reason))
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
