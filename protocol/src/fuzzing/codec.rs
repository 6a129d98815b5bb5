//! The codec the fuzz bodies check, as a parameter: every encoder and decoder a body calls, as
//! a function pointer. The fuzz targets and the seed replay pass [`Codec::OURS`] (the crate's
//! own functions, so the targets check exactly what they did before); the harness's tests pass
//! a copy with one function broken on purpose (`Codec { encode_polling: …, ..Codec::OURS }`)
//! and show that the invariant about it fires. Without the parameter a check could be deleted
//! and no test would notice: the real codec never trips it.
//!
//! The Socket.IO [`Reassembler`](crate::socketio::Reassembler) stays the crate's own: the
//! bodies check it against a model built from the functions here (`sio_decode`,
//! `complete`), so breaking one of those shows that the model's checks fire.

use crate::adapter::{AdapterError, Broadcast, MsgpackError, Request, Response, msgpack};
use crate::engineio::{self, DecodedPayload, Frame, Packet, v3};
use crate::error::{BinaryError, EngineError, SocketError};
use crate::limits::Limits;
use crate::socketio::{self, Encoded, Message, reassembler};

/// The encoders and decoders under test (fields named after the functions of [`Codec::OURS`]).
#[derive(Clone, Copy)]
pub struct Codec {
    /// [`engineio::decode_text`].
    pub decode_text: fn(&str, &Limits) -> Result<Packet, EngineError>,
    /// [`engineio::decode_binary`].
    pub decode_binary: fn(&[u8], &Limits) -> Result<Packet, EngineError>,
    /// [`engineio::Packet::encode_polling`].
    pub encode_polling: fn(&Packet) -> String,
    /// [`engineio::Packet::encode_ws`].
    pub encode_ws: fn(&Packet) -> Frame,
    /// [`engineio::decode_payload`].
    pub decode_payload: fn(&[u8], &Limits) -> DecodedPayload,
    /// [`engineio::encode_payload`].
    pub encode_payload: fn(&[Packet]) -> String,
    /// [`v3::decode_packet`].
    pub v3_decode_packet: fn(&str) -> Result<Packet, EngineError>,
    /// [`v3::encode_packet`].
    pub v3_encode_packet: fn(&Packet) -> String,
    /// [`v3::decode_binary_frame`].
    pub v3_decode_binary_frame: fn(&[u8], &Limits) -> Result<Packet, EngineError>,
    /// [`v3::encode_ws`].
    pub v3_encode_ws: fn(&Packet) -> Frame,
    /// [`v3::decode_payload`].
    pub v3_decode_payload: fn(&str, &Limits) -> DecodedPayload,
    /// [`v3::encode_payload`].
    pub v3_encode_payload: fn(&[Packet]) -> String,
    /// [`v3::decode_binary_payload`].
    pub v3_decode_binary_payload: fn(&[u8], &Limits) -> DecodedPayload,
    /// [`v3::encode_binary_payload`].
    pub v3_encode_binary_payload: fn(&[Packet]) -> Vec<u8>,
    /// [`socketio::decode`].
    pub sio_decode: fn(&str, &Limits) -> Result<socketio::Packet, SocketError>,
    /// [`socketio::Packet::encode`].
    pub sio_encode: fn(&socketio::Packet) -> String,
    /// [`socketio::Message::encode`].
    pub encode_message: fn(&Message) -> Encoded,
    /// [`reassembler::complete`].
    pub complete: fn(socketio::Packet, &[Vec<u8>]) -> Result<Message, BinaryError>,
    /// [`msgpack::decode`] (the Redis adapter's messages).
    pub msgpack_decode: fn(&[u8]) -> Result<msgpack::Value, MsgpackError>,
    /// [`msgpack::encode`].
    pub msgpack_encode: fn(&msgpack::Value) -> Vec<u8>,
    /// [`Broadcast::decode`].
    pub broadcast_decode: fn(&[u8]) -> Result<Broadcast, AdapterError>,
    /// [`Broadcast::encode`].
    pub broadcast_encode: fn(&Broadcast) -> Vec<u8>,
    /// [`Request::decode`].
    pub request_decode: fn(&[u8]) -> Result<Request, AdapterError>,
    /// [`Request::encode`].
    pub request_encode: fn(&Request) -> Vec<u8>,
    /// [`Response::decode`].
    pub response_decode: fn(&[u8]) -> Result<Response, AdapterError>,
    /// [`Response::encode`].
    pub response_encode: fn(&Response) -> Vec<u8>,
}

impl Codec {
    /// The crate's codec: what the fuzz targets check.
    pub const OURS: Codec = Codec {
        decode_text: engineio::decode_text,
        decode_binary: engineio::decode_binary,
        encode_polling: Packet::encode_polling,
        encode_ws: Packet::encode_ws,
        decode_payload: engineio::decode_payload,
        encode_payload: engineio::encode_payload,
        v3_decode_packet: v3::decode_packet,
        v3_encode_packet: v3::encode_packet,
        v3_decode_binary_frame: v3::decode_binary_frame,
        v3_encode_ws: v3::encode_ws,
        v3_decode_payload: v3::decode_payload,
        v3_encode_payload: v3::encode_payload,
        v3_decode_binary_payload: v3::decode_binary_payload,
        v3_encode_binary_payload: v3::encode_binary_payload,
        sio_decode: socketio::decode,
        sio_encode: socketio::Packet::encode,
        encode_message: Message::encode,
        complete: reassembler::complete,
        msgpack_decode: msgpack::decode,
        msgpack_encode: msgpack::encode,
        broadcast_decode: Broadcast::decode,
        broadcast_encode: Broadcast::encode,
        request_decode: Request::decode,
        request_encode: Request::encode,
        response_decode: Response::decode,
        response_encode: Response::encode,
    };
}
