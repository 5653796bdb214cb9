//! Email addresses: validated once, compared case-insensitively, shown as typed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Longest address accepted (RFC 5321 path limit).
const MAX_EMAIL_LEN: usize = 254;
/// Longest local part accepted (RFC 5321).
const MAX_LOCAL_LEN: usize = 64;

/// A validated email address.
///
/// Equality and hashing ignore letter case (every vendor here matches addresses
/// case-insensitively), while [`Email::as_str`] and `Display` keep exactly what the caller
/// typed, so the vendor receives the address as given.
///
/// The policy is stricter than RFC 5322 on purpose: no quoted local parts, no IP-literal
/// domains, no whitespace or control characters, a dot in the domain, and LDH domain labels.
///
/// ```
/// use invite_core::Email;
/// let a: Email = "Ada.Lovelace@Example.com".parse()?;
/// let b: Email = "ada.lovelace@example.com".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.as_str(), "Ada.Lovelace@Example.com");
/// assert!("not an email".parse::<Email>().is_err());
/// # Ok::<(), invite_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Email {
    original: String,
    /// `None` when the address is already in normalized form (the usual case): one string
    /// instead of two equal ones.
    lowered: Option<String>,
}

impl Email {
    /// Validates `input` (after trimming surrounding whitespace) as an email address.
    pub fn parse(input: &str) -> Result<Self> {
        let trimmed = input.trim();
        validate_email(trimmed).map_err(|reason| Error::invalid_input("email", reason))?;
        Ok(Self {
            original: trimmed.to_owned(),
            lowered: lowered(trimmed),
        })
    }

    /// The address exactly as the caller typed it (trimmed).
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The lower-cased form used for comparisons and lookup keys.
    #[inline]
    pub fn normalized(&self) -> &str {
        self.lowered.as_deref().unwrap_or(&self.original)
    }

    /// The part before the last `@`, as typed (`"Ada.Lovelace"` for `Ada.Lovelace@example.com`).
    pub fn local_part(&self) -> &str {
        self.as_str()
            .rsplit_once('@')
            .map(|(local, _)| local)
            .unwrap_or_default()
    }

    /// The domain part, lower-cased.
    pub fn domain(&self) -> &str {
        self.normalized()
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }
}

/// The normalized form of `s`, or `None` when `s` is already normalized (no second string).
/// Lower-cases character by character, keeping a character whose lower case is more than
/// one character (`İ` → `i` + U+0307): the normalized form stays a valid address that
/// parses back to itself.
fn lowered(s: &str) -> Option<String> {
    if s.is_ascii() {
        return s
            .bytes()
            .any(|b| b.is_ascii_uppercase())
            .then(|| s.to_ascii_lowercase());
    }
    let normalized: String = s
        .chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => l,
                _ => c,
            }
        })
        .collect();
    (normalized != s).then_some(normalized)
}

fn validate_email(s: &str) -> std::result::Result<(), String> {
    validate_email_policy(s)?;
    // Second opinion from a maintained parser for internationalized addresses, where our
    // policy is lax (any alphanumeric character). For ASCII addresses the policy is
    // stricter than that parser (`tests::ascii_policy_is_never_laxer_than_email_address`
    // checks it on generated addresses), so the second opinion would add nothing there.
    if !s.is_ascii() && !email_address::EmailAddress::is_valid(s) {
        return Err("is not a valid address".into());
    }
    Ok(())
}

/// Our acceptance policy: a dot-atom local part, a dotted hostname domain, no IP literals,
/// no quoted parts, RFC length limits.
fn validate_email_policy(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > MAX_EMAIL_LEN {
        return Err(format!("is longer than {MAX_EMAIL_LEN} characters"));
    }
    if let Some(c) = s.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "contains a whitespace or control character ({:?})",
            c
        ));
    }
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err("has no '@'".into());
    };
    if local.is_empty() {
        return Err("has an empty local part".into());
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(format!(
            "has a local part longer than {MAX_LOCAL_LEN} characters"
        ));
    }
    if local.contains('@') || local.contains('"') {
        return Err("quoted local parts and extra '@' are not accepted".into());
    }
    let local_char_ok = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '$'
                    | '%'
                    | '&'
                    | '\''
                    | '*'
                    | '+'
                    | '-'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '`'
                    | '{'
                    | '|'
                    | '}'
                    | '~'
                    | '.'
            )
            || (!c.is_ascii() && c.is_alphanumeric())
    };
    if let Some(c) = local.chars().find(|c| !local_char_ok(*c)) {
        return Err(format!(
            "has a character not allowed in the local part ({c:?})"
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("has a misplaced '.' in the local part".into());
    }
    if domain.starts_with('[') {
        return Err("IP-literal domains are not accepted".into());
    }
    if !domain.contains('.') {
        return Err("has a domain without a '.'".into());
    }
    for label in domain.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(format!("has an invalid domain label {label:?}"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "has a domain label starting or ending with '-' ({label:?})"
            ));
        }
        if let Some(c) = label.chars().find(|c| {
            !(c.is_ascii_alphanumeric() || *c == '-' || (!c.is_ascii() && c.is_alphanumeric()))
        }) {
            return Err(format!("has a character not allowed in the domain ({c:?})"));
        }
    }
    Ok(())
}

impl FromStr for Email {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for Email {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        Self::parse(&s)
    }
}

compare_by!(Email, normalized);

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({:?})", self.original)
    }
}

impl Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.original)
    }
}
impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_ordinary_addresses() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.com",
            "O'Brien@example.ie",
            "x_y-z@ex-ample.org",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn ascii_policy_is_never_laxer_than_email_address() {
        let local_chars: Vec<char> = "aZ09.-_+!#$%&'*/=?^`{|}~".chars().collect();
        let domain_chars: Vec<char> = "aZ09-".chars().collect();
        let mut rng = fastrand::Rng::with_seed(7);
        let pick = |rng: &mut fastrand::Rng, from: &[char], n: usize| -> String {
            (0..n).map(|_| from[rng.usize(..from.len())]).collect()
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let local_len = if rng.u8(..10) == 0 {
                rng.usize(60..70)
            } else {
                rng.usize(1..8)
            };
            let local = pick(&mut rng, &local_chars, local_len);
            let mut labels: Vec<String> = (0..rng.usize(1..5))
                .map(|_| {
                    let n = match rng.u8(..20) {
                        0 => rng.usize(60..66),
                        1 => 0,
                        _ => rng.usize(1..6),
                    };
                    pick(&mut rng, &domain_chars, n)
                })
                .collect();
            if rng.u8(..4) == 0 {
                labels.push("co".into());
            }
            if rng.u8(..30) == 0 {
                while labels.iter().map(|l| l.len() + 1).sum::<usize>() + local.len() < 250 {
                    labels.insert(0, "abcdefghi".into());
                }
            }
            let address = format!("{local}@{}", labels.join("."));
            if validate_email_policy(&address).is_ok() {
                accepted += 1;
                assert!(
                    email_address::EmailAddress::is_valid(&address),
                    "our policy accepts {address:?}, email_address does not"
                );
            }
        }
        // The generator must exercise the policy's accepting side, not only its refusals.
        assert!(
            accepted > 20_000,
            "only {accepted} generated addresses were accepted"
        );
    }

    #[test]
    fn email_rejects_bad_addresses_with_reason() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@exa mple.com",
            "a@example.com\nBcc: x@y.com",
            "\"a b\"@example.com",
            "a@[127.0.0.1]",
            "a..b@example.com",
            "a@-x.com",
            "a@x.com?b",
            "a@x..com",
            "a\u{0}@x.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidInput { ref field, .. } if field == "email"),
                "{bad:?}: {err:?}"
            );
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn email_case_insensitive_but_keeps_original() {
        let a = Email::parse("  Ada@Example.COM ").unwrap();
        let b = Email::parse("ada@example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Ada@Example.COM");
        assert_eq!(a.normalized(), "ada@example.com");
        assert_eq!(a.domain(), "example.com");
        assert_eq!(a.local_part(), "Ada");
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_eq!(serde_json::to_string(&b).unwrap(), "\"ada@example.com\"");
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }

    #[test]
    fn normalized_form_parses_back_to_itself() {
        // Found by fuzzing: "İ".to_lowercase() is "i" + a combining dot, which is not a
        // valid local-part character.
        for raw in [
            "İ@example.com",
            "ÀDA@Example.COM",
            "ǅx@example.com",
            "ada@example.com",
        ] {
            let e = Email::parse(raw).unwrap();
            let again = Email::parse(e.normalized()).unwrap();
            assert_eq!(again.normalized(), e.normalized(), "{raw}");
            assert_eq!(again, e);
        }
        assert_eq!(
            Email::parse("ÀDA@x.com").unwrap(),
            Email::parse("àda@X.COM").unwrap()
        );
    }
}
