//! The sequence diagram of a case: its wire transcript drawn as inline SVG, by hand.
//!
//! Two lanes, the client (the runner) on the left and the server under test on the right; one
//! arrow per transcript entry (an HTTP request, an HTTP response, a WebSocket frame, an open or
//! a close), top to bottom in arrival order, labelled with its connection (`http#2`, `ws#1`),
//! what it is and its payload, the time offset on the left. Colour is the transport (polling
//! blue, WebSocket green), the arrow head the direction; harness notes (a deliberate pause, an
//! automatic pong) are grey boxes between the lanes, not arrows. Labels are cut to fit; the
//! whole entry is in the arrow's `<title>`, which browsers show as a tooltip.
//!
//! The deviation. A failure records what the case expected and received, not when, so the
//! diagram finds it by content ([`marks`]): the arrows from the server whose payload is a frame
//! the failure names as received are drawn red. A failure that received nothing that is on the
//! wire (a timeout: "nothing within 405 ms") is drawn as a red band after the last arrow, which
//! is where the case stopped waiting; a case ends at its MUST failure, so for that one the end
//! of the transcript is the failure time. Matching by content rather than marking "everything
//! after a time" keeps a SHOULD deviation, after which the case goes on, on its own arrow.

use super::escape::{clip, line, text};
use super::model::FailureView;
use crate::driver::Entry;
use crate::driver::transcript::{Dir, Transport};
use std::fmt::Write;

const WIDTH: u32 = 980;
const TIME_X: u32 = 70;
const CLIENT_X: u32 = 150;
const SERVER_X: u32 = 850;
const TOP: u32 = 56;
const ROW: u32 = 34;
/// Characters of a label that fit between the lanes at 12 px monospace (about 7.2 px each).
const LABEL_CHARS: usize = 94;
/// Characters of a payload in a tooltip.
const TOOLTIP_CHARS: usize = 4_000;

const POLLING: &str = "#0969da";
const WEBSOCKET: &str = "#1a7f37";
const NOTE: &str = "#6e7781";
const DEVIATION: &str = "#cf222e";

/// Where the failures of a case show on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// Indices of the entries that carry a received frame of some failure.
    pub entries: Vec<usize>,
    /// The step of each failure none of whose received lines is on the wire, drawn after the
    /// last entry (`step: received`).
    pub after_last: Vec<String>,
}

impl Marks {
    /// Whether entry `i` is a deviation.
    pub fn marks(&self, i: usize) -> bool {
        self.entries.contains(&i)
    }
}

/// The payload of an entry as the reports write it: its text, or `hex:…`.
pub fn payload(e: &Entry) -> Option<String> {
    match (&e.text, &e.hex) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(h)) => Some(format!("hex:{h}")),
        (None, None) => None,
    }
}

/// Whether a failure's received line is this entry's payload. Received lines are written by
/// the cases as `text <frame>`, `binary <hex>`, `status 200 body <body>`, or
/// `text <normalised> (normalised; raw <frame>)` for replays: the payload is the line, its
/// tail after a space, or the raw frame in parentheses.
fn names(received: &str, e: &Entry) -> bool {
    let Some(p) = e.text.as_deref().or(e.hex.as_deref()) else {
        // A close or an open is named by what it is (`close 1005`).
        return !e.what.is_empty()
            && (received == e.what || received.ends_with(&format!(" {}", e.what)));
    };
    // A polling response named by its status alone (`status 400`).
    if e.transport == Transport::Polling && received == format!("status {}", e.what) {
        return true;
    }
    if p.is_empty() {
        return false;
    }
    received == p
        || received.ends_with(&format!(" {p}"))
        || received.contains(&format!(" {p} ("))
        || received.contains(&format!("raw {p})"))
}

/// Finds the failures on the wire (see the module doc for why by content).
///
/// Received lines do not name their connection, and a broadcast puts the same frame on several:
/// the failure is put on the connection that carries the most of its received lines (the
/// latest on a tie), and on it each line marks its latest carrier (a frame like the ping `2`
/// comes many times; the case judged the one it was waiting for, the last so far).
pub fn marks(entries: &[Entry], failures: &[FailureView]) -> Marks {
    let mut m = Marks::default();
    for f in failures {
        // Per connection: for each received line, its latest carrier there.
        let mut best: Option<(usize, usize, Vec<usize>)> = None; // (lines, latest, entries)
        let mut conns: Vec<&str> = Vec::new();
        for e in entries.iter().filter(|e| e.dir == Dir::In) {
            if !conns.contains(&e.conn.as_str()) {
                conns.push(&e.conn);
            }
        }
        for conn in conns {
            let hits: Vec<usize> = f
                .received
                .iter()
                .filter_map(|r| {
                    entries
                        .iter()
                        .enumerate()
                        .rev()
                        .find(|(_, e)| e.dir == Dir::In && e.conn == conn && names(r, e))
                        .map(|(i, _)| i)
                })
                .collect();
            let Some(&latest) = hits.iter().max() else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((n, l, _)) => hits.len() > *n || (hits.len() == *n && latest > *l),
            };
            if better {
                best = Some((hits.len(), latest, hits));
            }
        }
        match best {
            Some((_, _, hits)) => {
                for i in hits {
                    if !m.entries.contains(&i) {
                        m.entries.push(i);
                    }
                }
            }
            None => {
                let got = if f.received.is_empty() {
                    String::from("nothing")
                } else {
                    f.received.join(" | ")
                };
                m.after_last.push(format!("{}: {got}", f.step));
            }
        }
    }
    m.entries.sort_unstable();
    m
}

/// One label line: `ws#1 text 42["hi"]`.
fn label(e: &Entry) -> String {
    let mut s = format!("{} {}", e.conn, e.what);
    if let Some(p) = payload(e) {
        s.push(' ');
        s.push_str(&p);
    }
    s
}

/// The full text of an entry for its tooltip: time, connection, direction, headers, payload.
fn tooltip(e: &Entry) -> String {
    let dir = match e.dir {
        Dir::Out => "client → server",
        Dir::In => "server → client",
        Dir::Note => "note",
    };
    let mut s = format!("+{:.1} ms  {}  {dir}  {}", e.t_ms, e.conn, e.what);
    for (k, v) in &e.headers {
        let _ = write!(s, "\n{k}: {v}");
    }
    if let Some(p) = payload(e) {
        s.push_str("\n\n");
        // A tooltip of a megabyte (a maxPayload probe) helps nobody and weighs on the page;
        // past this the wire log (cut later) and results.json (whole) have the rest.
        let n = p.chars().count();
        if n > TOOLTIP_CHARS {
            s.extend(p.chars().take(TOOLTIP_CHARS));
            let _ = write!(s, "… ({} more chars: see the wire log)", n - TOOLTIP_CHARS);
        } else {
            s.push_str(&p);
        }
    }
    s
}

/// The diagram of a transcript, with the failures marked.
pub fn render(entries: &[Entry], marks: &Marks) -> String {
    let rows = entries.len() as u32 + marks.after_last.len() as u32;
    let height = TOP + rows.max(1) * ROW + 16;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="sequence" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="seq-title" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="12">"#
    );
    let _ = write!(
        o,
        r#"<title id="seq-title">Sequence diagram: {} wire entries between the client and the server{}</title>"#,
        entries.len(),
        if marks.entries.is_empty() && marks.after_last.is_empty() {
            ""
        } else {
            ", deviations in red"
        }
    );
    // Lane heads and lifelines.
    for (x, name) in [
        (CLIENT_X, "client (runner)"),
        (SERVER_X, "server under test"),
    ] {
        let _ = write!(
            o,
            r##"<text x="{x}" y="20" text-anchor="middle" font-weight="bold" fill="#1f2328">{name}</text><line x1="{x}" y1="30" x2="{x}" y2="{}" stroke="#8c959f" stroke-dasharray="4 3"/>"##,
            height - 6
        );
    }
    let _ = write!(
        o,
        r##"<text x="{TIME_X}" y="20" text-anchor="end" fill="#57606a">time</text>"##
    );
    if entries.is_empty() {
        let _ = write!(
            o,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="{NOTE}">no wire traffic</text>"##,
            (CLIENT_X + SERVER_X) / 2,
            TOP + ROW / 2
        );
    }
    for (i, e) in entries.iter().enumerate() {
        let y = TOP + i as u32 * ROW + ROW / 2;
        step(&mut o, e, y, marks.marks(i));
    }
    // Failures with nothing of theirs on the wire: after the last arrow, where the case stopped.
    for (k, what) in marks.after_last.iter().enumerate() {
        let y = TOP + (entries.len() + k) as u32 * ROW + ROW / 2;
        let shown = format!("✗ {}", clip(what, LABEL_CHARS + 8));
        let _ = write!(
            o,
            r##"<g class="deviation after-last"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" fill="#ffebe9"/><line x1="{CLIENT_X}" y1="{y}" x2="{SERVER_X}" y2="{y}" stroke="{DEVIATION}" stroke-width="2" stroke-dasharray="6 4"/><text x="{}" y="{}" text-anchor="middle" fill="{DEVIATION}" font-weight="bold">{}</text></g>"##,
            text(what),
            CLIENT_X - 40,
            y - ROW / 2 + 1,
            SERVER_X - CLIENT_X + 80,
            ROW - 2,
            (CLIENT_X + SERVER_X) / 2,
            y - 5,
            line(&shown)
        );
    }
    o.push_str("</svg>");
    o
}

/// One transcript entry: an arrow (or a note box), its label, its time and its tooltip.
fn step(o: &mut String, e: &Entry, y: u32, deviation: bool) {
    let colour = match (deviation, e.dir, e.transport) {
        (true, _, _) => DEVIATION,
        (_, Dir::Note, _) => NOTE,
        (_, _, Transport::Polling) => POLLING,
        (_, _, Transport::Websocket) => WEBSOCKET,
    };
    let transport = match e.transport {
        Transport::Polling => "polling",
        Transport::Websocket => "websocket",
    };
    let (kind, dir) = match e.dir {
        Dir::Out => ("arrow", "out"),
        Dir::In => ("arrow", "in"),
        Dir::Note => ("note", "note"),
    };
    let class = if deviation {
        format!("{kind} {dir} {transport} deviation")
    } else {
        format!("{kind} {dir} {transport}")
    };
    let _ = write!(
        o,
        r#"<g class="{class}"><title>{}</title>"#,
        text(&tooltip(e))
    );
    if deviation {
        let _ = write!(
            o,
            r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffebe9"/>"##,
            TIME_X - 60,
            y - ROW / 2 + 1,
            WIDTH - TIME_X + 50,
            ROW - 2
        );
    }
    let _ = write!(
        o,
        r##"<text x="{TIME_X}" y="{}" text-anchor="end" fill="#57606a">+{:.1} ms</text>"##,
        y + 4,
        e.t_ms
    );
    let mid = (CLIENT_X + SERVER_X) / 2;
    let shown = line(&clip(&label(e), LABEL_CHARS));
    match e.dir {
        Dir::Note => {
            let _ = write!(
                o,
                r##"<rect x="{}" y="{}" width="{}" height="20" rx="4" fill="#f6f8fa" stroke="{colour}" stroke-dasharray="3 2"/><text x="{mid}" y="{}" text-anchor="middle" fill="{colour}" font-style="italic">{shown}</text>"##,
                CLIENT_X + 10,
                y - 10,
                SERVER_X - CLIENT_X - 20,
                y + 4
            );
        }
        Dir::Out | Dir::In => {
            let (from, to) = if e.dir == Dir::Out {
                (CLIENT_X, SERVER_X)
            } else {
                (SERVER_X, CLIENT_X)
            };
            // The head points at `to`: 8 px long, 4 px either side.
            let back = if to > from { to - 8 } else { to + 8 };
            let width = if deviation { 2.5 } else { 1.5 };
            let _ = write!(
                o,
                r##"<line x1="{from}" y1="{y}" x2="{back}" y2="{y}" stroke="{colour}" stroke-width="{width}"/><polygon points="{to},{y} {back},{} {back},{}" fill="{colour}"/><text x="{mid}" y="{}" text-anchor="middle" fill="{colour}"{}>{shown}</text>"##,
                y - 4,
                y + 4,
                y - 5,
                if deviation {
                    r#" font-weight="bold""#
                } else {
                    ""
                }
            );
            if deviation {
                let _ = write!(
                    o,
                    r##"<text x="{}" y="{}" fill="{DEVIATION}" font-weight="bold">✗ deviation</text>"##,
                    SERVER_X + 10,
                    y + 4
                );
            }
        }
    }
    o.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::Transcript;
    use crate::driver::transcript::Payload;

    fn transcript() -> Vec<Entry> {
        let t = Transcript::new();
        t.push(
            "http#1",
            Transport::Polling,
            Dir::Out,
            "GET /engine.io/?EIO=4&transport=polling",
            vec![],
            Payload::None,
        );
        t.push(
            "http#1",
            Transport::Polling,
            Dir::In,
            "200",
            vec![("x-h".into(), "<v>".into())],
            Payload::Text(b"0{\"sid\":\"a\"}"),
        );
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::Out,
            "text",
            vec![],
            Payload::Text(b"42[\"<b>&\"]"),
        );
        t.note("ws#1", Transport::Websocket, "pause 3 ms");
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::In,
            "text",
            vec![],
            Payload::Text(b"42[\"bye\"]"),
        );
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::In,
            "binary",
            vec![],
            Payload::Binary(&[0, 0xff]),
        );
        t.entries()
    }

    fn failure(received: &[&str]) -> FailureView {
        FailureView {
            kind: "assertion".into(),
            step: "the reply".into(),
            expected: vec!["text 42[\"hi\"]".into()],
            received: received.iter().map(|s| s.to_string()).collect(),
            ..FailureView::default()
        }
    }

    #[test]
    fn one_arrow_per_frame_and_request_and_a_box_per_note() {
        let entries = transcript();
        let svg = render(&entries, &Marks::default());
        assert_eq!(svg.matches(r#"<g class="arrow "#).count(), 5);
        assert_eq!(svg.matches(r#"<g class="note "#).count(), 1);
        assert_eq!(svg.matches("<polygon ").count(), 5);
        assert!(!svg.contains("deviation"));
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"));
        // Payload markup is escaped in labels and tooltips; hex shown for binary.
        assert!(svg.contains("42[&quot;&lt;b&gt;&amp;&quot;]"));
        assert!(svg.contains("x-h: &lt;v&gt;"));
        assert!(svg.contains("hex:00ff"));
        assert!(!svg.contains("<b>"));
        // Client to server points right, server to client left.
        assert!(svg.contains(&format!(r#"<line x1="{CLIENT_X}" "#)));
        assert!(svg.contains(&format!(r#"<line x1="{SERVER_X}" "#)));
    }

    #[test]
    fn the_frames_a_failure_received_are_the_deviation() {
        let entries = transcript();
        let m = marks(&entries, &[failure(&["text 42[\"bye\"]"])]);
        assert_eq!(m.entries, [4]);
        assert!(m.after_last.is_empty());
        let svg = render(&entries, &m);
        assert_eq!(
            svg.matches(r#"<g class="arrow in websocket deviation">"#)
                .count(),
            1
        );
        assert_eq!(svg.matches("✗ deviation").count(), 1);
        // Polling bodies, binary frames and replays' raw frames are found too; a request is not.
        let m = marks(
            &entries,
            &[
                failure(&["status 200 body 0{\"sid\":\"a\"}"]),
                failure(&["binary 00ff"]),
            ],
        );
        assert_eq!(m.entries, [1, 5]);
        let m = marks(
            &entries,
            &[failure(&["text 42[\"<x>\"] (normalised; raw 42[\"bye\"])"])],
        );
        assert_eq!(m.entries, [4]);
        let m = marks(&entries, &[failure(&["text 42[\"<b>&\"]"])]);
        assert!(m.entries.is_empty());
    }

    #[test]
    fn a_frame_on_several_connections_is_marked_where_the_failure_happened() {
        let t = Transcript::new();
        let ws = Transport::Websocket;
        let frame = |conn: &str, text: &[u8]| {
            t.push(conn, ws, Dir::In, "text", vec![], Payload::Text(text))
        };
        frame("ws#1", b"2");
        frame("ws#1", b"42[\"e\"]");
        frame("ws#1", b"2");
        frame("ws#1", b"431[]");
        frame("ws#2", b"42[\"e\"]");
        let m = marks(&t.entries(), &[failure(&["text 42[\"e\"]", "text 431[]"])]);
        assert_eq!(m.entries, [1, 3], "ws#1 has both lines; ws#2 only one");
        let m = marks(&t.entries(), &[failure(&["text 2"])]);
        assert_eq!(m.entries, [2], "the latest ping");
    }

    #[test]
    fn a_failure_with_nothing_on_the_wire_is_a_band_after_the_last_arrow() {
        let entries = transcript();
        let m = marks(
            &entries,
            &[failure(&["(nothing within 405 ms; <still> open)"])],
        );
        assert!(m.entries.is_empty());
        assert_eq!(
            m.after_last,
            ["the reply: (nothing within 405 ms; <still> open)"]
        );
        let svg = render(&entries, &m);
        assert_eq!(
            svg.matches(r#"<g class="deviation after-last">"#).count(),
            1
        );
        assert!(svg.contains("&lt;still&gt;"));
        // The band is below the last arrow.
        let last = TOP + 5 * ROW + ROW / 2;
        let band = TOP + 6 * ROW + ROW / 2;
        assert!(svg.contains(&format!(r#"y1="{last}""#)));
        assert!(svg.contains(&format!(
            r#"y1="{band}" x2="{SERVER_X}" y2="{band}" stroke="{DEVIATION}""#
        )));
    }

    #[test]
    fn long_frames_are_cut_with_the_whole_in_the_tooltip() {
        let t = Transcript::new();
        let long = format!("4{}", "x".repeat(500));
        t.push(
            "ws#1",
            Transport::Websocket,
            Dir::In,
            "text",
            vec![],
            Payload::Text(long.as_bytes()),
        );
        let svg = render(&t.entries(), &Marks::default());
        assert!(svg.contains(&long), "the tooltip has it all");
        assert_eq!(svg.matches(&long).count(), 1, "the label does not");
        assert!(svg.contains("x…</text>"));
    }

    #[test]
    fn an_empty_transcript_still_draws_the_lanes() {
        let svg = render(&[], &Marks::default());
        assert!(svg.contains("no wire traffic"));
        assert!(svg.contains("server under test"));
    }
}
