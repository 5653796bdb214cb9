//! Serde helpers for adapters' wire types, which are decoded from the raw JSON value a
//! [`User`](crate::User) keeps (`Deserialize::deserialize(&raw)`): with them, a wire struct
//! borrows its strings from that value instead of copying them.
//!
//! serde borrows a `Cow<'a, str>` field marked `#[serde(borrow)]`, but not one inside an
//! `Option` or a `Vec` (those go through `Cow`'s own impl, which always copies); a plain
//! `&'a str` borrows everywhere but changes the error wording. These keep both: a borrow
//! wherever the deserializer lends one (a `&serde_json::Value` always does), an owned string
//! otherwise, and the same errors as `Option<String>` / `Vec<String>`.
//!
//! ```
//! use std::borrow::Cow;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct WireUser<'a> {
//!     #[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]
//!     email: Option<Cow<'a, str>>,
//! }
//!
//! let raw = serde_json::json!({"email": "ada@example.com"});
//! let wire = WireUser::deserialize(&raw)?;
//! assert!(matches!(wire.email, Some(Cow::Borrowed("ada@example.com"))));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

/// A string borrowed from the input when the deserializer lends it, owned otherwise.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct BorrowedStr<'a>(#[serde(borrow)] pub Cow<'a, str>);

/// `#[serde(default, borrow, deserialize_with = "invite_core::de::opt_str")]` for an
/// `Option<Cow<'a, str>>` field: `null` is `None`, a string is borrowed, anything else is
/// the error an `Option<String>` gives ("expected a string").
pub fn opt_str<'de: 'a, 'a, D>(d: D) -> Result<Option<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<BorrowedStr<'a>>::deserialize(d)?.map(|s| s.0))
}

/// `#[serde(default, borrow, deserialize_with = "invite_core::de::str_vec")]` for a
/// `Vec<Cow<'a, str>>` field: each string borrowed; errors as for a `Vec<String>`.
pub fn str_vec<'de: 'a, 'a, D>(d: D) -> Result<Vec<Cow<'a, str>>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Vec::<BorrowedStr<'a>>::deserialize(d)?
        .into_iter()
        .map(|s| s.0)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Probe<'a> {
        #[serde(default, borrow, deserialize_with = "opt_str")]
        one: Option<Cow<'a, str>>,
        #[serde(default, borrow, deserialize_with = "str_vec")]
        many: Vec<Cow<'a, str>>,
    }

    #[derive(Deserialize)]
    struct Owned {
        #[serde(default)]
        #[allow(dead_code)]
        one: Option<String>,
        #[serde(default)]
        #[allow(dead_code)]
        many: Vec<String>,
    }

    #[test]
    fn borrows_from_a_value_and_errs_like_owned_strings() {
        let raw = json!({"one": "a", "many": ["b", "c"]});
        let p = Probe::deserialize(&raw).unwrap();
        assert!(matches!(p.one, Some(Cow::Borrowed("a"))));
        assert!(p.many.iter().all(|s| matches!(s, Cow::Borrowed(_))));
        let null = json!({"one": null});
        let p = Probe::deserialize(&null).unwrap();
        assert!(p.one.is_none() && p.many.is_empty());
        // From bytes with an escape the string cannot be borrowed: it is owned instead.
        let p: Probe<'_> = serde_json::from_str(r#"{"one": "a\"b"}"#).unwrap();
        assert_eq!(p.one.as_deref(), Some("a\"b"));
        for bad in [
            json!({"one": 5}),
            json!({"many": [1]}),
            json!({"many": "x"}),
        ] {
            let ours = Probe::deserialize(&bad).err().map(|e| e.to_string());
            let owned = Owned::deserialize(&bad).err().map(|e| e.to_string());
            assert!(ours.is_some());
            assert_eq!(ours, owned, "{bad}");
        }
    }
}
