//! Unit tests of `caps.rs`.

use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

#[test]
fn per_address_cap_counts_each_address_apart() {
    let admission = Admission::new(0, 2);
    let first = admission.admit(A).unwrap();
    let _second = admission.admit(A).unwrap();
    assert_eq!(admission.admit(A).unwrap().refused(), Some(Cap::PerAddress));
    assert_eq!(admission.admit(B).unwrap().refused(), None);
    drop(first);
    assert_eq!(admission.admit(A).unwrap().refused(), None);
}

#[test]
fn total_cap_and_tickets_given_back_on_drop() {
    let admission = Admission::new(2, 0);
    let tickets: Vec<Ticket> = [A, B].map(|a| admission.admit(a).unwrap()).into();
    assert_eq!(admission.admit(A).unwrap().refused(), Some(Cap::Total));
    assert_eq!(admission.total(), 2);
    drop(tickets);
    assert_eq!(admission.total(), 0);
    assert!(lock(&admission.counts).per_address.is_empty());
    assert_eq!(lock(&admission.counts).refusing, 0);
}

#[test]
fn refusals_in_flight_are_bounded() {
    let admission = Admission::new(1, 0);
    let _admitted = admission.admit(A).unwrap();
    let refusing: Vec<Ticket> = (0..MAX_REFUSALS_IN_FLIGHT)
        .map(|_| admission.admit(B).unwrap())
        .collect();
    assert!(admission.admit(B).is_none());
    drop(refusing);
    assert!(admission.admit(B).is_some());
}

#[test]
fn mapped_ipv6_counts_as_its_ipv4_address() {
    let admission = Admission::new(0, 1);
    let _v4 = admission.admit(A).unwrap();
    let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
    assert_eq!(
        admission.admit(mapped).unwrap().refused(),
        Some(Cap::PerAddress)
    );
    assert_eq!(
        admission
            .admit(IpAddr::V6(Ipv6Addr::LOCALHOST))
            .unwrap()
            .refused(),
        None
    );
}

#[test]
fn an_ipv6_slash_64_counts_as_one_address() {
    let admission = Admission::new(0, 2);
    let host = |last: u16| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, last));
    let _first = admission.admit(host(1)).unwrap();
    let _second = admission.admit(host(0xffff)).unwrap();
    assert_eq!(
        admission.admit(host(7)).unwrap().refused(),
        Some(Cap::PerAddress)
    );
    let next_subnet = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
    assert_eq!(admission.admit(next_subnet).unwrap().refused(), None);
}

#[test]
fn the_cap_never_exceeds_the_descriptor_limit() {
    let limit = descriptors::raise_to_hard_limit().expect("a limit on Linux");
    let cap = within_descriptor_limit(usize::MAX);
    assert_eq!(cap, limit.saturating_sub(DESCRIPTOR_MARGIN).max(1));
    assert_eq!(within_descriptor_limit(0), cap);
    assert_eq!(within_descriptor_limit(10), 10);
}

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
fn flags_give_the_origin_list_and_caps() {
    use clap::Parser;
    let defaults = crate::Args::parse_from(["backend"]).server_config();
    let frontend = ["http://127.0.0.1:3000", "http://localhost:3000"];
    assert_eq!(defaults.allowed_origins, frontend);
    assert_eq!(defaults.missing_origin, MissingOrigin::Allow);
    assert_eq!(
        (defaults.max_connections, defaults.max_connections_per_ip),
        (20_000, 200)
    );
    let args = crate::Args::parse_from([
        "backend",
        "--allowed-origins",
        "https://a.example, https://b.example",
        "--missing-origin",
        "deny",
        "--max-connections-per-ip",
        "0",
    ]);
    let config = args.server_config();
    assert_eq!(
        config.allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    assert_eq!(config.missing_origin, MissingOrigin::Deny);
    assert_eq!(config.max_connections_per_ip, 0);
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
