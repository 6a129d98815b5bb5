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
    /// their answers (in arrival order) once every recipient answered, or to
    /// [`AckError::Timeout`] if the timeout passes first (without a timeout it waits for them
    /// all, as Node does).
    pub async fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
    ) -> Result<Vec<Vec<Value>>, AckError> {
        check_event(event).map_err(AckError::Emit)?;
        let mut msg = packet::event(self.nsp.name(), event, args);
        msg.id = Some(self.nsp.next_ack_id());
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
        let collect = async {
            let mut answers = Vec::with_capacity(count);
            while answers.len() < count {
                match rx.recv().await {
                    Some(answer) => answers.push(answer),
                    None => break,
                }
            }
            answers
        };
        match deadline {
            Some(at) => tokio::time::timeout_at(at, collect)
                .await
                .map_err(|_| AckError::Timeout),
            None => Ok(collect.await),
        }
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
