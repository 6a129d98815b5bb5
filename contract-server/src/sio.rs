//! The contract's Socket.IO servers (fixtures/CONTRACT.md §4–§6), handler for handler as
//! fixtures/node/harness.mjs: the suite handlers (`auth` on connection, `message` →
//! `message-back`, `message-with-ack` → ack) and the control events (`join`, `leave`,
//! `broadcast`, `emit-with-ack`, `server-disconnect`, `get-state`).

use std::time::Duration;

use serde_json::json;

use crate::cluster_control;

use sio_reference_server::socketio::{
    AckSender, AdapterFactory, BroadcastOperator, ConnectError, RecoveryConfig, Socket, SocketIo,
    SocketIoConfig, Value,
};

/// `connectTimeout` of every contract Socket.IO server.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// `maxDisconnectionDuration` of sio-recovery.
pub const RECOVERY_WINDOW: Duration = Duration::from_millis(1000);

/// Adjusts a contract server's options before it is built (fault injection sets its fault).
pub type Tune<'a> = &'a dyn Fn(SocketIoConfig) -> SocketIoConfig;

fn config(recovery: Option<RecoveryConfig>, tune: Tune<'_>) -> SocketIoConfig {
    let mut config = SocketIoConfig::default();
    config.connect_timeout = CONNECT_TIMEOUT;
    config.recovery = recovery;
    tune(config)
}

/// sio-main: `/`, `/custom`, `/admin`, `/plain`, `^/dynamic-\d+$`.
pub fn sio_main(tune: Tune<'_>) -> SocketIo {
    sio_main_with(tune, None)
}

/// sio-main with its namespaces' adapters built by `adapter` (a cluster node: the Redis
/// adapter), or the in-memory adapter when `None`. As in the Node harness, only sio-main joins
/// a cluster; the other servers keep their in-memory adapters.
pub fn sio_main_with(tune: Tune<'_>, adapter: Option<AdapterFactory>) -> SocketIo {
    let io = match adapter {
        Some(adapter) => {
            let io = SocketIo::with_adapter(config(None, tune), adapter);
            crate::cluster::add_cluster_handlers(&io);
            io
        }
        None => SocketIo::new(config(None, tune)),
    };
    add_main_namespaces(&io);
    add_refusing_namespaces(&io);
    // A node answers the cluster's server-side events before any client connects to it; a
    // dynamic namespace, made by its first connection, starts answering then.
    for name in ["/", "/admin"] {
        cluster_control::answer_server_side_events(&io.of(name));
    }
    let answering = std::sync::Mutex::new(std::collections::HashSet::new());
    io.of_dynamic(|name, _auth| is_dynamic(name))
        .on_connection(move |socket| {
            let nsp = socket.nsp();
            if answering
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(nsp.name().to_owned())
            {
                cluster_control::answer_server_side_events(nsp);
            }
            main_handlers(socket);
        });
    io
}

/// sio-recovery: `/`, `/custom` and `/counted`, with connection state recovery.
pub fn sio_recovery(tune: Tune<'_>) -> SocketIo {
    let recovery = RecoveryConfig {
        max_disconnection_duration: RECOVERY_WINDOW,
        skip_middlewares: true,
    };
    let io = SocketIo::new(config(Some(recovery), tune));
    add_main_namespaces(&io);
    io.of("/counted")
        .use_middleware(|socket: Socket| async move {
            socket.with_data(|data| {
                let runs = data.get("middlewareRuns").and_then(|v| v.as_f64());
                data["middlewareRuns"] = json!(runs.unwrap_or(0.0) as u64 + 1);
            });
            Ok(())
        })
        .on_connection(main_handlers);
    io
}

/// sio-eio3: `/`, `/custom`, `/admin`, `/plain`, for EIO=3 clients (Socket.IO v4) and EIO=4
/// clients alike; the engine has `allow_eio3`.
pub fn sio_eio3(tune: Tune<'_>) -> SocketIo {
    let io = SocketIo::new(config(None, tune));
    add_main_namespaces(&io);
    add_refusing_namespaces(&io);
    io
}

/// `^/dynamic-\d+$`.
fn is_dynamic(name: &str) -> bool {
    name.strip_prefix("/dynamic-")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

fn add_main_namespaces(io: &SocketIo) {
    io.of("/").on_connection(main_handlers);
    io.of("/custom").on_connection(suite_handlers);
}

fn add_refusing_namespaces(io: &SocketIo) {
    io.of("/admin")
        .use_middleware(|socket: Socket| async move {
            let token = match &socket.handshake().auth {
                Value::Object(fields) => fields
                    .iter()
                    .any(|(k, v)| k == "token" && *v == Value::String("secret".into())),
                _ => false,
            };
            if token {
                socket.with_data(|d| d["user"] = json!("admin"));
                Ok(())
            } else {
                Err(ConnectError::new("Not authorized").with_data(json!({"reason": "no token"})))
            }
        })
        .on_connection(main_handlers);
    io.of("/plain")
        .use_middleware(|_socket: Socket| async { Err(ConnectError::new("nope")) })
        .on_connection(main_handlers);
}

/// The suites' handlers.
pub fn suite_handlers(socket: &Socket) {
    let _ = socket.emit("auth", &socket.handshake().auth_json());
    // `(...args) => socket.emit("message-back", ...args)`: with an ack id, the ack function is
    // the last argument, so message-back asks the client for an ack that answers the first.
    socket.on(
        "message",
        |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| match ack {
            Some(ack) => {
                let _ = socket.emit_with_ack("message-back", args, move |reply| {
                    if let Ok(reply) = reply {
                        ack.send(reply);
                    }
                });
            }
            None => {
                let _ = socket.emit_args("message-back", args);
            }
        },
    );
    socket.on(
        "message-with-ack",
        |args: Vec<Value>, ack: Option<AckSender>| {
            if let Some(ack) = ack {
                ack.send(args);
            }
        },
    );
}

/// The suite handlers plus the control events.
pub fn main_handlers(socket: &Socket) {
    suite_handlers(socket);
    control_handlers(socket);
}

/// `asList`: nothing → [], an array → its items, anything else → [it]. Rooms are strings.
pub(crate) fn as_list(v: Option<&Value>) -> Vec<String> {
    let items = match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

pub(crate) fn field<'a>(v: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    match v {
        Some(Value::Object(fields)) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn rooms_value(socket: &Socket) -> Value {
    Value::Array(socket.rooms().into_iter().map(Value::String).collect())
}

fn control_handlers(socket: &Socket) {
    socket.on(
        "join",
        |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| {
            socket.join(as_list(args.first()));
            if let Some(ack) = ack {
                ack.send(vec![rooms_value(&socket)]);
            }
        },
    );
    socket.on(
        "leave",
        |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| {
            for room in as_list(args.first()) {
                socket.leave(room);
            }
            if let Some(ack) = ack {
                ack.send(vec![rooms_value(&socket)]);
            }
        },
    );
    socket.on("broadcast", broadcast);
    socket.on("emit-with-ack", emit_with_ack);
    socket.on("server-disconnect", |socket: Socket, args: Vec<Value>| {
        let close = field(args.first(), "close") == Some(&Value::Bool(true));
        socket.disconnect(close);
    });
    cluster_control::handlers(socket);
    socket.on("get-state", |socket: Socket, ack: Option<AckSender>| {
        if let Some(ack) = ack {
            ack.send(vec![state(&socket)]);
        }
    });
}

fn broadcast(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let spec = args.first();
    let event_args = match field(spec, "args") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let rooms = as_list(field(spec, "rooms"));
    let except = as_list(field(spec, "except"));
    let volatile = field(spec, "volatile").is_some_and(truthy);
    let target = match field(spec, "target") {
        Some(Value::String(t)) => t.as_str(),
        _ => "",
    };
    let op: Option<BroadcastOperator> = match target {
        "self" => None,
        "all" => Some(socket.nsp().except(except)),
        "others" => Some(socket.broadcast().except(except)),
        "rooms" => Some(socket.nsp().to(rooms).except(except)),
        "rooms-others" => Some(socket.to(rooms).except(except)),
        _ => {
            if let Some(ack) = ack {
                ack.send(vec![Value::from(&json!({"error": "unknown target"}))]);
            }
            return;
        }
    };
    // Reserved or missing event names are unspecified (Node throws in the handler): no ack.
    let Some(Value::String(event)) = field(spec, "event") else {
        return;
    };
    let sent = match (op, volatile) {
        (None, false) => socket.emit_args(event, event_args),
        (None, true) => socket.volatile().emit_args(event, event_args),
        (Some(op), false) => op.emit_args(event, event_args),
        (Some(op), true) => op.volatile().emit_args(event, event_args),
    };
    if let (Ok(()), Some(ack)) = (sent, ack) {
        ack.send(Vec::new());
    }
}

/// JavaScript truthiness.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0 && !n.is_nan(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

fn emit_with_ack(socket: Socket, args: Vec<Value>, ack: Option<AckSender>) {
    let spec = args.first();
    let event_args = match field(spec, "args") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let timeout = match field(spec, "timeout") {
        Some(Value::Number(ms)) => node_timer_delay(*ms),
        _ => 500.0,
    };
    let Some(Value::String(event)) = field(spec, "event") else {
        return;
    };
    let target = socket.clone();
    let sent = socket
        .timeout(Duration::from_secs_f64(timeout / 1000.0))
        .emit_with_callback(event, event_args, move |reply| {
            let result = match reply {
                Ok(args) => Value::Object(vec![("args".into(), Value::Array(args))]),
                Err(e) => Value::from(&json!({"error": e.to_string()})),
            };
            let _ = target.emit_args("emit-with-ack-result", vec![result]);
        });
    if let (Ok(()), Some(ack)) = (sent, ack) {
        ack.send(Vec::new());
    }
}

/// The delay Node's `setTimeout(fn, ms)` waits, in milliseconds: a delay below 1 or above
/// 2^31 − 1 (or not a number) becomes 1.
fn node_timer_delay(ms: f64) -> f64 {
    const TIMEOUT_MAX: f64 = 2_147_483_647.0;
    if (1.0..=TIMEOUT_MAX).contains(&ms) {
        ms
    } else {
        1.0
    }
}

/// `get-state`'s answer.
fn state(socket: &Socket) -> Value {
    let hs = socket.handshake();
    let query: serde_json::Map<String, serde_json::Value> = hs
        .query()
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let query = serde_json::Value::Object(query);
    let mut fields = vec![
        ("id".to_owned(), Value::String(socket.id().to_owned())),
        (
            "nsp".to_owned(),
            Value::String(socket.nsp().name().to_owned()),
        ),
        ("auth".to_owned(), hs.auth.clone()),
        ("query".to_owned(), Value::from(&query)),
        ("data".to_owned(), Value::from(&socket.data())),
        ("rooms".to_owned(), rooms_value(socket)),
        ("recovered".to_owned(), Value::Bool(socket.recovered())),
        (
            "eio".to_owned(),
            Value::Number(if hs.request.query_param("EIO") == Some("4") {
                4.0
            } else {
                3.0
            }),
        ),
    ];
    // `transport` is left out when the query has none (JSON.stringify drops undefined).
    if let Some(t) = hs.request.query_param("transport") {
        fields.push(("transport".to_owned(), Value::String(t.to_owned())));
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamic_names_match_the_harness_regex() {
        assert!(is_dynamic("/dynamic-1"));
        assert!(is_dynamic("/dynamic-0042"));
        assert!(!is_dynamic("/dynamic-"));
        assert!(!is_dynamic("/dynamic-x"));
        assert!(!is_dynamic("/dynamic-1/x"));
    }
}
