//! A real `redis-server` for the cluster tests: 127.0.0.1, a free port, its own temporary
//! directory, no persistence (`--save "" --appendonly no`), killed with its handle. Found at
//! `REDIS_SERVER` or `/usr/bin/redis-server` (Debian's package).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running redis-server, killed (and its directory removed) when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

/// How long redis-server may take to say it accepts connections.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

fn redis_bin() -> PathBuf {
    std::env::var_os("REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/redis-server"))
}

impl RedisServer {
    /// Starts one. `None`, with a SKIPPED line, when redis-server is not installed and `CI` is
    /// not set (in CI a missing redis-server fails the test: cluster tests cannot pass by not
    /// running).
    pub fn start() -> Option<RedisServer> {
        let bin = redis_bin();
        if !bin.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the cluster tests, but {} is missing (apt-get install redis-server)",
                bin.display()
            );
            eprintln!(
                "SKIPPED: {} is missing (apt-get install redis-server); no cluster test runs",
                bin.display()
            );
            return None;
        }
        Some(RedisServer::try_start().unwrap_or_else(|e| panic!("{e}")))
    }

    /// Starts one, or says why it could not (for tools, which report instead of skipping).
    pub fn try_start() -> Result<RedisServer, String> {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port on 127.0.0.1: {e}"))?
            .port();
        let dir = std::env::temp_dir().join(format!("sio-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("redis-server's directory {}: {e}", dir.display()))?;
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            bin: redis_bin(),
        };
        server.launch()?;
        Ok(server)
    }

    fn launch(&mut self) -> Result<(), String> {
        let port = self.port.to_string();
        let mut child = Command::new(&self.bin)
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args([
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
                "--loglevel",
                "notice",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| {
                let bin = self.bin.display();
                format!("starting {bin}: {e} (apt-get install redis-server)")
            })?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = String::new();
            let mut signalled = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if !signalled {
                    log.push_str(&line);
                    log.push('\n');
                    if line.contains("Ready to accept connections") {
                        signalled = true;
                        let _ = tx.send(Ok(()));
                    }
                }
            }
            if !signalled {
                let _ = tx.send(Err(log));
            }
        });
        match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(())) => {
                self.child = Some(child);
                Ok(())
            }
            other => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!(
                    "redis-server on port {port} did not become ready: {other:?}"
                ))
            }
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (its clients see their connections drop).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (after [`RedisServer::kill`]).
    pub fn restart(&mut self) {
        self.kill();
        self.launch().unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
