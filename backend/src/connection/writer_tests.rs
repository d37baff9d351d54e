//! Unit tests of `writer.rs`, over real sockets: the order of tungstenite's output and
//! ours, and the torn-write rule.

use super::*;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::Role;

/// How long a test waits for bytes that must come.
const PATIENCE: Duration = Duration::from_secs(5);

/// A server-side writer and the raw client end of its socket.
async fn pair() -> (SocketWriter, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let client = TcpStream::connect(listener.local_addr().expect("address"));
    let (client, accepted) = tokio::join!(client, listener.accept());
    let (server, _) = accepted.expect("accept");
    let socket = WebSocketStream::from_raw_socket(LeanStream::new(server), Role::Server, None);
    (SocketWriter::new(socket.await), client.expect("connect"))
}

/// A masked client ping carrying `payload` (at most 125 bytes).
fn masked_ping(payload: &[u8]) -> Vec<u8> {
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x89, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

#[tokio::test]
async fn a_pong_owed_goes_out_whole_before_the_frames_written_after_it() {
    let (mut writer, mut client) = pair().await;
    client.write_all(&masked_ping(b"owed")).await.expect("ping");
    let read = writer.next().await.expect("a message").expect("a ping");
    assert!(matches!(read, Message::Ping(_)), "{read:?}");
    // The pong is queued in tungstenite, not yet written; the frame comes after it.
    writer
        .write_frames(&[Frame::text("after")])
        .await
        .expect("written");
    let pong = [0x8a, 4, b'o', b'w', b'e', b'd'];
    let text = [0x81, 5, b'a', b'f', b't', b'e', b'r'];
    let mut wire = vec![0; pong.len() + text.len()];
    let read = tokio::time::timeout(PATIENCE, client.read_exact(&mut wire));
    read.await
        .expect("both frames in time")
        .expect("both frames");
    assert_eq!(wire, [&pong[..], &text[..]].concat());
}

#[tokio::test]
async fn after_a_write_cut_short_mid_frame_no_close_frame_follows() {
    let (mut writer, mut client) = pair().await;
    // Far more than the kernel buffers hold while the client does not read.
    let frame = Frame::text(&"x".repeat(32 * 1024 * 1024));
    let frames = [frame.clone()];
    let cut = tokio::time::timeout(Duration::from_millis(200), writer.write_frames(&frames));
    assert!(
        cut.await.is_err(),
        "the write did not finish: it was cut short"
    );
    let reader = tokio::spawn(async move {
        let mut wire = Vec::new();
        let _ = client.read_to_end(&mut wire).await;
        wire
    });
    writer
        .close(
            CloseCode::Away,
            "server shutting down",
            Duration::from_millis(500),
        )
        .await;
    drop(writer);
    let wire = tokio::time::timeout(PATIENCE, reader)
        .await
        .expect("the end of the stream in time")
        .expect("the reader");
    assert!(
        !wire.is_empty() && wire.len() < frame.len(),
        "part of the frame went out"
    );
    assert_eq!(
        wire[..],
        frame.as_bytes()[..wire.len()],
        "nothing but the frame's first bytes: no close frame read as its rest"
    );
}
