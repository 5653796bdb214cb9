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

    #[test]
    fn borrowed_strings_read_and_refuse_what_owned_ones_do() {
        use serde_json::{Value, json};
        #[derive(Deserialize)]
        struct Owned {
            #[serde(default)]
            s: Option<String>,
            #[serde(default)]
            v: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Borrowed<'a> {
            #[serde(default, borrow, deserialize_with = "opt_str")]
            s: Option<Cow<'a, str>>,
            #[serde(default, borrow, deserialize_with = "str_vec")]
            v: Vec<Cow<'a, str>>,
        }
        let ok = json!({"s": "a", "v": ["b", "c"]});
        let b = Borrowed::deserialize(&ok).unwrap();
        assert!(matches!(b.s, Some(Cow::Borrowed("a"))));
        assert!(matches!(
            b.v.as_slice(),
            [Cow::Borrowed("b"), Cow::Borrowed("c")]
        ));
        for v in [json!({}), json!({"s": null})] {
            let b = Borrowed::deserialize(&v).unwrap();
            assert!(b.s.is_none() && b.v.is_empty());
        }
        // From text the strings cannot be borrowed when escaped, and are read all the same.
        let b: Borrowed<'_> = serde_json::from_str(r#"{"s":"a\"b","v":["c"]}"#).unwrap();
        assert_eq!(b.s.as_deref(), Some("a\"b"));
        assert!(matches!(b.v.as_slice(), [Cow::Borrowed("c")]));
        let bad: [Value; 5] = [
            json!({"s": 5}),
            json!({"s": ["x"]}),
            json!({"v": null}),
            json!({"v": [1]}),
            json!({"v": "x"}),
        ];
        for v in bad {
            let owned = Owned::deserialize(&v).map(|o| (o.s, o.v)).unwrap_err();
            let borrowed = Borrowed::deserialize(&v).map(|b| (b.s, b.v)).unwrap_err();
            assert_eq!(owned.to_string(), borrowed.to_string(), "{v}");
        }
    }
}
