//! Emitting to many sockets (Node's `BroadcastOperator`): targets are rooms (none = the whole
//! namespace) minus `except` rooms, optionally volatile. The packet is encoded once by the
//! adapter and the same bytes go to every recipient.

use super::namespace::Namespace;
use super::socket::Socket;
use super::types::BroadcastOptions;
use super::types::{EmitError, check_event};
use super::{IntoRooms, Value, packet};

/// A broadcast being built: `nsp.to(…)`, `socket.broadcast()`, `socket.to(…)`, `.except(…)`.
#[derive(Clone)]
pub struct BroadcastOperator {
    nsp: Namespace,
    opts: BroadcastOptions,
}

impl BroadcastOperator {
    pub(crate) fn new(nsp: Namespace, opts: BroadcastOptions) -> BroadcastOperator {
        BroadcastOperator { nsp, opts }
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

    /// The options as they stand.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Emits `event`(…`args`) to the selected sockets.
    pub fn emit(&self, event: &str, args: Vec<Value>) -> Result<(), EmitError> {
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
