//! The sources a Content-Security-Policy names, taken from URLs the operator configured
//! and from the request's `Host`: each checked to be a valid CSP source expression, so a
//! hostile value cannot add directives.

use std::fmt;

/// Why a configured URL's origin cannot be named in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unexpressible {
    NotAbsolute,
    UnexpectedScheme,
    UserInfo,
    Ipv6,
    BadPort,
    BadHost,
}

impl fmt::Display for Unexpressible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAbsolute => "is not an absolute url",
            Self::UnexpectedScheme => "has an unexpected scheme",
            Self::UserInfo => "carries user info",
            Self::Ipv6 => "names an IPv6 address, which a policy cannot express",
            Self::BadPort => "has a bad port",
            Self::BadHost => "has a host a policy cannot express",
        })
    }
}

/// Where the browser's WebSocket goes, as far as the policy is concerned.
#[derive(Debug, PartialEq)]
pub(super) enum WsSource {
    /// An absolute URL: its origin (`ws://host:port`).
    Origin(String),
    /// A URL relative to the page: `'self'` covers it.
    SameOrigin,
    /// No URL: the browser uses `ws(s)://<page host>:<the backend's default port>/`.
    PageHost,
    /// A URL whose origin cannot be written in a policy.
    Unusable(Unexpressible),
}

pub(super) fn ws_source(url: &str) -> WsSource {
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
pub(super) fn tile_source(template: &str) -> Result<Option<String>, Unexpressible> {
    let template = template.trim();
    if template.starts_with('/') && !template.starts_with("//") {
        return Ok(None);
    }
    origin(template, &["http", "https"], true).map(Some)
}

/// `scheme://host[:port]` of an absolute URL, checked so that it is a valid CSP
/// host-source: a scheme among `schemes`, no user info, a host of letters, digits, `-`
/// and `.` (an IPv4 address passes, an IPv6 literal cannot be expressed), a numeric port.
fn origin(url: &str, schemes: &[&str], wildcard: bool) -> Result<String, Unexpressible> {
    let (scheme, rest) = url.split_once("://").ok_or(Unexpressible::NotAbsolute)?;
    let scheme = scheme.to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(Unexpressible::UnexpectedScheme);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(Unexpressible::UserInfo);
    }
    if authority.starts_with('[') {
        return Err(Unexpressible::Ipv6);
    }
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Unexpressible::BadPort);
    }
    let mut labels = Vec::new();
    for (i, label) in host.split('.').enumerate() {
        if wildcard && i == 0 && label.contains('{') && host.contains('.') {
            labels.push("*".to_owned());
        } else if is_host_label(label) {
            labels.push(label.to_ascii_lowercase());
        } else {
            return Err(Unexpressible::BadHost);
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
pub(super) fn page_hostname(host: &str) -> Option<&str> {
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
}
