//! The `invite` facade: core plus every adapter behind a feature.
pub use invite_core::*;
