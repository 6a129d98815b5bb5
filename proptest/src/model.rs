//! The reference model: what a Socket.IO server (socket.io 4.8.4 semantics, validated against
//! the pinned Node harness) sends each client after each operation.
//!
//! State: per client its connection, its socket in the test namespace (id, rooms in join order,
//! the private room being the id) and in the anchor namespace, the join order of its namespaces,
//! the ack ids it used, the offsets it received; per namespace the server's ack-id counter; with
//! recovery, the server's packet buffer (every stamped EVENT with its rooms/except) and the
//! persisted sessions (`{sid, pid, rooms, disconnectedAt}` by pid), as in
//! socket.io-adapter's `SessionAwareAdapter`:
//!
//! ```text
//! persist    on a recoverable close only (a dropped transport), never after 41 or a server disconnect
//! restore    pid known AND not expired (1000 ms) AND offset found in the buffer
//!            → the buffered packets after the offset that match the session's rooms, minus
//!              except, each with its original offset, THEN the CONNECT reply {old sid, old pid}
//! kept       a restored or refused session stays stored (Node does not delete it), so a later
//!            CONNECT with the same pid within the window restores it again
//! ```
//!
//! The model turns an operation into a [`Plan`]: the frames to send, what the acting client
//! must receive (in order, with holes for values only the server knows: socket ids, pids,
//! offsets, server ack ids), and what every other client must receive before its next marker
//! echo. Values the server chose are fed back with [`Model::learn`].

use super::ops::{AckReply, Kind, Need, Op, Restore, RoomRef, Target};
use super::transports::{ClientTransport, DropAct};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

mod upgrade;

/// maxDisconnectionDuration of the contract's sio-recovery server.
pub const WINDOW: Duration = Duration::from_millis(1000);
/// A reconnect this soon after the drop is surely inside the window (server-side lag included).
pub const SURELY_INSIDE: Duration = Duration::from_millis(700);
/// A reconnect this late is surely outside it.
pub const SURELY_OUTSIDE: Duration = Duration::from_millis(1300);
/// Offsets older than this may have been pruned by Node's 60 s buffer cleanup (which drops
/// packets older than the window); the model only restores from offsets younger than this.
pub const FRESH_OFFSET: Duration = Duration::from_millis(900);

/// A deliberate bug in the model, to prove the properties can fail and shrink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Recipients are computed without `except`.
    ForgetExcept,
    /// Missed events are expected after the CONNECT reply instead of before it.
    MissedAfterConnect,
    /// What a client is sent while paused for its upgrade is expected to be lost at the
    /// switch (the executor forgets it).
    ForgetPausedFrames,
}

/// A frame a client must receive: a pattern with `<holes>` and what to learn from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Literal text with `<sid>`, `<pid>`, `<off>`, `<srv>`, `<*>` holes.
    pub pattern: String,
    /// What the captured values teach the model.
    pub learn: Vec<Learn>,
}

/// A value the server chose, to feed back into the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Learn {
    /// `<sid>` is the client's new socket id in the namespace (different from `not`).
    Sid {
        /// Client.
        client: u8,
        /// A value it must not be (the old id, when recovery must NOT happen).
        not: Option<String>,
    },
    /// `<pid>` is the client's new private session id.
    Pid {
        /// Client.
        client: u8,
        /// A value it must not be.
        not: Option<String>,
    },
    /// `<off>` is the offset of buffered packet `packet`, received by `client`.
    Offset {
        /// Receiver.
        client: u8,
        /// Index in the model's buffer.
        packet: usize,
    },
    /// `<srv>` is the server's ack id (digits; equal to `expected` when the model knows it).
    ServerAck {
        /// The predicted id.
        expected: Option<u64>,
    },
}

/// One action of a plan, run in order by the live executor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Act {
    /// Sleep until this instant (only to get past maxDisconnectionDuration).
    WaitUntil(Instant),
    /// Open a new connection for the client (its transport: a WebSocket, or a polling
    /// handshake and poller) and read the open packet.
    Open(u8),
    /// The whole upgrade of a polling client, at once: probe, `3probe`, pause, `5`.
    Upgrade(u8),
    /// Upgrade step: WebSocket with the sid, `2probe`.
    Probe(u8),
    /// Upgrade step: `3probe`, then pause polling (the pending GET must be released promptly),
    /// with a packet POSTed as the pause starts (its answer is predicted in `others`).
    Pause(u8, Option<String>),
    /// Upgrade step: `5`.
    Finish(u8),
    /// The probe WebSocket drops before `5`; polling goes on.
    AbortProbe(u8),
    /// Send a text frame (`<srv>` is replaced by the captured server ack id).
    Send(u8, String),
    /// The client's next frame.
    Expect(u8, Frame),
    /// The client's connection closes next.
    ExpectClose(u8),
    /// Drop the client's transport there (for a polling drop the executor then reports when
    /// the server closed the session: [`Model::closed_at`]).
    Drop(u8, DropAct),
}

/// What one operation does and what every client must see.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The operation as applied (with the client it picked).
    pub desc: String,
    /// The acting client's script.
    pub acts: Vec<Act>,
    /// Frames other clients must receive before their marker echo.
    pub others: BTreeMap<u8, Vec<Frame>>,
}

#[derive(Clone, Debug)]
struct Sock {
    sid: String,
    /// Rooms joined, in join order, without the private room (which comes first).
    joined: Vec<String>,
}

impl Sock {
    fn rooms(&self) -> Vec<String> {
        let mut r = vec![self.sid.clone()];
        r.extend(self.joined.iter().cloned());
        r
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ns {
    Main,
    Anchor,
}

#[derive(Clone, Debug)]
struct Received {
    offset: String,
    packet: usize,
    at: Instant,
}

/// Where a polling client is in the step-by-step upgrade of the `upgrade` set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    /// No upgrade under way.
    #[default]
    Idle,
    /// `2probe` sent; polling goes on.
    Probing,
    /// Polling paused; the client neither sends nor reads until `5`.
    Paused,
}

#[derive(Clone, Debug, Default)]
struct Client {
    engine: bool,
    transport: ClientTransport,
    /// The current connection is a polling one (not upgraded yet).
    polling: bool,
    phase: Phase,
    /// The pid whose session the last drop persisted (its time is corrected by `closed_at`).
    dropped_pid: Option<String>,
    main: Option<Sock>,
    /// Namespaces joined on the current connection, in join order.
    order: Vec<Ns>,
    sid: Option<String>,
    pid: Option<String>,
    next_id: u64,
    offsets: Vec<Received>,
}

#[derive(Clone, Debug)]
struct Packet {
    head: String,
    rooms: Vec<String>,
    except: Vec<String>,
    offset: Option<String>,
}

#[derive(Clone, Debug)]
struct Session {
    sid: String,
    rooms: Vec<String>,
    at: Instant,
}

/// The reference model of one case.
#[derive(Clone, Debug)]
pub struct Model {
    kind: Kind,
    nsp: String,
    anchor: String,
    rooms: [String; 3],
    fault: Option<Fault>,
    clients: Vec<Client>,
    buffer: Vec<Packet>,
    sessions: HashMap<String, Session>,
    next_server_ack: u64,
    counter: u64,
    late_used: bool,
    /// Reconnects the model predicted to recover (coverage statistics).
    pub recoveries: usize,
}

fn placeholder(client: u8) -> String {
    format!("\u{0}sid-of-{client}")
}

fn prefix(nsp: &str) -> String {
    if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    }
}

fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

impl Model {
    /// A model for a case of `kind`: `nsp` is the test namespace, `unique` makes room names unique.
    pub fn new(kind: Kind, nsp: &str, unique: &str, fault: Option<Fault>) -> Model {
        let anchor = match kind {
            Kind::Rooms | Kind::Upgrade => "/",
            Kind::Recovery | Kind::Cluster => "/custom",
        };
        Model {
            kind,
            nsp: nsp.to_string(),
            anchor: anchor.to_string(),
            rooms: [0, 1, 2].map(|i| format!("{unique}r{i}")),
            fault,
            clients: vec![Client::default(); 4],
            buffer: Vec::new(),
            sessions: HashMap::new(),
            next_server_ack: 0,
            counter: 0,
            late_used: false,
            recoveries: 0,
        }
    }

    /// The deliberate model bug, if any.
    pub fn fault(&self) -> Option<Fault> {
        self.fault
    }

    /// The test namespace.
    pub fn nsp(&self) -> &str {
        &self.nsp
    }

    fn stamped(&self) -> bool {
        self.kind == Kind::Recovery
    }

    fn n(&self) -> String {
        prefix(&self.nsp)
    }

    fn a(&self) -> String {
        prefix(&self.anchor)
    }

    /// Each client's transport (before the first plan).
    pub fn set_transports(&mut self, transports: &[ClientTransport]) {
        for (c, t) in self.clients.iter_mut().zip(transports) {
            c.transport = *t;
        }
    }

    /// Whether the client has an open connection.
    pub fn connected(&self, client: u8) -> bool {
        self.clients[client as usize].engine
    }

    fn next_id(&mut self, client: u8) -> u64 {
        let c = &mut self.clients[client as usize];
        c.next_id += 1;
        c.next_id
    }

    fn sid_of(&self, client: u8) -> String {
        self.clients[client as usize]
            .sid
            .clone()
            .unwrap_or_else(|| format!("nobody-{client}"))
    }

    fn room(&self, r: RoomRef) -> String {
        match r {
            RoomRef::Named(i) => self.rooms[i as usize % 3].clone(),
            RoomRef::Private(c) => self.sid_of(c % 4),
        }
    }

    /// A server EVENT: with recovery the offset is appended as the last argument and the
    /// packet is buffered (`packet`), else the array closes as is.
    fn event(&self, head: &str, packet: Option<usize>, client: u8) -> Frame {
        if !self.stamped() {
            return Frame {
                pattern: format!("{head}]"),
                learn: Vec::new(),
            };
        }
        match packet {
            Some(p) => match &self.buffer[p].offset {
                Some(o) => Frame {
                    pattern: format!("{head},{}]", q(o)),
                    learn: vec![Learn::Offset { client, packet: p }],
                },
                None => Frame {
                    pattern: format!("{head},\"<off>\"]"),
                    learn: vec![Learn::Offset { client, packet: p }],
                },
            },
            None => Frame {
                pattern: format!("{head},\"<*>\"]"),
                learn: Vec::new(),
            },
        }
    }

    fn buffer_packet(
        &mut self,
        head: &str,
        rooms: Vec<String>,
        except: Vec<String>,
    ) -> Option<usize> {
        if !self.stamped() {
            return None;
        }
        self.buffer.push(Packet {
            head: head.to_string(),
            rooms,
            except,
            offset: None,
        });
        Some(self.buffer.len() - 1)
    }

    fn frame(text: String) -> Frame {
        Frame {
            pattern: text,
            learn: Vec::new(),
        }
    }

    /// Joins the test namespace on an open connection with a fresh socket (`payload` = auth).
    fn join_fresh(
        &mut self,
        plan: &mut Plan,
        client: u8,
        payload: Option<&str>,
        not: Option<(&str, &str)>,
    ) {
        let n = self.n();
        plan.acts
            .push(Act::Send(client, format!("40{n}{}", payload.unwrap_or(""))));
        let mut learn = vec![Learn::Sid {
            client,
            not: not.map(|(s, _)| s.to_string()),
        }];
        let pattern = if self.stamped() {
            learn.push(Learn::Pid {
                client,
                not: not.map(|(_, p)| p.to_string()),
            });
            format!(r#"40{n}{{"sid":"<sid>","pid":"<pid>"}}"#)
        } else {
            format!(r#"40{n}{{"sid":"<sid>"}}"#)
        };
        plan.acts
            .push(Act::Expect(client, Frame { pattern, learn }));
        let head = format!(r#"42{n}["auth",{}"#, payload.unwrap_or("{}"));
        let p = self.buffer_packet(&head, vec![placeholder(client)], Vec::new());
        let auth = self.event(&head, p, client);
        plan.acts.push(Act::Expect(client, auth));
        let c = &mut self.clients[client as usize];
        c.main = Some(Sock {
            sid: placeholder(client),
            joined: Vec::new(),
        });
        c.order.retain(|ns| *ns != Ns::Main);
        c.order.push(Ns::Main);
    }

    fn join_anchor(&mut self, plan: &mut Plan, client: u8) {
        let a = self.a();
        plan.acts.push(Act::Send(client, format!("40{a}")));
        let reply = if self.stamped() {
            format!(r#"40{a}{{"sid":"<*>","pid":"<*>"}}"#)
        } else {
            format!(r#"40{a}{{"sid":"<*>"}}"#)
        };
        plan.acts.push(Act::Expect(client, Self::frame(reply)));
        let auth = self.event(&format!(r#"42{a}["auth",{{}}"#), None, client);
        plan.acts.push(Act::Expect(client, auth));
        let c = &mut self.clients[client as usize];
        c.order.push(Ns::Anchor);
        // A fresh connection of a polling-then-upgrade client upgrades once its namespaces
        // are joined (their CONNECT replies and `auth` events came over polling).
        if c.transport == ClientTransport::PollingThenUpgrade && c.polling {
            plan.acts.push(Act::Upgrade(client));
            c.polling = false;
        }
    }

    fn open(&mut self, plan: &mut Plan, client: u8) {
        plan.acts.push(Act::Open(client));
        let c = &mut self.clients[client as usize];
        c.engine = true;
        c.polling = c.transport != ClientTransport::Websocket;
        c.phase = Phase::Idle;
        c.order.clear();
    }

    /// The plan that connects client `client` before the first operation.
    pub fn initial_connect(&mut self, client: u8) -> Plan {
        let mut plan = Plan::default();
        self.open(&mut plan, client);
        self.join_fresh(&mut plan, client, None, None);
        self.join_anchor(&mut plan, client);
        plan
    }

    /// The marker round trip proving a client received nothing more: what to send and the echo
    /// that must be its next frame. `None` when the client has no open connection.
    pub fn marker(&mut self, client: u8, tag: &str) -> Option<(String, Frame)> {
        let c = &self.clients[client as usize];
        if !c.engine {
            return None;
        }
        if let Some(sock) = &c.main {
            let n = self.n();
            let head = format!(r#"42{n}["message-back","{tag}""#);
            let sid = sock.sid.clone();
            let p = self.buffer_packet(&head, vec![sid], Vec::new());
            Some((
                format!(r#"42{n}["message","{tag}"]"#),
                self.event(&head, p, client),
            ))
        } else {
            let a = self.a();
            let head = format!(r#"42{a}["message-back","{tag}""#);
            Some((
                format!(r#"42{a}["message","{tag}"]"#),
                self.event(&head, None, client),
            ))
        }
    }

    /// The plan of one operation (its client picked among those it can act on), or `None`
    /// when no client can.
    pub fn prepare(&mut self, op: &Op, clients: u8, now: Instant) -> Option<Plan> {
        self.counter += 1;
        let k = self.counter;
        let candidates: Vec<u8> = (0..clients)
            .filter(|c| {
                let c = &self.clients[*c as usize];
                // A paused client neither sends nor reads until it finishes its upgrade.
                if c.phase == Phase::Paused {
                    return op.needs() == Need::Paused;
                }
                match op.needs() {
                    Need::Socket => c.main.is_some(),
                    Need::NoSocket => c.main.is_none(),
                    Need::Connection => c.engine,
                    Need::Polling => c.engine && c.polling && c.phase == Phase::Idle,
                    Need::Probing => c.phase == Phase::Probing,
                    Need::Paused => false,
                }
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let client = candidates[op.client() as usize % candidates.len()];
        let n = self.n();
        let has_main = self.clients[client as usize].main.is_some();
        let mut plan = Plan {
            desc: op.with_client(client).to_string(),
            ..Plan::default()
        };
        match op {
            Op::Connect { .. } => {
                if has_main {
                    return None;
                }
                let fresh_engine = !self.clients[client as usize].engine;
                if fresh_engine {
                    self.open(&mut plan, client);
                }
                self.join_fresh(&mut plan, client, None, None);
                if fresh_engine {
                    self.join_anchor(&mut plan, client);
                }
            }
            Op::Join { rooms, .. } | Op::Leave { rooms, .. } => {
                if !has_main {
                    return None;
                }
                let join = matches!(op, Op::Join { .. });
                let names: Vec<String> = rooms
                    .iter()
                    .map(|r| self.room(RoomRef::Named(*r)))
                    .collect();
                let id = self.next_id(client);
                let ev = if join { "join" } else { "leave" };
                plan.acts.push(Act::Send(
                    client,
                    format!("42{n}{id}{}", json!([ev, names])),
                ));
                let sock = self.clients[client as usize].main.as_mut()?;
                for r in names {
                    if join {
                        if r != sock.sid && !sock.joined.contains(&r) {
                            sock.joined.push(r);
                        }
                    } else {
                        sock.joined.retain(|x| *x != r);
                    }
                }
                let ack = format!("43{n}{id}{}", json!([sock.rooms()]));
                plan.acts.push(Act::Expect(client, Self::frame(ack)));
            }
            Op::Broadcast {
                target,
                rooms,
                except,
                ..
            } => {
                if !has_main {
                    return None;
                }
                let sid = self.clients[client as usize].main.as_ref()?.sid.clone();
                let rooms: Vec<String> = rooms.iter().map(|r| self.room(*r)).collect();
                let except: Vec<String> = except.iter().map(|r| self.room(*r)).collect();
                let id = self.next_id(client);
                let event = format!("e{k}");
                let spec = json!({"target": target.wire(), "rooms": rooms, "except": except, "event": event, "args": [k]});
                plan.acts.push(Act::Send(
                    client,
                    format!("42{n}{id}{}", json!(["broadcast", spec])),
                ));
                let mut ex = if self.fault == Some(Fault::ForgetExcept) {
                    Vec::new()
                } else {
                    except.clone()
                };
                let to = match target {
                    Target::Myself => {
                        ex.clear();
                        vec![sid.clone()]
                    }
                    Target::All => Vec::new(),
                    Target::Others => {
                        ex.push(sid.clone());
                        Vec::new()
                    }
                    Target::Rooms => rooms.clone(),
                    Target::RoomsOthers => {
                        ex.push(sid.clone());
                        rooms.clone()
                    }
                };
                let head = format!(r#"42{n}["{event}",{k}"#);
                let p = self.buffer_packet(&head, to.clone(), ex.clone());
                for (i, c) in self.clients.iter().enumerate() {
                    let Some(sock) = &c.main else { continue };
                    if !matches(&sock.rooms(), &to, &ex) {
                        continue;
                    }
                    let frame = self.event(&head, p, i as u8);
                    if i as u8 == client {
                        plan.acts.push(Act::Expect(client, frame));
                    } else {
                        plan.others.entry(i as u8).or_default().push(frame);
                    }
                }
                plan.acts
                    .push(Act::Expect(client, Self::frame(format!("43{n}{id}[]"))));
            }
            Op::EmitWithAck { reply, .. } => {
                if !has_main {
                    return None;
                }
                let sid = self.clients[client as usize].main.as_ref()?.sid.clone();
                let id = self.next_id(client);
                let spec = json!({"event": format!("ask{k}"), "args": [k], "timeout": 5000});
                plan.acts.push(Act::Send(
                    client,
                    format!("42{n}{id}{}", json!(["emit-with-ack", spec])),
                ));
                let expected = match self.kind {
                    Kind::Rooms | Kind::Upgrade => {
                        self.next_server_ack += 1;
                        Some(self.next_server_ack - 1)
                    }
                    // `/` is shared by every case a cluster runs: its ack ids go on from
                    // the last case's.
                    Kind::Recovery | Kind::Cluster => None,
                };
                plan.acts.push(Act::Expect(
                    client,
                    Frame {
                        pattern: format!(r#"42{n}<srv>["ask{k}",{k}]"#),
                        learn: vec![Learn::ServerAck { expected }],
                    },
                ));
                plan.acts
                    .push(Act::Expect(client, Self::frame(format!("43{n}{id}[]"))));
                if *reply == AckReply::WrongNamespaceFirst {
                    let a = self.a();
                    plan.acts
                        .push(Act::Send(client, format!(r#"43{a}<srv>["no"]"#)));
                }
                plan.acts
                    .push(Act::Send(client, format!(r#"43{n}<srv>["yes"]"#)));
                if *reply == AckReply::Twice {
                    plan.acts
                        .push(Act::Send(client, format!(r#"43{n}<srv>["yes"]"#)));
                }
                let head = format!(r#"42{n}["emit-with-ack-result",{{"args":["yes"]}}"#);
                let p = self.buffer_packet(&head, vec![sid], Vec::new());
                let frame = self.event(&head, p, client);
                plan.acts.push(Act::Expect(client, frame));
            }
            Op::ClientDisconnect { .. } => {
                if !has_main {
                    return None;
                }
                plan.acts.push(Act::Send(client, format!("41{n}")));
                let c = &mut self.clients[client as usize];
                c.main = None;
                c.order.retain(|ns| *ns != Ns::Main);
            }
            Op::ServerDisconnect { close, .. } => {
                if !has_main {
                    return None;
                }
                plan.acts.push(Act::Send(
                    client,
                    format!("42{n}{}", json!(["server-disconnect", {"close": close}])),
                ));
                let a = self.a();
                let c = &mut self.clients[client as usize];
                if *close {
                    // socket.disconnect(true) → client._disconnect(): every socket of the
                    // connection in the order it joined, then the engine closes.
                    for ns in &c.order {
                        let nsp = if *ns == Ns::Main { &n } else { &a };
                        plan.acts
                            .push(Act::Expect(client, Self::frame(format!("41{nsp}"))));
                    }
                    plan.acts.push(Act::ExpectClose(client));
                    c.engine = false;
                    c.phase = Phase::Idle;
                    c.order.clear();
                } else {
                    plan.acts
                        .push(Act::Expect(client, Self::frame(format!("41{n}"))));
                    c.order.retain(|ns| *ns != Ns::Main);
                }
                c.main = None;
            }
            Op::Drop { at, .. } => {
                if !self.clients[client as usize].engine {
                    return None;
                }
                let how = DropAct::resolve(*at, self.clients[client as usize].polling);
                plan.desc = format!("c{client} {}", how.describe());
                plan.acts.push(Act::Drop(client, how));
                let stamped = self.stamped();
                let c = &mut self.clients[client as usize];
                c.dropped_pid = c.pid.clone();
                c.phase = Phase::Idle;
                if let (true, Some(sock), Some(pid)) = (stamped, &c.main, &c.pid) {
                    self.sessions.insert(
                        pid.clone(),
                        Session {
                            sid: sock.sid.clone(),
                            rooms: sock.rooms(),
                            at: now,
                        },
                    );
                }
                c.engine = false;
                c.main = None;
                c.order.clear();
            }
            Op::Reconnect { restore, late, .. } => {
                if has_main {
                    return None;
                }
                self.reconnect(&mut plan, client, *restore, *late, now);
            }
            Op::UpgradeProbe { .. }
            | Op::UpgradePause { .. }
            | Op::UpgradeFinish { .. }
            | Op::UpgradeAbort { .. } => {
                self.upgrade_step(op, client, &mut plan)?;
            }
        }
        Some(plan)
    }

    fn reconnect(
        &mut self,
        plan: &mut Plan,
        client: u8,
        restore: Restore,
        late: bool,
        now: Instant,
    ) {
        let fresh_engine = !self.clients[client as usize].engine;
        if self.kind != Kind::Recovery {
            // No recovery on sio-main: the payload is only the handshake auth.
            if fresh_engine {
                self.open(plan, client);
            }
            self.join_fresh(
                plan,
                client,
                Some(r#"{"pid":"nope","offset":"nope"}"#),
                None,
            );
            if fresh_engine {
                self.join_anchor(plan, client);
            }
            return;
        }
        let c = &self.clients[client as usize];
        let pid = c.pid.clone().unwrap_or_else(|| "nope".into());
        let fresh: Vec<&Received> = c
            .offsets
            .iter()
            .filter(|r| now.duration_since(r.at) < FRESH_OFFSET)
            .collect();
        let chosen: Option<Received> = match restore {
            Restore::Older(k) if !fresh.is_empty() => {
                let i = fresh.len().saturating_sub(2 + k as usize);
                Some(fresh[i].clone())
            }
            _ => c.offsets.last().cloned(),
        };
        let (payload, usable) = match (restore, &chosen) {
            (Restore::NoOffset, _) | (_, None) => (json!({ "pid": pid }), None),
            (Restore::UnknownOffset, _) => (json!({"pid": pid, "offset": "nope"}), None),
            (Restore::UnknownPid, Some(r)) => (json!({"pid": "nope", "offset": r.offset}), None),
            (_, Some(r)) => (json!({"pid": pid, "offset": r.offset}), Some(r.clone())),
        };
        let payload = payload.to_string();
        let session_pid = if restore == Restore::UnknownPid {
            "nope".to_string()
        } else {
            pid.clone()
        };
        // Time: inside the window for sure, or wait until surely outside it.
        let mut valid = None;
        if let Some(s) = self.sessions.get(&session_pid).cloned() {
            let elapsed = now.duration_since(s.at);
            let stale_offset = usable
                .as_ref()
                .is_some_and(|r| now.duration_since(r.at) >= FRESH_OFFSET);
            let wait = (late && !self.late_used) || elapsed >= SURELY_INSIDE || stale_offset;
            if late {
                self.late_used = true;
            }
            if wait {
                if elapsed < SURELY_OUTSIDE {
                    plan.acts.push(Act::WaitUntil(s.at + SURELY_OUTSIDE));
                }
                // Node deletes an expired session when it is looked up.
                self.sessions.remove(&session_pid);
            } else {
                valid = Some(s);
            }
        }
        if fresh_engine {
            self.open(plan, client);
        }
        let old_sid = self.clients[client as usize]
            .sid
            .clone()
            .unwrap_or_default();
        let old_pid = self.clients[client as usize]
            .pid
            .clone()
            .unwrap_or_default();
        match (valid, usable) {
            (Some(s), Some(r)) => {
                self.recoveries += 1;
                let n = self.n();
                plan.acts.push(Act::Send(client, format!("40{n}{payload}")));
                let mut missed = Vec::new();
                for p in r.packet + 1..self.buffer.len() {
                    let packet = &self.buffer[p];
                    if matches(&s.rooms, &packet.rooms, &packet.except) {
                        missed.push(self.event(&packet.head.clone(), Some(p), client));
                    }
                }
                let connect = Self::frame(format!(
                    r#"40{n}{{"sid":{},"pid":{}}}"#,
                    q(&s.sid),
                    q(&session_pid)
                ));
                if self.fault == Some(Fault::MissedAfterConnect) {
                    plan.acts.push(Act::Expect(client, connect));
                    plan.acts
                        .extend(missed.into_iter().map(|f| Act::Expect(client, f)));
                } else {
                    plan.acts
                        .extend(missed.into_iter().map(|f| Act::Expect(client, f)));
                    plan.acts.push(Act::Expect(client, connect));
                }
                let head = format!(r#"42{n}["auth",{payload}"#);
                let p = self.buffer_packet(&head, vec![s.sid.clone()], Vec::new());
                let auth = self.event(&head, p, client);
                plan.acts.push(Act::Expect(client, auth));
                let c = &mut self.clients[client as usize];
                c.main = Some(Sock {
                    sid: s.sid.clone(),
                    joined: s.rooms.iter().filter(|x| **x != s.sid).cloned().collect(),
                });
                c.sid = Some(s.sid);
                c.order.retain(|ns| *ns != Ns::Main);
                c.order.push(Ns::Main);
            }
            _ => {
                self.join_fresh(plan, client, Some(&payload), Some((&old_sid, &old_pid)));
            }
        }
        if fresh_engine {
            self.join_anchor(plan, client);
        }
    }

    /// Feeds back the values captured by a matched frame. `Err` when they break a property
    /// (an offset reused or changed, a recovered id where none may be, a wrong ack id).
    pub fn learn(
        &mut self,
        learn: &[Learn],
        caps: &BTreeMap<String, String>,
        vars: &mut BTreeMap<String, String>,
        now: Instant,
    ) -> Result<(), String> {
        for l in learn {
            match l {
                Learn::Sid { client, not } => {
                    let sid = caps.get("sid").cloned().unwrap_or_default();
                    if not.as_deref() == Some(sid.as_str()) {
                        return Err(format!(
                            "the socket id {sid} was recovered, but no recovery may happen here"
                        ));
                    }
                    let ph = placeholder(*client);
                    for p in &mut self.buffer {
                        for r in &mut p.rooms {
                            if *r == ph {
                                *r = sid.clone();
                            }
                        }
                    }
                    let c = &mut self.clients[*client as usize];
                    if let Some(sock) = &mut c.main {
                        sock.sid = sid.clone();
                    }
                    c.sid = Some(sid);
                }
                Learn::Pid { client, not } => {
                    let pid = caps.get("pid").cloned().unwrap_or_default();
                    if not.as_deref() == Some(pid.as_str()) {
                        return Err(format!(
                            "the pid {pid} was reused, but no recovery may happen here"
                        ));
                    }
                    self.clients[*client as usize].pid = Some(pid);
                }
                Learn::Offset { client, packet } => {
                    let got = match caps.get("off") {
                        Some(o) => o.clone(),
                        None => self.buffer[*packet].offset.clone().unwrap_or_default(),
                    };
                    if self.buffer[*packet].offset.is_none() {
                        if let Some(i) = self
                            .buffer
                            .iter()
                            .position(|p| p.offset.as_deref() == Some(got.as_str()))
                        {
                            return Err(format!(
                                "offset {got} of {} was already given to {}",
                                self.buffer[*packet].head, self.buffer[i].head
                            ));
                        }
                        self.buffer[*packet].offset = Some(got.clone());
                    }
                    self.clients[*client as usize].offsets.push(Received {
                        offset: got,
                        packet: *packet,
                        at: now,
                    });
                }
                Learn::ServerAck { expected } => {
                    let got = caps.get("srv").cloned().unwrap_or_default();
                    if got.is_empty() || !got.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("server ack id {got:?} is not a number"));
                    }
                    if let Some(e) = expected {
                        if got != e.to_string() {
                            return Err(format!(
                                "server ack id {got}, expected {e} (one counter per namespace, from 0)"
                            ));
                        }
                    }
                    vars.insert("srv".into(), got);
                }
            }
        }
        Ok(())
    }
}

/// Node's `shouldIncludePacket` and the adapter's recipient rule: in one of `to` (all when
/// empty) and in none of `except`.
fn matches(socket_rooms: &[String], to: &[String], except: &[String]) -> bool {
    let included = to.is_empty() || socket_rooms.iter().any(|r| to.contains(r));
    included && !socket_rooms.iter().any(|r| except.contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_follow_the_adapter_rule() {
        let rooms = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&rooms(&["a", "r1"]), &[], &[]));
        assert!(matches(&rooms(&["a", "r1"]), &rooms(&["r1", "r2"]), &[]));
        assert!(!matches(&rooms(&["a", "r1"]), &rooms(&["r2"]), &[]));
        assert!(!matches(&rooms(&["a", "r1"]), &[], &rooms(&["r1"])));
        assert!(!matches(&rooms(&["a"]), &[], &rooms(&["a"])));
    }
}
