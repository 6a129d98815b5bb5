//! Unit tests of the session state machine on a virtual clock: every timing is exact and
//! nothing sleeps.

use std::time::{Duration, Instant};

use sio_protocol::engineio::{Data, Frame};

use super::*;

const SID: &str = "AAAAAAAAAAAAAAAAAAAA";

/// A session plus the virtual time it lives in.
struct Harness {
    t0: Instant,
    s: Session,
}

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

impl Harness {
    fn polling() -> Harness {
        Harness::polling_with(cfg())
    }

    fn polling_with(cfg: SessionConfig) -> Harness {
        let t0 = Instant::now();
        let s = Session::open_polling(SID.into(), cfg, vec!["websocket".into()], t0, RequestId(0));
        let mut h = Harness { t0, s };
        assert_eq!(h.drain().len(), 1, "the handshake GET is answered");
        h
    }

    fn websocket() -> Harness {
        Harness::websocket_with(cfg())
    }

    fn websocket_with(cfg: SessionConfig) -> Harness {
        let t0 = Instant::now();
        let s = Session::open_websocket(SID.into(), cfg, t0, WsId(0));
        let mut h = Harness { t0, s };
        assert_eq!(h.drain().len(), 1, "the open frame");
        h
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// The wakeup window, in ms after the open.
    fn window(&self) -> Option<(u64, u64)> {
        let ms = |t: Instant| t.duration_since(self.t0).as_millis() as u64;
        self.s.next_wakeup().map(|w| (ms(w.earliest), ms(w.latest)))
    }

    /// Wakes the session at `ms` exactly (whatever its window says).
    fn wake(&mut self, ms: u64) -> Vec<Output> {
        self.s.handle_timeout(self.at(ms));
        self.drain()
    }

    /// Runs every timer due up to `ms`, in deadline order.
    fn advance(&mut self, ms: u64) {
        let to = self.at(ms);
        while let Some(d) = self.s.next_deadline().filter(|d| *d <= to) {
            self.s.handle_timeout(d);
        }
    }

    fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.s.poll_output()).collect()
    }

    fn get(&mut self, ms: u64, id: u64) -> Vec<Output> {
        self.s.poll_get(self.at(ms), RequestId(id));
        self.drain()
    }

    fn post(&mut self, ms: u64, id: u64, body: &str) -> Vec<Output> {
        assert!(
            self.s
                .post_begin(self.at(ms), RequestId(id), Some("text/plain;charset=UTF-8"))
        );
        self.s.post_end(
            self.at(ms),
            RequestId(id),
            PostBody::Complete(body.as_bytes().to_vec()),
        );
        self.drain()
    }

    fn ws(&mut self, ms: u64, ws: u64, text: &str) -> Vec<Output> {
        self.s
            .ws_message(self.at(ms), WsId(ws), WsMessage::Text(text.into()));
        self.drain()
    }
}

fn payload(id: u64, body: &str) -> Output {
    Output::Respond {
        req: RequestId(id),
        reply: HttpReply::Payload(body.into()),
    }
}

fn reply(id: u64, reply: HttpReply) -> Output {
    Output::Respond {
        req: RequestId(id),
        reply,
    }
}

fn text(ws: u64, t: &str) -> Output {
    Output::WsSend {
        ws: WsId(ws),
        frame: Frame::Text(t.into()),
    }
}

/// The session's close event (shared with the v3 tests).
pub(super) fn closed(reason: CloseReason, description: Option<&'static str>) -> Output {
    Output::Event(Event::Close {
        reason,
        description,
    })
}

/// The session closes its only WebSocket (`WsId(0)`), then reports the close.
pub(super) fn ws_closed_by(reason: CloseReason, description: Option<&'static str>) -> Vec<Output> {
    vec![Output::WsClose { ws: WsId(0) }, closed(reason, description)]
}

fn message(t: &str) -> Output {
    Output::Event(Event::Message(Data::Text(t.into())))
}

#[test]
fn polling_handshake_answers_the_first_get_with_the_open_packet() {
    let mut s = Session::open_polling(
        SID.into(),
        cfg(),
        vec!["websocket".into()],
        Instant::now(),
        RequestId(7),
    );
    assert_eq!(
        s.poll_output(),
        Some(payload(
            7,
            r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        ))
    );
    assert_eq!(s.poll_output(), None);
    assert_eq!(s.transport(), TransportKind::Polling);
    assert_eq!(s.sid(), SID);
}

#[test]
fn websocket_handshake_sends_the_open_packet_with_no_upgrades() {
    let mut s = Session::open_websocket(SID.into(), cfg(), Instant::now(), WsId(3));
    assert_eq!(
        s.poll_output(),
        Some(text(
            3,
            r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":[],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}"#
        ))
    );
}

#[test]
fn a_held_get_gets_the_ping_after_ping_interval_and_a_pong_refreshes_the_interval() {
    let mut h = Harness::polling();
    assert_eq!(h.get(0, 1), vec![]);
    h.advance(299);
    assert_eq!(h.drain(), vec![]);
    h.advance(300);
    assert_eq!(h.drain(), vec![payload(1, "2")]);
    assert_eq!(h.post(350, 2, "3"), vec![reply(2, HttpReply::Ok)]);
    // "the next ping comes pingInterval after the pong".
    assert_eq!(h.s.next_deadline(), Some(h.at(650)));
    assert_eq!(h.get(400, 3), vec![]);
    h.advance(649);
    assert_eq!(h.drain(), vec![]);
    h.advance(650);
    assert_eq!(h.drain(), vec![payload(3, "2")]);
}

#[test]
fn no_pong_closes_with_ping_timeout_at_interval_plus_timeout() {
    let mut h = Harness::polling();
    h.advance(300);
    assert_eq!(h.get(310, 1), vec![payload(1, "2")]);
    assert_eq!(h.get(320, 2), vec![]);
    h.advance(499);
    assert!(!h.s.is_closed());
    h.advance(500);
    // The held GET gets "1" (transport writable → close right away).
    assert_eq!(
        h.drain(),
        vec![payload(2, "1"), closed(CloseReason::PingTimeout, None)]
    );
    assert!(h.s.is_closed());
    assert_eq!(h.s.next_deadline(), None);
}

#[test]
fn the_first_other_packet_while_awaiting_a_pong_refreshes_the_timeout_once() {
    let mut h = Harness::websocket();
    h.advance(300);
    assert_eq!(h.drain(), vec![text(0, "2")]);
    assert_eq!(h.ws(400, 0, "4a"), vec![message("a")]);
    assert_eq!(
        h.s.next_deadline(),
        Some(h.at(600)),
        "refreshed to now + pingTimeout"
    );
    assert_eq!(h.ws(550, 0, "4b"), vec![message("b")]);
    assert_eq!(h.s.next_deadline(), Some(h.at(600)), "only once per ping");
    h.advance(600);
    assert_eq!(h.drain(), ws_closed_by(CloseReason::PingTimeout, None));
}

#[test]
fn a_pong_does_not_refresh_and_the_next_ping_allows_a_new_refresh() {
    let mut h = Harness::websocket();
    h.advance(300);
    h.drain();
    assert_eq!(h.ws(350, 0, "3"), vec![]);
    h.advance(650);
    assert_eq!(h.drain(), vec![text(0, "2")]);
    assert_eq!(
        h.ws(700, 0, "6"),
        vec![],
        "noop is ignored but counts as a packet"
    );
    assert_eq!(h.s.next_deadline(), Some(h.at(900)));
}

#[test]
fn client_ping_on_an_established_transport_is_invalid_heartbeat_direction() {
    // observed Node behaviour §4 #37
    for frame in ["2", "2probe"] {
        let mut h = Harness::websocket();
        assert_eq!(
            h.ws(10, 0, frame),
            ws_closed_by(
                CloseReason::TransportError,
                Some("invalid heartbeat direction")
            )
        );
    }
    let mut h = Harness::polling();
    assert_eq!(h.get(0, 1), vec![]);
    assert_eq!(
        h.post(10, 2, "2"),
        vec![
            payload(1, "1"),
            closed(
                CloseReason::TransportError,
                Some("invalid heartbeat direction")
            ),
            reply(2, HttpReply::Ok)
        ]
    );
}

#[test]
fn noop_upgrade_open_and_close_over_websocket_are_ignored() {
    // observed Node behaviour §4 #27 and #38: Node's onPacket has no case for them.
    let mut h = Harness::websocket();
    for frame in ["6", "5", "0", "1", "1bye"] {
        assert_eq!(h.ws(10, 0, frame), vec![], "{frame}");
    }
    assert!(!h.s.is_closed());
    // … so the session only ends at the ping timeout.
    h.advance(500);
    assert!(h.s.is_closed());
}

#[test]
fn websocket_messages_echo_shapes() {
    let mut h = Harness::websocket();
    assert_eq!(h.ws(1, 0, "4hello"), vec![message("hello")]);
    assert_eq!(h.ws(1, 0, "4"), vec![message("")]);
    assert_eq!(
        h.ws(1, 0, "bAQID"),
        vec![Output::Event(Event::Message(Data::Binary(vec![1, 2, 3])))]
    );
    h.s.ws_message(h.at(1), WsId(0), WsMessage::Binary(vec![1, 2, 3, 4]));
    assert_eq!(
        h.drain(),
        vec![Output::Event(Event::Message(Data::Binary(vec![
            1, 2, 3, 4
        ])))]
    );
    h.s.send(h.at(2), Data::Binary(vec![9]));
    h.s.send(h.at(2), Data::Text("x".into()));
    assert_eq!(
        h.drain(),
        vec![
            Output::WsSend {
                ws: WsId(0),
                frame: Frame::Binary(vec![9])
            },
            text(0, "4x")
        ]
    );
}

#[test]
fn an_invalid_packet_over_websocket_is_a_parse_error() {
    for frame in ["abc", ""] {
        let mut h = Harness::websocket();
        assert_eq!(
            h.ws(1, 0, frame),
            ws_closed_by(CloseReason::ParseError, None)
        );
    }
}

#[test]
fn websocket_end_closes_the_session_with_nodes_reasons() {
    let mut h = Harness::websocket();
    h.s.ws_closed(h.at(1), WsId(0), WsEnd::Closed);
    assert_eq!(h.drain(), vec![closed(CloseReason::TransportClose, None)]);
    let mut h = Harness::websocket();
    h.s.ws_closed(h.at(1), WsId(0), WsEnd::Error);
    assert_eq!(h.drain(), vec![closed(CloseReason::TransportError, None)]);
}

#[test]
fn polling_payloads_round_trip() {
    let mut h = Harness::polling();
    assert_eq!(
        h.post(1, 1, "4hello\u{1e}bAQIDBA=="),
        vec![
            message("hello"),
            Output::Event(Event::Message(Data::Binary(vec![1, 2, 3, 4]))),
            Output::AwaitApplication
        ]
    );
    h.s.send(h.at(2), Data::Text("hello".into()));
    h.s.send(h.at(2), Data::Binary(vec![1, 2, 3, 4]));
    h.s.application_done(h.at(2));
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Ok)]);
    assert_eq!(h.get(3, 2), vec![payload(2, "4hello\u{1e}bAQIDBA==")]);
}

#[test]
fn a_post_with_messages_is_answered_once_the_application_has_handled_them() {
    // eio.message.polling.text-and-binary, replay.eio.polling.batch-binary: Node echoes both
    // packets of the POST before it writes `ok`, so the GET the client issues after the `ok`
    // gets both echoes in one payload.
    let mut h = Harness::polling();
    assert_eq!(
        h.post(1, 1, "4a\u{1e}4b"),
        vec![message("a"), message("b"), Output::AwaitApplication]
    );
    h.s.send(h.at(2), Data::Text("a".into()));
    assert_eq!(h.drain(), vec![], "no ok before the application is done");
    h.s.send(h.at(2), Data::Text("b".into()));
    h.s.application_done(h.at(2));
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Ok)]);
    assert_eq!(h.get(3, 2), vec![payload(2, "4a\u{1e}4b")]);
    // A POST without messages (a pong, a noop) is answered at once.
    assert_eq!(h.post(4, 3, "6"), vec![reply(3, HttpReply::Ok)]);
}

#[test]
fn an_application_close_before_the_ok_reaches_the_next_get_as_noop_close() {
    // replay.sio.errors.event-before-connect: socket.io closes the connection while handling
    // the POST's packet, before Node writes `ok`; the GET issued after the `ok` gets `6␞1`
    // (never a bare `1`, which would mean the GET was held when the close happened).
    application_close_while_a_post_is_handled("42[\"x\"]", "2[\"x\"]");
}

/// A POST of `body` whose first message is `first`; the application closes the session while
/// it handles it, then says it is done: the POST gets `ok` and the next GET noop + close.
fn application_close_while_a_post_is_handled(body: &str, first: &str) {
    let mut h = Harness::polling();
    assert_eq!(
        h.post(1, 1, body),
        vec![message(first), Output::AwaitApplication]
    );
    h.s.close(h.at(2));
    assert_eq!(h.drain(), vec![], "nothing before the application is done");
    h.s.application_done(h.at(3));
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Ok)]);
    assert_eq!(
        h.get(4, 2),
        vec![
            payload(2, "6\u{1e}1"),
            closed(CloseReason::ForcedClose, None)
        ]
    );
}

#[test]
fn a_stuck_application_holds_a_post_only_for_application_wait() {
    let mut h = Harness::polling();
    h.s.cfg.application_wait = Duration::from_millis(100);
    assert_eq!(
        h.post(1, 1, "4a"),
        vec![message("a"), Output::AwaitApplication]
    );
    assert_eq!(
        h.post(50, 2, "4b"),
        vec![message("b"), Output::AwaitApplication]
    );
    assert_eq!(h.s.next_deadline(), Some(h.at(101)));
    h.advance(100);
    assert_eq!(h.drain(), vec![]);
    h.advance(101);
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Ok)]);
    // The application catches up: its first acknowledgement is for the POST already answered,
    // the second answers the other one.
    h.s.application_done(h.at(120));
    assert_eq!(h.drain(), vec![]);
    h.s.application_done(h.at(121));
    assert_eq!(h.drain(), vec![reply(2, HttpReply::Ok)]);
    // Extra acknowledgements do nothing.
    h.s.application_done(h.at(122));
    assert_eq!(h.drain(), vec![]);
    assert_eq!(
        h.post(130, 3, "4c"),
        vec![message("c"), Output::AwaitApplication]
    );
    h.s.application_done(h.at(131));
    assert_eq!(h.drain(), vec![reply(3, HttpReply::Ok)]);
    // Nor is an extra acknowledgement banked for later POSTs: after one more, of two POSTs
    // that follow, the next acknowledgement answers the first only.
    h.s.application_done(h.at(132));
    assert_eq!(
        h.post(140, 4, "4d"),
        vec![message("d"), Output::AwaitApplication]
    );
    assert_eq!(
        h.post(141, 5, "4e"),
        vec![message("e"), Output::AwaitApplication]
    );
    h.s.application_done(h.at(142));
    assert_eq!(h.drain(), vec![reply(4, HttpReply::Ok)]);
    h.s.application_done(h.at(143));
    assert_eq!(h.drain(), vec![reply(5, HttpReply::Ok)]);
}

#[test]
fn one_late_wakeup_answers_every_post_whose_application_wait_has_passed() {
    // Two POSTs held by a stuck application, both overdue when the session is woken: both get
    // their `ok` from that one wakeup, not one per wakeup.
    let mut h = Harness::polling();
    h.s.cfg.application_wait = Duration::from_millis(100);
    assert_eq!(
        h.post(1, 1, "4a"),
        vec![message("a"), Output::AwaitApplication]
    );
    assert_eq!(
        h.post(2, 2, "4b"),
        vec![message("b"), Output::AwaitApplication]
    );
    assert_eq!(
        h.wake(150),
        vec![reply(1, HttpReply::Ok), reply(2, HttpReply::Ok)]
    );
}

#[test]
fn a_close_answers_the_deferred_posts() {
    let mut h = Harness::polling();
    assert_eq!(
        h.post(1, 1, "4a"),
        vec![message("a"), Output::AwaitApplication]
    );
    assert_eq!(
        h.post(2, 2, "4b\u{1e}1"),
        vec![
            message("b"),
            reply(1, HttpReply::Ok),
            closed(CloseReason::TransportClose, None),
            reply(2, HttpReply::Ok)
        ]
    );
}

#[test]
fn a_cork_holds_the_flush_until_uncork() {
    // The CONNECT reply and the connection handler's emits: one payload even though a GET is
    // held while they are written.
    let mut h = Harness::polling();
    assert_eq!(h.get(1, 1), vec![]);
    h.s.cork();
    h.s.send(h.at(2), Data::Text("0{}".into()));
    h.s.cork();
    h.s.send(h.at(2), Data::Text("2[\"auth\",{}]".into()));
    h.s.uncork(h.at(2));
    assert_eq!(h.drain(), vec![], "nested: the outer cork still holds");
    h.s.uncork(h.at(3));
    assert_eq!(h.drain(), vec![payload(1, "40{}\u{1e}42[\"auth\",{}]")]);
    // Uncorked again: a send goes to a held GET at once.
    assert_eq!(h.get(4, 2), vec![]);
    h.s.send(h.at(5), Data::Text("x".into()));
    assert_eq!(h.drain(), vec![payload(2, "4x")]);
    // Over WebSocket the frames wait too.
    let mut h = Harness::websocket();
    h.s.cork();
    h.s.send(h.at(1), Data::Text("a".into()));
    assert_eq!(h.drain(), vec![]);
    h.s.uncork(h.at(1));
    assert_eq!(h.drain(), vec![text(0, "4a")]);
}

#[test]
fn duplicate_get_first_gets_close_second_gets_400() {
    // observed Node behaviour §4 #21
    let mut h = Harness::polling();
    assert_eq!(h.get(1, 1), vec![]);
    assert_eq!(
        h.get(6, 2),
        vec![
            payload(1, "1"),
            closed(CloseReason::TransportError, Some("overlap from client")),
            reply(2, HttpReply::Status(400))
        ]
    );
    assert!(h.s.is_closed());
}

#[test]
fn duplicate_post_is_refused_and_closes_the_session() {
    let mut h = Harness::polling();
    assert!(h.s.post_begin(h.at(1), RequestId(1), None));
    assert!(!h.s.post_begin(h.at(2), RequestId(2), None));
    assert_eq!(
        h.drain(),
        vec![
            reply(1, HttpReply::Abort),
            closed(
                CloseReason::TransportError,
                Some("data request overlap from client")
            ),
            reply(2, HttpReply::Status(400))
        ]
    );
    // The first body ending later is ignored.
    h.s.post_end(h.at(3), RequestId(1), PostBody::Complete(b"4x".to_vec()));
    assert_eq!(h.drain(), vec![]);
}

#[test]
fn octet_stream_post_is_refused_and_closes_the_session() {
    // observed Node behaviour §4 #24
    let mut h = Harness::polling();
    assert!(!h.s.post_begin(h.at(1), RequestId(1), Some("application/octet-stream")));
    assert_eq!(
        h.drain(),
        vec![
            closed(CloseReason::TransportError, Some("invalid content")),
            reply(1, HttpReply::Status(400))
        ]
    );
    // Only the exact value counts.
    let mut h = Harness::polling();
    assert!(h.s.post_begin(h.at(1), RequestId(1), Some("application/octet-stream; x=y")));
}

#[test]
fn oversized_post_gets_413_and_the_session_survives() {
    // observed Node behaviour §4 #22
    let mut h = Harness::polling();
    assert!(h.s.post_begin(h.at(1), RequestId(1), None));
    h.s.post_end(h.at(2), RequestId(1), PostBody::TooLarge);
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Status(413))]);
    assert_eq!(h.get(3, 2), vec![]);
    h.advance(300);
    assert_eq!(h.drain(), vec![payload(2, "2")]);
}

#[test]
fn unparsable_post_answers_ok_then_the_session_is_gone() {
    // observed Node behaviour §4 #25: `abc`, an empty body, and packets before the failure are delivered.
    for body in ["abc", ""] {
        let mut h = Harness::polling();
        let expected = vec![
            closed(CloseReason::ParseError, None),
            reply(1, HttpReply::Ok),
        ];
        assert_eq!(h.post(1, 1, body), expected, "{body:?}");
        assert!(h.s.is_closed());
    }
    // Messages before the failure reach the application first; the parse error and the `ok`
    // follow once it has handled them.
    let mut h = Harness::polling();
    let body = "4a\u{1e}zz\u{1e}4b";
    assert_eq!(
        h.post(1, 1, body),
        vec![message("a"), Output::AwaitApplication]
    );
    assert!(!h.s.is_closed());
    h.s.application_done(h.at(2));
    assert_eq!(
        h.drain(),
        vec![
            closed(CloseReason::ParseError, None),
            reply(1, HttpReply::Ok)
        ]
    );
    assert!(h.s.is_closed());
}

#[test]
fn an_application_close_before_the_deferred_parse_error_wins() {
    // eio3.polling.bad-length (third session), the v4 equivalent: socket.io closes on `4hell`
    // before the parse error reaches the socket, so the next GET gets noop + close.
    application_close_while_a_post_is_handled("4hell\u{1e}zz", "hell");
}

#[test]
fn client_close_over_polling_answers_the_held_get_with_noop() {
    // observed Node behaviour §4 #26, suite "forcefully closes the session"
    let mut h = Harness::polling();
    assert_eq!(h.get(1, 1), vec![]);
    assert_eq!(
        h.post(2, 2, "1"),
        vec![
            payload(1, "6"),
            closed(CloseReason::TransportClose, None),
            reply(2, HttpReply::Ok)
        ]
    );
    let mut h = Harness::polling();
    assert_eq!(
        h.post(2, 2, "1"),
        vec![
            closed(CloseReason::TransportClose, None),
            reply(2, HttpReply::Ok)
        ]
    );
}

#[test]
fn server_close_with_no_get_held_answers_the_next_get_with_noop_and_close() {
    let mut h = Harness::polling();
    h.s.close(h.at(1));
    assert_eq!(h.drain(), vec![]);
    assert!(!h.s.is_closed(), "closing, waiting for a GET");
    assert_eq!(
        h.get(2, 1),
        vec![
            payload(1, "6\u{1e}1"),
            closed(CloseReason::ForcedClose, None)
        ]
    );
}

#[test]
fn server_close_with_a_get_held_answers_it_with_close() {
    let mut h = Harness::polling();
    assert_eq!(h.get(1, 1), vec![]);
    h.s.close(h.at(2));
    assert_eq!(
        h.drain(),
        vec![payload(1, "1"), closed(CloseReason::ForcedClose, None)]
    );
}

#[test]
fn server_close_flushes_the_buffer_first() {
    let mut h = Harness::polling();
    h.s.send(h.at(1), Data::Text("bye".into()));
    h.s.close(h.at(1));
    h.s.send(h.at(1), Data::Text("dropped".into()));
    assert_eq!(h.get(2, 1), vec![payload(1, "4bye")]);
    assert_eq!(
        h.get(3, 2),
        vec![
            payload(2, "6\u{1e}1"),
            closed(CloseReason::ForcedClose, None)
        ]
    );
}

#[test]
fn an_orderly_close_gives_up_after_the_close_timeout_or_the_ping_timeout() {
    let mut h = Harness::polling();
    h.s.close(h.at(1));
    // The heartbeat keeps running while closing (the ping itself is not sent).
    h.advance(500);
    assert_eq!(h.drain(), vec![closed(CloseReason::PingTimeout, None)]);
}

#[test]
fn server_close_over_websocket_closes_without_a_code() {
    let mut h = Harness::websocket();
    h.s.close(h.at(1));
    assert_eq!(h.drain(), ws_closed_by(CloseReason::ForcedClose, None));
}

#[test]
fn other_methods_get_500_on_polling_and_nothing_on_websocket() {
    let mut h = Harness::polling();
    h.s.other_request(h.at(1), RequestId(1));
    assert_eq!(h.drain(), vec![reply(1, HttpReply::Status(500))]);
    assert!(!h.s.is_closed());
    let mut h = Harness::websocket();
    h.s.other_request(h.at(1), RequestId(1));
    h.s.poll_get(h.at(1), RequestId(2));
    assert!(!h.s.post_begin(h.at(1), RequestId(3), None));
    assert_eq!(h.drain(), vec![]);
}

#[test]
fn a_dropped_get_closes_the_session() {
    let mut h = Harness::polling();
    assert_eq!(h.get(1, 1), vec![]);
    h.s.poll_get_dropped(h.at(2), RequestId(1));
    assert_eq!(
        h.drain(),
        vec![closed(
            CloseReason::TransportError,
            Some("poll connection closed prematurely")
        )]
    );
}

#[test]
fn an_aborted_post_closes_the_session() {
    let mut h = Harness::polling();
    assert!(h.s.post_begin(h.at(1), RequestId(1), None));
    h.s.post_end(h.at(2), RequestId(1), PostBody::Aborted);
    assert_eq!(
        h.drain(),
        vec![closed(
            CloseReason::TransportError,
            Some("data request connection closed prematurely")
        )]
    );
}

#[test]
fn upgrade_probe_noop_switch_and_flush() {
    // behaviour tag §1.7 and #17
    let mut h = Harness::polling();
    assert_eq!(h.get(10, 1), vec![]);
    h.s.ws_upgrade_request(h.at(20), WsId(9));
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.ws(30, 9, "2probe"), vec![text(9, "3probe")]);
    h.advance(129);
    assert_eq!(h.drain(), vec![]);
    h.advance(130);
    assert_eq!(
        h.drain(),
        vec![payload(1, "6")],
        "the held GET gets a noop 100 ms after the probe"
    );
    // Packets sent while no GET is held wait in the buffer…
    h.s.send(h.at(140), Data::Text("a".into()));
    h.s.send(h.at(140), Data::Binary(vec![1]));
    h.advance(230);
    assert_eq!(h.drain(), vec![], "no GET held: no noop");
    // …and go out once, on the new transport, after "5".
    assert_eq!(
        h.ws(240, 9, "5"),
        vec![
            Output::Event(Event::Upgrade),
            text(9, "4a"),
            Output::WsSend {
                ws: WsId(9),
                frame: Frame::Binary(vec![1])
            }
        ]
    );
    assert_eq!(h.s.transport(), TransportKind::WebSocket);
    assert_eq!(h.ws(250, 9, "4hello"), vec![message("hello")]);
    // A second WebSocket with the same sid is closed at once.
    h.s.ws_upgrade_request(h.at(260), WsId(10));
    assert_eq!(h.drain(), vec![Output::WsClose { ws: WsId(10) }]);
}

#[test]
fn a_get_held_when_the_upgrade_completes_gets_close() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(1), WsId(9));
    h.ws(2, 9, "2probe");
    assert_eq!(h.get(3, 1), vec![]);
    assert_eq!(
        h.ws(4, 9, "5"),
        vec![payload(1, "1"), Output::Event(Event::Upgrade)]
    );
    assert!(!h.s.is_closed());
}

#[test]
fn any_other_packet_before_upgrade_aborts_it() {
    for frame in ["4hello", "3", "2", "abc", "5x"] {
        let mut h = Harness::polling();
        h.s.ws_upgrade_request(h.at(1), WsId(9));
        h.ws(2, 9, "2probe");
        if frame == "5x" {
            // "5x" is an upgrade packet with data: it does complete the upgrade.
            assert!(h.ws(3, 9, frame).contains(&Output::Event(Event::Upgrade)));
            continue;
        }
        assert_eq!(
            h.ws(3, 9, frame),
            vec![Output::WsClose { ws: WsId(9) }],
            "{frame}"
        );
        assert_eq!(h.s.transport(), TransportKind::Polling);
        assert!(!h.s.is_closed());
        // Another upgrade may start.
        h.s.ws_upgrade_request(h.at(4), WsId(10));
        assert_eq!(h.ws(5, 10, "2probe"), vec![text(10, "3probe")]);
    }
}

#[test]
fn upgrade_timeout_closes_the_new_transport() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    assert_eq!(h.ws(1, 9, "2probe"), vec![text(9, "3probe")]);
    // Keep the heartbeat alive over polling meanwhile.
    let mut id = 100;
    while h.s.next_deadline().is_some_and(|d| d < h.at(10_000)) {
        let d = h.s.next_deadline().unwrap();
        h.s.handle_timeout(d);
        h.drain();
        id += 1;
        h.post(d.duration_since(h.t0).as_millis() as u64, id, "3");
    }
    assert!(!h.s.is_closed());
    h.advance(10_000);
    assert_eq!(h.drain(), vec![Output::WsClose { ws: WsId(9) }]);
    assert_eq!(h.s.transport(), TransportKind::Polling);
    assert!(!h.s.is_closed());
}

#[test]
fn a_second_websocket_during_an_upgrade_is_closed() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    h.s.ws_upgrade_request(h.at(1), WsId(10));
    assert_eq!(h.drain(), vec![Output::WsClose { ws: WsId(10) }]);
}

#[test]
fn the_upgrading_websocket_closing_abandons_the_upgrade() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    h.ws(1, 9, "2probe");
    h.s.ws_closed(h.at(2), WsId(9), WsEnd::Closed);
    assert_eq!(h.drain(), vec![]);
    assert!(!h.s.is_closed());
    h.s.ws_upgrade_request(h.at(3), WsId(10));
    assert_eq!(h.drain(), vec![]);
}

#[test]
fn closing_the_session_closes_the_upgrading_websocket() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    h.advance(500);
    assert_eq!(
        h.drain(),
        vec![
            Output::WsClose { ws: WsId(9) },
            closed(CloseReason::PingTimeout, None)
        ]
    );
}

#[test]
fn completing_an_upgrade_clears_an_outstanding_ping_timeout() {
    // Node's clearTransport() clears pingTimeoutTimer; the interval timer only re-arms on a pong.
    let mut h = Harness::polling();
    h.advance(300);
    h.s.ws_upgrade_request(h.at(310), WsId(9));
    h.ws(320, 9, "2probe");
    h.ws(330, 9, "5");
    h.advance(10_000);
    assert!(!h.s.is_closed());
    assert_eq!(h.s.next_deadline(), None);
    // A pong restarts the heartbeat.
    h.ws(10_001, 9, "3");
    assert_eq!(h.s.next_deadline(), Some(h.at(10_301)));
}

#[test]
fn closing_during_an_upgrade_finishes_on_the_new_transport() {
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    h.ws(1, 9, "2probe");
    h.s.close(h.at(2));
    assert_eq!(
        h.ws(3, 9, "5"),
        vec![
            Output::Event(Event::Upgrade),
            Output::WsClose { ws: WsId(9) },
            closed(CloseReason::ForcedClose, None)
        ]
    );
}

#[test]
fn a_websocket_session_can_move_to_another_websocket() {
    // Node calls _maybeUpgrade for a second WS on a session that never upgraded, even one
    // that started on WebSocket.
    let mut h = Harness::websocket();
    h.s.ws_upgrade_request(h.at(1), WsId(5));
    assert_eq!(h.ws(2, 5, "2probe"), vec![text(5, "3probe")]);
    assert_eq!(
        h.ws(3, 5, "5"),
        vec![
            Output::WsClose { ws: WsId(0) },
            Output::Event(Event::Upgrade)
        ]
    );
    // The old connection's end no longer matters.
    h.s.ws_closed(h.at(4), WsId(0), WsEnd::Closed);
    assert_eq!(h.drain(), vec![]);
    assert_eq!(h.ws(5, 5, "4x"), vec![message("x")]);
}

// --- ping slack: only the ping may leave early; every deadline that closes something is exact

/// [`cfg`] with the server's default `timer_slack` as the ping slack.
fn slack_cfg() -> SessionConfig {
    SessionConfig {
        ping_slack: Duration::from_millis(10),
        ..cfg()
    }
}

#[test]
fn the_ping_slack_is_capped_at_a_quarter_of_the_interval() {
    // A slack larger than a quarter of the 300 ms interval would let the ping leave so early
    // that the heartbeat no longer looks like Node's.
    let wide = SessionConfig {
        ping_slack: Duration::from_millis(100),
        ..cfg()
    };
    assert_eq!(wide.effective_ping_slack(), Duration::from_millis(75));
    assert_eq!(
        slack_cfg().effective_ping_slack(),
        Duration::from_millis(10)
    );
}

#[test]
fn an_early_ping_keeps_the_pong_deadline_at_interval_plus_timeout() {
    let mut h = Harness::websocket_with(slack_cfg());
    // The ping is due at 300 and may leave from 290.
    assert_eq!(h.window(), Some((290, 300)));
    assert_eq!(h.wake(289), vec![], "before the window: nothing");
    assert_eq!(h.window(), Some((290, 300)));
    assert_eq!(h.wake(290), vec![text(0, "2")]);
    // Counted as sent at its due time: Node's deadline, 300 + 200, not 290 + 200.
    assert_eq!(h.window(), Some((500, 500)), "the pong deadline is exact");
    assert_eq!(h.wake(499), vec![]);
    assert!(!h.s.is_closed());
    assert_eq!(h.wake(500), ws_closed_by(CloseReason::PingTimeout, None));
    assert_eq!(h.window(), None);
}

#[test]
fn a_ping_woken_late_within_the_slack_keeps_its_due_deadline() {
    // A loaded machine woke the session 7 ms after the ping's due time (slack 10 ms): the close
    // after a missed pong stays at interval + timeout, where the official suites look for it.
    let mut h = Harness::websocket_with(slack_cfg());
    assert_eq!(h.wake(307), vec![text(0, "2")]);
    assert_eq!(h.window(), Some((500, 500)));
}

#[test]
fn a_ping_woken_later_than_the_slack_counts_from_when_it_left_as_a_late_node_timer() {
    // 15 ms late: more than a client should lose of its pingTimeout, so the deadline counts
    // from the ping, as a late Node timer's does.
    let mut h = Harness::websocket_with(slack_cfg());
    assert_eq!(h.wake(315), vec![text(0, "2")]);
    assert_eq!(h.window(), Some((515, 515)));
}

#[test]
fn without_slack_every_wakeup_is_exact() {
    let mut h = Harness::polling();
    assert_eq!(h.window(), Some((300, 300)));
    assert_eq!(h.wake(299), vec![]);
    h.advance(300);
    assert_eq!(h.window(), Some((500, 500)));
}

#[test]
fn a_packet_before_the_pings_due_time_refreshes_nothing() {
    let mut h = Harness::websocket_with(slack_cfg());
    assert_eq!(h.wake(292), vec![text(0, "2")]);
    // At 295 Node has not pinged yet: no refresh, and the one refresh is still to come.
    assert_eq!(h.ws(295, 0, "4a"), vec![message("a")]);
    assert_eq!(h.window(), Some((500, 500)));
    // After the due time the first other packet refreshes, once (as in Node).
    assert_eq!(h.ws(350, 0, "4b"), vec![message("b")]);
    assert_eq!(h.window(), Some((550, 550)));
    assert_eq!(h.ws(400, 0, "4c"), vec![message("c")]);
    assert_eq!(h.window(), Some((550, 550)), "only once per ping");
    assert_eq!(h.wake(549), vec![]);
    assert_eq!(h.wake(550), ws_closed_by(CloseReason::PingTimeout, None));
}

#[test]
fn a_pong_to_an_early_ping_schedules_the_next_from_the_pong() {
    let mut h = Harness::websocket_with(slack_cfg());
    assert_eq!(h.wake(291), vec![text(0, "2")]);
    assert_eq!(h.ws(295, 0, "3"), vec![]);
    assert_eq!(h.window(), Some((585, 595)));
    assert_eq!(h.wake(584), vec![]);
    assert_eq!(h.wake(585), vec![text(0, "2")]);
    assert_eq!(h.window(), Some((795, 795)));
}

#[test]
fn the_ping_slack_is_at_most_a_quarter_of_the_interval() {
    let cfg = SessionConfig {
        ping_slack: Duration::from_secs(1),
        ..cfg()
    };
    let mut h = Harness::websocket_with(cfg);
    assert_eq!(h.window(), Some((225, 300)));
    assert_eq!(h.wake(224), vec![]);
    assert_eq!(h.wake(225), vec![text(0, "2")]);
    assert_eq!(h.window(), Some((500, 500)));
    // A pong right away: the next ping three quarters of the interval later at the earliest.
    assert_eq!(h.ws(226, 0, "3"), vec![]);
    assert_eq!(h.window(), Some((451, 526)));
}

#[test]
fn the_upgrade_timeout_is_exact_while_the_ping_may_come_early() {
    let cfg = SessionConfig {
        upgrade_timeout: Duration::from_millis(295),
        ..slack_cfg()
    };
    let mut h = Harness::polling_with(cfg);
    h.s.ws_upgrade_request(h.at(0), WsId(9));
    // The ping may leave from 290; the upgrade times out at 295 sharp.
    assert_eq!(h.window(), Some((290, 295)));
    assert_eq!(h.get(1, 1), vec![]);
    assert_eq!(h.wake(290), vec![payload(1, "2")]);
    assert_eq!(h.window(), Some((295, 295)));
    assert_eq!(h.wake(294), vec![]);
    assert_eq!(h.wake(295), vec![Output::WsClose { ws: WsId(9) }]);
    assert_eq!(h.window(), Some((500, 500)));
}

#[test]
fn the_polling_close_timeout_is_exact() {
    // Node's default heartbeat (25 s / 20 s), so the close timeout (30 s) comes first.
    let cfg = SessionConfig {
        ping_interval: Duration::from_millis(25_000),
        ping_timeout: Duration::from_millis(20_000),
        ..slack_cfg()
    };
    let mut h = Harness::polling_with(cfg);
    // An orderly close with no GET held waits `closeTimeout` for one.
    h.s.close(h.at(0));
    assert_eq!(h.drain(), vec![]);
    // The heartbeat keeps running while closing (the ping itself is not sent).
    assert_eq!(h.window(), Some((24_990, 25_000)));
    assert_eq!(h.wake(24_990), vec![]);
    let close = POLLING_CLOSE_TIMEOUT.as_millis() as u64;
    assert_eq!(h.window(), Some((close, close)));
    assert_eq!(h.wake(close - 1), vec![]);
    assert_eq!(h.wake(close), vec![closed(CloseReason::ForcedClose, None)]);
}

/// engine.io 6.6.12 `transport.writable`: over polling it is true while a GET is held (set by
/// `onPollRequest`, cleared when the payload is written); over WebSocket, while the socket is
/// open. It is what decides whether a volatile packet is dropped.
#[test]
fn writable_follows_the_held_get_and_the_open_websocket() {
    let mut h = Harness::polling();
    assert!(!h.s.is_writable(), "the handshake GET was answered");
    h.s.poll_get(h.at(10), RequestId(1));
    assert!(h.s.is_writable(), "a GET is held");
    h.s.send(h.at(20), Data::Text("a".into()));
    assert_eq!(h.drain(), vec![payload(1, "4a")]);
    assert!(!h.s.is_writable(), "the held GET carried the payload away");

    let mut h = Harness::websocket();
    assert!(h.s.is_writable(), "an open WebSocket");
    h.s.ws_closed(h.at(10), WsId(0), WsEnd::Closed);
    h.drain();
    assert!(!h.s.is_writable(), "the WebSocket ended");
}

/// A drained session gives its output queue's room back (`poll_output`), so thousands of idle
/// sessions hold no queue memory; draining stops at the first `None` and loses nothing.
#[test]
fn a_drained_session_holds_no_output_queue() {
    let mut h = Harness::polling();
    assert_eq!(h.s.out.capacity(), 0, "drained after the handshake");
    h.s.poll_get(h.at(10), RequestId(1));
    h.s.cork();
    h.s.send(h.at(10), Data::Text("a".into()));
    h.s.send(h.at(10), Data::Text("b".into()));
    h.s.uncork(h.at(10));
    assert_eq!(h.drain(), vec![payload(1, "4a\u{1e}4b")]);
    assert_eq!(h.s.out.capacity(), 0, "the queue's room is given back");
    // Several outputs from one input all come out, in order, before the room is given back
    // (the POST's 200 waits for the application).
    let outputs = h.post(20, 2, "4c\u{1e}4d");
    assert_eq!(
        outputs,
        vec![message("c"), message("d"), Output::AwaitApplication]
    );
    assert_eq!(h.s.out.capacity(), 0);
}

/// The hook of `handshake-no-max-payload` (reference-server/FAULTS.md) leaves out exactly the
/// `maxPayload` key; the other keys keep Node's order.
#[cfg(feature = "faults")]
#[test]
fn the_handshake_fault_drops_only_max_payload() {
    let faulty = cfg().with_fault(crate::fault::Injected::fault(Some(
        crate::fault::Fault::HandshakeNoMaxPayload,
    )));
    let mut s = Session::open_polling(
        SID.into(),
        faulty,
        vec!["websocket".into()],
        Instant::now(),
        RequestId(7),
    );
    assert_eq!(
        s.poll_output(),
        Some(payload(
            7,
            r#"0{"sid":"AAAAAAAAAAAAAAAAAAAA","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200}"#
        ))
    );
}

/// The hook of `client-ping-answered` (reference-server/FAULTS.md): a client's ping gets a pong
/// and the session goes on, where Node closes it (invalid heartbeat direction).
#[cfg(feature = "faults")]
#[test]
fn the_client_ping_fault_answers_the_ping_instead_of_closing() {
    let faulty = cfg().with_fault(crate::fault::Injected::fault(Some(
        crate::fault::Fault::ClientPingAnswered,
    )));
    let mut h = Harness::websocket_with(faulty);
    assert_eq!(h.ws(10, 0, "2"), vec![text(0, "3")]);
    assert!(!h.s.is_closed());
}

#[test]
fn transport_names_and_close_reasons_are_nodes() {
    // The query's `transport` values engine.io knows (webtransport is not served here), and the
    // reasons its sockets close with (`socket.ts` `onClose` callers), which socket.io passes on.
    for kind in [TransportKind::Polling, TransportKind::WebSocket] {
        assert_eq!(TransportKind::from_name(kind.name()), Some(kind));
    }
    assert_eq!(TransportKind::Polling.name(), "polling");
    assert_eq!(TransportKind::WebSocket.name(), "websocket");
    assert_eq!(TransportKind::from_name("webtransport"), None);
    assert_eq!(TransportKind::from_name("__proto__"), None);
    let reasons = [
        (CloseReason::PingTimeout, "ping timeout"),
        (CloseReason::TransportClose, "transport close"),
        (CloseReason::TransportError, "transport error"),
        (CloseReason::ParseError, "parse error"),
        (CloseReason::ForcedClose, "forced close"),
    ];
    for (reason, node) in reasons {
        assert_eq!(reason.as_str(), node);
    }
}

#[test]
fn is_upgrading_from_the_new_websocket_until_it_completes_or_fails() {
    let mut h = Harness::polling();
    assert!(!h.s.is_upgrading());
    h.s.ws_upgrade_request(h.at(1), WsId(9));
    assert!(
        h.s.is_upgrading(),
        "a WebSocket with the sid starts an upgrade"
    );
    h.ws(2, 9, "2probe");
    assert!(h.s.is_upgrading());
    h.ws(3, 9, "5");
    assert!(!h.s.is_upgrading(), "the upgrade completed");
    // One that the client abandons is no longer under way either.
    let mut h = Harness::polling();
    h.s.ws_upgrade_request(h.at(1), WsId(9));
    h.ws(2, 9, "4not a probe");
    assert!(!h.s.is_upgrading());
}

#[test]
fn a_closed_session_keeps_no_heartbeat_timer() {
    // engine.io 6.6.12 `onClose` clears `pingIntervalTimer` and `pingTimeoutTimer`.
    let mut h = Harness::polling();
    assert!(h.s.heartbeat.next_deadline().is_some());
    h.get(5, 1);
    h.s.close(h.at(10));
    h.drain();
    assert!(h.s.is_closed());
    assert_eq!(h.s.heartbeat.next_deadline(), None);
}

#[cfg(feature = "faults")]
#[test]
fn the_upgrade_no_noop_fault_keeps_the_held_get_through_the_probe() {
    let faulty = cfg().with_fault(crate::fault::Injected::fault(Some(
        crate::fault::Fault::UpgradeNoNoop,
    )));
    let mut h = Harness::polling_with(faulty);
    assert_eq!(h.get(10, 1), vec![]);
    h.s.ws_upgrade_request(h.at(20), WsId(9));
    assert_eq!(h.ws(30, 9, "2probe"), vec![text(9, "3probe")]);
    // Without the fault the GET gets "6" at 130 (upgrade_probe_noop_switch_and_flush).
    h.advance(250);
    assert_eq!(h.drain(), vec![], "the held GET is never released");
    assert!(h.s.has_held_get());
}
