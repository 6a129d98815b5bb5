//! A read side that keeps no buffer while a connection is idle, under tungstenite's small one.
//!
//! tungstenite reads at most its `read_buffer_size` per syscall and keeps that buffer for the
//! connection's life. A large buffer costs every idle connection its size; a small one costs a
//! syscall per few hundred bytes of a large message or a burst. [`ReadAhead`] reads into a
//! per-thread scratch buffer, hands tungstenite what fits, and keeps the rest in a buffer of
//! its own only until tungstenite has taken it (then it is freed): one syscall per
//! [`SCRATCH`] bytes, and nothing held between messages.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most one read syscall takes.
const SCRATCH: usize = 16 * 1024;

thread_local! {
    static SCRATCH_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH].into_boxed_slice());
}

/// `io` with read-ahead through a per-thread scratch buffer (writes go straight through).
pub(super) struct ReadAhead<T> {
    io: T,
    /// Bytes read and not handed out yet (empty, unallocated, most of the time).
    rest: Vec<u8>,
    /// How much of `rest` was handed out.
    taken: usize,
}

impl<T> ReadAhead<T> {
    pub(super) fn new(io: T) -> ReadAhead<T> {
        ReadAhead {
            io,
            rest: Vec::new(),
            taken: 0,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ReadAhead<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.taken < this.rest.len() {
            let n = buf.remaining().min(this.rest.len() - this.taken);
            buf.put_slice(&this.rest[this.taken..this.taken + n]);
            this.taken += n;
            if this.taken == this.rest.len() {
                this.rest = Vec::new();
                this.taken = 0;
            }
            return Poll::Ready(Ok(()));
        }
        // A caller with room enough reads directly.
        if buf.remaining() >= SCRATCH {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        SCRATCH_BUF.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let mut read = ReadBuf::new(&mut scratch[..]);
            match Pin::new(&mut this.io).poll_read(cx, &mut read) {
                Poll::Ready(Ok(())) => {
                    let got = read.filled();
                    let n = buf.remaining().min(got.len());
                    buf.put_slice(&got[..n]);
                    if n < got.len() {
                        this.rest = got[n..].to_vec();
                        this.taken = 0;
                    }
                    Poll::Ready(Ok(()))
                }
                other => other,
            }
        })
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ReadAhead<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn hands_out_everything_in_order_through_small_reads() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let data: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&data).await.unwrap();
        drop(client);
        let mut reader = ReadAhead::new(server);
        let mut got = Vec::new();
        let mut chunk = [0u8; 300];
        loop {
            let n = reader.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, data);
        assert_eq!(reader.rest.capacity(), 0);
    }
}
