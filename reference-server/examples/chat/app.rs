//! The chat application: the official socket.io chat example's events, plus rooms, token
//! authentication in a `/` middleware, and an `/admin` namespace for metrics, served next to
//! ordinary axum routes on one port. `main.rs` serves it; the integration tests build it
//! in-process.
//!
//! ```text
//! GET /               a tiny HTML page that loads the official client from a CDN
//! GET /api/health     {"status":"ok","sockets":N}
//! /  (auth {token})   middleware: unknown token → connect_error "unauthorized" {reason}
//!    connection       → "login" {username, numUsers}; others ← "user joined" {username, numUsers}
//!    "join" room      → joins; the room's others ← "user joined room" {username, room}; ack {rooms}
//!    "leave" room     → leaves; ack {rooms}
//!    "new message" {text, room?}
//!                     → the room's others (or everyone else) ← "new message" {username, text, room}
//!                       ack {id}: the server-wide message number
//!    "typing" / "stop typing"
//!                     → everyone else ← the same event {username}
//!    disconnect       → others ← "user left" {username, numUsers}
//! /admin (auth {token} of an admin)
//!    "metrics"        → ack {sockets, rooms, messages}
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value as Json, json};
use sio_reference_server::EngineConfig;
use sio_reference_server::socketio::{
    AckSender, ConnectError, Data, Socket, SocketIo, SocketIoConfig, Value,
};

/// The known users: token → (name, admin). A real application would verify a signed token; a
/// table keeps the example self-contained.
const USERS: &[(&str, &str, bool)] = &[
    ("alice-token", "alice", false),
    ("bob-token", "bob", false),
    ("carol-token", "carol", false),
    ("admin-token", "admin", true),
];

/// The verified user the `/` middleware keeps in `socket.data`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// The display name.
    pub name: String,
    /// Whether the user may read `/admin` metrics.
    pub admin: bool,
}

/// The application: the Socket.IO server and its counters.
#[derive(Clone)]
pub struct Chat {
    io: SocketIo,
    messages: Arc<AtomicU64>,
}

impl Chat {
    /// The chat server with its namespaces and handlers. Must run inside a tokio runtime only
    /// when [`Chat::router`] is called.
    pub fn new() -> Chat {
        let chat = Chat {
            io: SocketIo::new(SocketIoConfig::default()),
            messages: Arc::new(AtomicU64::new(0)),
        };
        chat.io.of("/").use_middleware(|socket: Socket| async move {
            let user = verify(&socket)?;
            socket.with_data(|d| d["user"] = json!({"name": user.name, "admin": user.admin}));
            Ok(())
        });
        let c = chat.clone();
        chat.io
            .of("/")
            .on_connection(move |s| c.on_main_connection(s));
        chat.io
            .of("/admin")
            .use_middleware(|socket: Socket| async move {
                match verify(&socket)? {
                    User { admin: true, .. } => Ok(()),
                    _ => Err(ConnectError::new("forbidden")
                        .with_data(json!({"reason": "admin token required"}))),
                }
            });
        let c = chat.clone();
        chat.io
            .of("/admin")
            .on_connection(move |s| c.on_admin_connection(s));
        chat
    }

    /// The HTTP routes and the Socket.IO engine at `/socket.io/`, on one router. Must run
    /// inside a tokio runtime (the engine starts its timer).
    pub fn router(&self) -> Router {
        let health = self.clone();
        Router::new()
            .route("/", get(|| async { Html(PAGE) }))
            .route(
                "/api/health",
                get(move || {
                    let sockets = health.io.of("/").sockets().len();
                    let body = json!({"status": "ok", "sockets": sockets}).to_string();
                    async move { ([(header::CONTENT_TYPE, "application/json")], body) }
                }),
            )
            .merge(
                self.io
                    .engine({
                        let mut c = EngineConfig::default();
                        c.path = "/socket.io/".into();
                        c
                    })
                    .router(),
            )
    }

    fn num_users(&self) -> usize {
        self.io.of("/").sockets().len()
    }

    fn on_main_connection(&self, socket: &Socket) {
        let name = user(socket).name;
        tracing::info!(user = %name, id = socket.id(), "user connected");
        let login = json!({"username": name, "numUsers": self.num_users()});
        let _ = socket.emit("login", &login);
        let _ = socket.broadcast().emit("user joined", &login);

        socket.on(
            "join",
            |socket: Socket, Data(room): Data<String>, ack: Option<AckSender>| {
                socket.join(room.as_str());
                let joined = json!({"username": user(&socket).name, "room": room});
                let _ = socket.to(room.as_str()).emit("user joined room", &joined);
                if let Some(ack) = ack {
                    ack.send(vec![Value::from(&json!({"rooms": chat_rooms(&socket)}))]);
                }
            },
        );
        socket.on(
            "leave",
            |socket: Socket, Data(room): Data<String>, ack: Option<AckSender>| {
                socket.leave(room);
                if let Some(ack) = ack {
                    ack.send(vec![Value::from(&json!({"rooms": chat_rooms(&socket)}))]);
                }
            },
        );
        let counter = self.messages.clone();
        socket.on(
            "new message",
            move |socket: Socket, Data(msg): Data<NewMessage>, ack: Option<AckSender>| {
                let id = counter.fetch_add(1, Ordering::Relaxed) + 1;
                let out =
                    json!({"username": user(&socket).name, "text": msg.text, "room": msg.room});
                let target = match &msg.room {
                    Some(room) => socket.to(room.as_str()),
                    None => socket.broadcast(),
                };
                let _ = target.emit("new message", &out);
                if let Some(ack) = ack {
                    ack.send(vec![Value::from(&json!({"id": id}))]);
                }
            },
        );
        for event in ["typing", "stop typing"] {
            socket.on(event, move |socket: Socket| {
                let who = json!({"username": user(&socket).name});
                let _ = socket.broadcast().emit(event, &who);
            });
        }
        let chat = self.clone();
        socket.on_disconnect(move |socket, reason| {
            let name = user(socket).name;
            tracing::info!(user = %name, reason = reason.as_str(), "user disconnected");
            let left = json!({"username": name, "numUsers": chat.num_users()});
            let _ = socket.broadcast().emit("user left", &left);
        });
    }

    fn on_admin_connection(&self, socket: &Socket) {
        let chat = self.clone();
        socket.on("metrics", move |ack: Option<AckSender>| {
            if let Some(ack) = ack {
                ack.send(vec![Value::from(&chat.metrics())]);
            }
        });
    }

    /// `{sockets, rooms, messages}`: connected sockets on `/`, the chat rooms in use (sorted;
    /// each socket's own room left out), and messages relayed so far.
    pub fn metrics(&self) -> Json {
        let sockets = self.io.of("/").sockets();
        let mut rooms: Vec<String> = sockets.iter().flat_map(chat_rooms).collect();
        rooms.sort();
        rooms.dedup();
        json!({
            "sockets": sockets.len(),
            "rooms": rooms,
            "messages": self.messages.load(Ordering::Relaxed),
        })
    }
}

impl Default for Chat {
    fn default() -> Chat {
        Chat::new()
    }
}

/// A "new message" payload.
#[derive(Debug, Deserialize)]
struct NewMessage {
    text: String,
    #[serde(default)]
    room: Option<String>,
}

/// The user for the token in the CONNECT's auth, or the refusal the client sees.
fn verify(socket: &Socket) -> Result<User, ConnectError> {
    let auth = socket.handshake().auth_json();
    let token = auth.get("token").and_then(Json::as_str).unwrap_or_default();
    USERS
        .iter()
        .find(|(t, _, _)| *t == token)
        .map(|(_, name, admin)| User {
            name: (*name).to_owned(),
            admin: *admin,
        })
        .ok_or_else(|| {
            ConnectError::new("unauthorized").with_data(json!({"reason": "invalid token"}))
        })
}

/// The user the middleware verified (handlers only run on sockets that passed it).
fn user(socket: &Socket) -> User {
    serde_json::from_value(socket.data()["user"].clone()).unwrap_or(User {
        name: "anonymous".into(),
        admin: false,
    })
}

/// A socket's chat rooms: its rooms but the one named after its id.
fn chat_rooms(socket: &Socket) -> Vec<String> {
    socket
        .rooms()
        .into_iter()
        .filter(|r| r != socket.id())
        .collect()
}

const PAGE: &str = r#"<!doctype html>
<html>
<head><meta charset="utf-8"><title>Socket.IO chat (Rust reference server)</title></head>
<body>
<ul id="log"></ul>
<form id="f"><input id="m" autocomplete="off" placeholder="message"><button>Send</button></form>
<script src="https://cdn.socket.io/4.8.1/socket.io.min.js"></script>
<script>
  const token = new URLSearchParams(location.search).get("token") || "alice-token";
  const socket = io({ auth: { token } });
  const log = (t) => { const li = document.createElement("li"); li.textContent = t; document.getElementById("log").append(li); };
  socket.on("login", (d) => log(`welcome ${d.username}, ${d.numUsers} online`));
  socket.on("user joined", (d) => log(`${d.username} joined`));
  socket.on("user left", (d) => log(`${d.username} left`));
  socket.on("new message", (d) => log(`${d.username}: ${d.text}`));
  socket.on("connect_error", (e) => log(`refused: ${e.message}`));
  document.getElementById("f").onsubmit = (e) => {
    e.preventDefault();
    const m = document.getElementById("m");
    socket.emit("new message", { text: m.value }, () => log(`me: ${m.value}`));
    m.value = "";
  };
</script>
</body>
</html>
"#;
