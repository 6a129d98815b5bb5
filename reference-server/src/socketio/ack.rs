//! Acknowledgements both ways: [`AckSender`] answers a client's ack request at most once (it is
//! consumed by `send`), and [`SocketEmitter`] emits with an ack callback and an optional timeout
//! (Node's `socket.timeout(ms).emit(…, cb)` / `emitWithAck`).
//!
//! ```text
//! client  42<id>[name,…]     server  43<id>[…]        or 46<n>-<id>[…] + n binary messages
//! server  42<id>[name,…]     client  43<id>[…]        ids from the namespace's counter, from 0
//! ```

use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::Serialize;
use tokio::sync::oneshot;

use super::socket::Socket;
use super::types::{AckError, EmitError};
use super::{Value, packet};

/// A server-side ack callback. An ordinary function, as Node's: the server runs it at most once
/// because it forgets the ack id once used, not because the callback could not run twice.
pub type AckCallback = Box<dyn FnMut(Result<Vec<Value>, AckError>) + Send>;

/// A one-shot callback as an [`AckCallback`] (a second call, which the server never makes,
/// would do nothing).
pub(crate) fn once(
    callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
) -> AckCallback {
    let mut callback = Some(callback);
    Box::new(move |r| {
        if let Some(cb) = callback.take() {
            cb(r);
        }
    })
}

/// The answer to a client's ack request; `send` consumes it, and when several handlers of one
/// event each got one, only the first answer goes out (as Node's ack function guards itself).
pub struct AckSender {
    socket: Socket,
    id: u64,
    /// Shared by the handles of one answer; made only when a second handle is (most events
    /// have one handler).
    sent: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl std::fmt::Debug for AckSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AckSender").field("id", &self.id).finish()
    }
}

impl AckSender {
    pub(crate) fn new(socket: Socket, id: u64) -> AckSender {
        AckSender {
            socket,
            id,
            sent: None,
        }
    }

    /// Another handle on the same answer (for a second handler of the event).
    pub(crate) fn share(&mut self) -> AckSender {
        let sent = self.sent.get_or_insert_with(Default::default).clone();
        AckSender {
            socket: self.socket.clone(),
            id: self.id,
            sent: Some(sent),
        }
    }

    /// The ack id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Answers with `args` (`43<id>[…]`, or `46<n>-<id>[…]` when they hold binary).
    pub fn send(self, args: Vec<Value>) {
        if let Some(sent) = &self.sent
            && sent.swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        let nsp = self.socket.nsp().name();
        let nsp = match self
            .socket
            .nsp()
            .has_fault(crate::fault::Fault::AckWithoutNamespace)
        {
            true => "/",
            false => nsp,
        };
        let msg = packet::ack(nsp, self.id, args);
        self.socket.packet(&msg, false);
    }

    /// Answers with one serialisable argument.
    pub fn send_json<T: Serialize + ?Sized>(self, arg: &T) -> Result<(), serde_json::Error> {
        let v = super::args::to_value(arg)?;
        self.send(vec![v]);
        Ok(())
    }
}

/// Emit options for one socket: `socket.timeout(ms)`, `socket.volatile()`.
pub struct SocketEmitter<'a> {
    pub(crate) socket: &'a Socket,
    pub(crate) timeout: Option<Duration>,
    pub(crate) volatile: bool,
}

impl<'a> SocketEmitter<'a> {
    /// The ack callback gets `Err(AckError::Timeout)` if no answer comes within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> SocketEmitter<'a> {
        self.timeout = Some(timeout);
        self
    }

    /// The packet is dropped if the transport is not writable right now.
    pub fn volatile(mut self) -> SocketEmitter<'a> {
        self.volatile = true;
        self
    }

    /// Emits `data` as the one argument, without an ack.
    pub fn emit<T: Serialize + ?Sized>(&self, event: &str, data: &T) -> Result<(), EmitError> {
        self.emit_args(event, super::types::one_arg(data)?)
    }

    /// Emits several arguments, without an ack.
    pub fn emit_args(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
        self.socket
            .emit_inner(event, args, None, self.timeout, self.volatile)
    }

    /// Emits with an ack callback: it runs once, with the client's answer or the timeout.
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: Vec<Value>,
        callback: impl FnOnce(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.socket.emit_inner(
            event,
            args,
            Some(once(callback)),
            self.timeout,
            self.volatile,
        )
    }

    /// Emits with an ordinary callback (`socket.timeout(t).emit(ev, …args, cb)`): the server
    /// runs it once, with the client's answer or the timeout, since it forgets the ack id once
    /// used; the contract's `emit-with-ack` reports every run, so a server that does not forget
    /// shows.
    pub fn emit_with_callback(
        &self,
        event: &str,
        args: Vec<Value>,
        callback: impl FnMut(Result<Vec<Value>, AckError>) + Send + 'static,
    ) -> Result<(), EmitError> {
        self.socket.emit_inner(
            event,
            args,
            Some(Box::new(callback)),
            self.timeout,
            self.volatile,
        )
    }

    /// Emits `data` as the one argument with an ack and waits for the answer, deserialised
    /// as `T` from the answer's arguments (`Json<T>`'s rule: a tuple, a `Vec`, …):
    /// `let (ok,): (bool,) = socket.timeout(d).emit_with_ack_typed("ask", &q).await?`.
    pub async fn emit_with_ack_typed<T: serde::de::DeserializeOwned, D: Serialize + ?Sized>(
        &self,
        event: &str,
        data: &D,
    ) -> Result<T, AckError> {
        let args = super::types::one_arg(data)?;
        let answer = self.emit_with_ack_async(event, args)?.await?;
        let all = serde_json::Value::Array(answer.iter().map(super::args::to_json).collect());
        serde_json::from_value(all).map_err(|e| AckError::Answer(e.to_string()))
    }

    /// Emits with an ack and returns a future of the answer (`emitWithAck`).
    pub fn emit_with_ack_async(
        &self,
        event: &str,
        args: Vec<Value>,
    ) -> Result<BoxFuture<'static, Result<Vec<Value>, AckError>>, EmitError> {
        let (tx, rx) = oneshot::channel();
        self.emit_with_ack(event, args, move |r| {
            let _ = tx.send(r);
        })?;
        Ok(Box::pin(async move {
            rx.await.unwrap_or(Err(AckError::Closed))
        }))
    }
}
