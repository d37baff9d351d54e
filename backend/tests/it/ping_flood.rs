//! Issue 10, finding 1: one unauthenticated client that sends pings as fast as it can and
//! never reads. Every ping asks for a pong the client never takes; the server must close
//! it within a bounded time, and its memory must not grow with the pongs it cannot send.

use super::binary::{Backend, Launch};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;

/// The largest ping payload a control frame may carry.
const PING_PAYLOAD: usize = 125;
/// Pings per write, so the client sends as fast as the socket takes them.
const PINGS_PER_WRITE: usize = 64;
/// Address space of the server: a leak of pongs aborts it here instead of taking the
/// machine's memory.
const ADDRESS_SPACE_LIMIT: u64 = 1 << 30;
/// How much the server's peak RSS may rise above its RSS before the flood.
const RSS_GROWTH_LIMIT_KIB: u64 = 16 * 1024;
/// How long the flood may go on before the server must have closed the client.
const CLOSE_WITHIN: Duration = Duration::from_secs(20);

/// A masked ping frame with a 125-byte payload, repeated: a client's frames must be masked.
fn pings() -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x89, 0x80 | PING_PAYLOAD as u8];
    frame.extend_from_slice(&mask);
    frame.extend((0..PING_PAYLOAD).map(|i| (i as u8) ^ mask[i % 4]));
    frame.repeat(PINGS_PER_WRITE)
}

/// Opens a WebSocket by hand with a small receive buffer, reads the 101 answer, and hands
/// back the raw stream: from now on the client never reads.
async fn upgraded(backend: &Backend) -> TcpStream {
    let tcp = TcpSocket::new_v4().expect("socket");
    tcp.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let mut stream = tcp.connect(backend.address).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        backend.address
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        assert_eq!(stream.read(&mut byte).await.expect("read the answer"), 1);
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// Sends pings until the server ends the connection (a write fails) or `limit` passes;
/// returns how long it went on and how many pings were sent.
async fn flood(mut stream: TcpStream, limit: Duration) -> (Option<Duration>, usize) {
    let pings = pings();
    let started = Instant::now();
    let mut sent = 0;
    loop {
        match tokio::time::timeout_at(started + limit, stream.write_all(&pings)).await {
            Err(_) => return (None, sent),
            Ok(Err(_)) => return (Some(started.elapsed()), sent),
            Ok(Ok(())) => sent += PINGS_PER_WRITE,
        }
    }
}

#[tokio::test]
async fn a_client_that_pings_and_never_reads_is_closed_and_memory_stays_bounded() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    // The server's own ping tick comes late, so only the client's pings are in play.
    let mut backend = Launch::new()
        .database(&folder.path().join("users.sqlite3"))
        .args(["--ping-interval-ms", "10000", "--idle-timeout-ms", "60000"])
        .pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: ADDRESS_SPACE_LIMIT,
                rlim_max: ADDRESS_SPACE_LIMIT,
            };
            // SAFETY: setrlimit is async-signal-safe; it only changes this child's limit.
            match unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
        .start()
        .await;
    let before = backend.rss_kib();

    let stream = upgraded(&backend).await;
    let (closed_after, sent) = flood(stream, CLOSE_WITHIN).await;
    let peak = backend.peak_rss_kib();
    let alive = backend.is_running();
    let closed_line = backend
        .try_await_log(Duration::from_secs(5), |line| line.contains("closed:"))
        .await;
    println!(
        "ping flood: {sent} pings of {PING_PAYLOAD} bytes sent, closed after {closed_after:?}, \
         RSS {before} KiB before, peak {peak} KiB (+{} KiB); server log: {closed_line:?}",
        peak.saturating_sub(before)
    );

    let closed_after = closed_after.expect("the server closes a client that never reads");
    assert!(closed_after < CLOSE_WITHIN, "{closed_after:?}");
    assert!(alive, "the server is still running");
    assert!(
        peak.saturating_sub(before) < RSS_GROWTH_LIMIT_KIB,
        "peak RSS {peak} KiB from {before} KiB"
    );
    let closed_line = closed_line.expect("the server logs the close");
    assert!(
        closed_line.contains("too slow to read"),
        "logged as a client that does not read: {closed_line}"
    );
    backend.terminate();
    assert!(backend.wait_exit().await.success());
}
