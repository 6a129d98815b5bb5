//! Cross-node broadcasts (`--peer-url`): the cost of a cluster's adapter. One sender on the
//! node at `--url` asks the contract's `broadcast` control event to emit to every socket of `/`;
//! the receivers are all on the node at `--peer-url`, so every delivery counted crossed the
//! adapter (Redis, for `@socket.io/redis-adapter` and the Rust Redis adapter). Once per
//! `--broadcast-windows` value. Figures: deliveries per second (wall), and the CPU time of each
//! node per 1000 cross-node deliveries when its pid is given (`--pid` the sender's node,
//! `--peer-pid` the receivers'). `/`, not a dynamic namespace: a dynamic namespace is made on a
//! node by its first connection and subscribes to Redis only then, after which a broadcast from
//! the other node could already have gone by.

use std::time::Duration;

use serde_json::{Value, json};

use crate::client::Client;
use crate::{Args, Meter};

/// Runs the cross-node phase once per window; returns the report.
pub async fn run(args: &Args, endpoint: &str, peer_endpoint: &str) -> Result<Value, String> {
    let sender_node = Meter::new(args.pid)?;
    let receiver_node = Meter::new(args.peer_pid)?;
    let mut report = json!({ "url": args.url, "peer_url": args.peer_url });
    for &window in &args.broadcast_windows {
        let receivers = Client::connect_many(peer_endpoint, "/", args.receivers).await?;
        let sender = Client::connect(endpoint, "/").await?;
        let (mark_sender, mark_receiver) = (sender_node.mark()?, receiver_node.mark()?);
        sender.broadcast_all(args.broadcasts, window).await?;
        let bound = Duration::from_secs(60);
        for receiver in &receivers {
            receiver.wait_for_events(args.broadcasts, bound).await?;
        }
        let deliveries = args.broadcasts * args.receivers;
        let mut figures = sender_node.since(&mark_sender, deliveries)?;
        let peer = receiver_node.since(&mark_receiver, deliveries)?;
        figures["deliveries"] = json!(deliveries);
        figures["in_flight"] = json!(window);
        figures["peer_cpu_ms"] = peer["cpu_ms"].clone();
        figures["peer_cpu_ms_per_1000"] = peer["cpu_ms_per_1000"].clone();
        report[format!("cluster_broadcast_{window}")] = figures;
        drop(receivers);
        drop(sender);
        // Let these sessions close before the next window.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(report)
}
