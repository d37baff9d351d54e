//! The installable app as the browser fetches it from the real public folder: the
//! manifest, its icons and the service worker, with the types and headers they need.

use std::path::Path;

use frontend::Config;

use crate::support::{get, start};

/// The app's own public folder, as shipped.
fn app_public() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/public"))
}

#[tokio::test]
async fn manifest_names_icons_that_are_served() {
    let addr = start(Config::for_dir(app_public())).await;
    let reply = get(addr, "/manifest.webmanifest").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/manifest+json")
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&reply.body).expect("manifest is JSON");
    assert_eq!(manifest["start_url"], "/");
    assert_eq!(manifest["display"], "standalone");
    let icons = manifest["icons"].as_array().expect("icons");
    // Chromium installs an app with a 192 px and a 512 px icon.
    for size in ["192x192", "512x512"] {
        assert!(
            icons.iter().any(|i| i["sizes"] == size),
            "an icon of {size}"
        );
    }
    for icon in icons {
        let src = icon["src"].as_str().expect("src");
        let reply = get(addr, src).await;
        assert_eq!(reply.status, 200, "{src}");
        assert_eq!(reply.header("content-type"), icon["type"].as_str(), "{src}");
    }
}

#[tokio::test]
async fn service_worker_is_a_script_the_policy_allows_and_revalidated() {
    let addr = start(Config::for_dir(app_public())).await;
    let reply = get(addr, "/sw.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    // A new version reaches browsers at their next check, never a stale copy.
    assert_eq!(reply.header("cache-control"), Some("no-cache"));
    let page = get(addr, "/").await;
    let csp = page.header("content-security-policy").expect("csp");
    for directive in ["worker-src 'self'", "manifest-src 'self'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    let html = page.text();
    assert!(html.contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#));
}
