//! The fuzz targets' bodies. `checks.rs` is shared with the root regression test
//! (`tests/fuzz_regressions.rs`), which feeds every corpus file through the same functions.

#[path = "checks.rs"]
pub mod checks;
