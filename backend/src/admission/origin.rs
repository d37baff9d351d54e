//! Where a connection comes from: the page that opened it (its `Origin`, checked against
//! the allow-list before the upgrade), and the network it is counted in (its address, or
//! the client a trusted proxy names).

use clap::ValueEnum;
use std::net::IpAddr;

/// What to do with an upgrade request that carries no `Origin` header.
///
/// Browsers always send `Origin` with a WebSocket upgrade, and a page cannot remove it:
/// a request without one does not come from a page of another site, so it is not a
/// cross-site WebSocket hijacking. Such clients (the seed's Node.js clients, scripts,
/// load generators) are allowed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MissingOrigin {
    Allow,
    Deny,
}

/// Whether `origin` (the request's `Origin` header, if any) may open a connection.
pub(crate) fn origin_allowed(
    origin: Option<&str>,
    allowed: &[String],
    missing: MissingOrigin,
) -> bool {
    let Some(origin) = origin else {
        return missing == MissingOrigin::Allow;
    };
    allowed.iter().any(|listed| {
        listed == "*"
            || listed
                .trim_end_matches('/')
                .eq_ignore_ascii_case(origin.trim())
    })
}

/// The network a client is counted in: its IPv4 address (an IPv4-mapped IPv6 address
/// counts as its IPv4 address), or the /64 of its IPv6 address, which is one subscriber's.
pub(crate) fn network_of(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        v4 => v4,
    }
}

/// Who a connection is, for the delays after failed sign-ins: its peer, or, when the peer
/// is a trusted proxy, the right-most `X-Forwarded-For` address that is not one (each proxy
/// appends the address it received from; only those past the trusted ones could be forged).
pub(crate) fn client_of(peer: IpAddr, forwarded_for: &[IpAddr], trusted: &[IpAddr]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut hops = forwarded_for.iter().rev();
    hops.find(|hop| !is_trusted(**hop, trusted))
        .copied()
        .unwrap_or(peer)
}

/// Whether `address` is one of the `trusted` proxies (an IPv4-mapped address as its IPv4).
pub(crate) fn is_trusted(address: IpAddr, trusted: &[IpAddr]) -> bool {
    trusted.contains(&address.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

    #[test]
    fn a_trusted_proxy_is_seen_through_and_no_one_else() {
        let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let forged = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 9));
        let client = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 5));
        let trusted = [proxy];
        assert_eq!(client_of(proxy, &[forged, client], &trusted), client);
        assert_eq!(client_of(proxy, &[client, proxy], &trusted), client);
        assert_eq!(client_of(proxy, &[], &trusted), proxy);
        assert_eq!(
            client_of(A, &[client], &trusted),
            A,
            "not a proxy: its own address"
        );
        assert_eq!(client_of(proxy, &[client], &[]), proxy, "no proxy trusted");
    }

    #[test]
    fn origins_match_the_list_exactly_or_star() {
        let list = vec!["http://localhost:3000".to_string()];
        let allow = MissingOrigin::Allow;
        assert!(origin_allowed(Some("http://localhost:3000"), &list, allow));
        assert!(origin_allowed(Some("HTTP://LOCALHOST:3000"), &list, allow));
        assert!(!origin_allowed(Some("http://localhost:3001"), &list, allow));
        assert!(!origin_allowed(
            Some("http://localhost:3000.evil.example"),
            &list,
            allow
        ));
        assert!(!origin_allowed(Some("null"), &list, allow));
        assert!(origin_allowed(None, &list, allow));
        assert!(!origin_allowed(None, &list, MissingOrigin::Deny));
        assert!(origin_allowed(
            Some("https://evil.example"),
            &["*".into()],
            allow
        ));
    }
}
