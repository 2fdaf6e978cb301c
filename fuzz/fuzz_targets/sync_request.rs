#![no_main]
//! `cargo fuzz run sync_request`: see `wardbook_server::fuzz::sync_request`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wardbook_server::fuzz::sync_request(data));
