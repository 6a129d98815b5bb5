//! One WebSocket frame through the v4 and v3 packet decoders (text and binary).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::engine_packet(&sio_protocol::fuzzing::Codec::OURS, data)
});
