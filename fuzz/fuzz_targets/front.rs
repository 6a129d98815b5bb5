//! The contract server's HTTP and WebSocket front (hyper + the real router) fed raw requests,
//! query strings, upgrades and frames over in-memory pipes, checked for panics, hangs and
//! anything that outlives its client (sio_contract_server::fuzzing::front).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| sio_contract_server::fuzzing::front(data));
