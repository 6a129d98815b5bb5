//! A one-sender, one-receiver unbounded queue sized to its traffic, for what a session hands its
//! WebSocket pump (frames to write) and its application (event batches).
//!
//! Why not `tokio::sync::mpsc::unbounded_channel`: each of those allocates its first block of
//! 32 slots up front (about 1–1.5 KiB with these item types) and keeps it for the connection's
//! life, which is most of what an idle connection costs after its buffers. This queue is a
//! `VecDeque` that allocates on the first item, gives its room back after a burst, and lets the
//! receiver take everything queued at once, so a pump can write a burst with one syscall.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

/// Room kept after a drain; a burst that needed more gives the rest back.
const KEEP: usize = 16;

struct State<T> {
    items: VecDeque<T>,
    /// The sender was dropped: once `items` is empty, the receiver sees the end.
    sender_gone: bool,
    /// The receiver was dropped: sends fail (and drop their item).
    receiver_gone: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes the receiver; a permit is kept when nobody waits, so no send is missed.
    notify: Notify,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The sending half (one owner; dropping it ends the queue once it is drained).
pub(crate) struct Sender<T>(Arc<Shared<T>>);

/// The receiving half.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

/// A new empty queue (no allocation but the shared header).
pub(crate) fn queue<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            sender_gone: false,
            receiver_gone: false,
        }),
        notify: Notify::new(),
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Sender<T> {
    /// Queues `item`; gives it back if the receiver is gone.
    pub(crate) fn send(&self, item: T) -> Result<(), T> {
        {
            let mut state = self.0.lock();
            if state.receiver_gone {
                return Err(item);
            }
            state.items.push_back(item);
            // Only the first item of a batch needs to wake the receiver.
            if state.items.len() > 1 {
                return Ok(());
            }
        }
        self.0.notify.notify_one();
        Ok(())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.0.lock().sender_gone = true;
        self.0.notify.notify_one();
    }
}

impl<T> Receiver<T> {
    /// The next item; `None` once the sender is gone and everything was taken.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        loop {
            {
                let mut state = self.0.lock();
                if let Some(item) = state.items.pop_front() {
                    shrink(&mut state.items);
                    return Some(item);
                }
                if state.sender_gone {
                    return None;
                }
            }
            self.0.notify.notified().await;
        }
    }

    /// Waits until something is queued (or the sender is gone), then moves every queued item
    /// into `out`, in order. Returns false once the sender is gone and nothing was left.
    pub(crate) async fn recv_all(&mut self, out: &mut Vec<T>) -> bool {
        loop {
            {
                let mut state = self.0.lock();
                if !state.items.is_empty() {
                    out.extend(state.items.drain(..));
                    shrink(&mut state.items);
                    return true;
                }
                if state.sender_gone {
                    return false;
                }
            }
            self.0.notify.notified().await;
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.0.lock();
            state.receiver_gone = true;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock: an item's drop may take other locks.
        drop(items);
    }
}

/// Gives back the room a burst needed once the queue is empty again.
fn shrink<T>(items: &mut VecDeque<T>) {
    if items.is_empty() && items.capacity() > KEEP {
        *items = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_in_order_then_ends() {
        let (tx, mut rx) = queue();
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        tx.send(3).unwrap();
        let mut all = Vec::new();
        assert!(rx.recv_all(&mut all).await);
        assert_eq!(all, [2, 3]);
        drop(tx);
        assert_eq!(rx.recv().await, None);
        assert!(!rx.recv_all(&mut all).await);
    }

    #[tokio::test]
    async fn wakes_a_waiting_receiver_and_refuses_after_it_left() {
        let (tx, mut rx) = queue();
        let waiter = tokio::spawn(async move {
            let first = rx.recv().await;
            (first, rx)
        });
        tokio::task::yield_now().await;
        tx.send("a").unwrap();
        let (first, rx) = waiter.await.unwrap();
        assert_eq!(first, Some("a"));
        drop(rx);
        assert_eq!(tx.send("b"), Err("b"));
    }

    #[test]
    fn gives_back_the_room_of_a_burst() {
        let (tx, mut rx) = queue();
        for i in 0..100 {
            tx.send(i).unwrap();
        }
        let mut out = Vec::new();
        assert!(futures_util::FutureExt::now_or_never(rx.recv_all(&mut out)).unwrap());
        assert_eq!(out.len(), 100);
        assert!(rx.0.lock().items.capacity() <= KEEP);
    }
}
