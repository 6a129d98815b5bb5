//! `sio-bench`: a load generator that measures what one contract server (fixtures/CONTRACT.md)
//! spends in CPU and memory for the same work, so `cargo xtask bench` can put the reference
//! server and the Node harness side by side in one run and print ratios.
//!
//! The server's cost is read from `/proc/<pid>` (CPU time of its threads in nanoseconds from
//! schedstat, resident memory) before and after each phase; the client runs in this process,
//! ideally pinned to another core (xtask does that with `taskset`). Phases, each but 2b on fresh
//! connections:
//! 1. idle connections: many connected sockets that only answer pings, for the memory each one
//!    costs and for the CPU the heartbeats alone burn (and whether any session is dropped);
//! 2. echo acks: `42<id>["message-with-ack",i]` answered by `43<id>[i]`, pipelined (`--ack-window`
//!    in flight per connection), then the same with one in flight per connection (2b): the
//!    first is what a server costs when requests queue up, the second when every request is
//!    read and answered on its own (the per-syscall and per-wakeup cost dominates);
//! 3. broadcast deliveries: one sender asks the contract's `broadcast` control event to emit to
//!    every socket of a dynamic namespace, many receivers count what arrives.
//!
//! Memory per idle connection is resident memory (what the OS charges the process: heap,
//! allocator overhead and fragmentation, runtime structures), not the allocator's own count,
//! because that is what Node's figure can be compared with: the growth of RSS from before the
//! connections to the larger of "all connected" and "after the idle window", divided by the
//! connections asked for. Taking the larger keeps sessions dropped during the window (their
//! memory freed) from making the figure look better. The idle phase runs first, on a server
//! that has served nothing yet: memory an allocator kept from earlier phases would be reused by
//! the idle connections and hide part of their cost (measured on the reference server: 8%
//! less when the idle phase ran last). One-time growth (the session table, the runtime's I/O
//! slabs) is counted in, so the figure errs on the high side.
//!
//! Linux only (it reads /proc). Every wait is bounded; a phase that does not complete in its
//! bound fails the run instead of reporting a number.

mod client;
mod procfs;

use clap::Parser;
use client::Client;
use serde_json::json;
use std::time::{Duration, Instant};

/// What to measure and how much load to apply.
#[derive(Parser, Debug)]
#[command(
    name = "sio-bench",
    about = "CPU and memory cost of a contract server under fixed loads"
)]
struct Args {
    /// The contract server (`http://127.0.0.1:PORT`).
    #[arg(long)]
    url: String,
    /// The server's process id (its CPU and memory are read from /proc/<pid>).
    #[arg(long)]
    pid: u32,
    /// Echo acks to send in phase 2.
    #[arg(long, default_value_t = 50_000)]
    acks: usize,
    /// Connections sharing phase 2.
    #[arg(long, default_value_t = 10)]
    ack_connections: usize,
    /// Ack requests in flight at once on each phase-2 connection.
    #[arg(long, default_value_t = 64)]
    ack_window: usize,
    /// Echo acks of phase 2b: the same connections, one request in flight on each (every
    /// request waits for the previous ack, so a server has nothing to read or write together).
    #[arg(long, default_value_t = 10_000)]
    serial_acks: usize,
    /// Receivers in phase 3.
    #[arg(long, default_value_t = 100)]
    receivers: usize,
    /// Broadcasts in phase 3 (deliveries = broadcasts × (receivers + 1)).
    #[arg(long, default_value_t = 1_000)]
    broadcasts: usize,
    /// Broadcast requests in flight at once in phase 3 (a server may write the frames of
    /// several pending broadcasts to one recipient together; 1 leaves nothing to coalesce).
    #[arg(long, default_value_t = 16)]
    broadcast_window: usize,
    /// Idle connections in phase 1.
    #[arg(long, default_value_t = 2_000)]
    idle: usize,
    /// How long phase 1 keeps the idle connections, in seconds.
    #[arg(long, default_value_t = 10)]
    idle_secs: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(report) => {
            println!("{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sio-bench: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run(args: &Args) -> Result<serde_json::Value, String> {
    let server = procfs::Process::new(args.pid)?;
    let ws_url = args.url.replacen("http://", "ws://", 1);
    let endpoint = format!("{ws_url}/socket.io/?EIO=4&transport=websocket");

    let idle = idle(&server, &endpoint, args).await?;
    // Let the idle sessions close, so their teardown is not counted in the next phase.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let clients = Client::connect_many(&endpoint, "/", args.ack_connections).await?;
    let acks = echo_acks(&server, &clients, args.acks, args.ack_window).await?;
    let serial_acks = echo_acks(&server, &clients, args.serial_acks, 1).await?;
    drop(clients);
    let broadcast = broadcasts(&server, &endpoint, args).await?;
    Ok(json!({
        "acks": acks,
        "serial_acks": serial_acks,
        "broadcast": broadcast,
        "idle": idle,
    }))
}

/// Phase 2: about `acks` echo acks shared by `clients`, `window` in flight on each.
async fn echo_acks(
    server: &procfs::Process,
    clients: &[Client],
    acks: usize,
    window: usize,
) -> Result<serde_json::Value, String> {
    let per_client = acks.div_ceil(clients.len().max(1));
    let before = server.sample()?;
    let start = Instant::now();
    let runs: Vec<_> = clients
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { c.echo_acks(per_client, window).await })
        })
        .collect();
    for run in runs {
        run.await.map_err(|e| e.to_string())??;
    }
    let wall = start.elapsed();
    let after = server.sample()?;
    let count = per_client * clients.len();
    let cpu_ms = after.cpu_ms_since(&before);
    Ok(json!({
        "count": count,
        "cpu_ms": cpu_ms,
        "wall_ms": wall.as_millis(),
        "cpu_ms_per_1000": per_thousand(cpu_ms, count),
    }))
}

/// Phase 3: one sender, many receivers, `broadcast` to every socket of a fresh namespace.
async fn broadcasts(
    server: &procfs::Process,
    endpoint: &str,
    args: &Args,
) -> Result<serde_json::Value, String> {
    // A dynamic namespace of the contract, so nothing else connected sees these broadcasts.
    let nsp = "/dynamic-4242";
    let receivers = Client::connect_many(endpoint, nsp, args.receivers).await?;
    let sender = Client::connect(endpoint, nsp).await?;
    let expected = args.broadcasts;
    let before = server.sample()?;
    let start = Instant::now();
    sender
        .broadcast_all(expected, args.broadcast_window)
        .await?;
    let bound = Duration::from_secs(60);
    for receiver in receivers.iter().chain(std::iter::once(&sender)) {
        receiver.wait_for_events(expected, bound).await?;
    }
    let wall = start.elapsed();
    let after = server.sample()?;
    let deliveries = expected * (args.receivers + 1);
    let cpu_ms = after.cpu_ms_since(&before);
    Ok(json!({
        "deliveries": deliveries,
        "cpu_ms": cpu_ms,
        "wall_ms": wall.as_millis(),
        "cpu_ms_per_1000": per_thousand(cpu_ms, deliveries),
    }))
}

/// Phase 1: idle connected sockets: memory each, CPU of heartbeats alone, sessions dropped.
async fn idle(
    server: &procfs::Process,
    endpoint: &str,
    args: &Args,
) -> Result<serde_json::Value, String> {
    // Let the server settle after its start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.sample()?;
    let clients = Client::connect_many(endpoint, "/", args.idle).await?;
    let connected = server.sample()?;
    // Pongs answered before the window (while the others connected) are not in its CPU time.
    let pongs_before: u64 = clients.iter().map(Client::pongs).sum();
    let window = Duration::from_secs(args.idle_secs);
    tokio::time::sleep(window).await;
    let after = server.sample()?;
    let dropped = clients.iter().filter(|c| c.is_closed()).count();
    let pongs = clients.iter().map(Client::pongs).sum::<u64>() - pongs_before;
    drop(clients);
    // The larger of the two: sessions dropped in the window must not lower the figure.
    let peak_kb = after.rss_kb.max(connected.rss_kb);
    let rss_delta_kb = peak_kb.saturating_sub(before.rss_kb);
    let heartbeat_cpu_ms = after.cpu_ms_since(&connected);
    Ok(json!({
        "connections": args.idle,
        "rss_before_kb": before.rss_kb,
        "rss_connected_kb": connected.rss_kb,
        "rss_after_kb": after.rss_kb,
        "bytes_per_connection": rss_delta_kb * 1024 / args.idle.max(1) as u64,
        "heartbeat_secs": args.idle_secs,
        "heartbeat_cpu_ms": heartbeat_cpu_ms,
        "heartbeat_cpu_share": heartbeat_cpu_ms / window.as_millis() as f64,
        // Per ping answered: a server that pings a little later than another pings less often
        // and its share alone would flatter it.
        "heartbeat_cpu_ms_per_1000_pongs": per_thousand(heartbeat_cpu_ms, pongs as usize),
        "pongs": pongs,
        "dropped": dropped,
    }))
}

fn per_thousand(cpu_ms: f64, count: usize) -> f64 {
    cpu_ms * 1000.0 / count.max(1) as f64
}
