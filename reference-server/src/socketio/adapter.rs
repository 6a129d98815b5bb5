//! Rooms behind an adapter interface shaped like Node's socket.io-adapter: `addAll`, `del`,
//! `delAll`, `broadcast({rooms, except, flags})`, `sockets`, `socketRooms`, and the hooks of
//! the session-aware adapter used by connection state recovery (`persistSession`,
//! `restoreSession`). One adapter per namespace. A Redis adapter can implement the same trait:
//! it gets the packet as a [`Message`] to forward, and delivers locally through
//! [`AdapterContext::deliver`]. An adapter sees its namespace only through [`AdapterContext`]
//! (its name, its local sockets), behind the `LocalNamespace` trait the namespace implements.
//!
//! ```text
//! recipients(rooms = ∅)  every socket of the namespace        minus the sockets of `except`
//! recipients(rooms ≠ ∅)  the sockets of any of `rooms`, once   minus the sockets of `except`
//! ```

use std::sync::{Arc, Mutex, Weak};

use futures_util::future::BoxFuture;
use indexmap::{IndexMap, IndexSet};
use sio_protocol::binary::Value;
use sio_protocol::socketio::{Message, PacketType};

use super::recovery::{PersistedSession, RecoveryConfig, RecoveryStore, RestoredSession};
use super::socket::Socket;
pub use super::types::{BroadcastFlags, BroadcastOptions};
use super::types::{Room, SocketId};
use super::{lock, packet};
use crate::fault::Injected;

/// A namespace's room registry and broadcaster.
pub trait Adapter: Send + Sync + 'static {
    /// Adds socket `sid` to `rooms` (in order; a room it is in already keeps its place).
    fn add_all(&self, sid: &str, rooms: &[Room]);
    /// Removes socket `sid` from `room`.
    fn del(&self, sid: &str, room: &str);
    /// Removes socket `sid` from every room.
    fn del_all(&self, sid: &str);
    /// Sends `packet` to the sockets selected by `opts`.
    fn broadcast(&self, packet: Message, opts: &BroadcastOptions);
    /// The sockets in any of `rooms` (every socket when empty), each once.
    fn sockets(&self, rooms: &IndexSet<Room>) -> Vec<SocketId>;
    /// The rooms of socket `sid`, in join order, or `None` for an unknown socket.
    fn socket_rooms(&self, sid: &str) -> Option<Vec<Room>>;
    /// Sends `packet` (its ack id already set) to the sockets selected by `opts`, each
    /// answer going to `on_answer`; resolves to how many clients it was sent to (Node's
    /// `broadcastWithAck` and its client-count callback).
    fn broadcast_with_ack(
        &self,
        packet: Message,
        opts: &BroadcastOptions,
        on_answer: AckAnswers,
    ) -> BoxFuture<'static, usize>;
    /// The sockets selected by `opts`, on every server (`fetchSockets`).
    fn fetch_sockets(&self, opts: &BroadcastOptions) -> BoxFuture<'static, Vec<RemoteSocket>>;
    /// Makes the sockets selected by `opts` join `rooms` (`addSockets`, `socketsJoin`).
    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()>;
    /// Makes the sockets selected by `opts` leave `rooms` (`delSockets`, `socketsLeave`).
    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()>;
    /// Disconnects the sockets selected by `opts`, closing their connections with `close`
    /// (`disconnectSockets`).
    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> BoxFuture<'static, ()>;
    /// Sends `args` (the event name first) to this namespace on the other servers of a
    /// cluster, where the adapter hands them to [`AdapterContext::server_side_event`]
    /// (`serverSideEmit`). A single server has no other server: nothing is sent.
    fn server_side_emit(&self, args: Vec<Value>) -> BoxFuture<'static, ()>;
    /// [`Adapter::server_side_emit`] asking each other server for an answer
    /// (`serverSideEmitWithAck`): resolves to one value per server (the first argument its
    /// handler answered with), or to [`ServerSideAckTimeout`] with the answers so far when not
    /// every server answered in time. A single server resolves at once to no answers.
    fn server_side_emit_with_ack(
        &self,
        _args: Vec<Value>,
    ) -> BoxFuture<'static, Result<Vec<Value>, ServerSideAckTimeout>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    /// How many servers the namespace has (`serverCount`): 1 for a single server; a cluster
    /// adapter asks its cluster.
    fn server_count(&self) -> BoxFuture<'static, usize> {
        Box::pin(async { 1 })
    }
    /// Connection state recovery: keeps a disconnected socket's session.
    fn persist_session(&self, _session: PersistedSession) {}
    /// Connection state recovery: the session of `pid` with the packets it missed after
    /// `offset`, if it can be restored.
    fn restore_session(
        &self,
        _pid: &str,
        _offset: &str,
    ) -> BoxFuture<'static, Option<RestoredSession>> {
        Box::pin(async { None })
    }
}

/// What an adapter may ask of its namespace, and all it may: the namespace implements it, and
/// the adapter holds it weakly (the namespace owns its adapter).
pub(crate) trait LocalNamespace: Send + Sync {
    /// A socket of this namespace connected to this server.
    fn local_socket(&self, sid: &str) -> Option<Socket>;
    /// The sockets of `sids` connected to this server, in that order, appended to `out` (one
    /// look-up of the namespace's table for all of them).
    fn local_sockets_of(&self, sids: &[&str], out: &mut Vec<Socket>);
    /// The fault the namespace's server runs with (tests only; FAULTS.md).
    fn fault(&self) -> Injected;
    /// Runs the namespace's `serverSideEmit` handlers (`reply`: when the sender asked for an
    /// answer).
    fn server_side_event(&self, args: Vec<Value>, reply: Option<ServerSideReply>);
    /// The next ack id of the namespace (`nsp._ids++`).
    fn next_ack_id(&self) -> u64;
}

/// How a `serverSideEmit` handler answers a server that asked for an ack: called with the
/// answer's arguments; only the first call counts (Node's callback).
pub type ServerSideReply = Arc<dyn Fn(Vec<Value>) + Send + Sync>;

/// A `serverSideEmitWithAck` that did not get an answer from every other server in time:
/// Node's `timeout reached: only N responses received out of M`, with the answers so far.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("timeout reached: only {} responses received out of {expected}", .answers.len())]
pub struct ServerSideAckTimeout {
    /// The answers that came in time, one per server.
    pub answers: Vec<Value>,
    /// How many servers were expected to answer.
    pub expected: usize,
}

/// Where a broadcast's ack answers go, one call per client.
pub type AckAnswers = Arc<dyn Fn(Vec<Value>) + Send + Sync>;

/// A socket found by [`Adapter::fetch_sockets`], on this server or another one (Node's
/// `RemoteSocket`).
#[derive(Debug, Clone)]
pub struct RemoteSocket {
    /// The socket id.
    pub id: SocketId,
    /// Its rooms, in join order.
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: serde_json::Value,
    /// The socket itself when it is connected to this server.
    pub local: Option<Socket>,
}

impl RemoteSocket {
    /// A socket of this server.
    pub fn of_local(socket: &Socket) -> RemoteSocket {
        RemoteSocket {
            id: socket.id().to_owned(),
            rooms: socket.rooms(),
            data: socket.data(),
            local: Some(socket.clone()),
        }
    }
}

/// What an adapter knows of its namespace: its name and its local sockets.
#[derive(Clone)]
pub struct AdapterContext {
    local: Weak<dyn LocalNamespace>,
    name: String,
}

impl AdapterContext {
    pub(crate) fn new(local: Weak<dyn LocalNamespace>, name: &str) -> AdapterContext {
        AdapterContext {
            local,
            name: name.to_owned(),
        }
    }

    /// Whether the namespace's server was built with `fault` (tests only).
    fn has_fault(&self, fault: crate::fault::Fault) -> bool {
        self.local.upgrade().is_some_and(|n| n.fault().is(fault))
    }

    /// The namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A local socket of the namespace.
    pub fn socket(&self, sid: &str) -> Option<Socket> {
        self.local.upgrade()?.local_socket(sid)
    }

    /// Hands an event that another server sent with `serverSideEmit` (`args`: the name first)
    /// to this namespace's handlers ([`crate::socketio::Namespace::on_server_side_emit`]).
    pub fn server_side_event(&self, args: Vec<Value>) {
        if let Some(local) = self.local.upgrade() {
            local.server_side_event(args, None);
        }
    }

    /// [`AdapterContext::server_side_event`] for a sender that asked for an answer: the
    /// handlers get `reply` (Node appends the callback to the arguments).
    pub fn server_side_event_with_ack(&self, args: Vec<Value>, reply: ServerSideReply) {
        if let Some(local) = self.local.upgrade() {
            local.server_side_event(args, Some(reply));
        }
    }

    /// A fresh ack id of the namespace, for a packet that another server asked this one to
    /// broadcast with acks (Node's adapter numbers it with `nsp._ids++`).
    pub fn next_ack_id(&self) -> u64 {
        self.local.upgrade().map_or(0, |n| n.next_ack_id())
    }

    /// The local sockets of `sids`, in that order (the ids of sockets not connected here are
    /// skipped).
    pub fn sockets_of(&self, sids: &[&str]) -> Vec<Socket> {
        let mut found = Vec::with_capacity(sids.len());
        if let Some(local) = self.local.upgrade() {
            local.local_sockets_of(sids, &mut found);
        }
        found
    }

    /// Encodes `packet` once and writes the same bytes to each local socket of `sids`
    /// (`volatile`: skipped where the transport is not writable).
    pub fn deliver(&self, sids: &[SocketId], packet: &Message, volatile: bool) {
        let sids: Vec<&str> = sids.iter().map(String::as_str).collect();
        self.deliver_to(&self.sockets_of(&sids), packet, volatile);
    }

    /// [`AdapterContext::deliver`] to sockets already found ([`AdapterContext::sockets_of`]).
    pub fn deliver_to(&self, sockets: &[Socket], packet: &Message, volatile: bool) {
        let encoded = packet::encode(packet);
        for socket in sockets {
            socket.write_encoded(&encoded, volatile);
        }
    }
}

/// Builds a namespace's adapter.
pub type AdapterFactory = Arc<dyn Fn(AdapterContext) -> Arc<dyn Adapter> + Send + Sync>;

#[derive(Default)]
struct Rooms {
    /// room → sockets, in join order.
    rooms: IndexMap<Room, IndexSet<SocketId>>,
    /// socket → rooms, in join order.
    sids: IndexMap<SocketId, IndexSet<Room>>,
}

impl Rooms {
    fn except_sids(&self, except: &IndexSet<Room>) -> IndexSet<&str> {
        except
            .iter()
            .filter_map(|r| self.rooms.get(r))
            .flatten()
            .map(String::as_str)
            .collect()
    }

    /// `apply`: the recipients, in Node's order, borrowed (a broadcast copies no id).
    fn selected(&self, opts: &BroadcastOptions) -> Vec<&str> {
        let except = self.except_sids(&opts.except);
        if opts.rooms.is_empty() {
            return self
                .sids
                .keys()
                .map(String::as_str)
                .filter(|id| !except.contains(id))
                .collect();
        }
        let mut seen = IndexSet::new();
        for room in &opts.rooms {
            for id in self.rooms.get(room).into_iter().flatten() {
                if !except.contains(id.as_str()) {
                    seen.insert(id.as_str());
                }
            }
        }
        seen.into_iter().collect()
    }

    /// [`Rooms::selected`], owned.
    fn select(&self, opts: &BroadcastOptions) -> Vec<SocketId> {
        self.selected(opts).into_iter().map(str::to_owned).collect()
    }
}

/// The in-memory adapter (Node's default), session-aware when recovery is on.
pub struct InMemoryAdapter {
    ctx: AdapterContext,
    state: Mutex<Rooms>,
    recovery: Option<Mutex<RecoveryStore>>,
}

impl InMemoryAdapter {
    /// A plain in-memory adapter.
    pub fn new(ctx: AdapterContext) -> InMemoryAdapter {
        InMemoryAdapter {
            ctx,
            state: Mutex::new(Rooms::default()),
            recovery: None,
        }
    }

    /// Node's `SessionAwareAdapter`: stamps and keeps packets, keeps sessions.
    pub fn session_aware(ctx: AdapterContext, config: RecoveryConfig) -> InMemoryAdapter {
        InMemoryAdapter {
            recovery: Some(Mutex::new(RecoveryStore::new(config))),
            ..InMemoryAdapter::new(ctx)
        }
    }
}

impl InMemoryAdapter {
    /// The local sockets selected by `opts`. The namespace's table is looked up with the
    /// room registry still locked (the namespace never calls its adapter with its table
    /// locked): no id is copied on the way.
    fn local_sockets(&self, opts: &BroadcastOptions) -> Vec<Socket> {
        let state = lock(&self.state);
        self.ctx.sockets_of(&state.selected(opts))
    }
}

impl Adapter for InMemoryAdapter {
    fn broadcast_with_ack(
        &self,
        packet: Message,
        opts: &BroadcastOptions,
        on_answer: AckAnswers,
    ) -> BoxFuture<'static, usize> {
        let sockets = self.local_sockets(opts);
        let id = packet.id.unwrap_or_default();
        for socket in &sockets {
            let on_answer = on_answer.clone();
            socket.expect_ack(id, move |answer| {
                if let Ok(args) = answer {
                    on_answer(args);
                }
            });
        }
        self.ctx.deliver_to(&sockets, &packet, opts.flags.volatile);
        let count = sockets.len();
        Box::pin(async move { count })
    }

    fn fetch_sockets(&self, opts: &BroadcastOptions) -> BoxFuture<'static, Vec<RemoteSocket>> {
        let found = self
            .local_sockets(opts)
            .iter()
            .map(RemoteSocket::of_local)
            .collect();
        Box::pin(async move { found })
    }

    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()> {
        for socket in self.local_sockets(opts) {
            socket.join(rooms.to_vec());
        }
        Box::pin(async {})
    }

    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()> {
        for socket in self.local_sockets(opts) {
            socket.leave(rooms.to_vec());
        }
        Box::pin(async {})
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> BoxFuture<'static, ()> {
        for socket in self.local_sockets(opts) {
            socket.disconnect(close);
        }
        Box::pin(async {})
    }

    fn server_side_emit(&self, _args: Vec<Value>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }

    fn add_all(&self, sid: &str, rooms: &[Room]) {
        let mut s = lock(&self.state);
        for room in rooms {
            s.sids
                .entry(sid.to_owned())
                .or_default()
                .insert(room.clone());
            s.rooms
                .entry(room.clone())
                .or_default()
                .insert(sid.to_owned());
        }
        if rooms.is_empty() {
            s.sids.entry(sid.to_owned()).or_default();
        }
    }

    fn del(&self, sid: &str, room: &str) {
        let mut s = lock(&self.state);
        if let Some(rooms) = s.sids.get_mut(sid) {
            rooms.shift_remove(room);
        }
        if let Some(members) = s.rooms.get_mut(room) {
            members.shift_remove(sid);
            if members.is_empty() {
                s.rooms.shift_remove(room);
            }
        }
    }

    fn del_all(&self, sid: &str) {
        let mut s = lock(&self.state);
        let Some(rooms) = s.sids.shift_remove(sid) else {
            return;
        };
        for room in rooms {
            if let Some(members) = s.rooms.get_mut(&room) {
                members.shift_remove(sid);
                if members.is_empty() {
                    s.rooms.shift_remove(&room);
                }
            }
        }
    }

    fn broadcast(&self, mut packet: Message, opts: &BroadcastOptions) {
        // SessionAwareAdapter: "every EVENT without an ack id, not volatile, gets an offset
        // appended to its data, and is kept".
        if let Some(store) = &self.recovery
            && packet.kind == PacketType::Event
            && packet.id.is_none()
            && !opts.flags.volatile
            && let Some(Value::Array(items)) = packet.data.as_mut()
        {
            let mut store = lock(store);
            let offset = super::recovery::yeast();
            items.push(Value::String(offset.clone()));
            store.keep_packet(offset, opts, items.clone());
            if self
                .ctx
                .has_fault(crate::fault::Fault::RecoveryOffsetMissing)
            {
                items.pop();
            }
        }
        if !opts.rooms.is_empty() && self.ctx.has_fault(crate::fault::Fault::RoomsDeliverTwice) {
            // One pass per room, no de-duplication.
            let sids: Vec<SocketId> = (opts.rooms.iter())
                .flat_map(|room| {
                    let one = IndexSet::from([room.clone()]);
                    lock(&self.state).select(&BroadcastOptions {
                        rooms: one,
                        ..opts.clone()
                    })
                })
                .collect();
            self.ctx.deliver(&sids, &packet, opts.flags.volatile);
            return;
        }
        let sockets = self.local_sockets(opts);
        self.ctx.deliver_to(&sockets, &packet, opts.flags.volatile);
    }

    fn sockets(&self, rooms: &IndexSet<Room>) -> Vec<SocketId> {
        lock(&self.state).select(&BroadcastOptions {
            rooms: rooms.clone(),
            ..BroadcastOptions::default()
        })
    }

    fn socket_rooms(&self, sid: &str) -> Option<Vec<Room>> {
        lock(&self.state)
            .sids
            .get(sid)
            .map(|r| r.iter().cloned().collect())
    }

    fn persist_session(&self, session: PersistedSession) {
        if let Some(store) = &self.recovery {
            lock(store).persist(session);
        }
    }

    fn restore_session(
        &self,
        pid: &str,
        offset: &str,
    ) -> BoxFuture<'static, Option<RestoredSession>> {
        let restored = self
            .recovery
            .as_ref()
            .and_then(|store| lock(store).restore(pid, offset));
        Box::pin(async move { restored })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter() -> InMemoryAdapter {
        // No namespace behind it: the tests look at the room registry only.
        let none: Weak<super::super::namespace::NsInner> = Weak::new();
        InMemoryAdapter::new(AdapterContext::new(none, "/"))
    }

    fn set(items: &[&str]) -> IndexSet<Room> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rooms_keep_join_order_and_select_each_socket_once() {
        let a = adapter();
        a.add_all("s1", &["s1".into(), "r1".into(), "r2".into()]);
        a.add_all("s2", &["s2".into(), "r2".into()]);
        a.add_all("s3", &["s3".into()]);
        assert_eq!(a.socket_rooms("s1").unwrap(), ["s1", "r1", "r2"]);
        assert_eq!(a.sockets(&set(&["r1", "r2"])), ["s1", "s2"]);
        assert_eq!(a.sockets(&set(&[])), ["s1", "s2", "s3"]);
        let st = lock(&a.state);
        let opts = BroadcastOptions {
            rooms: set(&["r2"]),
            except: set(&["s1"]),
            ..Default::default()
        };
        assert_eq!(st.select(&opts), ["s2"]);
        drop(st);
        a.del("s1", "r1");
        a.add_all("s1", &["r1".into()]);
        assert_eq!(a.socket_rooms("s1").unwrap(), ["s1", "r2", "r1"]);
        a.del_all("s1");
        assert_eq!(a.socket_rooms("s1"), None);
        assert_eq!(a.sockets(&set(&["r1", "r2"])), ["s2"]);
        assert!(!lock(&a.state).rooms.contains_key("r1"));
    }
}
