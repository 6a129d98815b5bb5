//! Every case, registered in one list ([`all`]), one module per area; the cluster cases, which
//! need two nodes or more, in a list of their own ([`cluster::cases`]).
//!
//! Engine.IO behaviours that both official suites test are written once and registered twice
//! with [`engine_pair!`]: `eio.<name>` on the echo server (`/engine.io/`, the engine.io-protocol
//! suite) and `sio.engine.<name>` on the Socket.IO server (`/socket.io/`, the Engine.IO part of
//! the socket.io-protocol suite).

pub mod cluster;
pub mod eio3;
pub mod eio_close;
pub mod eio_handshake;
pub mod eio_heartbeat;
pub mod eio_limits;
pub mod eio_message;
pub mod eio_upgrade;
pub mod eio_ws_frames;
pub mod security;
pub mod sio_binary;
pub mod sio_connect;
pub mod sio_disconnect;
pub mod sio_errors;
pub mod sio_message;
pub mod sio_polling;
pub mod sio_recovery;
pub mod sio_rooms;
pub mod sio_server_ack;
pub mod support;

use crate::case::Case;

/// Registers an Engine.IO body twice: `eio.<tail>` (echo server, engine.io-protocol suite name)
/// and `sio.engine.<tail>` (Socket.IO server, socket.io-protocol suite name, when given).
#[macro_export]
macro_rules! engine_pair {
    ($tail:literal, $title:literal, $body:path, $section:literal, [$($tag:literal),*], $eio_name:expr, $sio_name:expr) => {{
        let eio = $crate::case::Case::new(concat!("eio.", $tail), $title, $crate::body!($body))
            .spec($crate::case::EIO_SPEC, $section)
            .tags(&[$($tag),*]);
        let sio = $crate::case::Case::new(concat!("sio.engine.", $tail), $title, $crate::body!($body))
            .spec($crate::case::EIO_SPEC, $section)
            .tags(&[$($tag),*])
            .server($crate::config::Server::SioMain);
        let eio_name: Option<&'static str> = $eio_name;
        let sio_name: Option<&'static str> = $sio_name;
        let eio = match eio_name {
            Some(n) => eio.official($crate::cases::support::EIO_SUITE, n),
            None => eio,
        };
        let sio = match sio_name {
            Some(n) => sio.official($crate::cases::support::SIO_SUITE, n),
            None => sio,
        };
        vec![eio, sio]
    }};
}

/// Every case, in report order.
pub fn all() -> Vec<Case> {
    let mut all = hand_written();
    all.extend(crate::replay::cases());
    all
}

/// The hand-written cases (every case but the replays), in report order.
pub fn hand_written() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(eio_handshake::cases());
    all.extend(eio_message::cases());
    all.extend(eio_heartbeat::cases());
    all.extend(eio_close::cases());
    all.extend(eio_upgrade::cases());
    all.extend(eio_limits::cases());
    all.extend(eio_ws_frames::cases());
    all.extend(sio_connect::cases());
    all.extend(sio_disconnect::cases());
    all.extend(sio_message::cases());
    all.extend(sio_binary::cases());
    all.extend(sio_polling::cases());
    all.extend(sio_errors::cases());
    all.extend(sio_rooms::cases());
    all.extend(sio_server_ack::cases());
    all.extend(sio_recovery::cases());
    all.extend(eio3::cases());
    all.extend(security::cases());
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.id), "duplicate case id {}", c.id);
            assert!(
                c.id.split('.').count() >= 3
                    && c.id.chars().all(|ch| ch.is_ascii_lowercase()
                        || ch.is_ascii_digit()
                        || ch == '.'
                        || ch == '-'),
                "malformed id {}",
                c.id
            );
            assert!(!c.spec.section.is_empty(), "{} has no spec section", c.id);
            assert!(
                c.node_differs.is_none() || c.level == crate::case::Level::Should,
                "{}: a known Node difference must be SHOULD-level",
                c.id
            );
        }
    }

    #[test]
    fn every_official_case_is_covered_once() {
        let cases = all();
        let count = |suite: &str| {
            let names: BTreeSet<_> = cases
                .iter()
                .filter_map(|c| c.official)
                .filter(|o| o.suite == suite)
                .map(|o| o.name)
                .collect();
            let total = cases
                .iter()
                .filter_map(|c| c.official)
                .filter(|o| o.suite == suite)
                .count();
            assert_eq!(
                names.len(),
                total,
                "an official {suite} case is mapped twice"
            );
            total
        };
        assert_eq!(count(support::EIO_SUITE), 24);
        assert_eq!(count(support::SIO_SUITE), 32);
    }
}
