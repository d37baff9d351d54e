//! The security headers every response carries: a Content-Security-Policy that allows the
//! app itself (its service worker and manifest too), its WebSocket endpoint and the tile
//! server and nothing else, plus
//! `nosniff`, the referrer, permissions, opener and framing policies.
//!
//! The policy is computed once at startup from the configuration. Only its `connect-src`
//! may depend on the request: without `--ws-url` the browser connects to
//! `ws(s)://<page host>:<port>/` (`shared::DEFAULT_BACKEND_PORT`), and the page host is
//! the request's `Host` header, so that one source is filled in per request (after
//! checking, in `sources`, that the host is a plain name or IPv4 address, so a hostile
//! `Host` cannot add directives).

use hyper::HeaderMap;
use hyper::header::{
    CONTENT_SECURITY_POLICY, HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use log::warn;
use shared::DEFAULT_BACKEND_PORT;

use crate::config::Config;

use sources::{WsSource, page_hostname, tile_source, ws_source};

mod sources;

/// `Permissions-Policy`: the app needs camera, microphone and location for itself only.
const PERMISSIONS_POLICY: &str =
    "camera=(self), microphone=(self), geolocation=(self), display-capture=(), usb=(), payment=()";
/// `Referrer-Policy`: OpenStreetMap's tile policy asks for a referer, so not `no-referrer`.
const REFERRER: &str = "strict-origin-when-cross-origin";

const PERMISSIONS_POLICY_HEADER: HeaderName = HeaderName::from_static("permissions-policy");
const CROSS_ORIGIN_OPENER_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-opener-policy");

/// The headers of every response, prepared at startup.
#[derive(Debug)]
pub(crate) struct SecurityHeaders {
    csp: Csp,
}

/// The Content-Security-Policy, whole or waiting for the page host.
#[derive(Debug)]
enum Csp {
    /// `--ws-url` is set (or relative): the same policy for every request.
    Fixed(HeaderValue),
    /// No `--ws-url`: `head` ends inside `connect-src`, where the page host's
    /// `ws://` and `wss://` sources go, then `tail`.
    PageHost { head: String, tail: String },
}

impl SecurityHeaders {
    /// Builds the policy for this configuration; warns about a tile or WebSocket URL whose
    /// origin a policy cannot name (the map or the connection would then be blocked).
    pub(crate) fn new(config: &Config) -> SecurityHeaders {
        let tile_source = match tile_source(&config.tile_url) {
            Ok(source) => source,
            Err(why) => {
                warn!(
                    "the tile url {:?} {why}: the content security policy allows tiles from this server only",
                    config.tile_url
                );
                None
            }
        };
        let img_src = match &tile_source {
            Some(tiles) => format!("'self' data: {tiles}"),
            None => "'self' data:".to_owned(),
        };
        let head = format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src {img_src}; connect-src 'self'"
        );
        // The service worker (`/sw.js`) and the manifest come from the app itself.
        let tail = "; media-src 'self' blob: mediastream:; font-src 'self'; manifest-src 'self'; \
                    worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        let ws_url = config.ws_url.as_deref().map(str::trim).unwrap_or("");
        let ws = match ws_source(ws_url) {
            WsSource::Origin(origin) => Some(origin),
            WsSource::SameOrigin => None,
            WsSource::PageHost => {
                return SecurityHeaders {
                    csp: Csp::PageHost {
                        head,
                        tail: tail.to_owned(),
                    },
                };
            }
            WsSource::Unusable(why) => {
                warn!(
                    "the websocket url {ws_url:?} {why}: the content security policy allows websockets to this server only"
                );
                None
            }
        };
        let policy = match ws {
            Some(origin) => format!("{head} {origin}{tail}"),
            None => format!("{head}{tail}"),
        };
        // Every part was checked to be printable ASCII, so this cannot fail; fall back to
        // the strictest policy rather than panic.
        let value = HeaderValue::from_str(&policy)
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
        SecurityHeaders {
            csp: Csp::Fixed(value),
        }
    }

    /// Sets every security header on a response to a request whose `Host` header (or
    /// absolute-form authority) is `host`.
    pub(crate) fn apply(&self, headers: &mut HeaderMap, host: Option<&str>) {
        headers.insert(CONTENT_SECURITY_POLICY, self.policy_for(host));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static(REFERRER));
        headers.insert(
            PERMISSIONS_POLICY_HEADER,
            HeaderValue::from_static(PERMISSIONS_POLICY),
        );
        headers.insert(
            CROSS_ORIGIN_OPENER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }

    /// The Content-Security-Policy for a request to `host`.
    fn policy_for(&self, host: Option<&str>) -> HeaderValue {
        match &self.csp {
            Csp::Fixed(value) => value.clone(),
            Csp::PageHost { head, tail } => {
                let policy = match host.and_then(page_hostname) {
                    Some(name) => {
                        let port = DEFAULT_BACKEND_PORT;
                        format!("{head} ws://{name}:{port} wss://{name}:{port}{tail}")
                    }
                    // An IPv6 literal cannot be named in a policy, and a malformed host
                    // must not be copied into one: the page then connects nowhere.
                    None => format!("{head}{tail}"),
                };
                HeaderValue::from_str(&policy)
                    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_names_the_configured_origins() {
        let mut config = Config::for_dir("/srv");
        config.ws_url = Some("wss://meet.example/ws".to_owned());
        config.tile_url = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png".to_owned();
        let headers = SecurityHeaders::new(&config);
        assert_eq!(
            headers.policy_for(Some("evil")).to_str().expect("ascii"),
            "default-src 'none'; script-src 'self'; style-src 'self'; \
             img-src 'self' data: https://*.tile.openstreetmap.org; \
             connect-src 'self' wss://meet.example; media-src 'self' blob: mediastream:; \
             font-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'"
        );
    }

    #[test]
    fn policy_without_ws_url_follows_the_page_host() {
        let headers = SecurityHeaders::new(&Config::for_dir("/srv"));
        let policy = |host| headers.policy_for(host).to_str().expect("ascii").to_owned();
        assert!(
            policy(Some("meet.example:3000"))
                .contains("connect-src 'self' ws://meet.example:8080 wss://meet.example:8080;")
        );
        assert!(policy(Some("[::1]:3000")).contains("connect-src 'self';"));
        assert!(policy(Some("x;script-src *")).contains("connect-src 'self';"));
        assert!(policy(None).contains("connect-src 'self';"));
        assert!(policy(None).contains("img-src 'self' data: https://tile.openstreetmap.org;"));
    }
}
