//! Polling requests: the handshake GET, and GET/POST/other requests for an existing session.
//! A held request waits on a oneshot channel that the session's `Respond` output completes; a
//! guard tells the session when the client went away first.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request};
use axum::response::Response;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::sync::oneshot;

use super::{EntryRef, Shared, http};
use crate::session::{HttpReply, PostBody, RequestId, Session};
use crate::verify::ErrorCode;

fn is_ie(req: &Request<Body>) -> bool {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ua| ua.contains(";MSIE") || ua.contains("Trident/"))
}

/// Waits for the session's answer. A request the session does not answer (Node leaves some
/// unanswered, e.g. a polling request on a WebSocket session) stays open while the session
/// lives. Once the session has closed, its waiters are dropped and nothing can answer any
/// more: the request ends with 400 and `Connection: close`. Waiting on would keep the
/// connection and its task for ever, since hyper does not read a connection (and so never sees
/// the client's end) while a request on it is being answered; an aborted POST body, which
/// closes its session unanswered, left one behind per abort (found by the `front` fuzz target,
/// contract-server/tests/fuzz_seeds.rs).
async fn answer(rx: oneshot::Receiver<HttpReply>, ie: bool) -> Response {
    match rx.await {
        Ok(r) => http::reply(r, ie),
        Err(_) => http::refusal(400, "Session closed", &[]),
    }
}

/// The handshake over polling: the GET is answered with the open packet.
pub(super) async fn handshake(
    shared: &Arc<Shared>,
    req: Request<Body>,
    request: super::HandshakeRequest,
    framing: crate::session::Framing,
) -> Response {
    let ie = is_ie(&req);
    drop(req);
    let id = RequestId(shared.next_id());
    let (tx, rx) = oneshot::channel();
    let sid = crate::sid::generate();
    let upgrades = shared.config.upgrades_from(crate::TransportKind::Polling);
    let session = Session::open_polling_with(
        sid,
        shared.session_cfg.clone(),
        framing,
        upgrades,
        std::time::Instant::now(),
        id,
    );
    shared.create(session, Some((id, tx)), None, request);
    answer(rx, ie).await
}

/// Tells the session about a request whose client went away, unless disarmed.
struct DropGuard<'a> {
    shared: &'a Arc<Shared>,
    entry: &'a EntryRef,
    id: RequestId,
    post: bool,
    armed: bool,
}

impl Drop for DropGuard<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (id, post) = (self.id, self.post);
        self.shared.drive(self.entry, |e, now| {
            if post {
                e.session.post_end(now, id, PostBody::Aborted);
            } else {
                e.session.poll_get_dropped(now, id);
            }
        });
    }
}

/// A request for an existing polling session.
pub(super) async fn request(shared: &Arc<Shared>, req: Request<Body>, sid: &str) -> Response {
    let unknown = || http::error_json(ErrorCode::UnknownSid);
    let Some(entry) = shared.lookup(sid) else {
        return unknown();
    };
    let ie = is_ie(&req);
    let id = RequestId(shared.next_id());
    let (tx, rx) = oneshot::channel();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = req.method().clone();
    let begin = |e: &mut super::Entry, now| {
        e.waiters.insert(id, tx);
        match method {
            Method::GET => {
                e.session.poll_get(now, id);
                false
            }
            Method::POST => e.session.post_begin(now, id, content_type.as_deref()),
            _ => {
                e.session.other_request(now, id);
                false
            }
        }
    };
    // A POST may carry the pong the session waits for: it is read before any due timer runs.
    let begun = if method == Method::POST {
        shared.drive(&entry, begin)
    } else {
        shared.drive_after_timers(&entry, begin)
    };
    let Some(read_body) = begun else {
        return unknown();
    };
    if read_body {
        let mut guard = DropGuard {
            shared,
            entry: &entry,
            id,
            post: true,
            armed: true,
        };
        let limit = shared.config.max_http_buffer_size;
        let limit = match shared
            .config
            .fault
            .is(crate::fault::Fault::PostLimitUnenforced)
        {
            true => usize::MAX,
            false => limit,
        };
        let body = match Limited::new(req.into_body(), limit).collect().await {
            Ok(collected) => PostBody::Complete(collected.to_bytes().to_vec()),
            Err(e) if e.is::<LengthLimitError>() => PostBody::TooLarge,
            Err(_) => PostBody::Aborted,
        };
        guard.armed = false;
        shared.drive(&entry, |e, now| e.session.post_end(now, id, body));
        return answer(rx, ie).await;
    }
    if method == Method::GET {
        let mut guard = DropGuard {
            shared,
            entry: &entry,
            id,
            post: false,
            armed: true,
        };
        let resp = answer(rx, ie).await;
        guard.armed = false;
        return resp;
    }
    answer(rx, ie).await
}
