//! The chat example (examples/chat) built in-process on an ephemeral port and driven with raw
//! WebSocket clients: its HTTP routes, the token middleware, rooms, messages to a room and to
//! the others, the admin metrics, and the departure notice.

#[path = "../examples/chat/app.rs"]
#[allow(dead_code)]
mod app;

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::support::{Seen, WsClient, raw_request, within};

async fn start() -> SocketAddr {
    sio_test_support::serve_here(app::Chat::new().router()).await
}

/// A raw Socket.IO client over a WebSocket on the chat's `/socket.io/`.
struct Client {
    ws: WsClient,
}

impl Client {
    async fn open(addr: SocketAddr) -> Client {
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (ws, _) = within(
            "the WebSocket handshake",
            tokio_tungstenite::client_async(url, tcp),
        )
        .await
        .unwrap();
        let mut c = Client {
            ws: WsClient { ws },
        };
        assert!(c.text().await.starts_with("0{"), "the open packet");
        c
    }

    /// Opens and joins `/` as the user of `token`; returns the `login` event's data.
    async fn login(addr: SocketAddr, token: &str) -> (Client, Value) {
        let mut c = Client::open(addr).await;
        c.send(&format!(r#"40{{"token":"{token}"}}"#)).await;
        assert!(c.text().await.starts_with(r#"40{"sid":"#));
        let login = c.event("login").await;
        (c, login)
    }

    async fn send(&mut self, text: &str) {
        self.ws.send(text).await;
    }

    async fn text(&mut self) -> String {
        match self.ws.next().await {
            Seen::Text(t) => t,
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next frame, which must be `42["<name>",<data>]` on `/`; its data.
    async fn event(&mut self, name: &str) -> Value {
        let t = self.text().await;
        let body = t
            .strip_prefix("42")
            .unwrap_or_else(|| panic!("not an event: {t}"));
        let v: Value = serde_json::from_str(body).unwrap();
        assert_eq!(v[0], json!(name), "{t}");
        v[1].clone()
    }

    /// The next frame, which must be the ack `<prefix>[<data>]`; its data.
    async fn ack(&mut self, prefix: &str) -> Value {
        let t = self.text().await;
        let body = t
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("not {prefix}…: {t}"));
        let v: Value = serde_json::from_str(body).unwrap();
        v[0].clone()
    }
}

#[tokio::test]
async fn http_routes_share_the_port() {
    let addr = start().await;
    let r = within(
        "GET /api/health",
        raw_request(addr, "GET", "/api/health", &[], b""),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let health: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(health, json!({"status": "ok", "sockets": 0}));
    let r = within("GET /", raw_request(addr, "GET", "/", &[], b""))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.text().contains("socket.io"));
}

#[tokio::test]
async fn tokens_are_verified_by_the_middleware() {
    let addr = start().await;
    let mut c = Client::open(addr).await;
    c.send(r#"40{"token":"stolen"}"#).await;
    assert_eq!(
        c.text().await,
        r#"44{"message":"unauthorized","data":{"reason":"invalid token"}}"#
    );
    // The connection stays: a good token on the same engine connection is let in.
    c.send(r#"40{"token":"alice-token"}"#).await;
    assert!(c.text().await.starts_with(r#"40{"sid":"#));
    assert_eq!(
        c.event("login").await,
        json!({"username": "alice", "numUsers": 1})
    );
}

#[tokio::test]
async fn rooms_messages_metrics_and_departures() {
    let addr = start().await;
    let (mut alice, login) = Client::login(addr, "alice-token").await;
    assert_eq!(login, json!({"username": "alice", "numUsers": 1}));
    let (mut bob, login) = Client::login(addr, "bob-token").await;
    assert_eq!(login, json!({"username": "bob", "numUsers": 2}));
    assert_eq!(
        alice.event("user joined").await,
        json!({"username": "bob", "numUsers": 2})
    );

    // Rooms: join with an ack listing the chat rooms; the room's others hear of it.
    alice.send(r#"421["join","general"]"#).await;
    assert_eq!(alice.ack("431").await, json!({"rooms": ["general"]}));
    bob.send(r#"421["join","general"]"#).await;
    assert_eq!(bob.ack("431").await, json!({"rooms": ["general"]}));
    assert_eq!(
        alice.event("user joined room").await,
        json!({"username": "bob", "room": "general"})
    );

    // A message to the room reaches the others in it, with the sender the middleware verified;
    // the sender gets the message number.
    alice
        .send(r#"422["new message",{"text":"hi","room":"general"}]"#)
        .await;
    assert_eq!(alice.ack("432").await, json!({"id": 1}));
    assert_eq!(
        bob.event("new message").await,
        json!({"username": "alice", "text": "hi", "room": "general"})
    );
    // Without a room: everyone else.
    bob.send(r#"42["new message",{"text":"yo"}]"#).await;
    assert_eq!(
        alice.event("new message").await,
        json!({"username": "bob", "text": "yo", "room": null})
    );
    bob.send(r#"42["typing"]"#).await;
    assert_eq!(alice.event("typing").await, json!({"username": "bob"}));

    // /admin wants an admin token; its metrics count sockets, rooms and messages.
    let mut admin = Client::open(addr).await;
    admin.send(r#"40/admin,{"token":"bob-token"}"#).await;
    assert_eq!(
        admin.text().await,
        r#"44/admin,{"message":"forbidden","data":{"reason":"admin token required"}}"#
    );
    admin.send(r#"40/admin,{"token":"admin-token"}"#).await;
    assert!(admin.text().await.starts_with(r#"40/admin,{"sid":"#));
    admin.send(r#"42/admin,1["metrics"]"#).await;
    assert_eq!(
        admin.ack("43/admin,1").await,
        json!({"sockets": 2, "rooms": ["general"], "messages": 2})
    );

    // Leaving a room, then leaving the chat.
    bob.send(r#"423["leave","general"]"#).await;
    assert_eq!(bob.ack("433").await, json!({"rooms": []}));
    drop(bob);
    assert_eq!(
        alice.event("user left").await,
        json!({"username": "bob", "numUsers": 1})
    );
}
