//! Request dispatch: the method check, `/healthz`, `/config.json`, the vendor mounts, static
//! files, and the headers every response carries (the security headers of `security`).

use std::path::PathBuf;

use hyper::body::{Body as _, Bytes, Incoming};
use hyper::header::{
    ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, HOST, HeaderValue, RETRY_AFTER,
};
use hyper::{Method, Request, Response, StatusCode};
use log::debug;

use crate::config::Config;
use crate::files::{self, Embedded, Folder, Rejection, RequestPath};
use crate::response::{Body, not_found, text};
use crate::runtime_config;
use crate::security::SecurityHeaders;

/// Seconds a client refused for a full server is told to wait (`Retry-After`).
const RETRY_AFTER_SECONDS: &str = "5";

/// The URL folder of the read-only mounts of npm packages' `dist/` folders.
const VENDOR_FOLDER: &str = "vendor";

/// The health check's path: `200 ok` while the server accepts requests.
const HEALTH_PATH: &str = "/healthz";

/// The npm packages served read-only: the URL folder under `/vendor/`, the package's
/// folder in the vendor folder (its `dist/` is what is served) and its `dist/` as embedded
/// in the binary. Leaflet first: the app
/// needs it for a map; the marker clusters are an extra the map works without.
pub(crate) const VENDOR_MOUNTS: [VendorMount; 2] = [
    VendorMount {
        url: "leaflet",
        package: "leaflet",
        embedded: files::LEAFLET,
    },
    VendorMount {
        url: "markercluster",
        package: "leaflet.markercluster",
        embedded: files::MARKERCLUSTER,
    },
];

/// One npm package's `dist/` served at `/vendor/<url>/`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VendorMount {
    pub(crate) url: &'static str,
    pub(crate) package: &'static str,
    pub(crate) embedded: Embedded,
}

/// What every connection task shares; immutable after startup, so there is no lock.
#[derive(Debug)]
pub(crate) struct Site {
    /// The app: embedded, or the canonical public folder (every served file's canonical
    /// path then starts with it).
    app: Folder,
    /// Each `VENDOR_MOUNTS` package's `dist/`, served at `/vendor/<url>/`, in the same
    /// order: embedded, or a mount of the vendor folder (not canonicalized at startup: a
    /// package may be missing, the app then runs without it, or be installed later).
    vendor: Vec<Folder>,
    /// The `/config.json` document, rendered once at startup.
    config_json: Bytes,
    /// The security headers of every response, prepared once at startup.
    security: SecurityHeaders,
}

impl Site {
    /// The site for `config`, serving the app from `app` and each vendor package's `dist/`
    /// from `config.vendor_dir` or the binary: `/config.json` and the security headers
    /// prepared now.
    pub(crate) fn new(app: Folder, config: &Config) -> Site {
        Site {
            app,
            vendor: VENDOR_MOUNTS
                .iter()
                .map(|mount| match &config.vendor_dir {
                    Some(dir) => Folder::Mount(mount.dist(dir)),
                    None => Folder::Embedded(mount.embedded),
                })
                .collect(),
            config_json: runtime_config::render(config),
            security: SecurityHeaders::new(config),
        }
    }
}

impl Site {
    /// The vendor folder a path lies in, and the path below it.
    fn mount_of(&self, path: &RequestPath) -> Option<(&Folder, RequestPath)> {
        VENDOR_MOUNTS
            .iter()
            .zip(&self.vendor)
            .find_map(|(mount, dist)| Some((dist, path.strip_prefix(&[VENDOR_FOLDER, mount.url])?)))
    }

    /// Where the app's files come from, for the startup log.
    pub(crate) fn describe(&self) -> String {
        self.app.describe()
    }
}

impl VendorMount {
    /// The package's `dist/` folder in the vendor folder `vendor_dir`.
    pub(crate) fn dist(&self, vendor_dir: &std::path::Path) -> PathBuf {
        vendor_dir.join(self.package).join("dist")
    }
}

/// Answers one request. Never fails: every problem becomes a status code.
pub(crate) async fn handle(req: Request<Incoming>, site: &Site, conn: u64) -> Response<Body> {
    let method = req.method();
    let path = req.uri().path();
    let mut res = if method != Method::GET && method != Method::HEAD {
        let mut res = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        res.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        res
    } else if path == HEALTH_PATH {
        health()
    } else if path == "/config.json" {
        runtime_config::response(&site.config_json)
    } else {
        match RequestPath::parse(path) {
            Ok(request_path) => match site.mount_of(&request_path) {
                Some((dist, inner)) => files::serve(dist, &inner, &req, conn).await,
                None => files::serve(&site.app, &request_path, &req, conn).await,
            },
            Err(Rejection::Malformed(why)) => {
                debug!("conn={conn} refused path {path:?}: {why}");
                text(StatusCode::BAD_REQUEST, "bad request")
            }
            Err(Rejection::Hidden) => not_found(),
        }
    };
    finish(&req, &mut res, site, conn);
    res
}

/// `/healthz`: the server is up and answering; never cached.
fn health() -> Response<Body> {
    let mut res = text(StatusCode::OK, "ok");
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The answer to every request of a connection past a cap: `503` with `Retry-After`, and
/// the connection closed after it. The request's body, if any, is never read.
pub(crate) fn unavailable(
    req: &Request<Incoming>,
    site: &Site,
    conn: u64,
    why: &'static str,
) -> Response<Body> {
    let mut res = text(StatusCode::SERVICE_UNAVAILABLE, why);
    let headers = res.headers_mut();
    headers.insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
    headers.insert(CONNECTION, HeaderValue::from_static("close"));
    finish(req, &mut res, site, conn);
    res
}

/// Adds the security headers and `Content-Length`, drops the body of a HEAD answer.
fn finish(req: &Request<Incoming>, res: &mut Response<Body>, site: &Site, conn: u64) {
    // The page host the browser sees: the Host header, or the authority of an
    // absolute-form request target.
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    site.security.apply(res.headers_mut(), host);
    let is_head = req.method() == Method::HEAD;
    let has_body = !matches!(
        res.status(),
        StatusCode::NOT_MODIFIED | StatusCode::NO_CONTENT
    );
    let len = res.body().size_hint().exact();
    if let (true, Some(len)) = (has_body, len) {
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    if is_head {
        *res.body_mut() = Body::default();
    }
    let method = req.method();
    let status = res.status().as_u16();
    debug!("conn={conn} {method} {} -> {status}", req.uri());
}
