//! The server as a library: each shortcoming a first user met (a snippet that stopped echoing
//! after an upgrade, the `/engine.io/` default path, two option types, Nagle left on, one
//! handler shape, silently dropped events, untyped emits, `of` without `/`, `leave` of one room,
//! no cluster operations), fixed and pinned here through the public API only, with servers built by `SocketIo::builder()` and served by
//! `io.serve(listener)` on an ephemeral loopback port, driven by a raw WebSocket client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use sio_reference_server::socketio::{
    AckSender, Data, EventError, EventName, Json, Rest, Socket, SocketIo, State, Value,
};
use sio_reference_server::{Engine, EngineConfig, EngineData};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::support::{ack_id_of, within};

/// Serves `io` on 127.0.0.1, port chosen by the system.
async fn serve(io: &SocketIo) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let io = io.clone();
    tokio::spawn(async move { io.serve(listener).await.expect("serve") });
    addr
}

/// A raw Socket.IO client over WebSocket (engine pings answered and skipped).
struct Client {
    ws: WebSocketStream<TcpStream>,
}

/// A WebSocket to `target` (path and query) on `addr`.
async fn websocket(addr: SocketAddr, target: &str) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}{target}");
    let (ws, _) = within(
        "the WebSocket handshake",
        tokio_tungstenite::client_async(url, tcp),
    )
    .await
    .unwrap();
    ws
}

impl Client {
    /// Opens a WebSocket on `/socket.io/` and reads the open packet.
    async fn open(addr: SocketAddr) -> Client {
        let ws = websocket(addr, "/socket.io/?EIO=4&transport=websocket").await;
        let mut c = Client { ws };
        assert!(c.text().await.starts_with("0{"));
        c
    }

    /// Opens and joins `nsp` (`/` or `/name`); returns the client.
    async fn connected(addr: SocketAddr, nsp: &str) -> Client {
        let mut c = Client::open(addr).await;
        let prefix = if nsp == "/" {
            String::new()
        } else {
            format!("{nsp},")
        };
        c.send(&format!("40{prefix}")).await;
        let reply = c.text().await;
        assert!(reply.starts_with(&format!("40{prefix}{{")), "{reply}");
        c
    }

    async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// The next frame: text as is, binary as `<bin:…>`.
    async fn text(&mut self) -> String {
        loop {
            let frame = within("a frame", self.ws.next()).await;
            let Some(Ok(frame)) = frame else {
                return "<close>".into();
            };
            match frame {
                Message::Text(t) if t.as_str() == "2" => self.send("3").await,
                Message::Text(t) => return t.to_string(),
                Message::Binary(b) => return format!("<bin:{:?}>", b.to_vec()),
                Message::Close(_) => return "<close>".into(),
                _ => {}
            }
        }
    }

    async fn expect(&mut self, text: &str) {
        assert_eq!(self.text().await, text);
    }
}

/// Problem 1: `recv_message` keeps echoing after an upgrade (the README's loop stopped there).
#[tokio::test]
async fn p1_recv_message_echoes_across_an_upgrade() {
    let engine = Engine::new(EngineConfig::default(), |mut conn| {
        tokio::spawn(async move {
            while let Some(data) = conn.recv_message().await {
                conn.socket().send(data);
            }
        });
    });
    let addr = sio_test_support::serve_here(engine.router()).await;
    let open = sio_test_support::raw_http::raw_request(
        addr,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &[],
        b"",
    )
    .await
    .unwrap();
    let body = open.text();
    let sid = body
        .split("\"sid\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let ws = websocket(
        addr,
        &format!("/engine.io/?EIO=4&transport=websocket&sid={sid}"),
    )
    .await;
    let mut c = Client { ws };
    c.send("2probe").await;
    c.expect("3probe").await;
    c.send("5").await;
    c.send("4after the upgrade").await;
    c.expect("4after the upgrade").await;
    c.send("4again").await;
    c.expect("4again").await;
}

/// Problem 2: the builder's default path is `/socket.io/`, where every client looks.
#[tokio::test]
async fn p2_default_path_is_socket_io() {
    let io = SocketIo::builder().build();
    assert_eq!(io.engine_config().unwrap().path, "/socket.io/");
    let addr = serve(&io).await;
    Client::connected(addr, "/").await;
}

/// Problem 3: one builder for both layers' options, built outside any runtime.
#[test]
fn p3_one_builder_outside_a_runtime() {
    let io = SocketIo::builder()
        .ping_interval(Duration::from_millis(300))
        .ping_timeout(Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(4_000))
        .build();
    let engine = io.engine_config().unwrap();
    assert_eq!(engine.ping_interval, Duration::from_millis(300));
    assert_eq!(io.config().connect_timeout, Duration::from_millis(4_000));
    // The server then runs in a runtime made afterwards: a ping comes at 300 ms.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let addr = serve(&io).await;
        let mut ws = websocket(addr, "/socket.io/?EIO=4&transport=websocket").await;
        let open = within("open", ws.next()).await.unwrap().unwrap();
        assert!(open.to_text().unwrap().contains("\"pingInterval\":300"));
        let ping = within("a ping", ws.next()).await.unwrap().unwrap();
        assert_eq!(ping.to_text().unwrap(), "2");
    });
}

/// Problem 4 is pinned by the unit test `accepted_connections_have_nodelay` (builder.rs): the
/// listener `serve` accepts on sets TCP_NODELAY. Here: `serve` serves.
#[tokio::test]
async fn p4_serve_answers_on_a_plain_listener() {
    let io = SocketIo::builder().build();
    let addr = serve(&io).await;
    Client::open(addr).await;
}

/// Problem 5: async handlers, extractors in any order, shared state, handlers that add up,
/// `on_any`, `socket.use`.
#[tokio::test]
async fn p5_extractor_handlers_add_up() {
    #[derive(Clone)]
    struct Prefix(&'static str);
    let io = SocketIo::builder().with_state(Prefix(">")).build();
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let any_seen = seen.clone();
    io.of("/").on_connection(move |socket| {
        socket.on(
            "hello",
            async |Rest(rest): Rest,
                   ack: AckSender,
                   Data(name): Data<String>,
                   socket: Socket,
                   State(p): State<Prefix>| {
                tokio::task::yield_now().await; // goes on in a task of its own
                let _ = socket.emit("hi", &format!("{} {name} +{}", p.0, rest.len()));
                ack.send(vec!["done".into()]);
            },
        );
        // A second handler of the same event runs too (Node appends), in order; both get the
        // ack, and only the first answer goes out (this one: the first handler waits).
        socket.on("hello", |socket: Socket, ack: Option<AckSender>| {
            let _ = socket.emit("second", &true);
            ack.unwrap().send(vec!["first answer".into()]);
        });
        let any_seen = any_seen.clone();
        socket.on_any(move |EventName(name): EventName| {
            any_seen.lock().unwrap().push(name);
        });
        socket.use_middleware(|_socket, event, args| match event {
            "forbidden" => Err("not allowed".into()),
            _ => {
                args.retain(|a| *a != Value::from("drop me"));
                Ok(())
            }
        });
        socket.on("forbidden", |socket: Socket| {
            let _ = socket.emit("reached", &true);
        });
        socket.on("count", |socket: Socket, args: Vec<Value>| {
            let _ = socket.emit("count", &args.len());
        });
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.send(r#"421["hello","ann",1,2]"#).await;
    c.expect(r#"42["second",true]"#).await;
    c.expect(r#"431["first answer"]"#).await;
    c.expect(r#"42["hi","> ann +2"]"#).await;
    // No second answer: the next frame is the answer to the next event.
    c.send(r#"42["forbidden"]"#).await;
    c.send(r#"42["count","a","drop me","b"]"#).await;
    c.expect(r#"42["count",2]"#).await;
    assert_eq!(*seen.lock().unwrap(), ["hello", "forbidden", "count"]);
}

/// Problem 6: arguments that do not fit reach the `on_error` hook (and the log).
#[tokio::test]
async fn p6_arguments_that_do_not_fit_are_reported() {
    let io = SocketIo::builder().build();
    io.of("/").on_connection(|socket| {
        socket.on("age", |socket: Socket, Data(age): Data<u32>| {
            let _ = socket.emit("age", &age);
        });
        socket.on("needs-ack", |_ack: AckSender| {});
        socket.on_error(|socket, err| {
            let kind = match err {
                EventError::Args { event, .. } => format!("args:{event}"),
                EventError::NoAck(event) => format!("no-ack:{event}"),
                other => other.to_string(),
            };
            let _ = socket.emit("error-seen", &kind);
        });
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.send(r#"42["age","not a number"]"#).await;
    c.expect(r#"42["error-seen","args:age"]"#).await;
    c.send(r#"42["needs-ack"]"#).await;
    c.expect(r#"42["error-seen","no-ack:needs-ack"]"#).await;
    c.send(r#"42["age",7]"#).await;
    c.expect(r#"42["age",7]"#).await;
}

/// Problem 7: typed emit from anything serialisable, several arguments with binary, `Value`
/// from plain Rust values, first argument then the rest.
#[tokio::test]
async fn p7_typed_emits_and_values() {
    #[derive(serde::Serialize, Deserialize)]
    struct Point {
        x: i32,
        y: i32,
    }
    /// Bytes as serde sees them (what `serde_bytes` or `bytes::Bytes` give).
    struct Raw(Vec<u8>);
    impl serde::Serialize for Raw {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }
    #[derive(serde::Serialize)]
    struct File {
        name: &'static str,
        body: Raw,
    }
    let io = SocketIo::builder().build();
    io.of("/").on_connection(|socket| {
        let _ = socket.emit("point", &Point { x: 1, y: 2 });
        let _ = socket.emit_args(
            "mixed",
            vec![
                Value::from("s"),
                Value::from(3u8),
                Value::from(true),
                Value::from(vec![1u8, 2]),
                Value::from(serde_json::json!({"k": null})),
            ],
        );
        // A typed emit keeps bytes binary (whatever serde serialises as bytes).
        let _ = socket.emit(
            "file",
            &File {
                name: "a",
                body: Raw(vec![9]),
            },
        );
        socket.on(
            "pair",
            |socket: Socket, Json((a, b)): Json<(String, Point)>| {
                let _ = socket.emit("pair", &format!("{a}:{}", b.x + b.y));
            },
        );
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.expect(r#"42["point",{"x":1,"y":2}]"#).await;
    c.expect(r#"451-["mixed","s",3,true,{"_placeholder":true,"num":0},{"k":null}]"#)
        .await;
    c.expect("<bin:[1, 2]>").await;
    c.expect(r#"451-["file",{"name":"a","body":{"_placeholder":true,"num":0}}]"#)
        .await;
    c.expect("<bin:[9]>").await;
    c.send(r#"42["pair","p",{"x":3,"y":4}]"#).await;
    c.expect(r#"42["pair","p:7"]"#).await;
}

/// Problem 8: `io.of("custom")` is `/custom`.
#[tokio::test]
async fn p8_namespace_gets_its_leading_slash() {
    let io = SocketIo::builder().build();
    let nsp = io.of("custom");
    assert_eq!(nsp.name(), "/custom");
    nsp.on_connection(|socket| {
        let _ = socket.emit("where", &socket.nsp().name());
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/custom").await;
    c.expect(r#"42/custom,["where","/custom"]"#).await;
}

/// Problem 9: `leave` takes one room or several, as `join` does.
#[tokio::test]
async fn p9_leave_takes_rooms_like_join() {
    let io = SocketIo::builder().build();
    io.of("/").on_connection(|socket| {
        socket.join(["a", "b", "c"]);
        socket.leave(["a", "c"]);
        socket.leave("nowhere");
        let rooms: Vec<String> = socket.rooms().into_iter().skip(1).collect();
        let _ = socket.emit("rooms", &rooms);
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.expect(r#"42["rooms",["b"]]"#).await;
}

/// Problem 10: broadcast with acks (answers and timeout), `fetch_sockets`, `sockets_join` /
/// `sockets_leave`, `disconnect_sockets`, `server_side_emit`, through the adapter.
#[tokio::test]
async fn p10_adapter_operations() {
    let io = SocketIo::builder().build();
    let addr = serve(&io).await;
    let mut a = Client::connected(addr, "/").await;
    let mut b = Client::connected(addr, "/").await;
    let nsp = io.of("/");

    nsp.sockets_join("team").await;
    let found = nsp.fetch_sockets().await;
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|s| s.rooms.contains(&"team".to_owned())));
    assert!(found.iter().all(|s| s.local.is_some()));

    // Both answer: the answers come back together.
    let op = nsp.to("team").timeout(Duration::from_secs(2));
    let acks = tokio::spawn(async move { op.emit_with_ack("q", vec!["?".into()]).await });
    for c in [&mut a, &mut b] {
        let q = c.text().await;
        let id = ack_id_of(&q);
        assert_eq!(&q[2 + id.len()..], r#"["q","?"]"#);
        c.send(&format!("43{id}[\"yes\"]")).await;
    }
    let answers = within("the answers", acks).await.unwrap().unwrap();
    assert_eq!(answers, vec![vec![Value::from("yes")]; 2]);

    // One stays silent: the timeout.
    let op = nsp.to("team").timeout(Duration::from_millis(200));
    let acks = tokio::spawn(async move { op.emit_with_ack("q", vec![]).await });
    let q = a.text().await;
    let id = ack_id_of(&q);
    a.send(&format!("43{id}[]")).await;
    let _ignored = b.text().await;
    let late = within("the timeout", acks).await.unwrap().unwrap_err();
    assert_eq!(
        late.error,
        sio_reference_server::socketio::AckError::Timeout
    );
    // The answer that came in time is kept, as Node's `err.responses`.
    assert_eq!(late.answers, vec![Vec::<Value>::new()]);

    nsp.sockets_leave("team").await;
    assert!(nsp.to("team").fetch_sockets().await.is_empty());

    // A single server has no other server: nothing is sent, the call succeeds.
    let heard = Arc::new(Mutex::new(0));
    let h = heard.clone();
    nsp.on_server_side_emit(move |_args| *h.lock().unwrap() += 1);
    nsp.server_side_emit("sync", vec![1.into()]).await.unwrap();
    assert_eq!(*heard.lock().unwrap(), 0);
    assert!(nsp.server_side_emit("connect", vec![]).await.is_err());

    nsp.disconnect_sockets(false).await;
    a.expect("41").await;
    b.expect("41").await;
    assert!(nsp.fetch_sockets().await.is_empty());
}

/// `io.close()`: sockets leave with "server shutting down", connections close, `serve` returns.
#[tokio::test]
async fn close_shuts_down_gracefully() {
    let io = SocketIo::builder().build();
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let r = reasons.clone();
    io.of("/").on_connection(move |socket| {
        let r = r.clone();
        socket.on_disconnect(move |_s, reason| r.lock().unwrap().push(reason.as_str()));
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = io.clone();
    let served = tokio::spawn(async move { server.serve(listener).await });
    let mut c = Client::connected(addr, "/").await;
    let mut idle = Client::open(addr).await; // no namespace joined
    io.close().await;
    assert!(io.is_closed());
    c.expect("<close>").await;
    idle.expect("<close>").await;
    within("serve to return", served).await.unwrap().unwrap();
    assert_eq!(*reasons.lock().unwrap(), ["server shutting down"]);
}

/// `recv_message` ends with the session.
#[tokio::test]
async fn recv_message_ends_at_close() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = Mutex::new(Some(tx));
    let engine = Engine::new(EngineConfig::default(), move |mut conn| {
        let tx = tx.lock().unwrap().take();
        tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(EngineData::Text(t)) = conn.recv_message().await {
                got.push(t);
            }
            if let Some(tx) = tx {
                let _ = tx.send(got);
            }
        });
    });
    let addr = sio_test_support::serve_here(engine.router()).await;
    let ws = websocket(addr, "/engine.io/?EIO=4&transport=websocket").await;
    let mut c = Client { ws };
    assert!(c.text().await.starts_with("0{"));
    c.send("4one").await;
    // Node ignores a client's "1" over WebSocket: the transport closing ends the session.
    c.ws.close(None).await.unwrap();
    let got = within("the loop to end", rx).await.unwrap();
    assert_eq!(got, ["one"]);
}

/// Typed ack answers: the client's answer deserialised, a timeout when none comes.
#[tokio::test]
async fn typed_ack_answers() {
    let io = SocketIo::builder().build();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    io.of("/").on_connection(move |socket| {
        let tx = tx.clone();
        let socket = socket.clone();
        tokio::spawn(async move {
            let emitter = socket.timeout(Duration::from_millis(300));
            let answer: Result<(u32, String), _> =
                emitter.emit_with_ack_typed("ask", &"sum?").await;
            let _ = tx.send(answer);
            let again: Result<(u32,), _> = emitter.emit_with_ack_typed("ask", &"again?").await;
            let _ = tx.send(again.map(|(n,)| (n, String::new())));
        });
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.expect(r#"420["ask","sum?"]"#).await;
    c.send(r#"430[3,"three"]"#).await;
    let mut rx = rx;
    let first = within("the answer", rx.recv()).await.unwrap();
    assert_eq!(first, Ok((3, "three".to_owned())));
    c.expect(r#"421["ask","again?"]"#).await;
    let second = within("the timeout", rx.recv()).await.unwrap();
    assert_eq!(
        second,
        Err(sio_reference_server::socketio::AckError::Timeout)
    );
}

/// `off` and `off_any` remove handlers.
#[tokio::test]
async fn off_removes_handlers() {
    let io = SocketIo::builder().build();
    io.of("/").on_connection(|socket| {
        socket.on("once", |socket: Socket| {
            socket.off("once");
            socket.off_any();
            let _ = socket.emit("once", &1);
        });
        socket.on_any(|socket: Socket, EventName(name): EventName| {
            let _ = socket.emit("any", &name);
        });
        socket.on("ping", |socket: Socket| {
            let _ = socket.emit("pong", &true);
        });
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.send(r#"42["once"]"#).await;
    c.expect(r#"42["any","once"]"#).await;
    c.expect(r#"42["once",1]"#).await;
    c.send(r#"42["once"]"#).await;
    c.send(r#"42["ping"]"#).await;
    c.expect(r#"42["pong",true]"#).await;
}

/// `remove_listener` removes the one handler its id names (Node's `socket.off(event, fn)` and
/// `offAny(fn)`); the others of the same event stay.
#[tokio::test]
async fn remove_listener_removes_one_handler() {
    let io = SocketIo::builder().build();
    let heard: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let h = heard.clone();
    io.of("/").on_connection(move |socket| {
        let (h1, h2, h3) = (h.clone(), h.clone(), h.clone());
        // Registered first, so it would run before the acking handler below.
        let removed = socket.on("e", move || h1.lock().unwrap().push("removed"));
        let any = socket.on_any(move || h2.lock().unwrap().push("any"));
        socket.on("e", move |ack: AckSender| {
            h3.lock().unwrap().push("kept");
            ack.send(vec![]);
        });
        socket.on("stop", move |socket: Socket, ack: AckSender| {
            let first = socket.remove_listener(removed);
            let again = socket.remove_listener(removed);
            let any_removed = socket.remove_listener(any);
            ack.send(vec![first.into(), again.into(), any_removed.into()]);
        });
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.send(r#"421["e"]"#).await;
    c.expect("431[]").await;
    assert_eq!(*heard.lock().unwrap(), ["any", "removed", "kept"]);
    c.send(r#"422["stop"]"#).await;
    c.expect("432[true,false,true]").await;
    heard.lock().unwrap().clear();
    c.send(r#"423["e"]"#).await;
    c.expect("433[]").await;
    assert_eq!(*heard.lock().unwrap(), ["kept"]);
}

/// `use_async_middleware`: a middleware that awaits, then lets the event go on (with changed
/// arguments) or refuses it (the `on_error` hooks get it), in order with the synchronous ones.
#[tokio::test]
async fn async_socket_middlewares_await_then_pass_or_refuse() {
    let io = SocketIo::builder().build();
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let r = refused.clone();
    io.of("/").on_connection(move |socket| {
        socket.use_middleware(|_socket, _event, args| {
            args.push(Value::from("sync"));
            Ok(())
        });
        socket.use_async_middleware(
            |_socket: Socket, event: String, mut args: Vec<Value>| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if event == "forbidden" {
                    return Err("no".to_owned());
                }
                args.push(Value::from("async"));
                Ok(args)
            },
        );
        // Resolves at once: the event stays on the connection's task.
        socket.use_async_middleware(
            |_socket: Socket, _event: String, mut args: Vec<Value>| async move {
                args.push(Value::from("ready"));
                Ok(args)
            },
        );
        socket.on("echo", |socket: Socket, args: Vec<Value>| {
            let _ = socket.emit_args("echo", args);
        });
        socket.on("forbidden", |socket: Socket| {
            let _ = socket.emit("reached", &true);
        });
        let r = r.clone();
        socket.on_error(move |_socket, err| r.lock().unwrap().push(err.to_string()));
    });
    let addr = serve(&io).await;
    let mut c = Client::connected(addr, "/").await;
    c.send(r#"42["forbidden"]"#).await;
    c.send(r#"42["echo",1]"#).await;
    c.expect(r#"42["echo",1,"sync","async","ready"]"#).await;
    within("the refusal to be reported", async {
        while refused.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(refused.lock().unwrap()[0].contains("refused by a middleware: no"));
}
