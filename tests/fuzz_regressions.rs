//! Every file of `fuzz/corpus/<target>/` (inputs the fuzzers found interesting, and the
//! seeds) through the same checks the cargo-fuzz targets run (`fuzz/src/checks.rs`), so a
//! regression shows up in the normal `cargo test`. A violated property panics.

#![cfg(test)]

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

fn run(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} has no corpus", dir.display());
    for file in &files {
        // A running fuzzer may replace corpus files while this reads them.
        let Ok(data) = std::fs::read(file) else {
            continue;
        };
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            file.display()
        );
    }
}

#[test]
fn error_mappers_corpus() {
    run("error_mappers", checks::error_mappers);
}

#[test]
fn email_corpus() {
    run("email", checks::email);
}

#[test]
fn redact_corpus() {
    run("redact", checks::redact);
}

#[test]
fn webhook_corpus() {
    run("webhook", checks::webhook);
}

#[test]
fn wire_corpus() {
    run("wire", checks::wire);
}
