//! A connection's TCP stream as tungstenite reads it: socket reads land in one scratch
//! buffer per worker thread, and only the bytes tungstenite has not asked for yet are kept
//! per connection, until it does. An idle connection holds no read buffer at all.
//!
//! tungstenite reads in small steps (its read buffer is kept small so that thousands of
//! idle connections cost little), so reading the socket in those steps would cost a
//! system call per step; reading it in large steps into a per-connection buffer would
//! cost that buffer on every connection. This is libuv's answer: one shared buffer.

use bytes::{Buf, Bytes};
use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// The most one socket read takes in; a burst beyond it is read by the next call.
const SCRATCH_BYTES: usize = 64 * 1024;

thread_local! {
    /// Initialised once per thread, never per read.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0; SCRATCH_BYTES].into_boxed_slice());
}

/// A TCP stream whose reads go through the thread's scratch buffer.
#[derive(Debug)]
pub struct LeanStream {
    tcp: TcpStream,
    /// Read from the socket but not yet asked for; empty (and unallocated) most of the time.
    unread: Bytes,
}

impl LeanStream {
    pub fn new(tcp: TcpStream) -> Self {
        Self {
            tcp,
            unread: Bytes::new(),
        }
    }

    /// Hands out what is left of an earlier read. The storage is freed with its last byte.
    fn take_unread(&mut self, buf: &mut ReadBuf<'_>) {
        let n = self.unread.len().min(buf.remaining());
        buf.put_slice(&self.unread[..n]);
        self.unread.advance(n);
        if self.unread.is_empty() {
            self.unread = Bytes::new();
        }
    }
}

impl AsyncRead for LeanStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.unread.is_empty() {
            this.take_unread(buf);
            return Poll::Ready(Ok(()));
        }
        if buf.remaining() >= SCRATCH_BYTES / 4 {
            // A large read (a large frame): straight into tungstenite's buffer.
            return Pin::new(&mut this.tcp).poll_read(cx, buf);
        }
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let mut landed = ReadBuf::new(&mut scratch[..]);
            ready!(Pin::new(&mut this.tcp).poll_read(cx, &mut landed))?;
            let landed = landed.filled();
            let n = landed.len().min(buf.remaining());
            buf.put_slice(&landed[..n]);
            if n < landed.len() {
                this.unread = Bytes::copy_from_slice(&landed[n..]);
            }
            Poll::Ready(Ok(()))
        })
    }
}

impl AsyncWrite for LeanStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn pair() -> (TcpStream, LeanStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let client = TcpStream::connect(address).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        (client, LeanStream::new(server))
    }

    #[tokio::test]
    async fn small_reads_get_every_byte_in_order_and_leave_nothing_behind() {
        let (mut client, mut lean) = pair().await;
        let sent: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).await.expect("write");
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let mut step = [0u8; 7];
            let n = lean.read(&mut step).await.expect("read");
            assert!(n > 0);
            got.extend_from_slice(&step[..n]);
        }
        assert_eq!(got, sent);
        assert!(lean.unread.is_empty());
    }

    #[tokio::test]
    async fn a_large_read_bypasses_the_scratch_and_eof_reads_zero() {
        let (mut client, mut lean) = pair().await;
        let sent = vec![7u8; 100_000];
        client.write_all(&sent).await.expect("write");
        drop(client);
        let mut got = Vec::new();
        lean.read_to_end(&mut got).await.expect("read");
        assert_eq!(got, sent);
    }
}
