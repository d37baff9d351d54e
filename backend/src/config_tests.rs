//! Unit tests of `config.rs`: the flags give each module's config, with its defaults.

use super::*;
use crate::admission::MissingOrigin;

#[test]
fn without_flags_every_config_is_its_default() {
    let parsed = Args::parse_from(["backend"]);
    assert_eq!(
        parsed.listen,
        SocketAddr::from(([127, 0, 0, 1], shared::DEFAULT_BACKEND_PORT))
    );
    let config = parsed.server_config();
    let defaults = ServerConfig::default();
    assert_eq!(config.connection, defaults.connection);
    assert_eq!(config.budget, defaults.budget);
    assert_eq!(config.presence, defaults.presence);
    assert_eq!(config.store, defaults.store);
    let (admission, default) = (&config.admission, &defaults.admission);
    assert_eq!(admission.allowed_origins, default.allowed_origins);
    assert_eq!(admission.missing_origin, default.missing_origin);
    assert_eq!(admission.max_connections, default.max_connections);
    assert_eq!(
        admission.max_connections_per_ip,
        default.max_connections_per_ip
    );
    assert_eq!(admission.trusted_proxies, default.trusted_proxies);
    assert_eq!(admission.access_code, default.access_code);
    assert_eq!(admission.session_ttl, default.session_ttl);
    assert_eq!(admission.allow_shared_emails, default.allow_shared_emails);
}

#[test]
fn flags_give_the_origin_list_and_caps() {
    let defaults = Args::parse_from(["backend"]).server_config().admission;
    let frontend = ["http://127.0.0.1:3000", "http://localhost:3000"];
    assert_eq!(defaults.allowed_origins, frontend);
    assert_eq!(defaults.missing_origin, MissingOrigin::Allow);
    assert_eq!(
        (defaults.max_connections, defaults.max_connections_per_ip),
        (20_000, 200)
    );
    let args = Args::parse_from([
        "backend",
        "--allowed-origins",
        "https://a.example, https://b.example",
        "--missing-origin",
        "deny",
        "--max-connections-per-ip",
        "0",
    ]);
    let config = args.server_config().admission;
    assert_eq!(
        config.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(config.missing_origin, MissingOrigin::Deny);
    assert_eq!(config.max_connections_per_ip, 0);
}

#[test]
fn flags_are_clamped_to_workable_values() {
    let args = Args::parse_from([
        "backend",
        "--ping-interval-ms",
        "0",
        "--max-message-bytes",
        "10",
        "--outbox-bytes",
        "10",
        "--chat-rate",
        "NaN",
        "--chat-burst",
        "0",
    ]);
    let config = args.server_config();
    assert_eq!(config.connection.ping_interval.as_millis(), 1);
    assert_eq!(config.connection.max_message_bytes, 1024);
    assert_eq!(config.connection.outbox_bytes, 1024);
    assert_eq!(config.budget.chat_rate.per_second, 0.0);
    assert_eq!(config.budget.chat_rate.burst, 1);
}

#[test]
fn the_chat_store_defaults_and_its_flags() {
    use crate::store::chat::ChatConfig;
    let defaults = Args::parse_from(["backend", "--database", "d/users.sqlite3"]);
    let config = defaults.chat_config();
    let expected = ChatConfig {
        member_retention: defaults.store.config().retention,
        ..ChatConfig::default()
    };
    assert_eq!(config, expected);
    assert_eq!(defaults.chat_database(), PathBuf::from("d/chat.sqlite3"));

    let args = Args::parse_from([
        "backend",
        "--chat-database",
        "/var/chat.db",
        "--chat-retention-days",
        "0",
        "--chat-max-per-room",
        "0",
        "--chat-edit-window-secs",
        "1",
    ]);
    let config = args.chat_config();
    assert_eq!(
        (config.retention, config.max_per_conversation),
        (None, None)
    );
    assert_eq!(config.edit_window, std::time::Duration::from_secs(1));
    assert_eq!(args.chat_database(), PathBuf::from("/var/chat.db"));

    let remote = Args::parse_from([
        "backend",
        "--users-api",
        "http://localhost:4000/api/users",
        "--data-dir",
        "/srv/meetmap",
    ]);
    assert_eq!(
        remote.chat_database(),
        PathBuf::from("/srv/meetmap/chat.sqlite3"),
        "with the users API, the chat file is in the data folder"
    );
}

#[test]
fn the_session_secret_file_is_read_less_its_newline_and_a_short_one_is_refused() {
    let folder = tempfile::TempDir::new().expect("temp dir");
    let path = folder.path().join("secret");
    std::fs::write(&path, format!("{}\n", "s".repeat(32))).expect("write");
    let file = path.to_str().expect("utf-8");
    let parsed = Args::parse_from(["backend", "--session-secret-file", file]);
    assert!(parsed.session_key().is_ok());
    let secret = read_secret_file(&path).expect("read");
    assert_eq!(secret.as_bytes(), "s".repeat(32).as_bytes());
    std::fs::write(&path, "\n").expect("write");
    let error = parsed.session_key().expect_err("empty");
    assert!(error.to_string().contains("0 bytes"), "{error}");
    let missing = Args::parse_from(["backend", "--session-secret-file", "/nonexistent/s"]);
    assert!(missing.session_key().is_err());
}

#[test]
fn print_config_masks_every_secret() {
    let secret = "supersecretsupersecretsupersecret";
    let parsed = Args::parse_from([
        "backend",
        "--session-secret",
        secret,
        "--access-code",
        "c0de",
    ]);
    let printed = parsed.printed();
    assert!(
        !printed.contains(secret) && !printed.contains("c0de"),
        "{printed}"
    );
    assert!(printed.contains("***"));
    assert!(printed.contains("admin_listen: None"));
    assert_eq!(
        masked("    turn_secret: \"x\","),
        "    turn_secret: \"***\","
    );
    assert!(
        Args::try_parse_from([
            "backend",
            "--session-secret",
            secret,
            "--session-secret-file",
            "f"
        ])
        .is_err()
    );
}

#[test]
fn turn_flags_give_credentials_from_a_secret_file_and_refuse_half_a_setup() {
    assert!(
        Args::parse_from(["backend"])
            .turn
            .config()
            .expect("no TURN")
            .is_none()
    );
    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("turn.key");
    std::fs::write(&file, "t0psecret\n").expect("secret written");
    let file = file.to_str().expect("utf-8 path");
    let urls = "turn:127.0.0.1:3478?transport=udp, turns:turn.example.com:443?transport=tcp";
    let parsed = Args::parse_from([
        "backend",
        "--turn-secret-file",
        file,
        "--turn-urls",
        urls,
        "--turn-ttl-secs",
        "600",
    ]);
    let turn = parsed.turn.config().expect("valid").expect("TURN");
    assert_eq!(turn.renew_after(), std::time::Duration::from_secs(480));
    let issued = turn.issue();
    assert_eq!(issued.urls.len(), 2);
    assert_eq!(issued.urls[1], "turns:turn.example.com:443?transport=tcp");
    let printed = parsed.printed();
    assert!(!printed.contains("t0psecret"), "{printed}");
    let half = Args::parse_from(["backend", "--turn-urls", "turn:t:3478"]);
    let refused = half.turn.config().expect_err("no secret");
    assert!(
        refused.to_string().contains("--turn-secret-file"),
        "{refused}"
    );
    let unreadable = Args::parse_from([
        "backend",
        "--turn-secret-file",
        "/nonexistent/turn.key",
        "--turn-urls",
        "turn:t:3478",
    ]);
    assert!(unreadable.turn.config().is_err());
}

#[test]
fn print_config_masks_the_turn_secret() {
    let parsed = Args::parse_from([
        "backend",
        "--turn-secret",
        "flagsecret",
        "--turn-urls",
        "turn:t:3478",
    ]);
    let printed = parsed.printed();
    assert!(!printed.contains("flagsecret"), "{printed}");
    assert!(printed.contains("turn_urls"), "{printed}");
}

#[test]
fn flags_give_the_presence_timings_and_a_rooms_users_per_tick() {
    let args = Args::parse_from([
        "backend",
        "--presence-interval-ms",
        "50",
        "--room-users-per-tick",
        "0",
    ]);
    let presence = args.server_config().presence;
    assert_eq!(presence.interval, std::time::Duration::from_millis(50));
    assert_eq!(presence.room_users_per_tick, 0, "0: every tick");
    assert_eq!(PresenceConfig::default().room_users_per_tick, 7_500);
}

#[test]
fn worker_threads_default_to_one_per_core_and_refuse_a_thousandfold_typo() {
    assert_eq!(Args::parse_from(["backend"]).service.worker_threads, 0);
    let two = Args::parse_from(["backend", "--worker-threads", "2"]);
    assert_eq!(two.service.worker_threads, 2);
    let typo = Args::try_parse_from(["backend", "--worker-threads", "20000"]);
    let error = typo.expect_err("20000 threads refused").to_string();
    assert!(error.contains("--worker-threads"), "{error}");
}
