//! A v4 polling body through the payload decoder.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::engine_payload(&sio_protocol::fuzzing::Codec::OURS, data)
});
