//! The input of `engine_packet` through the same decoders once each, cheap checks only: explores the
//! parser several times faster than the full target (sio_protocol::fuzzing::engine_packet_fast).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::engine_packet_fast(&sio_protocol::fuzzing::Codec::OURS, data)
});
