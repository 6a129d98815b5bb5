//! Replays the committed fuzz seeds (`fuzz/seeds/<target>/*`) through the same fuzz bodies the
//! cargo-fuzz targets call (`sio_protocol::fuzzing`), so every seed, and every crash input kept as
//! a seed, is checked by an ordinary `cargo test` without nightly. Regressions found by fuzzing
//! are named tests below, their inputs kept under fuzz/seeds too.

use std::path::PathBuf;

use sio_protocol::fuzzing::{self, Codec};

/// A fuzz body: what a target calls with its input (and [`Codec::OURS`]).
type Body = fn(&Codec, &[u8]);

/// The seed directories and the bodies they replay through (a fast target, `<parser>_fast`,
/// shares its parser's seeds).
const TARGETS: [(&str, Body); 9] = [
    ("engine_packet", fuzzing::engine_packet),
    ("engine_payload_v4", fuzzing::engine_payload),
    ("engine_payload_v3", fuzzing::engine_payload_v3),
    ("socketio_packet", fuzzing::socketio_packet),
    ("binary_reassembly", fuzzing::binary_reassembly_bytes),
    ("roundtrip", fuzzing::roundtrip_bytes),
    ("engine_packet", fuzzing::engine_packet_fast),
    ("socketio_packet", fuzzing::socketio_packet_fast),
    ("redis_adapter", fuzzing::adapter::adapter_message),
];

fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds")
}

#[test]
fn every_committed_seed_replays() {
    let mut total = 0;
    let mut failures = Vec::new();
    for (target, body) in TARGETS {
        let dir = seeds_dir().join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).expect("a readable seed");
            total += 1;
            if std::panic::catch_unwind(|| body(&Codec::OURS, &bytes)).is_err() {
                failures.push(format!("{target}: {}", path.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "seeds that fail:\n{}",
        failures.join("\n")
    );
    assert!(
        total >= 100,
        "only {total} seeds replayed: is fuzz/seeds there?"
    );
}

#[test]
fn every_fuzz_target_has_seeds() {
    for (target, _) in TARGETS {
        let dir = seeds_dir().join(target);
        let n = std::fs::read_dir(&dir).map_or(0, |d| d.count());
        assert!(n > 0, "no seeds in {}", dir.display());
    }
}

/// Found by `cargo xtask fuzz diff` on the first run: Node's v3 XHR2 decoder truncates a record
/// shorter than its length (`00 09 FF 34` is a `message` with no data for Node), which we reject.
/// That rejection was a `V3BinaryLength` claiming `node_rejects() == true`; it is now the
/// documented divergence `V3BinaryLengthLoose`. Input: fuzz/seeds/engine_payload_v3/e4c959e0….
#[test]
fn regression_v3_binary_length_node_truncates() {
    use sio_protocol::engineio::v3;
    use sio_protocol::{EngineError, Limits};
    let input = [0u8, 9, 255, b'4'];
    fuzzing::engine_payload_v3(&Codec::OURS, &input);
    let error = v3::decode_binary_payload(&input, &Limits::NODE)
        .error
        .expect("rejected");
    assert_eq!(error.error, EngineError::V3BinaryLengthLoose(vec![9]));
    assert!(
        !error.error.node_rejects(),
        "Node accepts it: a known divergence"
    );
    // What Node does reject stays a plain V3BinaryLength: no 0xFF terminator.
    let error = v3::decode_binary_payload(&[0, 1, 2], &Limits::NODE)
        .error
        .expect("rejected");
    assert_eq!(error.error, EngineError::V3BinaryLength);
    assert!(error.error.node_rejects());
    // The differential check classifies it as known.
    let cases = fuzzing::diff::cases("engine_payload_v3", &input);
    let ours = fuzzing::diff::ours(&cases[0]);
    assert!(
        ours[0]
            .divergence
            .as_deref()
            .is_some_and(|d| d.starts_with("V3BinaryLengthLoose"))
    );
    assert!(
        seeds_dir()
            .join("engine_payload_v3/e4c959e08f7f57dafe1e7bfed3593ac23c4c7dbc")
            .is_file()
    );
}

/// Node spells each length byte in decimal and fails only when the spelling before the last byte
/// exceeds 310 characters: 311 digit bytes then 0xFF is accepted by Node (a loose length for us),
/// 312 is a parser error on both sides.
#[test]
fn v3_binary_length_limit_follows_node() {
    use sio_protocol::engineio::v3;
    use sio_protocol::{EngineError, Limits};
    let payload = |digits: usize| {
        let mut p = vec![0u8];
        p.extend(std::iter::repeat_n(1u8, digits));
        p.push(255);
        p
    };
    let e = |n| {
        v3::decode_binary_payload(&payload(n), &Limits::UNLIMITED)
            .error
            .unwrap()
            .error
    };
    assert!(matches!(e(311), EngineError::V3BinaryLengthLoose(_)));
    assert_eq!(e(312), EngineError::V3BinaryLength);
}

/// Found by the `binary_reassembly` target: a reassembled BINARY_EVENT kept its objects' keys in
/// document order, while every other decoded object (and Node's `JSON.parse`) lists array-index
/// keys first. A server echoing the message would then re-emit keys in another order than Node
/// (verified with node 20 + socket.io-parser 4.2.7: the echo of the header below is
/// `51-["a",{"1":2,"b":{"_placeholder":true,"num":0}}]`). Fixed in `binary::reconstruct`.
/// Input: fuzz/seeds/binary_reassembly/635d0377….
#[test]
fn regression_reassembled_object_keys_in_javascript_order() {
    use sio_protocol::Limits;
    use sio_protocol::socketio::Reassembler;
    let mut r = Reassembler::new(Limits::NODE);
    let header = r#"51-["a",{"b":{"_placeholder":true,"num":0},"1":2}]"#;
    assert_eq!(r.push_text(header), Ok(None));
    let message = r.push_binary(&[1, 2]).unwrap().unwrap();
    let encoded = message.encode();
    assert_eq!(
        encoded.packet.encode(),
        r#"51-["a",{"1":2,"b":{"_placeholder":true,"num":0}}]"#
    );
    assert_eq!(encoded.attachments, vec![vec![1, 2]]);
    let seed = seeds_dir().join("binary_reassembly/635d0377fa1e6ca724e3769aafe8b80e9b0510de");
    fuzzing::binary_reassembly_bytes(
        &Codec::OURS,
        &std::fs::read(seed).expect("the crash input is kept"),
    );
}

/// Was the open divergence of DIVERGENCES.md (found by `cargo xtask fuzz diff --corpus` after a
/// v3 campaign): Node splits a v3 XHR2 payload whole before decoding any record, so a framing
/// error anywhere (here a second record `2C` with no `0xFF`) is one `parser error` and no
/// packet, where we used to hand on the leading `message` first.
#[test]
fn regression_v3_binary_payload_framing_error_rejects_the_whole_payload() {
    use sio_protocol::engineio::v3;
    use sio_protocol::{EngineError, Limits};
    let input = [0u8, 1, 0xFF, b'4', 0x2C];
    fuzzing::engine_payload_v3(&Codec::OURS, &input);
    let decoded = v3::decode_binary_payload(&input, &Limits::NODE);
    assert!(
        decoded.packets.is_empty(),
        "no packet before Node's whole-payload error"
    );
    assert_eq!(
        decoded.error.map(|e| (e.index, e.error)),
        Some((0, EngineError::V3BinaryLength))
    );
    // The same records with correct framing decode both.
    let fine = [0u8, 1, 0xFF, b'4', 0, 1, 0xFF, b'4'];
    assert_eq!(
        v3::decode_binary_payload(&fine, &Limits::NODE)
            .packets
            .len(),
        2
    );
}
