//! Integration tests: the real server on port 0, spoken to in raw HTTP/1.1.

#[path = "it/caps.rs"]
mod caps;
#[path = "it/embedded.rs"]
mod embedded;
#[path = "it/open_files.rs"]
mod open_files;
#[path = "it/pwa.rs"]
mod pwa;
#[path = "it/security.rs"]
mod security;
#[path = "it/service.rs"]
mod service;
#[path = "it/support.rs"]
mod support;
#[path = "it/vendor.rs"]
mod vendor;

use frontend::{Config, IceServers, IceTransportPolicy, Millis};
use support::{fixture, get, request, start};

#[tokio::test]
async fn serves_index_at_root_as_html() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    for target in ["/", "/index.html", "/?utm=1"] {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(reply.text(), "<!doctype html><title>meetmap</title>");
    }
}

#[tokio::test]
async fn module_scripts_are_text_javascript() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let reply = get(addr, "/js/app.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    assert_eq!(reply.text(), "export const answer = 42;\n");
}

#[tokio::test]
async fn css_and_unknown_types() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let css = get(addr, "/css/x.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let bin = get(addr, "/data.bin").await;
    assert_eq!(bin.header("content-type"), Some("application/octet-stream"));
    assert_eq!(bin.body, [0, 1, 2, 3]);
    let txt = get(addr, "/notes.txt").await;
    assert_eq!(
        txt.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[tokio::test]
async fn directory_with_slash_serves_its_index() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let reply = get(addr, "/sub/").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(reply.text(), "sub index");
    // A directory without an index is not listed.
    assert_eq!(get(addr, "/js/").await.status, 404);
}

#[tokio::test]
async fn directory_without_slash_redirects() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let reply = get(addr, "/sub?x=1").await;
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/sub/?x=1"));
}

#[tokio::test]
async fn symlinks_inside_the_folder_are_served() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let reply = get(addr, "/alias.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), "export const answer = 42;\n");
}

#[tokio::test]
async fn head_has_length_and_no_body() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let full = get(addr, "/js/app.js").await;
    let head = request(addr, "HEAD", "/js/app.js", &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("26"));
    assert_eq!(head.header("content-length"), full.header("content-length"));
    assert_eq!(head.header("etag"), full.header("etag"));
    assert!(head.body.is_empty(), "HEAD sent a body: {:?}", head.text());
}

#[tokio::test]
async fn unknown_path_is_404() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    for target in ["/nope.html", "/js/nope.js", "/index.html/", "/index.html/x"] {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(reply.text(), "not found");
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn hidden_files_are_404() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    for target in ["/.env", "/%2eenv", "/sub/../.env"] {
        let reply = get(addr, target).await;
        assert!(
            matches!(reply.status, 400 | 404),
            "{target}: {}",
            reply.status
        );
        assert!(!reply.text().contains("HIDDEN"), "{target}");
    }
    assert_eq!(get(addr, "/.env").await.status, 404);
}

#[tokio::test]
async fn post_is_405() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let reply = request(addr, method, "/index.html", &[("Content-Length", "0")]).await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"));
    }
}

#[tokio::test]
async fn etag_revalidation_gives_304() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let first = get(addr, "/css/x.css").await;
    let etag = first.header("etag").expect("etag").to_owned();
    let last_modified = first
        .header("last-modified")
        .expect("last-modified")
        .to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let again = request(addr, "GET", "/css/x.css", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let by_date = request(
        addr,
        "GET",
        "/css/x.css",
        &[("If-Modified-Since", &last_modified)],
    )
    .await;
    assert_eq!(by_date.status, 304);

    std::fs::write(fx.public.join("css/x.css"), "body { margin: 1px }\n").expect("rewrite");
    let changed = request(addr, "GET", "/css/x.css", &[("If-None-Match", &etag)]).await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(changed.text(), "body { margin: 1px }\n");
}

#[tokio::test]
async fn config_json_reflects_config() {
    let fx = fixture();
    let mut config = Config::for_dir(&fx.public);
    config.ws_url = Some("wss://meet.example/ws".to_owned());
    config.ice_servers = r#"[{"urls":["stun:stun.example:3478"]}]"#
        .parse::<IceServers>()
        .expect("valid ice servers");
    config.tile_url = "https://tiles.example/{z}/{x}/{y}.png".to_owned();
    config.tile_attribution = "&copy; Example".to_owned();
    config.position_interval = Millis::new(5000);
    config.position_distance_m = 10;
    config.ring_timeout = Millis::new(2000);
    config.reconnect_max = Millis::new(3000);
    config.access_code_required = true;
    config.ice_transport_policy = IceTransportPolicy::Relay;
    let addr = start(config).await;

    let reply = get(addr, "/config.json").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let doc: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
    assert_eq!(
        doc,
        serde_json::json!({
            "wsUrl": "wss://meet.example/ws",
            "wsPort": 8080,
            "iceServers": [{"urls": ["stun:stun.example:3478"]}],
            "iceTransportPolicy": "relay",
            "tileUrl": "https://tiles.example/{z}/{x}/{y}.png",
            "tileAttribution": "&copy; Example",
            "positionIntervalMs": 5000,
            "positionDistanceM": 10,
            "ringTimeoutMs": 2000,
            "reconnectBaseMs": 500,
            "reconnectMaxMs": 3000,
            "connectTimeoutMs": 10000,
            "accessCodeRequired": true,
        })
    );
}

#[tokio::test]
async fn config_json_defaults_leave_ws_url_null() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let doc: serde_json::Value =
        serde_json::from_slice(&get(addr, "/config.json").await.body).expect("json");
    assert_eq!(doc["wsUrl"], serde_json::Value::Null);
    assert_eq!(
        doc["iceServers"],
        serde_json::json!([{"urls": "stun:stun.l.google.com:19302"}])
    );
    assert_eq!(doc["positionIntervalMs"], 20000);
    assert_eq!(doc["positionDistanceM"], 50);
    assert_eq!(doc["ringTimeoutMs"], 30000);
    assert_eq!(doc["reconnectMaxMs"], 10000);
    assert_eq!(doc["wsPort"], 8080);
    assert_eq!(doc["reconnectBaseMs"], 500);
    assert_eq!(doc["connectTimeoutMs"], 10000);
}

#[tokio::test]
async fn nosniff_on_every_response() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    let etag = get(addr, "/")
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let replies = [
        get(addr, "/").await,
        get(addr, "/config.json").await,
        get(addr, "/nope").await,
        get(addr, "/%00").await,
        get(addr, "/sub").await,
        request(addr, "HEAD", "/", &[]).await,
        request(addr, "POST", "/", &[("Content-Length", "0")]).await,
        request(addr, "GET", "/", &[("If-None-Match", &etag)]).await,
    ];
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 404, 400, 301, 200, 405, 304]);
    for reply in &replies {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            reply.status
        );
    }
}

#[tokio::test]
async fn shutdown_closes_idle_connections_and_stops_accepting() {
    let fx = fixture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(frontend::run(
        listener,
        Config::for_dir(&fx.public),
        stopped,
    ));

    // A keep-alive connection that has finished one request and is now idle.
    let mut idle = tokio::net::TcpStream::connect(addr).await.expect("connect");
    support::send(&mut idle, "GET", "/", &[]).await;
    assert_eq!(support::read_reply(&mut idle, false).await.status, 200);

    stop.send(()).expect("server still running");
    let result = tokio::time::timeout(support::PATIENCE, server)
        .await
        .expect("run returns after shutdown")
        .expect("run did not panic");
    assert!(result.is_ok(), "{result:?}");

    let mut rest = Vec::new();
    let read = tokio::io::AsyncReadExt::read_to_end(&mut idle, &mut rest).await;
    assert!(
        read.is_err() || rest.is_empty(),
        "idle connection got {rest:?}"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting"
    );
}

#[tokio::test]
async fn missing_public_dir_is_a_startup_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let config = Config::for_dir("/definitely/not/here");
    let result = frontend::run(listener, config, std::future::pending::<()>()).await;
    let err = result.expect_err("must fail");
    assert!(
        matches!(&err, frontend::StartError::PublicDir { dir, .. } if dir.ends_with("here")),
        "{err:?}"
    );
    assert!(err.to_string().contains("/definitely/not/here"), "{err}");
}
