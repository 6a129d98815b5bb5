//! The adapter's messages: broadcasts (msgpack `[uid, packet, opts]`), requests and responses
//! (JSON text, except the msgpack BROADCAST request and BROADCAST_ACK response).
//!
//! ```text
//! broadcast     msgpack [uid, {type, data, nsp}, {rooms, except, flags}]
//! request       JSON {"uid", "requestId"?, "type", …}   | msgpack {uid, requestId, type:7, packet, opts}
//! response      JSON {"requestId", …} / {"type":6|8, "requestId", …} | msgpack {type:9, requestId, packet}
//! ```
//!
//! A receiver reads a request or a response as JSON when its first byte is `{` and as msgpack
//! otherwise ([`Body::read`]). Encoders write keys in the adapter's order, so that encoding a
//! decoded message gives back the same bytes.

use super::msgpack::{self, MsgpackError, Value};
use serde_json::{Map, Value as Json, json};
use thiserror::Error;

/// Why bytes are not an adapter message.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum AdapterError {
    #[error("msgpack: {0}")]
    Msgpack(#[from] MsgpackError),
    /// The body starts with `{` but is not JSON (the adapter ignores such a message).
    #[error("JSON: {0}")]
    Json(String),
    /// The body decodes but is not the message's shape.
    #[error("not a {what}: {why}")]
    Shape { what: &'static str, why: String },
}

fn shape(what: &'static str, why: impl Into<String>) -> AdapterError {
    AdapterError::Shape {
        what,
        why: why.into(),
    }
}

/// The request types (the adapter's `RequestType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestType {
    Sockets,
    AllRooms,
    RemoteJoin,
    RemoteLeave,
    RemoteDisconnect,
    RemoteFetch,
    ServerSideEmit,
    Broadcast,
    BroadcastClientCount,
    BroadcastAck,
    /// Any other number (the adapter ignores it).
    Unknown(u64),
}

impl RequestType {
    pub fn from_number(n: u64) -> Self {
        use RequestType::*;
        [
            Sockets,
            AllRooms,
            RemoteJoin,
            RemoteLeave,
            RemoteDisconnect,
            RemoteFetch,
            ServerSideEmit,
            Broadcast,
            BroadcastClientCount,
            BroadcastAck,
        ]
        .get(n as usize)
        .copied()
        .unwrap_or(Unknown(n))
    }

    pub fn number(self) -> u64 {
        use RequestType::*;
        match self {
            Sockets => 0,
            AllRooms => 1,
            RemoteJoin => 2,
            RemoteLeave => 3,
            RemoteDisconnect => 4,
            RemoteFetch => 5,
            ServerSideEmit => 6,
            Broadcast => 7,
            BroadcastClientCount => 8,
            BroadcastAck => 9,
            Unknown(n) => n,
        }
    }
}

/// A request or response body as the adapter reads it: first byte `{` → JSON, else msgpack.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Json(Json),
    Msgpack(Value),
}

impl Body {
    pub fn read(bytes: &[u8]) -> Result<Body, AdapterError> {
        if bytes.first() == Some(&b'{') {
            serde_json::from_slice(bytes)
                .map(Body::Json)
                .map_err(|e| AdapterError::Json(e.to_string()))
        } else {
            Ok(Body::Msgpack(msgpack::decode(bytes)?))
        }
    }
}

/// `opts` of a broadcast: the rooms, the exceptions and the flags, in that key order.
#[derive(Debug, Clone, PartialEq)]
pub struct BroadcastOpts {
    pub rooms: Vec<String>,
    pub except: Vec<String>,
    /// A map such as `{}`, `{"volatile":true}`, `{"timeout":1000}`; `None` when absent.
    pub flags: Option<Value>,
}

fn strings(value: Option<&Value>, what: &'static str) -> Result<Vec<String>, AdapterError> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| shape(what, "a room is not a string"))
            })
            .collect(),
        _ => Err(shape(what, "rooms/except is not an array")),
    }
}

fn string_list(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::Str).collect())
}

impl BroadcastOpts {
    fn from_value(value: &Value, what: &'static str) -> Result<Self, AdapterError> {
        Ok(BroadcastOpts {
            rooms: strings(value.get("rooms"), what)?,
            except: strings(value.get("except"), what)?,
            flags: value.get("flags").cloned(),
        })
    }

    fn to_value(&self) -> Value {
        let mut entries = vec![
            ("rooms".to_owned(), string_list(&self.rooms)),
            ("except".to_owned(), string_list(&self.except)),
        ];
        if let Some(flags) = &self.flags {
            entries.push(("flags".to_owned(), flags.clone()));
        }
        Value::Map(entries)
    }
}

/// A broadcast on `<key>#<nsp>#…`: msgpack `[uid, packet, opts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    /// The sender's uid; a node ignores its own.
    pub uid: String,
    /// socket.io-parser's packet object, `{type, data, nsp}`.
    pub packet: Value,
    pub opts: BroadcastOpts,
}

impl Broadcast {
    pub fn decode(bytes: &[u8]) -> Result<Self, AdapterError> {
        const WHAT: &str = "broadcast";
        let Value::Array(items) = msgpack::decode(bytes)? else {
            return Err(shape(WHAT, "not an array"));
        };
        let [uid, packet, opts] = items.as_slice() else {
            return Err(shape(WHAT, "not three items"));
        };
        Ok(Broadcast {
            uid: uid
                .as_str()
                .ok_or_else(|| shape(WHAT, "uid is not a string"))?
                .to_owned(),
            packet: packet.clone(),
            opts: BroadcastOpts::from_value(opts, WHAT)?,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        msgpack::encode(&Value::Array(vec![
            Value::Str(self.uid.clone()),
            self.packet.clone(),
            self.opts.to_value(),
        ]))
    }
}

/// `opts` of the JSON requests that select sockets (`{"rooms":[…],"except":[…]}`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SocketSelector {
    pub rooms: Vec<String>,
    pub except: Vec<String>,
}

/// A request on `<key>-request#<nsp>#`.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Type 0 (not sent by 8.3.0; still answered).
    Sockets {
        uid: String,
        request_id: String,
        rooms: Vec<String>,
    },
    /// Type 1.
    AllRooms { uid: String, request_id: String },
    /// Type 2 or 3 with `opts`: `socketsJoin` / `socketsLeave`, no response.
    Membership {
        uid: String,
        join: bool,
        opts: SocketSelector,
        rooms: Vec<String>,
    },
    /// Type 2 or 3 for one socket (`sid`, `room`): answered with `{"requestId"}`.
    OneSocketMembership {
        uid: String,
        request_id: String,
        join: bool,
        sid: String,
        room: String,
    },
    /// Type 4: `disconnectSockets`, no response.
    Disconnect {
        uid: String,
        opts: SocketSelector,
        close: bool,
    },
    /// Type 5: `fetchSockets`.
    Fetch {
        uid: String,
        request_id: String,
        opts: SocketSelector,
    },
    /// Type 6: `serverSideEmit`; `request_id` only when an ack is expected. `data` is
    /// `[event, …args]` as JSON (a Buffer is `{"type":"Buffer","data":[…]}`).
    ServerSideEmit {
        uid: String,
        request_id: Option<String>,
        data: Json,
    },
    /// Type 7, msgpack: a broadcast with acks.
    BroadcastWithAck {
        uid: String,
        request_id: String,
        packet: Value,
        opts: BroadcastOpts,
    },
}

fn json_str(
    object: &Map<String, Json>,
    key: &str,
    what: &'static str,
) -> Result<String, AdapterError> {
    object
        .get(key)
        .and_then(Json::as_str)
        .map(str::to_owned)
        .ok_or_else(|| shape(what, format!("no string {key}")))
}

fn json_strings(value: Option<&Json>, what: &'static str) -> Result<Vec<String>, AdapterError> {
    value
        .and_then(Json::as_array)
        .ok_or_else(|| shape(what, "not an array of strings"))?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| shape(what, "not a string"))
        })
        .collect()
}

fn selector(
    object: &Map<String, Json>,
    what: &'static str,
) -> Result<SocketSelector, AdapterError> {
    let opts = object
        .get("opts")
        .and_then(Json::as_object)
        .ok_or_else(|| shape(what, "no opts"))?;
    Ok(SocketSelector {
        rooms: json_strings(opts.get("rooms"), what)?,
        except: json_strings(opts.get("except"), what)?,
    })
}

fn selector_json(opts: &SocketSelector) -> Json {
    json!({ "rooms": opts.rooms, "except": opts.except })
}

impl Request {
    pub fn decode(bytes: &[u8]) -> Result<Self, AdapterError> {
        const WHAT: &str = "request";
        match Body::read(bytes)? {
            Body::Msgpack(value) => Self::from_msgpack(&value),
            Body::Json(json) => {
                let object = json
                    .as_object()
                    .ok_or_else(|| shape(WHAT, "not an object"))?;
                let kind = object
                    .get("type")
                    .and_then(Json::as_u64)
                    .ok_or_else(|| shape(WHAT, "no type"))?;
                let uid = json_str(object, "uid", WHAT)?;
                let id = || json_str(object, "requestId", WHAT);
                Ok(match RequestType::from_number(kind) {
                    RequestType::Sockets => Request::Sockets {
                        uid,
                        request_id: id()?,
                        rooms: json_strings(object.get("rooms"), WHAT)?,
                    },
                    RequestType::AllRooms => Request::AllRooms {
                        uid,
                        request_id: id()?,
                    },
                    t @ (RequestType::RemoteJoin | RequestType::RemoteLeave) => {
                        let join = t == RequestType::RemoteJoin;
                        if object.contains_key("opts") {
                            Request::Membership {
                                uid,
                                join,
                                opts: selector(object, WHAT)?,
                                rooms: json_strings(object.get("rooms"), WHAT)?,
                            }
                        } else {
                            Request::OneSocketMembership {
                                uid,
                                request_id: id()?,
                                join,
                                sid: json_str(object, "sid", WHAT)?,
                                room: json_str(object, "room", WHAT)?,
                            }
                        }
                    }
                    RequestType::RemoteDisconnect => Request::Disconnect {
                        uid,
                        opts: selector(object, WHAT)?,
                        close: object.get("close").and_then(Json::as_bool).unwrap_or(false),
                    },
                    RequestType::RemoteFetch => Request::Fetch {
                        uid,
                        request_id: id()?,
                        opts: selector(object, WHAT)?,
                    },
                    RequestType::ServerSideEmit => Request::ServerSideEmit {
                        uid,
                        request_id: object.contains_key("requestId").then(id).transpose()?,
                        data: object
                            .get("data")
                            .cloned()
                            .ok_or_else(|| shape(WHAT, "no data"))?,
                    },
                    other => {
                        return Err(shape(
                            WHAT,
                            format!("type {} is not a JSON request", other.number()),
                        ));
                    }
                })
            }
        }
    }

    fn from_msgpack(value: &Value) -> Result<Self, AdapterError> {
        const WHAT: &str = "msgpack request";
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| shape(WHAT, format!("no string {key}")))
        };
        match value.get("type") {
            Some(Value::Number(n)) if *n == 7.0 => Ok(Request::BroadcastWithAck {
                uid: text("uid")?,
                request_id: text("requestId")?,
                packet: value
                    .get("packet")
                    .cloned()
                    .ok_or_else(|| shape(WHAT, "no packet"))?,
                opts: BroadcastOpts::from_value(
                    value.get("opts").ok_or_else(|| shape(WHAT, "no opts"))?,
                    WHAT,
                )?,
            }),
            // Any request may be msgpack; the node re-reads it as the JSON shape.
            Some(_) => {
                let json = msgpack_to_json(value)
                    .ok_or_else(|| shape(WHAT, "binary data in a JSON-shaped request"))?;
                Self::decode(json.to_string().as_bytes())
            }
            None => Err(shape(WHAT, "no type")),
        }
    }

    /// The bytes the Node adapter publishes for this request.
    pub fn encode(&self) -> Vec<u8> {
        let json = match self {
            Request::Sockets {
                uid,
                request_id,
                rooms,
            } => json!({ "uid": uid, "requestId": request_id, "type": 0, "rooms": rooms }),
            Request::AllRooms { uid, request_id } => {
                json!({ "uid": uid, "requestId": request_id, "type": 1 })
            }
            Request::Membership {
                uid,
                join,
                opts,
                rooms,
            } => {
                json!({ "uid": uid, "type": if *join { 2 } else { 3 }, "opts": selector_json(opts), "rooms": rooms })
            }
            Request::OneSocketMembership {
                uid,
                request_id,
                join,
                sid,
                room,
            } => {
                json!({ "uid": uid, "requestId": request_id, "type": if *join { 2 } else { 3 }, "sid": sid, "room": room })
            }
            Request::Disconnect { uid, opts, close } => {
                json!({ "uid": uid, "type": 4, "opts": selector_json(opts), "close": close })
            }
            Request::Fetch {
                uid,
                request_id,
                opts,
            } => {
                json!({ "uid": uid, "requestId": request_id, "type": 5, "opts": selector_json(opts) })
            }
            Request::ServerSideEmit {
                uid,
                request_id: None,
                data,
            } => json!({ "uid": uid, "type": 6, "data": data }),
            Request::ServerSideEmit {
                uid,
                request_id: Some(id),
                data,
            } => json!({ "uid": uid, "requestId": id, "type": 6, "data": data }),
            Request::BroadcastWithAck {
                uid,
                request_id,
                packet,
                opts,
            } => {
                return msgpack::encode(&Value::Map(vec![
                    ("uid".into(), Value::Str(uid.clone())),
                    ("requestId".into(), Value::Str(request_id.clone())),
                    ("type".into(), Value::Number(7.0)),
                    ("packet".into(), packet.clone()),
                    ("opts".into(), opts.to_value()),
                ]));
            }
        };
        json.to_string().into_bytes()
    }
}

/// A JSON view of a msgpack value without binary leaves (`None` if it has any).
fn msgpack_to_json(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Nil | Value::Undefined => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_json(*n),
        Value::Str(s) => Json::String(s.clone()),
        Value::Array(items) => {
            Json::Array(items.iter().map(msgpack_to_json).collect::<Option<_>>()?)
        }
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| Some((k.clone(), msgpack_to_json(v)?)))
                .collect::<Option<_>>()?,
        ),
        Value::Bin(_) | Value::Timestamp(_) => return None,
    })
}

/// A JavaScript number as `JSON.stringify` writes it (`null` when not finite), read back as
/// serde_json reads Node's output: `1e+300` a float, `9223372036854776000` an integer.
pub fn number_json(n: f64) -> Json {
    if !n.is_finite() {
        return Json::Null;
    }
    serde_json::from_str(&crate::js::number_to_string(n)).unwrap_or(Json::Null)
}

/// A response on `<key>-response#<nsp>#`.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// `{"requestId","sockets":[…]}`: socket ids (SOCKETS) or socket objects (REMOTE_FETCH);
    /// only the request tells which.
    Sockets { request_id: String, sockets: Json },
    /// `{"requestId","rooms":[…]}` (ALL_ROOMS).
    Rooms {
        request_id: String,
        rooms: Vec<String>,
    },
    /// `{"requestId"}`: a one-socket REMOTE_JOIN / REMOTE_LEAVE / REMOTE_DISCONNECT was done.
    Done { request_id: String },
    /// `{"type":6,"requestId","data"}`: one node's ack of a serverSideEmit (its first argument
    /// only; absent when the callback got none).
    ServerSideEmitAck {
        request_id: String,
        data: Option<Json>,
    },
    /// `{"type":8,"requestId","clientCount"}`.
    BroadcastClientCount {
        request_id: String,
        client_count: u64,
    },
    /// msgpack `{type:9, requestId, packet}`: one client's ack argument.
    BroadcastAck { request_id: String, packet: Value },
}

impl Response {
    pub fn decode(bytes: &[u8]) -> Result<Self, AdapterError> {
        const WHAT: &str = "response";
        let json = match Body::read(bytes)? {
            Body::Json(json) => json,
            Body::Msgpack(value) => {
                return match value.get("type") {
                    Some(Value::Number(n)) if *n == 9.0 => Ok(Response::BroadcastAck {
                        request_id: value
                            .get("requestId")
                            .and_then(Value::as_str)
                            .ok_or_else(|| shape(WHAT, "no requestId"))?
                            .to_owned(),
                        packet: value.get("packet").cloned().unwrap_or(Value::Undefined),
                    }),
                    _ => Self::decode(
                        msgpack_to_json(&value)
                            .ok_or_else(|| shape(WHAT, "binary in a JSON-shaped response"))?
                            .to_string()
                            .as_bytes(),
                    ),
                };
            }
        };
        let object = json
            .as_object()
            .ok_or_else(|| shape(WHAT, "not an object"))?;
        let request_id = json_str(object, "requestId", WHAT)?;
        Ok(match object.get("type").and_then(Json::as_u64) {
            Some(6) => Response::ServerSideEmitAck {
                request_id,
                data: object.get("data").cloned(),
            },
            Some(8) => Response::BroadcastClientCount {
                request_id,
                client_count: object
                    .get("clientCount")
                    .and_then(Json::as_u64)
                    .ok_or_else(|| shape(WHAT, "no clientCount"))?,
            },
            _ if object.contains_key("sockets") => Response::Sockets {
                request_id,
                sockets: object["sockets"].clone(),
            },
            _ if object.contains_key("rooms") => Response::Rooms {
                request_id,
                rooms: json_strings(object.get("rooms"), WHAT)?,
            },
            _ => Response::Done { request_id },
        })
    }

    /// The bytes the Node adapter publishes for this response.
    pub fn encode(&self) -> Vec<u8> {
        let json = match self {
            Response::Sockets {
                request_id,
                sockets,
            } => json!({ "requestId": request_id, "sockets": sockets }),
            Response::Rooms { request_id, rooms } => {
                json!({ "requestId": request_id, "rooms": rooms })
            }
            Response::Done { request_id } => json!({ "requestId": request_id }),
            Response::ServerSideEmitAck {
                request_id,
                data: Some(data),
            } => json!({ "type": 6, "requestId": request_id, "data": data }),
            Response::ServerSideEmitAck {
                request_id,
                data: None,
            } => json!({ "type": 6, "requestId": request_id }),
            Response::BroadcastClientCount {
                request_id,
                client_count,
            } => {
                json!({ "type": 8, "requestId": request_id, "clientCount": client_count })
            }
            Response::BroadcastAck { request_id, packet } => {
                return msgpack::encode(&Value::Map(vec![
                    ("type".into(), Value::Number(9.0)),
                    ("requestId".into(), Value::Str(request_id.clone())),
                    ("packet".into(), packet.clone()),
                ]));
            }
        };
        json.to_string().into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::{RequestType, Response};
    use crate::adapter::msgpack::{self, Value};

    #[test]
    fn a_msgpack_response_is_a_broadcast_ack_only_with_type_9() {
        // Only BROADCAST_ACK travels as msgpack; any other msgpack response is read as its JSON
        // shape (a receiver looks at the first byte only).
        let body = |kind: f64| {
            msgpack::encode(&Value::Map(vec![
                ("type".into(), Value::Number(kind)),
                ("requestId".into(), Value::Str("r".into())),
                ("clientCount".into(), Value::Number(2.0)),
                ("packet".into(), Value::Number(1.0)),
            ]))
        };
        assert_eq!(
            Response::decode(&body(8.0)).unwrap(),
            Response::BroadcastClientCount {
                request_id: "r".into(),
                client_count: 2
            }
        );
        assert_eq!(
            Response::decode(&body(9.0)).unwrap(),
            Response::BroadcastAck {
                request_id: "r".into(),
                packet: Value::Number(1.0)
            }
        );
    }

    #[test]
    fn request_types_keep_the_adapters_numbers() {
        // @socket.io/redis-adapter 8.3.0 `RequestType`: SOCKETS = 0 … BROADCAST_ACK = 9.
        assert_eq!(RequestType::from_number(0), RequestType::Sockets);
        assert_eq!(RequestType::from_number(9), RequestType::BroadcastAck);
        for n in 0..=11 {
            assert_eq!(RequestType::from_number(n).number(), n);
        }
        assert_eq!(RequestType::from_number(11), RequestType::Unknown(11));
    }
}
