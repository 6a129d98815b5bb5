//! Injected cluster faults: realistic bugs of a cluster adapter that the suite's cluster cases
//! (`cluster.*`) must catch, one behaviour change each at the site where adapters get it wrong.
//! Only a build with the cargo feature `faults` (off by default) can arm one
//! ([`crate::RedisAdapterConfig::with_fault`]); `suite-tests/tests/cluster.rs` runs the cluster
//! cases against a reference cluster with each and asserts which cases catch it.

/// One injected cluster bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterFault {
    /// `adapter.rs#broadcast`: the broadcast published to the other nodes has no `except`.
    ExceptDropped,
    /// `adapter.rs#broadcast`: a broadcast to one room goes to `socket.io#/#room`, without the
    /// channel's closing `#` (a receiver reads the room as the channel minus its last character).
    RoomChannelUnterminated,
    /// `adapter.rs#broadcast`: integers from 256 up are written with one byte (their low byte).
    IntegersTruncated,
    /// `adapter.rs#on_request`: requests that wait for an answer (fetchSockets,
    /// serverSideEmitWithAck, broadcasts with acks, …) are never answered.
    RequestsUnanswered,
}

impl ClusterFault {
    /// Every fault, in documentation order.
    pub const ALL: [ClusterFault; 4] = [
        ClusterFault::ExceptDropped,
        ClusterFault::RoomChannelUnterminated,
        ClusterFault::IntegersTruncated,
        ClusterFault::RequestsUnanswered,
    ];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            ClusterFault::ExceptDropped => "except-dropped",
            ClusterFault::RoomChannelUnterminated => "room-channel-unterminated",
            ClusterFault::IntegersTruncated => "integers-truncated",
            ClusterFault::RequestsUnanswered => "requests-unanswered",
        }
    }

    /// The kind of bug real adapters had that it imitates.
    pub fn imitates(self) -> &'static str {
        match self {
            ClusterFault::ExceptDropped => {
                "broadcast options serialised from the rooms alone: `except` applied locally only"
            }
            ClusterFault::RoomChannelUnterminated => {
                "the room channel built as prefix + room, without the separator Node appends"
            }
            ClusterFault::IntegersTruncated => {
                "a msgpack writer that picks the integer width from a wrong bound"
            }
            ClusterFault::RequestsUnanswered => {
                "a node that handles the broadcasts but not the request channel"
            }
        }
    }
}

/// `n` as [`ClusterFault::IntegersTruncated`] writes it: an integer from 256 up keeps its low
/// byte; anything else is unchanged.
pub(crate) fn truncated(n: f64) -> f64 {
    if n.fract() == 0.0 && n >= 256.0 && n < 2f64.powi(53) {
        (n as u64 & 0xff) as f64
    } else {
        n
    }
}
