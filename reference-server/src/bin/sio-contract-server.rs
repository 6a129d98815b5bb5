//! `sio-contract-server --port N`: the reference server's side of the server contract
//! (`/engine.io/`, `/socket.io/`, `/socket.io-recovery/`, `/socket.io-eio3/`, `/health`), bound
//! to 127.0.0.1 (port 0 = ephemeral). Prints exactly one stdout line, `{"listening":"http://127.0.0.1:PORT"}`,
//! once it accepts connections.

use std::io::Write;

use anyhow::{Context, bail};

fn parse_port(args: &[String]) -> anyhow::Result<u16> {
    let mut port = 0u16;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--port" {
            it.next().context("--port needs a value")?.as_str()
        } else if let Some(v) = arg.strip_prefix("--port=") {
            v
        } else {
            bail!("unknown argument {arg} (usage: sio-contract-server --port N)");
        };
        port = value.parse().context("--port must be 0..65535")?;
    }
    Ok(port)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = parse_port(&args)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .context("bind 127.0.0.1")?;
    let addr = listener.local_addr()?;
    let app = sio_reference_server::contract::router();
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
        served = axum::serve(listener, app) => served?,
        () = shutdown_signal() => {}
    }
    Ok(())
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
