//! `seed`: seed corpora and dictionaries from the Node transcripts and the advisory inputs.

use super::*;

/// The socket.io-parser advisory inputs and other hostile Socket.IO packets.
const SOCKETIO_ADVISORY: &[&str] = &[
    // Unbounded attachment counts (socket.io-parser < 4.2.3 buffered without limit).
    "51000000-[\"a\",{\"_placeholder\":true,\"num\":0}]",
    "599999999999999999999-[\"a\"]",
    "511-[\"a\"]",
    "510-[\"a\"]",
    "50-[\"a\"]",
    "5-1-[\"a\"]",
    "51.5-[\"a\"]",
    "5 1-[\"a\"]",
    "50x1-[\"a\"]",
    "51e1-[\"a\"]",
    "5Infinity-[\"a\"]",
    "51[\"a\"]",
    "6",
    // Placeholder indexes that are not integers in range (CVE-2023-32695 family).
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":0.5}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":-1}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":1}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"toString\"}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":\"__proto__\"}]",
    "51-[\"a\",{\"_placeholder\":true}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":null}]",
    "51-[\"a\",{\"_placeholder\":true,\"num\":[0]}]",
    "51-[\"a\",{\"_placeholder\":\"true\",\"num\":0}]",
    "52-[\"a\",{\"x\":{\"_placeholder\":true,\"num\":1}},{\"_placeholder\":true,\"num\":0}]",
    "61-/admin,12[{\"_placeholder\":true,\"num\":0}]",
    // Event names that are not strings, and reserved names.
    "2[]",
    "2[{}]",
    "2[null]",
    "2[[1]]",
    "2[true]",
    "2[1,2]",
    "2[\"connect\"]",
    "2[\"connect_error\"]",
    "2[\"disconnect\"]",
    "2[\"disconnecting\"]",
    "2[\"newListener\"]",
    "2[\"removeListener\"]",
    "2[\"__proto__\"]",
    "2{\"a\":1}",
    "2\"a\"",
    "3{}",
    "0[]",
    "0\"x\"",
    "1{}",
    "4[]",
    "4\"err\"",
    "7",
    "9[\"a\"]",
    "x",
    " ",
    "",
    "2/admin",
    "2/admin,",
    "2/a/b,[\"x\"]",
    "2/,1[\"x\"]",
    "29007199254740993[\"a\"]",
    "2 1[\"a\"]",
    "2\u{3000}[\"a\"]",
    "2[\"a\",1e400]",
    "2[\"a\",\"\\ud800\"]",
    "2[\"a\"",
    "2[\"a\"]x",
    "0/admin?token=x,",
    "0{\"token\":\"abc\"}",
];

/// Hostile and edge Engine.IO frames: malformed upgrades, probes, base64, types.
const ENGINE_ADVISORY: &[&str] = &[
    "2probe",
    "3probe",
    "5",
    "5probe",
    "6",
    "2",
    "3",
    "4",
    "7",
    "b",
    "bAQID",
    "bAQ=ID",
    "b!!AQ!!ID",
    "bAQID\u{2028}BA",
    "bAQŁID",
    "b4AQID",
    "bx",
    "0{\"sid\":\"a\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
    "1",
    "4\u{1e}4",
    "\u{1e}",
    "4a\u{1e}bAQ==\u{1e}2",
    "4hé",
    "4😀",
];

/// v3 payload edge cases (string framing).
const V3_ADVISORY: &[&str] = &[
    "0:",
    "1:4",
    "2:4😀",
    "3:4😀",
    "6:4hello2:4€",
    " 2:4a",
    "0x2:4a",
    "-0:2:4a",
    "1.5:4a",
    "-1:4a",
    "5:4a",
    ":4a",
    "x:4a",
    "2:4a12",
    "10:b4AQIDBA==",
    "6:bxAQID",
    "1e1:4aaaaaaaaa",
    "2:4a1:93:4bc",
    "18:42[\"message\",\"hé\"]",
];

/// v3 XHR2 binary payloads.
fn v3_binary_advisory() -> Vec<Vec<u8>> {
    vec![
        vec![0, 4, 255, b'4', b'h', 0xC3, 0xA9, 1, 4, 255, 4, 1, 2, 3],
        vec![0, 12, 255, b'4'],
        vec![0, 9, 255, b'4'],
        vec![0, 1, 2],
        vec![1, 1, 255, 7],
        vec![1, 0, 255],
        vec![0, 0, 0, 1, 255, b'4'],
        vec![0, 1, 255, 0xff],
        vec![2, 1, 255, 4],
    ]
}

/// Dictionary tokens: (file, tokens).
fn dictionaries() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "engine",
            vec![
                "0",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "b",
                "probe",
                "2probe",
                "3probe",
                "\\x1e",
                ":",
                "\\x00",
                "\\x01",
                "\\xff",
                "==",
                "=",
                "AQID",
                "{\"sid\":",
                "\"upgrades\":",
                "\"pingInterval\":",
                "\"pingTimeout\":",
                "\"maxPayload\":",
                "[\"websocket\"]",
                "10:",
                "1:",
                "0:",
                "\\xf0\\x9f\\x98\\x80",
                "\\xe2\\x82\\xac",
            ],
        ),
        (
            "socketio",
            vec![
                "0",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "1-",
                "2-",
                "10-",
                "51000000-",
                "/",
                "/admin,",
                "/nsp,",
                ",",
                "[",
                "]",
                "{",
                "}",
                "\"",
                "\":",
                "\"_placeholder\":true",
                "{\"_placeholder\":true,\"num\":0}",
                "\"num\":",
                "\"num\":0",
                "\"num\":1",
                "\"num\":0.5",
                "\"num\":-1",
                "\"num\":\"0\"",
                "true",
                "false",
                "null",
                "1e400",
                "\\\\ud800",
                "\"connect\"",
                "\"disconnect\"",
                "\"newListener\"",
                "\"removeListener\"",
                "\"connect_error\"",
                "\"disconnecting\"",
                "\"message\"",
                "\"__proto__\"",
                " ",
                "\\xe3\\x80\\x80",
                "9007199254740993",
                "0x1",
                "1e1",
                "?",
            ],
        ),
    ]
}

/// Content-addressed file name: the SHA-1 of the bytes, in hex.
fn seed_name(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// The structure of an input, for picking diverse seeds: digits → `0`, letters → `a`, runs
/// collapsed, the first 24 bytes kept.
fn shape(bytes: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for &b in bytes {
        let class = match b {
            b'0'..=b'9' => b'0',
            b'a'..=b'z' | b'A'..=b'Z' => b'a',
            0x80.. => 0x80,
            other => other,
        };
        if out.last() != Some(&class) {
            out.push(class);
        }
        if out.len() >= 24 {
            break;
        }
    }
    out
}

/// Inputs per target, from the transcripts.
fn transcript_inputs() -> Result<BTreeMap<&'static str, BTreeSet<Vec<u8>>>> {
    let mut out: BTreeMap<&'static str, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let transcripts = sio_fixtures::load_all().context("loading fixtures/transcripts")?;
    // The data of each engine `message` Node decoded as Socket.IO (on Socket.IO paths).
    let mut later = Vec::new();
    for t in &transcripts {
        let payload_target = if t.meta.eio == 3 {
            "engine_payload_v3"
        } else {
            "engine_payload_v4"
        };
        for record in &t.records {
            match record {
                sio_fixtures::Record::WsMessage(m) => {
                    if matches!(m.body, sio_fixtures::Body::Generated(_)) {
                        continue;
                    }
                    if let Ok(bytes) = m.body.bytes() {
                        out.entry("engine_packet").or_default().insert(bytes);
                    }
                    sio_entries(m.oracle.as_ref(), &mut later);
                }
                sio_fixtures::Record::Http(h) => {
                    for (body, side) in
                        [(&h.request.body, "request"), (&h.response.body, "response")]
                    {
                        let Some(body) = body else { continue };
                        if matches!(body, sio_fixtures::Body::Generated(_)) {
                            continue;
                        }
                        let Ok(bytes) = body.bytes() else { continue };
                        if h.oracle_for(side).is_none() || bytes.is_empty() {
                            continue;
                        }
                        if t.meta.eio != 3 {
                            for record in bytes.split(|&b| b == 0x1e) {
                                out.entry("engine_packet")
                                    .or_default()
                                    .insert(record.to_vec());
                            }
                        }
                        out.entry(payload_target).or_default().insert(bytes);
                        sio_entries(h.oracle_for(side), &mut later);
                    }
                }
                _ => {}
            }
        }
    }
    out.entry("socketio_packet").or_default().extend(later);
    Ok(out)
}

/// The Socket.IO packet texts of the engine messages of an oracle annotation.
fn sio_entries(oracle: Option<&Vec<serde_json::Value>>, into: &mut Vec<Vec<u8>>) {
    for entry in oracle.into_iter().flatten() {
        if entry.get("sio").is_some()
            && let Some(text) = entry["eio"]["data"].as_str()
        {
            into.push(text.as_bytes().to_vec());
        }
    }
}

pub(super) fn seed() -> Result<ExitCode> {
    let root = fuzz_dir();
    let mut inputs = transcript_inputs()?;
    let mut advisory: BTreeMap<&str, Vec<Vec<u8>>> = BTreeMap::new();
    let strs = |list: &[&str]| {
        list.iter()
            .map(|s| s.as_bytes().to_vec())
            .collect::<Vec<_>>()
    };
    advisory.insert("socketio_packet", strs(SOCKETIO_ADVISORY));
    advisory.insert("engine_packet", strs(ENGINE_ADVISORY));
    advisory.insert("engine_payload_v4", strs(ENGINE_ADVISORY));
    let mut v3 = strs(V3_ADVISORY);
    v3.extend(v3_binary_advisory());
    advisory.insert("engine_payload_v3", v3);

    // The committed selection per target: the advisory inputs, plus transcript inputs up to CAP
    // (at least MIN_PICKS of them), so fuzz/seeds stays around 200 small files.
    const CAP: usize = 32;
    const MIN_PICKS: usize = 10;
    let mut total_committed = 0;
    for target in PARSER_TARGETS {
        let all = inputs.remove(target).unwrap_or_default();
        let extra = advisory.remove(target).unwrap_or_default();
        let corpus = root.join("corpus").join(target);
        let seeds = root.join("seeds").join(target);
        std::fs::create_dir_all(&corpus)?;
        std::fs::create_dir_all(&seeds)?;
        for bytes in all.iter().chain(&extra) {
            write_seed(&corpus, bytes)?;
        }
        // The committed selection: the advisory inputs, then the shortest input of each shape.
        let mut chosen: Vec<&Vec<u8>> = extra.iter().collect();
        let mut by_shape: BTreeMap<Vec<u8>, &Vec<u8>> = BTreeMap::new();
        for bytes in &all {
            let entry = by_shape.entry(shape(bytes)).or_insert(bytes);
            if bytes.len() < entry.len() {
                *entry = bytes;
            }
        }
        let mut shaped: Vec<&Vec<u8>> =
            by_shape.into_values().filter(|b| b.len() <= 2048).collect();
        shaped.sort_by_key(|b| (b.len(), (*b).clone()));
        let room = CAP.saturating_sub(chosen.len()).max(MIN_PICKS);
        // Spread the picks over the length range rather than taking only the shortest.
        let step = (shaped.len() as f64 / room as f64).max(1.0);
        let mut i = 0.0;
        while (i as usize) < shaped.len() && chosen.len() < extra.len() + room {
            chosen.push(shaped[i as usize]);
            i += step;
        }
        let mut written = HashSet::new();
        for bytes in chosen {
            if written.insert(seed_name(bytes)) {
                write_seed(&seeds, bytes)?;
            }
        }
        total_committed += written.len();
        eprintln!(
            "xtask: {target}: {} corpus inputs ({} from transcripts), {} committed seeds",
            all.len() + extra.len(),
            all.len(),
            written.len()
        );
    }
    let dict_dir = root.join("dict");
    std::fs::create_dir_all(&dict_dir)?;
    for (name, tokens) in dictionaries() {
        let mut text = format!(
            "# libFuzzer dictionary: tokens of the {name} grammar (generated by `cargo xtask fuzz seed`).\n"
        );
        for (i, token) in tokens.iter().enumerate() {
            text.push_str(&format!("t{i}=\"{}\"\n", token.replace('"', "\\\"")));
        }
        std::fs::write(dict_dir.join(format!("{name}.dict")), text)?;
    }
    eprintln!(
        "xtask: fuzz seed: {total_committed} committed seeds under fuzz/seeds; dictionaries in fuzz/dict"
    );
    Ok(ExitCode::SUCCESS)
}

fn write_seed(dir: &Path, bytes: &[u8]) -> Result<()> {
    let path = dir.join(seed_name(bytes));
    if !path.exists() {
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
