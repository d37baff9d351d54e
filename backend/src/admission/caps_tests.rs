//! Unit tests of `caps.rs`.

use super::*;
use std::net::{Ipv4Addr, Ipv6Addr};

const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

#[test]
fn per_address_cap_counts_each_address_apart() {
    let admission = Admission::new(0, 2, &[]);
    let first = admission.admit(A).unwrap();
    let _second = admission.admit(A).unwrap();
    assert_eq!(admission.admit(A).unwrap().refused(), Some(Cap::PerAddress));
    assert_eq!(admission.admit(B).unwrap().refused(), None);
    drop(first);
    assert_eq!(admission.admit(A).unwrap().refused(), None);
}

#[test]
fn total_cap_and_tickets_given_back_on_drop() {
    let admission = Admission::new(2, 0, &[]);
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
    let admission = Admission::new(1, 0, &[]);
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
    let admission = Admission::new(0, 1, &[]);
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
    let admission = Admission::new(0, 2, &[]);
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
fn a_trusted_proxys_connections_count_as_the_clients_it_names() {
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let admission = Admission::new(3, 1, &[proxy]);
    let mut first = admission.admit(proxy).unwrap();
    let mut second = admission.admit(proxy).unwrap();
    assert_eq!(first.refused(), None, "the proxy is no client: not counted");
    assert_eq!(first.count_as(A), Ok(()));
    assert_eq!(second.count_as(A), Err(Cap::PerAddress), "A is at its cap");
    let mut third = admission.admit(proxy).unwrap();
    assert_eq!(
        third.count_as(B),
        Ok(()),
        "another client behind it gets in"
    );
    assert_eq!(
        admission.admit(proxy).unwrap().refused(),
        Some(Cap::Total),
        "the total still bounds the proxy's handshakes"
    );
    drop(second);
    drop(first);
    let mut again = admission.admit(proxy).unwrap();
    assert_eq!(again.count_as(A), Ok(()), "A's place came back");
    assert_eq!(
        again.count_as(B),
        Ok(()),
        "counted once: a second call keeps it"
    );
    drop((again, third));
    assert!(lock(&admission.counts).per_address.is_empty());
    assert_eq!(admission.total(), 0);
}

#[test]
fn a_direct_client_is_counted_at_accept_not_again() {
    let admission = Admission::new(0, 1, &[IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    let mut direct = admission.admit(A).unwrap();
    assert_eq!(direct.count_as(B), Ok(()), "a direct client names no one");
    let mut refused = admission.admit(A).unwrap();
    assert_eq!(refused.count_as(B), Err(Cap::PerAddress));
    drop(refused);
    assert_eq!(lock(&admission.counts).per_address.get(&A), Some(&1));
    assert_eq!(lock(&admission.counts).per_address.get(&B), None);
}

#[test]
fn the_cap_never_exceeds_the_descriptor_limit() {
    let limit = descriptors::raise_to_hard_limit().expect("a limit on Linux");
    let cap = within_descriptor_limit(usize::MAX);
    assert_eq!(cap, limit.saturating_sub(DESCRIPTOR_MARGIN).max(1));
    assert_eq!(within_descriptor_limit(0), cap);
    assert_eq!(within_descriptor_limit(10), 10);
}
