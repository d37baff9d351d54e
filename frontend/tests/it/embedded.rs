//! The default mode: the browser app and its libraries served from the binary itself,
//! byte for byte what the checkout held at build time, with the disk mode's headers.

use std::path::Path;

use frontend::Config;

use crate::support::{assert_refused_without, fixture, get, request, start};

/// A file of the crate's checkout, as it was embedded.
fn on_disk(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test]
async fn embedded_app_and_libraries_are_served_with_their_types() {
    let addr = start(Config::default()).await;
    let cases = [
        ("/", "public/index.html", "text/html; charset=utf-8"),
        (
            "/js/main.js",
            "public/js/main.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/css/app.css",
            "public/css/app.css",
            "text/css; charset=utf-8",
        ),
        (
            "/manifest.webmanifest",
            "public/manifest.webmanifest",
            "application/manifest+json",
        ),
        (
            "/icons/icon-192.png",
            "public/icons/icon-192.png",
            "image/png",
        ),
        (
            "/vendor/leaflet/leaflet.css",
            "node_modules/leaflet/dist/leaflet.css",
            "text/css; charset=utf-8",
        ),
        (
            "/vendor/leaflet/leaflet.js",
            "node_modules/leaflet/dist/leaflet.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/vendor/markercluster/leaflet.markercluster.js",
            "node_modules/leaflet.markercluster/dist/leaflet.markercluster.js",
            "text/javascript; charset=utf-8",
        ),
    ];
    for (target, file, content_type) in cases {
        let reply = get(addr, target).await;
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(reply.header("content-type"), Some(content_type), "{target}");
        assert_eq!(reply.header("cache-control"), Some("no-cache"), "{target}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.body, on_disk(file), "{target}");
    }
}

#[tokio::test]
async fn embedded_etags_name_the_content_and_revalidate() {
    let first = start(Config::default()).await;
    let reply = get(first, "/js/main.js").await;
    let etag = reply.header("etag").expect("etag").to_owned();
    assert!(etag.len() == 34 && etag.starts_with('"'), "{etag}");
    let last_modified = reply.header("last-modified").expect("last-modified");

    let again = request(first, "GET", "/js/main.js", &[("If-None-Match", &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let by_date = request(
        first,
        "GET",
        "/js/main.js",
        &[("If-Modified-Since", last_modified)],
    )
    .await;
    assert_eq!(by_date.status, 304);
    let head = request(first, "HEAD", "/js/main.js", &[]).await;
    assert_eq!(head.header("etag"), Some(etag.as_str()));
    assert_eq!(
        head.header("content-length"),
        Some(on_disk("public/js/main.js").len().to_string().as_str())
    );
    assert!(head.body.is_empty());

    // Another server (another process start) gives the same tag; other content, another.
    let second = start(Config::default()).await;
    assert_eq!(
        get(second, "/js/main.js").await.header("etag"),
        Some(etag.as_str())
    );
    assert_ne!(
        get(second, "/js/config.js").await.header("etag"),
        Some(etag.as_str())
    );
}

#[tokio::test]
async fn embedded_folders_redirect_index_and_refuse_like_disk() {
    let addr = start(Config::default()).await;
    let js = get(addr, "/js?x=1").await;
    assert_eq!(js.status, 301);
    assert_eq!(js.header("location"), Some("/js/?x=1"));
    assert_eq!(get(addr, "/vendor/leaflet").await.status, 301);
    for target in [
        "/js/",
        "/vendor/leaflet/",
        "/index.html/",
        "/nope.js",
        "/vendor/nope.js",
    ] {
        assert_eq!(get(addr, target).await.status, 404, "{target}");
    }
    let targets = [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/js/..%2f..%2fCargo.toml",
        "/vendor/leaflet/../package.json",
        "/vendor/leaflet/%2e%2e/package.json",
        "/vendor/package.json",
        "/.env",
        "//etc/passwd",
    ];
    assert_refused_without(addr, &targets, &["[package]", "\"name\": \"leaflet\""]).await;
}

#[tokio::test]
async fn public_dir_overrides_the_embedded_app_but_not_its_libraries() {
    let fx = fixture();
    let addr = start(Config::for_dir(&fx.public)).await;
    assert_eq!(
        get(addr, "/").await.text(),
        "<!doctype html><title>meetmap</title>"
    );
    assert_eq!(
        get(addr, "/js/main.js").await.status,
        404,
        "only the folder's files"
    );
    let leaflet = get(addr, "/vendor/leaflet/leaflet.css").await;
    assert_eq!(leaflet.status, 200);
    assert_eq!(
        leaflet.body,
        on_disk("node_modules/leaflet/dist/leaflet.css")
    );
}

#[tokio::test]
async fn healthz_answers_ok_in_both_modes() {
    let fx = fixture();
    for config in [Config::default(), fx.config()] {
        let addr = start(config).await;
        let reply = get(addr, "/healthz").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.text(), "ok");
        assert_eq!(reply.header("cache-control"), Some("no-store"));
        assert_eq!(
            reply.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        let head = request(addr, "HEAD", "/healthz", &[]).await;
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        let post = request(addr, "POST", "/healthz", &[("Content-Length", "0")]).await;
        assert_eq!(post.status, 405);
    }
}
