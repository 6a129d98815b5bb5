//! A v3 polling body, as a string payload and as an XHR2 binary payload.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::engine_payload_v3(&sio_protocol::fuzzing::Codec::OURS, data)
});
