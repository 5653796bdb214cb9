//! Email addresses as the surfaces compare and check them.

/// Trimmed, lower-cased form of an email address used for comparisons.
pub(crate) fn norm_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Whether two addresses are the same once trimmed and lower-cased.
pub(crate) fn same_email(a: &str, b: &str) -> bool {
    norm_email(a) == norm_email(b)
}

/// A deliberately small syntactic email check: one `@`, non-empty local
/// part, a dot in the domain, no whitespace.
pub(crate) fn looks_like_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_helpers() {
        assert!(looks_like_email("a.b@example.com"));
        assert!(!looks_like_email("a b@example.com"));
        assert!(!looks_like_email("ab@example"));
        assert_eq!(norm_email(" A@B.com "), "a@b.com");
        assert!(same_email(" A@B.com", "a@b.COM "));
    }
}
