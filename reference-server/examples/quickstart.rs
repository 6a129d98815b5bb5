//! A Socket.IO app as a new user writes it: HTTP routes and Socket.IO on one port (axum), a
//! token middleware, rooms, acks with a timeout, connection state recovery and a graceful
//! shutdown on Ctrl-C. `cargo run -p sio-reference-server --example quickstart`, then connect
//! any Socket.IO client to `http://127.0.0.1:3000` with `auth: {token: "let-me-in"}`.

use std::time::Duration;

use axum::routing::get;
use serde::Deserialize;
use sio_reference_server::socketio::{
    AckSender, ConnectError, Data, RecoveryConfig, Socket, SocketIo, State,
};

/// Shared state: the token clients must present.
#[derive(Clone)]
pub struct Secret(pub &'static str);

#[derive(Deserialize)]
pub struct Say {
    pub room: String,
    pub text: String,
}

/// The Socket.IO server and the axum app that serves it beside two HTTP routes.
pub fn app(secret: &'static str) -> (SocketIo, axum::Router) {
    let io = SocketIo::builder()
        .recovery(RecoveryConfig::default())
        .with_state(Secret(secret))
        .build();
    let nsp = io.of("/");
    // Token middleware: the user's name goes into `socket.data` for the handlers.
    nsp.use_middleware(move |socket: Socket| async move {
        let auth = socket.handshake().auth_json();
        if auth["token"] != secret {
            return Err(ConnectError::new("unauthorized"));
        }
        let name = auth["name"].as_str().unwrap_or("anonymous").to_owned();
        socket.with_data(|d| d["name"] = name.into());
        Ok(())
    });
    nsp.on_connection(on_connection);
    let rooms = io.clone();
    let http = axum::Router::new()
        .route(
            "/",
            get(|| async { "Socket.IO is served under /socket.io/" }),
        )
        .route(
            "/rooms",
            get(move || async move {
                let sockets = rooms.of("/").fetch_sockets().await;
                let mut names: Vec<String> = sockets.into_iter().flat_map(|s| s.rooms).collect();
                names.retain(|r| r.starts_with('#'));
                names.sort();
                names.dedup();
                serde_json::to_string(&names).unwrap_or_default()
            }),
        );
    (io.clone(), http.merge(io.router()))
}

fn on_connection(socket: &Socket) {
    let name = socket.data()["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let _ = socket.emit(
        "welcome",
        &serde_json::json!({ "name": name, "recovered": socket.recovered() }),
    );
    // Rooms: `join` answers with the rooms the socket is in.
    socket.on(
        "join",
        |socket: Socket, Data(room): Data<String>, ack: Option<AckSender>| {
            socket.join(format!("#{room}"));
            if let Some(ack) = ack {
                let _ = ack.send_json(&socket.rooms()[1..]);
            }
        },
    );
    socket.on("say", |socket: Socket, Data(say): Data<Say>| {
        let from = socket.data()["name"].clone();
        let msg = serde_json::json!({ "from": from, "text": say.text });
        let _ = socket.to(format!("#{}", say.room)).emit("said", &msg);
    });
    // Acks with a timeout, both ways: the server asks the client, and answers its question.
    socket.on("whoami", async |socket: Socket, ack: AckSender, State(secret): State<Secret>| {
        let asked = socket.timeout(Duration::from_secs(2)).emit_with_ack_async("confirm", vec![]);
        let confirmed = match asked {
            Ok(answer) => answer.await.is_ok(),
            Err(_) => false,
        };
        let me = socket.data()["name"].clone();
        let _ = ack.send_json(&serde_json::json!({ "name": me, "confirmed": confirmed, "secret_len": secret.0.len() }));
    });
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (io, app) = app("let-me-in");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 3000)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    let shutdown = io.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        shutdown.close().await; // sockets leave with "server shutting down", serve returns
    });
    io.serve_app(listener, app).await
}
