//! Every documented example under `fixtures/vendors/` parses, names its public source and
//! shows a request or a response: a malformed or unsourced fixture fails here, not in the
//! test that happens to read it.
#![cfg(test)]

use invite_testkit::{all_documented, documented::fixtures_dir};

#[test]
fn every_documented_example_parses_and_names_its_source() {
    let mut vendors: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/vendors exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    vendors.sort();
    for vendor in vendors {
        let examples = all_documented(&vendor);
        assert!(
            !examples.is_empty(),
            "fixtures/vendors/{vendor} holds no example"
        );
        for (name, example) in examples {
            assert!(
                example.request.is_some() || example.response.is_some(),
                "{name} documents neither a request nor a response"
            );
        }
    }
}
