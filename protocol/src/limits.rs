//! Resource limits the decoders enforce, with the defaults of the Node server
//! (engine.io 6.6.12 `maxHttpBufferSize`, socket.io-parser 4.2.7 `maxAttachments`).

/// Limits applied by the decoders. `Limits::default()` is Node's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest number of binary attachments a BINARY_EVENT / BINARY_ACK header may announce
    /// (socket.io-parser `maxAttachments`, default 10; more → "too many attachments").
    pub max_attachments: usize,
    /// Largest WebSocket frame or polling request body, in bytes (engine.io `maxHttpBufferSize`,
    /// default 1e6, announced as `maxPayload` in the handshake). Larger → `TooLarge`.
    pub max_payload: usize,
}

impl Limits {
    /// Node's defaults: 10 attachments, 1 000 000 bytes.
    pub const NODE: Limits = Limits {
        max_attachments: 10,
        max_payload: 1_000_000,
    };
    /// No limits at all (for tools that inspect captured traffic).
    pub const UNLIMITED: Limits = Limits {
        max_attachments: usize::MAX,
        max_payload: usize::MAX,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::NODE
    }
}
