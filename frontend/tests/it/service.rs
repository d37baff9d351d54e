//! The binary as a service manager runs it: `--print-config` (the effective configuration,
//! secrets masked, then exit) and `--log-format json` (one JSON object per line).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use serde_json::Value;

use crate::support::{PATIENCE, fixture, get};

fn frontend() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontend"));
    command.env_clear().stdin(Stdio::null());
    command
}

#[test]
fn print_config_shows_flags_and_environment() {
    let ice = r#"[{"urls":"stun:stun.example:3478"}]"#;
    let output = frontend()
        .args([
            "--print-config",
            "--tile-url",
            "https://t.example/{z}/{x}/{y}.png",
        ])
        .env("MEETMAP_ICE_SERVERS", ice)
        .env("MEETMAP_ICE_TRANSPORT_POLICY", "relay")
        .env("MEETMAP_LOG_FORMAT", "json")
        .output()
        .expect("run the frontend binary");
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(printed.starts_with("Config {"), "{printed}");
    for shown in [
        r#"tile_url: "https://t.example/{z}/{x}/{y}.png","#,
        "listen: 127.0.0.1:3000,",
        "log_format: Json,",
        "ice_transport_policy: Relay,",
        r#""urls":"stun:stun.example:3478""#,
    ] {
        assert!(printed.contains(shown), "{shown} not in:\n{printed}");
    }
    assert!(output.stderr.is_empty(), "nothing logged, nothing served");
}

#[test]
fn ice_servers_with_a_credential_are_refused_at_start() {
    let ice = r#"[{"urls":"turn:turn.example:3478","username":"u","credential":"hunter2-turn"}]"#;
    let output = frontend()
        .arg("--print-config")
        .env("MEETMAP_ICE_SERVERS", ice)
        .output()
        .expect("run the frontend binary");
    assert!(!output.status.success(), "{output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("--turn-secret-file"), "{said}");
    assert!(output.stdout.is_empty(), "no configuration printed");
}

/// The server's process, killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_connection_id() {
    let fx = fixture();
    let mut child = frontend()
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .arg("--public-dir")
        .arg(&fx.public)
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the frontend binary");
    let stderr = child.stderr.take().expect("piped stderr");
    let _running = Running(child);
    let (lines, log) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let next = || -> Value {
        let line = log.recv_timeout(PATIENCE).expect("a log line in time");
        let object: Value = serde_json::from_str(&line).expect("a JSON line");
        for field in ["time", "level", "target", "message"] {
            assert!(object[field].is_string(), "{field} in {line}");
        }
        object
    };
    let addr: SocketAddr = loop {
        let object = next();
        let message = object["message"].as_str().unwrap_or_default();
        if let Some((_, rest)) = message.split_once(" on http://") {
            break rest.trim_end_matches('/').parse().expect("an address");
        }
    };
    assert_eq!(get(addr, "/healthz").await.status, 200);
    let answered = loop {
        let object = next();
        if object["message"]
            .as_str()
            .is_some_and(|m| m.contains("GET /healthz -> 200"))
        {
            break object;
        }
    };
    let message = answered["message"].as_str().unwrap_or_default();
    let conn = answered["conn"].as_u64().expect("the connection's id");
    assert!(message.starts_with(&format!("conn={conn} ")), "{answered}");
    assert_eq!(answered["level"], "DEBUG");
}
