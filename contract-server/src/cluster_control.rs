//! The contract's cluster control events (fixtures/CONTRACT.md §7), handler for handler as the
//! Node harness's `clusterControlHandlers`: the adapter's cluster operations (`fetch-sockets`,
//! `sockets-join`, `sockets-leave`, `disconnect-sockets`, `server-side-emit`, `server-count`,
//! `broadcast-with-ack`) on whatever adapter the server has, and the answer every node gives to
//! the server-side event `contract-server-side`.
//!
//! The operations are asynchronous (a cluster adapter asks the other nodes); each handler runs
//! its operation on a task of its own and answers the control event's ack from there.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use serde_json::json;

use crate::sio::as_list;
use sio_reference_server::socketio::{
    AckError, AckSender, BroadcastOperator, Namespace, Socket, Value, to_json,
};

/// The server-side event `server-side-emit` sends between the nodes.
pub const SERVER_SIDE_EVENT: &str = "contract-server-side";

/// Node's message for a broadcast whose acks did not all come in time.
const TIMED_OUT: &str = "operation has timed out";

/// Registers the cluster control events on `socket`.
pub fn handlers(socket: &Socket) {
    socket.on("fetch-sockets", fetch_sockets);
    socket.on("sockets-join", |socket: Socket, args: Vec<Value>, ack| {
        let (op, rooms) = (selected(&socket, &args), as_list(field(&args, "join")));
        run_then_ack(ack, async move { op.sockets_join(rooms).await });
    });
    socket.on("sockets-leave", |socket: Socket, args: Vec<Value>, ack| {
        let (op, rooms) = (selected(&socket, &args), as_list(field(&args, "leave")));
        run_then_ack(ack, async move { op.sockets_leave(rooms).await });
    });
    socket.on("disconnect-sockets", disconnect_sockets);
    socket.on("server-side-emit", server_side_emit);
    socket.on("server-count", |socket: Socket, ack: Option<AckSender>| {
        let nsp = socket.nsp().clone();
        tokio::spawn(async move {
            let count = nsp.server_count().await;
            if let Some(ack) = ack {
                ack.send(vec![Value::Number(count as f64)]);
            }
        });
    });
    socket.on("broadcast-with-ack", broadcast_with_ack);
}

/// What `nsp` answers to [`SERVER_SIDE_EVENT`]: `server-side-event`(…args) to its own sockets
/// (`nsp.local.emit`) and, when asked, the answer `"ok"`. Holds the namespace weakly: the
/// handler is the namespace's own.
pub fn answer_server_side_events(nsp: &Namespace) {
    let weak = nsp.downgrade();
    nsp.on_server_side_emit_with_ack(move |args, reply| {
        let Some((Value::String(event), rest)) = args.split_first() else {
            return;
        };
        if event != SERVER_SIDE_EVENT {
            return;
        }
        if let Some(nsp) = weak.upgrade() {
            let _ = nsp.local().emit_args("server-side-event", rest.to_vec());
        }
        if let Some(reply) = reply {
            reply(vec![Value::String("ok".into())]);
        }
    });
}

/// The control event's first argument's field `key`.
fn field<'a>(args: &'a [Value], key: &str) -> Option<&'a Value> {
    crate::sio::field(args.first(), key)
}

/// The sockets an operation acts on: the namespace's, narrowed to `rooms` when it is given.
fn selected(socket: &Socket, args: &[Value]) -> BroadcastOperator {
    let nsp = socket.nsp();
    match field(args, "rooms") {
        None => nsp.broadcast(),
        Some(rooms) => nsp.to(as_list(Some(rooms))),
    }
}

/// Runs `op`, then answers the ack with no argument.
fn run_then_ack(ack: Option<AckSender>, op: impl Future<Output = ()> + Send + 'static) {
    tokio::spawn(async move {
        op.await;
        if let Some(ack) = ack {
            ack.send(Vec::new());
        }
    });
}

fn fetch_sockets(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let op = selected(&socket, &args);
    tokio::spawn(async move {
        let mut sockets = op.fetch_sockets().await;
        sockets.sort_by(|a, b| a.id.cmp(&b.id));
        let listed: Vec<serde_json::Value> = sockets
            .iter()
            .map(|s| json!({"id": s.id, "rooms": s.rooms}))
            .collect();
        if let Some(ack) = ack {
            ack.send(vec![Value::from(&json!(listed))]);
        }
    });
}

fn disconnect_sockets(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let op = selected(&socket, &args);
    let close = field(&args, "close") == Some(&Value::Bool(true));
    // The ack goes first: the sender may be among the sockets disconnected.
    if let Some(ack) = ack {
        ack.send(Vec::new());
    }
    tokio::spawn(async move { op.disconnect_sockets(close).await });
}

fn server_side_emit(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let nsp = socket.nsp().clone();
    let event_args = match field(&args, "args") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let with_ack = field(&args, "ack") == Some(&Value::Bool(true));
    tokio::spawn(async move {
        let answer = if with_ack {
            match nsp
                .server_side_emit_with_ack(SERVER_SIDE_EVENT, event_args)
                .await
            {
                Ok(Ok(answers)) => vec![Value::Array(answers)],
                Ok(Err(timeout)) => vec![error(&timeout.to_string())],
                Err(e) => vec![error(&e.to_string())],
            }
        } else {
            match nsp.server_side_emit(SERVER_SIDE_EVENT, event_args).await {
                Ok(()) => Vec::new(),
                Err(e) => vec![error(&e.to_string())],
            }
        };
        if let Some(ack) = ack {
            ack.send(answer);
        }
    });
}

fn error(message: &str) -> Value {
    Value::from(&json!({ "error": message }))
}

fn broadcast_with_ack(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let op = selected(&socket, &args);
    let Some(Value::String(event)) = field(&args, "event").cloned() else {
        return;
    };
    let event_args = match field(&args, "args") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let timeout = match field(&args, "timeout") {
        Some(Value::Number(ms)) if ms.is_finite() => ms.max(0.0),
        _ => 1000.0,
    };
    let op = op.timeout(Duration::from_secs_f64(timeout / 1000.0));
    tokio::spawn(async move {
        let mut answers = Box::pin(async move { op.emit_with_ack(&event, event_args).await });
        // Node acks once the emit is queued: the first poll sends the packets.
        let first = std::future::poll_fn(|cx| Poll::Ready(answers.as_mut().poll(cx))).await;
        if let Some(ack) = ack {
            ack.send(Vec::new());
        }
        let outcome = match first {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => answers.await,
        };
        // On a timeout, the answers that came in time (Node's `err.responses`).
        let result = match outcome {
            Ok(answers) => json!({ "responses": sorted(&answers) }),
            Err(e) => {
                let message = match e.error {
                    AckError::Timeout => TIMED_OUT.to_string(),
                    other => other.to_string(),
                };
                json!({ "error": message, "responses": sorted(&e.answers) })
            }
        };
        let _ = socket.emit_args("broadcast-with-ack-result", vec![Value::from(&result)]);
    });
}

/// Each client's first ack argument (Node's `responses`), sorted by their JSON text.
fn sorted(answers: &[Vec<Value>]) -> Vec<serde_json::Value> {
    let mut responses: Vec<serde_json::Value> = answers
        .iter()
        .map(|a| a.first().map_or(serde_json::Value::Null, to_json))
        .collect();
    responses.sort_by_key(|v| v.to_string());
    responses
}
