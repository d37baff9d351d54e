//! Test support: a populated temp folder, the real server on port 0, a raw HTTP/1.1 client.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::time::Duration;

use frontend::Config;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// The content of the file next to (outside) the public folder.
pub const SECRET: &str = "TOP SECRET: must never be served";
/// Upper bound for anything a test waits for; only reached when a test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// The content of Leaflet's `package.json`, inside the vendor folder but outside the mount.
pub const VENDOR_SECRET: &str = "VENDOR PRIVATE: outside leaflet/dist";
/// The content of the fixture's `leaflet.js`.
pub const LEAFLET_JS: &str = "window.L = { version: 'fixture' };\n";
/// The content of the fixture's `leaflet.markercluster.js`.
pub const MARKERCLUSTER_JS: &str = "window.L.MarkerClusterGroup = function () {};\n";

/// A temp dir holding `secret.txt`, the `public/` folder that is served, and a `vendor/`
/// folder (an npm `node_modules`) with `leaflet/dist/` and `leaflet.markercluster/dist/` in it.
pub struct Fixture {
    /// Kept so the folder lives as long as the test.
    _dir: TempDir,
    pub public: PathBuf,
    pub vendor: PathBuf,
}

impl Fixture {
    /// The defaults, serving this fixture's public and vendor folders.
    pub fn config(&self) -> Config {
        let mut config = Config::for_dir(&self.public);
        config.vendor_dir = Some(self.vendor.clone());
        config
    }
}

/// Builds the folder layout every test serves.
pub fn fixture() -> Fixture {
    // Not the default `.tmp` prefix: a hidden parent would mask a broken containment check.
    let dir = tempfile::Builder::new()
        .prefix("meetmap-it-")
        .tempdir()
        .expect("temp dir");
    std::fs::write(dir.path().join("secret.txt"), SECRET).expect("write secret");
    let public = dir.path().join("public");
    for sub in ["js", "css", "sub"] {
        std::fs::create_dir_all(public.join(sub)).expect("mkdir");
    }
    let files: [(&str, &[u8]); 8] = [
        ("index.html", b"<!doctype html><title>meetmap</title>"),
        ("js/app.js", b"export const answer = 42;\n"),
        ("css/x.css", b"body { margin: 0 }\n"),
        ("data.bin", &[0, 1, 2, 3]),
        ("sub/index.html", b"sub index"),
        (".env", b"HIDDEN=1"),
        ("%2e%2e", b"a file literally named %2e%2e"),
        ("notes.txt", b"plain notes"),
    ];
    for (name, contents) in files {
        std::fs::write(public.join(name), contents).expect("write fixture file");
    }
    symlink("../secret.txt", public.join("escape.txt")).expect("file symlink");
    symlink("..", public.join("escape-dir")).expect("dir symlink");
    symlink("js/app.js", public.join("alias.js")).expect("inside symlink");

    let vendor = dir.path().join("vendor");
    let leaflet = vendor.join("leaflet");
    std::fs::create_dir_all(leaflet.join("dist/images")).expect("mkdir");
    std::fs::create_dir_all(vendor.join("leaflet.markercluster/dist")).expect("mkdir");
    let vendor_files: [(&str, &[u8]); 7] = [
        ("leaflet/dist/leaflet.js", LEAFLET_JS.as_bytes()),
        (
            "leaflet/dist/leaflet.css",
            b".leaflet-container { overflow: hidden }\n",
        ),
        ("leaflet/dist/images/layers.png", &[0x89, b'P', b'N', b'G']),
        ("leaflet/package.json", VENDOR_SECRET.as_bytes()),
        (
            "leaflet.markercluster/dist/leaflet.markercluster.js",
            MARKERCLUSTER_JS.as_bytes(),
        ),
        (
            "leaflet.markercluster/dist/MarkerCluster.css",
            b".marker-cluster { position: absolute }\n",
        ),
        (
            "leaflet.markercluster/package.json",
            VENDOR_SECRET.as_bytes(),
        ),
    ];
    for (name, contents) in vendor_files {
        std::fs::write(vendor.join(name), contents).expect("write vendor file");
    }
    symlink("../package.json", leaflet.join("dist/escape.js")).expect("vendor symlink");
    symlink("../../../public", leaflet.join("dist/public")).expect("vendor dir symlink");
    Fixture {
        _dir: dir,
        public,
        vendor,
    }
}

/// Starts the real server on an ephemeral port; it runs until the test ends.
pub async fn start(config: Config) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(frontend::run(
        listener,
        config,
        std::future::pending::<()>(),
    ));
    addr
}

/// One parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `method target` byte for byte (no normalisation) with `Connection: close`.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    send(
        &mut stream,
        method,
        target,
        &[headers, &[("Connection", "close")]].concat(),
    )
    .await;
    read_reply(&mut stream, method == "HEAD").await
}

/// `GET target` with no extra headers.
pub async fn get(addr: SocketAddr, target: &str) -> Reply {
    request(addr, "GET", target, &[]).await
}

/// Asserts each of `targets` is refused (400 or 404) with a body holding none of `secrets`.
pub async fn assert_refused_without(addr: SocketAddr, targets: &[&str], secrets: &[&str]) {
    for target in targets {
        let reply = get(addr, target).await;
        assert!(
            matches!(reply.status, 400 | 404),
            "{target:?} gave {}",
            reply.status
        );
        let text = reply.text();
        assert!(
            !secrets.iter().any(|secret| text.contains(secret)),
            "{target:?} leaked a file outside the mount"
        );
    }
}

/// Writes one request head on an open connection.
pub async fn send(stream: &mut TcpStream, method: &str, target: &str, headers: &[(&str, &str)]) {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .expect("write request");
}

/// Reads exactly one response (head, then `Content-Length` bytes of body).
pub async fn read_reply(stream: &mut TcpStream, is_head: bool) -> Reply {
    tokio::time::timeout(PATIENCE, try_read_reply(stream, is_head))
        .await
        .expect("response within patience")
        .unwrap_or_else(|why| panic!("{why}"))
}

/// What became of a request: answered, the connection closed (or reset) without a
/// complete answer, or nothing at all within the time given.
#[derive(Debug)]
pub enum Outcome {
    Answered(Reply),
    Closed,
    Unanswered,
}

/// Waits up to `within` for the answer to a request already sent on `stream`.
pub async fn outcome(stream: &mut TcpStream, within: Duration) -> Outcome {
    match tokio::time::timeout(within, try_read_reply(stream, false)).await {
        Err(_) => Outcome::Unanswered,
        Ok(Err(_)) => Outcome::Closed,
        Ok(Ok(reply)) => Outcome::Answered(reply),
    }
}

/// Connects to `addr` from the loopback address `source` (all of 127.0.0.0/8 is
/// loopback), so the server sees a client of that address.
pub async fn connect_from(source: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind the source address");
    socket.connect(addr).await.expect("connect")
}

/// Whether the server closes `stream` (cleanly or by reset) within [`PATIENCE`], after
/// what it already sent.
pub async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest)).await;
    matches!(read, Ok(Ok(_)) | Ok(Err(_)))
}

async fn try_read_reply(stream: &mut TcpStream, is_head: bool) -> Result<Reply, String> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let mut chunk = [0; 4096];
        match stream.read(&mut chunk).await {
            Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            end => {
                let got = String::from_utf8_lossy(&buf);
                return Err(format!("connection closed mid-response ({end:?}): {got:?}"));
            }
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ascii head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("header line");
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let mut body = buf[head_end + 4..].to_vec();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| v.parse::<usize>().expect("numeric content-length"));
    if let (false, Some(length)) = (is_head || status == 304, length) {
        while body.len() < length {
            let mut chunk = [0; 4096];
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => body.extend_from_slice(&chunk[..n]),
                _ => return Err("connection closed mid-body".to_owned()),
            }
        }
        assert_eq!(body.len(), length, "body longer than content-length");
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}
