//! Session ids shaped like Node's `base64id`: 15 bytes (12 random, then the low 3 bytes of a
//! process-wide counter), base64 with `/`→`_` and `+`→`-`: 20 URL-safe characters.

use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use rand::RngCore;

/// Node's `base64id` keeps one sequence counter for the whole process; so do we.
static SEQUENCE: AtomicU32 = AtomicU32::new(0);

/// A fresh 20-character session id. The first one of the process ends in `AAAA`, as Node's.
pub fn generate() -> String {
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let mut raw = [0u8; 15];
    rand::rng().fill_bytes(&mut raw[..12]);
    raw[12..].copy_from_slice(&seq.to_be_bytes()[1..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_twenty_url_safe_chars_and_distinct() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), 20);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{a}"
        );
        assert_ne!(a, b);
    }
}
