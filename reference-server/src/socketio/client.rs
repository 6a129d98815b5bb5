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
//! EIO3        the server joins "/" itself at once; every packet's nsp is a URL whose query
//!             string is the CONNECT's auth (`40/admin?token=x,`); v4 replies (packet.rs)
//! ```
//! A join completes after the input it came in (Node defers it with `process.nextTick`, after
//! the rest of the tick): the packets of one POST body, or the WebSocket messages one read
//! brought ([`Connection::recv_batch`] hands over one input at a time), are all handled before
//! any join they started completes, and a join that can complete at once does so before the
//! next input is taken. No timer is involved. What a completing join writes (missed packets,
//! CONNECT reply, the connection handlers' emits) is flushed together.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use sio_protocol::Limits;
use sio_protocol::engineio::Data;
use sio_protocol::socketio::Reassembler;
use sio_protocol::socketio::{Message, PacketType};
use tokio::time::Sleep;

use super::namespace::Namespace;
use super::socket::{Restored, Socket};
use super::types::{ConnectError, DisconnectReason};
use super::{ServerInner, Value, lock, packet};
use crate::server::{Connection, HandshakeRequest, SocketEvent};
use crate::session::SharedMessage;

/// The sockets of one connection, as Node's `Client` keeps them. Short lists keyed by what
/// each socket knows (its id, its namespace's name), with a map's semantics (an insert under a
/// key already there replaces in place, a removal keeps the order): a connection joins a
/// namespace or two, and two hash maps with copied keys cost every idle connection ~0.4 KiB.
#[derive(Default)]
struct Sockets {
    /// `this.sockets`: every connected socket by id, in join order (two joins of one namespace
    /// started in one burst both end up here).
    by_id: Vec<Socket>,
    /// `this.nsps`: the socket that gets a namespace's packets (the last one joined).
    by_nsp: Vec<Socket>,
}

/// Inserts `socket` under `key(socket)`: replaces the socket with that key in place, or appends.
fn insert_keyed(list: &mut Vec<Socket>, socket: &Socket, key: fn(&Socket) -> &str) {
    match list.iter_mut().find(|s| key(s) == key(socket)) {
        Some(slot) => *slot = socket.clone(),
        None => list.push(socket.clone()),
    }
}

/// Removes the socket whose `key` is `wanted`, keeping the order of the others.
fn remove_keyed(list: &mut Vec<Socket>, wanted: &str, key: fn(&Socket) -> &str) -> bool {
    match list.iter().position(|s| key(s) == wanted) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}

fn id_of(s: &Socket) -> &str {
    s.id()
}

fn nsp_of(s: &Socket) -> &str {
    s.nsp().name()
}

/// The state of one engine connection shared with its sockets.
pub(crate) struct ClientInner {
    conn: crate::server::EngineSocket,
    request: Arc<HandshakeRequest>,
    /// Joined sockets and namespaces.
    sockets: Mutex<Sockets>,
    /// The client closed the connection: later packets are not handled.
    closed: AtomicBool,
    /// A namespace was joined once (the connect timer is cleared then).
    joined: AtomicBool,
    /// The engine connection speaks Engine.IO v3, hence Socket.IO protocol v4.
    v3: bool,
}

impl ClientInner {
    pub(crate) fn conn(&self) -> &crate::server::EngineSocket {
        &self.conn
    }

    pub(crate) fn request(&self) -> &Arc<HandshakeRequest> {
        &self.request
    }

    /// Whether this connection speaks Socket.IO v4 over Engine.IO v3.
    pub(crate) fn is_v3(&self) -> bool {
        self.v3
    }

    /// A middleware refusal in this connection's protocol.
    fn connect_error(&self, nsp: &str, err: &ConnectError) -> Message {
        if self.v3 {
            packet::connect_error_v3(nsp, err)
        } else {
            packet::connect_error(nsp, err)
        }
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

    /// `_remove`: the socket left its namespace. As in Node, the namespace's entry goes too,
    /// whichever socket it points to.
    pub(crate) fn remove(&self, socket: &Socket) {
        let mut sockets = lock(&self.sockets);
        if remove_keyed(&mut sockets.by_id, socket.id(), id_of) {
            remove_keyed(&mut sockets.by_nsp, socket.nsp().name(), nsp_of);
        }
    }

    /// `this.sockets`, in join order.
    fn sockets(&self) -> Vec<Socket> {
        lock(&self.sockets).by_id.clone()
    }

    /// The socket that gets `nsp`'s packets (`this.nsps.get(nsp)`).
    fn socket_of(&self, nsp: &str) -> Option<Socket> {
        let sockets = lock(&self.sockets);
        sockets.by_nsp.iter().find(|s| nsp_of(s) == nsp).cloned()
    }

    /// The end of a successful join (`doConnect`'s callback).
    fn add(&self, socket: &Socket) {
        let mut sockets = lock(&self.sockets);
        insert_keyed(&mut sockets.by_id, socket, id_of);
        insert_keyed(&mut sockets.by_nsp, socket, nsp_of);
    }

    fn clear(&self) {
        let mut sockets = lock(&self.sockets);
        sockets.by_id.clear();
        sockets.by_nsp.clear();
    }

    /// `close()`: closes the engine connection; the sockets leave with "forced server close".
    pub(crate) fn close(&self) {
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
        self.clear();
    }

    /// `_disconnect()`: every socket sends its DISCONNECT and leaves, then the connection closes.
    pub(crate) fn disconnect_all(&self) {
        for socket in self.sockets() {
            socket.disconnect(false);
        }
        self.clear();
        self.close();
    }
}

/// A join whose middlewares (or session restore) are under way.
type PendingJoin = BoxFuture<'static, Join>;

/// A join whose middlewares have run.
struct Join {
    socket: Socket,
    /// A restored session's missed packets (and, with the fault, its early CONNECT reply): the
    /// Socket constructor writes them, in the same tick as the CONNECT reply when middlewares
    /// are skipped, so they are written with it.
    early: Vec<Message>,
    result: Result<(), ConnectError>,
}

/// Serves one engine connection until it closes.
pub(crate) async fn run(server: Arc<ServerInner>, mut conn: Connection) {
    let client = Arc::new(ClientInner {
        conn: conn.socket().clone(),
        request: conn.request().clone(),
        sockets: Mutex::new(Sockets::default()),
        closed: AtomicBool::new(false),
        joined: AtomicBool::new(false),
        v3: conn.request().protocol() == 3,
    });
    let mut decoder = Reassembler::new(decoder_limits(&server));
    let mut pending: FuturesUnordered<PendingJoin> = FuturesUnordered::new();
    // Both timers live on the heap and only while they run (`None` otherwise): a joined, idle
    // connection keeps neither in its task.
    let mut timeout = Some(Box::pin(tokio::time::sleep(server.config.connect_timeout)));
    // `onconnection`: "if (conn.protocol === 3) client.connect('/')" — the server joins the main
    // namespace by itself, with an empty auth.
    if client.v3 {
        connect(
            &server,
            &client,
            "/".into(),
            Value::Object(Vec::new()),
            &mut pending,
        );
    }
    if server
        .config
        .fault
        .is(crate::fault::Fault::ConnectTimeoutNeverFires)
    {
        timeout = None;
    }
    loop {
        tokio::select! {
            // Joins first: one that can complete at once completes before the next input is
            // taken, as Node's `process.nextTick` runs before the next read is handled. The
            // input that started it was handled whole (one `recv_batch`) already.
            biased;
            Some(join) = pending.next(), if !pending.is_empty() => {
                finish_join(&client, join);
                // Node clears the connect timer once a namespace is joined.
                if client.joined.load(Ordering::SeqCst) {
                    timeout = None;
                }
            }
            () = expiry(&mut timeout), if timeout.is_some() => {
                timeout = None;
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
    // The events ended without a `Close`: the engine itself is gone (dropped with sessions
    // open; Node has no such path). Its sockets leave as in `io.close()`; otherwise each would
    // stay in its namespace, and the namespace and the handlers the socket holds would keep one
    // another alive for ever.
    if !client.sockets().is_empty() {
        client.on_close(DisconnectReason::ServerShuttingDown);
    }
    // Joins still under way end as in Node ("next called after client was closed"): the socket
    // is cleaned up (a restored one had re-joined its rooms already), whenever its middlewares
    // finish.
    if !pending.is_empty() {
        tokio::spawn(async move {
            while let Some(join) = pending.next().await {
                finish_join(&client, join);
            }
        });
    }
}

/// Completes when the timer `sleep` holds expires (never when it holds none).
async fn expiry(sleep: &mut Option<Pin<Box<Sleep>>>) {
    match sleep {
        Some(sleep) => sleep.as_mut().await,
        None => std::future::pending().await,
    }
}

fn on_data(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    decoder: &mut Reassembler,
    data: Data,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    let data = match data {
        Data::Text(t) => match advisory_fault(server, client, t) {
            Some(t) => Data::Text(t),
            None => return,
        },
        other => other,
    };
    let decoded = match data {
        Data::Text(t) => decoder.push_text(&t),
        Data::Binary(b) => decoder.push_binary(&b),
    };
    match decoded {
        Ok(None) => {}
        Ok(Some(msg)) => on_decoded(server, client, msg, pending),
        // `onerror`: the engine connection is closed; the sockets leave when it reports the
        // close ("forced close").
        Err(_)
            if server
                .config
                .fault
                .is(crate::fault::Fault::DecodeErrorIgnored) =>
        {
            *decoder = Reassembler::new(decoder_limits(server));
        }
        Err(e) => {
            tracing::debug!(sid = client.conn.id(), error = %e, "undecodable Socket.IO packet: closing");
            client.closed.store(true, Ordering::SeqCst);
            client.conn.close();
        }
    }
}

/// socket.io-parser's limits (`maxAttachments` 10), unless a fault lifts them.
fn decoder_limits(server: &ServerInner) -> Limits {
    if server
        .config
        .fault
        .is(crate::fault::Fault::AttachmentLimitUnenforced)
    {
        return Limits {
            max_attachments: usize::MAX,
            ..Limits::NODE
        };
    }
    Limits::NODE
}

/// The advisory faults that act on a text packet before it is decoded: the text to decode, or
/// `None` when the fault has taken the packet.
fn advisory_fault(server: &ServerInner, client: &ClientInner, text: String) -> Option<String> {
    use super::fault_hooks;
    use crate::fault::Fault;
    match server.config.fault.armed() {
        Some(Fault::EventNameUnchecked) if fault_hooks::event_name_not_string(&text) => {
            fault_hooks::crash(client.sockets());
            None
        }
        Some(Fault::PlaceholderIndexUnchecked) => {
            Some(fault_hooks::null_bad_placeholders(&text).unwrap_or(text))
        }
        _ => Some(text),
    }
}

fn on_decoded(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    mut msg: Message,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    // `_parseNamespace`: under EIO3 the nsp carries the auth as its query string, and any
    // JSON payload of a CONNECT is not auth.
    let (name, v3_auth) = if client.v3 {
        let (name, auth) = parse_v3_namespace(&msg.nsp);
        (name, Some(auth))
    } else {
        // Taken, not copied: the socket's `_onpacket` does not read it.
        (std::mem::take(&mut msg.nsp), None)
    };
    // Only a join that has completed counts: a second CONNECT while the first join of the
    // namespace is under way starts a second join (Node then has two sockets).
    let joined = client.socket_of(&name);
    match (joined, msg.kind) {
        (None, PacketType::Connect) => {
            let auth = v3_auth.unwrap_or_else(|| msg.data.unwrap_or(Value::Object(Vec::new())));
            connect(server, client, name, auth, pending);
        }
        (Some(socket), kind) if kind != PacketType::Connect && kind != PacketType::ConnectError => {
            socket.on_packet(msg);
        }
        (None, kind)
            if kind != PacketType::ConnectError
                && server
                    .config
                    .fault
                    .is(crate::fault::Fault::EventBeforeConnectIgnored) => {}
        // "invalid state": the whole connection is closed.
        _ => {
            tracing::debug!(sid = client.conn.id(), nsp = %name, kind = ?msg.kind, "packet in an invalid state: closing");
            client.close()
        }
    }
}

/// `new URL(nsp, "https://socket.io")`: the pathname is the namespace, the search parameters
/// (`URLSearchParams`, the last of a repeated key winning) the auth object.
fn parse_v3_namespace(nsp: &str) -> (String, Value) {
    let path_end = nsp.find(['?', '#']).unwrap_or(nsp.len());
    let (path, rest) = nsp.split_at(path_end);
    let query = rest
        .strip_prefix('?')
        .map(|q| q.split('#').next().unwrap_or_default())
        .unwrap_or_default();
    let auth = crate::query::parse_ordered(query)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    (path.to_owned(), Value::Object(auth))
}

fn connect(
    server: &Arc<ServerInner>,
    client: &Arc<ClientInner>,
    name: String,
    auth: Value,
    pending: &mut FuturesUnordered<PendingJoin>,
) {
    let Some(nsp) = server.namespace_for(&name, &auth) else {
        tracing::debug!(sid = client.conn.id(), nsp = %name, "CONNECT to an unknown namespace");
        let refusal = ConnectError::new("Invalid namespace");
        client.write_msg(&packet::connect_error(&name, &refusal));
        return;
    };
    let client = client.clone();
    pending.push(Box::pin(join(nsp, client, auth)));
}

/// `_add`: the session restore (recovery), the socket, then the middlewares in order.
async fn join(nsp: Namespace, client: Arc<ClientInner>, auth: Value) -> Join {
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
    let mut early = Vec::new();
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
            // CONNECT reply; `finish_join` writes them).
            socket.join(r.session.rooms.clone());
            if nsp.has_fault(crate::fault::Fault::RecoveryReplayAfterConnect) {
                early.push(packet::connect(nsp.name(), socket.id(), socket.pid()));
            }
            early.extend(r.missed.into_iter().map(|data| Message {
                data: Some(data),
                ..Message::new(PacketType::Event, nsp.name())
            }));
            socket
        }
        None => Socket::new(nsp.clone(), client, auth, None),
    };
    let mut result = Ok(());
    if !skip {
        for mw in nsp.middlewares() {
            if let Err(e) = mw(socket.clone()).await {
                result = Err(e);
                break;
            }
        }
    }
    Join {
        socket,
        early,
        result,
    }
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

/// The end of `_add` (after `process.nextTick`): refuse, or `_doConnect`. Everything it
/// writes (a restored session's missed packets, the CONNECT reply, what the connection handlers
/// emit) goes out together, as Node writes it in one tick: a GET that arrives meanwhile cannot
/// take only the first packets.
fn finish_join(client: &Arc<ClientInner>, join: Join) {
    client.conn.batch(|| finish_join_batched(client, join));
}

fn finish_join_batched(client: &Arc<ClientInner>, join: Join) {
    let Join {
        socket,
        early,
        result,
    } = join;
    for msg in &early {
        socket.packet(msg, false);
    }
    if !client.conn.is_open() || client.closed.load(Ordering::SeqCst) {
        socket.cleanup();
        return;
    }
    let nsp = socket.nsp().clone();
    match result {
        Err(e) => {
            socket.cleanup();
            let e = match nsp.has_fault(crate::fault::Fault::ConnectErrorWithoutData) {
                true => ConnectError { data: None, ..e },
                false => e,
            };
            tracing::debug!(sid = client.conn.id(), nsp = nsp.name(), error = %e, "CONNECT refused by a middleware");
            client.write_msg(&client.connect_error(nsp.name(), &e));
        }
        Ok(()) => {
            lock(&nsp.0.sockets).insert(socket.id().to_owned(), socket.clone());
            socket.on_connect();
            client.add(&socket);
            client.joined.store(true, Ordering::SeqCst);
            tracing::debug!(
                sid = client.conn.id(),
                nsp = nsp.name(),
                id = socket.id(),
                "socket connected"
            );
            for handler in nsp.connection_handlers() {
                handler(&socket);
            }
        }
    }
}
