//! The security headers every response carries: a Content-Security-Policy that allows the
//! app itself, its WebSocket endpoint and the tile server and nothing else, plus
//! `nosniff`, the referrer, permissions, opener and framing policies.
//!
//! The policy is computed once at startup from the configuration. Only its `connect-src`
//! may depend on the request: without `--ws-url` the browser connects to
//! `ws(s)://<page host>:8080/`, and the page host is the request's `Host` header, so that
//! one source is filled in per request (after checking the host is a plain name or IPv4
//! address, so a hostile `Host` cannot add directives).

use hyper::HeaderMap;
use hyper::header::{
    CONTENT_SECURITY_POLICY, HeaderName, HeaderValue, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use log::warn;

use crate::config::Config;

/// The port the browser app connects to when no WebSocket URL is configured
/// (`defaultWsUrl` in `public/js/config.js`).
pub(crate) const BROWSER_DEFAULT_WS_PORT: u16 = 8080;

/// `Permissions-Policy`: the app needs camera, microphone and location for itself only.
pub(crate) const PERMISSIONS_POLICY: &str =
    "camera=(self), microphone=(self), geolocation=(self), display-capture=(), usb=(), payment=()";
/// `Referrer-Policy`: OpenStreetMap's tile policy asks for a referer, so not `no-referrer`.
pub(crate) const REFERRER: &str = "strict-origin-when-cross-origin";

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
        let tail = "; media-src 'self' blob: mediastream:; font-src 'self'; manifest-src 'self'; \
                    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
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
                        let port = BROWSER_DEFAULT_WS_PORT;
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

/// Where the browser's WebSocket goes, as far as the policy is concerned.
#[derive(Debug, PartialEq)]
enum WsSource {
    /// An absolute URL: its origin (`ws://host:port`).
    Origin(String),
    /// A URL relative to the page: `'self'` covers it.
    SameOrigin,
    /// No URL: the browser uses `ws(s)://<page host>:8080/`.
    PageHost,
    /// A URL whose origin cannot be written in a policy.
    Unusable(&'static str),
}

fn ws_source(url: &str) -> WsSource {
    if url.is_empty() {
        return WsSource::PageHost;
    }
    if url.starts_with('/') && !url.starts_with("//") {
        return WsSource::SameOrigin;
    }
    match origin(url, &["ws", "wss", "http", "https"], false) {
        // `new WebSocket` turns http(s) into ws(s); name the scheme it will really use.
        Ok(origin) => WsSource::Origin(
            origin
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1),
        ),
        Err(why) => WsSource::Unusable(why),
    }
}

/// The source expression of the tile server: `None` for tiles on this server (a relative
/// template). A `{s}` (or any placeholder) in the first label of the host becomes `*`, the
/// policy's subdomain wildcard: `https://{s}.tile.openstreetmap.org/...` gives
/// `https://*.tile.openstreetmap.org`.
fn tile_source(template: &str) -> Result<Option<String>, &'static str> {
    let template = template.trim();
    if template.starts_with('/') && !template.starts_with("//") {
        return Ok(None);
    }
    origin(template, &["http", "https"], true).map(Some)
}

/// `scheme://host[:port]` of an absolute URL, checked so that it is a valid CSP
/// host-source: a scheme among `schemes`, no user info, a host of letters, digits, `-`
/// and `.` (an IPv4 address passes, an IPv6 literal cannot be expressed), a numeric port.
fn origin(url: &str, schemes: &[&str], wildcard: bool) -> Result<String, &'static str> {
    let (scheme, rest) = url.split_once("://").ok_or("is not an absolute url")?;
    let scheme = scheme.to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err("has an unexpected scheme");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err("carries user info");
    }
    if authority.starts_with('[') {
        return Err("names an IPv6 address, which a policy cannot express");
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("has a bad port");
    }
    let mut labels = Vec::new();
    for (i, label) in host.split('.').enumerate() {
        if wildcard && i == 0 && label.contains('{') && host.contains('.') {
            labels.push("*".to_owned());
        } else if is_host_label(label) {
            labels.push(label.to_ascii_lowercase());
        } else {
            return Err("has a host a policy cannot express");
        }
    }
    let mut origin = format!("{scheme}://{}", labels.join("."));
    if let Some(port) = port {
        origin.push(':');
        origin.push_str(port);
    }
    Ok(origin)
}

/// The host name of a `Host` header (the port dropped), when it is a plain DNS name or
/// IPv4 address that can go into a policy verbatim.
fn page_hostname(host: &str) -> Option<&str> {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return None,
        None => host,
    };
    let valid = !name.is_empty() && name.len() <= 253 && name.split('.').all(is_host_label);
    valid.then_some(name)
}

fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_origins() {
        let ok = |t: &str| tile_source(t).expect(t);
        assert_eq!(
            ok("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            ok("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.openstreetmap.org")
        );
        assert_eq!(
            ok("http://127.0.0.1:9/{z}/{x}/{y}.png").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            ok("HTTPS://Tiles.Example:8443/t/{z}/{x}/{y}.png?key=1").as_deref(),
            Some("https://tiles.example:8443")
        );
        assert_eq!(ok("/tiles/{z}/{x}/{y}.png"), None);
        for bad in [
            "tiles.example/{z}/{x}/{y}.png",
            "ftp://tiles.example/{z}",
            "https://u:p@tiles.example/{z}",
            "https://[::1]:8080/{z}",
            "https://tiles.example:80a/{z}",
            "https://tiles.example; script-src *; x/{z}",
            "https://tiles.{s}.example/{z}",
            "https://{s}/{z}",
            "//tiles.example/{z}",
        ] {
            assert!(tile_source(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn websocket_origins() {
        assert_eq!(ws_source(""), WsSource::PageHost);
        assert_eq!(ws_source("/ws"), WsSource::SameOrigin);
        assert_eq!(
            ws_source("wss://meet.example/ws?x=1"),
            WsSource::Origin("wss://meet.example".to_owned())
        );
        assert_eq!(
            ws_source("ws://127.0.0.1:41234/"),
            WsSource::Origin("ws://127.0.0.1:41234".to_owned())
        );
        assert_eq!(
            ws_source("https://meet.example:9000/ws"),
            WsSource::Origin("wss://meet.example:9000".to_owned())
        );
        assert!(matches!(
            ws_source("ws://[::1]:8080/"),
            WsSource::Unusable(_)
        ));
        assert!(matches!(ws_source("meet.example"), WsSource::Unusable(_)));
    }

    #[test]
    fn page_hosts() {
        assert_eq!(page_hostname("localhost:3000"), Some("localhost"));
        assert_eq!(page_hostname("meet.example"), Some("meet.example"));
        assert_eq!(page_hostname("10.0.0.7:3000"), Some("10.0.0.7"));
        for bad in [
            "",
            "[::1]:3000",
            "evil;script-src *",
            "a b",
            "x:y",
            "a..b",
            "'self'",
        ] {
            assert_eq!(page_hostname(bad), None, "{bad:?}");
        }
    }

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
             font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
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
