//! Finding 9: `--max-connections` defaulted to 20,000 whatever the open-file limit, so at
//! a soft limit of 1,024 idle connections from a few addresses locked everyone out (no
//! 503: `accept` failed with "Too many open files").

use crate::it::binary::Launch;
use crate::it::harness::PATIENCE;
use futures_util::StreamExt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use tokio::net::TcpSocket;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error, Message};

/// The child's open-file limit, soft and hard.
const LIMIT: libc::rlim_t = 512;

/// Connections the attack opens, from six addresses.
const ATTACK: usize = 300;

/// Opens a WebSocket from `source`: `Ok(socket)`, or `Err(status)` of a refused upgrade.
async fn open_from(
    source: IpAddr,
    server: SocketAddr,
) -> Result<tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>, u16> {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source, 0)).expect("bind");
    let stream = socket.connect(server).await.map_err(|_| 0u16)?;
    let request = format!("ws://{server}/")
        .into_client_request()
        .expect("request");
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((socket, _)) => Ok(socket),
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(_) => Err(0),
    }
}

fn source(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, n))
}

#[tokio::test]
async fn idle_sockets_at_the_descriptor_limit_get_503_and_are_closed_by_the_deadline() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let mut backend = Launch::new()
        .database(&folder.path().join("users.sqlite3"))
        .args(["--register-timeout-ms", "1000", "--ping-interval-ms", "200"])
        .pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            // SAFETY: setrlimit is async-signal-safe and only reads the struct.
            match unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })
        .start()
        .await;
    let cap_line = backend
        .await_log(PATIENCE, |line| {
            line.contains("connections (open-file limit")
        })
        .await;
    println!("{cap_line}");

    let started = Instant::now();
    let (mut held, mut refused) = (Vec::new(), 0);
    for n in 0..ATTACK {
        match open_from(source(2 + (n % 6) as u8), backend.address).await {
            Ok(socket) => held.push(socket),
            Err(503) => refused += 1,
            Err(other) => panic!("connection {n}: {other} instead of 101 or 503"),
        }
    }
    println!(
        "{ATTACK} idle connections at a limit of {LIMIT} files: {} held, {refused} got 503",
        held.len()
    );
    assert!(refused > 0 && held.len() < LIMIT as usize);

    // Everyone else is locked out only until the deadline closes the idle ones.
    let friend = loop {
        match open_from(source(20), backend.address).await {
            Ok(socket) => break socket,
            Err(503) => tokio::task::yield_now().await,
            Err(other) => panic!("{other}"),
        }
        assert!(started.elapsed() < PATIENCE * 2, "still locked out");
    };
    println!("a newcomer got in after {:?}", started.elapsed());
    drop(friend);
    // Every idle one was closed by the server (with 1008 where the close frame was read
    // before the socket went; a client that never reads may see the connection end first).
    let mut policy_closes = 0;
    for mut socket in held {
        let ended = tokio::time::timeout(PATIENCE, async {
            while let Some(Ok(message)) = socket.next().await {
                if let Message::Close(frame) = message {
                    return frame.map(|f| u16::from(f.code));
                }
            }
            None
        });
        if ended.await.expect("closed in time") == Some(1008) {
            policy_closes += 1;
        }
    }
    println!("idle connections closed with 1008: {policy_closes}");
    assert!(
        !backend
            .log_lines()
            .iter()
            .any(|l| l.contains("accept failed")),
        "accept never ran out of descriptors"
    );
}
