//! A real `redis-server` for the cluster tests: on a free port, in a temporary folder,
//! nothing saved, killed when dropped; restartable on the same port.

use super::super::harness::PATIENCE;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tempfile::TempDir;
use tokio::time::Instant;

/// Where Debian's package puts the server; `REDIS_SERVER` names another.
fn redis_server() -> PathBuf {
    std::env::var_os("REDIS_SERVER")
        .map_or_else(|| PathBuf::from("/usr/bin/redis-server"), PathBuf::from)
}

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    folder: TempDir,
}

impl Redis {
    /// Starts a server on a free port (another one if that port was taken meanwhile).
    pub async fn start() -> Redis {
        let mut folder = tempfile::tempdir().expect("temporary folder");
        for _ in 0..5 {
            let port = free_port();
            let mut redis = Redis {
                child: None,
                port,
                folder,
            };
            if redis.spawn().await {
                return redis;
            }
            folder = redis.into_folder();
        }
        panic!("redis-server did not start on any free port");
    }

    fn into_folder(mut self) -> TempDir {
        self.stop();
        let folder = tempfile::tempdir().expect("temporary folder");
        std::mem::replace(&mut self.folder, folder)
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the process on `self.port`; whether it answers `PING` in time.
    async fn spawn(&mut self) -> bool {
        let child = Command::new(redis_server())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.folder.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server (apt install redis-server)");
        self.child = Some(child);
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.answers() {
                return true;
            }
            if let Some(child) = &mut self.child
                && child.try_wait().ok().flatten().is_some()
            {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    /// Whether the server answers `PING` now.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut answer = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// One command's simple answer, read straight off the wire (RESP) beside the nodes: a
    /// bulk string's value, `None` for nil, or an integer's or status's text.
    pub fn query(&self, args: &[&str]) -> Option<String> {
        let mut stream =
            TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect to redis");
        let _ = stream.set_read_timeout(Some(PATIENCE));
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes()).expect("send to redis");
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(reply) = reply(&answer) {
                return reply;
            }
            let read = stream.read(&mut chunk).expect("redis answers");
            assert!(read > 0, "redis closed before answering {args:?}");
            answer.extend_from_slice(&chunk[..read]);
        }
    }

    /// Kills the server (SIGKILL: everything in it is lost).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again, empty, on the same port.
    pub async fn restart(&mut self) {
        assert!(
            self.spawn().await,
            "redis-server restarted on port {}",
            self.port
        );
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A whole simple reply in `answer`, if it is all there (`Some(None)`: nil).
fn reply(answer: &[u8]) -> Option<Option<String>> {
    let text = String::from_utf8_lossy(answer);
    let (head, rest) = text.split_once("\r\n")?;
    let Some(length) = head.strip_prefix('$') else {
        return Some(Some(head.get(1..).unwrap_or_default().to_owned()));
    };
    let Ok(length) = length.parse::<usize>() else {
        return Some(None);
    };
    let value = rest.get(..length)?;
    rest.get(length..)?
        .starts_with("\r\n")
        .then(|| Some(value.to_owned()))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind port 0");
    listener.local_addr().expect("address").port()
}
