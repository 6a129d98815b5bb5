//! `cargo run -p sio-reference-server --example chat -- [--port N]`: the chat example (see
//! `app.rs`) on 127.0.0.1 (default port 3000; 0 picks a free one). Prints
//! `listening on http://127.0.0.1:PORT`; logs follow `RUST_LOG` (default `info`).

mod app;

use anyhow::Context;
use axum::serve::ListenerExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let mut port = 3000u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .context("--port needs a value")?
                    .parse()
                    .context("--port must be 0..65535")?;
            }
            other => anyhow::bail!("unknown argument {other} (usage: chat [--port N])"),
        }
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .context("bind 127.0.0.1")?;
    println!("listening on http://{}", listener.local_addr()?);
    let router = app::Chat::new().router();
    // TCP_NODELAY, as Node's HTTP server sets it (small frames are not held for delayed ACKs).
    axum::serve(
        listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        }),
        router,
    )
    .await?;
    Ok(())
}
