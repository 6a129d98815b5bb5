//! The model's side of transports: the step-by-step upgrade of the `upgrade` set and the
//! time a polling drop really closed the session.
//!
//! The upgrade changes no Socket.IO state: a client receives the same packets, in the same
//! order, before, during and after it (the property is exactly that nothing is lost or doubled
//! across the switch). What the model tracks is only who can act: a paused client neither
//! sends nor reads (the official client holds its sends until `5` and has no GET pending), so
//! what it must receive meanwhile is checked at its first marker after `5`.

use super::{Act, Model, Phase, Plan};
use crate::ops::Op;
use std::time::Instant;

impl Model {
    /// The plan of an upgrade step for `client` (already picked by its phase), or `None`.
    pub(super) fn upgrade_step(&mut self, op: &Op, client: u8, plan: &mut Plan) -> Option<()> {
        if let Op::UpgradePause { in_flight, .. } = op {
            // The in-flight packet is a marker `message`: its `message-back` is the first
            // thing the paused client must receive (checked after `5`).
            let echo = if *in_flight {
                self.marker(client, &format!("p{}-{client}", self.counter))
            } else {
                None
            };
            let send = echo.map(|(send, frame)| {
                plan.others.entry(client).or_default().push(frame);
                send
            });
            plan.acts.push(Act::Pause(client, send));
            self.clients[client as usize].phase = Phase::Paused;
            return Some(());
        }
        let c = &mut self.clients[client as usize];
        match op {
            Op::UpgradeProbe { .. } => {
                plan.acts.push(Act::Probe(client));
                c.phase = Phase::Probing;
            }
            Op::UpgradeFinish { .. } => {
                plan.acts.push(Act::Finish(client));
                c.phase = Phase::Idle;
                c.polling = false;
            }
            // Node discards the probe (upgrade check and timeout cleared) and the session goes
            // on over polling: nothing changes but the phase.
            Op::UpgradeAbort { .. } => {
                plan.acts.push(Act::AbortProbe(client));
                c.phase = Phase::Idle;
            }
            _ => return None,
        }
        Some(())
    }

    /// Where `client` is in an upgrade.
    pub fn phase(&self, client: u8) -> Phase {
        self.clients[client as usize].phase
    }

    /// The plan that completes an upgrade left under way at the end of a case (so what the
    /// client had to receive meanwhile is still checked), or `None`.
    pub fn complete_upgrade(&mut self, client: u8) -> Option<Plan> {
        let mut plan = Plan {
            desc: format!("c{client} upgrade completed at the end of the case"),
            ..Plan::default()
        };
        let c = &mut self.clients[client as usize];
        match c.phase {
            Phase::Idle => return None,
            Phase::Probing => plan.acts.push(Act::Pause(client, None)),
            Phase::Paused => {}
        }
        plan.acts.push(Act::Finish(client));
        c.phase = Phase::Idle;
        c.polling = false;
        Some(plan)
    }

    /// A polling drop closed the session no earlier than `at` (the executor probes the
    /// session until it is gone): the persisted session's disconnection time is `at`, so the
    /// inside/outside-the-window margins hold from the real close, not from the request.
    pub fn closed_at(&mut self, client: u8, at: Instant) {
        let Some(pid) = self.clients[client as usize].dropped_pid.clone() else {
            return;
        };
        if let Some(s) = self.sessions.get_mut(&pid) {
            if s.at < at {
                s.at = at;
            }
        }
    }
}
