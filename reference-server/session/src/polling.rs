//! The HTTP long-polling transport's rules (engine.io 6.6.12 `transports/polling.ts`): one GET
//! held at a time, one POST at a time, payloads, and the orderly close.
//!
//! ```text
//! GET  while a GET is held      → 400 (empty); the session closes ("overlap from client");
//!                                 the held GET gets "1"
//! GET  with packets buffered    → 200 payload at once; otherwise held until there are
//! GET  after an orderly close   → "6\x1e1" and the session closes ("forced close")
//! POST while a POST is read     → 400 (empty); the session closes
//! POST application/octet-stream → v4: 400 (empty); the session closes ("invalid content")
//!                                 v3: an XHR2 binary payload
//! POST over maxHttpBufferSize   → 413 (empty); the session lives
//! POST body                     → packets to the socket, then 200 "ok" (even when a packet
//!                                 fails to parse and the session closes with "parse error");
//!                                 with messages, once the application has handled them
//!                                 (bounded by `application_wait`)
//! POST "1"                      → the held GET gets "6"; the session closes ("transport close")
//! other methods                 → 500 (empty)
//! ```

use std::time::Instant;

use sio_protocol::engineio::{Packet, PacketType};

use super::{
    CloseReason, Event, HttpReply, Outgoing, Output, POLLING_CLOSE_TIMEOUT, PostBody, ReadyState,
    RequestId, Session, Transport, TransportState,
};

/// The polling transport's state.
#[derive(Debug)]
pub(super) struct Polling {
    /// The held GET (`this.req`; the transport is `writable` while it is held).
    pub(super) get: Option<RequestId>,
    /// The POST whose body is being read (`this.dataReq`).
    pub(super) post: Option<RequestId>,
    /// That POST is a v3 XHR2 binary payload (`application/octet-stream`).
    pub(super) post_binary: bool,
    pub(super) state: TransportState,
    /// `shouldClose`: an orderly close waits for the next GET until this deadline.
    pub(super) close_deadline: Option<Instant>,
    /// `discarded` (set when an upgrade completes).
    pub(super) discarded: bool,
}

impl Default for Polling {
    fn default() -> Polling {
        Polling {
            get: None,
            post: None,
            post_binary: false,
            state: TransportState::Open,
            close_deadline: None,
            discarded: false,
        }
    }
}

impl Session {
    fn polling(&mut self) -> Option<&mut Polling> {
        match &mut self.transport {
            Transport::Polling(p) => Some(p),
            Transport::WebSocket { .. } => None,
        }
    }

    /// Whether a polling GET is held (diagnostics and tests).
    pub fn has_held_get(&self) -> bool {
        matches!(&self.transport, Transport::Polling(p) if p.get.is_some())
    }

    /// A polling GET `req` arrived for this session.
    ///
    /// On a session whose transport is WebSocket nothing is output and the request stays
    /// unanswered: Node's WebSocket transport ignores HTTP requests (`Transport#onRequest` is a
    /// no-op), and the client waits.
    pub fn poll_get(&mut self, now: Instant, req: RequestId) {
        self.now = now;
        let overlap_tolerated = self.cfg.fault.is(crate::fault::Fault::DuplicateGetAccepted);
        let Some(p) = self.polling() else { return };
        if p.get.is_some() && overlap_tolerated {
            self.out.push_back(Output::Respond {
                req,
                reply: HttpReply::Status(400),
            });
            return;
        }
        if p.get.is_some() {
            // "request overlap": error first (the held GET gets "1"), then 400 to this one.
            self.on_close(CloseReason::TransportError, Some("overlap from client"));
            self.out.push_back(Output::Respond {
                req,
                reply: HttpReply::Status(400),
            });
            return;
        }
        p.get = Some(req);
        // "the transport becomes writable and the socket flushes its buffer".
        self.flush();
        // "triggering empty send to append close packet".
        if let Some(p) = self.polling()
            && p.get.is_some()
            && p.close_deadline.is_some()
        {
            self.polling_send(vec![Packet::new(PacketType::Noop).into()]);
        }
    }

    /// The client went away while its GET `req` was held: "poll connection closed prematurely".
    pub fn poll_get_dropped(&mut self, now: Instant, req: RequestId) {
        self.now = now;
        let Some(p) = self.polling() else { return };
        if p.get == Some(req) {
            p.get = None;
            self.on_close(
                CloseReason::TransportError,
                Some("poll connection closed prematurely"),
            );
        }
    }

    /// A POST `req` arrived; `content_type` is its `Content-Type` header. Returns whether the
    /// adapter should read the body and call [`Session::post_end`]; when false, any answer is
    /// in the outputs (or, on a WebSocket session, the request stays unanswered as in Node).
    pub fn post_begin(&mut self, now: Instant, req: RequestId, content_type: Option<&str>) -> bool {
        self.now = now;
        let v3 = self.framing.is_v3();
        let Some(p) = self.polling() else {
            return false;
        };
        if p.post.is_some() {
            self.on_close(
                CloseReason::TransportError,
                Some("data request overlap from client"),
            );
            self.out.push_back(Output::Respond {
                req,
                reply: HttpReply::Status(400),
            });
            return false;
        }
        // `"application/octet-stream" === req.headers["content-type"]` (exact match): the XHR2
        // binary payload under EIO=3, "invalid content" under EIO=4.
        let binary = content_type == Some("application/octet-stream");
        if binary && v3 {
            if let Some(p) = self.polling() {
                p.post = Some(req);
                p.post_binary = true;
            }
            return true;
        }
        if binary {
            self.on_close(CloseReason::TransportError, Some("invalid content"));
            self.out.push_back(Output::Respond {
                req,
                reply: HttpReply::Status(400),
            });
            return false;
        }
        p.post = Some(req);
        p.post_binary = false;
        true
    }

    /// The body of POST `req` ended.
    pub fn post_end(&mut self, now: Instant, req: RequestId, body: PostBody) {
        self.now = now;
        let Some(p) = self.polling() else { return };
        if p.post != Some(req) {
            // Already aborted by a close.
            return;
        }
        p.post = None;
        let binary = p.post_binary;
        let bytes = match body {
            // "413 with an empty body; the session is NOT closed".
            PostBody::TooLarge => {
                self.out.push_back(Output::Respond {
                    req,
                    reply: HttpReply::Status(413),
                });
                return;
            }
            PostBody::Aborted => {
                self.on_close(
                    CloseReason::TransportError,
                    Some("data request connection closed prematurely"),
                );
                return;
            }
            PostBody::Complete(bytes) => bytes,
        };
        let decoded = super::framing::decode_post(self.framing, &bytes, binary);
        let before = self.out.len();
        for packet in decoded.packets {
            if packet.kind == PacketType::Close {
                self.polling_client_close();
            } else {
                self.on_packet(now, Ok(packet));
            }
        }
        // Node hands each message to the application synchronously, before it writes `ok` and
        // before it reads anything else: whatever the application sends in reply is buffered
        // before the client can issue its next GET, and the application may close the session
        // (socket.io does on a packet it cannot decode, or sent in an invalid state) before a
        // parse error later in the payload reaches it. So the `ok`, and the parse error, wait
        // until the application has handled the messages (`Session::application_done`).
        let delivered = self
            .out
            .iter()
            .skip(before)
            .any(|o| matches!(o, Output::Event(Event::Message(_))));
        if delivered && self.state == ReadyState::Open {
            self.defer_post(req, decoded.error.is_some());
            return;
        }
        if decoded.error.is_some() {
            self.on_packet(now, Err(()));
        }
        // "a POST whose payload fails to parse → observed 200 ok, and then the session closes".
        self.out.push_back(Output::Respond {
            req,
            reply: HttpReply::Ok,
        });
    }

    /// A request with another method (`PUT`, `OPTIONS` without cors, …) and a valid sid:
    /// 500 over polling, unanswered over WebSocket (as in Node).
    pub fn other_request(&mut self, now: Instant, req: RequestId) {
        self.now = now;
        if self.polling().is_some() {
            self.out.push_back(Output::Respond {
                req,
                reply: HttpReply::Status(500),
            });
        }
    }

    /// A client `close` packet over polling (`Polling#onClose`): "if a GET is pending it is
    /// answered with 6 (noop)", then the transport is closed and the socket with it.
    fn polling_client_close(&mut self) {
        let Some(p) = self.polling() else { return };
        if p.state == TransportState::Closed {
            return;
        }
        if p.get.is_some() {
            self.polling_send(vec![Packet::new(PacketType::Noop).into()]);
        }
        if let Some(p) = self.polling() {
            p.state = TransportState::Closed;
        }
        self.on_close(CloseReason::TransportClose, None);
    }

    /// `Polling#send`: answer the held GET with `packets`, appending `1` if an orderly close was
    /// waiting (and then finishing that close).
    pub(super) fn polling_send(&mut self, mut packets: Vec<Outgoing>) {
        let Some(p) = self.polling() else { return };
        let Some(get) = p.get.take() else { return };
        let closing = p.close_deadline.take().is_some();
        if closing {
            packets.push(Packet::new(PacketType::Close).into());
            p.state = TransportState::Closed;
        }
        // v3: `<length>:<record>` records, or the XHR2 binary payload.
        if self.framing.is_v3() {
            let reply = super::framing::v3_polling_reply(self.framing, &packets);
            self.out.push_back(Output::Respond { req: get, reply });
            if closing {
                self.on_close(CloseReason::ForcedClose, None);
            }
            return;
        }
        // engine.io-parser `encodePayload`: the records joined with the record separator.
        let records: Vec<_> = packets.iter().map(Outgoing::polling_record).collect();
        let payload = if self.cfg.fault.is(crate::fault::Fault::PollingNoSeparator) {
            records.concat()
        } else {
            records.join("\u{1e}")
        };
        self.out.push_back(Output::Respond {
            req: get,
            reply: HttpReply::Payload(payload),
        });
        if closing {
            self.on_close(CloseReason::ForcedClose, None);
        }
    }

    /// `Polling#doClose`. Returns whether the transport closed right away (so `fn` runs now).
    pub(super) fn polling_close(&mut self) -> bool {
        let now = self.now;
        let Some(p) = self.polling() else {
            return false;
        };
        if p.state != TransportState::Open {
            return false;
        }
        p.state = TransportState::Closing;
        // "doClose destroys any in-flight data request".
        if let Some(post) = p.post.take() {
            self.out.push_back(Output::Respond {
                req: post,
                reply: HttpReply::Abort,
            });
        }
        let Some(p) = self.polling() else {
            return false;
        };
        if p.get.is_some() {
            // "transport writable - closing right away": the held GET gets "1".
            self.polling_send(vec![Packet::new(PacketType::Close).into()]);
            if let Some(p) = self.polling() {
                p.state = TransportState::Closed;
            }
            true
        } else if p.discarded {
            p.state = TransportState::Closed;
            true
        } else {
            // "transport not writable - buffering orderly close".
            p.close_deadline = Some(now + POLLING_CLOSE_TIMEOUT);
            false
        }
    }
}
