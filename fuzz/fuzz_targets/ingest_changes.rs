#![no_main]
//! `cargo fuzz run ingest_changes`: see `wardbook_server::fuzz::ingest_changes`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wardbook_server::fuzz::ingest_changes(data));
