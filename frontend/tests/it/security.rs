//! Scenarios where the client is hostile: path traversal and slow or huge request heads.

use std::time::Duration;

use frontend::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{PATIENCE, SECRET, fixture, get, start};

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

    for target in [
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
    ] {
        let reply = get(addr, target).await;
        assert!(
            matches!(reply.status, 400 | 404),
            "{target:?} gave {}",
            reply.status
        );
        assert!(
            !reply.text().contains("SECRET"),
            "{target:?} leaked the secret"
        );
    }
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
    config.header_timeout = Duration::from_millis(200);
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
