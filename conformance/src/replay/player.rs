//! The replayer: sends the client side of a transcript exactly and compares what the target
//! sends with what Node sent, after the transcripts' normalisation (see [`super::normalise`]).
//! The comparison rules and the tolerances are documented in conformance/README.md ("Replay").

use super::normalise::{self as norm, Volatiles};
use crate::context::{Ctx, Ws};
use crate::driver::ws::Next;
use crate::driver::{HttpError, HttpResponse, OutFrame, WsConnect, WsEvent};
use crate::failure::{CaseResult, Failure, visible};
use sio_fixtures::{Body, Direction, HttpExchange, Record, Transcript};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long the replayer waits before giving up on a request the transcript records as
/// `{"error":"timeout"}` (the capture scripts' client-side bound for a dropped long poll).
pub const GIVE_UP: Duration = Duration::from_millis(50);

/// At most this many extra GETs to collect the rest of a batched payload.
const MAX_EXTRA_GETS: u32 = 4;

type RequestOutcome = Result<Result<HttpResponse, HttpError>, Failure>;

/// A long poll left in flight (see [`leaves_in_flight`]).
struct InFlight {
    line: usize,
    record: HttpExchange,
    target: String,
    handle: tokio::task::JoinHandle<RequestOutcome>,
    actions_after: u32,
}

/// Replays one transcript against the case's target.
pub async fn play(cx: &mut Ctx, t: &Transcript) -> CaseResult {
    let recovery = t
        .meta
        .target
        .get("server")
        .and_then(|s| s.as_str())
        .is_some_and(|s| s == "sio-recovery");
    let mut player = Player {
        eio: t.meta.eio,
        socketio: t.meta.is_socketio(),
        vol: Volatiles::new(recovery),
        ws: BTreeMap::new(),
        in_flight: Vec::new(),
        burst_open: false,
        recovery,
    };
    let result = player.run(cx, t).await;
    for (_, ws) in std::mem::take(&mut player.ws) {
        drop(ws);
    }
    for f in player.in_flight.drain(..) {
        f.handle.abort();
    }
    result
}

/// Whether the server of the transcript pinged on WebSocket connection `ws` (a `2` the replay
/// must see and answer as a step of its own).
pub fn plays_heartbeat(t: &Transcript, ws: u32) -> bool {
    t.records.iter().any(|r| {
        matches!(r, Record::WsMessage(m)
            if m.ws == ws && m.dir == Direction::S2c && m.body.text() == Some("2"))
    })
}

/// The concurrency rule: a polling GET that carries a sid and is directly followed by a `sleep`
/// or a `ws-connect` record is a long poll the script left pending (the transcript puts a
/// request where it was issued); every other request is awaited before the next record.
pub fn leaves_in_flight(record: &HttpExchange, next: Option<&Record>) -> bool {
    record.request.method == "GET"
        && record.request.url.contains("sid=")
        && record.response.error.is_none()
        && matches!(next, Some(Record::Sleep { .. } | Record::WsConnect(_)))
}

struct Player {
    eio: u8,
    socketio: bool,
    vol: Volatiles,
    ws: BTreeMap<u32, Ws>,
    in_flight: Vec<InFlight>,
    /// Whether the previous record queued a frame that goes out with this record's frame.
    burst_open: bool,
    /// A transcript of the recovery server: the client's reconnects follow a pause.
    recovery: bool,
}

fn describe(r: &Record) -> String {
    match r {
        Record::Meta(_) => "meta".into(),
        Record::Http(h) => format!("http {} {}", h.request.method, h.request.url),
        Record::WsConnect(c) => format!("ws-connect ws#{} {}", c.ws, c.url),
        Record::WsMessage(m) => format!(
            "ws-message ws#{} {}",
            m.ws,
            if m.dir == Direction::C2s {
                "c2s"
            } else {
                "s2c"
            }
        ),
        Record::WsClose(c) => format!(
            "ws-close ws#{} {} {}",
            c.ws,
            if c.dir == Direction::C2s {
                "c2s"
            } else {
                "s2c"
            },
            c.code
        ),
        Record::Sleep { ms } => format!("sleep {ms}"),
    }
}

fn body_view(body: &Option<Body>) -> String {
    match body {
        None => "(none)".into(),
        Some(Body::Text(t)) => visible(t),
        Some(Body::Hex(h)) => format!("hex:{}", crate::failure::clip(h, 160)),
        Some(Body::Generated(g)) => format!("(generated, {} bytes)", g.bytes),
    }
}

fn got_view(resp: &HttpResponse) -> String {
    match std::str::from_utf8(&resp.body) {
        Ok(t) => visible(t),
        Err(_) => format!(
            "hex:{}",
            crate::failure::clip(&crate::driver::transcript::hex(&resp.body), 160)
        ),
    }
}

/// Response headers that are volatile or hop-by-hop (as in the capture) or that depend on the
/// length of un-normalised values (`content-length`, checked by the HTTP client itself).
/// The response header that CORS makes a MUST (the contract serves origin `*`).
const CORS_ORIGIN: &str = "access-control-allow-origin:";

const IGNORED_HEADERS: [&str; 5] = [
    "date",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
];

impl Player {
    async fn run(&mut self, cx: &mut Ctx, t: &Transcript) -> CaseResult {
        for (i, record) in t.records.iter().enumerate() {
            let line = i + 2;
            let step = format!("line {line}: {}", describe(record));
            let action = match record {
                Record::Http(_) => true,
                Record::WsMessage(m) => m.dir == Direction::C2s,
                Record::WsClose(c) => c.dir == Direction::C2s,
                _ => false,
            };
            // A frame queued by the previous record goes out with this one, as one client
            // action: nothing may wait in between.
            if action && !std::mem::take(&mut self.burst_open) {
                self.settle(cx, false).await?;
            }
            match record {
                Record::Meta(_) => {}
                Record::Sleep { ms } => cx.pause(*ms, "a `sleep` record of the transcript").await,
                Record::Http(h) => {
                    let next = t.records.get(i + 1);
                    self.http(cx, line, &step, h, next).await?;
                }
                Record::WsConnect(c) => {
                    let target = cx.target(&self.vol.substitute(&c.url));
                    // Pings are answered as they come (while the replayer waits on another
                    // connection too), unless the transcript itself plays the heartbeat on
                    // this connection: far from the server, a pong left for the next read of
                    // the connection misses the pingTimeout.
                    let auto_pong = !plays_heartbeat(t, c.ws);
                    match cx.ws_attempt_path(&target, auto_pong).await? {
                        WsConnect::Open(ws) => {
                            if c.status != 101 {
                                return Err(Failure::assertion(
                                    step,
                                    format!("status {} body {}", c.status, body_view(&c.body)),
                                    "101 (open)",
                                ));
                            }
                            self.ws.insert(c.ws, ws);
                        }
                        WsConnect::Refused { status, body } => {
                            let got = self.vol.normalise(&String::from_utf8_lossy(&body));
                            let want = c.body.as_ref().and_then(Body::text).unwrap_or("");
                            if status != c.status || got != want {
                                let deviation = Failure::assertion(
                                    step,
                                    format!("status {} body {}", c.status, visible(want)),
                                    format!("status {status} body {}", visible(&got)),
                                );
                                // A refusal is the rule; its exact status and wording are
                                // Node's (as for any error response below).
                                if status >= 400 && c.status >= 400 {
                                    cx.soft(Err(deviation));
                                } else {
                                    return Err(deviation);
                                }
                            }
                        }
                        WsConnect::Failed(e) => {
                            if c.status != 0 {
                                return Err(Failure::assertion(
                                    step,
                                    format!("status {}", c.status),
                                    format!("upgrade failed: {e}"),
                                ));
                            }
                        }
                    }
                }
                Record::WsMessage(m) if m.dir == Direction::C2s => {
                    // Frames the client wrote back to back (no server frame recorded between
                    // them) leave in one write, as the capture's client wrote them: Node
                    // treats frames that arrive in one read differently (see `WsConn::queue`).
                    let burst_goes_on = matches!(
                        t.records.get(i + 1),
                        Some(Record::WsMessage(n)) if n.dir == Direction::C2s && n.ws == m.ws
                    );
                    let text = m
                        .body
                        .text()
                        .map(|t| self.vol.live_ack(&self.vol.substitute(t)));
                    let bytes = match &m.body {
                        Body::Text(_) => None,
                        _ => Some(m.body.bytes().map_err(|e| Failure::harness(&step, e))?),
                    };
                    let lossy;
                    let frame = match (&m.body, &bytes) {
                        (Body::Hex(_), Some(b)) => OutFrame::Binary(b),
                        (Body::Generated(_), Some(b)) => {
                            lossy = String::from_utf8_lossy(b);
                            OutFrame::Text(&lossy)
                        }
                        _ => OutFrame::Text(text.as_deref().unwrap_or_default()),
                    };
                    let ws = self.open_ws(m.ws, &step)?;
                    match (burst_goes_on, frame) {
                        (true, frame) => ws.queue(frame).await?,
                        (false, OutFrame::Text(t)) => ws.send(t).await?,
                        (false, OutFrame::Binary(b)) => ws.send_binary(b).await?,
                    }
                    self.burst_open = burst_goes_on;
                }
                Record::WsMessage(m) => self.expect_frame(cx, &step, m.ws, &m.body).await?,
                Record::WsClose(c) if c.dir == Direction::C2s => {
                    if c.code == 1006 {
                        let ws = self.ws.remove(&c.ws).ok_or_else(|| {
                            Failure::harness(&step, format!("ws#{} is not open", c.ws))
                        })?;
                        ws.drop_connection().await;
                    } else {
                        let code = (c.code != 1005).then_some(c.code);
                        self.open_ws(c.ws, &step)?.close(code).await?;
                    }
                    if self.recovery {
                        crate::cases::support::pause_before_reconnect(cx).await;
                    }
                }
                Record::WsClose(c) => self.expect_close(cx, &step, c.ws, c.code).await?,
            }
        }
        self.settle(cx, true).await?;
        self.leftovers()
    }

    fn open_ws(&mut self, n: u32, step: &str) -> Result<&mut Ws, Failure> {
        self.ws
            .get_mut(&n)
            .ok_or_else(|| Failure::assertion(step, format!("ws#{n} open"), "(it is not open)"))
    }

    /// Awaits the long polls in flight whose time has come: before the second client action
    /// that follows them, or all of them at the end.
    async fn settle(&mut self, cx: &mut Ctx, all: bool) -> CaseResult {
        let mut due = Vec::new();
        let mut keep = Vec::new();
        for mut f in std::mem::take(&mut self.in_flight) {
            f.actions_after += 1;
            if all || f.actions_after >= 2 {
                due.push(f);
            } else {
                keep.push(f);
            }
        }
        self.in_flight = keep;
        for f in due {
            let step = format!(
                "line {}: http {} {} (left in flight)",
                f.line, f.record.request.method, f.record.request.url
            );
            let outcome = match f.handle.await {
                Ok(o) => o?,
                Err(e) => return Err(Failure::harness(&step, format!("request task: {e}"))),
            };
            self.check_http(cx, &step, &f.record, &f.target, outcome)
                .await?;
        }
        Ok(())
    }

    fn request_parts(&self, h: &HttpExchange, step: &str) -> Result<RequestParts, Failure> {
        let headers = h
            .request
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    self.vol.substitute(v.as_str().unwrap_or(&v.to_string())),
                )
            })
            .collect();
        let body = match &h.request.body {
            None => Vec::new(),
            Some(Body::Text(text)) => {
                let packet = |p: &str| self.vol.live_ack(&self.vol.substitute(p));
                if self.eio == 3 && h.oracle_for("request").is_some() {
                    norm::map_payload(text, 3, packet).into_bytes()
                } else if h.oracle_for("request").is_some() {
                    let packets: Vec<String> = norm::packets(text, self.eio)
                        .iter()
                        .map(|p| packet(p))
                        .collect();
                    norm::join(&packets, self.eio).into_bytes()
                } else {
                    self.vol.substitute(text).into_bytes()
                }
            }
            Some(b) => b.bytes().map_err(|e| Failure::harness(step, e))?,
        };
        Ok(RequestParts { headers, body })
    }

    async fn http(
        &mut self,
        cx: &mut Ctx,
        line: usize,
        step: &str,
        h: &HttpExchange,
        next: Option<&Record>,
    ) -> CaseResult {
        let target = cx.target(&self.vol.substitute(&h.request.url));
        let parts = self.request_parts(h, step)?;
        let http = cx.http();
        let method = h.request.method.clone();
        if h.response.error.as_deref() == Some("timeout") {
            let headers = parts.pairs();
            let r = http
                .request_within(&method, target.clone(), &headers, &parts.body, GIVE_UP)
                .await?;
            return match r {
                Err(HttpError::Timeout(_)) => Ok(()),
                Ok(resp) => Err(Failure::assertion(
                    step,
                    format!(
                        "no response within {} ms (the client gives up)",
                        GIVE_UP.as_millis()
                    ),
                    format!("status {} body {}", resp.status, got_view(&resp)),
                )),
                Err(e) => Err(Failure::assertion(
                    step,
                    format!("no response within {} ms", GIVE_UP.as_millis()),
                    e.to_string(),
                )),
            };
        }
        if leaves_in_flight(h, next) {
            let t2 = target.clone();
            let handle = tokio::spawn(async move {
                let headers = parts.pairs();
                http.request(&method, t2, &headers, &parts.body).await
            });
            self.in_flight.push(InFlight {
                line,
                record: h.clone(),
                target,
                handle,
                actions_after: 0,
            });
            return Ok(());
        }
        let headers = parts.pairs();
        let r = http
            .request(&method, target.clone(), &headers, &parts.body)
            .await?;
        // A POST after which the session is gone (the transcript's next request on it is
        // refused): the packets ended the session, and whether the POST itself is answered
        // 200 or refused is Node's choice, as in the hand-written cases. The refusal that
        // follows is the rule.
        let ends_session = method == "POST"
            && matches!(next, Some(Record::Http(n))
                if n.request.url == h.request.url && n.response.status == Some(400));
        if let (true, Ok(resp)) = (ends_session, &r)
            && h.response.status == Some(200)
            && resp.status >= 400
        {
            cx.soft(Err(Failure::assertion(
                step,
                format!("status 200 body {}", body_view(&h.response.body)),
                format!("status {} body {}", resp.status, got_view(resp)),
            )));
            return Ok(());
        }
        self.check_http(cx, step, h, &target, r).await
    }

    async fn check_http(
        &mut self,
        cx: &mut Ctx,
        step: &str,
        h: &HttpExchange,
        target: &str,
        r: Result<HttpResponse, HttpError>,
    ) -> CaseResult {
        let resp = match (&h.response.error, r) {
            (Some(e), Ok(resp)) => {
                return Err(Failure::assertion(
                    step,
                    format!("no response ({e})"),
                    format!("status {} body {}", resp.status, got_view(&resp)),
                ));
            }
            (Some(e), Err(got)) => {
                let same = matches!(
                    (e.as_str(), &got),
                    ("reset", HttpError::Reset(_)) | ("timeout", HttpError::Timeout(_))
                );
                return if same {
                    Ok(())
                } else {
                    Err(Failure::assertion(
                        step,
                        format!("no response ({e})"),
                        got.to_string(),
                    ))
                };
            }
            (None, Err(e)) => {
                return Err(Failure::assertion(
                    step,
                    format!(
                        "status {} body {}",
                        h.response.status.unwrap_or(0),
                        body_view(&h.response.body)
                    ),
                    e.to_string(),
                ));
            }
            (None, Ok(resp)) => resp,
        };
        let want_status = h.response.status.unwrap_or(0);
        if resp.status != want_status {
            let deviation = Failure::assertion(
                step,
                format!("status {want_status} body {}", body_view(&h.response.body)),
                format!("status {} body {}", resp.status, got_view(&resp)),
            );
            // An error where Node errs is the rule; which 4xx/5xx is Node's choice (it answers
            // some refusals 500), as the hand-written cases judge it.
            if want_status >= 400 && resp.status >= 400 {
                cx.soft(Err(deviation));
                return Ok(());
            }
            return Err(deviation);
        }
        let payload = h.oracle_for("response").is_some();
        match (&h.response.body, payload) {
            (Some(Body::Text(want)), true) => {
                self.check_payload(cx, step, h, target, want, &resp).await?;
            }
            (body, _) => {
                let want = body.as_ref().map_or(Ok(Vec::new()), Body::bytes);
                let want = want.map_err(|e| Failure::harness(step, e))?;
                let same = match std::str::from_utf8(&resp.body) {
                    Ok(text) => self.vol.normalise(text).as_bytes() == want.as_slice(),
                    Err(_) => resp.body == want,
                };
                if !same {
                    let deviation = Failure::assertion(
                        step,
                        format!("status {want_status} body {}", body_view(body)),
                        format!("status {} body {}", resp.status, got_view(&resp)),
                    );
                    // The body of an error response is Node's wording (its JSON error code and
                    // message): a SHOULD, as in the hand-written cases; the status is the rule.
                    if want_status >= 400 {
                        cx.soft(Err(deviation));
                    } else {
                        return Err(deviation);
                    }
                }
            }
        }
        // Response headers are Node's choices (cache-control, vary, …) except where CORS
        // makes one matter: a browser refuses a response without the right
        // access-control-allow-origin. Only that one is a MUST; the rest is a SHOULD.
        match self.check_headers(step, h, &resp) {
            Err(f)
                if f.expected
                    .iter()
                    .chain(&f.received)
                    .any(|l| l.starts_with(CORS_ORIGIN)) =>
            {
                Err(f)
            }
            other => {
                cx.soft(other);
                Ok(())
            }
        }
    }

    fn check_headers(&self, step: &str, h: &HttpExchange, resp: &HttpResponse) -> CaseResult {
        let mut got: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &resp.headers {
            let k = k.to_ascii_lowercase();
            if IGNORED_HEADERS.contains(&k.as_str()) {
                continue;
            }
            let v = self.vol.normalise(v);
            got.entry(k)
                .and_modify(|old| {
                    old.push_str(", ");
                    old.push_str(&v);
                })
                .or_insert(v);
        }
        let want: BTreeMap<String, String> = h
            .response
            .headers
            .iter()
            .filter(|(k, _)| !IGNORED_HEADERS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        if want == got {
            return Ok(());
        }
        let show = |m: &BTreeMap<String, String>, other: &BTreeMap<String, String>| {
            m.iter()
                .filter(|(k, v)| other.get(*k) != Some(*v))
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
        };
        let mut expected = show(&want, &got);
        let mut received = show(&got, &want);
        if expected.is_empty() {
            expected.push("(no other headers)".into());
        }
        if received.is_empty() {
            received.push("(missing)".into());
        }
        Err(Failure::assertion(
            format!("{step}: response headers"),
            expected,
            received,
        ))
    }

    /// Learns the volatile values of one server packet, then normalises it.
    fn take_packet(&mut self, packet: &str) -> String {
        self.vol.learn_packet(packet, self.socketio);
        self.vol.normalise(packet)
    }

    fn take_payload(&mut self, resp: &HttpResponse) -> Vec<String> {
        let text = String::from_utf8_lossy(&resp.body).into_owned();
        norm::packets(&text, self.eio)
            .iter()
            .map(|p| self.take_packet(p))
            .collect()
    }

    async fn check_payload(
        &mut self,
        cx: &mut Ctx,
        step: &str,
        h: &HttpExchange,
        target: &str,
        want_text: &str,
        resp: &HttpResponse,
    ) -> CaseResult {
        let want = norm::packets(want_text, self.eio);
        let mut got = self.take_payload(resp);
        let long_poll = h.request.method == "GET" && h.request.url.contains("sid=");
        let mut extra = 0;
        loop {
            if self.eio == 4 && long_poll {
                let mut k = 0;
                while k < got.len() {
                    if got[k] == "2" && want.get(k).is_none_or(|w| w != "2") {
                        got.remove(k);
                        cx.tolerate(format!(
                            "{step}: heartbeat ping `2` the transcript does not have, answered with a POSTed `3` and skipped"
                        ));
                        let http = cx.http();
                        let pong = http
                            .request(
                                "POST",
                                target.to_string(),
                                &[("content-type", crate::context::TEXT_PLAIN)],
                                b"3",
                            )
                            .await?;
                        if let Err(e) = pong {
                            return Err(Failure::assertion(
                                format!("{step}: answering an unexpected ping"),
                                "200 ok",
                                e.to_string(),
                            ));
                        }
                    } else {
                        k += 1;
                    }
                }
            }
            for (g, w) in got.iter_mut().zip(&want) {
                *g = self.vol.align_ack(w, g);
            }
            let prefix_ok = got.len() <= want.len()
                && got.iter().zip(&want).all(|(g, w)| norm::packet_eq(w, g));
            if prefix_ok && got.len() == want.len() {
                return Ok(());
            }
            if prefix_ok && long_poll && extra < MAX_EXTRA_GETS {
                extra += 1;
                if !got.is_empty() {
                    cx.tolerate(format!(
                        "{step}: batching: Node sent {} packet(s) in one GET, the target {} so far; another GET collects the rest",
                        want.len(),
                        got.len()
                    ));
                }
                let r = cx
                    .http()
                    .request("GET", target.to_string(), &[], b"")
                    .await?;
                match r {
                    Ok(more) if more.status == 200 => {
                        let rest = self.take_payload(&more);
                        got.extend(rest);
                        continue;
                    }
                    Ok(more) => {
                        return Err(Failure::assertion(
                            format!("{step}: the GET that collects the rest of the payload"),
                            format!(
                                "status 200 with {}",
                                visible(&norm::join(&want[got.len()..], self.eio))
                            ),
                            format!("status {} body {}", more.status, got_view(&more)),
                        ));
                    }
                    Err(e) => {
                        return Err(Failure::assertion(
                            format!("{step}: the GET that collects the rest of the payload"),
                            visible(&norm::join(&want[got.len()..], self.eio)),
                            e.to_string(),
                        ));
                    }
                }
            }
            return Err(Failure::assertion(
                step,
                format!("payload {}", visible(want_text)),
                format!(
                    "payload {} (normalised; raw {})",
                    visible(&norm::join(&got, self.eio)),
                    got_view(resp)
                ),
            ));
        }
    }

    async fn expect_frame(&mut self, cx: &mut Ctx, step: &str, n: u32, body: &Body) -> CaseResult {
        let bound = cx.step();
        let eio = self.eio;
        let socketio = self.socketio;
        loop {
            let ws = self.open_ws(n, step)?;
            let event = ws.next_within(bound).await;
            let want_text = body.text();
            match event {
                Next::Event(WsEvent::Text(t)) if t == "2" && eio == 4 && want_text != Some("2") => {
                    let _ = ws.send("3").await;
                    cx.tolerate(format!(
                        "{step}: heartbeat ping `2` the transcript does not have, answered `3` and skipped"
                    ));
                    continue;
                }
                Next::Event(WsEvent::Text(t)) => {
                    self.vol.learn_packet(&t, socketio);
                    let got = self.vol.normalise(&t);
                    let got = match want_text {
                        Some(w) => self.vol.align_ack(w, &got),
                        None => got,
                    };
                    return match want_text {
                        Some(w) if norm::packet_eq(w, &got) => Ok(()),
                        _ => Err(Failure::assertion(
                            step,
                            want_view(body),
                            format!("text {} (normalised; raw {})", visible(&got), visible(&t)),
                        )),
                    };
                }
                Next::Event(WsEvent::Binary(b)) => {
                    let want = body.bytes().unwrap_or_default();
                    return if matches!(body, Body::Hex(_)) && want == b {
                        Ok(())
                    } else {
                        Err(Failure::assertion(
                            step,
                            want_view(body),
                            format!("binary {}", crate::driver::transcript::hex(&b)),
                        ))
                    };
                }
                Next::Event(close @ WsEvent::Close { .. }) => {
                    return Err(Failure::assertion(step, want_view(body), close.describe()));
                }
                Next::Timeout => {
                    return Err(Failure::assertion(
                        step,
                        want_view(body),
                        format!("(nothing within {} ms)", bound.as_millis()),
                    ));
                }
                Next::Ended => {
                    return Err(Failure::assertion(
                        step,
                        want_view(body),
                        "(the connection had already closed)",
                    ));
                }
            }
        }
    }

    async fn expect_close(&mut self, cx: &mut Ctx, step: &str, n: u32, code: u16) -> CaseResult {
        let bound = cx.step();
        let eio = self.eio;
        loop {
            let ws = self.open_ws(n, step)?;
            match ws.next_within(bound).await {
                Next::Event(WsEvent::Close { code: got, .. }) => {
                    // That the server closes is the rule; the code (or a reset, 1006, instead
                    // of a close frame) is its choice, a SHOULD as in the hand-written cases.
                    if got != code {
                        cx.soft(Err(Failure::assertion(
                            step,
                            format!("close {code}"),
                            format!("close {got}"),
                        )));
                    }
                    return Ok(());
                }
                Next::Event(WsEvent::Text(t)) if t == "2" && eio == 4 => {
                    let _ = ws.send("3").await;
                    cx.tolerate(format!(
                        "{step}: heartbeat ping `2` before the close, answered `3` and skipped"
                    ));
                }
                Next::Event(WsEvent::Text(t)) if t == "1" && eio == 4 => {
                    // The protocol lets a server send a close packet before it closes; Node
                    // sends none, so the transcript has none.
                    cx.tolerate(format!(
                        "{step}: close packet `1` before the close frame, skipped"
                    ));
                }
                Next::Event(other) => {
                    let mut received = vec![other.describe()];
                    received.extend(ws.drain().iter().map(WsEvent::describe));
                    return Err(Failure::assertion(step, format!("close {code}"), received));
                }
                Next::Timeout => {
                    return Err(Failure::assertion(
                        step,
                        format!("close {code}"),
                        format!("(nothing within {} ms; still open)", bound.as_millis()),
                    ));
                }
                Next::Ended => {
                    return Err(Failure::assertion(
                        step,
                        format!("close {code}"),
                        "(the close was already consumed)",
                    ));
                }
            }
        }
    }

    /// Frames the target sent that the transcript does not have (pings and closes aside): Node's
    /// capture fails a scenario that leaves a message unread, so there are none in the oracle.
    fn leftovers(&mut self) -> CaseResult {
        let mut extra = Vec::new();
        for (n, ws) in &mut self.ws {
            for e in ws.drain() {
                match &e {
                    WsEvent::Close { .. } => {}
                    WsEvent::Text(t) if t == "2" => {}
                    _ => extra.push(format!("ws#{n}: {}", e.describe())),
                }
            }
        }
        if extra.is_empty() {
            Ok(())
        } else {
            Err(Failure::assertion(
                "the end of the transcript",
                "(no more frames)",
                extra,
            ))
        }
    }
}

fn want_view(body: &Body) -> String {
    match body {
        Body::Text(t) => format!("text {}", visible(t)),
        Body::Hex(h) => format!("binary {h}"),
        Body::Generated(g) => format!("(generated, {} bytes)", g.bytes),
    }
}

struct RequestParts {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RequestParts {
    fn pairs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}
