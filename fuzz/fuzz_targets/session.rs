//! The reference server's sans-IO session fed HTTP-polling and WebSocket inputs on a virtual
//! clock (arbitrary), checked for bounded loops, bounded buffers, one answer per request, clean
//! payloads and a heartbeat that ends a silent client's session.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    eio_session::fuzzing::session_bytes(data);
});
