//! `sio-contract-server --port N`: the reference server's side of the server contract
//! (`/engine.io/`, `/socket.io/`, `/socket.io-recovery/`, `/socket.io-eio3/`, `/health`), bound
//! to 127.0.0.1 (port 0 = ephemeral). Prints exactly one stdout line, `{"listening":"http://127.0.0.1:PORT"}`,
//! once it accepts connections.
//!
//! `--timer-slack-ms N` sets every engine's `EngineConfig::timer_slack` (default 10 ms), so
//! the bench can measure what the timer coalescing saves.
//!
//! It serves on one thread by default, as Node's event loop does: requests that race on the wire
//! (a long-poll GET and a POST `1` sent at once on two connections, WebSocket frames followed by
//! a polling GET) are then handled in the order they arrive, which is what the official suites
//! expect of a server. On a multi-threaded runtime the second request can overtake the first
//! between two workers. `--threads N` (0 = one per core) gives the bench a multi-threaded server.
//!
//! `--redis redis://127.0.0.1:PORT` makes it one node of a cluster: sio-main (`/socket.io/`)
//! shares its rooms and broadcasts with the other nodes on that Redis through the Redis adapter
//! (`sio-redis-adapter`, which interoperates with Node's `@socket.io/redis-adapter` 8.3.0), as
//! `fixtures/node/cluster/node.mjs` does for a Node node, with the same `cluster` control event
//! (CONTRACT.md, "Cluster nodes"). `--requests-timeout-ms N` is the
//! adapter's `requestsTimeout` (default 5000, Node's). Redis must be reachable at start.
//!
//! `--fault NAME` gives every server of the contract that protocol bug (FAULTS.md); it needs a
//! build with the cargo feature `faults` (`cargo run -p sio-contract-server --features faults`),
//! and is refused, naming the feature, without it.

use axum::serve::ListenerExt;
use std::io::Write;

use anyhow::{Context, bail};
use sio_contract_server::Variant;
use sio_reference_server::fault::{Fault, Injected};

/// The command line.
struct Args {
    port: u16,
    /// `--threads N`: runtime worker threads; 1 (the default) is a single-threaded runtime.
    threads: usize,
    /// `--timer-slack-ms N`.
    timer_slack: Option<std::time::Duration>,
    /// `--fault NAME`.
    fault: Injected,
    /// `--redis URL`: run as a cluster node on that Redis.
    redis: Option<String>,
    /// `--requests-timeout-ms N`: the Redis adapter's `requestsTimeout`.
    requests_timeout: std::time::Duration,
}

const USAGE: &str =
    "usage: sio-contract-server --port N [--threads N] [--timer-slack-ms N] [--fault NAME]
                           [--redis redis://127.0.0.1:PORT [--requests-timeout-ms N]]
  --redis URL              run as a cluster node: sio-main uses the Redis adapter on that Redis
                           (interoperates with Node's @socket.io/redis-adapter nodes)
  --requests-timeout-ms N  the adapter's requestsTimeout (default 5000)";

/// The value of `--name V` or `--name=V`, if `arg` is that flag.
fn flag_value<'a>(
    arg: &'a str,
    name: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> anyhow::Result<Option<&'a str>> {
    if arg == name {
        let v = rest
            .next()
            .with_context(|| format!("{name} needs a value"))?;
        Ok(Some(v.as_str()))
    } else {
        Ok(arg.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    }
}

fn parse_args(args: &[String]) -> anyhow::Result<Args> {
    let mut parsed = Args {
        port: 0,
        threads: 1,
        timer_slack: None,
        fault: Injected::NONE,
        redis: None,
        requests_timeout: std::time::Duration::from_millis(5000),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if let Some(value) = flag_value(arg, "--port", &mut it)? {
            parsed.port = value.parse().context("--port must be 0..65535")?;
            continue;
        }
        if let Some(value) = flag_value(arg, "--threads", &mut it)? {
            parsed.threads = value
                .parse()
                .context("--threads must be a whole number (0 = one per core)")?;
            continue;
        }
        if let Some(value) = flag_value(arg, "--timer-slack-ms", &mut it)? {
            let ms: u64 = value
                .parse()
                .context("--timer-slack-ms must be a whole number of ms")?;
            parsed.timer_slack = Some(std::time::Duration::from_millis(ms));
            continue;
        }
        if let Some(url) = flag_value(arg, "--redis", &mut it)? {
            parsed.redis = Some(url.to_owned());
            continue;
        }
        if let Some(value) = flag_value(arg, "--requests-timeout-ms", &mut it)? {
            let ms: u64 = value
                .parse()
                .context("--requests-timeout-ms must be a whole number of ms")?;
            parsed.requests_timeout = std::time::Duration::from_millis(ms);
            continue;
        }
        if let Some(name) = flag_value(arg, "--fault", &mut it)? {
            let fault = Fault::from_name(name).with_context(|| {
                let names: Vec<&str> = Fault::ALL.iter().map(|f| f.name()).collect();
                format!("unknown fault {name} (one of: {})", names.join(", "))
            })?;
            parsed.fault = Injected::try_arm(fault).with_context(|| {
                format!("--fault {name}: this build has no fault injection (build it with the cargo feature `faults`)")
            })?;
            continue;
        }
        bail!("unknown argument {arg} ({USAGE})");
    }
    Ok(parsed)
}

fn main() -> anyhow::Result<()> {
    // Logs go to stderr (stdout carries exactly the one `listening` line); `RUST_LOG` filters
    // them, warnings only by default.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let args = parse_args(&args)?;
    let runtime = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        0 => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    }
    .context("start the tokio runtime")?;
    runtime.block_on(serve(args))
}

/// Binds, prints the `listening` line and serves until SIGINT/SIGTERM.
async fn serve(args: Args) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .context("bind 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let variant = Variant {
        timer_slack: args.timer_slack,
        fault: args.fault,
    };
    let app = match &args.redis {
        Some(url) => cluster_node(variant, url, args.requests_timeout).await?,
        None => sio_contract_server::build_variant(variant).router,
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        serde_json::json!({ "listening": format!("http://{addr}") })
    )?;
    out.flush()?;
    drop(out);
    // Held long polls and WebSockets are not waited for: the contract asks for a prompt exit 0.
    tokio::select! {
        // TCP_NODELAY, as Node's HTTP server sets it: without it a second small frame written
        // right after another waits for the client's delayed ACK (about 40 ms).
        served = axum::serve(listener.tap_io(|tcp| { let _ = tcp.set_nodelay(true); }), app) => served?,
        () = shutdown_signal() => {}
    }
    Ok(())
}

/// The contract as a node of the cluster on the Redis at `url`.
#[cfg(feature = "redis")]
async fn cluster_node(
    variant: Variant,
    url: &str,
    requests_timeout: std::time::Duration,
) -> anyhow::Result<axum::Router> {
    let config = sio_redis_adapter::RedisAdapterConfig::new(url).requests_timeout(requests_timeout);
    // The adapters hold what they need of the link; this handle is only for counting servers.
    let (contract, _link) = sio_contract_server::connect_cluster_node(variant, config)
        .await
        .with_context(|| format!("connect to Redis at {url}"))?;
    Ok(contract.router)
}

/// Without the feature `redis` there is no Redis adapter to join a cluster with.
#[cfg(not(feature = "redis"))]
async fn cluster_node(
    _variant: Variant,
    _url: &str,
    _requests_timeout: std::time::Duration,
) -> anyhow::Result<axum::Router> {
    bail!("--redis: this build has no Redis adapter (build it with the cargo feature `redis`)")
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
