//! One Socket.IO packet through the decoder and the reassembler.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::socketio_packet(&sio_protocol::fuzzing::Codec::OURS, data)
});
