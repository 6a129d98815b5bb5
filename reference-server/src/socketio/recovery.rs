//! Connection state recovery (socket.io ≥ 4.6, behaviour tag §5): the session-aware adapter's
//! store of disconnected sessions and stamped packets, and `yeast` offsets.
//!
//! ```text
//! offset   = yeast(): the time in ms in base 64 (0-9A-Za-z-_), plus "." seed within one ms
//! persist  on a recoverable reason: {sid, pid, rooms, data, disconnectedAt} keyed by pid
//! restore  40{"pid","offset"}: the pid is known, not older than maxDisconnectionDuration,
//!          and the offset is still kept → the packets after it that the rooms select
//! cleanup  every 60 s: expired sessions and packets older than maxDisconnectionDuration
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sio_protocol::binary::Value;

use super::types::{BroadcastOptions, Room, SocketId};

/// `connectionStateRecovery` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryConfig {
    /// `maxDisconnectionDuration` (default 120 000 ms).
    pub max_disconnection_duration: Duration,
    /// `skipMiddlewares` (default true): a recovered socket skips the middlewares.
    pub skip_middlewares: bool,
}

impl Default for RecoveryConfig {
    fn default() -> Self {
        RecoveryConfig {
            max_disconnection_duration: Duration::from_millis(120_000),
            skip_middlewares: true,
        }
    }
}

/// A disconnected socket's session.
#[derive(Debug, Clone, PartialEq)]
pub struct PersistedSession {
    /// The socket id.
    pub sid: SocketId,
    /// The private session id.
    pub pid: String,
    /// Its rooms (its own id-room included).
    pub rooms: Vec<Room>,
    /// `socket.data`.
    pub data: serde_json::Value,
}

/// A session to restore, with the packets the socket missed (each an EVENT's data array, its
/// offset last).
#[derive(Debug, Clone, PartialEq)]
pub struct RestoredSession {
    /// The session.
    pub session: PersistedSession,
    /// The missed packets' data, in order.
    pub missed: Vec<Value>,
}

const CLEANUP_INTERVAL: Duration = Duration::from_secs(60);

struct Kept {
    offset: String,
    at: Instant,
    rooms: Vec<Room>,
    except: Vec<Room>,
    data: Vec<Value>,
}

/// The session-aware adapter's memory.
pub(crate) struct RecoveryStore {
    config: RecoveryConfig,
    sessions: HashMap<String, (PersistedSession, Instant)>,
    packets: Vec<Kept>,
    last_cleanup: Instant,
}

impl RecoveryStore {
    pub(crate) fn new(config: RecoveryConfig) -> RecoveryStore {
        RecoveryStore {
            config,
            sessions: HashMap::new(),
            packets: Vec::new(),
            last_cleanup: Instant::now(),
        }
    }

    /// The periodic cleanup, run lazily (Node: an unref'd 60 s interval).
    fn cleanup(&mut self, now: Instant) {
        if now.duration_since(self.last_cleanup) < CLEANUP_INTERVAL {
            return;
        }
        self.last_cleanup = now;
        let max = self.config.max_disconnection_duration;
        self.sessions
            .retain(|_, (_, at)| now.duration_since(*at) <= max);
        self.packets.retain(|p| now.duration_since(p.at) <= max);
    }

    pub(crate) fn keep_packet(
        &mut self,
        offset: String,
        opts: &BroadcastOptions,
        data: Vec<Value>,
    ) {
        let now = Instant::now();
        self.cleanup(now);
        self.packets.push(Kept {
            offset,
            at: now,
            rooms: opts.rooms.iter().cloned().collect(),
            except: opts.except.iter().cloned().collect(),
            data,
        });
    }

    pub(crate) fn persist(&mut self, session: PersistedSession) {
        let now = Instant::now();
        self.cleanup(now);
        self.sessions.insert(session.pid.clone(), (session, now));
    }

    pub(crate) fn restore(&mut self, pid: &str, offset: &str) -> Option<RestoredSession> {
        let (session, at) = self.sessions.get(pid)?;
        // "hasExpired = disconnectedAt + maxDisconnectionDuration < now".
        if at.elapsed() > self.config.max_disconnection_duration {
            self.sessions.remove(pid);
            return None;
        }
        let index = self.packets.iter().position(|p| p.offset == offset)?;
        let missed = self.packets[index + 1..]
            .iter()
            .filter(|p| {
                // shouldIncludePacket: in one of the rooms (or to all), and in no except room.
                let included =
                    p.rooms.is_empty() || session.rooms.iter().any(|r| p.rooms.contains(r));
                let excluded = session.rooms.iter().any(|r| p.except.contains(r));
                included && !excluded
            })
            .map(|p| Value::Array(p.data.clone()))
            .collect();
        Some(RestoredSession {
            session: session.clone(),
            missed,
        })
    }
}

const ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

fn encode(mut n: u64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(ALPHABET[(n % 64) as usize]);
        n /= 64;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// One process-wide sequence, as the `yeast` module keeps one: the last millisecond handed out
/// and the seed within it.
static YEAST: Mutex<(u64, u64)> = Mutex::new((0, 0));

/// A unique, time-ordered offset: `yeast()`.
///
/// The clock is read under the lock, and never goes back: two threads reading it outside the
/// lock could hand out the older millisecond last, and the next call would then repeat the newer
/// one (Node's single thread cannot interleave so). A wall clock set back reuses the last
/// millisecond with a seed instead of repeating an offset.
pub(crate) fn yeast() -> String {
    let mut state = super::lock(&YEAST);
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    if ms > state.0 {
        *state = (ms, 0);
        return encode(ms);
    }
    let seed = state.1;
    state.1 += 1;
    format!("{}.{}", encode(state.0), encode(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yeast_ids_are_distinct_and_shaped_like_nodes() {
        assert_eq!(encode(0), "0");
        assert_eq!(encode(64), "10");
        let ids: Vec<String> = (0..50).map(|_| yeast()).collect();
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        assert!(ids[0].len() >= 7, "{}", ids[0]);
    }

    #[test]
    fn yeast_ids_stay_distinct_across_threads() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..2000).map(|_| yeast()).collect::<Vec<_>>()))
            .collect();
        let mut seen = std::collections::HashSet::new();
        for t in threads {
            for id in t.join().expect("thread") {
                assert!(seen.insert(id.clone()), "offset {id} handed out twice");
            }
        }
    }

    #[test]
    fn restore_needs_a_known_pid_and_a_kept_offset() {
        let mut store = RecoveryStore::new(RecoveryConfig::default());
        let all = BroadcastOptions::default();
        let room = BroadcastOptions {
            rooms: ["r1".to_owned()].into_iter().collect(),
            ..Default::default()
        };
        store.keep_packet("a".into(), &all, vec![Value::String("a".into())]);
        store.keep_packet("b".into(), &room, vec![Value::String("b".into())]);
        store.keep_packet("c".into(), &all, vec![Value::String("c".into())]);
        store.persist(PersistedSession {
            sid: "s".into(),
            pid: "p".into(),
            rooms: vec!["s".into()],
            data: serde_json::json!({}),
        });
        assert!(store.restore("nope", "a").is_none());
        assert!(store.restore("p", "zzz").is_none());
        let r = store.restore("p", "a").unwrap();
        assert_eq!(r.missed, [Value::Array(vec![Value::String("c".into())])]);
    }
}
