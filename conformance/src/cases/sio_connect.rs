//! Socket.IO CONNECT: the main and a custom namespace, with and without auth payload, an unknown
//! namespace, an invalid first packet, no CONNECT at all, middleware refusals.

use super::support::*;
use crate::case::{CONTRACT, Case, NOTES, SIO_SPEC};
use crate::config::{Capability, Server};
use crate::context::Ctx;
use crate::failure::CaseResult;

async fn connect(cx: &mut Ctx, send: &str, reply: &str, auth: &str) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send(send).await?;
    ws.expect("CONNECT reply", p(reply))
        .await
        .map_err(|f| f.rule(crate::catalogue::CONNECT_REPLY))?;
    if ws.greets() {
        ws.expect("auth event", t(auth)).await?;
    }
    Ok(())
}

async fn main(cx: &mut Ctx) -> CaseResult {
    connect(cx, "40", r#"40{"sid":"<sid>"}"#, r#"42["auth",{}]"#).await
}

async fn socket_id_private(cx: &mut Ctx) -> CaseResult {
    let (mut ws, engine_sid) = open_ws(cx).await?;
    let socket_id = join(&mut ws, "/").await?;
    if socket_id == engine_sid {
        cx.soft(Err(crate::failure::Failure::assertion(
            "CONNECT reply",
            format!("a socket id other than the Engine.IO sid {engine_sid}"),
            format!("the socket id {socket_id} (the Engine.IO sid)"),
        )
        .rule(crate::catalogue::SOCKET_ID_PRIVATE)));
    }
    Ok(())
}

async fn main_payload(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        r#"40{"token":"123"}"#,
        r#"40{"sid":"<sid>"}"#,
        r#"42["auth",{"token":"123"}]"#,
    )
    .await
}

async fn custom(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        "40/custom,",
        r#"40/custom,{"sid":"<sid>"}"#,
        r#"42/custom,["auth",{}]"#,
    )
    .await
}

async fn custom_payload(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        r#"40/custom,{"token":"abc"}"#,
        r#"40/custom,{"sid":"<sid>"}"#,
        r#"42/custom,["auth",{"token":"abc"}]"#,
    )
    .await
}

async fn unknown_namespace(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("40/random").await?;
    ws.expect(
        "CONNECT_ERROR",
        t(r#"44/random,{"message":"Invalid namespace"}"#),
    )
    .await
    .map_err(|f| f.rule(crate::catalogue::UNKNOWN_NAMESPACE))?;
    Ok(())
}

async fn unknown_namespace_keeps_connection(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("40/random,").await?;
    ws.expect(
        "CONNECT_ERROR",
        t(r#"44/random,{"message":"Invalid namespace"}"#),
    )
    .await
    .map_err(|f| f.rule(crate::catalogue::UNKNOWN_NAMESPACE))?;
    sio_init(&mut ws).await?;
    Ok(())
}

async fn invalid_handshake(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("4abc").await?;
    let bound = cx.step();
    expect_ws_closed(cx, &mut ws, "close after an invalid packet", bound).await
}

/// Without a CONNECT the engine connection is closed when connectTimeout runs out: judged as
/// the heartbeat's deadlines are ([`crate::timing`]).
async fn no_handshake(cx: &mut Ctx) -> CaseResult {
    super::eio_heartbeat::connect_timeout_closes(cx).await
}

async fn no_comma(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        "40/custom",
        r#"40/custom,{"sid":"<sid>"}"#,
        r#"42/custom,["auth",{}]"#,
    )
    .await
}

async fn middleware_refusals(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("40/admin,").await?;
    ws.expect(
        "refusal with data",
        t(r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#),
    )
    .await?;
    ws.send("40/plain,").await?;
    ws.expect("refusal without data", t(r#"44/plain,{"message":"nope"}"#))
        .await?;
    // The connection is kept: the main namespace can still be joined.
    sio_init(&mut ws).await?;
    Ok(())
}

async fn admin_no_comma(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("40/admin").await?;
    ws.expect(
        "refusal (the reply adds the comma)",
        t(r#"44/admin,{"message":"Not authorized","data":{"reason":"no token"}}"#),
    )
    .await?;
    Ok(())
}

async fn admin_with_token(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        r#"40/admin,{"token":"secret"}"#,
        r#"40/admin,{"sid":"<sid>"}"#,
        r#"42/admin,["auth",{"token":"secret"}]"#,
    )
    .await
}

async fn dynamic_namespace(cx: &mut Ctx) -> CaseResult {
    connect(
        cx,
        "40/dynamic-42,",
        r#"40/dynamic-42,{"sid":"<sid>"}"#,
        r#"42/dynamic-42,["auth",{}]"#,
    )
    .await
}

async fn dynamic_namespace_mismatch(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send("40/dynamic-x,").await?;
    ws.expect(
        "/dynamic-x does not match ^/dynamic-\\d+$",
        t(r#"44/dynamic-x,{"message":"Invalid namespace"}"#),
    )
    .await?;
    // The connection stays, and a matching name is created on demand.
    let nsp = own_namespace();
    join(&mut ws, &nsp).await?;
    Ok(())
}

async fn middleware_data(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    ws.send(r#"40/admin,{"token":"secret"}"#).await?;
    let c = ws
        .expect("CONNECT reply", p(r#"40/admin,{"sid":"<sid>"}"#))
        .await?;
    ws.expect("auth event", t(r#"42/admin,["auth",{"token":"secret"}]"#))
        .await?;
    let sid = &c["sid"];
    ws.send(r#"42/admin,1["get-state"]"#).await?;
    ws.expect(
        "get-state: the middleware's socket.data",
        crate::expect::Want::json(
            "43/admin,1",
            &format!(
                r#"[{{"id":"{sid}","nsp":"/admin","auth":{{"token":"secret"}},"query":{{"EIO":"4","transport":"websocket"}},"data":{{"user":"admin"}},"rooms":["{sid}"],"recovered":false,"eio":4,"transport":"websocket"}}]"#
            ),
        ),
    )
    .await?;
    Ok(())
}

async fn multiplexing(cx: &mut Ctx) -> CaseResult {
    let (mut ws, _) = open_ws(cx).await?;
    let main = join(&mut ws, "/").await?;
    let custom = join(&mut ws, "/custom").await?;
    if main == custom {
        return Err(crate::failure::Failure::assertion(
            "socket ids",
            "a different socket id per namespace",
            format!("both {main}"),
        ));
    }
    ws.send(r#"42/custom,["message","to custom"]"#).await?;
    ws.expect(
        "echo on /custom",
        t(r#"42/custom,["message-back","to custom"]"#),
    )
    .await?;
    ws.send(r#"42["message","to main"]"#).await?;
    ws.expect("echo on /", t(r#"42["message-back","to main"]"#))
        .await?;
    ws.send(r#"42/custom,5["message-with-ack",1]"#).await?;
    ws.expect("ack on /custom", t("43/custom,5[1]")).await?;
    ws.send(r#"425["message-with-ack",2]"#).await?;
    ws.expect("ack on /", t("435[2]")).await?;
    Ok(())
}

/// The connect cases.
pub fn cases() -> Vec<Case> {
    let suite = |id, title, body, name: &'static str| {
        Case::new(id, title, body)
            .spec(SIO_SPEC, "Connection to a namespace")
            .server(Server::SioMain)
            .tags(&["websocket", "connect"])
            .official(SIO_SUITE, name)
    };
    let ext = |id, title, body, section: &'static str| {
        Case::new(id, title, body)
            .spec(CONTRACT, section)
            .server(Server::SioMain)
            .requires(Capability::ContractExtensions)
            .tags(&["websocket", "connect", "contract"])
    };
    vec![
        suite(
            "sio.connect.main",
            "`40` is answered `40{\"sid\":…}` (only sid), then the auth event with {}",
            crate::body!(main),
            "Socket.IO protocol › connect › should allow connection to the main namespace",
        ),
        Case::new(
            "sio.connect.socket-id-private",
            "The socket id in the CONNECT reply is not the Engine.IO session id",
            crate::body!(socket_id_private),
        )
        .spec(SIO_SPEC, "Connection to a namespace")
        .should()
        .server(Server::SioMain)
        .tags(&["websocket", "connect", "security"]),
        suite(
            "sio.connect.main-payload",
            "`40{\"token\":\"123\"}` is answered with the CONNECT reply, then the auth event echoing the payload",
            crate::body!(main_payload),
            "Socket.IO protocol › connect › should allow connection to the main namespace with a payload",
        ),
        suite(
            "sio.connect.custom",
            "`40/custom,` is answered `40/custom,{\"sid\":…}`, then `42/custom,[\"auth\",{}]`",
            crate::body!(custom),
            "Socket.IO protocol › connect › should allow connection to a custom namespace",
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.connect.custom-payload",
            "`40/custom,{\"token\":\"abc\"}` is answered with the CONNECT reply, then the auth event echoing the payload",
            crate::body!(custom_payload),
            "Socket.IO protocol › connect › should allow connection to a custom namespace with a payload",
        )
        .requires(Capability::SioHandlers),
        suite(
            "sio.connect.unknown-namespace",
            "`40/random` is refused with `44/random,{\"message\":\"Invalid namespace\"}`",
            crate::body!(unknown_namespace),
            "Socket.IO protocol › connect › should disallow connection to an unknown namespace",
        ),
        suite(
            "sio.connect.invalid-handshake",
            "An invalid Socket.IO packet (`4abc`) instead of CONNECT closes the connection",
            crate::body!(invalid_handshake),
            "Socket.IO protocol › connect › should disallow connection with an invalid handshake",
        ),
        suite(
            "sio.connect.no-handshake",
            "Without CONNECT the connection is closed after connectTimeout (pings answered meanwhile)",
            crate::body!(no_handshake),
            "Socket.IO protocol › connect › should close the connection if no handshake is received",
        )
        .tags(&["timeout"]),
        Case::new(
            "sio.connect.unknown-namespace-keeps-connection",
            "After an Invalid namespace refusal the connection stays: `/` can still be joined",
            crate::body!(unknown_namespace_keeps_connection),
        )
        .spec(NOTES, "§2.4 (unknown namespace)")
        .server(Server::SioMain)
        .tags(&["websocket", "connect", "errors"]),
        Case::new(
            "sio.connect.namespace-without-comma",
            "`40/custom` (no trailing comma) connects; the reply is written `40/custom,{…}`",
            crate::body!(no_comma),
        )
        .spec(NOTES, "§4 #39; §2.3 rule 3")
        .server(Server::SioMain)
        .tags(&["websocket", "connect"])
        .requires(Capability::SioHandlers),
        ext(
            "sio.connect.middleware-refusals",
            "Middleware refusals: `44/admin,{…,\"data\":{\"reason\":\"no token\"}}`, `44/plain,{\"message\":\"nope\"}`; the connection stays",
            crate::body!(middleware_refusals),
            "§4 namespaces; notes §4 #12",
        ),
        ext(
            "sio.connect.middleware-refusal-without-comma",
            "`40/admin` (no comma) is refused with the comma added in the reply",
            crate::body!(admin_no_comma),
            "§4 namespaces; notes §4 #39",
        ),
        ext(
            "sio.connect.middleware-accepts-token",
            "`/admin` with auth token \"secret\" is accepted",
            crate::body!(admin_with_token),
            "§4 namespaces",
        ),
        ext(
            "sio.connect.dynamic-namespace",
            "A namespace matching ^/dynamic-\\d+$ is created on demand",
            crate::body!(dynamic_namespace),
            "§4 namespaces",
        ),
        ext(
            "sio.connect.dynamic-namespace-mismatch",
            "`/dynamic-x` does not match ^/dynamic-\\d+$ and is refused as Invalid namespace; the connection stays",
            crate::body!(dynamic_namespace_mismatch),
            "§4 namespaces",
        ),
        ext(
            "sio.connect.middleware-data",
            "A middleware's socket.data is kept: /admin with the token reads data {user:\"admin\"} through get-state",
            crate::body!(middleware_data),
            "§4 namespaces; control events (get-state)",
        ),
        Case::new(
            "sio.connect.multiplexing",
            "/ and /custom on one engine connection: each has its own socket id; events and acks are answered on their namespace",
            crate::body!(multiplexing),
        )
        .spec(SIO_SPEC, "Packet format (namespace multiplexing)")
        .server(Server::SioMain)
        .tags(&["websocket", "connect"])
        .requires(Capability::ContractExtensions),
    ]
}
