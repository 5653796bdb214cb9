//! Small macros the crate's modules share.

/// Implements `PartialEq`, `Eq`, `Hash`, `PartialOrd` and `Ord` for a type through one key:
/// `compare_by!(Email, normalized)` makes two addresses equal, hash and sort exactly as
/// their `normalized()` forms do, so the five impls can never disagree.
macro_rules! compare_by {
    ($ty:ty, $key:ident) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                self.$key() == other.$key()
            }
        }
        impl Eq for $ty {}
        impl std::hash::Hash for $ty {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                std::hash::Hash::hash(&self.$key(), h);
            }
        }
        impl PartialOrd for $ty {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }
        impl Ord for $ty {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.$key().cmp(other.$key())
            }
        }
    };
}

/// Builder methods that each set one field and return the value, one line a method: the
/// parameter is named after the field it sets, and `= expr` says how the argument becomes
/// the field's value when it is not stored as given.
///
/// ```
/// use std::time::Duration;
///
/// #[derive(Default)]
/// pub struct Options {
///     timeout: Duration,
///     name: String,
///     limit: Option<u32>,
/// }
///
/// impl Options {
///     invite_core::setters! {
///         /// Sets the timeout.
///         with_timeout(timeout: Duration);
///         /// Sets the name.
///         with_name(name: impl Into<String>) = name.into();
///         /// Sets the limit.
///         with_limit(limit: u32) = Some(limit);
///     }
/// }
///
/// let o = Options::default().with_timeout(Duration::from_secs(1)).with_name("a").with_limit(3);
/// assert_eq!((o.timeout, o.name.as_str(), o.limit), (Duration::from_secs(1), "a", Some(3)));
/// ```
#[macro_export]
macro_rules! setters {
    (@value $field:ident) => { $field };
    (@value $field:ident, $value:expr) => { $value };
    ($($(#[$attr:meta])* $name:ident($field:ident: $ty:ty) $(= $value:expr)?;)*) => {
        $(
            $(#[$attr])*
            pub fn $name(mut self, $field: $ty) -> Self {
                self.$field = $crate::setters!(@value $field $(, $value)?);
                self
            }
        )*
    };
}
