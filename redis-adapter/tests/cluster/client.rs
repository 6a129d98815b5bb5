//! A raw Socket.IO client over WebSocket for the cluster tests: connects to `/` of a node,
//! emits (with or without an ack), answers the server's acks, and reads events with a bounded
//! wait (engine pings answered and skipped; binary attachments reassembled).

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sio_protocol::binary::Value;
use sio_protocol::socketio::{Message, PacketType, Reassembler};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Frame;

/// How long any one read may wait.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct Client {
    ws: WebSocketStream<TcpStream>,
    reassembler: Reassembler,
    /// Packets read while waiting for something else (an ack), in order.
    queued: VecDeque<Message>,
    next_id: u64,
    /// The socket id on `/`.
    pub sid: String,
}

/// Something a client saw.
#[derive(Debug, PartialEq)]
pub enum Seen {
    /// An event: name, arguments, the ack id the server asked an answer for.
    Event(String, Vec<Value>, Option<u64>),
    /// A DISCONNECT packet.
    Disconnect,
    /// The connection closed.
    Closed,
}

impl Client {
    /// Opens a WebSocket to `base` (`http://127.0.0.1:PORT`) and joins `/`.
    pub async fn connect(base: &str) -> Client {
        let addr = base.trim_start_matches("http://").to_owned();
        let tcp = TcpStream::connect(&addr).await.expect("tcp connect");
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(url, tcp))
            .await
            .expect("the WebSocket handshake in time")
            .expect("the WebSocket handshake");
        let mut client = Client {
            ws,
            reassembler: Reassembler::default(),
            queued: VecDeque::new(),
            next_id: 0,
            sid: String::new(),
        };
        let open = client.frame().await.expect("an open packet");
        assert!(
            matches!(&open, Frame::Text(t) if t.starts_with("0{")),
            "{open:?}"
        );
        client.send(Message::new(PacketType::Connect, "/")).await;
        let connect = client.message().await.expect("a CONNECT reply");
        assert_eq!(connect.kind, PacketType::Connect, "{connect:?}");
        let Some(Value::Object(fields)) = connect.data else {
            panic!("CONNECT without a sid")
        };
        client.sid = match fields.iter().find(|(k, _)| k == "sid") {
            Some((_, Value::String(sid))) => sid.clone(),
            _ => panic!("CONNECT without a sid"),
        };
        // Both node kinds greet a socket of `/` with `auth` (the contract's first event).
        client.expect("auth").await;
        client
    }

    async fn frame(&mut self) -> Option<Frame> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the bounded wait")?
                .ok()?;
            match &frame {
                Frame::Text(t) if t.as_str() == "2" => {
                    let _ = self.ws.send(Frame::text("3")).await;
                }
                Frame::Ping(_) | Frame::Pong(_) => {}
                Frame::Close(_) => return None,
                _ => return Some(frame),
            }
        }
    }

    /// The next Socket.IO packet (`None` when the connection closed).
    async fn message(&mut self) -> Option<Message> {
        if let Some(m) = self.queued.pop_front() {
            return Some(m);
        }
        loop {
            let done = match self.frame().await? {
                Frame::Text(t) => {
                    let text = t.as_str().strip_prefix('4').expect("an engine message");
                    self.reassembler
                        .push_text(text)
                        .expect("a Socket.IO packet")
                }
                Frame::Binary(b) => self.reassembler.push_binary(&b).expect("an attachment"),
                _ => None,
            };
            if let Some(m) = done {
                return Some(m);
            }
        }
    }

    async fn send(&mut self, msg: Message) {
        let encoded = msg.encode();
        let text = format!("4{}", encoded.packet.encode());
        self.ws.send(Frame::text(text)).await.expect("send");
        for attachment in encoded.attachments {
            self.ws
                .send(Frame::binary(attachment))
                .await
                .expect("send an attachment");
        }
    }

    /// Emits `event`(…`args`) and returns the ack's arguments (other packets are kept).
    pub async fn call(&mut self, event: &str, args: Vec<Value>) -> Vec<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = Message::event("/", event, args);
        msg.id = Some(id);
        self.send(msg).await;
        let mut kept = Vec::new();
        let answer = loop {
            let m = Box::pin(self.message())
                .await
                .expect("an ack before the close");
            if matches!(m.kind, PacketType::Ack | PacketType::BinaryAck) && m.id == Some(id) {
                break m;
            }
            kept.push(m);
        };
        self.queued.extend(kept);
        match answer.data {
            Some(Value::Array(args)) => args,
            _ => Vec::new(),
        }
    }

    /// Answers an event the server sent with ack id `id`.
    pub async fn answer(&mut self, id: u64, args: Vec<Value>) {
        let msg = Message {
            id: Some(id),
            data: Some(Value::Array(args)),
            ..Message::new(PacketType::Ack, "/")
        };
        self.send(msg).await;
    }

    /// The next thing the client sees.
    pub async fn next(&mut self) -> Seen {
        let Some(m) = self.message().await else {
            return Seen::Closed;
        };
        match (m.kind, m.data) {
            (PacketType::Event | PacketType::BinaryEvent, Some(Value::Array(mut items))) => {
                let Value::String(name) = items.remove(0) else {
                    panic!("an event without a name")
                };
                Seen::Event(name, items, m.id)
            }
            (PacketType::Disconnect, _) => Seen::Disconnect,
            (kind, data) => panic!("unexpected packet {kind:?} {data:?}"),
        }
    }

    /// The next event, which must be `event`: its arguments.
    pub async fn expect(&mut self, event: &str) -> Vec<Value> {
        match self.next().await {
            Seen::Event(name, args, _) if name == event => args,
            other => panic!("expected {event}, saw {other:?}"),
        }
    }

    /// Joins `rooms` through the contract's `join` control event (both node kinds have it).
    pub async fn join(&mut self, rooms: &[&str]) {
        let rooms = Value::Array(rooms.iter().map(|r| Value::from(*r)).collect());
        self.call("join", vec![rooms]).await;
    }
}
