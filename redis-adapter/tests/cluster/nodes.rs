//! The nodes of a mixed cluster: the reference server with the Redis adapter, in this test
//! process, and Node nodes (`fixtures/node/cluster/node.mjs`) in processes of their own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sio_protocol::binary::Value;
use sio_redis_adapter::{RedisAdapterConfig, RedisCluster};
use sio_reference_server::socketio::{AckSender, Socket, SocketIo};
use sio_test_support::Harness;

/// The reference server as a cluster node.
pub struct RustNode {
    pub io: SocketIo,
    pub url: String,
    pub cluster: RedisCluster,
    /// Every `serverSideEmit` this node's `/` received (the event name first).
    pub received: Arc<Mutex<Vec<Vec<Value>>>>,
}

/// What the Rust node answers a `serverSideEmitWithAck` with.
pub const RUST_ANSWER: &str = "from rust";

/// Starts the reference server on 127.0.0.1 with the Redis adapter on `redis`, the contract's
/// `join` event on `/`, and a `serverSideEmit` handler that records and answers.
pub async fn rust_node(redis: &str, requests_timeout: Duration) -> RustNode {
    let config = RedisAdapterConfig::new(redis).requests_timeout(requests_timeout);
    let cluster = RedisCluster::connect(config)
        .await
        .expect("Redis reachable");
    let io = SocketIo::builder().adapter(cluster.factory()).build();
    let received: Arc<Mutex<Vec<Vec<Value>>>> = Arc::default();
    let nsp = io.of("/");
    nsp.on_connection(|socket| {
        let _ = socket.emit("auth", &socket.handshake().auth_json());
        socket.on(
            "join",
            |socket: Socket, args: Vec<Value>, ack: Option<AckSender>| {
                let rooms: Vec<String> = match args.first() {
                    Some(Value::Array(items)) => items
                        .iter()
                        .filter_map(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect(),
                    Some(Value::String(s)) => vec![s.clone()],
                    _ => Vec::new(),
                };
                socket.join(rooms);
                if let Some(ack) = ack {
                    let rooms = socket.rooms().into_iter().map(Value::String).collect();
                    ack.send(vec![Value::Array(rooms)]);
                }
            },
        );
    });
    let seen = received.clone();
    nsp.on_server_side_emit_with_ack(move |args, reply| {
        seen.lock().unwrap().push(args);
        if let Some(reply) = reply {
            reply(vec![Value::from(RUST_ANSWER), Value::from("not sent")]);
        }
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = io.clone();
    tokio::spawn(async move { served.serve(listener).await });
    RustNode {
        io,
        url,
        cluster,
        received,
    }
}

/// Starts a Node node on `redis` (`None` when Node is missing outside CI).
pub fn node_node(redis: &str, requests_timeout_ms: u64) -> Option<(Harness, String)> {
    let timeout = requests_timeout_ms.to_string();
    sio_test_support::start_node_with(
        &[
            "cluster/node.mjs",
            "--redis",
            redis,
            "--requests-timeout",
            &timeout,
        ],
        &[],
    )
}

/// Waits (bounded) until PUBSUB NUMSUB counts `n` servers on `/`: every node subscribed.
pub async fn wait_for_servers(node: &RustNode, n: usize) {
    eventually(&format!("{n} servers on /"), || async {
        node.cluster.server_count("/").await == n
    })
    .await;
}

/// Polls `check` every 20 ms until it holds, for at most 5 s (cluster operations are
/// fire-and-forget: their effect shows up after a round trip through Redis).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
