//! The admin listener of the real binary (`--admin-listen 127.0.0.1:0`): `/healthz`,
//! `/metrics` scraped during a scenario (the counters move by what it caused, the text
//! parses as Prometheus's), and `/readyz` following the remote users API, Redis and
//! PostgreSQL down and up.

use super::binary::{Backend, Launch};
use super::harness::{Client, PATIENCE};
use super::remote::fake_api::FakeApi;
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Starts `launch` with an admin listener on a free port; returns it with that port.
async fn start_with_admin(launch: Launch) -> (Backend, SocketAddr) {
    let mut backend = launch.args(["--admin-listen", "127.0.0.1:0"]).start().await;
    let line = backend
        .logged(PATIENCE, |line| line.contains("admin listening on http://"))
        .await;
    let (_, address) = line
        .split_once("admin listening on http://")
        .expect("matched");
    let address = address.split('"').next().unwrap_or(address);
    (backend, address.trim().parse().expect("an address"))
}

/// `GET path` over HTTP/1.0: the status and the body.
async fn get(admin: SocketAddr, path: &str) -> (u16, String) {
    let exchange = async {
        let mut stream = TcpStream::connect(admin).await.expect("connect to admin");
        let request = format!("GET {path} HTTP/1.0\r\nHost: admin\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.expect("read");
        answer
    };
    let answer = tokio::time::timeout(PATIENCE, exchange)
        .await
        .expect("an answer in time");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .expect("a status")
        .parse()
        .expect("a number");
    (status, body.to_owned())
}

/// Every sample of a Prometheus text page, `name{labels}` → value; panics on a line that
/// is neither a comment nor a sample.
fn samples(page: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    for line in page
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line}"));
        samples.insert(series.to_owned(), value);
    }
    samples
}

/// Scrapes until `wanted` holds of the samples, within [`PATIENCE`] (gauges are set at a
/// presence tick).
async fn scrape_until(
    admin: SocketAddr,
    wanted: impl Fn(&BTreeMap<String, f64>) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (status, page) = get(admin, "/metrics").await;
        assert_eq!(status, 200);
        if wanted(&samples(&page)) {
            return page;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never so; last scrape:\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

/// `promtool check metrics` on the page, when promtool is installed (`.ci/run` installs it).
fn promtool_accepts(page: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("promtool not installed: the page was checked by the test's parser only");
        return;
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("promtool ran");
    assert!(
        output.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn metrics_count_what_a_scenario_did_and_parse_as_prometheus_text() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let launch = Launch::new().database(&folder.path().join("users.sqlite3"));
    let (backend, admin) = start_with_admin(launch).await;
    assert_eq!(get(admin, "/healthz").await, (200, "ok\n".to_owned()));

    let mut clients = Vec::new();
    for i in 0..3 {
        let mut client = Client::connect(&backend.url, None).await;
        client
            .add_user(
                &format!("m{i}@example.com"),
                &format!("M {i}"),
                Some((1.0, 2.0)),
            )
            .await;
        clients.push(client);
    }
    scrape_until(admin, |s| {
        value(s, "meetmap_connections_open") == 3.0 && value(s, "meetmap_users_online") == 3.0
    })
    .await;
    let before = samples(&get(admin, "/metrics").await.1);

    // One refused frame, one refused handshake.
    clients[0].send_text("not json").await;
    let refused = clients[0].recv_type("error").await;
    assert_eq!(refused["code"], json!("invalid-json"));
    let mut request = backend.url.as_str().into_client_request().expect("request");
    let evil = HeaderValue::from_static("https://evil.example");
    request.headers_mut().insert("origin", evil);
    assert!(
        tokio_tungstenite::connect_async(request).await.is_err(),
        "refused"
    );

    // One heartbeat answered, one offer relayed to one member.
    clients[0].send_json(json!({"type": "ping"})).await;
    clients[0].recv_type("pong").await;
    let offer = json!({"type": "sdp-offer", "to": "m1@example.com", "sdp": "v=0"});
    clients[0].send_json(offer).await;
    clients[1].recv_type("sdp-offer").await;

    let errors = r#"meetmap_errors_total{code="invalid-json"}"#;
    let refusals = r#"meetmap_handshake_refusals_total{reason="origin"}"#;
    let invalid = r#"meetmap_frames_in_total{type="invalid"}"#;
    let out = |kind: &str| format!(r#"meetmap_frames_out_total{{type="{kind}"}}"#);
    let moved = |s: &BTreeMap<String, f64>, series: &str| value(s, series) - value(&before, series);
    // Frames out are counted once written, so they may trail the client's read a little.
    let page = scrape_until(admin, |s| {
        moved(s, refusals) == 1.0
            && ["error", "pong", "sdp-offer"]
                .iter()
                .all(|kind| moved(s, &out(kind)) >= 1.0)
    })
    .await;
    let after = samples(&page);
    assert_eq!(moved(&after, errors), 1.0);
    assert_eq!(moved(&after, invalid), 1.0);
    for kind in ["error", "pong", "sdp-offer"] {
        assert_eq!(moved(&after, &out(kind)), 1.0, "{kind} frames out");
    }
    for kind in ["offer", "chat", "signal"] {
        assert_eq!(moved(&after, &out(kind)), 0.0, "{kind} frames out");
    }
    assert_eq!(
        value(&after, r#"meetmap_frames_in_total{type="add-user"}"#),
        3.0
    );
    assert_eq!(
        value(&after, r#"meetmap_room_users_online{room="default"}"#),
        3.0
    );
    assert!(
        value(&after, &out("update-users")) >= 3.0,
        "each member was sent the room's list"
    );
    for name in [
        "meetmap_rooms",
        "meetmap_store_pending_writes",
        "meetmap_presence_tick_seconds_count",
        "meetmap_store_write_seconds_count",
    ] {
        assert!(after.contains_key(name), "{name} missing from:\n{page}");
    }
    promtool_accepts(&page);

    drop(clients.pop());
    scrape_until(admin, |s| value(s, "meetmap_connections_open") == 2.0).await;
}

#[tokio::test]
async fn readyz_follows_the_remote_users_api_down_and_up() {
    let api = FakeApi::start().await;
    let folder = tempfile::TempDir::new().expect("temp dir");
    let launch = Launch::new()
        .arg("--users-api")
        .arg(api.base_url().as_str())
        .arg("--data-dir")
        .arg(folder.path());
    let (_backend, admin) = start_with_admin(launch).await;
    assert_eq!(ready_until(admin, 200).await, "ready\n");
    api.down().await;
    let body = ready_until(admin, 503).await;
    assert!(body.starts_with("not ready: users store:"), "{body}");
    assert_eq!(
        get(admin, "/healthz").await.0,
        200,
        "the process is still up"
    );
    api.up().await;
    ready_until(admin, 200).await;
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_connection_id_and_user() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let launch = Launch::new()
        .database(&folder.path().join("users.sqlite3"))
        .args(["--log-format", "json"])
        // A connection's line before it registers ("joined room") is at debug.
        .env("RUST_LOG", "info,backend::connection::peer=debug");
    let mut backend = launch.start().await;
    let mut client = Client::connect(&backend.url, None).await;
    client.add_user("jo@example.com", "Jo", None).await;
    client.close().await;
    let json = |line: &str| -> serde_json::Value {
        serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
    };
    // The connection's last line, after its registration: both fields.
    let last = backend
        .logged(PATIENCE, |l| {
            l.contains("\"user\":") && (l.contains(" left: ") || l.contains(" closed: "))
        })
        .await;
    let last = json(&last);
    assert_eq!(last["user"], "jo@example.com", "{last}");
    let conn = last["conn"].as_u64().expect("a conn");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("conn={conn} ")))
    );
    // Its first line, before it registered: the id, no user yet.
    let joined = backend
        .log_lines()
        .iter()
        .map(|line| json(line))
        .find(|o| {
            o["message"]
                .as_str()
                .is_some_and(|m| m.contains(" joined "))
        })
        .expect("a joined line");
    assert_eq!(joined["conn"].as_u64(), Some(conn), "{joined}");
    assert!(joined.get("user").is_none(), "{joined}");
    for line in backend.log_lines() {
        let object = json(line);
        for field in ["time", "level", "target", "message"] {
            assert!(object[field].is_string(), "{field} in {line}");
        }
        if object.get("user").is_some() {
            assert_eq!(object["conn"].as_u64(), Some(conn), "{line}");
        }
    }
}

/// Polls `/readyz` until it answers `want`; returns the body.
async fn ready_until(admin: SocketAddr, want: u16) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE * 2;
    loop {
        let (status, body) = get(admin, "/readyz").await;
        if status == want {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz stayed {status}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readyz_is_not_ready_while_the_backplane_has_lost_redis() {
    let mut redis = super::cluster::redis::Redis::start().await;
    let folder = tempfile::TempDir::new().expect("temp dir");
    let launch = Launch::new()
        .database(&folder.path().join("users.sqlite3"))
        .args(["--redis", &redis.url(), "--node-id", "ready-1"]);
    let (_backend, admin) = start_with_admin(launch).await;
    assert_eq!(ready_until(admin, 200).await, "ready\n");
    redis.stop();
    let body = ready_until(admin, 503).await;
    assert!(body.starts_with("not ready: backplane:"), "{body}");
    assert_eq!(get(admin, "/healthz").await.0, 200, "the process is up");
    redis.restart().await;
    ready_until(admin, 200).await;
}

#[tokio::test]
async fn readyz_follows_postgres_down_at_start_then_up_and_never_shows_its_password() {
    let port = super::postgres::Postgres::free_port();
    let url = format!("postgres://meetmap:hunter22@127.0.0.1:{port}/postgres");
    let folder = tempfile::TempDir::new().expect("temp dir");
    let launch = Launch::new()
        .args(["--database", &url, "--allow-shared-emails"])
        .arg("--data-dir")
        .arg(folder.path());
    let (mut backend, admin) = start_with_admin(launch).await;
    let body = ready_until(admin, 503).await;
    assert!(body.starts_with("not ready: users store:"), "{body}");
    let _server = super::postgres::Postgres::start_on(port).await;
    ready_until(admin, 200).await;
    let lines = backend.log_lines().join("\n");
    assert!(
        lines.contains("postgres://meetmap:***@127.0.0.1"),
        "{lines}"
    );
    assert!(!lines.contains("hunter22") && !body.contains("hunter22"));
}
