#![no_main]
//! `cargo fuzz run blob_upload`: see `wardbook_server::fuzz::blob_upload`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| wardbook_server::fuzz::blob_upload(data));
