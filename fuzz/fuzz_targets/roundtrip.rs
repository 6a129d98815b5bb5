//! Structured packets and messages (arbitrary): decode(encode(p)) == p.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::roundtrip_bytes(&sio_protocol::fuzzing::Codec::OURS, data)
});
