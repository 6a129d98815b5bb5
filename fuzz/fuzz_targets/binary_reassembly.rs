//! A structured frame sequence (arbitrary) through the Reassembler, checked against a model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::binary_reassembly_bytes(&sio_protocol::fuzzing::Codec::OURS, data)
});
