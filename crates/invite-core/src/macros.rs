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
