//! The operations a property test applies, and the proptest strategies that generate them.
//!
//! Every operation is total. Its `client` picks, modulo, one of the clients it can act on
//! ([`Need`]: those with a socket for a join, those without one for a reconnect, …), and it is
//! skipped when there is none, so any subsequence of a valid sequence is valid and proptest's
//! vector shrinking (drop operations, simplify each one) always yields a runnable, smaller
//! counterexample.
//!
//! ```text
//! case      = clients (2..=4, all connected first) + a transport per client + ops (1..=N)
//! op        = connect | join | leave | broadcast | emit-with-ack | client-disconnect
//!           | server-disconnect | drop [at a drop point] | reconnect
//!           | upgrade-probe | upgrade-pause | upgrade-finish        (the `upgrade` set)
//! room-ref  = named room 0..2 | the private room (socket id) of client 0..3
//! ```

pub use super::transports::{ClientTransport, DropPoint};
use super::transports::{drop_point, mixed, mostly_polling};
use ::proptest::collection::vec;
use ::proptest::prelude::*;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which contract server (and namespaces) a run drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// sio-main (`/socket.io/`): a fresh `/dynamic-<n>` namespace per case; anchor `/`.
    Rooms,
    /// sio-recovery (`/socket.io-recovery/`): namespace `/`, anchor `/custom`, recovery on.
    Recovery,
    /// sio-main as `rooms`, mostly polling clients that upgrade to WebSocket in steps
    /// (probe, pause, `5`) while events flow both ways.
    Upgrade,
    /// The `rooms` operations over the nodes of a cluster (fixtures/CONTRACT.md §7): client `c`
    /// on node `c % nodes`, so broadcasts, `except` and private rooms cross nodes. sio-main's
    /// `/` (a namespace every node has from the start, so each is subscribed before a case
    /// begins), anchor `/custom`.
    Cluster,
}

impl Kind {
    /// `rooms` or `recovery`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Rooms => "rooms",
            Kind::Recovery => "recovery",
            Kind::Upgrade => "upgrade",
            Kind::Cluster => "cluster",
        }
    }
}

/// A room named in an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoomRef {
    /// One of the run's named rooms (`r0`, `r1`, `r2`, made unique per case).
    Named(u8),
    /// The private room of a client's socket (its socket id; a placeholder before it has one).
    Private(u8),
}

/// The `target` of a `broadcast` control event (CONTRACT §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// `self`: `socket.emit` (`except` is ignored).
    #[serde(rename = "self")]
    Myself,
    /// `all`: the namespace, sender included, minus `except`.
    All,
    /// `others`: the namespace but the sender, minus `except`.
    Others,
    /// `rooms`: members of any of `rooms` (all when empty), minus `except`.
    Rooms,
    /// `rooms-others`: as `rooms`, without the sender.
    RoomsOthers,
}

impl Target {
    /// The wire name.
    pub fn wire(self) -> &'static str {
        match self {
            Target::Myself => "self",
            Target::All => "all",
            Target::Others => "others",
            Target::Rooms => "rooms",
            Target::RoomsOthers => "rooms-others",
        }
    }
}

/// How a client answers a server EVENT with an ack id (`emit-with-ack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AckReply {
    /// One ACK.
    Once,
    /// The same ACK twice: the callback must fire once.
    Twice,
    /// First an ACK with that id in the anchor namespace (ignored), then the right one.
    WrongNamespaceFirst,
}

/// What a reconnecting client puts in its CONNECT payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Restore {
    /// `{pid, offset}` with the last offset received.
    Last,
    /// `{pid, offset}` with the k-th offset before the last one (recent ones only).
    Older(u8),
    /// `{pid}` only: cannot recover.
    NoOffset,
    /// `{pid, offset:"nope"}`: cannot recover.
    UnknownOffset,
    /// `{pid:"nope", offset}`: cannot recover.
    UnknownPid,
}

/// One operation of a sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    /// A fresh socket: a new WebSocket (namespace then anchor) or, when the client's connection
    /// is still open without a socket in the namespace, `40` on it.
    Connect {
        /// Client index.
        client: u8,
    },
    /// `join` control event.
    Join {
        /// Client index.
        client: u8,
        /// Named rooms.
        rooms: Vec<u8>,
    },
    /// `leave` control event.
    Leave {
        /// Client index.
        client: u8,
        /// Named rooms.
        rooms: Vec<u8>,
    },
    /// `broadcast` control event.
    Broadcast {
        /// Sender.
        client: u8,
        /// Target.
        target: Target,
        /// `rooms`.
        rooms: Vec<RoomRef>,
        /// `except`.
        except: Vec<RoomRef>,
    },
    /// `emit-with-ack`: the server asks, the client answers, the result comes back once.
    EmitWithAck {
        /// Client index.
        client: u8,
        /// How the client answers.
        reply: AckReply,
    },
    /// The client sends `41`: not recoverable; the connection stays (anchor).
    ClientDisconnect {
        /// Client index.
        client: u8,
    },
    /// `server-disconnect` control event: `41`, and with `close` every socket then the engine.
    ServerDisconnect {
        /// Client index.
        client: u8,
        /// `close`.
        close: bool,
    },
    /// The transport drops (recoverable): a WebSocket's TCP connection without a close frame,
    /// or on polling at the drop point `at`.
    Drop {
        /// Client index.
        client: u8,
        /// Where, for a polling client (a WebSocket client always drops its TCP connection).
        #[serde(default)]
        at: DropPoint,
    },
    /// CONNECT with a recovery payload, on the open connection or a new WebSocket.
    Reconnect {
        /// Client index.
        client: u8,
        /// Payload.
        restore: Restore,
        /// Wait out maxDisconnectionDuration first (a real wait, at most one per case).
        late: bool,
    },
    /// A polling client starts the upgrade: a WebSocket with its sid, `2probe` (the answer is
    /// read by `upgrade-pause`; polling goes on meanwhile, sends included).
    UpgradeProbe {
        /// Client index.
        client: u8,
    },
    /// A probing client reads `3probe` and pauses polling: no new GET, the pending one must be
    /// released by the server's noop. Until `upgrade-finish` the client neither sends nor reads.
    UpgradePause {
        /// Client index.
        client: u8,
        /// A `message` is POSTed as the pause starts (a send under way when `3probe` came):
        /// its `message-back` lands in the last GET or in the server's buffer for the WebSocket.
        #[serde(default)]
        in_flight: bool,
    },
    /// A paused client sends `5`: the WebSocket is its transport from now on.
    UpgradeFinish {
        /// Client index.
        client: u8,
    },
    /// A probing client loses its probe WebSocket (TCP drop) before `5`: the upgrade fails,
    /// polling goes on.
    UpgradeAbort {
        /// Client index.
        client: u8,
    },
}

impl Op {
    /// The client the operation acts on.
    pub fn client(&self) -> u8 {
        match self {
            Op::Connect { client }
            | Op::Join { client, .. }
            | Op::Leave { client, .. }
            | Op::Broadcast { client, .. }
            | Op::EmitWithAck { client, .. }
            | Op::ClientDisconnect { client }
            | Op::ServerDisconnect { client, .. }
            | Op::Drop { client, .. }
            | Op::Reconnect { client, .. }
            | Op::UpgradeProbe { client }
            | Op::UpgradePause { client, .. }
            | Op::UpgradeFinish { client }
            | Op::UpgradeAbort { client } => *client,
        }
    }
}

impl Op {
    /// The same operation on another client.
    pub fn with_client(&self, c: u8) -> Op {
        let mut op = self.clone();
        match &mut op {
            Op::Connect { client }
            | Op::Join { client, .. }
            | Op::Leave { client, .. }
            | Op::Broadcast { client, .. }
            | Op::EmitWithAck { client, .. }
            | Op::ClientDisconnect { client }
            | Op::ServerDisconnect { client, .. }
            | Op::Drop { client, .. }
            | Op::Reconnect { client, .. }
            | Op::UpgradeProbe { client }
            | Op::UpgradePause { client, .. }
            | Op::UpgradeFinish { client }
            | Op::UpgradeAbort { client } => *client = c,
        }
        op
    }

    /// Which clients the operation can act on; its `client` picks one of them (modulo).
    pub fn needs(&self) -> Need {
        match self {
            Op::Connect { .. } | Op::Reconnect { .. } => Need::NoSocket,
            Op::Drop { .. } => Need::Connection,
            Op::UpgradeProbe { .. } => Need::Polling,
            Op::UpgradePause { .. } | Op::UpgradeAbort { .. } => Need::Probing,
            Op::UpgradeFinish { .. } => Need::Paused,
            _ => Need::Socket,
        }
    }
}

/// The clients an operation can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// A socket in the test namespace.
    Socket,
    /// No socket in the test namespace (connection open or not).
    NoSocket,
    /// An open connection.
    Connection,
    /// An open polling connection, no upgrade under way.
    Polling,
    /// An upgrade probe sent, not paused yet.
    Probing,
    /// Polling paused for the upgrade, `5` not sent yet.
    Paused,
}

fn refs(r: &[RoomRef]) -> String {
    let items: Vec<String> = r
        .iter()
        .map(|r| match r {
            RoomRef::Named(i) => format!("r{i}"),
            RoomRef::Private(c) => format!("#{c}"),
        })
        .collect();
    format!("[{}]", items.join(","))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Connect { client } => write!(f, "c{client} connect"),
            Op::Join { client, rooms } => write!(f, "c{client} join {rooms:?}"),
            Op::Leave { client, rooms } => write!(f, "c{client} leave {rooms:?}"),
            Op::Broadcast {
                client,
                target,
                rooms,
                except,
            } => write!(
                f,
                "c{client} broadcast {} rooms={} except={}",
                target.wire(),
                refs(rooms),
                refs(except)
            ),
            Op::EmitWithAck { client, reply } => write!(f, "c{client} emit-with-ack {reply:?}"),
            Op::ClientDisconnect { client } => write!(f, "c{client} sends 41"),
            Op::ServerDisconnect { client, close } => {
                write!(f, "c{client} server-disconnect close={close}")
            }
            Op::Drop {
                client,
                at: DropPoint::Transport,
            } => write!(f, "c{client} drops TCP"),
            Op::Drop { client, at } => write!(f, "c{client} drops ({at:?} when polling)"),
            Op::UpgradeProbe { client } => write!(f, "c{client} upgrade: probe (2probe)"),
            Op::UpgradePause { client, in_flight } => write!(
                f,
                "c{client} upgrade: 3probe, pause polling{}",
                if *in_flight {
                    " (a message POSTed as it starts)"
                } else {
                    ""
                }
            ),
            Op::UpgradeFinish { client } => write!(f, "c{client} upgrade: 5"),
            Op::UpgradeAbort { client } => {
                write!(
                    f,
                    "c{client} upgrade: probe WebSocket lost, polling goes on"
                )
            }
            Op::Reconnect {
                client,
                restore,
                late,
            } => write!(
                f,
                "c{client} reconnect {restore:?}{}",
                if *late { " after the window" } else { "" }
            ),
        }
    }
}

/// A generated case: how many clients are connected first, then the operations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Which server.
    pub kind: Kind,
    /// 2..=4 clients, each connected before the first operation.
    pub clients: u8,
    /// The operations (each `client` picks among the clients the operation can act on).
    pub ops: Vec<Op>,
    /// Client `i`'s transport (WebSocket when missing: cases saved before transports existed).
    #[serde(default)]
    pub transports: Vec<ClientTransport>,
}

impl Case {
    /// Client `c`'s transport.
    pub fn transport(&self, c: u8) -> ClientTransport {
        self.transports.get(c as usize).copied().unwrap_or_default()
    }

    /// `c0 polling, c1 websocket`, for reports.
    pub fn describe_transports(&self) -> String {
        (0..self.clients)
            .map(|c| format!("c{c} {}", self.transport(c).name()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn room_ref() -> impl Strategy<Value = RoomRef> {
    prop_oneof![
        3 => (0u8..3).prop_map(RoomRef::Named),
        1 => (0u8..4).prop_map(RoomRef::Private),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        1 => Just(Target::Myself),
        1 => Just(Target::All),
        1 => Just(Target::Others),
        2 => Just(Target::Rooms),
        2 => Just(Target::RoomsOthers),
    ]
}

fn restore() -> impl Strategy<Value = Restore> {
    prop_oneof![
        6 => Just(Restore::Last),
        2 => (0u8..3).prop_map(Restore::Older),
        1 => Just(Restore::NoOffset),
        1 => Just(Restore::UnknownOffset),
        1 => Just(Restore::UnknownPid),
    ]
}

/// A broadcast from one of the clients; an empty `except` list `empty_except` times as likely
/// as one or two rooms excepted.
fn broadcast(empty_except: u32) -> impl Strategy<Value = Op> {
    let except = prop_oneof![empty_except => Just(Vec::new()), 1 => vec(room_ref(), 1..=2)];
    (0u8..4, target(), vec(room_ref(), 0..=2), except).prop_map(
        |(client, target, rooms, except)| Op::Broadcast {
            client,
            target,
            rooms,
            except,
        },
    )
}

fn op(kind: Kind) -> impl Strategy<Value = Op> {
    let c = || 0u8..4;
    let rooms = || vec(0u8..3, 1..=2);
    let broadcast = broadcast(2);
    let reply = prop_oneof![
        Just(AckReply::Once),
        Just(AckReply::Twice),
        Just(AckReply::WrongNamespaceFirst)
    ];
    // Weights: rooms runs are about membership and targets; recovery runs about drops.
    let (w_bc, w_join, w_drop, w_rec) = match kind {
        Kind::Rooms | Kind::Cluster => (8, 5, 1, 1),
        Kind::Recovery => (6, 3, 3, 4),
        Kind::Upgrade => unreachable!("the upgrade set has its own mix"),
    };
    prop_oneof![
        w_bc => broadcast,
        w_join => (c(), rooms()).prop_map(|(client, rooms)| Op::Join { client, rooms }),
        2 => (c(), rooms()).prop_map(|(client, rooms)| Op::Leave { client, rooms }),
        1 => (c(), reply).prop_map(|(client, reply)| Op::EmitWithAck { client, reply }),
        1 => c().prop_map(|client| Op::ClientDisconnect { client }),
        1 => (c(), any::<bool>()).prop_map(|(client, close)| Op::ServerDisconnect { client, close }),
        w_drop => (c(), drop_point()).prop_map(|(client, at)| Op::Drop { client, at }),
        2 => c().prop_map(|client| Op::Connect { client }),
        w_rec => (c(), restore(), prop::bool::weighted(0.25))
            .prop_map(|(client, restore, late)| Op::Reconnect { client, restore, late }),
    ]
}

/// The `upgrade` set: room traffic in every direction around the three upgrade steps (no
/// drops, no server disconnects: the upgrade is the subject).
fn upgrade_op() -> impl Strategy<Value = Op> {
    let c = || 0u8..4;
    let rooms = || vec(0u8..3, 1..=2);
    let broadcast = broadcast(3);
    prop_oneof![
        8 => broadcast,
        3 => (c(), rooms()).prop_map(|(client, rooms)| Op::Join { client, rooms }),
        1 => (c(), rooms()).prop_map(|(client, rooms)| Op::Leave { client, rooms }),
        1 => c().prop_map(|client| Op::EmitWithAck { client, reply: AckReply::Once }),
        1 => c().prop_map(|client| Op::ClientDisconnect { client }),
        1 => c().prop_map(|client| Op::Connect { client }),
        3 => c().prop_map(|client| Op::UpgradeProbe { client }),
        3 => (c(), any::<bool>())
            .prop_map(|(client, in_flight)| Op::UpgradePause { client, in_flight }),
        3 => c().prop_map(|client| Op::UpgradeFinish { client }),
        1 => c().prop_map(|client| Op::UpgradeAbort { client }),
    ]
}

/// Cases of `kind` with up to `max_ops` operations.
pub fn cases(kind: Kind, max_ops: usize) -> BoxedStrategy<Case> {
    let (clients, transports, ops) = match kind {
        Kind::Upgrade => (
            2u8..=3,
            vec(mostly_polling(), 4).boxed(),
            vec(upgrade_op(), 1..=max_ops).boxed(),
        ),
        _ => (
            2u8..=4,
            vec(mixed(), 4).boxed(),
            vec(op(kind), 1..=max_ops).boxed(),
        ),
    };
    (clients, transports, ops)
        .prop_map(move |(clients, transports, ops)| Case {
            kind,
            clients,
            ops,
            transports,
        })
        .boxed()
}
