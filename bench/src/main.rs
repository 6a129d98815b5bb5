//! `sio-bench`: a load generator that measures what one contract server (fixtures/CONTRACT.md)
//! spends in CPU, memory and latency for the same work, so `cargo xtask bench` can put the
//! reference server, the Node harness and socketioxide side by side in one run and print ratios.
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
//!    read and answered on its own (the per-syscall and per-wakeup cost dominates); then (2c)
//!    connections one after the other, for the time a CONNECT waits for its reply when nothing
//!    else is queued (a server that holds CONNECT replies back shows it here);
//! 3. broadcast deliveries: one sender asks the contract's `broadcast` control event to emit to
//!    every socket of a dynamic namespace, many receivers count what arrives and when (the
//!    delivery latency: from the sender's request to each receiver's copy); once per
//!    `--broadcast-windows` value (broadcasts in flight). A window whose receivers the server
//!    drops is reported as `{"error": …}` and the run goes on.
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
//! Latency: in phase 2b each request's time from its send to its ack (p50/p90/p99/max), and in
//! phases 1 (64 connecting at once) and 2c (one at a time) each connection's time from its
//! CONNECT to the server's reply.
//!
//! Whether the generator itself was the bottleneck: it runs on one thread, so its own CPU time
//! (read from `/proc/self` the same way) over a phase's wall time near 1 means it was saturated
//! and the phase measured the client, not the server; each phase reports that share, and
//! `generator_saturated` is set when any phase went over [`SATURATED_SHARE`].
//!
//! Any server that serves the contract's `official` tier can be measured (`--url`, `--pid`
//! optional: without it no server CPU or memory is reported). Broadcasts need the `full` tier
//! (the `broadcast` control event on a dynamic namespace); the generator tries one connection
//! there first and skips the phase when the namespace is refused.
//!
//! With `--peer-url` (a second node of the same cluster) it measures one thing instead:
//! broadcasts from a sender on the first node to receivers on the second (see `cluster.rs`).
//!
//! Bounded: counts are capped (see [`Limits`]), the whole run has a wall-time bound
//! (`--time-limit-secs`), every wait is bounded and a phase that does not complete in its
//! bound fails the run instead of reporting a number. Loopback only unless `--allow-remote`.
//! Linux only (it reads /proc).

mod client;
mod cluster;
mod latency;
mod procfs;
mod target;

use clap::Parser;
use client::Client;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A generator whose CPU share of a phase is above this was (nearly) saturated: the phase's
/// figures then say more about the client than about the server.
const SATURATED_SHARE: f64 = 0.85;

/// What to measure and how much load to apply.
#[derive(Parser, Debug)]
#[command(
    name = "sio-bench",
    about = "CPU, memory and latency of a contract server under fixed loads"
)]
pub(crate) struct Args {
    /// The contract server (`http://127.0.0.1:PORT`); loopback only unless --allow-remote.
    #[arg(long)]
    url: String,
    /// The server's process id (its CPU and memory are read from /proc/<pid>); without it only
    /// throughput and latency are reported.
    #[arg(long)]
    pid: Option<u32>,
    /// Another node of the server's cluster: measure cross-node broadcasts only (`cluster.rs`).
    #[arg(long)]
    peer_url: Option<String>,
    /// The other node's process id, for its CPU time.
    #[arg(long, requires = "peer_url")]
    peer_pid: Option<u32>,
    /// Accept a URL whose host is not a loopback address.
    #[arg(long)]
    allow_remote: bool,
    /// The whole run's wall-time bound, in seconds.
    #[arg(long, default_value_t = 600)]
    time_limit_secs: u64,
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
    /// Connections of phase 2c, made one after the other (each closed before the next): the
    /// time from CONNECT to its reply without other connections queued in front of it.
    #[arg(long, default_value_t = 200)]
    serial_connects: usize,
    /// Receivers in phase 3.
    #[arg(long, default_value_t = 100)]
    receivers: usize,
    /// Broadcasts in phase 3, for each window (deliveries = broadcasts × (receivers + 1)).
    #[arg(long, default_value_t = 1_000)]
    broadcasts: usize,
    /// Broadcast requests in flight at once in phase 3, one run per value (a server may write
    /// the frames of several pending broadcasts to one recipient together; 1 leaves nothing to
    /// coalesce, as in most applications).
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    broadcast_windows: Vec<usize>,
    /// Idle connections in phase 1.
    #[arg(long, default_value_t = 2_000)]
    idle: usize,
    /// How long phase 1 keeps the idle connections, in seconds.
    #[arg(long, default_value_t = 10)]
    idle_secs: u64,
}

/// The most each count may ask for: the generator is a measuring tool, not a load test.
struct Limits;

impl Limits {
    const ACKS: usize = 1_000_000;
    const CONNECTIONS: usize = 20_000;
    const BROADCASTS: usize = 100_000;
    const WINDOW: usize = 1_024;
    const SECS: u64 = 3_600;

    fn check(args: &Args) -> Result<(), String> {
        let counts = [
            ("--acks", args.acks, Self::ACKS),
            ("--serial-acks", args.serial_acks, Self::ACKS),
            ("--ack-connections", args.ack_connections, Self::CONNECTIONS),
            ("--receivers", args.receivers, Self::CONNECTIONS),
            ("--idle", args.idle, Self::CONNECTIONS),
            ("--serial-connects", args.serial_connects, Self::CONNECTIONS),
            ("--broadcasts", args.broadcasts, Self::BROADCASTS),
            ("--ack-window", args.ack_window, Self::WINDOW),
        ];
        for (flag, value, most) in counts {
            if value > most {
                return Err(format!("{flag} {value}: at most {most}"));
            }
        }
        if args.ack_connections == 0 {
            return Err("--ack-connections must be at least 1".into());
        }
        if let Some(w) = args
            .broadcast_windows
            .iter()
            .find(|w| **w == 0 || **w > Self::WINDOW)
        {
            return Err(format!(
                "--broadcast-windows {w}: from 1 to {}",
                Self::WINDOW
            ));
        }
        for (flag, secs) in [
            ("--idle-secs", args.idle_secs),
            ("--time-limit-secs", args.time_limit_secs),
        ] {
            if secs > Self::SECS {
                return Err(format!("{flag} {secs}: at most {}", Self::SECS));
            }
        }
        Ok(())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let bound = Duration::from_secs(args.time_limit_secs);
    let result = match tokio::time::timeout(bound, run(&args)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "the run took more than --time-limit-secs {bound:?}"
        )),
    };
    match result {
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

async fn run(args: &Args) -> Result<Value, String> {
    Limits::check(args)?;
    let authority = target::authority(&args.url, args.allow_remote)?;
    let meter = Meter::new(args.pid)?;
    let endpoint = format!("ws://{authority}/socket.io/?EIO=4&transport=websocket");
    if let Some(peer) = &args.peer_url {
        let peer = target::authority(peer, args.allow_remote)?;
        let peer_endpoint = format!("ws://{peer}/socket.io/?EIO=4&transport=websocket");
        return cluster::run(args, &endpoint, &peer_endpoint).await;
    }

    let idle = idle(&meter, &endpoint, args).await?;
    // Let the idle sessions close, so their teardown is not counted in the next phase.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let clients = Client::connect_many(&endpoint, "/", args.ack_connections).await?;
    let acks = echo_acks(&meter, &clients, args.acks, args.ack_window).await?;
    let serial_acks = echo_acks(&meter, &clients, args.serial_acks, 1).await?;
    drop(clients);
    let connects = serial_connects(&meter, &endpoint, args.serial_connects).await?;
    let mut report = json!({
        "url": args.url,
        "acks": acks,
        "serial_acks": serial_acks,
        "connects": connects,
        "idle": idle,
    });
    // A dynamic namespace of the contract, so nothing else connected sees these broadcasts.
    let nsp = "/dynamic-4242";
    let full_tier = match Client::try_connect(&endpoint, nsp).await? {
        Some(probe) => {
            drop(probe);
            true
        }
        None => false,
    };
    report["full_tier"] = json!(full_tier);
    if full_tier {
        for &window in &args.broadcast_windows {
            // A server that drops a receiver mid-phase (a pong late under load, at the
            // contract's 200 ms pingTimeout) fails this window, not the other figures.
            report[format!("broadcast_{window}")] =
                match broadcasts(&meter, &endpoint, nsp, window, args).await {
                    Ok(figures) => figures,
                    Err(error) => {
                        eprintln!("sio-bench: broadcasts, {window} in flight: {error}");
                        // Let the failed phase's sessions close before the next one.
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        json!({ "error": error })
                    }
                };
        }
    }
    let phases = ["idle", "acks", "serial_acks", "connects"]
        .map(String::from)
        .into_iter()
        .chain(
            args.broadcast_windows
                .iter()
                .map(|w| format!("broadcast_{w}")),
        );
    let saturated: Vec<String> = phases
        .filter(|p| {
            report[p]["generator_cpu_share"]
                .as_f64()
                .is_some_and(|share| share > SATURATED_SHARE)
        })
        .collect();
    report["generator_saturated"] = json!(!saturated.is_empty());
    report["generator_saturated_phases"] = json!(saturated);
    Ok(report)
}

/// Reads the server's (when its pid is known) and the generator's own CPU time around a phase.
pub(crate) struct Meter {
    server: Option<procfs::Process>,
    generator: procfs::Process,
}

/// The samples taken when a phase starts.
pub(crate) struct Mark {
    server: Option<procfs::Sample>,
    generator: procfs::Sample,
    start: Instant,
}

impl Meter {
    pub(crate) fn new(pid: Option<u32>) -> Result<Meter, String> {
        Ok(Meter {
            server: pid.map(procfs::Process::new).transpose()?,
            generator: procfs::Process::new(std::process::id())?,
        })
    }

    pub(crate) fn mark(&self) -> Result<Mark, String> {
        Ok(Mark {
            server: self.server.as_ref().map(|s| s.sample()).transpose()?,
            generator: self.generator.sample()?,
            start: Instant::now(),
        })
    }

    /// The phase's wall time, the server's CPU time (null without a pid), both CPU shares.
    pub(crate) fn since(&self, mark: &Mark, count: usize) -> Result<Value, String> {
        let wall = mark.start.elapsed();
        let wall_ms = wall.as_secs_f64() * 1000.0;
        let generator_ms = self.generator.sample()?.cpu_ms_since(&mark.generator);
        let server_ms = match (&self.server, &mark.server) {
            (Some(server), Some(before)) => Some(server.sample()?.cpu_ms_since(before)),
            _ => None,
        };
        Ok(json!({
            "wall_ms": wall_ms.round(),
            "per_second": (count as f64 / wall.as_secs_f64().max(1e-9)).round(),
            "cpu_ms": server_ms,
            "cpu_ms_per_1000": server_ms.map(|ms| per_thousand(ms, count)),
            "server_cpu_share": server_ms.map(|ms| ms / wall_ms.max(1e-9)),
            "generator_cpu_share": generator_ms / wall_ms.max(1e-9),
        }))
    }
}

/// Phase 2: about `acks` echo acks shared by `clients`, `window` in flight on each.
async fn echo_acks(
    meter: &Meter,
    clients: &[Client],
    acks: usize,
    window: usize,
) -> Result<Value, String> {
    let per_client = acks.div_ceil(clients.len().max(1));
    let mark = meter.mark()?;
    let runs: Vec<_> = clients
        .iter()
        .map(|c| {
            let c = c.clone();
            tokio::spawn(async move { c.echo_acks(per_client, window).await })
        })
        .collect();
    let mut latencies = Vec::new();
    for run in runs {
        latencies.extend(run.await.map_err(|e| e.to_string())??);
    }
    let count = per_client * clients.len();
    let mut figures = meter.since(&mark, count)?;
    figures["count"] = json!(count);
    figures["in_flight_per_connection"] = json!(window);
    if !latencies.is_empty() {
        figures["latency_ms"] = latency::summary(&mut latencies);
    }
    Ok(figures)
}

/// Phase 2c: `n` connections one after the other, each closed once joined; the latency of
/// each CONNECT reply (and the server's CPU per connection: handshake, join, close).
async fn serial_connects(meter: &Meter, endpoint: &str, n: usize) -> Result<Value, String> {
    let mark = meter.mark()?;
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let client = Client::connect(endpoint, "/").await?;
        latencies.push(client.connect_latency());
    }
    let mut figures = meter.since(&mark, n)?;
    figures["count"] = json!(n);
    if !latencies.is_empty() {
        figures["latency_ms"] = latency::summary(&mut latencies);
    }
    Ok(figures)
}

/// Phase 3: one sender, many receivers, `broadcast` to every socket of a fresh namespace,
/// `window` broadcasts in flight.
async fn broadcasts(
    meter: &Meter,
    endpoint: &str,
    nsp: &str,
    window: usize,
    args: &Args,
) -> Result<Value, String> {
    let receivers = Client::connect_many(endpoint, nsp, args.receivers).await?;
    let sender = Client::connect(endpoint, nsp).await?;
    let expected = args.broadcasts;
    for receiver in &receivers {
        receiver.record_arrivals();
    }
    let mark = meter.mark()?;
    let sent = sender.broadcast_all(expected, window).await?;
    let bound = Duration::from_secs(60);
    for receiver in receivers.iter().chain(std::iter::once(&sender)) {
        receiver.wait_for_events(expected, bound).await?;
    }
    let deliveries = expected * (args.receivers + 1);
    let mut figures = meter.since(&mark, deliveries)?;
    figures["deliveries"] = json!(deliveries);
    figures["in_flight"] = json!(window);
    // From the sender's request to each receiver's copy: a server that answers the request
    // before it writes the copies (and so writes several broadcasts at once) shows it here.
    let mut latencies: Vec<Duration> = receivers
        .iter()
        .flat_map(|r| {
            let arrivals = r.take_arrivals();
            sent.iter()
                .zip(arrivals)
                .map(|(s, a)| a.saturating_duration_since(*s))
                .collect::<Vec<_>>()
        })
        .collect();
    if !latencies.is_empty() {
        figures["delivery_latency_ms"] = latency::summary(&mut latencies);
    }
    drop(receivers);
    drop(sender);
    // Let these sessions close before the next run on the same namespace.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(figures)
}

/// Phase 1: idle connected sockets: memory each, CPU of heartbeats alone, sessions dropped.
async fn idle(meter: &Meter, endpoint: &str, args: &Args) -> Result<Value, String> {
    // Let the server settle after its start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss = |mark: &Mark| mark.server.as_ref().map(|s| s.rss_kb);
    let before = meter.mark()?;
    let clients = Client::connect_many(endpoint, "/", args.idle).await?;
    let connected = meter.mark()?;
    // Pongs answered before the window (while the others connected) are not in its CPU time.
    let pongs_before: u64 = clients.iter().map(Client::pongs).sum();
    let window = Duration::from_secs(args.idle_secs);
    tokio::time::sleep(window).await;
    let pongs = clients.iter().map(Client::pongs).sum::<u64>() - pongs_before;
    let mut figures = meter.since(&connected, pongs as usize)?;
    let after = meter.mark()?;
    let dropped = clients.iter().filter(|c| c.is_closed()).count();
    let mut connect_latencies: Vec<Duration> =
        clients.iter().map(Client::connect_latency).collect();
    drop(clients);
    let heartbeat_cpu_ms = figures["cpu_ms"].as_f64();
    figures["connections"] = json!(args.idle);
    figures["rss_before_kb"] = json!(rss(&before));
    figures["rss_connected_kb"] = json!(rss(&connected));
    figures["rss_after_kb"] = json!(rss(&after));
    // The larger of the two: sessions dropped in the window must not lower the figure.
    figures["bytes_per_connection"] = json!(
        rss(&before)
            .zip(rss(&connected).max(rss(&after)))
            .map(|(before, peak)| peak.saturating_sub(before) * 1024 / args.idle.max(1) as u64)
    );
    figures["heartbeat_secs"] = json!(args.idle_secs);
    figures["heartbeat_cpu_ms"] = json!(heartbeat_cpu_ms);
    figures["heartbeat_cpu_share"] = figures["server_cpu_share"].clone();
    // Per ping answered: a server that pings a little later than another pings less often and
    // its share alone would flatter it.
    figures["heartbeat_cpu_ms_per_1000_pongs"] = figures["cpu_ms_per_1000"].clone();
    figures["pongs"] = json!(pongs);
    figures["dropped"] = json!(dropped);
    if !connect_latencies.is_empty() {
        figures["connect_latency_ms"] = latency::summary(&mut connect_latencies);
    }
    Ok(figures)
}

fn per_thousand(cpu_ms: f64, count: usize) -> f64 {
    cpu_ms * 1000.0 / count.max(1) as f64
}
