//! The `cluster` control event of a contract server that runs as a cluster node
//! (`sio-contract-server --redis URL`), as `fixtures/node/cluster/node.mjs` has it on a Node
//! node: it runs a cluster operation on this node and answers with the result, so that a test
//! or a suite can drive either kind of node alike (fixtures/CONTRACT.md, "Cluster nodes").
//!
//! ```text
//! {op:"fetch-sockets", rooms?, except?}                  → [{id, rooms, data}]
//! {op:"sockets-join"|"sockets-leave", rooms?, except?, room} → null
//! {op:"disconnect-sockets", rooms?, except?, close}      → null
//! {op:"server-side-emit", args}                          → null   (event "server-side")
//! {op:"server-side-emit-with-ack", args}                 → {answers} | {error, answers}
//! {op:"broadcast-with-ack", rooms?, except?, event, args, timeout} → {answers} | {error, answers}
//! {op:"local-broadcast", event, args}                    → null
//! {op:"server-side-received"}                            → [[…args], …]
//! {op:"server-count"}                                    → n
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use sio_reference_server::socketio::{AckSender, Namespace, Socket, SocketIo, Value};

use crate::sio::{as_list, field};

/// What this node answers a `serverSideEmitWithAck` of the event `server-side` with (the
/// second argument shows that only the first travels).
pub const SERVER_SIDE_ANSWER: [&str; 2] = [
    "from reference",
    "a second argument that Node's adapter does not send",
];

/// Adds the `cluster` control event and the `server-side` handler to `/` of `io`.
pub fn add_cluster_handlers(io: &SocketIo) {
    let nsp = io.of("/");
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen = received.clone();
    nsp.on_server_side_emit_with_ack(move |args, reply| {
        let Some((Value::String(event), rest)) = args.split_first() else {
            return;
        };
        if event != "server-side" {
            return;
        }
        // Node's handler gets the arguments without the event name.
        seen.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Value::Array(rest.to_vec()));
        if let Some(reply) = reply {
            reply(SERVER_SIDE_ANSWER.iter().map(|s| Value::from(*s)).collect());
        }
    });
    nsp.on_connection(move |socket| {
        let received = received.clone();
        socket.on(
            "cluster",
            move |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| {
                let received = received.clone();
                let spec = args.into_iter().next().unwrap_or(Value::Null);
                tokio::spawn(async move {
                    let result = run(socket.nsp(), &spec, &received).await;
                    if let Some(ack) = ack {
                        ack.send(vec![result]);
                    }
                });
            },
        );
    });
}

fn text(spec: &Value, key: &str) -> String {
    match field(Some(spec), key) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn args_of(spec: &Value) -> Vec<Value> {
    match field(Some(spec), "args") {
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

async fn run(nsp: &Namespace, spec: &Value, received: &Mutex<Vec<Value>>) -> Value {
    let target = || {
        nsp.to(as_list(field(Some(spec), "rooms")))
            .except(as_list(field(Some(spec), "except")))
    };
    let error = |message: String| Value::from(&json!({ "error": message }));
    match text(spec, "op").as_str() {
        "fetch-sockets" => Value::Array(
            target()
                .fetch_sockets()
                .await
                .into_iter()
                .map(|s| {
                    Value::Object(vec![
                        ("id".into(), Value::String(s.id)),
                        (
                            "rooms".into(),
                            Value::Array(s.rooms.into_iter().map(Value::String).collect()),
                        ),
                        ("data".into(), Value::from(&s.data)),
                    ])
                })
                .collect(),
        ),
        "sockets-join" => {
            target().sockets_join(text(spec, "room")).await;
            Value::Null
        }
        "sockets-leave" => {
            target().sockets_leave(text(spec, "room")).await;
            Value::Null
        }
        "disconnect-sockets" => {
            let close = field(Some(spec), "close") == Some(&Value::Bool(true));
            target().disconnect_sockets(close).await;
            Value::Null
        }
        "server-side-emit" => match nsp.server_side_emit("server-side", args_of(spec)).await {
            Ok(()) => Value::Null,
            Err(e) => error(e.to_string()),
        },
        "server-side-emit-with-ack" => {
            match nsp
                .server_side_emit_with_ack("server-side", args_of(spec))
                .await
            {
                Ok(Ok(answers)) => Value::Object(vec![("answers".into(), Value::Array(answers))]),
                Ok(Err(timeout)) => Value::Object(vec![
                    ("error".into(), Value::String(timeout.to_string())),
                    ("answers".into(), Value::Array(timeout.answers)),
                ]),
                Err(e) => error(e.to_string()),
            }
        }
        "broadcast-with-ack" => {
            let ms = match field(Some(spec), "timeout") {
                Some(Value::Number(n)) if *n >= 0.0 => *n as u64,
                _ => 1000,
            };
            let asked = target()
                .timeout(Duration::from_millis(ms))
                .emit_with_ack(&text(spec, "event"), args_of(spec))
                .await;
            match asked {
                // One value per client, its first argument, as Node's `emitWithAck` gives them.
                Ok(answers) => Value::Object(vec![(
                    "answers".into(),
                    Value::Array(
                        answers
                            .into_iter()
                            .map(|a| a.into_iter().next().unwrap_or(Value::Null))
                            .collect(),
                    ),
                )]),
                Err(e) => Value::Object(vec![
                    ("error".into(), Value::String(e.to_string())),
                    ("answers".into(), Value::Null),
                ]),
            }
        }
        "local-broadcast" => match nsp.local().emit_args(&text(spec, "event"), args_of(spec)) {
            Ok(()) => Value::Null,
            Err(e) => error(e.to_string()),
        },
        "server-side-received" => {
            Value::Array(received.lock().unwrap_or_else(|e| e.into_inner()).clone())
        }
        "server-count" => Value::Number(nsp.server_count().await as f64),
        other => error(format!("unknown op {other}")),
    }
}
