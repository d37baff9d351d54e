//! A TCP proxy in front of Redis that can stall some of a node's connections and not the
//! others: a connection is marked once what the node sends on it holds a chosen pattern
//! (`PUBLISH`: the command connection, which publishes presence; `meetmap:lease`: the
//! lease connection), and while the proxy is frozen nothing a marked connection sends
//! reaches Redis, as if the network held it. What is held goes on once thawed, unless the
//! node closed that connection meanwhile (then it is lost with it, as with a reset).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct Proxy {
    pub port: u16,
    frozen: watch::Sender<bool>,
    held: Arc<AtomicUsize>,
    accepting: JoinHandle<()>,
}

impl Proxy {
    /// A proxy on a free port to Redis on `upstream`, marking connections that send
    /// `pattern`.
    pub async fn start(upstream: u16, pattern: &'static [u8]) -> Proxy {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind port 0");
        let port = listener.local_addr().expect("address").port();
        let (frozen, _) = watch::channel(false);
        let held = Arc::new(AtomicUsize::new(0));
        let upstream = SocketAddr::from((Ipv4Addr::LOCALHOST, upstream));
        let gate = Gate {
            frozen: frozen.clone(),
            held: Arc::clone(&held),
            pattern,
        };
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(relay(client, upstream, gate.clone()));
            }
        });
        Proxy {
            port,
            frozen,
            held,
            accepting,
        }
    }

    /// `redis://127.0.0.1:PORT/` through the proxy.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Marked connections' bytes stop here from now on.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Held bytes go on to Redis, and new ones with them.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }

    /// How many writes from the node are held now (a write stalled, not yet failed).
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

#[derive(Clone)]
struct Gate {
    frozen: watch::Sender<bool>,
    held: Arc<AtomicUsize>,
    pattern: &'static [u8],
}

async fn relay(client: TcpStream, upstream: SocketAddr, gate: Gate) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let back = tokio::spawn(copy(server_read, client_write));
    forward(client_read, server_write, gate).await;
    back.abort();
}

/// Server to client: as it comes.
async fn copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf) {
    let _ = tokio::io::copy(&mut from, &mut to).await;
}

/// Client to server, through the gate.
async fn forward(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, gate: Gate) {
    let mut frozen = gate.frozen.subscribe();
    let mut marked = false;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let Ok(read) = from.read(&mut buffer).await else {
            return;
        };
        if read == 0 {
            return;
        }
        let mut chunk = buffer[..read].to_vec();
        marked = marked || contains(&chunk, gate.pattern);
        if marked && *frozen.borrow_and_update() {
            gate.held.fetch_add(1, Ordering::Relaxed);
            let kept = hold(&mut from, &mut frozen, &mut chunk).await;
            gate.held.fetch_sub(1, Ordering::Relaxed);
            if !kept {
                return;
            }
        }
        if to.write_all(&chunk).await.is_err() {
            return;
        }
    }
}

/// Keeps reading into `chunk` until thawed; false if the client closed meanwhile.
async fn hold(
    from: &mut OwnedReadHalf,
    frozen: &mut watch::Receiver<bool>,
    chunk: &mut Vec<u8>,
) -> bool {
    let mut more = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            thawed = frozen.wait_for(|frozen| !frozen) => return thawed.is_ok(),
            read = from.read(&mut more) => match read {
                Ok(0) | Err(_) => return false,
                Ok(read) => chunk.extend_from_slice(&more[..read]),
            },
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
