//! Event handlers in the axum style: a function or closure, synchronous or `async`, whose
//! arguments are extractors ([`FromEvent`]) taken from the event in any order.
//!
//! ```text
//! extractor          what it takes                                  when it does not fit
//! Socket             the socket                                     —
//! Data<T>            the first argument deserialised (missing: null) EventError::Args
//! Rest               the arguments after the first                  —
//! Vec<Value>         every argument as sent (binary kept)           —
//! Json<T>            the argument array deserialised (a tuple, …)   EventError::Args
//! AckSender          the ack the client asked for                   EventError::NoAck
//! Option<AckSender>  the same, if asked                             —
//! EventName          the event's name                               —
//! State<T>           state given to SocketIo::builder().with_state  EventError::NoState
//! ```
//! An event whose arguments do not fit a handler is not given to it: the socket's
//! [`crate::socketio::Socket::on_error`] hooks get the [`EventError`], and it is logged at `warn`.
//! The synchronous part of a handler (all of it, for a plain closure) runs on the connection's
//! task in packet order, as Node runs its listeners; an `async` handler that waits goes on in a
//! task of its own.
//!
//! ```rust
//! use sio_reference_server::socketio::{AckSender, Data, Rest, Socket, State};
//! # fn setup(socket: Socket) {
//! #[derive(Clone)]
//! struct Greeting(&'static str);
//! socket.on("hello", |socket: Socket, Data(name): Data<String>, State(g): State<Greeting>| {
//!     let _ = socket.emit("hi", &format!("{} {name}", g.0));
//! });
//! socket.on("sum", async |Rest(rest): Rest, ack: AckSender, Data(first): Data<f64>| {
//!     let others: f64 = rest.iter().filter_map(|v| match v {
//!         sio_reference_server::socketio::Value::Number(n) => Some(*n),
//!         _ => None,
//!     }).sum();
//!     ack.send(vec![(first + others).into()]);
//! });
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;

use super::ack::AckSender;
use super::args::{ArgsError, Data, Json, to_json};
use super::socket::Socket;
use super::{Value, read};

/// Why an event did not reach a handler (given to [`Socket::on_error`] hooks, and logged).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The arguments do not deserialise into the handler's type.
    #[error("event {event:?}: {error}")]
    Args {
        /// The event.
        event: String,
        /// What serde said.
        error: ArgsError,
    },
    /// The handler takes an [`AckSender`] but the client asked for no ack.
    #[error("event {0:?}: the handler takes an ack and the client asked for none")]
    NoAck(String),
    /// The handler takes a `State<T>` that the server was not given.
    #[error("event {event:?}: no state of type {ty} (SocketIo::builder().with_state)")]
    NoState {
        /// The event.
        event: String,
        /// The missing type.
        ty: &'static str,
    },
    /// A socket middleware (`Socket::use_middleware`) refused the event.
    #[error("event {event:?} refused by a middleware: {message}")]
    Refused {
        /// The event.
        event: String,
        /// The middleware's message.
        message: String,
    },
}

/// One event on its way to a handler: what the extractors take from.
pub struct EventContext {
    pub(crate) socket: Socket,
    pub(crate) event: String,
    pub(crate) args: Vec<Value>,
    pub(crate) ack: Option<AckSender>,
}

impl EventContext {
    /// The event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The arguments.
    pub fn args(&self) -> &[Value] {
        &self.args
    }

    /// The socket.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    fn args_error(&self, error: impl Into<ArgsError>) -> EventError {
        EventError::Args {
            event: self.event.clone(),
            error: error.into(),
        }
    }
}

/// A handler argument taken from the event.
pub trait FromEvent: Sized {
    /// Takes the value, or says why the event does not fit.
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError>;
}

impl FromEvent for Socket {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        Ok(cx.socket.clone())
    }
}

impl<T: DeserializeOwned> FromEvent for Data<T> {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        let first = cx.args.first().map_or(serde_json::Value::Null, to_json);
        serde_json::from_value(first)
            .map(Data)
            .map_err(|e| cx.args_error(e))
    }
}

impl<T: DeserializeOwned> FromEvent for Json<T> {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        let all = serde_json::Value::Array(cx.args.iter().map(to_json).collect());
        serde_json::from_value(all)
            .map(Json)
            .map_err(|e| cx.args_error(e))
    }
}

impl FromEvent for Vec<Value> {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        Ok(cx.args.clone())
    }
}

/// The arguments after the first (Node's `(first, ...rest) =>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Rest(pub Vec<Value>);

impl FromEvent for Rest {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        Ok(Rest(cx.args.iter().skip(1).cloned().collect()))
    }
}

impl FromEvent for AckSender {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        cx.ack
            .take()
            .ok_or_else(|| EventError::NoAck(cx.event.clone()))
    }
}

impl FromEvent for Option<AckSender> {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        Ok(cx.ack.take())
    }
}

/// The event's name (for [`Socket::on_any`] handlers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventName(pub String);

impl FromEvent for EventName {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        Ok(EventName(cx.event.clone()))
    }
}

/// State given to [`super::SocketIoBuilder::with_state`], by type.
#[derive(Debug, Clone)]
pub struct State<T>(pub T);

impl<T: Clone + Send + Sync + 'static> FromEvent for State<T> {
    fn from_event(cx: &mut EventContext) -> Result<Self, EventError> {
        let found = read(&cx.socket.nsp().0.state).get::<T>();
        found.map(State).ok_or_else(|| EventError::NoState {
            event: cx.event.clone(),
            ty: std::any::type_name::<T>(),
        })
    }
}

/// What a handler gives back: nothing left to do, or the rest of an `async` handler.
pub type HandlerOutput = Option<BoxFuture<'static, ()>>;

/// A handler as stored: the extractors run, then the function.
pub(crate) type ErasedHandler =
    Arc<dyn Fn(EventContext) -> Result<HandlerOutput, EventError> + Send + Sync>;

/// A function usable as an event handler; `M` tells the shapes apart (sync or async, and the
/// argument types), so it is inferred, never written.
pub trait Handler<M>: Send + Sync + 'static {
    /// Takes the arguments from `cx` and calls the function.
    fn call(&self, cx: EventContext) -> Result<HandlerOutput, EventError>;
}

/// Marks a synchronous handler.
pub struct Plain;
/// Marks an `async` handler.
pub struct Async;

macro_rules! handler_impls {
    ($($t:ident),*) => {
        impl<F, $($t,)*> Handler<(Plain, $($t,)*)> for F
        where
            F: Fn($($t),*) + Send + Sync + 'static,
            $($t: FromEvent,)*
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn call(&self, mut cx: EventContext) -> Result<HandlerOutput, EventError> {
                $(let $t = $t::from_event(&mut cx)?;)*
                (self)($($t),*);
                Ok(None)
            }
        }

        impl<F, Fut, $($t,)*> Handler<(Async, $($t,)*)> for F
        where
            F: Fn($($t),*) -> Fut + Send + Sync + 'static,
            Fut: Future<Output = ()> + Send + 'static,
            $($t: FromEvent,)*
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn call(&self, mut cx: EventContext) -> Result<HandlerOutput, EventError> {
                $(let $t = $t::from_event(&mut cx)?;)*
                Ok(Some(Box::pin((self)($($t),*))))
            }
        }
    };
}

handler_impls!();
handler_impls!(T1);
handler_impls!(T1, T2);
handler_impls!(T1, T2, T3);
handler_impls!(T1, T2, T3, T4);
handler_impls!(T1, T2, T3, T4, T5);
handler_impls!(T1, T2, T3, T4, T5, T6);

pub(crate) fn erase<M, H: Handler<M>>(handler: H) -> ErasedHandler {
    Arc::new(move |cx| handler.call(cx))
}

/// Runs what is left of an `async` handler: polled once here, so that its synchronous part
/// runs now, in packet order; if it waits, it goes on in a task of its own.
pub(crate) fn run_output(output: HandlerOutput) {
    let Some(mut fut) = output else { return };
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    if Pin::new(&mut fut).poll(&mut cx).is_pending() {
        // Polled again at once by the runtime, with a waker that works this time.
        tokio::spawn(fut);
    }
}
