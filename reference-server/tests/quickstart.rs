//! The quickstart example (examples/quickstart.rs) driven once: the HTTP routes and Socket.IO
//! on one port, the token middleware, rooms, acks with a timeout both ways, shutdown.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::support::{ack_id_of, within};

#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod example;

async fn ws(addr: SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
    let (ws, _) = within("the handshake", tokio_tungstenite::client_async(url, tcp))
        .await
        .unwrap();
    ws
}

async fn text(ws: &mut WebSocketStream<TcpStream>) -> String {
    loop {
        match within("a frame", ws.next()).await {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                ws.send(Message::text("3")).await.unwrap()
            }
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => {}
            _ => return "<close>".into(),
        }
    }
}

async fn send(ws: &mut WebSocketStream<TcpStream>, text: &str) {
    ws.send(Message::text(text)).await.unwrap();
}

#[tokio::test]
async fn quickstart_serves_routes_rooms_and_acks() {
    let (io, app) = example::app("t0k");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = io.clone();
    let served = tokio::spawn(async move { server.serve_app(listener, app).await });

    // A wrong token is refused by the middleware.
    let mut intruder = ws(addr).await;
    assert!(text(&mut intruder).await.starts_with("0{"));
    send(&mut intruder, r#"40{"token":"nope"}"#).await;
    assert_eq!(text(&mut intruder).await, r#"44{"message":"unauthorized"}"#);

    let mut ann = ws(addr).await;
    let mut bob = ws(addr).await;
    for (c, name) in [(&mut ann, "ann"), (&mut bob, "bob")] {
        assert!(text(c).await.starts_with("0{"));
        send(c, &format!(r#"40{{"token":"t0k","name":"{name}"}}"#)).await;
        assert!(text(c).await.starts_with("40{\"sid\""));
        let welcome = text(c).await;
        assert!(
            welcome.starts_with(&format!(
                r#"42["welcome",{{"name":"{name}","recovered":false"#
            )),
            "{welcome}"
        );
        send(c, r#"421["join","lobby"]"#).await;
        assert_eq!(text(c).await, r##"431[["#lobby"]]"##);
    }
    let rooms = sio_test_support::raw_http::raw_request(addr, "GET", "/rooms", &[], b"")
        .await
        .unwrap();
    assert_eq!(rooms.text(), r##"["#lobby"]"##);

    send(&mut ann, r#"42["say",{"room":"lobby","text":"hi"}]"#).await;
    // With recovery on, every broadcast carries its offset last.
    let said = text(&mut bob).await;
    assert!(
        said.starts_with(r#"42["said",{"from":"ann","text":"hi"},""#),
        "{said}"
    );

    // whoami: the server asks "confirm" first (with a timeout), then answers.
    send(&mut bob, r#"427["whoami"]"#).await;
    let confirm = text(&mut bob).await;
    let id = ack_id_of(&confirm);
    send(&mut bob, &format!("43{id}[]")).await;
    assert_eq!(
        text(&mut bob).await,
        r#"437[{"name":"bob","confirmed":true,"secret_len":3}]"#
    );

    io.close().await;
    assert_eq!(text(&mut ann).await, "<close>");
    within("serve to return", served).await.unwrap().unwrap();
}
