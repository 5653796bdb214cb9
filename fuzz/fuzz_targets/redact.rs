#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| invite_fuzz::checks::redact(data));
