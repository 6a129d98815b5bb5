//! The session harness checked against itself: for each invariant of the module docs, a session
//! broken on purpose (an output it should never make pushed into its queue, a buffer overfilled,
//! a loop guard lowered) and the report the harness must then make; and the adapter model's
//! bookkeeping (which request, socket or POST a step picks), which decides what the invariants
//! are checked against. The faults of the fault table that the invariants catch are in
//! `tests/fuzz_seeds.rs` (they need the feature `faults`).

use sio_test_support::panics::assert_panics_with;
use std::time::Duration;

use sio_protocol::engineio::{Data, Packet, PacketType};

use super::*;
use crate::DeferredPost;

const V4_POLLING: OpenInput = OpenInput::Polling {
    v3: false,
    b64: false,
};
const V3_POLLING: OpenInput = OpenInput::Polling {
    v3: true,
    b64: false,
};
const V4_WEBSOCKET: OpenInput = OpenInput::WebSocket { v3: false };

fn input(open: OpenInput, max_payload: u16, steps: Vec<Step>) -> SessionInput {
    SessionInput {
        open,
        max_payload,
        steps,
    }
}

/// A harness on a fresh session, the handshake carried out.
fn harness(open: OpenInput, max_payload: u16) -> Harness {
    Harness::new(&input(open, max_payload, Vec::new()), Injected::NONE)
}

/// Runs one step and carries out what it output, as [`Harness::run`] does.
fn step(h: &mut Harness, step: Step) {
    h.step(&step);
    h.drain();
}

#[track_caller]
fn assert_reports(expected: &str, f: impl FnOnce()) {
    assert_panics_with("the harness", expected, f);
}

fn text(t: &str) -> DataInput {
    DataInput::Text(t.to_owned())
}

fn noop_frame() -> Output {
    Output::WsSend {
        ws: WsId(0),
        frame: Packet::new(PacketType::Noop).encode_ws(),
    }
}

// Requests.

#[test]
fn a_reply_to_a_request_never_made_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    h.session.out.push_back(Output::Respond {
        req: RequestId(99),
        reply: HttpReply::Ok,
    });
    assert_reports("a reply to no request", || h.drain());
}

#[test]
fn a_second_reply_to_the_handshake_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    // The open packet answered the handshake GET, RequestId(0).
    h.session.out.push_back(Output::Respond {
        req: RequestId(0),
        reply: HttpReply::Payload("6".into()),
    });
    assert_reports("answered twice", || h.drain());
}

#[test]
fn a_reply_to_a_get_whose_client_went_away_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::Get);
    assert_eq!(h.held_gets, [RequestId(1)]);
    step(&mut h, Step::DropGet(0));
    assert!(h.held_gets.is_empty(), "the dropped GET is no longer held");
    h.session.out.push_back(Output::Respond {
        req: RequestId(1),
        reply: HttpReply::Payload("6".into()),
    });
    assert_reports("answered twice (or after its client went away)", || {
        h.drain()
    });
}

#[test]
fn a_body_over_max_payload_answered_by_something_else_first_is_reported() {
    let mut h = harness(V4_POLLING, 10);
    // A session that puts something before the 413.
    h.session.out.push_back(Output::AwaitApplication);
    assert_reports("answered 413 at once", || {
        h.step(&Step::Post(
            ContentType::Text,
            BodyInput::Raw(vec![b'4'; 11]),
        ))
    });
}

#[test]
fn a_body_of_exactly_max_payload_reaches_the_session() {
    let mut h = harness(V4_POLLING, 10);
    step(
        &mut h,
        Step::Post(ContentType::Text, BodyInput::Raw(b"4123456789".to_vec())),
    );
    assert_eq!(h.awaiting, 1, "its message reached the application");
}

// Payloads.

#[test]
fn a_polling_reply_that_does_not_decode_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::Get);
    h.session.out.push_back(Output::Respond {
        req: RequestId(1),
        reply: HttpReply::Payload("9".into()),
    });
    assert_reports("the server wrote a bad payload", || h.drain());
}

#[test]
fn an_empty_polling_reply_is_reported() {
    // The decoder calls an empty payload an error, before the harness's own check for it.
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::Get);
    h.session.out.push_back(Output::Respond {
        req: RequestId(1),
        reply: HttpReply::Payload(String::new()),
    });
    assert_reports("the server wrote a bad payload: \"\"", || h.drain());
}

#[test]
fn a_binary_polling_reply_on_v4_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::Get);
    h.session.out.push_back(Output::Respond {
        req: RequestId(1),
        reply: HttpReply::BinaryPayload(vec![0, 1, 0xff, b'4']),
    });
    assert_reports("an XHR2 payload on a v4 session", || h.drain());
}

#[test]
fn a_v3_binary_polling_reply_that_does_not_decode_is_reported() {
    let mut h = harness(V3_POLLING, 1000);
    step(&mut h, Step::Get);
    // A record announced 9 bytes long that has one.
    h.session.out.push_back(Output::Respond {
        req: RequestId(1),
        reply: HttpReply::BinaryPayload(vec![0, 9, 0xff, b'4']),
    });
    assert_reports("the server wrote a bad XHR2 payload", || h.drain());
}

// WebSocket.

#[test]
fn a_frame_on_a_websocket_that_ended_is_reported() {
    let mut h = harness(V4_WEBSOCKET, 1000);
    h.sockets[0].ended = true;
    h.session.out.push_back(noop_frame());
    assert_reports("after it ended", || h.drain());
}

#[test]
fn a_frame_after_the_servers_own_close_is_reported() {
    let mut h = harness(V4_WEBSOCKET, 1000);
    h.session.out.push_back(Output::WsClose { ws: WsId(0) });
    h.session.out.push_back(noop_frame());
    assert_reports("after its close", || h.drain());
}

#[test]
fn a_websocket_closed_twice_or_unknown_is_reported() {
    let mut h = harness(V4_WEBSOCKET, 1000);
    h.session.out.push_back(Output::WsClose { ws: WsId(0) });
    h.session.out.push_back(Output::WsClose { ws: WsId(0) });
    assert_reports("closed twice", || h.drain());
    let mut h = harness(V4_WEBSOCKET, 1000);
    h.session.out.push_back(Output::WsClose { ws: WsId(7) });
    assert_reports("a close on an unknown WebSocket", || h.drain());
    let mut h = harness(V4_WEBSOCKET, 1000);
    h.session.out.push_back(Output::WsSend {
        ws: WsId(7),
        frame: Packet::new(PacketType::Noop).encode_ws(),
    });
    assert_reports("a frame on an unknown WebSocket", || h.drain());
}

// Events.

fn close_event() -> Output {
    Output::Event(Event::Close {
        reason: CloseReason::ForcedClose,
        description: None,
    })
}

#[test]
fn anything_after_the_close_event_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    h.session.out.push_back(close_event());
    h.session.out.push_back(close_event());
    assert_reports("a second Close event", || h.drain());
    let mut h = harness(V4_POLLING, 1000);
    h.session.out.push_back(close_event());
    h.session
        .out
        .push_back(Output::Event(Event::Message(Data::Text("late".into()))));
    assert_reports("a message after the Close event", || h.drain());
    let mut h = harness(V4_POLLING, 1000);
    h.session.out.push_back(close_event());
    h.session.out.push_back(Output::Event(Event::Upgrade));
    assert_reports("an upgrade after the Close event", || h.drain());
}

#[test]
fn a_close_event_from_an_open_session_is_reported() {
    let mut h = harness(V4_POLLING, 1000);
    h.session.out.push_back(close_event());
    h.drain();
    assert_reports("is_closed() and the Close event disagree", || {
        h.check_state()
    });
}

// Memory.

/// The write buffer may hold one packet per message sent, per client input (each step, each
/// byte of a POST body), per heartbeat interval begun, and four more; one more is reported.
#[test]
fn the_write_buffer_bound_counts_every_source_and_no_more() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::OtherRequest); // a client input
    // A client input, and three bytes.
    step(
        &mut h,
        Step::Post(ContentType::Text, BodyInput::Raw(b"4hi".to_vec())),
    );
    // Two messages, buffered: no GET is held.
    step(&mut h, Step::Send(vec![text("a"), text("b")]));
    assert_eq!(h.session.buffer.len(), 2);
    // Two whole intervals and one begun: three heartbeats (the clock moved without its timers,
    // so that only the buffer counts).
    h.now = h.start + 2 * PING_INTERVAL + Duration::from_millis(50);
    // 2 messages + 5 client inputs + 3 heartbeats + 4.
    let bound = 14;
    let packet = h.session.buffer[0].clone();
    while h.session.buffer.len() < bound {
        h.session.buffer.push(packet.clone());
    }
    h.check_state();
    h.session.buffer.push(packet);
    assert_reports("holds 15 packets, more than the 14 ever due", || {
        h.check_state()
    });
}

#[test]
fn more_deferred_posts_than_posts_taken_are_reported() {
    let mut h = harness(V4_POLLING, 1000);
    step(
        &mut h,
        Step::Post(ContentType::Text, BodyInput::Raw(b"4hi".to_vec())),
    );
    assert_eq!(
        h.session.deferred.len(),
        1,
        "the POST waits for the application"
    );
    h.check_state();
    h.session.deferred.push_back(DeferredPost {
        req: RequestId(50),
        parse_error: false,
        seq: 1,
        deadline: h.now + Duration::from_secs(1),
    });
    assert_reports("more deferred POSTs than POSTs", || h.check_state());
}

// No unbounded loop: the guards count (lowered, they fire on an ordinary session).

#[test]
fn the_output_guard_counts_outputs() {
    let mut h = harness(V4_POLLING, 1000);
    h.max_outputs_per_step = 2;
    h.session.out.push_back(Output::AwaitApplication);
    h.session.out.push_back(Output::AwaitApplication);
    h.drain();
    assert_eq!(h.awaiting, 2);
    for _ in 0..3 {
        h.session.out.push_back(Output::AwaitApplication);
    }
    assert_reports("outputs do not end", || h.drain());
}

#[test]
fn the_timer_guard_counts_rounds() {
    // A silent polling client: the ping (one round), then the pong deadline (a second).
    let mut h = harness(V4_POLLING, 1000);
    h.max_timer_rounds = 2;
    h.wait(Duration::from_secs(1));
    assert!(h.session.is_closed());
    let mut h = harness(V4_POLLING, 1000);
    h.max_timer_rounds = 1;
    assert_reports("timers keep firing: 2 rounds", || {
        h.wait(Duration::from_secs(1))
    });
}

// The adapter model.

#[test]
fn a_step_on_the_nth_websocket_picks_among_those_open() {
    let mut h = harness(V4_WEBSOCKET, 1000);
    let socket = |id, ended| Socket {
        id: WsId(id),
        ended,
        closed_by_server: false,
    };
    h.sockets = vec![socket(0, true), socket(1, false), socket(2, false)];
    assert_eq!(h.socket(0), Some(1));
    assert_eq!(h.socket(1), Some(2));
    assert_eq!(h.socket(2), Some(1));
    h.sockets[1].ended = true;
    h.sockets[2].ended = true;
    assert_eq!(h.socket(0), None);
}

#[test]
fn a_post_end_takes_the_post_in_progress() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::PostBegin(ContentType::Text));
    assert_eq!(h.posts, [RequestId(1)]);
    // Any n picks the one POST in progress.
    step(&mut h, Step::PostEnd(1, BodyInput::Raw(b"6".to_vec())));
    assert!(h.posts.is_empty());
    assert!(h.answered.contains(&RequestId(1)), "the POST got its ok");
    assert!(!h.session.is_closed());
}

#[test]
fn a_post_the_session_aborts_is_no_longer_in_progress() {
    let mut h = harness(V4_POLLING, 1000);
    step(&mut h, Step::PostBegin(ContentType::Text));
    // The close destroys the POST in progress (an abort).
    step(&mut h, Step::Close);
    assert!(h.answered.contains(&RequestId(1)));
    assert!(h.posts.is_empty(), "an answered POST is not in progress");
}

#[test]
fn application_done_answers_each_await_once() {
    let mut h = harness(V4_POLLING, 1000);
    step(
        &mut h,
        Step::Post(
            ContentType::Text,
            BodyInput::Packets(vec![PacketInput {
                kind: 4,
                probe: false,
                data: "hi".into(),
            }]),
        ),
    );
    assert_eq!(h.awaiting, 1);
    assert!(!h.answered.contains(&RequestId(1)), "the ok waits");
    step(&mut h, Step::ApplicationDone);
    assert_eq!(h.awaiting, 0);
    assert!(h.answered.contains(&RequestId(1)), "the ok came");
    // Nothing is awaited: a second one is not passed on.
    step(&mut h, Step::ApplicationDone);
    assert_eq!(h.awaiting, 0);
    assert_eq!(h.session.batches_done, 1);
}

/// tungstenite refuses a frame over the limit (the connection ends with an error); one of
/// exactly the limit reaches the session.
#[test]
fn a_websocket_frame_over_max_payload_ends_the_connection() {
    let mut h = harness(V4_WEBSOCKET, 10);
    h.step(&Step::WsText(0, "4123456789".into()));
    assert_eq!(
        h.session.out.front(),
        Some(&Output::Event(Event::Message(Data::Text(
            "123456789".into()
        )))),
    );
    h.drain();
    assert!(!h.sockets[0].ended);
    step(&mut h, Step::WsText(0, "41234567890".into()));
    assert!(h.sockets[0].ended);
    assert!(h.session.is_closed());
    assert_eq!(h.outcome.close, Some(CloseReason::TransportError));
}

#[test]
fn a_v4_application_text_carries_no_record_separator() {
    let t = text("a\u{1e}b");
    assert_eq!(t.data(false), Data::Text("a b".into()));
    assert_eq!(t.data(true), Data::Text("a\u{1e}b".into()));
    assert_eq!(t.shared(false), SharedMessage::text("a b"));
}

#[test]
fn content_types_are_the_headers_clients_send() {
    assert_eq!(content_type(&ContentType::None), None);
    assert_eq!(
        content_type(&ContentType::Text),
        Some("text/plain;charset=UTF-8")
    );
    assert_eq!(
        content_type(&ContentType::OctetStream),
        Some("application/octet-stream")
    );
    assert_eq!(content_type(&ContentType::Other("x/y".into())), Some("x/y"));
}

// The entry points drive the session.

#[test]
fn a_run_reports_what_it_went_through() {
    let silent = input(V4_POLLING, 1000, vec![Step::Get]);
    let outcome = session(&silent);
    assert_eq!(outcome.close, Some(CloseReason::PingTimeout));
    // The handshake's open packet, and the ping to the held GET.
    assert_eq!(outcome.payloads, 2);
    assert!(outcome.outputs >= 3, "{outcome:?}");
    // A GET dropped while held ends the session at once.
    let dropped = input(V4_POLLING, 1000, vec![Step::Get, Step::DropGet(0)]);
    assert_eq!(session(&dropped).close, Some(CloseReason::TransportError));
    // A GET answered is no longer held: the next one is not an overlap, and dropping it is
    // what ends the session.
    let answered_then_dropped = input(
        V4_POLLING,
        1000,
        vec![
            Step::Get,
            Step::Send(vec![text("a")]),
            Step::Get,
            Step::DropGet(0),
        ],
    );
    let outcome = session(&answered_then_dropped);
    assert_eq!(outcome.close, Some(CloseReason::TransportError));
}

#[test]
fn a_run_counts_v3_binary_replies() {
    // The handshake (text), then a binary message to a v3 client that takes binary: an XHR2
    // payload. The silent v3 client is then closed by its ping timeout.
    let binary = input(
        V3_POLLING,
        1000,
        vec![
            Step::Get,
            Step::Send(vec![DataInput::Binary(vec![1, 2, 3])]),
        ],
    );
    let outcome = session(&binary);
    assert_eq!(outcome.payloads, 2, "{outcome:?}");
    assert_eq!(outcome.close, Some(CloseReason::PingTimeout));
}

#[test]
fn the_fuzz_entry_point_runs_the_bytes_it_is_given() {
    let outcome = session_bytes(&[0; 16]).expect("any bytes make an input");
    assert!(outcome.outputs > 0, "{outcome:?}");
    assert!(outcome.close.is_some(), "{outcome:?}");
}
