//! Fuzz body of the Redis adapter codec ([`crate::adapter`]): arbitrary bytes as a msgpack
//! value, a broadcast, a request and a response, and as a channel name.
//!
//! ```text
//! decode(x) = Ok(v)  ⇒  decode(encode(v)) = Ok(_)                 (what we write, we read)
//! e2 = encode(decode(e1)), e1 = encode(v)  ⇒  encode(decode(e2)) = e2
//!                       (re-encoding settles after one round: notepack's wrap of numbers
//!                        ≥ 2^64 may change e1 once, never again)
//! ```

use super::Codec;
use crate::adapter::{Channels, DEFAULT_KEY};

/// Asserts the invariants above for one codec given as (decode, encode).
fn settles<T, E: std::fmt::Debug>(
    what: &str,
    input: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, E>,
    encode: impl Fn(&T) -> Vec<u8>,
) {
    let Ok(value) = decode(input) else { return };
    let first = encode(&value);
    let again = decode(&first)
        .unwrap_or_else(|e| panic!("{what}: our own encoding {first:02x?} does not decode: {e:?}"));
    let second = encode(&again);
    let third = encode(&decode(&second).unwrap_or_else(|e| {
        panic!("{what}: our own encoding {second:02x?} does not decode: {e:?}")
    }));
    assert_eq!(second, third, "{what}: re-encoding does not settle");
}

/// The adapter fuzz body, over `codec`'s adapter functions (the target passes
/// [`Codec::OURS`]): never panics except on a broken invariant.
pub fn adapter_message(codec: &Codec, data: &[u8]) {
    settles("msgpack", data, codec.msgpack_decode, codec.msgpack_encode);
    settles(
        "broadcast",
        data,
        codec.broadcast_decode,
        codec.broadcast_encode,
    );
    settles("request", data, codec.request_decode, codec.request_encode);
    settles(
        "response",
        data,
        codec.response_decode,
        codec.response_encode,
    );
    let channel = String::from_utf8_lossy(data);
    if let Some(room) = Channels::new(DEFAULT_KEY, "/").room_of(&channel) {
        assert!(
            channel.len() > room.len(),
            "a room is shorter than its channel"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{Codec, adapter_message, settles};

    #[test]
    #[should_panic(expected = "msgpack: our own encoding [c1] does not decode")]
    fn the_body_checks_the_codec_it_is_given() {
        // 0x01 is the msgpack integer 1; this codec writes every value as 0xc1, which msgpack
        // never uses.
        let codec = Codec {
            msgpack_encode: |_| vec![0xc1],
            ..Codec::OURS
        };
        adapter_message(&codec, &[0x01]);
    }

    #[test]
    fn the_body_passes_our_codec() {
        adapter_message(&Codec::OURS, &[0x01]);
    }

    #[test]
    #[should_panic(expected = "does not decode")]
    fn an_encoding_we_cannot_read_back_fires() {
        // Decodes only [1]; encodes everything as [2].
        let decode = |b: &[u8]| if b == [1] { Ok(1u8) } else { Err(()) };
        settles("broken", &[1], decode, |_: &u8| vec![2]);
    }

    #[test]
    #[should_panic(expected = "re-encoding does not settle")]
    fn an_encoding_that_keeps_changing_fires() {
        // Each round trip adds a byte.
        let decode = |b: &[u8]| Ok::<usize, ()>(b.len());
        settles("growing", &[0], decode, |n: &usize| vec![0; n + 1]);
    }

    #[test]
    fn a_settled_encoding_passes() {
        let decode = |b: &[u8]| Ok::<Vec<u8>, ()>(b.to_vec());
        settles("identity", &[1, 2, 3], decode, |v: &Vec<u8>| v.clone());
    }
}
