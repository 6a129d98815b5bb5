//! The Redis channels of `@socket.io/redis-adapter` 8.3.0 for one namespace.
//!
//! ```text
//! <key>#<nsp>#                  broadcasts (all, several rooms, except only); nodes PSUBSCRIBE <key>#<nsp>#*
//! <key>#<nsp>#<room>#           a broadcast to exactly one room
//! <key>-request#<nsp>#          requests              (counted by PUBSUB NUMSUB)
//! <key>-response#<nsp>#         responses (default)
//! <key>-response#<nsp>#<uid>#   responses with publishOnSpecificResponseChannel
//! ```

/// The adapter's default key prefix (its `key` option).
pub const DEFAULT_KEY: &str = "socket.io";

/// The channels of one namespace under one key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channels {
    broadcast: String,
    request: String,
    response: String,
}

impl Channels {
    /// The channels of namespace `nsp` (e.g. `/`) under `key` (e.g. [`DEFAULT_KEY`]).
    pub fn new(key: &str, nsp: &str) -> Self {
        Channels {
            broadcast: format!("{key}#{nsp}#"),
            request: format!("{key}-request#{nsp}#"),
            response: format!("{key}-response#{nsp}#"),
        }
    }

    /// Where a broadcast goes: its room's channel when it targets exactly one room, else the
    /// namespace's channel.
    pub fn broadcast(&self, rooms: &[String]) -> String {
        match rooms {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }

    /// The pattern every node subscribes to for broadcasts.
    pub fn broadcast_pattern(&self) -> String {
        format!("{}*", self.broadcast)
    }

    pub fn request(&self) -> &str {
        &self.request
    }

    pub fn response(&self) -> &str {
        &self.response
    }

    /// The response channel of the node `uid` (used with `publishOnSpecificResponseChannel`).
    pub fn specific_response(&self, uid: &str) -> String {
        format!("{}{uid}#", self.response)
    }

    /// How a receiver reads a broadcast channel: `None` when it is not this namespace's,
    /// `Some("")` for the namespace channel, else the room. The receiver drops the prefix and
    /// the **last character, whatever it is** (`<key>#/#r1!` is room `r1`).
    pub fn room_of<'c>(&self, channel: &'c str) -> Option<&'c str> {
        let rest = channel.strip_prefix(&self.broadcast)?;
        let mut chars = rest.chars();
        chars.next_back();
        Some(chars.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{Channels, DEFAULT_KEY};

    #[test]
    fn one_room_has_its_own_channel_and_several_share_the_namespaces() {
        let channels = Channels::new(DEFAULT_KEY, "/");
        assert_eq!(channels.broadcast(&["r1".into()]), "socket.io#/#r1#");
        assert_eq!(channels.broadcast(&[]), "socket.io#/#");
        assert_eq!(
            channels.broadcast(&["a".into(), "b".into()]),
            "socket.io#/#"
        );
        assert_eq!(channels.request(), "socket.io-request#/#");
        // Every node's PSUBSCRIBE: the namespace's channel and every room's under it.
        assert_eq!(channels.broadcast_pattern(), "socket.io#/#*");
        assert_eq!(
            channels.specific_response("nodeA1"),
            "socket.io-response#/#nodeA1#"
        );
    }

    #[test]
    fn the_room_is_the_channel_minus_its_last_character() {
        let channels = Channels::new(DEFAULT_KEY, "/");
        assert_eq!(channels.room_of("socket.io#/#r1#"), Some("r1"));
        assert_eq!(channels.room_of("socket.io#/#a#b#"), Some("a#b"));
        assert_eq!(channels.room_of("socket.io#/#r1!"), Some("r1"));
        assert_eq!(channels.room_of("socket.io#/#"), Some(""));
        assert_eq!(channels.room_of("socket.io#/custom#x#"), None);
    }
}
