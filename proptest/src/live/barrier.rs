//! The cross-node barrier of the `cluster` set. A broadcast a client sends on node A reaches the
//! clients of node B through Redis, later than B's own traffic: B's marker echo could come back
//! before it. So before the markers, each node in turn asks every other node for its sockets
//! (`fetch-sockets`, fixtures/CONTRACT.md §7) and waits for the answer. Redis hands a node's
//! publications to each other node in the order they were made, and a node answers a request
//! only after handling what came before it; once every node's request is answered, every
//! broadcast published before it has been delivered wherever it goes, ahead of any marker.
//!
//! The requests go over a connection of each node's own, joined to `/admin` only (with the
//! contract's token), so that nothing the case does reaches it and the model never sees it.
//!
//! Before a run, [`await_cluster`] asks each node how many servers it counts (`server-count`)
//! until every node counts them all: a node that has not subscribed yet would miss the first
//! broadcasts, and URLs that are not one cluster are said to be so before any case runs.

use super::{Exec, Live, describe};
use crate::StepFailure;
use sio_conformance::config::Server;
use sio_conformance::driver::ws::{self, Next};
use sio_conformance::driver::{Endpoint, Transcript, WsConn, WsConnect, WsEvent};
use std::time::{Duration, Instant};

/// The namespace the barrier connections join: on every node, with the control events, and
/// untouched by the cases (which use `/` and `/custom`).
const NSP: &str = "/admin";
/// `/admin`'s CONNECT payload (CONTRACT §4: the middleware wants this token).
const AUTH: &str = r#"{"token":"secret"}"#;
/// Frames read past while waiting for one answer (the CONNECT reply, `auth`, pings answered
/// out of sight): more means the node sends what it should not.
const MAX_SKIPPED: usize = 8;

/// One node's barrier connection.
pub(super) struct Barrier {
    conn: WsConn,
    node: usize,
    next_id: u64,
}

impl Barrier {
    /// Closes it at the end of a case.
    pub(super) async fn close(self) {
        let _ = self.conn.close(None).await;
    }
}

impl Exec<'_> {
    /// On a cluster of two or more nodes, the barrier round trip from each node; else nothing.
    pub(super) async fn cluster_barrier(&mut self) -> Result<(), StepFailure> {
        if self.live.cluster.len() < 2 {
            return Ok(());
        }
        if self.barriers.is_empty() {
            for node in 0..self.live.cluster.len() {
                let barrier = self.open_barrier(node).await?;
                self.barriers.push(barrier);
            }
        }
        let mut barriers = std::mem::take(&mut self.barriers);
        let mut result = Ok(());
        for barrier in &mut barriers {
            result = self.round_trip(barrier).await;
            if result.is_err() {
                break;
            }
        }
        self.barriers = barriers;
        result
    }

    fn barrier_failure(&self, node: usize, what: &str, expected: &str, got: String) -> StepFailure {
        self.fail(
            0,
            format!("cluster barrier on node {node} ({what})"),
            vec![expected.to_string()],
            vec![got],
        )
    }

    async fn open_barrier(&mut self, node: usize) -> Result<Barrier, StepFailure> {
        let endpoint = &self.live.cluster[node];
        Barrier::open(endpoint, node, self.live.step, &self.transcript)
            .await
            .map_err(|(what, expected, got)| self.barrier_failure(node, what, &expected, got))
    }

    async fn round_trip(&mut self, barrier: &mut Barrier) -> Result<(), StepFailure> {
        let request = r#"["fetch-sockets",{}]"#;
        barrier
            .ask(request, "[[", self.live.step)
            .await
            .map(drop)
            .map_err(|(what, expected, got)| {
                self.barrier_failure(barrier.node, what, &expected, got)
            })
    }
}

/// What went wrong on a barrier connection: the step, what was expected, what came.
type BarrierError = (&'static str, String, String);

impl Barrier {
    /// A WebSocket to sio-main on `endpoint`, joined to `/admin`.
    async fn open(
        endpoint: &Endpoint,
        node: usize,
        bound: Duration,
        transcript: &Transcript,
    ) -> Result<Barrier, BarrierError> {
        let target = format!(
            "{}?EIO=4&transport=websocket",
            endpoint.target(Server::SioMain.path())
        );
        let conn = match ws::connect(endpoint, &target, bound, transcript, true).await {
            Ok(WsConnect::Open(c)) => c,
            Ok(WsConnect::Refused { status, .. }) => {
                return Err(("upgrade", "101".into(), status.to_string()));
            }
            Ok(WsConnect::Failed(e)) => return Err(("upgrade", "101".into(), e)),
            Err(e) => return Err(("connect", "a connection".into(), e.to_string())),
        };
        let mut barrier = Barrier {
            conn,
            node,
            next_id: 0,
        };
        barrier.read_until("0{", bound).await?;
        let connect = format!("40{NSP},{AUTH}");
        barrier
            .conn
            .send_text(&connect)
            .await
            .map_err(|e| ("CONNECT", connect, e))?;
        barrier
            .read_until(&format!("40{NSP},{{\"sid\":"), bound)
            .await?;
        Ok(barrier)
    }

    /// Sends the control event `event` (its JSON array) on `/admin` with an ack id and returns
    /// the ack's arguments, which must start with `answer_start`.
    async fn ask(
        &mut self,
        event: &str,
        answer_start: &str,
        bound: Duration,
    ) -> Result<String, BarrierError> {
        let id = self.next_id;
        self.next_id += 1;
        let request = format!("42{NSP},{id}{event}");
        self.conn
            .send_text(&request)
            .await
            .map_err(|e| ("request", request, e))?;
        let answer = self
            .read_until(&format!("43{NSP},{id}{answer_start}"), bound)
            .await?;
        Ok(answer[format!("43{NSP},{id}").len()..].to_string())
    }

    /// Reads frames until one starting with `prefix`, and returns it.
    async fn read_until(&mut self, prefix: &str, bound: Duration) -> Result<String, BarrierError> {
        let mut skipped = Vec::new();
        while skipped.len() <= MAX_SKIPPED {
            match self.conn.next(bound).await {
                Next::Event(WsEvent::Text(t)) if t.starts_with(prefix) => return Ok(t),
                Next::Event(WsEvent::Text(t)) => skipped.push(t),
                other => {
                    skipped.push(describe(&other));
                    break;
                }
            }
        }
        Err(("the answer", format!("{prefix}…"), skipped.join(" | ")))
    }
}

/// Waits, within `bound`, until every node of `live`'s cluster counts them all (`server-count` on
/// `/admin`, the number of nodes subscribed to it): a node that has not subscribed yet would
/// miss the first broadcasts. `Err` says which node counts how many.
pub async fn await_cluster(live: &Live, bound: Duration) -> Result<(), String> {
    let nodes = live.cluster.len();
    let deadline = Instant::now() + bound;
    let transcript = Transcript::new();
    for (node, endpoint) in live.cluster.iter().enumerate() {
        let describe = |(what, expected, got): BarrierError| {
            format!(
                "node {node} ({}): {what}: expected {expected}, got {got}",
                endpoint
            )
        };
        let mut barrier = Barrier::open(endpoint, node, live.step, &transcript)
            .await
            .map_err(describe)?;
        loop {
            let answer = barrier
                .ask(r#"["server-count"]"#, "[", live.step)
                .await
                .map_err(describe)?;
            let count: Option<usize> = serde_json::from_str::<Vec<usize>>(&answer)
                .ok()
                .and_then(|v| v.first().copied());
            if count == Some(nodes) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "node {node} ({}) counts {answer} servers, not the {nodes} nodes given: \
                     they are not one cluster, or not all subscribed within {bound:?}",
                    endpoint
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        barrier.close().await;
    }
    Ok(())
}
