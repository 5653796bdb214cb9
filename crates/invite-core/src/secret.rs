//! Secret newtypes: one distinct type per kind of credential (an awork token, a Flatfile
//! key, a Webflow site token, …), so one cannot be passed where another belongs, each over
//! a [`SecretString`](crate::SecretString) with a redacting `Debug` and no `Display`.
//!
//! [`secret_type!`](crate::secret_type) declares such a type:
//!
//! ```
//! invite_core::secret_type! {
//!     /// A demo tool's API key.
//!     pub struct DemoKey;
//! }
//! invite_core::secret_type! {
//!     /// Another tool's token.
//!     pub struct OtherToken;
//! }
//! let key = DemoKey::new("sk_demo_secret");
//! assert_eq!(format!("{key:?}"), "DemoKey([REDACTED])");
//! let from_settings = DemoKey::from(invite_core::SecretString::from("sk_2"));
//! assert!(!format!("{from_settings:?}").contains("sk_2"));
//! ```
//!
//! The types do not mix:
//!
//! ```compile_fail,E0308
//! invite_core::secret_type! { pub struct DemoKey; }
//! invite_core::secret_type! { pub struct OtherToken; }
//! let key: DemoKey = OtherToken::new("x");
//! ```
//!
//! A type whose constructor checks its input declares `custom new;` and writes its own `new`
//! (it then gets no `From<SecretString>` either, so nothing bypasses the check).

/// Declares a newtype over [`SecretString`](crate::SecretString): `Clone`, a `Debug` that
/// prints only `Name([REDACTED])`, no `Display`, and crate-private `secret()` (the wrapped
/// secret, for an HTTP client's bearer auth) and `is_blank()` (empty or whitespace only).
/// Unless `custom new;` follows the name, also `Name::new(impl Into<String>)`, wrapping the
/// secret as given, and `From<SecretString>`. See the [module docs](crate::secret).
#[macro_export]
macro_rules! secret_type {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $crate::secret_type!($(#[$meta])* $vis struct $name; custom new;);

        impl $name {
            /// Wraps a secret as given.
            pub fn new(secret: impl Into<String>) -> Self {
                Self($crate::SecretString::from(secret.into()))
            }
        }

        impl From<$crate::SecretString> for $name {
            fn from(secret: $crate::SecretString) -> Self {
                Self(secret)
            }
        }
    };
    ($(#[$meta:meta])* $vis:vis struct $name:ident; custom new;) => {
        $(#[$meta])*
        #[derive(Clone)]
        $vis struct $name($crate::SecretString);

        #[allow(dead_code)]
        impl $name {
            /// The secret, still wrapped: reading it takes `expose_secret`.
            pub(crate) fn secret(&self) -> &$crate::SecretString {
                &self.0
            }

            /// True when the secret is empty or whitespace only.
            pub(crate) fn is_blank(&self) -> bool {
                $crate::ExposeSecret::expose_secret(&self.0).trim().is_empty()
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::ExposeSecret;

    crate::secret_type! {
        /// A test key.
        pub struct TestKey;
    }

    crate::secret_type! {
        /// A key checked by its own constructor.
        pub struct CheckedKey;
        custom new;
    }

    impl CheckedKey {
        fn new(key: &str) -> Option<Self> {
            (!key.is_empty()).then(|| Self(crate::SecretString::from(key)))
        }
    }

    #[test]
    fn wraps_redacts_and_tells_blank_from_set() {
        let key = TestKey::new("sk_test_1");
        assert_eq!(format!("{key:?}"), "TestKey([REDACTED])");
        assert_eq!(key.secret().expose_secret(), "sk_test_1");
        assert!(!key.is_blank());
        assert!(TestKey::new(" \t").is_blank());
        assert!(TestKey::from(crate::SecretString::from("")).is_blank());
        let checked = CheckedKey::new("ck").unwrap();
        assert_eq!(format!("{checked:?}"), "CheckedKey([REDACTED])");
        assert_eq!(checked.clone().secret().expose_secret(), "ck");
        assert!(CheckedKey::new("").is_none());
    }
}
