//! One engine connection seen by Socket.IO (Node's `Client`): it decodes every engine message
//! (a decoding error closes the engine connection, `client.ts#onerror`), routes each packet by
//! namespace, joins namespaces, and closes the connection when no namespace was joined within
//! `connectTimeout`.
//!
//! ```text
//! ondecoded   CONNECT, namespace not joined          → connect (middlewares, then 40 / 44)
//!             any other packet, namespace joined     → the socket's _onpacket
//!             anything else (CONNECT to a joined namespace, EVENT/ACK/DISCONNECT to one not
//!             joined, CONNECT_ERROR from the client) → close the whole connection
//! connect     unknown namespace → 44<nsp,>{"message":"Invalid namespace"}, connection kept
//! ```
//! A join completes after the batch of packets it came in (Node defers it with
//! `process.nextTick`), so the replies of a batch of CONNECTs follow middleware completion.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use indexmap::IndexMap;
use sio_protocol::Limits;
use sio_protocol::binary::Reassembler;
use sio_protocol::engineio::Data;
use sio_protocol::socketio::{Message, PacketType};

use super::namespace::Namespace;
use super::socket::{Restored, Socket};
use super::types::{ConnectError, DisconnectReason};
use super::{ServerInner, Value, lock, packet};
use crate::server::{Connection, HandshakeRequest, SocketEvent};
use crate::session::SharedMessage;

/// The state of one engine connection shared with its sockets.
pub(crate) struct ClientInner {
    conn: crate::server::Socket,
    request: Arc<HandshakeRequest>,
    /// Joined namespaces, in join order.
    nsps: Mutex<IndexMap<String, Socket>>,
    /// The client closed the connection: later packets are not handled.
    closed: AtomicBool,
    /// A namespace was joined once (the connect timer is cleared then).
    joined: AtomicBool,
}

impl ClientInner {
    pub(crate) fn conn(&self) -> &crate::server::Socket {
        &self.conn
    }

    pub(crate) fn request(&self) -> &Arc<HandshakeRequest> {
        &self.request
    }

    /// `writeToEngine`: volatile packets are dropped when the transport is not writable.
    pub(crate) fn write(&self, encoded: &[SharedMessage], volatile: bool) {
        if volatile && !self.conn.is_writable() {
            return;
        }
        self.conn.send_shared(encoded);
    }

    fn write_msg(&self, msg: &Message) {
        self.write(&packet::encode(msg), false);
    }

    /// `_remove`: the socket left its namespace.
    pub(crate) fn remove(&self, socket: &Socket) {
        let mut nsps = lock(&self.nsps);
        if nsps
            .get(socket.nsp().name())
            .is_some_and(|s| s.same(socket))
        {
            nsps.shift_remove(socket.nsp().name());
        }
    }

    fn sockets(&self) -> Vec<Socket> {
        lock(&self.nsps).values().cloned().collect()
    }

    /// `close()`: closes the engine connection; the sockets leave with "forced server close".
    fn close(&self) {
        if self.conn.is_open() && !self.closed.swap(true, Ordering::SeqCst) {
            self.conn.close();
            self.on_close(DisconnectReason::ForcedServerClose);
        }
    }

    /// `onclose(reason)`: every socket leaves.
    fn on_close(&self, reason: DisconnectReason) {
        for socket in self.sockets() {
            socket.on_close(reason);
        }
        lock(&self.nsps).clear();
    }

    /// `_disconnect()`: every socket sends its DISCONNECT and leaves, then the connection closes.
    pub(crate) fn disconnect_all(&self) {
        for socket in self.sockets() {
            socket.disconnect(false);
        }
        lock(&self.nsps).clear();
        self.close();
    }
}

/// A join whose middlewares (or session restore) are under way.
type PendingJoin = BoxFuture<'static, (Socket, Result<(), ConnectError>)>;

/// Serves one engine connection until it closes.
pub(crate) async fn run(server: Arc<ServerInner>, mut conn: Connection) {
    let client = Arc::new(ClientInner {
        conn: conn.socket().clone(),
        request: conn.request().clone(),
        nsps: Mutex::new(IndexMap::new()),
        closed: AtomicBool::new(false),
        joined: AtomicBool::new(false),
    });
    let mut decoder = Reassembler::new(Limits::NODE);
    let mut pending: FuturesUnordered<PendingJoin> = FuturesUnordered::new();
    let timeout = tokio::time::sleep(server.config.connect_timeout);
    tokio::pin!(timeout);
    let mut timer_armed = true;
    loop {
        tokio::select! {
            biased;
            Some((socket, result)) = pending.next(), if !pending.is_empty() => {
                finish_join(&client, socket, result);
            }
            () = &mut timeout, if timer_armed => {
                timer_armed = false;
                if !client.joined.load(Ordering::SeqCst) {
                    client.close();
                }
            }
            batch = conn.recv_batch() => {
                let Some(events) = batch else { break };
                for event in events {
                    match event {
                        SocketEvent::Message(data) => {
                            if client.closed.load(Ordering::SeqCst) {
                                continue;
                            }
                            on_data(&server, &client, &mut decoder, data, &mut pending);
                        }
                        SocketEvent::Upgrade => {}
                        SocketEvent::Close { reason, .. } => client.on_close(reason.into()),
                    }
                }
            }
        }
    }
}

fn on_data(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    decoder: &mut Reassembler,
    data: Data,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    let decoded = match data {
        Data::Text(t) => decoder.push_text(&t),
        Data::Binary(b) => decoder.push_binary(&b),
    };
    match decoded {
        Ok(None) => {}
        Ok(Some(msg)) => on_decoded(server, client, msg, pending),
        // `onerror`: the engine connection is closed; the sockets leave when it reports the
        // close ("forced close").
        Err(_) => {
            client.closed.store(true, Ordering::SeqCst);
            client.conn.close();
        }
    }
}

fn on_decoded(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    msg: Message,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    let joined = lock(&client.nsps).get(&msg.nsp).cloned();
    match (joined, msg.kind) {
        (None, PacketType::Connect) => {
            let auth = msg.data.unwrap_or(Value::Object(Vec::new()));
            connect(server, client, msg.nsp, auth, pending);
        }
        (Some(socket), kind) if kind != PacketType::Connect && kind != PacketType::ConnectError => {
            socket.on_packet(msg);
        }
        // "invalid state": the whole connection is closed.
        _ => client.close(),
    }
}

fn connect(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    name: String,
    auth: Value,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    let Some(nsp) = server.namespace_for(&name, &auth) else {
        let refusal = ConnectError::new("Invalid namespace");
        client.write_msg(&packet::connect_error(&name, &refusal));
        return;
    };
    let client = client.clone();
    pending.push(Box::pin(join(nsp, client, auth)));
}

/// `_add`: the session restore (recovery), the socket, then the middlewares in order.
async fn join(
    nsp: Namespace,
    client: Arc<ClientInner>,
    auth: Value,
) -> (Socket, Result<(), ConnectError>) {
    let mut restored = None;
    if let Some(recovery) = nsp.0.recovery
        && let (Some(pid), Some(offset)) =
            (string_field(&auth, "pid"), string_field(&auth, "offset"))
    {
        restored = nsp
            .adapter()
            .restore_session(&pid, &offset)
            .await
            .map(|r| (r, recovery.skip_middlewares));
    }
    let skip = restored.as_ref().is_some_and(|(_, skip)| *skip);
    let socket = match restored {
        Some((r, _)) => {
            let socket = Socket::new(
                nsp.clone(),
                client,
                auth,
                Some(Restored {
                    sid: r.session.sid.clone(),
                    pid: r.session.pid.clone(),
                    data: r.session.data.clone(),
                }),
            );
            // The Socket constructor: rooms re-joined, missed packets written (before the
            // CONNECT reply).
            socket.join(r.session.rooms.clone());
            for data in r.missed {
                let msg = Message {
                    data: Some(data),
                    ..Message::new(PacketType::Event, nsp.name())
                };
                socket.packet(&msg, false);
            }
            socket
        }
        None => Socket::new(nsp.clone(), client, auth, None),
    };
    if skip {
        return (socket, Ok(()));
    }
    for mw in nsp.middlewares() {
        if let Err(e) = mw(socket.clone()).await {
            return (socket, Err(e));
        }
    }
    (socket, Ok(()))
}

fn string_field(v: &Value, key: &str) -> Option<String> {
    match v {
        Value::Object(fields) => fields.iter().find_map(|(k, v)| match v {
            Value::String(s) if k == key => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// The end of `_add` (after `process.nextTick`): refuse, or `_doConnect`.
fn finish_join(client: &Arc<ClientInner>, socket: Socket, result: Result<(), ConnectError>) {
    if !client.conn.is_open() || client.closed.load(Ordering::SeqCst) {
        socket.cleanup();
        return;
    }
    let nsp = socket.nsp().clone();
    match result {
        Err(e) => {
            socket.cleanup();
            client.write_msg(&packet::connect_error(nsp.name(), &e));
        }
        Ok(()) => {
            lock(&nsp.0.sockets).insert(socket.id().to_owned(), socket.clone());
            socket.on_connect();
            lock(&client.nsps).insert(nsp.name().to_owned(), socket.clone());
            client.joined.store(true, Ordering::SeqCst);
            for handler in nsp.connection_handlers() {
                handler(&socket);
            }
        }
    }
}
