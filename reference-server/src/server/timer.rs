//! One timer driver for every session: a single task with a min-heap of (deadline, entry).
//! Sessions report their next deadline only when it is earlier than the one already queued;
//! a deadline that moved later fires early, finds nothing due, and re-queues itself. An idle
//! session therefore costs one heap slot, not a task or a sleep.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Mutex, Weak};
use std::time::Instant;

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
pub(crate) fn spawn(shared: Weak<Shared>) -> TimerHandle {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(rx, shared));
    TimerHandle { tx }
}

async fn run(mut rx: mpsc::UnboundedReceiver<(Instant, Weak<Mutex<Entry>>)>, shared: Weak<Shared>) {
    let mut heap: BinaryHeap<Reverse<Item>> = BinaryHeap::new();
    let mut seq = 0u64;
    loop {
        let next = heap.peek().map(|Reverse(i)| i.at);
        tokio::select! {
            msg = rx.recv() => match msg {
                Some((at, entry)) => {
                    seq += 1;
                    heap.push(Reverse(Item { at, seq, entry }));
                }
                None => return,
            },
            () = sleep_until(next) => {
                let now = Instant::now();
                let Some(shared) = shared.upgrade() else { return };
                while heap.peek().is_some_and(|Reverse(i)| i.at <= now) {
                    let Some(Reverse(item)) = heap.pop() else { break };
                    if let Some(entry) = item.entry.upgrade() {
                        shared.fire(&entry, item.at);
                    }
                }
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
