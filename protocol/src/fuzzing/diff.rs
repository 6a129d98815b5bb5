//! The differential check against Node's parsers: turn a fuzz input into [`Case`]s (what to ask
//! Node to decode), decode each case ourselves into the shape Node's side answers with
//! (`fixtures/node/fuzz-diff.mjs`, shaped like the transcripts' `oracle` field), and classify the
//! difference. `cargo xtask fuzz diff` runs Node and prints the report.
//!
//! ```text
//! request   {"kind":"eio4-packet"|"eio3-packet"|"eio4-payload"|"eio3-payload"|"sio",
//!            "frames":[{"text":"<hex of UTF-8>"} | {"binary":"<hex>"}, …]}
//! answer    {"entries":[…]}     eio kinds: one engine view per packet, {"error":"parser error"} last
//!                               sio: one outcome per frame: a packet view, {"pending":N}, {"error":…}
//!           {"crash":"…"}       Node's side threw (a harness problem, reported as such)
//! verdict   Same | Known (our entry is an error with node_rejects() == false) | Differs (a bug)
//! ```
//!
//! Strings Node decodes that are not well-formed UTF-16 (lone surrogates) come back as
//! `{"$utf16":"<hex of the code units>"}`; our side never produces them.

use serde_json::{Value as J, json};

use crate::engineio::{self, Frame, v3};
use crate::error::EngineError;
use crate::limits::Limits;
use crate::socketio::Reassembler;
use crate::view;

#[cfg(test)]
mod tests;

/// Which Node decoder a case goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// engine.io-parser 5.2.3 `decodePacket` (text or binary WebSocket frame).
    Eio4Packet,
    /// engine.io's v3 parser `decodePacket` (text, or binary frame with a type byte).
    Eio3Packet,
    /// engine.io-parser 5.2.3 `decodePayload` (a polling body, as text).
    Eio4Payload,
    /// engine.io's v3 parser `decodePayload` (string payload, or XHR2 binary payload).
    Eio3Payload,
    /// One socket.io-parser 4.2.7 `Decoder` fed every frame in order (reset after an error).
    Sio,
}

impl Kind {
    /// The kind's name on the wire to Node.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Eio4Packet => "eio4-packet",
            Kind::Eio3Packet => "eio3-packet",
            Kind::Eio4Payload => "eio4-payload",
            Kind::Eio3Payload => "eio3-payload",
            Kind::Sio => "sio",
        }
    }
}

/// One question for Node: a decoder and the frames to feed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Case {
    /// The decoder.
    pub kind: Kind,
    /// The input: one frame or body for the engine kinds, a frame sequence for `Sio`.
    pub frames: Vec<Frame>,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Case {
    fn one(kind: Kind, frame: Frame) -> Case {
        Case {
            kind,
            frames: vec![frame],
        }
    }

    /// The JSON line sent to `fuzz-diff.mjs`.
    pub fn request(&self) -> J {
        let frames: Vec<J> = self
            .frames
            .iter()
            .map(|f| match f {
                Frame::Text(t) => json!({ "text": hex(t.as_bytes()) }),
                Frame::Binary(b) => json!({ "binary": hex(b) }),
            })
            .collect();
        json!({ "kind": self.kind.name(), "frames": frames })
    }

    /// A short human-readable form of the input, for reports.
    pub fn describe(&self) -> String {
        let frames: Vec<String> = self
            .frames
            .iter()
            .map(|f| match f {
                Frame::Text(t) => format!("{t:?}"),
                Frame::Binary(b) => format!("<{}>", hex(b)),
            })
            .collect();
        let mut s = format!("{} {}", self.kind.name(), frames.join(" + "));
        if s.len() > 300 {
            let mut cut = 300;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push('…');
        }
        s
    }
}

/// The cases a fuzz input of `target` stands for (the same interpretation as the target's body).
/// Unknown targets give none.
pub fn cases(target: &str, input: &[u8]) -> Vec<Case> {
    let text = || Frame::Text(String::from_utf8_lossy(input).into_owned());
    let binary = || Frame::Binary(input.to_vec());
    let utf8 = std::str::from_utf8(input).is_ok();
    match target {
        "engine_packet" => {
            let mut out = Vec::new();
            if utf8 {
                out.push(Case::one(Kind::Eio4Packet, text()));
                out.push(Case::one(Kind::Eio3Packet, text()));
            }
            out.push(Case::one(Kind::Eio4Packet, binary()));
            out.push(Case::one(Kind::Eio3Packet, binary()));
            out
        }
        "engine_payload_v4" => vec![Case::one(Kind::Eio4Payload, text())],
        "engine_payload_v3" => {
            let mut out = Vec::new();
            if utf8 {
                out.push(Case::one(Kind::Eio3Payload, text()));
            }
            out.push(Case::one(Kind::Eio3Payload, binary()));
            out
        }
        "socketio_packet" => vec![Case::one(Kind::Sio, text())],
        #[cfg(feature = "arbitrary")]
        "binary_reassembly" => structured_reassembly(input),
        #[cfg(feature = "arbitrary")]
        "roundtrip" => structured_roundtrip(input),
        _ => Vec::new(),
    }
}

#[cfg(feature = "arbitrary")]
fn structured_reassembly(input: &[u8]) -> Vec<Case> {
    use super::structured::{FrameInput, ReassemblyInput};
    let Some(parsed) = super::structured::parse::<ReassemblyInput>(input) else {
        return Vec::new();
    };
    // Node's decoder has the default limits; other limits are not comparable.
    if !matches!(parsed.max_attachments, 0 | 10) || parsed.frames.is_empty() {
        return Vec::new();
    }
    let frames = parsed
        .frames
        .iter()
        .map(|f| match f {
            FrameInput::Text(t) => Frame::Text(t.clone()),
            FrameInput::Header(h) => Frame::Text(h.render()),
            FrameInput::Binary(b) => Frame::Binary(b.clone()),
        })
        .collect();
    vec![Case {
        kind: Kind::Sio,
        frames,
    }]
}

/// Everything the `roundtrip` target encodes, asked of Node's decoders: our encoder's output
/// must decode in Node to what it decodes to here.
#[cfg(feature = "arbitrary")]
fn structured_roundtrip(input: &[u8]) -> Vec<Case> {
    use super::structured::RoundtripInput;
    let Some(parsed) = super::structured::parse::<RoundtripInput>(input) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let v4: Vec<_> = parsed.engine.iter().map(|p| p.packet(true)).collect();
    let v3p: Vec<_> = parsed.engine.iter().map(|p| p.packet(false)).collect();
    for p in &v4 {
        out.push(Case::one(Kind::Eio4Packet, p.encode_ws()));
    }
    for p in &v3p {
        out.push(Case::one(Kind::Eio3Packet, v3::encode_ws(p)));
    }
    if !v4.is_empty() {
        out.push(Case::one(
            Kind::Eio4Payload,
            Frame::Text(engineio::encode_payload(&v4)),
        ));
    }
    out.push(Case::one(
        Kind::Eio3Payload,
        Frame::Text(v3::encode_payload(&v3p)),
    ));
    if !v3p.is_empty() {
        let body = v3::encode_binary_payload(&v3p);
        out.push(Case::one(Kind::Eio3Payload, Frame::Binary(body)));
    }
    out.push(Case::one(
        Kind::Sio,
        Frame::Text(parsed.socket.packet().encode()),
    ));
    let encoded = parsed.message.message().encode();
    let mut frames = vec![Frame::Text(encoded.packet.encode())];
    frames.extend(encoded.attachments.into_iter().map(Frame::Binary));
    out.push(Case {
        kind: Kind::Sio,
        frames,
    });
    out
}

/// One entry of our decoding: the Node-shaped view, and, when the entry is an error that Node
/// does not raise, the documented divergence (the error's description).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The view (`{"type":…}`, `{"pending":N}`, `{"error":…}`).
    pub view: J,
    /// `Some(reason)` when this entry is one of our documented divergences.
    pub divergence: Option<String>,
}

/// The variant path of an error's `Debug` form: `Packet(UnsupportedJson("…"))` →
/// `Packet::UnsupportedJson`.
pub fn variant(debug: &str) -> String {
    let mut parts = Vec::new();
    for part in debug.split('(') {
        let ident: String = part
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() || !ident.starts_with(|c: char| c.is_ascii_uppercase()) {
            break;
        }
        parts.push(ident);
        if part.len() != parts.last().map_or(0, String::len) {
            break;
        }
    }
    parts.join("::")
}

/// `Some("Variant: description")` for an error Node does not raise.
fn divergence<E: std::fmt::Debug + std::fmt::Display>(e: &E, node_rejects: bool) -> Option<String> {
    (!node_rejects).then(|| format!("{}: {e}", variant(&format!("{e:?}"))))
}

fn engine_error(e: &EngineError) -> Entry {
    Entry {
        view: json!({ "error": e.node_message() }),
        divergence: divergence(e, e.node_rejects()),
    }
}

fn engine_entries(decoded: engineio::DecodedPayload) -> Vec<Entry> {
    let mut out: Vec<Entry> = decoded
        .packets
        .iter()
        .map(|p| Entry {
            view: view::engine_packet(p),
            divergence: None,
        })
        .collect();
    if let Some(e) = decoded.error {
        out.push(engine_error(&e.error));
    }
    out
}

fn single(result: Result<engineio::Packet, EngineError>) -> Vec<Entry> {
    match result {
        Ok(p) => vec![Entry {
            view: view::engine_packet(&p),
            divergence: None,
        }],
        Err(e) => vec![engine_error(&e)],
    }
}

/// Our decoding of a case, shaped as Node's answer (no limits on engine framing; Node's default
/// `maxAttachments` for Socket.IO, as Node's `Decoder`).
pub fn ours(case: &Case) -> Vec<Entry> {
    let first = case.frames.first();
    match (case.kind, first) {
        (_, None) => Vec::new(),
        (Kind::Eio4Packet, Some(Frame::Text(t))) => {
            single(engineio::decode_text(t, &Limits::UNLIMITED))
        }
        (Kind::Eio4Packet, Some(Frame::Binary(b))) => {
            single(engineio::decode_binary(b, &Limits::UNLIMITED))
        }
        (Kind::Eio3Packet, Some(Frame::Text(t))) => single(v3::decode_packet(t)),
        (Kind::Eio3Packet, Some(Frame::Binary(b))) => {
            single(v3::decode_binary_frame(b, &Limits::UNLIMITED))
        }
        (Kind::Eio4Payload, Some(Frame::Text(t))) => {
            engine_entries(engineio::decode_payload(t.as_bytes(), &Limits::UNLIMITED))
        }
        (Kind::Eio4Payload, Some(Frame::Binary(b))) => {
            engine_entries(engineio::decode_payload(b, &Limits::UNLIMITED))
        }
        (Kind::Eio3Payload, Some(Frame::Text(t))) => {
            engine_entries(v3::decode_payload(t, &Limits::UNLIMITED))
        }
        (Kind::Eio3Payload, Some(Frame::Binary(b))) => {
            engine_entries(v3::decode_binary_payload(b, &Limits::UNLIMITED))
        }
        (Kind::Sio, Some(_)) => {
            let mut r = Reassembler::new(Limits::NODE);
            case.frames
                .iter()
                .map(|f| {
                    let outcome = match f {
                        Frame::Text(t) => r.push_text(t),
                        Frame::Binary(b) => r.push_binary(b),
                    };
                    match outcome {
                        Ok(Some(m)) => Entry {
                            view: m.node_view(),
                            divergence: None,
                        },
                        Ok(None) => Entry {
                            view: json!({ "pending": r.missing() }),
                            divergence: None,
                        },
                        Err(e) => Entry {
                            view: json!({ "error": e.node_message() }),
                            divergence: divergence(&e, e.node_rejects()),
                        },
                    }
                })
                .collect()
        }
    }
}

/// How our decoding compares with Node's.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The same entries (views compared as JavaScript values, [`view::js_eq`]).
    Same,
    /// The first difference is one of our documented divergences.
    Known {
        /// Entry index of the first difference.
        index: usize,
        /// The error variant and its description.
        reason: String,
        /// Node's entry there (or `null` when Node has none).
        node: J,
    },
    /// An undocumented difference: a bug on one side.
    Differs {
        /// Entry index of the first difference.
        index: usize,
        /// Our entry (`null` if none).
        ours: J,
        /// Node's entry (`null` if none).
        node: J,
    },
}

/// Compares our entries with Node's `entries` array.
pub fn compare(ours: &[Entry], node: &[J]) -> Verdict {
    let len = ours.len().max(node.len());
    for index in 0..len {
        let o = ours.get(index);
        let n = node.get(index);
        let same = match (o, n) {
            (Some(o), Some(n)) => view::js_eq(&o.view, n),
            _ => false,
        };
        if same {
            continue;
        }
        let node = n.cloned().unwrap_or(J::Null);
        return match o.and_then(|o| o.divergence.clone()) {
            Some(reason) => Verdict::Known {
                index,
                reason,
                node,
            },
            None => Verdict::Differs {
                index,
                ours: o.map_or(J::Null, |o| o.view.clone()),
                node,
            },
        };
    }
    Verdict::Same
}
