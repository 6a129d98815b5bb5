//! Decoded views of transcript payloads, shown beside the raw text in reports. They come from
//! the shared codec (`sio-protocol`) and are for reading only: no expectation uses them, so a
//! codec bug shows up as a strange view next to the correct raw frame, never as a verdict.

use crate::driver::Entry;
use crate::driver::transcript::{Dir, Transport};
use sio_protocol::Limits;
use sio_protocol::engineio::{self, Data};

fn engine_view(p: &engineio::Packet) -> String {
    match &p.data {
        Some(Data::Text(t)) if p.kind == engineio::PacketType::Message => {
            match sio_protocol::socketio::decode(t, &Limits::UNLIMITED) {
                Ok(s) => format!("message sio{}", s.node_view()),
                Err(_) => format!("message {t:?}"),
            }
        }
        _ => sio_protocol::view::engine_packet(p).to_string(),
    }
}

/// The decoded view of an entry's payload, when it decodes.
pub fn view(entry: &Entry) -> Option<String> {
    let text = entry.text.as_deref()?;
    if entry.dir == Dir::Note {
        return None;
    }
    match entry.transport {
        Transport::Websocket if entry.what.starts_with("text") => {
            let p = engineio::decode_text(text, &Limits::UNLIMITED).ok()?;
            Some(engine_view(&p))
        }
        Transport::Polling => {
            let d = engineio::decode_payload_str(text);
            if d.error.is_some() || d.packets.is_empty() {
                return None;
            }
            let views: Vec<String> = d.packets.iter().map(engine_view).collect();
            Some(views.join(" ␞ "))
        }
        _ => None,
    }
}
