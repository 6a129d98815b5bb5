//! Unit tests of Engine.IO v3 sessions on a virtual clock (fixtures/transcripts/eio3.*): the
//! client-initiated heartbeat, length-prefixed payloads, `b64`, XHR2 and `0x04` binary frames.

use std::time::{Duration, Instant};

use sio_protocol::engineio::{Data, Frame};

use super::*;
use crate::tests::{closed, ws_closed_by};

const SID: &str = "AAAAAAAAAAAAAAAAAAAA";
const OPEN: &str = r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#;

fn cfg() -> SessionConfig {
    SessionConfig {
        ping_interval: Duration::from_millis(300),
        ping_timeout: Duration::from_millis(200),
        upgrade_timeout: Duration::from_millis(10_000),
        max_payload: 1_000_000,
        application_wait: Duration::from_millis(1_000),
        ping_slack: Duration::ZERO,
        fault: crate::fault::Injected::NONE,
    }
}

const V3: Framing = Framing {
    protocol: 3,
    supports_binary: true,
};

struct Harness {
    t0: Instant,
    s: Session,
}

impl Harness {
    fn websocket() -> Harness {
        let t0 = Instant::now();
        let s = Session::open_websocket_with(SID.into(), cfg(), V3, t0, WsId(0));
        let mut h = Harness { t0, s };
        assert_eq!(h.drain(), vec![text(OPEN)]);
        h
    }

    fn polling(framing: Framing) -> Harness {
        let t0 = Instant::now();
        let s =
            Session::open_polling_with(SID.into(), cfg(), framing, Vec::new(), t0, RequestId(0));
        let mut h = Harness { t0, s };
        let open = format!("{}:{OPEN}", OPEN.len());
        assert_eq!(h.drain(), vec![payload(0, &open)]);
        h
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    fn advance(&mut self, ms: u64) -> Vec<Output> {
        let to = self.at(ms);
        while let Some(d) = self.s.next_deadline().filter(|d| *d <= to) {
            self.s.handle_timeout(d);
        }
        self.drain()
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    fn ws(&mut self, ms: u64, msg: &str) -> Vec<Output> {
        self.s
            .ws_message(self.at(ms), WsId(0), WsMessage::Text(msg.into()));
        self.drain()
    }

    fn get(&mut self, ms: u64, id: u64) -> Vec<Output> {
        self.s.poll_get(self.at(ms), RequestId(id));
        self.drain()
    }

    fn post(&mut self, ms: u64, id: u64, content_type: &str, body: &[u8]) -> Vec<Output> {
        assert!(
            self.s
                .post_begin(self.at(ms), RequestId(id), Some(content_type))
        );
        let body = PostBody::Complete(body.to_vec());
        self.s.post_end(self.at(ms), RequestId(id), body);
        self.drain()
    }
}

fn text(t: &str) -> Output {
    Output::WsSend {
        ws: WsId(0),
        frame: Frame::Text(t.into()),
    }
}

fn payload(id: u64, body: &str) -> Output {
    Output::Respond {
        req: RequestId(id),
        reply: HttpReply::Payload(body.into()),
    }
}

fn ok(id: u64) -> Output {
    Output::Respond {
        req: RequestId(id),
        reply: HttpReply::Ok,
    }
}

const TEXT: &str = "text/plain;charset=UTF-8";

#[test]
fn the_server_never_pings_and_times_out_after_interval_plus_timeout() {
    // eio3.websocket.ping-timeout: nothing, then the close at 500 ms.
    let mut h = Harness::websocket();
    assert_eq!(h.s.protocol(), 3);
    assert_eq!(h.advance(499), vec![]);
    assert_eq!(h.advance(500), ws_closed_by(CloseReason::PingTimeout, None));
}

#[test]
fn the_v3_deadline_is_exact_whatever_the_ping_slack() {
    // The server sends no ping under v3: nothing may come early, and the deadline is sharp.
    let cfg = SessionConfig {
        ping_slack: Duration::from_millis(10),
        ..cfg()
    };
    let t0 = Instant::now();
    let mut s = Session::open_websocket_with(SID.into(), cfg, V3, t0, WsId(0));
    let at = |ms| t0 + Duration::from_millis(ms);
    let w = s.next_wakeup().unwrap();
    assert_eq!((w.earliest, w.latest), (at(500), at(500)));
    s.handle_timeout(at(499));
    assert!(!s.is_closed());
    s.handle_timeout(at(500));
    assert!(s.is_closed());
}

#[test]
fn client_pings_are_answered_and_keep_the_session_alive() {
    // eio3.websocket.ping: `2` → `3`, `2probe` → a bare `3`; each ping restarts the 500 ms.
    let mut h = Harness::websocket();
    assert_eq!(h.ws(100, "2"), vec![text("3")]);
    assert_eq!(h.advance(599), vec![]);
    assert_eq!(h.ws(400, "2probe"), vec![text("3")]);
    // Other packets do not move the deadline under v3.
    assert_eq!(
        h.ws(800, "4x"),
        vec![Output::Event(Event::Message(Data::Text("x".into())))]
    );
    assert_eq!(h.advance(899), vec![]);
    assert_eq!(h.advance(900).len(), 2, "the close at 400 + 500 ms");
}

#[test]
fn a_client_pong_is_the_wrong_direction() {
    let mut h = Harness::websocket();
    assert_eq!(
        h.ws(10, "3"),
        ws_closed_by(
            CloseReason::TransportError,
            Some("invalid heartbeat direction")
        )
    );
}

#[test]
fn binary_frames_carry_the_type_byte_both_ways() {
    // eio3.websocket.binary.
    let mut h = Harness::websocket();
    h.s.ws_message(h.at(1), WsId(0), WsMessage::Binary(vec![4, 1, 2, 3]));
    assert_eq!(
        h.drain(),
        vec![Output::Event(Event::Message(Data::Binary(vec![1, 2, 3])))]
    );
    h.s.send_shared(h.at(2), &[SharedMessage::binary(vec![1, 2, 3])]);
    assert_eq!(
        h.drain(),
        vec![Output::WsSend {
            ws: WsId(0),
            frame: Frame::Binary(vec![4, 1, 2, 3])
        }]
    );
}

#[test]
fn polling_ping_is_answered_with_a_length_prefixed_pong() {
    // eio3.polling.ping: POST `1:2`, then the GET gets `1:3`.
    let mut h = Harness::polling(V3);
    assert_eq!(h.post(1, 1, TEXT, b"1:2"), vec![ok(1)]);
    assert_eq!(h.get(2, 2), vec![payload(2, "1:3")]);
    // The pong does not count as the client's: the deadline is 500 ms after the ping.
    assert_eq!(h.advance(500), vec![]);
    assert_eq!(h.advance(501).len(), 1, "the close event");
}

#[test]
fn bad_lengths_are_parse_errors() {
    // eio3.polling.bad-length: a record past the end, a length counted in bytes.
    for body in ["7:4hello", "20:42[\"message\",\"😀\"]"] {
        let mut h = Harness::polling(V3);
        assert_eq!(
            h.post(1, 1, TEXT, body.as_bytes()),
            vec![closed(CloseReason::ParseError, None), ok(1)],
            "{body}"
        );
    }
    // `5:4hello` frames `4hell`, then a dangling `o`: the application sees the message first.
    let mut h = Harness::polling(V3);
    assert_eq!(
        h.post(1, 1, TEXT, b"5:4hello"),
        vec![
            Output::Event(Event::Message(Data::Text("hell".into()))),
            Output::AwaitApplication
        ]
    );
    h.s.close(h.at(2));
    h.s.application_done(h.at(2));
    assert_eq!(h.drain(), vec![ok(1)]);
    assert_eq!(
        h.get(3, 2),
        vec![payload(2, "1:61:1"), closed(CloseReason::ForcedClose, None)]
    );
}

#[test]
fn xhr2_payloads_both_ways_and_b64_text() {
    // eio3.polling.binary-xhr2: an octet-stream POST is a binary payload, and a reply with
    // binary is one too.
    let mut h = Harness::polling(V3);
    let body = [0, 2, 255, b'4', b'x', 1, 4, 255, 4, 1, 2, 3];
    assert_eq!(
        h.post(1, 1, "application/octet-stream", &body),
        vec![
            Output::Event(Event::Message(Data::Text("x".into()))),
            Output::Event(Event::Message(Data::Binary(vec![1, 2, 3]))),
            Output::AwaitApplication
        ]
    );
    h.s.application_done(h.at(1));
    assert_eq!(h.drain(), vec![ok(1)]);
    h.s.send_shared(h.at(2), &[SharedMessage::binary(vec![1, 2, 3])]);
    assert_eq!(
        h.get(3, 2),
        vec![Output::Respond {
            req: RequestId(2),
            reply: HttpReply::BinaryPayload(vec![1, 4, 255, 4, 1, 2, 3])
        }]
    );
    // eio3.polling.binary-b64: with b64 the same packet is a `b4` record.
    let mut h = Harness::polling(Framing::new(3, Some("1")));
    h.s.send_shared(h.at(1), &[SharedMessage::binary(vec![1, 2, 3])]);
    assert_eq!(h.get(2, 1), vec![payload(1, "6:b4AQID")]);
}

#[test]
fn an_upgrade_clears_the_v3_deadline_for_good_as_in_node() {
    // engine.io 6.6.12: `clearTransport()` sets `pingTimeoutTimer = null`, and a later client
    // ping's `pingTimeoutTimer?.refresh()` finds nothing to restart.
    let mut h = Harness::polling(V3);
    h.s.ws_upgrade_request_with(h.at(1), WsId(7), true);
    h.s.ws_message(h.at(2), WsId(7), WsMessage::Text("2probe".into()));
    h.s.ws_message(h.at(3), WsId(7), WsMessage::Text("5".into()));
    h.drain();
    assert_eq!(h.s.transport(), TransportKind::WebSocket);
    assert_eq!(h.advance(10_000), vec![]);
    assert_eq!(h.s.next_deadline(), None);
}
