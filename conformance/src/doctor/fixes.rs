//! The fixes the doctor suggests, one function per cause, each with the setting to change in
//! nginx, HAProxy and the common cloud load balancers. Settings only; the doctor never guesses
//! which proxy is in front, so each fix names all three.

/// No session affinity: requests of one session reach different nodes (code 1).
pub fn sticky_sessions() -> String {
    "every request of a session must reach the node that created it (polling is many requests)\n\
     nginx: in the upstream block, `ip_hash;` (or `hash $cookie_<name> consistent;`)\n\
     HAProxy: `cookie SERVERID insert indirect nocache` in the backend, `cookie <name>` on each server (or `balance source`)\n\
     cloud: enable session affinity / sticky sessions (AWS ALB target group stickiness, GCP `sessionAffinity: GENERATED_COOKIE`, Azure ARR affinity)\n\
     or: connect with `transports: [\"websocket\"]` only (one connection, no affinity needed)"
        .to_string()
}

/// The proxy does not pass the WebSocket upgrade (`Upgrade`/`Connection` dropped: code 3).
pub fn upgrade_headers() -> String {
    "the proxy must forward the WebSocket upgrade (HTTP/1.1 with the Upgrade and Connection headers)\n\
     nginx: `proxy_http_version 1.1;` `proxy_set_header Upgrade $http_upgrade;` `proxy_set_header Connection \"upgrade\";`\n\
     HAProxy: passes upgrades by default; remove any `http-request del-header Connection|Upgrade`, set `timeout tunnel`\n\
     cloud: use a load balancer that supports WebSocket (AWS ALB, not a classic ELB in HTTP mode; Cloudflare: WebSockets on)"
        .to_string()
}

/// The upgrade request reached no Engine.IO server or was refused some other way.
pub fn websocket_refused(status: u16) -> String {
    format!(
        "the WebSocket handshake got HTTP {status} instead of 101 Switching Protocols\n\
         nginx: route the Engine.IO path to the backend with the upgrade headers (see code 3's fix); a 403/404 means another location answered\n\
         HAProxy: check the frontend's ACLs route the path and that no `http-request deny` applies to `Upgrade: websocket`\n\
         cloud: allow WebSocket on the listener and route the path to the Socket.IO service"
    )
}

/// An idle connection was cut before the heartbeat could keep it alive.
pub fn idle_timeout(ping_interval_ms: u64, ping_timeout_ms: u64) -> String {
    let needed = (ping_interval_ms + ping_timeout_ms).div_ceil(1000) + 5;
    format!(
        "a proxy's idle timeout must exceed the heartbeat (pingInterval {ping_interval_ms} ms + pingTimeout {ping_timeout_ms} ms): at least {needed} s,\n\
         or the server's pingInterval must be shorter than the proxy's idle timeout\n\
         nginx: `proxy_read_timeout {needed}s;` `proxy_send_timeout {needed}s;` in the location\n\
         HAProxy: `timeout tunnel {needed}s` (WebSocket) and `timeout server {needed}s` (long polls)\n\
         cloud: AWS ALB idle timeout (default 60 s), GCP backend service timeout (default 30 s), Cloudflare (100 s, fixed): above {needed} s"
    )
}

/// A heartbeat so slow that the usual proxy defaults would cut an idle connection.
pub fn slow_heartbeat(ping_interval_ms: u64) -> String {
    format!(
        "pingInterval {ping_interval_ms} ms leaves a connection silent longer than common proxy defaults allow\n\
         server: lower pingInterval below 60000 ms (Node's default is 25000)\n\
         nginx: `proxy_read_timeout` (default 60 s); HAProxy: `timeout tunnel`; cloud: AWS ALB idle 60 s, Cloudflare 100 s"
    )
}

/// A body limit in front of the server smaller than the server's `maxPayload`.
pub fn body_limit(max_payload: u64) -> String {
    let kib = max_payload.div_ceil(1024);
    format!(
        "the proxy refuses polling bodies the server announces it accepts (maxPayload {max_payload} bytes)\n\
         nginx: `client_max_body_size {kib}k;` (default 1m) in the location\n\
         HAProxy: raise or drop the `http-request deny if {{ req.body_size gt … }}` rule (and `tune.bufsize` with `option http-buffer-request`)\n\
         cloud: the gateway's body limit (API gateways: often 10 MB or less), or lower the server's maxHttpBufferSize to match"
    )
}

/// The Engine.IO path differs between what the client uses and where the server answers.
pub fn path(tried: &str, answers: &str, doubled: bool) -> String {
    if doubled {
        format!(
            "the proxy strips the matched prefix: {tried} reaches the server as `/`, and {answers} reaches it as {tried}\n\
             nginx: write `proxy_pass http://<upstream>;` with no URI part (a URI after the upstream, even `/`, replaces the location's prefix)\n\
             HAProxy: remove the `http-request replace-path`/`set-path` rule for this path\n\
             cloud: turn off path rewriting / prefix stripping on the route (ingress `rewrite-target`, API gateway mapping)"
        )
    } else {
        format!(
            "the server answers at {answers}, not {tried}\n\
             client: `io(url, {{ path: \"{answers}\" }})` (a path in the URL is a namespace to socket.io-client, not the Engine.IO path)\n\
             or proxy: route {tried} to the server's path (nginx `location {tried} {{ proxy_pass http://<upstream>; }}`)"
        )
    }
}

/// CORS does not allow the page's origin.
pub fn cors(origin: &str, credentials: bool) -> String {
    if credentials {
        format!(
            "with credentials the server must echo the exact origin and allow credentials\n\
             server: `new Server({{ cors: {{ origin: \"{origin}\", credentials: true }} }})` (`*` is refused by browsers with credentials)\n\
             proxy: do not add or overwrite Access-Control-* headers (nginx `add_header`, HAProxy `http-response set-header`)"
        )
    } else {
        format!(
            "the server must allow the page's origin\n\
             server: `new Server({{ cors: {{ origin: \"{origin}\" }} }})`\n\
             proxy: do not strip or overwrite Access-Control-* headers"
        )
    }
}
