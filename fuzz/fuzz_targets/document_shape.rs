#![no_main]
//! `cargo fuzz run document_shape`: see `wardbook_server::fuzz::document_shape`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts in its panic hook, also on panics the code under test catches on
    // purpose (Automerge is guarded); an uncaught panic still aborts when it leaves the target.
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let _ = std::panic::take_hook();
    });
    wardbook_server::fuzz::document_shape(data)
});
