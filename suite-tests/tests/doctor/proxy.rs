//! Real proxies for the doctor's tests: nginx and HAProxy from the Debian packages, each started
//! in the foreground on an ephemeral port of 127.0.0.1 with a temporary directory and a config of
//! its own, in front of two backend nodes, and killed (by its own handle) when dropped.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which proxy.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// nginx (`/usr/sbin/nginx`).
    Nginx,
    /// HAProxy (`/usr/sbin/haproxy`).
    Haproxy,
}

impl Kind {
    fn binary(self) -> &'static str {
        match self {
            Kind::Nginx => "/usr/sbin/nginx",
            Kind::Haproxy => "/usr/sbin/haproxy",
        }
    }
}

/// Whether the proxy is installed: outside CI a missing one skips the test with a message; in
/// CI (where `.ci/run` installs both) it fails it, so the tests cannot pass by not running.
pub fn available(kind: Kind) -> bool {
    if Path::new(kind.binary()).is_file() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the doctor behind {kind:?}, but {} is missing (.ci/run installs it)",
        kind.binary()
    );
    eprintln!(
        "SKIPPED: {} is not installed (apt-get install nginx haproxy); the doctor's proxy tests need it",
        kind.binary()
    );
    false
}

/// A running proxy.
pub struct Proxy {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    dir: tempfile::TempDir,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    /// The proxy's own log (nginx's error log; HAProxy logs to stderr, kept in a file).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("proxy.log")).unwrap_or_default()
    }
}

/// A port of 127.0.0.1 that was free a moment ago (proxies take their port from the config).
fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("an ephemeral port of 127.0.0.1")
}

/// `host:port` of a backend URL (`http://127.0.0.1:1234` → `127.0.0.1:1234`).
pub fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Starts `kind` with the config `make_config(dir, port)` returns, waits (bounded) until its
/// port accepts connections.
pub fn start(kind: Kind, make_config: impl FnOnce(&Path, u16) -> String) -> Proxy {
    let dir = tempfile::Builder::new()
        .prefix("sio-doctor-proxy")
        .tempdir()
        .expect("a temporary directory");
    // nginx's workers drop root privileges (to nobody): they must reach their temp paths.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755));
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("tmp dir");
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o777));
    }
    let port = free_port();
    let config = make_config(dir.path(), port);
    let config_file: PathBuf = dir.path().join(match kind {
        Kind::Nginx => "nginx.conf",
        Kind::Haproxy => "haproxy.cfg",
    });
    std::fs::File::create(&config_file)
        .and_then(|mut f| f.write_all(config.as_bytes()))
        .expect("write the proxy config");
    let log = std::fs::File::create(dir.path().join("proxy.log")).expect("proxy log");
    let mut command = Command::new(kind.binary());
    match kind {
        Kind::Nginx => command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&config_file)
            .arg("-e")
            .arg(dir.path().join("proxy.log"))
            .args(["-g", "daemon off;"]),
        Kind::Haproxy => command.arg("-db").arg("-f").arg(&config_file),
    };
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", kind.binary()));
    let mut proxy = Proxy {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return proxy;
        }
        if let Ok(Some(status)) = proxy.child.try_wait() {
            panic!(
                "{kind:?} exited ({status}) before listening; config:\n{config}\nlog:\n{}",
                proxy.log()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{kind:?} did not listen within 10 s; log:\n{}",
            proxy.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// What an nginx setup changes from the correct one.
#[derive(Clone, Copy, Debug, Default)]
pub struct NginxSetup {
    /// `ip_hash;` in the upstream (sticky by client address).
    pub sticky: bool,
    /// `proxy_http_version 1.1` and the Upgrade/Connection headers passed.
    pub upgrade: bool,
    /// `proxy_read_timeout`, ms (nginx's default is 60 s).
    pub read_timeout_ms: Option<u64>,
    /// `proxy_pass http://backend/;` under `location /socket.io/`: the prefix stripped.
    pub strip_prefix: bool,
    /// `client_max_body_size`, bytes (nginx's default is 1 MB).
    pub max_body: Option<u64>,
}

impl NginxSetup {
    /// Sticky, upgrades passed, timeouts and body limit above what the contract needs.
    pub fn correct() -> NginxSetup {
        NginxSetup {
            sticky: true,
            upgrade: true,
            ..NginxSetup::default()
        }
    }
}

/// The nginx config of a setup in front of `backends`.
pub fn nginx_config(setup: NginxSetup, backends: &[String], dir: &Path, port: u16) -> String {
    let dir = dir.display();
    let servers: String = backends
        .iter()
        .map(|b| format!("        server {};\n", authority(b)))
        .collect();
    let sticky = if setup.sticky {
        "        ip_hash;\n"
    } else {
        ""
    };
    let upgrade = if setup.upgrade {
        "            proxy_http_version 1.1;\n            proxy_set_header Upgrade $http_upgrade;\n            proxy_set_header Connection \"upgrade\";\n"
    } else {
        ""
    };
    let timeout = setup.read_timeout_ms.map_or(String::new(), |ms| {
        format!("            proxy_read_timeout {ms}ms;\n")
    });
    // The maxPayload the contract announces (1 MB) plus the envelope, unless a setup limits it.
    let body = setup.max_body.unwrap_or(2 * 1024 * 1024);
    let (location, pass) = if setup.strip_prefix {
        ("/socket.io/", "http://backend/")
    } else {
        ("/", "http://backend")
    };
    format!(
        "worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/proxy.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    client_body_buffer_size 2m;
    client_max_body_size {body};
    upstream backend {{
{sticky}{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location {location} {{
            proxy_pass {pass};
            proxy_buffering off;
            proxy_set_header Host $host;
{upgrade}{timeout}        }}
    }}
}}
"
    )
}

/// What a HAProxy setup changes from the correct one.
#[derive(Clone, Copy, Debug)]
pub enum HaproxyBalance {
    /// Round robin with an inserted `SERVERID` cookie: sticky for clients that carry cookies.
    Cookie,
    /// `balance source`: sticky by client address (for the runner, which keeps no cookies).
    Source,
    /// Round robin, no affinity.
    RoundRobin,
}

/// A HAProxy setup.
#[derive(Clone, Copy, Debug)]
pub struct HaproxySetup {
    /// How a node is chosen.
    pub balance: HaproxyBalance,
    /// `timeout server` and `timeout tunnel` (the WebSocket's idle timeout), ms; default 30 s / 1 h.
    pub idle_timeout_ms: Option<u64>,
    /// `http-request del-header` of Upgrade and Connection: the upgrade never reaches a node.
    pub strip_upgrade: bool,
}

impl HaproxySetup {
    /// A setup with this balance and nothing else broken.
    pub fn balanced(balance: HaproxyBalance) -> HaproxySetup {
        HaproxySetup {
            balance,
            idle_timeout_ms: None,
            strip_upgrade: false,
        }
    }
}

/// The HAProxy config of a setup in front of `backends`.
pub fn haproxy_config(setup: HaproxySetup, backends: &[String], port: u16) -> String {
    let HaproxySetup {
        balance,
        idle_timeout_ms,
        strip_upgrade,
    } = setup;
    let strip = if strip_upgrade {
        "    http-request del-header Upgrade\n    http-request del-header Connection\n"
    } else {
        ""
    };
    let cookie = matches!(balance, HaproxyBalance::Cookie);
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let cookie = if cookie {
                format!(" cookie node{i}")
            } else {
                String::new()
            };
            format!("    server node{i} {}{cookie}\n", authority(b))
        })
        .collect();
    let balance = match balance {
        HaproxyBalance::Cookie => {
            "    balance roundrobin\n    cookie SERVERID insert indirect nocache\n"
        }
        HaproxyBalance::Source => "    balance source\n",
        HaproxyBalance::RoundRobin => "    balance roundrobin\n",
    };
    let (server, tunnel) = idle_timeout_ms.map_or(("30s".to_string(), "1h".to_string()), |ms| {
        (format!("{ms}ms"), format!("{ms}ms"))
    });
    format!(
        "global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server {server}
    timeout tunnel {tunnel}
frontend doctor
    bind 127.0.0.1:{port}
{strip}    default_backend nodes
backend nodes
{balance}{servers}"
    )
}
