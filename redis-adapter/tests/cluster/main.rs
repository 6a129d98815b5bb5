//! Mixed clusters on one real redis-server: the reference server with the Redis adapter beside
//! Node nodes on `@socket.io/redis-adapter` 8.3.0 (fixtures/node/cluster/node.mjs), clients on
//! each, every cluster operation checked in both directions. A missing redis-server or Node
//! skips the tests outside CI and fails them in CI. Every wait is bounded.

mod client;
mod nodes;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use client::{Client, Seen};
use nodes::{RUST_ANSWER, eventually, node_node, rust_node, wait_for_servers};
use serde_json::json;
use sio_protocol::binary::Value;
use sio_reference_server::socketio::ServerSideAckTimeout;
use sio_test_support::RedisServer;

fn v(json: serde_json::Value) -> Value {
    Value::from(&json)
}

/// The event names `client` sees up to and including `end`.
async fn events_until_end(client: &mut Client) -> Vec<String> {
    let mut names = Vec::new();
    loop {
        match client.next().await {
            Seen::Event(name, _, _) => {
                let end = name == "end";
                names.push(name);
                if end {
                    return names;
                }
            }
            other => panic!("expected events, saw {other:?} after {names:?}"),
        }
    }
}

/// The control event of a Node node (node.mjs): runs a cluster operation there.
async fn on_node(client: &mut Client, spec: serde_json::Value) -> serde_json::Value {
    let answer = client.call("cluster", vec![v(spec)]).await;
    answer
        .first()
        .map_or(serde_json::Value::Null, Value::to_view)
}

/// The contract's `broadcast` control event.
async fn broadcast_from(client: &mut Client, spec: serde_json::Value) {
    client.call("broadcast", vec![v(spec)]).await;
}

fn ids(found: &serde_json::Value) -> BTreeSet<String> {
    found
        .as_array()
        .expect("a list of sockets")
        .iter()
        .map(|s| s["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Broadcasts from the Rust node reach Node clients, and from a Node node reach Rust clients,
/// with every target: all, one room (its own channel), several rooms, except, `broadcast`
/// (except the sender), binary arguments, volatile, and local (which stays on its node).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_cross_both_ways() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let rust = rust_node(&redis.url(), Duration::from_secs(1)).await;
    let Some((_node, node_url)) = node_node(&redis.url(), 1000) else {
        return;
    };
    wait_for_servers(&rust, 2).await;
    let (mut r1, mut r2) = (
        Client::connect(&rust.url).await,
        Client::connect(&rust.url).await,
    );
    let (mut n1, mut n2) = (
        Client::connect(&node_url).await,
        Client::connect(&node_url).await,
    );
    r1.join(&["room1"]).await;
    r2.join(&["room2"]).await;
    n1.join(&["room1", "room2"]).await;
    n2.join(&["room2"]).await;

    // Rust → everyone.
    let nsp = rust.io.of("/");
    let binary = vec![v(json!("bytes")), Value::Binary(vec![1, 2, 3])];
    nsp.emit_args("all", vec![v(json!(1))]).unwrap();
    nsp.to("room1").emit_args("room1", vec![]).unwrap();
    nsp.to(["room1", "room2"])
        .except("room1")
        .emit_args("rooms-except", vec![])
        .unwrap();
    nsp.to("room2").emit_args("binary", binary.clone()).unwrap();
    nsp.local().emit_args("local", vec![]).unwrap();
    nsp.emit_args("end", vec![]).unwrap();
    let expect = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        events_until_end(&mut n1).await,
        expect(&["all", "room1", "binary", "end"])
    );
    assert_eq!(
        events_until_end(&mut r1).await,
        expect(&["all", "room1", "local", "end"])
    );
    assert_eq!(n2.expect("all").await, vec![v(json!(1))]);
    assert_eq!(n2.expect("rooms-except").await, Vec::<Value>::new());
    assert_eq!(n2.expect("binary").await, binary, "bin arrives as bin");
    n2.expect("end").await;
    assert_eq!(
        events_until_end(&mut r2).await,
        expect(&["all", "rooms-except", "binary", "local", "end"])
    );
    // Volatile on its own: a receiver drops it when the client's transport is busy writing,
    // so it goes out when every transport is idle.
    nsp.broadcast()
        .volatile()
        .emit_args("volatile", vec![])
        .unwrap();
    nsp.emit_args("end", vec![]).unwrap();
    for client in [&mut r1, &mut r2, &mut n1, &mut n2] {
        assert_eq!(events_until_end(client).await, expect(&["volatile", "end"]));
    }

    // Node → everyone, through the contract's `broadcast` control event of n1 (the binary
    // arguments travel in the spec, as Buffers once the Node node decodes it).
    for spec in [
        json!({"target": "all", "event": "all", "args": [2]}),
        json!({"target": "rooms", "rooms": ["room1"], "event": "room1"}),
        json!({"target": "rooms", "rooms": ["room1", "room2"], "except": ["room1"], "event": "rooms-except"}),
        json!({"target": "others", "event": "others"}),
    ] {
        broadcast_from(&mut n1, spec).await;
    }
    let binary_spec = Value::Object(vec![
        ("target".into(), v(json!("rooms"))),
        ("rooms".into(), v(json!(["room2"]))),
        ("event".into(), v(json!("binary"))),
        ("args".into(), Value::Array(binary.clone())),
    ]);
    n1.call("broadcast", vec![binary_spec]).await;
    on_node(&mut n1, json!({"op": "local-broadcast", "event": "local"})).await;
    broadcast_from(&mut n1, json!({"target": "all", "event": "end"})).await;
    assert_eq!(r1.expect("all").await, vec![v(json!(2))]);
    assert_eq!(
        events_until_end(&mut r1).await,
        expect(&["room1", "others", "end"])
    );
    for name in ["all", "rooms-except", "others"] {
        r2.expect(name).await;
    }
    assert_eq!(
        r2.expect("binary").await,
        binary,
        "Buffers arrive as binary"
    );
    assert_eq!(r2.expect("end").await, Vec::<Value>::new());
    assert_eq!(
        events_until_end(&mut n2).await,
        expect(&["all", "rooms-except", "others", "binary", "local", "end"])
    );
    assert_eq!(
        events_until_end(&mut n1).await,
        expect(&["all", "room1", "binary", "local", "end"])
    );
    broadcast_from(
        &mut n1,
        json!({"target": "all", "volatile": true, "event": "volatile"}),
    )
    .await;
    broadcast_from(&mut n1, json!({"target": "all", "event": "end"})).await;
    for client in [&mut r1, &mut r2, &mut n1, &mut n2] {
        assert_eq!(events_until_end(client).await, expect(&["volatile", "end"]));
    }
}

/// fetchSockets, socketsJoin/socketsLeave, disconnectSockets, serverSideEmit (with and
/// without acks), broadcasts with acks and server counting, from the Rust node to a Node node
/// and back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cross_both_ways() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let rust = rust_node(&redis.url(), Duration::from_secs(2)).await;
    let Some((_node, node_url)) = node_node(&redis.url(), 2000) else {
        return;
    };
    let node_answer = format!("from node {}", node_url.rsplit(':').next().unwrap());
    wait_for_servers(&rust, 2).await;
    let (mut r1, mut r2) = (
        Client::connect(&rust.url).await,
        Client::connect(&rust.url).await,
    );
    let (mut n1, mut n2) = (
        Client::connect(&node_url).await,
        Client::connect(&node_url).await,
    );
    r1.join(&["room1"]).await;
    r2.join(&["room2"]).await;
    n1.join(&["room1", "room2"]).await;
    n2.join(&["room2"]).await;
    let nsp = rust.io.of("/");
    let found = |sockets: Vec<sio_reference_server::socketio::RemoteSocket>| {
        sockets.into_iter().map(|s| s.id).collect::<BTreeSet<_>>()
    };

    // Server counting: NUMSUB on the request channel, both ways.
    assert_eq!(rust.cluster.server_count("/").await, 2);
    assert_eq!(
        on_node(&mut n1, json!({"op": "server-count"})).await,
        json!(2)
    );

    // ALL_ROOMS, Node → Rust: the Rust node's rooms (a socket's own id is a room) join Node's.
    let rooms = on_node(&mut n1, json!({"op": "all-rooms"})).await;
    let rooms: BTreeSet<String> = serde_json::from_value(rooms).unwrap();
    assert_eq!(
        rooms,
        set(&[&r1.sid, &r2.sid, &n1.sid, &n2.sid, "room1", "room2"])
    );

    // fetchSockets, Rust → Node: the Node node's sockets come back with their rooms.
    let all = nsp.fetch_sockets().await;
    assert_eq!(
        found(all.clone()),
        set(&[&r1.sid, &r2.sid, &n1.sid, &n2.sid])
    );
    let remote_n1 = all.iter().find(|s| s.id == n1.sid).unwrap();
    assert!(remote_n1.local.is_none());
    assert_eq!(remote_n1.rooms, [n1.sid.as_str(), "room1", "room2"]);
    assert_eq!(
        found(nsp.to("room1").fetch_sockets().await),
        set(&[&r1.sid, &n1.sid])
    );
    assert_eq!(
        found(nsp.to("room2").except("room1").fetch_sockets().await),
        set(&[&r2.sid, &n2.sid])
    );
    // fetchSockets, Node → Rust.
    let from_node = on_node(&mut n1, json!({"op": "fetch-sockets", "rooms": ["room1"]})).await;
    assert_eq!(ids(&from_node), set(&[&r1.sid, &n1.sid]));
    let r1_seen = from_node
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == json!(r1.sid))
        .unwrap();
    assert_eq!(r1_seen["rooms"], json!([r1.sid, "room1"]));

    // socketsJoin, Rust → every node (its own sockets too, when the request comes back).
    nsp.to("room2").except("room1").sockets_join("joined").await;
    eventually("r2 and n2 in `joined`", || async {
        found(nsp.to("joined").fetch_sockets().await) == set(&[&r2.sid, &n2.sid])
    })
    .await;
    // socketsLeave, Node → every node.
    on_node(
        &mut n1,
        json!({"op": "sockets-leave", "rooms": ["joined"], "room": "joined"}),
    )
    .await;
    eventually("nobody in `joined`", || async {
        nsp.to("joined").fetch_sockets().await.is_empty()
    })
    .await;
    // socketsJoin, Node → every node.
    on_node(
        &mut n1,
        json!({"op": "sockets-join", "rooms": ["room1"], "room": "from-node"}),
    )
    .await;
    eventually("r1 in `from-node`", || async {
        nsp.socket(&r1.sid)
            .is_some_and(|s| s.rooms().contains(&"from-node".to_owned()))
    })
    .await;

    // serverSideEmit, Rust → Node: JSON arguments (a Buffer as Node's JSON object).
    nsp.server_side_emit("server-side", vec![v(json!(1)), Value::Binary(vec![1, 2])])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while on_node(&mut n1, json!({"op": "server-side-received"})).await
        != json!([[1, {"type": "Buffer", "data": [1, 2]}]])
    {
        assert!(
            Instant::now() < deadline,
            "the Node node never got the event"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // serverSideEmitWithAck, Rust → Node: the Node node's first argument only.
    let answers = nsp
        .server_side_emit_with_ack("server-side", vec![v(json!("question"))])
        .await
        .unwrap();
    assert_eq!(answers, Ok(vec![v(json!(node_answer))]));
    // serverSideEmit, Node → Rust (the sender's own node never gets it).
    on_node(
        &mut n1,
        json!({"op": "server-side-emit", "args": ["hello", 2]}),
    )
    .await;
    eventually("the Rust node to get the server-side event", || async {
        rust.received.lock().unwrap().first().cloned()
            == Some(vec![
                v(json!("server-side")),
                v(json!("hello")),
                v(json!(2)),
            ])
    })
    .await;
    // serverSideEmitWithAck, Node → Rust: the Rust handler's first argument only.
    let answered = on_node(
        &mut n1,
        json!({"op": "server-side-emit-with-ack", "args": ["question"]}),
    )
    .await;
    assert_eq!(answered, json!({"answers": [RUST_ANSWER]}));

    // Broadcast with acks, Rust → every client; each answers its name.
    let asking = nsp.timeout(Duration::from_secs(3));
    let ask = tokio::spawn(async move { asking.emit_with_ack("ask", vec![v(json!(7))]).await });
    for (client, name) in [
        (&mut r1, "r1"),
        (&mut r2, "r2"),
        (&mut n1, "n1"),
        (&mut n2, "n2"),
    ] {
        match client.next().await {
            Seen::Event(event, args, Some(id)) if event == "ask" => {
                assert_eq!(args, vec![v(json!(7))]);
                client
                    .answer(id, vec![v(json!(name)), v(json!("dropped by Node"))])
                    .await;
            }
            other => panic!("{name}: expected an ask with an ack id, saw {other:?}"),
        }
    }
    let answers = ask.await.unwrap().expect("every answer in time");
    let mut first_args: Vec<String> = answers
        .iter()
        .map(|args| args[0].to_view().as_str().unwrap().to_owned())
        .collect();
    first_args.sort();
    assert_eq!(first_args, ["n1", "n2", "r1", "r2"]);
    // The remote answers carry their first argument only (Node's BROADCAST_ACK).
    assert!(answers.iter().any(|a| a.len() == 1), "{answers:?}");

    // Broadcast with acks, Node → every client but n1 (which is busy asking).
    let n1_sid = n1.sid.clone();
    let asking = tokio::spawn(async move {
        let result = on_node(
            &mut n1,
            json!({"op": "broadcast-with-ack", "except": [n1_sid], "event": "ask", "args": [8], "timeout": 3000}),
        )
        .await;
        (n1, result)
    });
    for (client, name) in [(&mut r1, "r1"), (&mut r2, "r2"), (&mut n2, "n2")] {
        match client.next().await {
            Seen::Event(event, args, Some(id)) if event == "ask" => {
                assert_eq!(args, vec![v(json!(8))]);
                client.answer(id, vec![v(json!(name))]).await;
            }
            other => panic!("{name}: expected an ask with an ack id, saw {other:?}"),
        }
    }
    let (mut n1, result) = asking.await.unwrap();
    let mut answered: Vec<String> = result["answers"]
        .as_array()
        .unwrap_or_else(|| panic!("answers: {result}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    answered.sort();
    assert_eq!(answered, ["n2", "r1", "r2"]);

    // disconnectSockets, Rust → every node: r2 and n2 (room2 without room1).
    nsp.to("room2")
        .except("room1")
        .disconnect_sockets(false)
        .await;
    assert_eq!(n2.next().await, Seen::Disconnect);
    assert_eq!(
        r2.next().await,
        Seen::Disconnect,
        "the sender's own socket, on the echo"
    );
    // disconnectSockets with close, Node → every node: r1 (room1 but not n1).
    let n1_sid = n1.sid.clone();
    on_node(
        &mut n1,
        json!({"op": "disconnect-sockets", "rooms": ["room1"], "except": [n1_sid], "close": true}),
    )
    .await;
    // As in Node, `disconnect(true)` sends DISCONNECT and then closes the connection.
    assert_eq!(r1.next().await, Seen::Disconnect);
    assert_eq!(r1.next().await, Seen::Closed);
}

/// A Node node that stops answering (SIGSTOP: its Redis connections stay open, so NUMSUB
/// still counts it) makes the Rust node's requests end at its requests timeout with what came
/// in; once the node is killed, NUMSUB drops and requests end at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_time_out_when_a_node_dies() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let timeout = Duration::from_millis(800);
    let rust = rust_node(&redis.url(), timeout).await;
    let Some((mut node, node_url)) = node_node(&redis.url(), 1000) else {
        return;
    };
    wait_for_servers(&rust, 2).await;
    let r1 = Client::connect(&rust.url).await;
    let _n1 = Client::connect(&node_url).await;
    let nsp = rust.io.of("/");
    assert_eq!(nsp.fetch_sockets().await.len(), 2);

    let pid = node.pid().to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status()
        .expect("kill -STOP");
    assert!(stopped.success());
    let started = Instant::now();
    let found = nsp.fetch_sockets().await;
    let waited = started.elapsed();
    assert_eq!(found.len(), 1, "only the local socket");
    assert_eq!(found[0].id, r1.sid);
    assert!(
        waited >= timeout && waited < timeout + Duration::from_secs(2),
        "fetchSockets ended after {waited:?}"
    );
    let started = Instant::now();
    let answers = nsp
        .server_side_emit_with_ack("server-side", vec![])
        .await
        .unwrap();
    assert_eq!(
        answers,
        Err(ServerSideAckTimeout {
            answers: vec![],
            expected: 1
        })
    );
    assert_eq!(
        answers.unwrap_err().to_string(),
        "timeout reached: only 0 responses received out of 1"
    );
    assert!(started.elapsed() < timeout + Duration::from_secs(2));

    node.kill();
    wait_for_servers(&rust, 1).await;
    let started = Instant::now();
    assert_eq!(nsp.fetch_sockets().await.len(), 1);
    assert!(started.elapsed() < timeout, "a lone node asks nobody");
}

/// Redis restarts: the Rust node's publisher and subscriber connect again and subscribe to
/// everything once more, and broadcasts cross again both ways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_survives_a_redis_restart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let rust = rust_node(&redis.url(), Duration::from_secs(1)).await;
    let Some((_node, node_url)) = node_node(&redis.url(), 1000) else {
        return;
    };
    wait_for_servers(&rust, 2).await;
    let mut r1 = Client::connect(&rust.url).await;
    let mut n1 = Client::connect(&node_url).await;
    redis.restart();
    // Both kinds of node subscribe again (Node's client retries on its own).
    wait_for_servers(&rust, 2).await;
    let nsp = rust.io.of("/");
    nsp.emit_args("after-restart", vec![]).unwrap();
    n1.expect("after-restart").await;
    r1.expect("after-restart").await;
    broadcast_from(&mut n1, json!({"target": "all", "event": "from-node"})).await;
    r1.expect("from-node").await;
}

/// What the Rust node puts on Redis, byte for byte as Node's adapter writes it
/// (fixtures/REDIS-ADAPTER.md; the hex below is written out from the transcripts' format, not
/// by the codec): its subscriptions, a one-room broadcast on the room's channel, the `timeout`
/// flag of a broadcast with acks, and the JSON requests of socketsJoin and serverSideEmit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_node_writes_what_node_writes() {
    use futures_util::StreamExt;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let client = redis::Client::open(redis.url()).unwrap();
    // A pattern subscription: PUBSUB NUMSUB does not count it as a server.
    let mut tap = client.get_async_pubsub().await.unwrap();
    tap.psubscribe("socket.io*").await.unwrap();
    let mut tap = tap.into_on_message();
    let rust = rust_node(&redis.url(), Duration::from_secs(1)).await;
    wait_for_servers(&rust, 1).await;
    let commands = client.get_multiplexed_async_connection().await.unwrap();
    // The node subscribes in the background: wait for its channels (its pattern comes first).
    let channels = || {
        let mut commands = commands.clone();
        async move {
            let mut channels: Vec<String> = redis::cmd("PUBSUB")
                .arg("CHANNELS")
                .query_async(&mut commands)
                .await
                .unwrap();
            channels.sort();
            channels
        }
    };
    eventually("the node's channels", || async {
        channels().await.len() == 3
    })
    .await;
    let subscribed = channels().await;
    let mut commands = commands;
    let patterns: usize = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query_async(&mut commands)
        .await
        .unwrap();
    assert_eq!(patterns, 2, "the tap's and the node's socket.io#/#*");

    let mut next = async || {
        let message = tokio::time::timeout(Duration::from_secs(5), tap.next())
            .await
            .expect("a publish in time")
            .expect("the tap open");
        (
            message.get_channel_name().to_owned(),
            message.get_payload_bytes().to_vec(),
        )
    };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let nsp = rust.io.of("/");
    nsp.to("r1").emit_args("e", vec![v(json!(1))]).unwrap();
    let (channel, body) = next().await;
    assert_eq!(channel, "socket.io#/#r1#");
    let uid = String::from_utf8(body[2..8].to_vec()).unwrap();
    // The request and response channels, and its own response channel (`<uid>#`), as Node.
    assert_eq!(
        subscribed,
        [
            "socket.io-request#/#".to_owned(),
            "socket.io-response#/#".to_owned(),
            format!("socket.io-response#/#{uid}#"),
        ]
    );
    assert_eq!(hex(&body[..2]), "93a6");
    assert_eq!(
        hex(&body[8..]),
        concat!(
            "83a474797065",
            "02",
            "a464617461",
            "92a165",
            "01",
            "a36e7370a12f",
            "83a5726f6f6d7391a27231",
            "a6657863657074",
            "90",
            "a5666c616773",
            "80"
        )
    );
    let _ = nsp
        .timeout(Duration::from_millis(1000))
        .emit_with_ack("ask", vec![v(json!(7))])
        .await;
    let (channel, body) = next().await;
    assert_eq!(channel, "socket.io-request#/#");
    assert!(
        hex(&body).ends_with("a5666c61677381a774696d656f7574cd03e8"),
        "flags {{timeout: 1000}} as uint 16: {}",
        hex(&body)
    );
    nsp.to("r1").sockets_join("j").await;
    let (channel, body) = next().await;
    assert_eq!(channel, "socket.io-request#/#");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!(
            r#"{{"uid":"{uid}","type":2,"opts":{{"rooms":["r1"],"except":[]}},"rooms":["j"]}}"#
        )
    );
    nsp.server_side_emit("ev", vec![v(json!("x"))])
        .await
        .unwrap();
    let (_, body) = next().await;
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!(r#"{{"uid":"{uid}","type":6,"data":["ev","x"]}}"#)
    );
}

/// The contract's `cluster` control event runs the same operations on a Rust contract node
/// (`sio-contract-server --redis`, here its router in-process) as on a Node node (node.mjs),
/// each node asking the other: the suite's cluster mode can drive both kinds alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_control_event_runs_on_both_kinds() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let config = sio_redis_adapter::RedisAdapterConfig::new(redis.url())
        .requests_timeout(Duration::from_secs(2));
    let (contract, cluster) = sio_contract_server::connect_cluster_node(Default::default(), config)
        .await
        .unwrap();
    let rust_url = format!(
        "http://{}",
        sio_test_support::serve_here(contract.router).await
    );
    let Some((_node, node_url)) = node_node(&redis.url(), 2000) else {
        return;
    };
    let node_answer = format!("from node {}", node_url.rsplit(':').next().unwrap());
    eventually("2 servers", || async {
        cluster.server_count("/").await == 2
    })
    .await;
    let mut r1 = Client::connect(&rust_url).await;
    let mut n1 = Client::connect(&node_url).await;
    r1.join(&["room1"]).await;
    n1.join(&["room1"]).await;
    for client in [&mut r1, &mut n1] {
        assert_eq!(
            on_node(client, json!({"op": "server-count"})).await,
            json!(2)
        );
    }
    let both = set(&[&r1.sid, &n1.sid]);
    for client in [&mut r1, &mut n1] {
        let found = on_node(client, json!({"op": "fetch-sockets", "rooms": ["room1"]})).await;
        assert_eq!(ids(&found), both);
    }
    let asked = on_node(
        &mut r1,
        json!({"op": "server-side-emit-with-ack", "args": ["q"]}),
    )
    .await;
    assert_eq!(asked, json!({"answers": [node_answer]}));
    let asked = on_node(
        &mut n1,
        json!({"op": "server-side-emit-with-ack", "args": ["q"]}),
    )
    .await;
    assert_eq!(
        asked,
        json!({"answers": [sio_contract_server::cluster::SERVER_SIDE_ANSWER[0]]})
    );
    let received = on_node(&mut r1, json!({"op": "server-side-received"})).await;
    assert_eq!(
        received,
        json!([["q"]]),
        "the event's arguments, without its name"
    );
    on_node(
        &mut r1,
        json!({"op": "sockets-join", "rooms": ["room1"], "room": "joined"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while ids(&on_node(&mut n1, json!({"op": "fetch-sockets", "rooms": ["joined"]})).await) != both
    {
        assert!(Instant::now() < deadline, "socketsJoin never reached both");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
