//! One timer driver for every session: a single task with a min-heap of (deadline, entry).
//! Sessions report their next deadline only when it is earlier than the one already queued;
//! a deadline that moved later fires early, finds nothing due, and re-queues itself. An idle
//! session therefore costs one heap slot, not a task or a sleep.
//!
//! The driver sleeps on one long-lived tokio `Sleep`, moved only when the earliest deadline
//! changes, takes every deadline already sent in one turn, and queues the next deadline of a
//! session it fired itself (no message to its own channel).
//!
//! It wakes `slack` (`EngineConfig::timer_slack`) after the earliest deadline and fires every
//! deadline due by then, so sessions whose timers fall due within `slack` of each other share
//! one turn of the driver; their pings leave together and their pongs come back close
//! together. Measured with 2000 idle connections at a 300 ms ping interval: 10 ms of slack cut
//! the server's CPU per ping by about a fifth (reference-server/README.md, Performance). The
//! pongs still arrive spread out: `epoll_wait` calls fell by under a tenth, so the gain is not
//! mainly fewer wakeups of the server; perf did not pin down which batched work it comes from.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::{Entry, Shared};

struct Item {
    at: Instant,
    seq: u64,
    entry: Weak<Mutex<Entry>>,
}

impl PartialEq for Item {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
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
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Where sessions send their deadlines.
pub(crate) struct TimerHandle {
    tx: mpsc::UnboundedSender<(Instant, Weak<Mutex<Entry>>)>,
}

impl TimerHandle {
    pub(crate) fn schedule(&self, at: Instant, entry: Weak<Mutex<Entry>>) {
        let _ = self.tx.send((at, entry));
    }
}

/// Starts the driver; it stops when the engine is dropped.
pub(crate) fn spawn(shared: Weak<Shared>, slack: Duration) -> TimerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(rx, shared, slack));
    TimerHandle { tx }
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<(Instant, Weak<Mutex<Entry>>)>,
    shared: Weak<Shared>,
    slack: Duration,
) {
    let mut heap: BinaryHeap<Reverse<Item>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<Reverse<Item>>, at, entry| {
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
    loop {
        let next = heap.peek().map(|Reverse(i)| i.at);
        if next != armed
            && let Some(at) = next
        {
            sleep
                .as_mut()
                .reset(tokio::time::Instant::from_std(at + slack));
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
                while heap.peek().is_some_and(|Reverse(i)| i.at <= now) {
                    let Some(Reverse(item)) = heap.pop() else { break };
                    if let Some(entry) = item.entry.upgrade()
                        && let Some(next) = shared.fire(&entry, item.at)
                    {
                        push(&mut heap, next, item.entry);
                    }
                }
            }
        }
    }
}
