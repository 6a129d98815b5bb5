//! Fault injection: realistic protocol bugs that the conformance suite must catch. Each [`Fault`]
//! is one behaviour change at the exact site where implementations got it wrong, selected per
//! server instance (the server crate's `EngineConfig::with_fault` and `SocketIoConfig::with_fault`;
//! `sio-contract-server --fault NAME`), never by a global. The suite's self-tests run it against
//! each one and assert that some case fails; `FAULTS.md` lists them with the cases that caught
//! each.
//!
//! The table is always compiled (it is a list of names); what the cargo feature `faults` (off by
//! default) adds is the one way to arm a fault, [`Injected::fault`]. A server instance carries an
//! [`Injected`] that, without the feature, can only be empty: [`Injected::is`] is then `false` at
//! compile time and every hook folds away, and with the feature a server that was not given a
//! fault behaves as without it. So the feature is additive, the hooks and the production paths
//! are both compiled in every build, and nothing else in the code depends on the feature. A hook
//! reads, at its site:
//!
//! ```text
//! if self.cfg.fault.is(Fault::PollingNoSeparator) { … the bug … } else { … Node's behaviour … }
//! ```

/// The fault a server instance runs with: none, unless a test armed one (feature `faults`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Injected {
    /// The armed fault. The field only exists with the feature, so a build without it has no
    /// way to arm one.
    #[cfg(feature = "faults")]
    armed: Option<Fault>,
}

impl Injected {
    /// No fault: the behaviour of the official server.
    pub const NONE: Injected = Injected {
        #[cfg(feature = "faults")]
        armed: None,
    };

    /// `fault` armed (`None`: no fault). Tests only.
    #[cfg(feature = "faults")]
    pub fn fault(fault: Option<Fault>) -> Injected {
        Injected { armed: fault }
    }

    /// `fault` armed, or `None` in a build without the feature `faults` (which cannot arm one):
    /// for a command line that takes a fault's name in every build and says why it refuses it.
    pub fn try_arm(fault: Fault) -> Option<Injected> {
        #[cfg(feature = "faults")]
        return Some(Injected::fault(Some(fault)));
        #[cfg(not(feature = "faults"))]
        {
            let _ = fault;
            None
        }
    }

    /// Whether `fault` is armed: the test at every hook.
    #[inline(always)]
    pub fn is(self, fault: Fault) -> bool {
        self.armed() == Some(fault)
    }

    /// The armed fault, if any.
    #[inline(always)]
    pub fn armed(self) -> Option<Fault> {
        #[cfg(feature = "faults")]
        return self.armed;
        #[cfg(not(feature = "faults"))]
        None
    }
}

/// Defines [`Fault`] and its table from one list: variant, name, description, imitated bug.
macro_rules! faults {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $description:literal, $imitates:literal;)*) => {
        /// One injected protocol bug.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Fault {
            $($(#[$doc])* $variant,)*
        }

        impl Fault {
            /// Every fault, in documentation order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)*];

            /// The name used by `--fault` and in FAULTS.md.
            pub fn name(self) -> &'static str {
                match self { $(Fault::$variant => $name,)* }
            }

            /// What the server does wrong, in one line.
            pub fn description(self) -> &'static str {
                match self { $(Fault::$variant => $description,)* }
            }

            /// The kind of bug real implementations had that this imitates.
            pub fn imitates(self) -> &'static str {
                match self { $(Fault::$variant => $imitates,)* }
            }
        }
    };
}

faults! {
    // Engine.IO: framing and handshake.
    /// `session/src/polling.rs#polling_send`.
    PollingNoSeparator => "polling-no-separator",
        "a polling payload joins its packets without the 0x1E record separator",
        "v3 payload framing half-ported to v4: records concatenated, lengths dropped, no separator";
    /// `session/src/lib.rs#send_open`.
    HandshakeNoMaxPayload => "handshake-no-max-payload",
        "the open packet leaves out `maxPayload`",
        "handshakes written from the v3 spec, which has no maxPayload key";
    /// `session/src/lib.rs#open_websocket`.
    WebsocketHandshakeUpgrades => "websocket-handshake-upgrades",
        "a session opened over WebSocket announces `\"upgrades\":[\"websocket\"]`",
        "the upgrades list computed from the server's transports instead of the session's current one";
    /// `verify.rs#verify`.
    UnknownSidWrongCode => "unknown-sid-wrong-code",
        "a request with an unknown sid gets error code 3 (Bad request) instead of 1 (Session ID unknown)",
        "every request error mapped to one generic 400 Bad request";
    /// `verify.rs#verify`.
    UnknownTransportAsPolling => "unknown-transport-as-polling",
        "a transport name the server does not know (`__proto__`, `toString`) is served as polling instead of being refused with code 0",
        "transports looked up loosely (\"websocket, else polling\"; a plain-object lookup that finds `__proto__`, CVE-2023-31125)";
    // Engine.IO: polling and upgrade.
    /// `session/src/polling.rs#poll_get`.
    DuplicateGetAccepted => "duplicate-get-accepted",
        "a second concurrent polling GET gets 400 but the session stays open",
        "request overlap refused without closing the session (engine.io closes it)";
    /// `session/src/upgrade.rs#upgrade_timers`.
    UpgradeNoNoop => "upgrade-no-noop",
        "after `2probe` a held polling GET is never released with a noop `6`",
        "upgrade implementations that forget the pending long poll, so the client cannot pause polling";
    /// `session/src/upgrade.rs#complete_upgrade`.
    UpgradeDropsBuffered => "upgrade-drops-buffered",
        "packets queued for the polling transport (no GET held) when `5` completes the upgrade are discarded instead of being sent over the WebSocket",
        "the transport swapped without carrying over the old transport's write buffer";
    /// `session/src/upgrade.rs#complete_upgrade`.
    UpgradeSendsBufferedTwice => "upgrade-sends-buffered-twice",
        "packets queued for the polling transport (no GET held) when `5` completes the upgrade are sent over the WebSocket twice: the whole queue, then the whole queue again",
        "the write buffer handed to the new transport without being cleared, then flushed again";
    /// `server/polling.rs#request`.
    PostLimitUnenforced => "post-limit-unenforced",
        "a POST body over maxHttpBufferSize is accepted (200) instead of refused with 413",
        "the body read without a limit (maxHttpBufferSize only announced)";
    /// `server/websocket.rs#after_upgrade`.
    WsLimitUnenforced => "ws-limit-unenforced",
        "a WebSocket message over maxHttpBufferSize is accepted instead of closing with 1009",
        "the WebSocket library's own (larger) default message size left in place";
    // Engine.IO: heartbeat.
    /// `session/src/lib.rs#handle_timeout`.
    PingTimeoutNeverFires => "ping-timeout-never-fires",
        "an unanswered ping never closes the session",
        "a ping timer without the matching pong deadline: dead clients linger forever";
    /// `session/src/lib.rs#on_packet`.
    PongNotRescheduling => "pong-not-rescheduling",
        "a pong clears the pong deadline but does not arm the next ping: the server pings once",
        "the v4 server-side ping ported as a one-shot timer that only the handshake arms";
    /// `session/src/lib.rs#on_packet`.
    ClientPingAnswered => "client-ping-answered",
        "a client ping `2` over v4 is answered with `3` instead of closing the session",
        "v3 heartbeat direction (the client pings) kept under EIO=4";
    // Socket.IO: packets.
    /// `socketio/ack.rs#AckSender::send`.
    AckWithoutNamespace => "ack-without-namespace",
        "an ACK to a packet of a custom namespace is sent without the namespace (`43…` instead of `43/nsp,…`)",
        "acks built from the id and arguments only, as if every socket lived on `/`";
    /// `socketio/socket.rs#on_connect`.
    ConnectReplyWithoutComma => "connect-reply-without-comma",
        "the CONNECT reply of a custom namespace has no `,` between namespace and payload",
        "a hand-written encoder that appends the JSON right after the namespace";
    /// `socketio/client.rs#finish_join`.
    ConnectErrorWithoutData => "connect-error-without-data",
        "a middleware refusal's CONNECT_ERROR leaves out `data`",
        "connect errors serialised from the error message alone";
    /// `socketio/client.rs#on_data`.
    DecodeErrorIgnored => "decode-error-ignored",
        "a Socket.IO packet that does not decode is dropped and the connection stays open",
        "lenient parsers that log and skip invalid packets (reserved event names, bad types, bad ids)";
    /// `socketio/client.rs#on_decoded`.
    EventBeforeConnectIgnored => "event-before-connect-ignored",
        "an EVENT/ACK/DISCONNECT for a namespace the client has not joined is ignored instead of closing",
        "packets routed by namespace with a silent drop for unknown ones";
    /// `socketio/client.rs#run`.
    ConnectTimeoutNeverFires => "connect-timeout-never-fires",
        "an engine connection that joins no namespace is never closed (connectTimeout ignored)",
        "connectTimeout not implemented: idle engine connections are kept";
    /// `socketio/socket.rs#emit_inner`.
    BinaryEmitAckAsBinaryAck => "binary-emit-ack-as-binary-ack",
        "a server emit with an ack id whose arguments carry binary goes out as BINARY_ACK (`6<n>-…`) instead of BINARY_EVENT (`5<n>-…`)",
        "the binary packet type chosen from 'has an ack id' instead of from the packet being an EVENT";
    /// `socketio/socket.rs#on_ack`.
    AckIdNotForgotten => "ack-id-not-forgotten",
        "a server ack callback stays registered after the client's ACK, so a duplicate ACK runs it again",
        "ack callbacks looked up by id and never removed from the table once called";
    // Socket.IO: advisories (see conformance/src/cases/security.rs).
    /// `socketio/socket.rs#on_event`.
    ErrorEventKillsSessions => "error-event-kills-sessions",
        "a client EVENT named `error` drops every session of the namespace (the process crash of CVE-2024-38355, seen from the clients)",
        "a client event named `error` emitted on the server's own event emitter, where an unhandled `error` throws";
    /// `socketio/client.rs#on_data`.
    EventNameUnchecked => "event-name-unchecked",
        "an EVENT whose name is not a string or number drops every session of the connection's namespaces (the process crash of CVE-2023-32695, seen from the clients)",
        "event names taken from the payload without a type check and used as strings";
    /// `socketio/client.rs#on_data`.
    PlaceholderIndexUnchecked => "placeholder-index-unchecked",
        "a binary placeholder whose `num` is not an index of the attachments received is replaced by null instead of failing the packet",
        "attachments looked up with the placeholder's `num` as given (CVE-2022-2421: `num:\"splice\"` gave a function)";
    /// `socketio/client.rs#run`.
    AttachmentLimitUnenforced => "attachment-limit-unenforced",
        "a BINARY_EVENT header may announce any number of attachments; the server waits for all of them",
        "no maxAttachments (CVE-2026-33151): a header announcing millions of attachments makes the server buffer them";
    // Socket.IO: rooms and broadcasts.
    /// `socketio/socket.rs#broadcast`.
    BroadcastReachesSender => "broadcast-reaches-sender",
        "`socket.broadcast` / `socket.to(room)` also deliver to the sending socket",
        "broadcast-to-others implemented as broadcast-to-all";
    /// `socketio/adapter.rs#broadcast`.
    RoomsDeliverTwice => "rooms-deliver-twice",
        "a broadcast to several rooms reaches a socket in two of them twice",
        "room fan-out that loops over rooms without de-duplicating sockets";
    /// `socketio/broadcast.rs#except`.
    ExceptIgnored => "except-ignored",
        "`except(rooms)` is ignored: the excluded sockets get the broadcast",
        "`except` accepted by the API but not applied by the adapter";
    /// `socketio/socket.rs#on_close`.
    DisconnectKeepsRooms => "disconnect-keeps-rooms",
        "a client DISCONNECT (`41`) leaves the socket in its rooms, so room broadcasts still reach the connection",
        "namespace leave that forgets to clean the adapter (rooms only cleaned on transport close)";
    // Socket.IO: connection state recovery.
    /// `socketio/client.rs#join`, `socketio/socket.rs#on_connect`.
    RecoveryReplayAfterConnect => "recovery-replay-after-connect",
        "missed events are replayed after the CONNECT reply instead of before it",
        "recovery that restores the socket first and replays the backlog from the connection handler";
    /// `socketio/adapter.rs#broadcast`.
    RecoveryOffsetMissing => "recovery-offset-missing",
        "broadcast events are kept for recovery but sent without their offset as last argument",
        "offsets stored server-side only, so the client never learns where to resume";
}

impl Fault {
    /// The fault called `name`.
    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.iter().copied().find(|f| f.name() == name)
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate fault name {f}");
            assert_eq!(Fault::from_name(f.name()), Some(f));
            assert!(!f.description().is_empty() && !f.imitates().is_empty());
        }
        assert!(Fault::ALL.len() >= 15);
    }

    #[test]
    fn a_fault_displays_as_its_name() {
        // `sio-contract-server --fault NAME` and the self-tests' messages print it so.
        assert_eq!(
            Fault::PollingNoSeparator.to_string(),
            "polling-no-separator"
        );
        assert_eq!(
            format!("{}", Fault::RecoveryOffsetMissing),
            "recovery-offset-missing"
        );
    }

    #[cfg(feature = "faults")]
    #[test]
    fn try_arm_arms_the_fault_with_the_feature() {
        let armed = Injected::try_arm(Fault::UpgradeNoNoop).expect("the feature arms faults");
        assert_eq!(armed.armed(), Some(Fault::UpgradeNoNoop));
        assert!(armed.is(Fault::UpgradeNoNoop));
        assert!(!armed.is(Fault::PollingNoSeparator));
    }

    #[cfg(not(feature = "faults"))]
    #[test]
    fn try_arm_refuses_without_the_feature() {
        assert_eq!(Injected::try_arm(Fault::UpgradeNoNoop), None);
        assert_eq!(Injected::NONE.armed(), None);
    }
}
