//! The read-only `/vendor/leaflet/` and `/vendor/markercluster/` mounts: Leaflet's and
//! Leaflet.markercluster's `dist/` folders from the vendor folder.

use crate::support::{
    LEAFLET_JS, MARKERCLUSTER_JS, SECRET, VENDOR_SECRET, assert_refused_without, fixture, get,
    start,
};

#[tokio::test]
async fn leaflet_is_served_from_the_vendor_dir() {
    let fx = fixture();
    let addr = start(fx.config()).await;
    let js = get(addr, "/vendor/leaflet/leaflet.js").await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(js.text(), LEAFLET_JS);

    let css = get(addr, "/vendor/leaflet/leaflet.css").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let png = get(addr, "/vendor/leaflet/images/layers.png").await;
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    // The public folder is still served next to the mount.
    assert_eq!(get(addr, "/js/app.js").await.status, 200);
}

#[tokio::test]
async fn traversal_out_of_the_vendor_dir_is_refused() {
    let fx = fixture();
    let addr = start(fx.config()).await;
    let targets = [
        "/vendor/leaflet/../package.json",
        "/vendor/leaflet/%2e%2e/package.json",
        "/vendor/leaflet/..%2fpackage.json",
        "/vendor/leaflet/..%5cpackage.json",
        "/vendor/leaflet/images/../../package.json",
        "/vendor/leaflet/escape.js",
        "/vendor/leaflet/public/index.html",
        "/vendor/leaflet/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/vendor/leaflet//package.json",
        "/vendor/package.json",
        "/vendor/leaflet/package.json",
        "/vendor/leaflet/",
        "/vendor/leaflet/.hidden",
    ];
    assert_refused_without(addr, &targets, &[VENDOR_SECRET, SECRET]).await;
}

#[tokio::test]
async fn mount_folder_without_slash_redirects() {
    let fx = fixture();
    let addr = start(fx.config()).await;
    let reply = get(addr, "/vendor/leaflet").await;
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/vendor/leaflet/"));
}

#[tokio::test]
async fn missing_leaflet_is_404_and_the_app_is_still_served() {
    let fx = fixture();
    let mut config = fx.config();
    config.vendor_dir = Some(fx.vendor.join("not-installed"));
    let addr = start(config).await;
    assert_eq!(get(addr, "/vendor/leaflet/leaflet.js").await.status, 404);
    assert_eq!(get(addr, "/vendor/leaflet/leaflet.css").await.status, 404);
    assert_eq!(get(addr, "/").await.status, 200);
    assert_eq!(get(addr, "/config.json").await.status, 200);
}

#[tokio::test]
async fn leaflet_installed_after_start_is_served() {
    let fx = fixture();
    let late = fx.vendor.join("late");
    let mut config = fx.config();
    config.vendor_dir = Some(late.clone());
    let addr = start(config).await;
    assert_eq!(get(addr, "/vendor/leaflet/leaflet.js").await.status, 404);
    std::fs::create_dir_all(late.join("leaflet/dist")).expect("mkdir");
    std::fs::write(late.join("leaflet/dist/leaflet.js"), LEAFLET_JS).expect("write");
    let reply = get(addr, "/vendor/leaflet/leaflet.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), LEAFLET_JS);
}

#[tokio::test]
async fn markercluster_is_served_from_the_vendor_dir() {
    let fx = fixture();
    let addr = start(fx.config()).await;
    let js = get(addr, "/vendor/markercluster/leaflet.markercluster.js").await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.text(), MARKERCLUSTER_JS);
    let css = get(addr, "/vendor/markercluster/MarkerCluster.css").await;
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let targets = [
        "/vendor/markercluster/../package.json",
        "/vendor/markercluster/%2e%2e/package.json",
        "/vendor/markercluster/package.json",
        "/vendor/markercluster/../../leaflet/package.json",
        "/vendor/markercluster/leaflet.js",
    ];
    assert_refused_without(addr, &targets, &[VENDOR_SECRET]).await;
}

#[tokio::test]
async fn missing_markercluster_is_404_and_leaflet_is_still_served() {
    let fx = fixture();
    std::fs::remove_dir_all(fx.vendor.join("leaflet.markercluster")).expect("remove");
    let addr = start(fx.config()).await;
    let js = get(addr, "/vendor/markercluster/leaflet.markercluster.js").await;
    assert_eq!(js.status, 404);
    assert_eq!(get(addr, "/vendor/leaflet/leaflet.js").await.status, 200);
}
