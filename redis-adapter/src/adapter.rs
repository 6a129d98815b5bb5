//! One namespace's Redis adapter, as `@socket.io/redis-adapter` 8.3.0's `RedisAdapter`: it keeps
//! the namespace's rooms in an [`InMemoryAdapter`] (local operations stay exactly as they are
//! on a single server), publishes what the other servers must know, and answers what they ask.
//!
//! ```text
//! broadcast           PUBLISH <key>#<nsp>#[<room>#]  [uid, packet, opts]     then deliver locally
//! socketsJoin/Leave   PUBLISH request {type 2|3, opts, rooms}               applied when it comes back
//! disconnectSockets   PUBLISH request {type 4, opts, close}                 applied when it comes back
//! fetchSockets        local + NUMSUB−1 answers of {type 5}                  bounded by requests_timeout
//! serverSideEmit      PUBLISH request {type 6, data}; with ack: NUMSUB−1 answers, bounded
//! emitWithAck         PUBLISH msgpack {type 7}; NUMSUB−1 client counts (type 8), then the acks (type 9)
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use indexmap::IndexSet;
use rand::Rng;
use serde_json::{Value as Json, json};
use sio_protocol::adapter::{
    Broadcast, BroadcastOpts, Channels, Request, Response, SocketSelector, Value as Wire,
};
use sio_protocol::binary::Value;
use sio_protocol::socketio::Message;
use sio_reference_server::socketio::{
    AckAnswers, Adapter, AdapterContext, BroadcastFlags, BroadcastOptions, InMemoryAdapter,
    RemoteSocket, Room, ServerSideAckTimeout, ServerSideReply, Socket, SocketId,
};
use tokio::sync::{mpsc, oneshot};

use crate::convert;
use crate::fault::{self, ClusterFault};
use crate::link::{Handler, Link, Route, Subscription};

/// A request of this node waiting for the other nodes' answers, by request id.
enum Pending {
    /// fetchSockets: the sockets so far; `done` fires when `expected` nodes answered.
    Fetch {
        expected: usize,
        answered: usize,
        sockets: Vec<RemoteSocket>,
        done: Option<oneshot::Sender<()>>,
    },
    /// serverSideEmitWithAck: one answer per node.
    ServerSideAck {
        expected: usize,
        answers: Vec<Value>,
        done: Option<oneshot::Sender<()>>,
    },
    /// A broadcast with acks: each node's client count, then each client's answer.
    BroadcastAck {
        on_answer: AckAnswers,
        counts: mpsc::UnboundedSender<usize>,
    },
}

type Requests = Arc<Mutex<HashMap<String, Pending>>>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Node's `uid2(6)`: 6 characters of `[A-Za-z0-9_-]`, for node uids and request ids.
pub(crate) fn uid2() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The Redis adapter of one namespace (built by [`crate::RedisCluster::factory`]).
pub struct RedisAdapter {
    local: InMemoryAdapter,
    ctx: AdapterContext,
    uid: String,
    channels: Channels,
    link: Arc<Link>,
    requests_timeout: Duration,
    requests: Requests,
    /// The injected bug, if any (feature `faults`).
    fault: Option<ClusterFault>,
    /// The subscriber's routes hold these weakly: dropping the adapter ends its routing.
    _routes: Vec<Handler>,
}

impl RedisAdapter {
    /// Builds the adapter and subscribes to its namespace's channels as Node does: the
    /// broadcast pattern, then the request, response and own response channels together.
    pub(crate) fn start(
        ctx: AdapterContext,
        link: Arc<Link>,
        key: &str,
        requests_timeout: Duration,
        fault: Option<ClusterFault>,
    ) -> Arc<RedisAdapter> {
        let channels = Channels::new(key, ctx.name());
        let uid = uid2();
        Arc::new_cyclic(|me: &Weak<RedisAdapter>| {
            let route = |handle: fn(&RedisAdapter, &str, &[u8])| {
                let me = me.clone();
                Arc::new(move |channel: &str, payload: &[u8]| {
                    if let Some(me) = me.upgrade() {
                        handle(&me, channel, payload);
                    }
                }) as Handler
            };
            let routes = vec![
                route(RedisAdapter::on_broadcast),
                route(RedisAdapter::on_request),
                route(RedisAdapter::on_response),
            ];
            let route_of = |handler: &Handler| Arc::downgrade(handler) as Route;
            // As Node: PSUBSCRIBE the broadcast pattern, then one SUBSCRIBE for the request and
            // response channels (NUMSUB never counts a node that cannot hear answers yet).
            link.subscribe(Subscription {
                names: vec![(channels.broadcast_pattern(), route_of(&routes[0]))],
                pattern: true,
            });
            // The node's own response channel too, as Node subscribes to it whatever its
            // options: a Node node with `publishOnSpecificResponseChannel` answers there.
            link.subscribe(Subscription {
                names: vec![
                    (channels.request().to_owned(), route_of(&routes[1])),
                    (channels.response().to_owned(), route_of(&routes[2])),
                    (channels.specific_response(&uid), route_of(&routes[2])),
                ],
                pattern: false,
            });
            RedisAdapter {
                local: InMemoryAdapter::new(ctx.clone()),
                ctx,
                uid,
                channels,
                link,
                requests_timeout,
                requests: Arc::default(),
                fault,
                _routes: routes,
            }
        })
    }

    /// This node's uid for the namespace (Node's `adapter.uid`).
    pub fn uid(&self) -> &str {
        &self.uid
    }

    /// `socketsJoin` (`join`) or `socketsLeave` for every node: a REMOTE_JOIN / REMOTE_LEAVE
    /// request; this node applies it too when it comes back from Redis, as Node's adapter does.
    fn publish_membership(
        &self,
        opts: &BroadcastOptions,
        rooms: &[Room],
        join: bool,
    ) -> BoxFuture<'static, ()> {
        self.publish_request(&Request::Membership {
            uid: self.uid.clone(),
            join,
            opts: selector_of(opts),
            rooms: rooms.to_vec(),
        });
        Box::pin(async {})
    }

    fn publish_request(&self, request: &Request) {
        self.link.publish(self.channels.request(), request.encode());
    }

    fn publish_response(&self, response: &Response) {
        self.link
            .publish(self.channels.response(), response.encode());
    }

    /// Registers a request before it is published (an answer may come back at once).
    fn register(&self, pending: Pending) -> String {
        let id = uid2();
        lock(&self.requests).insert(id.clone(), pending);
        id
    }

    fn is_own_request(&self, request_id: &str) -> bool {
        lock(&self.requests).contains_key(request_id)
    }

    /// A message on the broadcast pattern. The channel only filters (a room this node does not
    /// have); the sockets are chosen by the message's own `opts`, as Node does.
    fn on_broadcast(&self, channel: &str, payload: &[u8]) {
        let Some(room) = self.channels.room_of(channel) else {
            return;
        };
        if !room.is_empty()
            && self
                .local
                .sockets(&IndexSet::from([room.to_owned()]))
                .is_empty()
        {
            return;
        }
        let Ok(broadcast) = Broadcast::decode(payload) else {
            tracing::debug!("ignored a broadcast that does not decode on {channel}");
            return;
        };
        if broadcast.uid == self.uid {
            return;
        }
        let nsp = broadcast
            .packet
            .get("nsp")
            .and_then(Wire::as_str)
            .unwrap_or("/");
        if nsp != self.ctx.name() {
            return;
        }
        let Some(msg) = convert::message_of(&broadcast.packet, nsp) else {
            return;
        };
        let opts = options_of(&broadcast.opts);
        self.local.broadcast(msg, &opts);
    }

    fn on_request(&self, _channel: &str, payload: &[u8]) {
        let Ok(request) = Request::decode(payload) else {
            return;
        };
        if self.fault == Some(ClusterFault::RequestsUnanswered) && awaits_answer(&request) {
            return;
        }
        match request {
            Request::Sockets {
                request_id, rooms, ..
            } => {
                if self.is_own_request(&request_id) {
                    return;
                }
                let ids = self.local.sockets(&rooms.into_iter().collect());
                self.publish_response(&Response::Sockets {
                    request_id,
                    sockets: json!(ids),
                });
            }
            Request::AllRooms { request_id, .. } => {
                if self.is_own_request(&request_id) {
                    return;
                }
                let mut rooms: IndexSet<Room> = IndexSet::new();
                for sid in self.local.sockets(&IndexSet::new()) {
                    rooms.extend(self.local.socket_rooms(&sid).unwrap_or_default());
                }
                self.publish_response(&Response::Rooms {
                    request_id,
                    rooms: rooms.into_iter().collect(),
                });
            }
            // No uid check: the sender applies its own socketsJoin / socketsLeave /
            // disconnectSockets when its request comes back from Redis.
            Request::Membership {
                join, opts, rooms, ..
            } => {
                let opts = selector_options(&opts);
                let done = if join {
                    self.local.add_sockets(&opts, &rooms)
                } else {
                    self.local.del_sockets(&opts, &rooms)
                };
                let _ = done.now_or_never();
            }
            Request::OneSocketMembership {
                request_id,
                join,
                sid,
                room,
                ..
            } => {
                let Some(socket) = self.ctx.socket(&sid) else {
                    return;
                };
                if join {
                    socket.join(room);
                } else {
                    socket.leave(room);
                }
                self.publish_response(&Response::Done { request_id });
            }
            Request::Disconnect { opts, close, .. } => {
                let _ = self
                    .local
                    .disconnect_sockets(&selector_options(&opts), close)
                    .now_or_never();
            }
            Request::Fetch {
                request_id, opts, ..
            } => {
                if self.is_own_request(&request_id) {
                    return;
                }
                let found = self
                    .local
                    .fetch_sockets(&selector_options(&opts))
                    .now_or_never()
                    .unwrap_or_default();
                let sockets: Vec<Json> = found
                    .iter()
                    .filter_map(|s| s.local.as_ref())
                    .map(socket_details)
                    .collect();
                self.publish_response(&Response::Sockets {
                    request_id,
                    sockets: Json::Array(sockets),
                });
            }
            Request::ServerSideEmit {
                uid,
                request_id,
                data,
            } => {
                if uid == self.uid {
                    return;
                }
                let args = match convert::from_json(&data) {
                    Value::Array(args) => args,
                    other => vec![other],
                };
                let Some(request_id) = request_id else {
                    self.ctx.server_side_event(args);
                    return;
                };
                self.ctx
                    .server_side_event_with_ack(args, self.server_side_reply(request_id));
            }
            Request::BroadcastWithAck {
                request_id,
                packet,
                opts,
                ..
            } => {
                if self.is_own_request(&request_id) {
                    return;
                }
                let Some(mut msg) = convert::message_of(&packet, self.ctx.name()) else {
                    return;
                };
                msg.id = Some(self.ctx.next_ack_id());
                let (link, channel, id) = (
                    self.link.clone(),
                    self.channels.response().to_owned(),
                    request_id.clone(),
                );
                // Each client's answer: its first argument only, as Node's adapter sends it.
                let on_answer: AckAnswers = Arc::new(move |args: Vec<Value>| {
                    let packet = args.first().map_or(Wire::Undefined, convert::to_wire);
                    let response = Response::BroadcastAck {
                        request_id: id.clone(),
                        packet,
                    };
                    link.publish(channel.clone(), response.encode());
                });
                let opts = options_of(&opts);
                let count = self
                    .local
                    .broadcast_with_ack(msg, &opts, on_answer)
                    .now_or_never()
                    .unwrap_or(0);
                self.publish_response(&Response::BroadcastClientCount {
                    request_id,
                    client_count: count as u64,
                });
            }
        }
    }

    /// The callback a local handler answers a remote `serverSideEmitWithAck` with: the first
    /// argument of its first call goes back.
    fn server_side_reply(&self, request_id: String) -> ServerSideReply {
        let (link, channel) = (self.link.clone(), self.channels.response().to_owned());
        let called = std::sync::atomic::AtomicBool::new(false);
        Arc::new(move |args: Vec<Value>| {
            if called.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let response = Response::ServerSideEmitAck {
                request_id: request_id.clone(),
                data: args.first().map(convert::to_json),
            };
            link.publish(channel.clone(), response.encode());
        })
    }

    fn on_response(&self, _channel: &str, payload: &[u8]) {
        let Ok(response) = Response::decode(payload) else {
            return;
        };
        let mut requests = lock(&self.requests);
        match response {
            Response::Sockets {
                request_id,
                sockets,
            } => {
                if let Some(Pending::Fetch {
                    expected,
                    answered,
                    sockets: found,
                    done,
                }) = requests.get_mut(&request_id)
                {
                    found.extend(
                        sockets
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(remote_socket),
                    );
                    *answered += 1;
                    if *answered >= *expected
                        && let Some(done) = done.take()
                    {
                        let _ = done.send(());
                    }
                }
            }
            Response::ServerSideEmitAck { request_id, data } => {
                if let Some(Pending::ServerSideAck {
                    expected,
                    answers,
                    done,
                }) = requests.get_mut(&request_id)
                {
                    answers.push(data.as_ref().map_or(Value::Null, convert::from_json));
                    if answers.len() >= *expected
                        && let Some(done) = done.take()
                    {
                        let _ = done.send(());
                    }
                }
            }
            Response::BroadcastClientCount {
                request_id,
                client_count,
            } => {
                if let Some(Pending::BroadcastAck { counts, .. }) = requests.get(&request_id) {
                    let _ = counts.send(client_count as usize);
                }
            }
            Response::BroadcastAck { request_id, packet } => {
                if let Some(Pending::BroadcastAck { on_answer, .. }) = requests.get(&request_id) {
                    let on_answer = on_answer.clone();
                    drop(requests);
                    on_answer(vec![convert::from_wire(&packet)]);
                }
            }
            Response::Rooms { .. } | Response::Done { .. } => {}
        }
    }
}

/// The options of a received broadcast (`volatile` is the only flag a delivery looks at).
fn options_of(opts: &BroadcastOpts) -> BroadcastOptions {
    let volatile = matches!(
        opts.flags.as_ref().and_then(|f| f.get("volatile")),
        Some(Wire::Bool(true))
    );
    BroadcastOptions {
        rooms: opts.rooms.iter().cloned().collect(),
        except: opts.except.iter().cloned().collect(),
        flags: BroadcastFlags {
            volatile,
            ..BroadcastFlags::default()
        },
    }
}

fn selector_options(opts: &SocketSelector) -> BroadcastOptions {
    BroadcastOptions {
        rooms: opts.rooms.iter().cloned().collect(),
        except: opts.except.iter().cloned().collect(),
        flags: BroadcastFlags::default(),
    }
}

fn selector_of(opts: &BroadcastOptions) -> SocketSelector {
    SocketSelector {
        rooms: opts.rooms.iter().cloned().collect(),
        except: opts.except.iter().cloned().collect(),
    }
}

/// The `flags` Node publishes: only the flags that are set, in its order.
fn flags_value(flags: &BroadcastFlags) -> Wire {
    let mut entries = Vec::new();
    if flags.volatile {
        entries.push(("volatile".to_owned(), Wire::Bool(true)));
    }
    if let Some(timeout) = flags.timeout {
        entries.push((
            "timeout".to_owned(),
            Wire::Number(timeout.as_millis() as f64),
        ));
    }
    Wire::Map(entries)
}

/// Whether the sender of `request` waits for this node's answer.
fn awaits_answer(request: &Request) -> bool {
    match request {
        Request::Sockets { .. }
        | Request::AllRooms { .. }
        | Request::OneSocketMembership { .. }
        | Request::Fetch { .. }
        | Request::BroadcastWithAck { .. } => true,
        Request::ServerSideEmit { request_id, .. } => request_id.is_some(),
        _ => false,
    }
}

fn wire_opts(opts: &BroadcastOptions) -> BroadcastOpts {
    BroadcastOpts {
        rooms: opts.rooms.iter().cloned().collect(),
        except: opts.except.iter().cloned().collect(),
        flags: Some(flags_value(&opts.flags)),
    }
}

/// A REMOTE_FETCH answer's socket: `{id, handshake, rooms, data}` (Node's handshake without
/// `sessionStore`).
fn socket_details(socket: &Socket) -> Json {
    let handshake = socket.handshake();
    let headers: serde_json::Map<String, Json> = handshake
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                Json::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            )
        })
        .collect();
    let issued = handshake
        .issued
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let query: serde_json::Map<String, Json> = handshake
        .query()
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    json!({
        "id": socket.id(),
        "handshake": {
            "headers": headers,
            "time": issued.to_string(),
            "address": "",
            "xdomain": handshake.headers().contains_key("origin"),
            "secure": false,
            "issued": issued,
            "url": handshake.request.uri.to_string(),
            "query": query,
            "auth": handshake.auth_json(),
        },
        "rooms": socket.rooms(),
        "data": socket.data(),
    })
}

/// A socket of another node, from its REMOTE_FETCH answer.
fn remote_socket(details: &Json) -> Option<RemoteSocket> {
    Some(RemoteSocket {
        id: details.get("id")?.as_str()?.to_owned(),
        rooms: details
            .get("rooms")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        data: details.get("data").cloned().unwrap_or(Json::Null),
        local: None,
    })
}

impl Adapter for RedisAdapter {
    fn add_all(&self, sid: &str, rooms: &[Room]) {
        self.local.add_all(sid, rooms);
    }

    fn del(&self, sid: &str, room: &str) {
        self.local.del(sid, room);
    }

    fn del_all(&self, sid: &str) {
        self.local.del_all(sid);
    }

    fn broadcast(&self, packet: Message, opts: &BroadcastOptions) {
        if !opts.flags.local {
            let rooms: Vec<Room> = opts.rooms.iter().cloned().collect();
            let mut message = Broadcast {
                uid: self.uid.clone(),
                packet: convert::packet_object(&packet),
                opts: wire_opts(opts),
            };
            let mut channel = self.channels.broadcast(&rooms);
            match self.fault {
                Some(ClusterFault::ExceptDropped) => message.opts.except.clear(),
                Some(ClusterFault::RoomChannelUnterminated) if rooms.len() == 1 => {
                    channel.pop();
                }
                Some(ClusterFault::IntegersTruncated) => {
                    convert::map_numbers(&mut message.packet, fault::truncated)
                }
                _ => {}
            }
            self.link.publish(&channel, message.encode());
        }
        self.local.broadcast(packet, opts);
    }

    fn sockets(&self, rooms: &IndexSet<Room>) -> Vec<SocketId> {
        self.local.sockets(rooms)
    }

    fn socket_rooms(&self, sid: &str) -> Option<Vec<Room>> {
        self.local.socket_rooms(sid)
    }

    fn broadcast_with_ack(
        &self,
        packet: Message,
        opts: &BroadcastOptions,
        on_answer: AckAnswers,
    ) -> BoxFuture<'static, usize> {
        if opts.flags.local {
            return self.local.broadcast_with_ack(packet, opts, on_answer);
        }
        let (counts, mut counted) = mpsc::unbounded_channel();
        let request_id = self.register(Pending::BroadcastAck {
            on_answer: on_answer.clone(),
            counts,
        });
        let mut remote_packet = packet.clone();
        remote_packet.id = None;
        self.publish_request(&Request::BroadcastWithAck {
            uid: self.uid.clone(),
            request_id: request_id.clone(),
            packet: convert::packet_object(&remote_packet),
            opts: wire_opts(opts),
        });
        let local = self
            .local
            .broadcast_with_ack(packet, opts, on_answer)
            .now_or_never()
            .unwrap_or(0);
        let wait = opts.flags.timeout.unwrap_or(self.requests_timeout);
        let deadline = tokio::time::Instant::now() + wait;
        // Node forgets the request after its timeout: answers that come later are dropped.
        let requests = self.requests.clone();
        let forget = request_id.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(deadline).await;
            lock(&requests).remove(&forget);
        });
        let link = self.link.clone();
        let channel = self.channels.request().to_owned();
        Box::pin(async move {
            let servers = link.numsub(&channel).await.unwrap_or(1);
            let mut total = local;
            for _ in 1..servers {
                match tokio::time::timeout_at(deadline, counted.recv()).await {
                    Ok(Some(n)) => total += n,
                    _ => break,
                }
            }
            total
        })
    }

    fn fetch_sockets(&self, opts: &BroadcastOptions) -> BoxFuture<'static, Vec<RemoteSocket>> {
        let local = self
            .local
            .fetch_sockets(opts)
            .now_or_never()
            .unwrap_or_default();
        if opts.flags.local {
            return Box::pin(async move { local });
        }
        let link = self.link.clone();
        let requests = self.requests.clone();
        let (uid, channel, timeout) = (
            self.uid.clone(),
            self.channels.request().to_owned(),
            self.requests_timeout,
        );
        let selector = selector_of(opts);
        Box::pin(async move {
            let servers = link.numsub(&channel).await.unwrap_or(1);
            if servers <= 1 {
                return local;
            }
            let (done, finished) = oneshot::channel();
            let request_id = uid2();
            lock(&requests).insert(
                request_id.clone(),
                Pending::Fetch {
                    expected: servers - 1,
                    answered: 0,
                    sockets: local,
                    done: Some(done),
                },
            );
            let request = Request::Fetch {
                uid,
                request_id: request_id.clone(),
                opts: selector,
            };
            link.publish(channel, request.encode());
            if tokio::time::timeout(timeout, finished).await.is_err() {
                tracing::warn!(
                    "timeout reached while waiting for fetchSockets response: answering with the sockets found so far"
                );
            }
            match lock(&requests).remove(&request_id) {
                Some(Pending::Fetch { sockets, .. }) => sockets,
                _ => Vec::new(),
            }
        })
    }

    fn add_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()> {
        if opts.flags.local {
            return self.local.add_sockets(opts, rooms);
        }
        self.publish_membership(opts, rooms, true)
    }

    fn del_sockets(&self, opts: &BroadcastOptions, rooms: &[Room]) -> BoxFuture<'static, ()> {
        if opts.flags.local {
            return self.local.del_sockets(opts, rooms);
        }
        self.publish_membership(opts, rooms, false)
    }

    fn disconnect_sockets(&self, opts: &BroadcastOptions, close: bool) -> BoxFuture<'static, ()> {
        if opts.flags.local {
            return self.local.disconnect_sockets(opts, close);
        }
        self.publish_request(&Request::Disconnect {
            uid: self.uid.clone(),
            opts: selector_of(opts),
            close,
        });
        Box::pin(async {})
    }

    /// `serverCount`: PUBSUB NUMSUB on the request channel, which counts subscribed
    /// connections (1 when Redis cannot be asked).
    fn server_count(&self) -> BoxFuture<'static, usize> {
        let (link, channel) = (self.link.clone(), self.channels.request().to_owned());
        Box::pin(async move { link.numsub(&channel).await.unwrap_or(1) })
    }

    fn server_side_emit(&self, args: Vec<Value>) -> BoxFuture<'static, ()> {
        self.publish_request(&Request::ServerSideEmit {
            uid: self.uid.clone(),
            request_id: None,
            data: convert::to_json(&Value::Array(args)),
        });
        Box::pin(async {})
    }

    fn server_side_emit_with_ack(
        &self,
        args: Vec<Value>,
    ) -> BoxFuture<'static, Result<Vec<Value>, ServerSideAckTimeout>> {
        let link = self.link.clone();
        let requests = self.requests.clone();
        let (uid, channel, timeout) = (
            self.uid.clone(),
            self.channels.request().to_owned(),
            self.requests_timeout,
        );
        Box::pin(async move {
            let expected = link.numsub(&channel).await.unwrap_or(1).saturating_sub(1);
            if expected == 0 {
                return Ok(Vec::new());
            }
            let (done, finished) = oneshot::channel();
            let request_id = uid2();
            lock(&requests).insert(
                request_id.clone(),
                Pending::ServerSideAck {
                    expected,
                    answers: Vec::new(),
                    done: Some(done),
                },
            );
            let request = Request::ServerSideEmit {
                uid,
                request_id: Some(request_id.clone()),
                data: convert::to_json(&Value::Array(args)),
            };
            link.publish(channel, request.encode());
            let in_time = tokio::time::timeout(timeout, finished).await.is_ok();
            let answers = match lock(&requests).remove(&request_id) {
                Some(Pending::ServerSideAck { answers, .. }) => answers,
                _ => Vec::new(),
            };
            if in_time {
                Ok(answers)
            } else {
                Err(ServerSideAckTimeout { answers, expected })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_six_characters_of_uid2s_alphabet_and_differ() {
        let a = uid2();
        assert_eq!(a.len(), 6);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        // 64^6 values: two equal draws in a row mean the generator is broken.
        assert_ne!(a, uid2());
    }

    #[test]
    fn flags_carry_only_what_is_set_in_nodes_order() {
        assert_eq!(flags_value(&BroadcastFlags::default()), Wire::Map(vec![]));
        let flags = BroadcastFlags {
            volatile: true,
            local: true,
            timeout: Some(Duration::from_millis(1500)),
        };
        assert_eq!(
            flags_value(&flags),
            Wire::Map(vec![
                ("volatile".into(), Wire::Bool(true)),
                ("timeout".into(), Wire::Number(1500.0)),
            ])
        );
    }

    #[test]
    fn a_received_broadcast_keeps_rooms_except_and_volatile() {
        let opts = BroadcastOpts {
            rooms: vec!["r1".into(), "r2".into()],
            except: vec!["s1".into()],
            flags: Some(Wire::Map(vec![("volatile".into(), Wire::Bool(true))])),
        };
        let options = options_of(&opts);
        assert_eq!(options.rooms.iter().collect::<Vec<_>>(), ["r1", "r2"]);
        assert_eq!(options.except.iter().collect::<Vec<_>>(), ["s1"]);
        assert!(options.flags.volatile && !options.flags.local);
        let plain = BroadcastOpts {
            flags: None,
            ..opts
        };
        assert!(!options_of(&plain).flags.volatile);
    }

    #[test]
    fn a_remote_fetch_answer_becomes_a_remote_socket() {
        let details =
            json!({"id": "abc", "handshake": {}, "rooms": ["abc", "r1"], "data": {"n": 1}});
        let socket = remote_socket(&details).unwrap();
        assert_eq!(socket.id, "abc");
        assert_eq!(socket.rooms, ["abc", "r1"]);
        assert_eq!(socket.data, json!({"n": 1}));
        assert!(socket.local.is_none());
        assert!(remote_socket(&json!({"rooms": []})).is_none(), "no id");
    }
}
