//! One Redis adapter message (msgpack, broadcast, request, response) or channel name.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sio_protocol::fuzzing::adapter::adapter_message(&sio_protocol::fuzzing::Codec::OURS, data)
});
