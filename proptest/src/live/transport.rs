//! The executor's transport actions: opening a connection on the client's transport, the
//! upgrade steps, the drop points, and keeping a paused upgrade short.

use super::{CLOSE_BOUND, Exec, PAUSE_WINDOW, describe};
use crate::StepFailure;
use crate::conn::Conn;
use crate::ops::ClientTransport;
use crate::polling::{self, PollingConn};
use crate::transports::DropAct;
use sio_conformance::driver::transcript::Transport;
use sio_conformance::driver::ws::{self, Next};
use sio_conformance::driver::{WsConnect, WsEvent};
use std::time::{Duration, Instant};

impl Exec<'_> {
    /// A new connection for `client` on its transport; the open packet is checked.
    pub(super) async fn open(&mut self, client: u8) -> Result<Conn, StepFailure> {
        let path = self.server().path();
        if self.transports[client as usize] != ClientTransport::Websocket {
            let opened = polling::open(
                self.live.endpoint_of(client),
                path,
                self.live.step,
                &self.transcript,
            )
            .await;
            return match opened {
                Ok((conn, open)) => {
                    self.check_upgrades(client, &open, r#"["websocket"]"#)?;
                    Ok(Conn::Polling(Box::new(conn)))
                }
                Err(got) => Err(self.fail(
                    client,
                    "open packet (polling handshake)",
                    vec![r#"0{"sid":…}"#.into()],
                    vec![got],
                )),
            };
        }
        let target = format!(
            "{}?EIO=4&transport=websocket",
            self.live.endpoint_of(client).target(path)
        );
        let opened = ws::connect(
            self.live.endpoint_of(client),
            &target,
            self.live.step,
            &self.transcript,
            true,
        )
        .await;
        let mut conn = match opened {
            Ok(WsConnect::Open(c)) => c,
            Ok(WsConnect::Refused { status, .. }) => {
                return Err(self.fail(
                    client,
                    "WebSocket upgrade",
                    vec!["101".into()],
                    vec![status.to_string()],
                ));
            }
            Ok(WsConnect::Failed(e)) => {
                return Err(self.fail(client, "WebSocket upgrade", vec!["101".into()], vec![e]));
            }
            Err(e) => {
                return Err(self.fail(
                    client,
                    "TCP connect",
                    vec!["a connection".into()],
                    vec![e.to_string()],
                ));
            }
        };
        let first = conn.next(self.live.step).await;
        let ok = matches!(&first, Next::Event(WsEvent::Text(t)) if t.starts_with("0{\"sid\":"));
        if !ok {
            return Err(self.fail(
                client,
                "open packet",
                vec![r#"0{"sid":…}"#.into()],
                vec![describe(&first)],
            ));
        }
        if let Next::Event(WsEvent::Text(open)) = &first {
            self.check_upgrades(client, open, "[]")?;
        }
        Ok(Conn::ws(conn))
    }

    /// The open packet offers the upgrades the transport can take: `["websocket"]` to a
    /// polling session, none to a WebSocket one (the official client probes every upgrade
    /// it is offered).
    fn check_upgrades(&self, client: u8, open: &str, want: &str) -> Result<(), StepFailure> {
        let got = open
            .strip_prefix('0')
            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .map(|v| v["upgrades"].to_string())
            .unwrap_or_default();
        if got == want {
            return Ok(());
        }
        Err(self.fail(
            client,
            "open packet: the upgrades offered to this transport",
            vec![format!(r#"0{{"sid":…,"upgrades":{want},…}}"#)],
            vec![open.to_string()],
        ))
    }

    fn polling_of(&mut self, client: u8, what: &str) -> Result<&mut PollingConn, StepFailure> {
        let failure = self.fail(
            client,
            format!("{what}: the client is not on polling"),
            vec![],
            vec![],
        );
        self.conns[client as usize]
            .as_mut()
            .and_then(Conn::polling)
            .ok_or(failure)
    }

    /// Upgrade step 1: the probe WebSocket and `2probe`.
    pub(super) async fn probe(&mut self, client: u8) -> Result<(), StepFailure> {
        let path = self.server().path();
        let bound = self.live.step;
        let p = self.polling_of(client, "upgrade probe")?;
        let probed = p.probe(path, bound).await;
        probed.map_err(|e| {
            self.fail(
                client,
                "upgrade: the probe",
                vec!["101, 2probe sent".into()],
                vec![e],
            )
        })
    }

    /// Upgrade step 2: `3probe` on the probe WebSocket (`op` names the operation waiting).
    async fn probe_answered(&mut self, client: u8, op: &str) -> Result<(), StepFailure> {
        let bound = self.live.step;
        let p = self.polling_of(client, op)?;
        let answered = p.probe_reply(bound).await;
        answered.map_err(|e| {
            self.fail(
                client,
                "upgrade: the probe's answer",
                vec!["3probe".into()],
                vec![e],
            )
        })
    }

    /// Upgrade steps 2 and 3: `3probe`, then the pause (with `strict`, the pending GET must come
    /// back within it, released by the server's noop or an answer, not by the next ping).
    pub(super) async fn pause(
        &mut self,
        client: u8,
        strict: Option<Duration>,
        in_flight: Option<String>,
    ) -> Result<(), StepFailure> {
        self.probe_answered(client, "upgrade pause").await?;
        let bound = self.live.step;
        let p = self.polling_of(client, "upgrade pause")?;
        let paused = p.pause(strict, bound, in_flight.as_deref()).await;
        paused.map_err(|e| {
            self.fail(
                client,
                "upgrade: the pending GET is released (noop) once the probe succeeded",
                vec!["the pending GET back with a noop (or an answer), not only a ping".into()],
                vec![e],
            )
        })
    }

    /// Upgrade step 4: `5`; the WebSocket becomes the connection (a no-op when the executor
    /// already finished this upgrade to keep the session alive).
    pub(super) async fn finish(&mut self, client: u8) -> Result<(), StepFailure> {
        let Some(conn) = self.conns[client as usize].take() else {
            return Err(self.fail(client, "upgrade: no connection", vec![], vec![]));
        };
        match conn.finish_upgrade().await {
            Ok(c) => {
                self.conns[client as usize] = Some(c);
                Ok(())
            }
            Err(e) => Err(self.fail(client, "upgrade: sending 5", vec!["5 sent".into()], vec![e])),
        }
    }

    /// The probe WebSocket drops (TCP, no close frame) before `5`; the poller goes on.
    pub(super) async fn abort_probe(&mut self, client: u8) -> Result<(), StepFailure> {
        let p = self.polling_of(client, "upgrade abort")?;
        p.drop_probe().await;
        Ok(())
    }

    /// A polling client has been pinged within [`super::HEARTBEAT_BOUND`] (checked at each
    /// marker, while the poller runs: not while paused for an upgrade).
    pub(super) fn check_heartbeat(&mut self, client: u8) -> Result<(), StepFailure> {
        let gap = match self.conns[client as usize].as_mut().and_then(Conn::polling) {
            Some(p) if p.paused_at.is_none() => p.since_last_ping(),
            _ => return Ok(()),
        };
        if gap <= super::HEARTBEAT_BOUND {
            return Ok(());
        }
        Err(self.fail(
            client,
            "heartbeat: a ping at least every pingInterval + pingTimeout",
            vec![format!(
                "a ping within {} ms",
                super::HEARTBEAT_BOUND.as_millis()
            )],
            vec![format!("no ping for {} ms", gap.as_millis())],
        ))
    }

    /// Sends `5` for every client paused longer than [`PAUSE_WINDOW`] (see the module doc of
    /// `live`): the model still counts it as paused, so its frames are still checked later.
    pub(super) async fn keep_paused_sessions_alive(&mut self) -> Result<(), StepFailure> {
        for c in 0..self.conns.len() as u8 {
            let overdue = matches!(
                self.conns[c as usize].as_mut().and_then(Conn::polling),
                Some(p) if p.paused_at.is_some_and(|t| t.elapsed() >= PAUSE_WINDOW)
            );
            if overdue {
                self.transcript.note(
                    "-",
                    Transport::Polling,
                    format!(
                        "c{c}: paused for {} ms: 5 sent now",
                        PAUSE_WINDOW.as_millis()
                    ),
                );
                self.finish(c).await?;
            }
        }
        Ok(())
    }

    /// A drop at a drop point. For the polling points the server's close is awaited (probing
    /// the session) and its time fed back to the model.
    pub(super) async fn drop_transport(
        &mut self,
        client: u8,
        how: DropAct,
    ) -> Result<(), StepFailure> {
        let started = Instant::now();
        match how {
            DropAct::Websocket => {
                if let Some(conn) = self.conns[client as usize].take() {
                    conn.drop_connection().await;
                }
                return Ok(());
            }
            DropAct::AfterUpgrade => {
                self.probe(client).await?;
                self.pause(client, None, None).await?;
                self.finish(client).await?;
                if let Some(conn) = self.conns[client as usize].take() {
                    conn.drop_connection().await;
                }
                return Ok(());
            }
            DropAct::AbortPoll => {
                let p = self.polling_of(client, "drop")?;
                p.abort().await;
            }
            DropAct::StopPolling => {
                let p = self.polling_of(client, "drop")?;
                p.stop();
            }
            DropAct::DuringProbe => {
                self.probe(client).await?;
                self.probe_answered(client, "drop").await?;
                self.polling_of(client, "drop")?.abort().await;
            }
        }
        let Some(Conn::Polling(p)) = self.conns[client as usize].take() else {
            return Err(self.fail(client, "drop: the client is not on polling", vec![], vec![]));
        };
        let closed = p.wait_closed(started, CLOSE_BOUND).await;
        drop(p);
        match closed {
            // engine.io answers a request for a closed session 400 {"code":1,"message":"Session ID unknown"}.
            Ok((at, 400, body)) if body.contains(r#""code":1,"#) => {
                self.model.closed_at(client, at);
                Ok(())
            }
            Ok((_, status, body)) => Err(self.fail(
                client,
                "a POST on the closed session is refused as an unknown session",
                vec![r#"400 {"code":1,"message":"Session ID unknown"}"#.into()],
                vec![format!("{status} {body}")],
            )),
            Err(e) => Err(self.fail(
                client,
                "the server closes the session once the client is gone",
                vec!["400 to a POST on the closed session".into()],
                vec![e],
            )),
        }
    }
}
