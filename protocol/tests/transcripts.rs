//! Replays every committed Node transcript (`fixtures/transcripts/*.jsonl`) through the codec.
//!
//! Each transcript record carries what Node's own parsers made of the bytes (the `oracle`
//! annotation, computed at capture time with engine.io-parser 5.2.3, engine.io's v3 parser and a
//! stateful socket.io-parser 4.2.7 decoder per connection and direction). For every packet:
//! - what Node decoded, we decode to the same packet (compared as Node-shaped JSON views);
//! - what Node rejected, we reject with an error whose `node_message()` is Node's message;
//! - every server frame (and polling payload) re-encodes to exactly the bytes Node sent, both
//!   from the decoded packet and, for Socket.IO, from the reassembled message, which checks our
//!   JSON.stringify reproduction and the depth-first placeholder numbering.
//!
//! All mismatches are collected and reported together, each with its file and line.

use std::collections::HashMap;

use serde_json::Value;
use sio_fixtures::{Body, Direction, Record, Transcript};
use sio_protocol::engineio::{self, Data, DecodedPayload, Frame, Packet};
use sio_protocol::socketio::Reassembler;
use sio_protocol::{Limits, socketio, view};

/// Which engine framing a transcript speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Eio {
    V3,
    V4,
}

/// One stream of Socket.IO messages: a connection (WebSocket number, or polling sid) and a
/// direction, as the capture keyed its stateful Node decoder.
type StreamKey = (String, Direction);

/// The state of one stream: the reassembler and, while a binary message is pending, the exact
/// header text and attachments Node sent, to check our re-encoding of the whole message.
#[derive(Default)]
struct Stream {
    reassembler: Reassembler,
    header: Option<String>,
    attachments: Vec<Vec<u8>>,
}

/// Walks one transcript, collecting mismatches.
struct Replay<'a> {
    transcript: &'a Transcript,
    eio: Eio,
    socketio: bool,
    streams: HashMap<StreamKey, Stream>,
    failures: Vec<String>,
    /// Engine packets compared with Node (for the "not vacuous" check).
    compared: usize,
    /// Socket.IO decodings compared with Node.
    compared_sio: usize,
    /// Rejections compared with Node.
    compared_rejections: usize,
    line: usize,
}

impl<'a> Replay<'a> {
    fn new(transcript: &'a Transcript) -> Self {
        Replay {
            transcript,
            eio: if transcript.meta.eio == 3 {
                Eio::V3
            } else {
                Eio::V4
            },
            socketio: transcript.meta.is_socketio(),
            streams: HashMap::new(),
            failures: Vec::new(),
            compared: 0,
            compared_sio: 0,
            compared_rejections: 0,
            line: 1,
        }
    }

    fn fail(&mut self, what: String) {
        let file = self
            .transcript
            .path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        self.failures.push(format!("{file}:{}: {what}", self.line));
    }

    fn run(&mut self) {
        for (index, record) in self.transcript.records.iter().enumerate() {
            // Line 1 is the meta record; blank lines are never written by the capture.
            self.line = index + 2;
            match record {
                Record::Http(http) => {
                    let stream = polling_stream(&http.request.url);
                    if let (Some(oracle), Some(body)) =
                        (http.oracle_for("request"), &http.request.body)
                    {
                        self.payload(body, oracle, (stream.clone(), Direction::C2s));
                    }
                    if let (Some(oracle), Some(body)) =
                        (http.oracle_for("response"), &http.response.body)
                    {
                        self.payload(body, oracle, (stream, Direction::S2c));
                    }
                }
                Record::WsMessage(message) => {
                    if let Some(oracle) = &message.oracle {
                        self.ws_frame(
                            &message.body,
                            oracle,
                            (format!("ws#{}", message.ws), message.dir),
                        );
                    }
                }
                Record::Meta(_)
                | Record::WsConnect(_)
                | Record::WsClose(_)
                | Record::Sleep { .. } => {}
            }
        }
    }

    /// A polling body: decode the whole payload, compare packet by packet, re-encode server ones.
    fn payload(&mut self, body: &Body, oracle: &[Value], key: StreamKey) {
        let bytes = match body.bytes() {
            Ok(bytes) => bytes,
            Err(e) => return self.fail(e),
        };
        let decoded = match (self.eio, body) {
            (Eio::V4, _) => engineio::decode_payload(&bytes, &Limits::UNLIMITED),
            (Eio::V3, Body::Hex(_)) => {
                engineio::v3::decode_binary_payload(&bytes, &Limits::UNLIMITED)
            }
            (Eio::V3, _) => {
                engineio::v3::decode_payload(&String::from_utf8_lossy(&bytes), &Limits::UNLIMITED)
            }
        };
        self.compare_engine(&decoded, oracle, &key);
        if key.1 == Direction::S2c && decoded.error.is_none() {
            let again = match (self.eio, body) {
                (Eio::V4, _) => engineio::encode_payload(&decoded.packets).into_bytes(),
                (Eio::V3, Body::Hex(_)) => engineio::v3::encode_binary_payload(&decoded.packets),
                (Eio::V3, _) => engineio::v3::encode_payload(&decoded.packets).into_bytes(),
            };
            if again != bytes {
                self.fail(format!(
                    "server payload re-encodes differently\n    node: {:?}\n    ours: {:?}",
                    String::from_utf8_lossy(&bytes),
                    String::from_utf8_lossy(&again)
                ));
            }
        }
    }

    /// One WebSocket message: one engine packet.
    fn ws_frame(&mut self, body: &Body, oracle: &[Value], key: StreamKey) {
        let decoded = match body {
            Body::Text(text) => match self.eio {
                Eio::V4 => engineio::decode_text(text, &Limits::UNLIMITED),
                Eio::V3 => engineio::v3::decode_packet(text),
            },
            other => match other.bytes() {
                Ok(bytes) => match self.eio {
                    Eio::V4 => engineio::decode_binary(&bytes, &Limits::UNLIMITED),
                    Eio::V3 => engineio::v3::decode_binary_frame(&bytes, &Limits::UNLIMITED),
                },
                Err(e) => return self.fail(e),
            },
        };
        let as_payload = match decoded {
            Ok(packet) => DecodedPayload {
                packets: vec![packet],
                error: None,
            },
            Err(error) => DecodedPayload {
                packets: Vec::new(),
                error: Some(sio_protocol::PayloadError { index: 0, error }),
            },
        };
        self.compare_engine(&as_payload, oracle, &key);
        if key.1 == Direction::S2c
            && let [packet] = as_payload.packets.as_slice()
        {
            let again = match self.eio {
                Eio::V4 => packet.encode_ws(),
                Eio::V3 => engineio::v3::encode_ws(packet),
            };
            let same = match (&again, body) {
                (Frame::Text(ours), Body::Text(node)) => ours == node,
                (Frame::Binary(ours), node) => node.bytes().is_ok_and(|b| &b == ours),
                _ => false,
            };
            if !same {
                self.fail(format!(
                    "server frame re-encodes as {again:?}, Node sent {body:?}"
                ));
            }
        }
    }

    /// Compares our engine decoding with Node's entries, then the Socket.IO layer of each message.
    fn compare_engine(&mut self, ours: &DecodedPayload, oracle: &[Value], key: &StreamKey) {
        let ours_len = ours.packets.len() + usize::from(ours.error.is_some());
        if ours_len != oracle.len() {
            self.fail(format!(
                "Node saw {} engine packet(s), we decoded {} packet(s) and {}",
                oracle.len(),
                ours.packets.len(),
                ours.error
                    .as_ref()
                    .map_or("no error".to_string(), |e| format!("the error {e}"))
            ));
            return;
        }
        for (index, entry) in oracle.iter().enumerate() {
            let node_eio = &entry["eio"];
            if let Some(node_error) = node_eio.get("error") {
                self.compared_rejections += 1;
                match &ours.error {
                    Some(e)
                        if e.index == index
                            && Value::from(e.error.node_message()) == *node_error => {}
                    other => self.fail(format!(
                        "Node rejected engine packet {index} with {node_error}; we gave {other:?}"
                    )),
                }
                continue;
            }
            let Some(packet) = ours.packets.get(index) else {
                self.fail(format!(
                    "Node decoded engine packet {index} as {node_eio}; we rejected it"
                ));
                continue;
            };
            self.compared += 1;
            let view = view::engine_packet(packet);
            if view != *node_eio {
                self.fail(format!(
                    "engine packet {index}\n    node: {node_eio}\n    ours: {view}"
                ));
                continue;
            }
            if let Some(node_sio) = entry.get("sio") {
                self.compare_socketio(packet, node_sio, key);
            } else if self.socketio && packet.kind == engineio::PacketType::Message {
                self.fail(format!(
                    "engine message {index} on a Socket.IO path has no sio oracle"
                ));
            }
        }
    }

    /// Feeds one engine message to the stream's reassembler and compares with Node's decoder.
    fn compare_socketio(&mut self, packet: &Packet, node: &Value, key: &StreamKey) {
        let stream = self.streams.entry(key.clone()).or_default();
        let outcome = match &packet.data {
            Some(Data::Binary(bytes)) => {
                stream.attachments.push(bytes.clone());
                stream.reassembler.push_binary(bytes)
            }
            Some(Data::Text(text)) => {
                stream.header = Some(text.clone());
                stream.attachments.clear();
                stream.reassembler.push_text(text)
            }
            None => {
                stream.header = Some(String::new());
                stream.attachments.clear();
                stream.reassembler.push_text("")
            }
        };
        let missing = stream.reassembler.missing();
        let header = stream.header.clone().unwrap_or_default();
        let attachments = std::mem::take(&mut stream.attachments);
        self.compared_sio += 1;

        if let Some(node_error) = node.get("error") {
            self.compared_rejections += 1;
            match outcome {
                Err(e) if Value::from(e.node_message()) == *node_error => {}
                other => self.fail(format!(
                    "Node's socket.io-parser threw {node_error}; we gave {other:?}"
                )),
            }
            return;
        }
        if let Some(node_missing) = node.get("pending") {
            match outcome {
                Ok(None) if node_missing.as_u64() == Some(missing as u64) => {}
                other => self.fail(format!(
                    "Node awaits {node_missing} attachment(s); we gave {other:?} with {missing} missing"
                )),
            }
            // Still reconstructing: keep what was collected for the final comparison.
            if let Some(stream) = self.streams.get_mut(key) {
                stream.attachments = attachments;
            }
            return;
        }
        let message = match outcome {
            Ok(Some(message)) => message,
            other => return self.fail(format!("Node decoded {node}; we gave {other:?}")),
        };
        let ours = message.node_view();
        if !view::js_eq(&ours, node) {
            return self.fail(format!(
                "socket.io packet\n    node: {node}\n    ours: {ours}"
            ));
        }
        if key.1 == Direction::S2c {
            // The server's bytes must come back from the decoded message: header and attachments.
            let encoded = message.encode();
            let ours_header = encoded.packet.encode();
            if ours_header != header || encoded.attachments != attachments {
                self.fail(format!(
                    "server message re-encodes differently\n    node: {header} + {} attachment(s)\n    ours: {ours_header} + {} attachment(s)",
                    attachments.len(),
                    encoded.attachments.len()
                ));
            }
            // And from the raw packet, which keeps the JSON text verbatim.
            if let Ok(raw) = socketio::decode(&header, &Limits::UNLIMITED)
                && raw.encode() != header
            {
                self.fail(format!(
                    "raw packet re-encodes as {:?}, Node sent {header:?}",
                    raw.encode()
                ));
            }
        }
    }
}

/// The polling stream a request belongs to: its `sid`, or the handshake.
fn polling_stream(url: &str) -> String {
    url.split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("sid="))
        .map_or_else(
            || "polling#handshake".to_string(),
            |sid| format!("polling#{sid}"),
        )
}

#[test]
fn every_transcript_frame_decodes_as_node_decoded_it() {
    let transcripts = sio_fixtures::load_all().expect("the committed transcripts load");
    let mut failures = Vec::new();
    let (mut engine, mut sio, mut rejections) = (0, 0, 0);
    for transcript in &transcripts {
        let mut replay = Replay::new(transcript);
        replay.run();
        failures.append(&mut replay.failures);
        engine += replay.compared;
        sio += replay.compared_sio;
        rejections += replay.compared_rejections;
    }
    eprintln!(
        "replayed {} transcripts: {engine} engine packets, {sio} socket.io decodings, {rejections} rejections compared with Node",
        transcripts.len()
    );
    assert!(
        failures.is_empty(),
        "{} mismatch(es) with Node:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The comparison must not pass vacuously: the oracle covers all three outcomes.
    assert!(
        engine > 100 && sio > 50 && rejections > 5,
        "too little was compared"
    );
}

/// Replays `file` from the committed transcripts after `tamper` rewrote its text.
fn replay_tampered(file: &str, tamper: impl Fn(&str) -> String) -> Vec<String> {
    let path = sio_fixtures::transcripts_dir().join(file);
    let text = std::fs::read_to_string(&path).expect("the transcript exists");
    let tampered = tamper(&text);
    assert_ne!(tampered, text, "the tampering must change something");
    let transcript = Transcript::parse(&path, &tampered).expect("still a transcript");
    let mut replay = Replay::new(&transcript);
    replay.run();
    replay.failures
}

#[test]
fn a_wrong_engine_oracle_is_caught() {
    let failures = replay_tampered("eio.websocket.echo.jsonl", |t| {
        t.replacen(
            r#"{"eio":{"type":"message","data":"hello"}}"#,
            r#"{"eio":{"type":"message","data":"hellp"}}"#,
            1,
        )
    });
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("hellp"), "{failures:?}");
}

#[test]
fn a_wrong_socketio_oracle_is_caught() {
    let failures = replay_tampered("sio.binary.two-attachments.jsonl", |t| {
        t.replacen(
            r#""sio":{"type":0,"nsp":"/","data":{"sid""#,
            r#""sio":{"type":0,"nsp":"/x","data":{"sid""#,
            1,
        )
    });
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(failures[0].contains("socket.io packet"), "{failures:?}");
}

#[test]
fn a_server_payload_that_does_not_round_trip_is_caught() {
    // Unpadded base64 decodes to the same bytes (Node is lenient), but Node's encoder always pads:
    // a server that sent this would not be byte-exact, and the replay must say so.
    let failures = replay_tampered("eio.polling.batch-binary.jsonl", |t| {
        let last = t.rfind("bAQIDBA==").expect("the echoed binary packet");
        format!("{}bAQIDBA{}", &t[..last], &t[last + "bAQIDBA==".len()..])
    });
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].contains("re-encodes differently"),
        "{failures:?}"
    );
}

#[test]
fn at_least_sixty_scenarios_are_committed() {
    let transcripts = sio_fixtures::load_all().expect("the committed transcripts load");
    assert!(
        transcripts.len() >= 60,
        "only {} transcripts",
        transcripts.len()
    );
}

#[test]
fn transcripts_are_named_after_their_scenario() {
    for transcript in sio_fixtures::load_all().expect("the committed transcripts load") {
        let stem = transcript
            .path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert_eq!(
            stem,
            transcript.meta.scenario,
            "{}",
            transcript.path.display()
        );
    }
}
