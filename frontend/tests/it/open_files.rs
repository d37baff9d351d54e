//! The real binary under a low open-file limit: a flood of connections larger than the
//! limit gets `503`s (or closes) instead of exhausting the descriptors, and the server
//! keeps answering.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::support::{Fixture, Outcome, connect_from, fixture, outcome, send};

/// The open-file limit of the server's process, soft and hard: the server can only raise
/// its soft limit to the hard one, so both are set.
const LIMIT: u64 = 256;
/// Connections opened one by one, well past what the limit allows.
const FLOOD: usize = 400;
/// Connections opened at once on top of them, past the refusals' bound.
const BURST: usize = 200;
const FLOODER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const NEIGHBOUR: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
/// How long one request may wait for its answer before it counts as unanswered.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// The server's process, killed when the test ends.
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The cap the server logged.
    cap: usize,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Descriptors the server's process has open now (Linux), for the figures.
    fn open_descriptors(&self) -> Option<usize> {
        let dir = format!("/proc/{}/fd", self.child.id());
        std::fs::read_dir(dir).ok().map(Iterator::count)
    }
}

/// Starts the frontend binary with both open-file limits at [`LIMIT`], no per-address cap
/// (so the total, derived from the limit, is what the flood meets) and a header timeout
/// longer than the test, so the flood's idle connections stay open.
fn start_under_limit(fx: &Fixture) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontend"));
    command
        .args(["--listen", "127.0.0.1:0", "--max-connections-per-ip", "0"])
        .args(["--header-timeout-ms", "60000"])
        .arg("--public-dir")
        .arg(&fx.public)
        .arg("--vendor-dir")
        .arg(&fx.vendor)
        .env_clear()
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe, and the closure allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: LIMIT,
                rlim_max: LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("start the frontend binary");
    let stderr = child.stderr.take().expect("piped stderr");
    let (lines, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("server: {line}");
            // Read to the end even once nobody listens, so the server never blocks on a
            // full pipe.
            let _ = lines.send(line);
        }
    });
    let mut server = Server {
        child,
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        cap: 0,
    };
    while server.addr.port() == 0 || server.cap == 0 {
        let line = log
            .recv_timeout(Duration::from_secs(10))
            .expect("the server logs its address and cap");
        if let Some(addr) = between(&line, "on http://", "/") {
            server.addr = addr.parse().expect("a socket address");
        }
        if let Some(cap) = between(&line, "connections capped at ", " ") {
            server.cap = cap.parse().expect("a number");
        }
    }
    server
}

fn between<'a>(line: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let rest = &line[line.find(before)? + before.len()..];
    Some(&rest[..rest.find(after)?])
}

/// What a flood's connections got: the admitted ones (kept open), `503`s and closes.
#[derive(Default)]
struct Tally {
    admitted: Vec<TcpStream>,
    refused: usize,
    closed: usize,
}

impl Tally {
    fn count(&mut self, what: &str, stream: TcpStream, outcome: Outcome) {
        match outcome {
            Outcome::Answered(reply) if reply.status == 200 => self.admitted.push(stream),
            Outcome::Answered(reply) if reply.status == 503 => {
                assert_eq!(reply.header("retry-after"), Some("5"), "{what}");
                self.refused += 1;
            }
            Outcome::Closed => self.closed += 1,
            other => panic!("{what}: {other:?}"),
        }
    }
}

/// Opens `count` connections from [`FLOODER`] one after the other, each with a request.
async fn flood_one_by_one(addr: SocketAddr, count: usize) -> Tally {
    let mut tally = Tally::default();
    for i in 0..count {
        let mut stream = connect_from(FLOODER, addr).await;
        send(&mut stream, "GET", "/", &[]).await;
        let answer = outcome(&mut stream, ANSWER_WITHIN).await;
        tally.count(&format!("connection {i} of the flood"), stream, answer);
    }
    tally
}

/// Opens `count` connections from [`FLOODER`] all at once, each with a request.
async fn flood_at_once(addr: SocketAddr, count: usize) -> Tally {
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = connect_from(FLOODER, addr).await;
                send(&mut stream, "GET", "/", &[]).await;
                let answer = outcome(&mut stream, ANSWER_WITHIN).await;
                (stream, answer)
            })
        })
        .collect();
    let mut tally = Tally::default();
    for (i, task) in tasks.into_iter().enumerate() {
        let (stream, answer) = task.await.expect("client task");
        tally.count(&format!("connection {i} of the burst"), stream, answer);
    }
    tally
}

/// Requests `/` from [`NEIGHBOUR`] until it is answered `200` (a place given back once
/// the server's task ends, just after the socket closes); how long that took.
async fn neighbour_served(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    while started.elapsed() < ANSWER_WITHIN * 2 {
        let mut stream = connect_from(NEIGHBOUR, addr).await;
        send(&mut stream, "GET", "/", &[("Connection", "close")]).await;
        match outcome(&mut stream, ANSWER_WITHIN).await {
            Outcome::Answered(reply) if reply.status == 200 => return started.elapsed(),
            Outcome::Answered(reply) if reply.status == 503 => {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            other => panic!("after the flood: {other:?}"),
        }
    }
    panic!("never served again");
}

#[tokio::test]
async fn flood_past_the_open_file_limit_gets_503s_and_the_server_keeps_answering() {
    let fx = fixture();
    let server = start_under_limit(&fx);
    assert_eq!(server.cap as u64, LIMIT - frontend::DESCRIPTOR_MARGIN);

    let flood_started = Instant::now();
    let flood = flood_one_by_one(server.addr, FLOOD).await;
    let flood_took = flood_started.elapsed();
    let burst = flood_at_once(server.addr, BURST).await;
    let descriptors = server.open_descriptors();

    // Full: another address is still answered, at once, and told to retry.
    let started = Instant::now();
    let mut neighbour = connect_from(NEIGHBOUR, server.addr).await;
    send(&mut neighbour, "GET", "/", &[]).await;
    let while_full = outcome(&mut neighbour, ANSWER_WITHIN).await;
    let full_took = started.elapsed();

    // The flood's connections closed: their places come back.
    let (admitted, refused, closed) = (flood.admitted.len(), flood.refused, flood.closed);
    drop(flood.admitted);
    let served_after = neighbour_served(server.addr).await;
    println!(
        "open-file limit {LIMIT}, cap {}: {FLOOD} connections from {FLOODER} one by one in {flood_took:?}: \
         {admitted} served, {} answered 503, {} closed; then {BURST} at once: {} answered 503, {} closed; \
         server descriptors open: {descriptors:?}; {NEIGHBOUR} answered in {full_took:?} while full, \
         200 in {served_after:?} after the flood closed",
        server.cap, refused, closed, burst.refused, burst.closed,
    );
    assert_eq!(admitted, server.cap, "every place taken, no more");
    assert_eq!(admitted + refused + closed, FLOOD);
    assert!(refused > 0, "no 503 seen");
    assert!(burst.admitted.is_empty(), "served past the cap");
    assert!(
        matches!(&while_full, Outcome::Answered(reply) if reply.status == 503),
        "{while_full:?}"
    );
    assert!(full_took < ANSWER_WITHIN, "{full_took:?}");
}
