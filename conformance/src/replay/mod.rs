//! Transcript replay: every Node transcript in `fixtures/transcripts/` is a case,
//! `replay.<scenario-id>`. The replayer ([`player`]) sends the client side of each record exactly
//! and compares what the target sends with what Node sent, after the transcripts' own
//! normalisation ([`normalise`]). Rules and tolerances: conformance/README.md, "Replay".
//!
//! The transcripts are embedded at build time (build.rs), so an installed runner has them too.

pub mod normalise;
pub mod player;

use crate::case::{Case, Level};
use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::failure::{CaseResult, Failure};
use sio_fixtures::{Body, Direction, Record, Transcript};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/transcripts.rs"));
}

/// Spec document of a replay case: its section lists the transcript's `covers` tags.
pub const COVERS: &str = "transcript covers";

const PROXY_POLLING: &str = "socket.io-client keeps a long poll in flight while it POSTs; the transcript records issue order but not when each GET was answered, so which packets land in which GET (and whether a ping does) depends on timing and Node itself does not reproduce it under replay";

const NODE_IGNORES_CLOSE: &str = "records Node ignoring a client close packet `1` over WebSocket, where the protocol says the session closes (the SHOULD case eio.close.websocket.immediate, which Node does not meet): replayed, Node's quirk would be a rule and a server that closes would fail";

/// Why a replay of a polling session needs the server near: it repeats the capture's requests
/// one after the other, with no GET pending in between, as the capture's client sent them.
const POLLS_STEP_BY_STEP: &str = "the replay polls step by step as the capture did; far away, a \
     ping queued between two of its requests reaches the client, and its pong the server, after \
     the pingTimeout (the hand-written polling cases keep a GET pending and run at any distance)";
/// Why a replay of server acks needs the server near.
const ACK_TIMEOUT_AS_RECORDED: &str = "the capture's server acks wait the contract's 500 ms \
     ack timeout, and the client answers them several round trips later (the hand-written \
     server-ack cases set a timeout that allows for the round trip)";
/// Why an EIO=3 replay needs the server near.
const EIO3_NO_CLIENT_PINGS: &str = "an EIO=3 session lives pingInterval + pingTimeout without a \
     client ping, and the capture's client sent none: its exchanges fit in that time only near \
     the server";
/// Why a replay that plays the heartbeat needs the server near.
const HEARTBEAT_AS_RECORDED: &str = "the transcript plays the heartbeat as Node timed it on a \
     link of no delay: the next ping is armed when the pong arrives, so each round trip moves \
     the pings against the timeouts the transcript shows (the hand-written heartbeat cases \
     allow for the round trip)";

/// Transcripts that are not replayed, with the reason (their cases are `unsupported`).
pub const NOT_REPLAYABLE: &[(&str, &str)] = &[
    ("client.middleware-refusal", PROXY_POLLING),
    ("client.polling-only", PROXY_POLLING),
    ("client.polling-then-upgrade", PROXY_POLLING),
    ("eio.sio-main.close-websocket", NODE_IGNORES_CLOSE),
    ("eio.websocket.client-close-ignored", NODE_IGNORES_CLOSE),
];

/// One embedded transcript and the case made from it.
pub struct Replay {
    /// The parsed transcript.
    pub transcript: Transcript,
    /// The case (`replay.<scenario-id>`).
    pub case: Case,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The contract events of fixtures/CONTRACT.md §4 that go beyond the official suites.
const CONTROL_EVENTS: [&str; 6] = [
    "join",
    "leave",
    "broadcast",
    "emit-with-ack",
    "server-disconnect",
    "get-state",
];

/// Wording of transcript notes that say the scenario records a choice of Node's own (a value
/// the spec leaves open, or one of several answers the official suites accept): such replays
/// are SHOULD-level.
const NODE_CHOICE: [&str; 7] = [
    "Node writes",
    "Node completes",
    "Node calls",
    "Node answers",
    "Node treated",
    "suite also accepts",
    "suite accepts",
];

/// The behaviour tag a transcript's `covers` entry names as the hand-written cases' spec
/// sections write it: `notes-4.26` is behaviour `§4 #26` (other entries name no behaviour).
fn behaviour_tag(covers: &str) -> String {
    covers
        .strip_prefix("notes-4.")
        .map(|n| format!("§4 #{n}"))
        .unwrap_or_default()
}

/// The behaviours (`§4 #N`) that some hand-written case judges at SHOULD: a replay that
/// covers one is SHOULD too, so a replay of Node's transcript is never stricter than the
/// hand-written case for the same behaviour.
fn should_behaviours() -> &'static BTreeSet<String> {
    static SHOULD: OnceLock<BTreeSet<String>> = OnceLock::new();
    SHOULD.get_or_init(|| {
        crate::cases::hand_written()
            .iter()
            .filter(|c| c.level == Level::Should)
            .flat_map(|c| behaviour_tags(c.spec.section))
            .collect()
    })
}

/// Every `§4 #N` in a spec section (`§4 #28; §1.5` → `§4 #28`).
fn behaviour_tags(section: &str) -> Vec<String> {
    section
        .match_indices("§4 #")
        .map(|(at, prefix)| {
            let digits: String = section[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            format!("{prefix}{digits}")
        })
        .collect()
}

/// Everything the client sends, as text (URLs, bodies, frames), for capability detection.
fn client_text(t: &Transcript) -> String {
    let mut out = String::new();
    for r in &t.records {
        match r {
            Record::Http(h) => {
                out.push_str(&h.request.url);
                if let Some(Body::Text(b)) = &h.request.body {
                    out.push_str(b);
                }
            }
            Record::WsConnect(c) => out.push_str(&c.url),
            Record::WsMessage(m) if m.dir == Direction::C2s => {
                if let Body::Text(b) = &m.body {
                    out.push_str(b);
                }
            }
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// Whether the server side of a transcript holds a Socket.IO EVENT, ACK, BINARY_EVENT or
/// BINARY_ACK: a server without application code never sends one, so such a replay needs the
/// suite handlers (or more).
fn server_emits(t: &Transcript) -> bool {
    let is_emit = |packet: &str| {
        ["42", "43", "45", "46"]
            .iter()
            .any(|prefix| packet.starts_with(prefix))
    };
    t.records.iter().any(|r| match r {
        Record::Http(h) => match &h.response.body {
            Some(Body::Text(b)) => b.split(normalise::RS).any(is_emit),
            _ => false,
        },
        Record::WsMessage(m) if m.dir == Direction::S2c => {
            matches!(&m.body, Body::Text(b) if is_emit(b))
        }
        _ => false,
    })
}

fn make_case(t: &Transcript) -> Case {
    let meta = &t.meta;
    let server_name = meta
        .target
        .get("server")
        .and_then(|s| s.as_str())
        .unwrap_or("");
    let server = match server_name {
        "eio-echo" => Server::EioEcho,
        "sio-recovery" => Server::SioRecovery,
        "sio-eio3" => Server::SioEio3,
        _ => Server::SioMain,
    };
    let id = leak(format!("replay.{}", meta.scenario));
    let covers = if meta.covers.is_empty() {
        format!("fixtures/transcripts/{}.jsonl", meta.scenario)
    } else {
        meta.covers.join(", ")
    };
    let mut case = Case::new(id, leak(meta.title.clone()), crate::body!(replay_body))
        .spec(COVERS, leak(covers))
        .server(server);
    // A transcript that plays the heartbeat holds Node's ping timing, which the hand-written
    // heartbeat cases judge (the first ping's time at SHOULD, the timeouts at MUST).
    let plays_heartbeat = t
        .records
        .iter()
        .any(|r| matches!(r, Record::WsConnect(c) if player::plays_heartbeat(t, c.ws)));
    if NODE_CHOICE.iter().any(|w| meta.notes.contains(w))
        || plays_heartbeat
        || meta
            .covers
            .iter()
            .any(|c| should_behaviours().contains(&behaviour_tag(c)))
    {
        case = case.should();
    }
    let text = client_text(t);
    let extensions = server != Server::EioEcho
        && (CONTROL_EVENTS
            .iter()
            .any(|e| text.contains(&format!("\"{e}\"")))
            || ["/admin", "/plain", "/dynamic-"]
                .iter()
                .any(|n| text.contains(n)));
    // The official contract's `/custom` emits `auth` and has no other handler.
    let custom_events = ["42/custom,", "-/custom,"].iter().any(|p| text.contains(p));
    if extensions || custom_events {
        case = case.requires(Capability::ContractExtensions);
    } else if server != Server::EioEcho && server_emits(t) {
        case = case.requires(Capability::SioHandlers);
    }
    // Every transcript was recorded at the contract's heartbeat and limit: its open packets
    // carry them, and its pings and timeouts fall where they put them.
    case = case.requires(Capability::ContractTimings);
    // Broadcasts on a shared namespace (`all`, `others`, rooms named `r1`…) would reach, or be
    // reached by, the sockets of cases running at the same time.
    if text.contains("\"broadcast\"") {
        case = case.alone();
    }
    let mut tags: Vec<&'static str> = vec!["replay"];
    tags.push(if meta.source == "proxy" {
        "proxy"
    } else {
        "raw"
    });
    tags.push(match server {
        Server::EioEcho => "eio-echo",
        Server::SioMain => "sio-main",
        Server::SioRecovery => "sio-recovery",
        Server::SioEio3 => "sio-eio3",
    });
    if t.records.iter().any(|r| matches!(r, Record::Http(_))) {
        tags.push("polling");
    }
    if t.records.iter().any(|r| matches!(r, Record::WsConnect(_))) {
        tags.push("websocket");
    }
    if text.contains("\"emit-with-ack\"") {
        case = case.near_only(ACK_TIMEOUT_AS_RECORDED);
    } else if meta.eio == 3 {
        tags.push("eio3");
    }
    case = case.tags(&tags);
    let polls_a_session = t.records.iter().any(
        |r| matches!(r, Record::Http(h) if h.request.method == "POST" && h.request.url.contains("sid=")),
    );
    if text.contains("\"emit-with-ack\"") {
        case = case.near_only(ACK_TIMEOUT_AS_RECORDED);
    } else if meta.eio == 3 {
        case = case.near_only(EIO3_NO_CLIENT_PINGS);
    } else if polls_a_session {
        case = case.near_only(POLLS_STEP_BY_STEP);
    } else if plays_heartbeat {
        case = case.near_only(HEARTBEAT_AS_RECORDED);
    }
    if let Some((_, why)) = NOT_REPLAYABLE.iter().find(|(s, _)| *s == meta.scenario) {
        case = case.not_replayable(why);
    }
    case
}

/// Every embedded transcript with its case, in file-name order (parsed once per process).
pub fn replays() -> &'static [Replay] {
    static ALL: OnceLock<Vec<Replay>> = OnceLock::new();
    ALL.get_or_init(|| {
        embedded::TRANSCRIPTS
            .iter()
            .map(|(name, text)| {
                let transcript = Transcript::parse(Path::new(name), text)
                    .unwrap_or_else(|e| panic!("embedded transcript {name}: {e}"));
                let case = make_case(&transcript);
                Replay { transcript, case }
            })
            .collect()
    })
}

/// The replay cases.
pub fn cases() -> Vec<Case> {
    replays().iter().map(|r| r.case.clone()).collect()
}

async fn replay_body(cx: &mut Ctx) -> CaseResult {
    let id = cx.case_id().to_string();
    let Some(replay) = replays().iter().find(|r| r.case.id == id) else {
        return Err(Failure::harness(
            "finding the transcript",
            format!("no transcript for case {id:?}"),
        ));
    };
    player::play(cx, &replay.transcript).await.map_err(|f| {
        // Node's socket ids are born as `<sio-sid-N>`, its engine ids as `<eio-sid-N>`: a
        // live socket id that normalises to an engine token is the engine's id reused.
        let wants_socket_id = f.expected.iter().any(|l| l.contains("<sio-sid-"));
        let got_engine_id = f.received.iter().any(|l| l.contains("<eio-sid-"));
        // A transcript opens with Node's open packet: a replay that breaks there broke on the
        // handshake every case shares, reported once under its rule.
        let open_packet = f
            .expected
            .iter()
            .any(|l| l.starts_with("text 0{\"sid\"") || l.starts_with("payload 0{\"sid\""));
        if wants_socket_id && got_engine_id {
            f.rule(crate::catalogue::SOCKET_ID_PRIVATE)
        } else if open_packet {
            f.rule(crate::catalogue::OPEN_PACKET)
        } else {
            f
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--version` names the oracle of the embedded transcripts: build.rs's hand-cut reading of
    /// their meta lines agrees with the transcripts parsed as JSON, and names the pinned
    /// packages.
    #[test]
    fn the_version_names_the_oracle_of_the_embedded_transcripts() {
        let first = &replays()[0].transcript.meta.versions;
        let name = |key: &str| format!("{key} {}", first[key].as_str().expect(key));
        for r in replays() {
            assert_eq!(&r.transcript.meta.versions, first, "{}", r.case.id);
        }
        let oracle = env!("SIO_ORACLE_VERSIONS");
        for key in [
            "socket.io",
            "engine.io",
            "socket.io-parser",
            "engine.io-parser",
            "node",
        ] {
            assert!(oracle.contains(&name(key)), "{oracle} lacks {}", name(key));
        }
        assert!(!oracle.contains('|'), "one oracle: {oracle}");
        assert!(
            oracle.starts_with(
                "socket.io 4.8.4, engine.io 6.6.12, socket.io-parser 4.2.7, engine.io-parser 5.2.3"
            ),
            "{oracle}"
        );
        assert!(crate::cli::VERSION.contains(oracle));
    }

    #[test]
    fn a_replay_is_never_stricter_than_the_hand_written_case_for_its_behaviour() {
        assert_eq!(behaviour_tags("§4 #28; §1.5; §4 #3"), ["§4 #28", "§4 #3"]);
        assert_eq!(behaviour_tag("notes-4.37"), "§4 #37");
        assert_eq!(behaviour_tag("eio-suite.close.polling.forceful"), "");
        let all = crate::cases::all();
        let level = |id: &str| all.iter().find(|c| c.id == id).expect(id).level;
        // A client ping is judged SHOULD by hand (§4 #37); Node's transcripts of it follow.
        assert_eq!(level("eio.websocket.client-ping"), Level::Should);
        assert_eq!(level("replay.eio.websocket.client-ping"), Level::Should);
        assert_eq!(level("replay.eio.polling.client-ping"), Level::Should);
        // A behaviour judged MUST by hand stays MUST in its replays.
        assert_eq!(level("replay.eio.polling.client-close"), Level::Must);
    }

    #[test]
    fn every_transcript_is_a_case() {
        let all = replays();
        assert_eq!(all.len(), 147, "fixtures/transcripts holds 147 scenarios");
        for r in all {
            assert_eq!(r.case.id, format!("replay.{}", r.transcript.meta.scenario));
            assert!(!r.case.spec.section.is_empty());
        }
        for (id, _) in NOT_REPLAYABLE {
            assert!(
                all.iter().any(|r| r.transcript.meta.scenario == *id),
                "NOT_REPLAYABLE names no transcript: {id}"
            );
        }
    }

    #[test]
    fn capabilities_follow_the_target_and_the_events_used() {
        let case = |id: &str| {
            replays()
                .iter()
                .find(|r| r.transcript.meta.scenario == id)
                .map(|r| r.case.clone())
                .expect(id)
        };
        assert_eq!(
            case("eio.heartbeat.polling").capabilities(),
            vec![Capability::Eio, Capability::ContractTimings]
        );
        assert_eq!(
            case("sio.rooms.join-leave").capabilities(),
            vec![
                Capability::Sio,
                Capability::ContractExtensions,
                Capability::ContractTimings
            ]
        );
        assert_eq!(
            case("sio.events.plain").capabilities(),
            vec![
                Capability::Sio,
                Capability::SioHandlers,
                Capability::ContractTimings
            ]
        );
        assert_eq!(
            case("eio3.polling.ping").capabilities(),
            vec![Capability::Eio3, Capability::ContractTimings]
        );
        // An event to `/custom` needs more than the official suites' `/custom` (auth only).
        assert!(
            case("sio.connect.multiplexing")
                .capabilities()
                .contains(&Capability::ContractExtensions)
        );
        assert_eq!(case("eio.polling.duplicate-get").level, Level::Should);
    }
}
