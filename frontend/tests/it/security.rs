//! Scenarios where the client is hostile (path traversal, slow or huge request heads) and
//! the security headers every response carries.

use std::time::{Duration, Instant};

use frontend::{Config, Millis};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{
    PATIENCE, Reply, SECRET, VENDOR_SECRET, assert_refused_without, fixture, get, request, start,
};

#[tokio::test]
async fn traversal_is_refused_in_every_form() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    // Sanity check: the secret is reachable on disk right next to the public folder.
    let secret_path = fx.public.join("../secret.txt");
    assert_eq!(
        std::fs::read_to_string(secret_path).expect("secret"),
        SECRET
    );

    let targets = [
        "/../secret.txt",
        "/js/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%252e%252e/secret.txt",
        "/.%2e/secret.txt",
        "/%2e./secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%00",
        "/index.html%00.js",
        "//etc/passwd",
        "//../secret.txt",
        "/C:/Windows/win.ini",
        "/%C0%AE%C0%AE/secret.txt",
        "/%ff",
        "/escape.txt",
        "/escape-dir/secret.txt",
        "/escape-dir/",
        "/escape-dir",
        "/js/%2e%2e/%2e%2e/secret.txt",
        "http://test/../secret.txt",
        "http://test/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2e%2e%5csecret.txt",
        "/%5c..%5csecret.txt",
        "/..;/secret.txt",
        "/js/..;/..;/secret.txt",
        "/%c0%af../secret.txt",
        "/%c0%2e%c0%2e/secret.txt",
        "/%e0%80%ae%e0%80%ae/secret.txt",
        "/%EF%BC%8E%EF%BC%8E/secret.txt",
        "/%u002e%u002e/secret.txt",
        "/...//secret.txt",
        "/..../secret.txt",
        "/js/./../../secret.txt",
        "/js/%2E/%2E%2E/%2E%2E/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/js%2f..%2f..%2fsecret.txt",
        "/file:%2f%2f%2fetc%2fpasswd",
        "/%2fetc%2fpasswd",
        "/\\..\\secret.txt",
        "/..%00/secret.txt",
        "/%0a../secret.txt",
        "/escape.txt/",
        "/escape-dir/secret.txt%00",
    ];
    assert_refused_without(addr, &targets, &["SECRET"]).await;
}

#[tokio::test]
async fn double_encoded_dots_are_a_literal_name() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let reply = get(addr, "/%252e%252e").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "a file literally named %2e%2e");
    assert_eq!(get(addr, "/%252e%252e/secret.txt").await.status, 404);
}

#[tokio::test]
async fn slow_headers_are_cut_off() {
    let fx = fixture();
    let mut config = Config::for_dir(&fx.public);
    config.header_timeout = Millis::new(200);
    let addr = start(config).await;

    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /ind")
        .await
        .expect("write partial request line");
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut rest)).await;
    // Closed (cleanly or by reset) well before the test's patience runs out.
    assert!(closed.is_ok(), "server kept a slow client open");
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
}

#[tokio::test]
async fn oversized_headers_are_refused() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let filler = "a".repeat(64 * 1024);
    let request = format!("GET / HTTP/1.1\r\nHost: test\r\nX-Filler: {filler}\r\n\r\n");
    // The server may close before everything is written; that counts as refusing.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut reply))
        .await
        .expect("server answered or closed");
    if read.is_ok() && !reply.is_empty() {
        let text = String::from_utf8_lossy(&reply);
        assert!(text.starts_with("HTTP/1.1 431"), "{text}");
    }
}

/// A request head of exactly `size` bytes (a filler header makes up the rest).
fn head_of_size(size: usize) -> String {
    let start = "GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\nX-Filler: ";
    let end = "\r\n\r\n";
    let filler = "a".repeat(size - start.len() - end.len());
    format!("{start}{filler}{end}")
}

/// Sends `head` and returns what the server answered before closing (maybe nothing).
async fn raw_exchange(addr: std::net::SocketAddr, head: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may close before everything is written; that counts as refusing.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut reply))
        .await
        .expect("server answered or closed");
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn header_limit_is_16_kib() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let under = raw_exchange(addr, &head_of_size(15 * 1024)).await;
    assert!(under.starts_with("HTTP/1.1 200"), "{under:.60}");
    for size in [17 * 1024, 64 * 1024, 1024 * 1024] {
        let over = raw_exchange(addr, &head_of_size(size)).await;
        assert!(
            over.is_empty() || over.starts_with("HTTP/1.1 431"),
            "{size} bytes: {over:.60}"
        );
        assert!(!over.contains("meetmap"), "{size} bytes were served");
    }
    // Many small headers add up the same way.
    let many: String = (0..2000).map(|i| format!("X-H{i}: v\r\n")).collect();
    let over = raw_exchange(addr, &format!("GET / HTTP/1.1\r\nHost: test\r\n{many}\r\n")).await;
    assert!(
        over.is_empty() || over.starts_with("HTTP/1.1 431"),
        "{over:.60}"
    );
}

#[tokio::test]
async fn slowloris_trickling_a_head_is_cut_off() {
    let fx = fixture();
    let mut config = Config::for_dir(&fx.public);
    config.header_timeout = Millis::new(300);
    let addr = start(config).await;

    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // One byte every 50 ms of a head that would never end: the server sees steady
    // progress, which must not extend the header timeout.
    let trickle = tokio::spawn(async move {
        let head = format!(
            "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: {}",
            "a".repeat(1000)
        );
        let mut sent = 0;
        for byte in head.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sent
    });
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, reader.read_to_end(&mut rest)).await;
    let elapsed = started.elapsed();
    trickle.abort();
    assert!(
        closed.is_ok(),
        "a client trickling its head was kept open for {elapsed:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(2),
        "cut off after {elapsed:?}, expected about the 300 ms header timeout"
    );
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
    println!("slowloris: cut off after {elapsed:?} (header timeout 300 ms)");
}

/// The value every response must carry for each fixed security header.
const FIXED_HEADERS: [(&str, &str); 5] = [
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    (
        "permissions-policy",
        "camera=(self), microphone=(self), geolocation=(self), display-capture=(), usb=(), payment=()",
    ),
    ("cross-origin-opener-policy", "same-origin"),
    ("x-frame-options", "DENY"),
];

fn assert_security_headers(what: &str, reply: &Reply, csp: &str) {
    for (name, value) in FIXED_HEADERS {
        assert_eq!(reply.header(name), Some(value), "{what}: {name}");
    }
    assert_eq!(
        reply.header("content-security-policy"),
        Some(csp),
        "{what}: content-security-policy"
    );
    let count = reply
        .headers
        .iter()
        .filter(|(n, _)| n == "content-security-policy")
        .count();
    assert_eq!(count, 1, "{what}: one policy");
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let fx = fixture();
    let mut config = fx.config();
    config.ws_url = Some("ws://127.0.0.1:41234/".to_owned());
    config.tile_url = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png".to_owned();
    let addr = start(config).await;
    let csp = "default-src 'none'; script-src 'self'; style-src 'self'; \
               img-src 'self' data: https://*.tile.openstreetmap.org; \
               connect-src 'self' ws://127.0.0.1:41234; media-src 'self' blob: mediastream:; \
               font-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; \
               form-action 'self'; frame-ancestors 'none'";
    let etag = get(addr, "/")
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let replies = [
        ("index", get(addr, "/").await),
        ("script", get(addr, "/js/app.js").await),
        ("config", get(addr, "/config.json").await),
        ("leaflet js", get(addr, "/vendor/leaflet/leaflet.js").await),
        (
            "leaflet css",
            get(addr, "/vendor/leaflet/leaflet.css").await,
        ),
        (
            "leaflet image",
            get(addr, "/vendor/leaflet/images/layers.png").await,
        ),
        ("leaflet 404", get(addr, "/vendor/leaflet/nope.js").await),
        ("404", get(addr, "/nope").await),
        ("hidden 404", get(addr, "/.env").await),
        ("400", get(addr, "/%00").await),
        ("traversal 400", get(addr, "/../secret.txt").await),
        ("301", get(addr, "/sub").await),
        ("head", request(addr, "HEAD", "/", &[]).await),
        (
            "405",
            request(addr, "POST", "/", &[("Content-Length", "0")]).await,
        ),
        (
            "304",
            request(addr, "GET", "/", &[("If-None-Match", &etag)]).await,
        ),
    ];
    let statuses: Vec<u16> = replies.iter().map(|(_, r)| r.status).collect();
    assert_eq!(
        statuses,
        [
            200, 200, 200, 200, 200, 200, 404, 404, 404, 400, 400, 301, 200, 405, 304
        ]
    );
    for (what, reply) in &replies {
        assert_security_headers(what, reply, csp);
        assert!(!reply.text().contains(VENDOR_SECRET) && !reply.text().contains(SECRET));
    }
}

#[tokio::test]
async fn policy_without_ws_url_names_the_page_host_on_port_8080() {
    let fx = fixture();
    let mut config = Config::for_dir(&fx.public);
    config.tile_url = "http://127.0.0.1:9/{z}/{x}/{y}.png".to_owned();
    let addr = start(config).await;
    let policy = |host: &str| {
        let host = host.to_owned();
        async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await.expect("write");
            let reply = crate::support::read_reply(&mut stream, false).await;
            assert_eq!(reply.status, 200, "{host}");
            reply
                .header("content-security-policy")
                .expect("policy")
                .to_owned()
        }
    };
    let named = policy("meet.example:3000").await;
    assert!(
        named.contains(
            "img-src 'self' data: http://127.0.0.1:9; \
             connect-src 'self' ws://meet.example:8080 wss://meet.example:8080; media-src"
        ),
        "{named}"
    );
    let by_address = policy("192.168.1.20:3000").await;
    assert!(
        by_address.contains("connect-src 'self' ws://192.168.1.20:8080 wss://192.168.1.20:8080;"),
        "{by_address}"
    );
    // A host that is not a plain name is never copied into the policy.
    for hostile in [
        "x;script-src *",
        "evil.example 'unsafe-inline'",
        "[::1]:3000",
    ] {
        let policy = policy(hostile).await;
        assert!(policy.contains("connect-src 'self'; media-src"), "{policy}");
        assert!(!policy.contains("unsafe") && !policy.contains("script-src *"));
    }
}
