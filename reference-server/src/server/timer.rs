//! One timer driver for every session: a single task with a min-heap of (wakeup, entry).
//!
//! A session's next wakeup is a window ([`Wakeup`]): `latest` is when it must run, exactly
//! (every timer that closes or refuses something — the pong deadline, the upgrade timeout, the
//! polling close timeout — is due at its deadline, as a Node `setTimeout` is); `earliest` is
//! earlier only when the next thing due is a ping, which may leave up to the engine's
//! `timer_slack` early (`EngineConfig::timer_slack`, the session's `ping_slack`).
//!
//! The heap is ordered by `latest`, and the driver sleeps until the first `latest`. When it
//! wakes, it runs every session whose window has opened (`earliest` ≤ now), not only the one
//! that is due: pings due within the slack after the wakeup leave with it, so sessions whose
//! pings fall due close together share one turn of the driver; their pings leave together and
//! their pongs come back close together. Nothing is ever run after its `latest` by design, so
//! the only lateness left is the runtime's (tokio's timer has a 1 ms resolution; a loaded
//! machine wakes the driver late, as it would Node's event loop). Measured with 2000 idle
//! connections at a 300 ms ping interval, 10 ms of slack against none: about a tenth off the
//! server's CPU per ping and a fifth off its wakeups, as much as when the slack still delayed
//! every timer (reference-server/README.md, Performance). The pongs still arrive spread out;
//! perf did not pin down which batched work the CPU gain comes from.
//!
//! Sessions report their next wakeup only when its `latest` is earlier than the one already
//! queued; a wakeup that moved later (a pong came before its pong deadline) is found stale when
//! it reaches the top of the heap, before the driver sleeps on it, and is re-queued at the
//! session's current window, so the driver wakes for a deadline that is gone only if it moved
//! after the driver began to sleep on it (then the session finds nothing due and re-queues
//! itself). An idle session therefore costs one heap slot, not a task or a sleep.
//!
//! The driver sleeps on one long-lived tokio `Sleep`, moved only when the earliest `latest`
//! changes, takes every wakeup already sent in one turn, and queues the next wakeup of a session
//! it ran itself (no message to its own channel).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Entry, Revalidated, Shared};
use crate::session::Wakeup;

struct Item {
    at: Wakeup,
    seq: u64,
    entry: Weak<Mutex<Entry>>,
}

impl Item {
    fn key(&self) -> (Instant, u64) {
        (self.at.latest, self.seq)
    }
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

type WakeupReceiver = mpsc::UnboundedReceiver<(Wakeup, Weak<Mutex<Entry>>)>;

/// What the driver task needs, kept until the first wakeup starts it.
struct NotStarted {
    rx: WakeupReceiver,
    shared: Weak<Shared>,
    slack: Duration,
}

/// Where sessions send their wakeups. The driver task starts with the first wakeup (a session
/// exists, so a runtime runs): an engine can be built outside a tokio runtime.
pub(crate) struct TimerHandle {
    tx: mpsc::UnboundedSender<(Wakeup, Weak<Mutex<Entry>>)>,
    not_started: Mutex<Option<NotStarted>>,
    started: std::sync::atomic::AtomicBool,
}

impl TimerHandle {
    pub(crate) fn schedule(&self, at: Wakeup, entry: Weak<Mutex<Entry>>) {
        use std::sync::atomic::Ordering::Acquire;
        if !self.started.load(Acquire) {
            self.start();
        }
        let _ = self.tx.send((at, entry));
    }

    #[cold]
    fn start(&self) {
        let mut pending = self.not_started.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(NotStarted { rx, shared, slack }) = pending.take() {
            tokio::spawn(run(rx, shared, slack));
        }
        self.started
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The driver, started by the first wakeup; it stops when the engine is dropped. `slack`
/// bounds every window (`latest - earliest ≤ slack`): it is the sessions' effective ping slack.
pub(crate) fn spawn(shared: Weak<Shared>, slack: Duration) -> TimerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    TimerHandle {
        tx,
        not_started: Mutex::new(Some(NotStarted { rx, shared, slack })),
        started: std::sync::atomic::AtomicBool::new(false),
    }
}

type Heap = BinaryHeap<Reverse<Item>>;

async fn run(mut rx: WakeupReceiver, shared: Weak<Shared>, slack: Duration) {
    let mut heap: Heap = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut Heap, at, entry| {
        seq += 1;
        heap.push(Reverse(Item { at, seq, entry }));
    };
    // One sleep for the driver's life, moved only when the earliest deadline changes: a new
    // `Sleep` per loop turn registers with tokio's timer each time (and may wake its driver
    // through an eventfd write), which at thousands of sessions was a good part of the
    // heartbeats' cost.
    let sleep = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(sleep);
    let mut armed: Option<Instant> = None;
    // The item last found current at the top (by `seq`): not locked again until it changes.
    let mut checked: Option<u64> = None;
    // The windows not open yet at a wakeup, put back after it; kept across turns so that a
    // turn with pings in its slack allocates nothing.
    let mut not_yet = Vec::new();
    loop {
        // Before sleeping on the top item: drop it or re-queue it if its session's timers
        // moved (see the module doc). Only with something queued: the engine then exists (the
        // driver is spawned while it is being built, when `shared` cannot be upgraded yet).
        if heap
            .peek()
            .is_some_and(|Reverse(top)| checked != Some(top.seq))
        {
            let Some(engine) = shared.upgrade() else {
                return;
            };
            while let Some(Reverse(top)) = heap.peek()
                && checked != Some(top.seq)
            {
                let verdict = match top.entry.upgrade() {
                    Some(entry) => engine.revalidate(&entry, top.at),
                    None => Revalidated::Stale,
                };
                match verdict {
                    Revalidated::Current => checked = Some(top.seq),
                    Revalidated::Stale => {
                        heap.pop();
                    }
                    Revalidated::Moved(at) => {
                        if let Some(Reverse(item)) = heap.pop() {
                            push(&mut heap, at, item.entry);
                        }
                    }
                }
            }
        }
        let next = heap.peek().map(|Reverse(i)| i.at.latest);
        if next != armed
            && let Some(at) = next
        {
            sleep.as_mut().reset(tokio::time::Instant::from_std(at));
        }
        armed = next;
        tokio::select! {
            biased;
            msg = rx.recv() => match msg {
                Some((at, entry)) => {
                    push(&mut heap, at, entry);
                    // Everything already queued, before the sleep is moved again.
                    while let Ok((at, entry)) = rx.try_recv() {
                        push(&mut heap, at, entry);
                    }
                }
                None => return,
            },
            () = &mut sleep, if armed.is_some() => {
                // The sleep has completed: re-arm it next turn whatever the next deadline is.
                armed = None;
                let now = Instant::now();
                let Some(shared) = shared.upgrade() else { return };
                // Every window that has opened: those are all among the items whose `latest`
                // is within `slack` from now. The others of them go back as they were.
                while heap.peek().is_some_and(|Reverse(i)| i.at.latest <= now + slack) {
                    let Some(Reverse(item)) = heap.pop() else { break };
                    if item.at.earliest > now {
                        not_yet.push(Reverse(item));
                        continue;
                    }
                    if let Some(entry) = item.entry.upgrade()
                        && let Some(next) = shared.fire(&entry, item.at)
                    {
                        push(&mut heap, next, item.entry);
                    }
                }
                heap.extend(not_yet.drain(..));
            }
        }
    }
}
