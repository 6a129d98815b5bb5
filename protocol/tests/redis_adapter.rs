//! The Redis adapter codec against the cluster oracle's transcripts
//! (fixtures/transcripts/redis-adapter): every message a Node node published decodes, its view
//! equals what notepack.io / JSON.parse decoded at capture time, and encoding it again gives the
//! same bytes.

use serde_json::{Value as Json, json};
use sio_protocol::adapter::{
    Broadcast, Channels, DEFAULT_KEY, Request, Response, Value, message::number_json,
};
use sio_protocol::fuzzing::Codec;
use std::path::PathBuf;

fn transcripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/transcripts/redis-adapter")
}

/// One `publish` record of a transcript.
struct Published {
    file: String,
    from: String,
    channel: String,
    bytes: Vec<u8>,
    /// `{"json":…}` or `{"msgpack":…}` as the Node side decoded it.
    decoded: Json,
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

fn published() -> Vec<Published> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(transcripts_dir())
        .expect("fixtures/transcripts/redis-adapter")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    paths.sort();
    for path in paths {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let record: Json = serde_json::from_str(line).unwrap();
            if record["kind"] != "publish" {
                continue;
            }
            let body = &record["body"];
            let bytes = match (body["text"].as_str(), body["hex"].as_str()) {
                (Some(text), _) => text.as_bytes().to_vec(),
                (_, Some(hex)) => unhex(hex),
                _ => panic!("{file}: a body without text or hex"),
            };
            out.push(Published {
                file: file.clone(),
                from: record["from"].as_str().unwrap().to_owned(),
                channel: record["channel"].as_str().unwrap().to_owned(),
                bytes,
                decoded: record["decoded"].clone(),
            });
        }
    }
    assert!(out.len() >= 40, "only {} published messages", out.len());
    out
}

/// The capture's JSON view of a msgpack value: bin as {"$binary":hex}, undefined as {"$undefined":true}.
fn view(value: &Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Undefined => json!({ "$undefined": true }),
        Value::Bool(b) => json!(b),
        Value::Number(n) => number_json(*n),
        Value::Str(s) => json!(s),
        Value::Bin(bytes) => {
            json!({ "$binary": bytes.iter().map(|b| format!("{b:02x}")).collect::<String>() })
        }
        Value::Array(items) => Json::Array(items.iter().map(view).collect()),
        Value::Map(entries) => {
            Json::Object(entries.iter().map(|(k, v)| (k.clone(), view(v))).collect())
        }
        Value::Timestamp(data) => {
            json!({ "$timestamp": data.iter().map(|b| format!("{b:02x}")).collect::<String>() })
        }
    }
}

#[test]
fn every_broadcast_decodes_as_notepack_did_and_encodes_back_byte_for_byte() {
    let channels = Channels::new(DEFAULT_KEY, "/");
    let mut seen = 0;
    for message in published()
        .iter()
        .filter(|m| channels.room_of(&m.channel).is_some())
    {
        let broadcast =
            Broadcast::decode(&message.bytes).unwrap_or_else(|e| panic!("{}: {e}", message.file));
        let as_value = sio_protocol::adapter::msgpack::decode(&message.bytes).unwrap();
        assert_eq!(
            view(&as_value),
            message.decoded["msgpack"],
            "{}",
            message.file
        );
        if message.file == "redis.broadcast.numbers.jsonl" && broadcast.encode() != message.bytes {
            // 2^64, 2^65 and 1e300 went out as uint 64 of 0, which reads back as 0 and is then
            // written as fixint 0: checked from the script's own values below instead.
            assert_eq!(
                Broadcast::decode(&broadcast.encode()).unwrap(),
                broadcast,
                "{}",
                message.file
            );
        } else {
            assert_eq!(
                broadcast.encode(),
                message.bytes,
                "{}: re-encoded",
                message.file
            );
        }
        if message.from != "control" {
            assert_eq!(
                channels.broadcast(&broadcast.opts.rooms),
                message.channel,
                "{}: channel",
                message.file
            );
        }
        seen += 1;
    }
    assert!(seen >= 15, "{seen} broadcasts");
}

#[test]
fn every_request_decodes_and_a_nodes_request_encodes_back_byte_for_byte() {
    let channels = Channels::new(DEFAULT_KEY, "/");
    let mut kinds = std::collections::BTreeSet::new();
    for message in published()
        .iter()
        .filter(|m| m.channel == channels.request())
    {
        let request =
            Request::decode(&message.bytes).unwrap_or_else(|e| panic!("{}: {e}", message.file));
        kinds.insert(
            format!("{request:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        );
        // The script's hand-made msgpack request is answered, but a node would write it as JSON.
        if message.from != "control" || message.bytes[0] == b'{' {
            assert_eq!(
                String::from_utf8_lossy(&request.encode()),
                String::from_utf8_lossy(&message.bytes),
                "{}",
                message.file
            );
            assert_eq!(request.encode(), message.bytes, "{}", message.file);
        }
    }
    let expected = [
        "AllRooms",
        "BroadcastWithAck",
        "Disconnect",
        "Fetch",
        "Membership",
        "OneSocketMembership",
        "ServerSideEmit",
        "Sockets",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn every_response_decodes_and_encodes_back_byte_for_byte() {
    let channels = Channels::new(DEFAULT_KEY, "/");
    let mut kinds = std::collections::BTreeSet::new();
    for message in published()
        .iter()
        .filter(|m| m.channel == channels.response())
    {
        let response =
            Response::decode(&message.bytes).unwrap_or_else(|e| panic!("{}: {e}", message.file));
        kinds.insert(
            format!("{response:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap()
                .to_owned(),
        );
        assert_eq!(
            String::from_utf8_lossy(&response.encode()),
            String::from_utf8_lossy(&message.bytes),
            "{}",
            message.file
        );
    }
    let expected = [
        "BroadcastAck",
        "BroadcastClientCount",
        "Done",
        "Rooms",
        "ServerSideEmitAck",
        "Sockets",
    ];
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), expected);
}

#[test]
fn a_json_body_is_one_that_starts_with_a_brace() {
    use sio_protocol::adapter::Body;
    assert!(matches!(Body::read(b"{\"type\":1}"), Ok(Body::Json(_))));
    assert!(matches!(
        Body::read(&[0x81, 0xa4, b't', b'y', b'p', b'e', 0x01]),
        Ok(Body::Msgpack(_))
    ));
    assert!(Body::read(b"{not json").is_err());
}

/// The `floats` broadcast of redis.broadcast.numbers, built from the values the script emitted
/// (not from the wire), must be what node A published: notepack's wrap of 2^64 and up included.
#[test]
fn numbers_beyond_two_to_the_64_encode_as_notepack_corrupts_them() {
    let message = published()
        .into_iter()
        .find(|m| {
            m.file == "redis.broadcast.numbers.jsonl" && m.decoded.to_string().contains("floats")
        })
        .expect("the floats broadcast");
    let number = Value::Number;
    let packet = Value::Map(vec![
        ("type".into(), number(2.0)),
        (
            "data".into(),
            Value::Array(vec![
                Value::Str("floats".into()),
                number(0.5),
                number(-1.25),
                number(1e300),
                number(2f64.powi(64)),
                number(2f64.powi(65)),
            ]),
        ),
        ("nsp".into(), Value::Str("/".into())),
    ]);
    let broadcast = Broadcast {
        uid: "nodeA1".into(),
        packet,
        opts: sio_protocol::adapter::BroadcastOpts {
            rooms: vec![],
            except: vec![],
            flags: Some(Value::Map(vec![])),
        },
    };
    assert_eq!(broadcast.encode(), message.bytes);
}

/// The fuzz body (fuzz target `redis_adapter`) over every published body and each of its
/// prefixes: truncated messages must be refused or settle, never panic.
#[test]
fn the_fuzz_body_holds_on_every_transcript_body_and_its_prefixes() {
    for message in published() {
        for cut in 0..=message.bytes.len() {
            sio_protocol::fuzzing::adapter::adapter_message(&Codec::OURS, &message.bytes[..cut]);
        }
    }
}

proptest::proptest! {
    /// The fuzz body over transcript bodies with one byte changed.
    #[test]
    fn the_fuzz_body_holds_on_bodies_with_one_byte_changed(pick in 0usize..1000, at in 0usize..4096, byte in 0u8..=255) {
        let messages = published();
        let mut bytes = messages[pick % messages.len()].bytes.clone();
        let at = at % bytes.len();
        bytes[at] = byte;
        sio_protocol::fuzzing::adapter::adapter_message(&Codec::OURS, &bytes);
    }
}

/// [`view`] with non-finite numbers shown as the Node side shows them.
fn diff_view(value: &Value) -> Json {
    match value {
        Value::Number(n) if !n.is_finite() => {
            let text = if n.is_nan() {
                "NaN"
            } else if *n > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            json!({ "$number": text })
        }
        Value::Array(items) => Json::Array(items.iter().map(diff_view).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), diff_view(v)))
                .collect(),
        ),
        other => view(other),
    }
}

/// Inputs of the differential check: every transcript body, its one-byte mutations (a fixed
/// pseudo-random walk, so the check is the same on every run) and forms the transcripts lack.
fn differential_inputs() -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = published().into_iter().map(|m| m.bytes).collect();
    let mut state: u64 = 0x5eed;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let originals = inputs.len();
    for i in 0..originals * 30 {
        let mut bytes = inputs[i % originals].clone();
        let at = next() % bytes.len();
        bytes[at] = next() as u8;
        if next() % 4 == 0 {
            bytes.truncate(next() % bytes.len());
        }
        inputs.push(bytes);
    }
    for hex in [
        "ca3fc00000",
        "cb7ff0000000000000",
        "cbfff8000000000000",
        "d40000",
        "d40100",
        "d6ff00000001",
        "c70301aabbcc",
        "83a16201a13102a16203",
        "82a1300181a1310282a13001",
        "dc0000",
        "de0000",
        "d90161",
        "cfffffffffffffffff",
        "d38000000000000000",
        "a2c328",
        "91d40000",
        "81a95f5f70726f746f5f5fc0",
        "8101a161",
    ] {
        inputs.push(unhex(hex));
    }
    inputs
}

/// The differential check against notepack.io 3.0.1 (Node, fixtures/node/cluster/notepack-diff.mjs):
/// on every input both decoders accept or both refuse (except where we are stricter, on
/// purpose), and when both accept, the decoded values and their re-encodings are the same.
#[test]
fn msgpack_matches_notepack_on_transcript_bodies_and_their_mutations() {
    use sio_protocol::adapter::{MsgpackError, msgpack};
    use std::io::Write;
    use std::process::{Command, Stdio};
    // `SIO_NODE_DIR`: the checkout's fixtures/node when this crate is built from a copy without
    // the ignored node_modules (cargo-mutants' scratch tree; `cargo xtask mutants` sets it).
    let node_dir = std::env::var_os("SIO_NODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/node"));
    assert!(
        node_dir.join("node_modules/notepack.io").exists(),
        "run `npm ci` in fixtures/node first (the differential check needs the pinned notepack.io)"
    );
    let inputs = differential_inputs();
    let mut child = Command::new("node")
        .arg("cluster/notepack-diff.mjs")
        .current_dir(&node_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let mut stdin = child.stdin.take().unwrap();
    let lines: String = inputs
        .iter()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>() + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(lines.as_bytes()));
    let output = child.wait_with_output().expect("node ran");
    writer.join().unwrap().expect("wrote the inputs");
    let answers: Vec<Json> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), inputs.len(), "one answer per input");

    let mut compared = 0;
    let mut failures = Vec::new();
    for (input, node) in inputs.iter().zip(&answers) {
        let hex: String = input.iter().map(|x| format!("{x:02x}")).collect();
        let ours = msgpack::decode(input);
        let node_text = node.to_string();
        match (&ours, node.get("error")) {
            (Err(_), Some(_)) => {}
            // Where we refuse on purpose: notepack coerces non-string keys and decodes invalid
            // UTF-8 its own way; nesting is bounded.
            (
                Err(MsgpackError::NonStringKey | MsgpackError::InvalidUtf8 | MsgpackError::TooDeep),
                None,
            ) => {}
            // notepack turns timestamps into Dates and `__proto__` keys into prototypes: not values
            // an adapter message carries.
            (Ok(_), None)
                if node_text.contains("\"$date\"") || node_text.contains("\"$prototype\"") => {}
            (Ok(value), None) => {
                compared += 1;
                let encoded: String = msgpack::encode(value)
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect();
                if diff_view(value) != node["view"] || encoded != node["hex"] {
                    failures.push(format!(
                        "{hex}: ours {} → {encoded}, notepack {node_text}",
                        diff_view(value)
                    ));
                }
            }
            _ => failures.push(format!("{hex}: ours {ours:?}, notepack {node_text}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        inputs.len(),
        failures[..failures.len().min(15)].join("\n")
    );
    // Most mutations break the message; the ones that decode on both sides must number enough.
    assert!(
        compared >= 150,
        "only {compared} inputs decoded on both sides"
    );
}
