//! A real coturn for the tests: `turnserver` with the shipped `deploy/turnserver.conf`, on
//! free loopback ports in a temp folder with a generated secret, killed on drop; and
//! coturn's own TURN client, `turnutils_uclient`, to allocate through it.

use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Relay ports each test server gets: one per allocation, and allocations refused a
/// permission stay until their lifetime ends.
const RELAY_PORTS: u16 = 100;

/// The shipped settings that a test replaces with its own.
const REPLACED: [&str; 5] = [
    "listening-port",
    "min-port",
    "max-port",
    "static-auth-secret",
    "syslog",
];

pub struct Coturn {
    child: Child,
    pub port: u16,
    pub secret: String,
    folder: TempDir,
}

impl Coturn {
    /// coturn with the shipped config; `None` (and a printed reason) when it is not
    /// installed outside CI, which installs it (`.ci/run`).
    pub fn start() -> Option<Self> {
        if Command::new("turnserver")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(std::env::var_os("CI").is_none(), "coturn is not installed");
            eprintln!("coturn (turnserver) is not installed: the TURN tests are skipped");
            return None;
        }
        let folder = TempDir::new().expect("temp dir");
        let port = free_udp_port();
        let relay = free_udp_range(RELAY_PORTS);
        let secret = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let conf = folder.path().join("turnserver.conf");
        std::fs::write(&conf, test_conf(folder.path(), port, relay, &secret)).expect("conf");
        let child = Command::new("turnserver")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver starts");
        let coturn = Self {
            child,
            port,
            secret,
            folder,
        };
        coturn.await_ready();
        Some(coturn)
    }

    /// Allocates a relay with `username`/`password` and asks for a permission to `peer`
    /// (a channel bind), as coturn's own client does; what it printed, and whether it
    /// succeeded.
    pub fn allocate(&self, username: &str, password: &str, peer: &str) -> Output {
        let output = Command::new("turnutils_uclient")
            .args(["-p", &self.port.to_string(), "-u", username, "-w", password])
            // One client, one message, no RTCP allocation: a loopback relay cannot send it
            // off this host.
            .args(["-e", peer, "-n", "1", "-m", "1", "-c", "127.0.0.1"])
            .stdin(Stdio::null())
            .output()
            .expect("turnutils_uclient runs");
        let Output {
            status,
            stdout,
            stderr,
        } = output;
        let stdout = [stdout, stderr].concat();
        Output {
            status,
            stdout,
            stderr: Vec::new(),
        }
    }

    /// coturn's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("turn.log")).unwrap_or_default()
    }

    /// Waits until coturn answers a STUN binding request on its port.
    fn await_ready(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut request = vec![0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42];
        request.extend((0..12).map(|_| fastrand::u8(..)));
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut answer = [0u8; 512];
        while Instant::now() < deadline {
            let _ = socket.send_to(&request, ("127.0.0.1", self.port));
            if let Ok((n, _)) = socket.recv_from(&mut answer)
                && n >= 20
                && answer[0..2] == [1, 1]
            {
                return;
            }
        }
        panic!(
            "coturn did not answer on {} in time: {}",
            self.port,
            self.log()
        );
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The shipped config with the test's ports, secret and files: loopback only, its own
/// user database and pid file, the log in the folder.
fn test_conf(folder: &std::path::Path, port: u16, relay: u16, secret: &str) -> String {
    let shipped = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/turnserver.conf");
    let shipped = std::fs::read_to_string(shipped).expect("deploy/turnserver.conf");
    let kept = shipped.lines().filter(|line| {
        let key = line.split('=').next().unwrap_or_default().trim();
        !REPLACED.contains(&key)
    });
    let mut conf: Vec<String> = kept.map(str::to_owned).collect();
    let file = |name: &str| folder.join(name).display().to_string();
    conf.extend([
        "listening-ip=127.0.0.1".to_owned(),
        "relay-ip=127.0.0.1".to_owned(),
        format!("listening-port={port}"),
        format!("min-port={relay}"),
        format!("max-port={}", relay + RELAY_PORTS - 1),
        format!("static-auth-secret={secret}"),
        "no-tls".to_owned(),
        "no-dtls".to_owned(),
        format!("userdb={}", file("turndb")),
        format!("pidfile={}", file("turnserver.pid")),
        format!("log-file={}", file("turn.log")),
        "simple-log".to_owned(),
    ]);
    conf.join("\n") + "\n"
}

fn free_udp_port() -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.local_addr().expect("address").port()
}

/// The first of `count` consecutive UDP ports free on loopback now.
fn free_udp_range(count: u16) -> u16 {
    for _ in 0..200 {
        let first = fastrand::u16(40_000..60_000);
        let free = (first..first + count).all(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok());
        if free {
            return first;
        }
    }
    panic!("no {count} consecutive free UDP ports");
}
