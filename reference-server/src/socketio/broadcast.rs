//! Emitting to many sockets (Node's `BroadcastOperator`): targets are rooms (none = the whole
//! namespace) minus `except` rooms, optionally volatile. The packet is encoded once by the
//! adapter and the same bytes go to every recipient.

use std::sync::Arc;
use std::time::Duration;

use super::adapter::{AckAnswers, RemoteSocket};
use super::namespace::Namespace;
use super::socket::Socket;
use super::types::BroadcastOptions;
use super::types::{AckError, EmitError, check_event};
use super::{IntoRooms, Value, packet};

/// Why a broadcast with acks ([`BroadcastOperator::emit_with_ack`]) did not get every answer,
/// with the answers it got (Node's rejection error and its `responses`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error} ({} answer(s) in time)", answers.len())]
pub struct BroadcastAckError {
    /// [`AckError::Timeout`], or [`AckError::Emit`] for a reserved event name.
    pub error: AckError,
    /// The answers that came before the timeout, in arrival order.
    pub answers: Vec<Vec<Value>>,
}

/// A broadcast being built: `nsp.to(…)`, `socket.broadcast()`, `socket.to(…)`, `.except(…)`.
#[derive(Clone)]
pub struct BroadcastOperator {
    nsp: Namespace,
    opts: BroadcastOptions,
    timeout: Option<Duration>,
}

impl BroadcastOperator {
    pub(crate) fn new(nsp: Namespace, opts: BroadcastOptions) -> BroadcastOperator {
        BroadcastOperator {
            nsp,
            opts,
            timeout: None,
        }
    }

    /// How long [`BroadcastOperator::emit_with_ack`] waits for every answer (`.timeout(ms)`).
    pub fn timeout(mut self, timeout: Duration) -> BroadcastOperator {
        self.timeout = Some(timeout);
        self.opts.flags.timeout = Some(timeout);
        self
    }

    /// Emits `event`(…`args`) asking every recipient for an ack (`emitWithAck`): resolves to
    /// their answers (in arrival order) once every recipient answered. If the timeout passes
    /// first (without one it waits for them all, as Node does), it fails with
    /// [`AckError::Timeout`] and the answers that came in time, as Node 4.8.4 rejects with
    /// `err.responses`; answers that come later are ignored (every socket of the namespace
    /// forgets the ack id, as Node's `socket.acks.delete(packetId)`).
    ///
    /// ```rust
    /// use std::time::Duration;
    /// use sio_reference_server::socketio::SocketIo;
    /// # async fn run(io: SocketIo) {
    /// let asked = io.of("/").to("players").timeout(Duration::from_secs(5));
    /// match asked.emit_with_ack("vote", vec!["next round?".into()]).await {
    ///     Ok(answers) => println!("all {} answered", answers.len()),
    ///     Err(late) => println!("{}: {} answered in time", late.error, late.answers.len()),
    /// }
    /// # }
    /// ```
    pub async fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>, BroadcastAckError> {
        check_event(event).map_err(|e| BroadcastAckError {
            error: AckError::Emit(e),
            answers: Vec::new(),
        })?;
        let mut msg = packet::event(self.nsp.name(), event, args);
        let id = self.nsp.next_ack_id();
        msg.id = Some(id);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let on_answer: AckAnswers = Arc::new(move |answer| {
            let _ = tx.send(answer);
        });
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        let count = self
            .nsp
            .adapter()
            .broadcast_with_ack(msg, &self.opts, on_answer)
            .await;
        let mut answers = Vec::with_capacity(count);
        let collect = async {
            while answers.len() < count {
                match rx.recv().await {
                    Some(answer) => answers.push(answer),
                    None => break,
                }
            }
        };
        let Some(at) = deadline else {
            collect.await;
            return Ok(answers);
        };
        if tokio::time::timeout_at(at, collect).await.is_ok() {
            return Ok(answers);
        }
        for socket in self.nsp.sockets() {
            socket.forget_ack(id);
        }
        // Answers that arrived between the deadline and the sockets forgetting the id count
        // as in time: they were handled before the timeout's turn in Node's event loop too.
        while let Ok(answer) = rx.try_recv() {
            answers.push(answer);
        }
        Err(BroadcastAckError {
            error: AckError::Timeout,
            answers,
        })
    }

    /// The selected sockets, on every server (`fetchSockets`).
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        self.nsp.adapter().fetch_sockets(&self.opts).await
    }

    /// Makes the selected sockets join `rooms` (`socketsJoin`).
    pub async fn sockets_join(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        self.nsp.adapter().add_sockets(&self.opts, &rooms).await
    }

    /// Makes the selected sockets leave `rooms` (`socketsLeave`).
    pub async fn sockets_leave(&self, rooms: impl IntoRooms) {
        let rooms = rooms.into_rooms();
        self.nsp.adapter().del_sockets(&self.opts, &rooms).await
    }

    /// Disconnects the selected sockets; `close` closes their connections too
    /// (`disconnectSockets`).
    pub async fn disconnect_sockets(&self, close: bool) {
        self.nsp
            .adapter()
            .disconnect_sockets(&self.opts, close)
            .await
    }

    /// Adds target rooms.
    pub fn to(mut self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.opts.rooms.extend(rooms.into_rooms());
        self
    }

    /// Leaves out the sockets of `rooms`.
    pub fn except(mut self, rooms: impl IntoRooms) -> BroadcastOperator {
        if self.nsp.has_fault(crate::fault::Fault::ExceptIgnored) {
            return self;
        }
        self.opts.except.extend(rooms.into_rooms());
        self
    }

    /// Recipients whose transport is not writable are skipped.
    pub fn volatile(mut self) -> BroadcastOperator {
        self.opts.flags.volatile = true;
        self
    }

    /// Only the sockets of this server (`io.local`): a cluster adapter tells no other server.
    pub fn local(mut self) -> BroadcastOperator {
        self.opts.flags.local = true;
        self
    }

    /// The options as they stand.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Emits `event` with `data` as its one argument to the selected sockets.
    pub fn emit<T: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        data: &T,
    ) -> Result<(), EmitError> {
        self.emit_args(event, super::types::one_arg(data)?)
    }

    /// Emits `event`(…`args`) to the selected sockets.
    pub fn emit_args(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        check_event(event)?;
        let msg = packet::event(self.nsp.name(), event, args);
        self.nsp.adapter().broadcast(msg, &self.opts);
        Ok(())
    }

    /// The selected local sockets.
    pub fn sockets(&self) -> Vec<Socket> {
        let ids = self.nsp.adapter().sockets(&self.opts.rooms);
        let except = self
            .nsp
            .adapter()
            .sockets(&self.opts.except)
            .into_iter()
            .collect::<std::collections::HashSet<_>>();
        let except = if self.opts.except.is_empty() {
            Default::default()
        } else {
            except
        };
        ids.into_iter()
            .filter(|id| !except.contains(id))
            .filter_map(|id| self.nsp.socket(&id))
            .collect()
    }
}
