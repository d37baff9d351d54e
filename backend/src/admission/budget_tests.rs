//! Unit tests of `budget.rs`.

use super::*;
use crate::admission::bucket::LevelSlot;
use std::time::Duration;

#[test]
fn strikes_count_within_their_window_only() {
    let start = Instant::now();
    let mut strikes = Strikes::new(StrikeLimit {
        max: 3,
        window: Duration::from_secs(10),
    });
    for i in 0..3 {
        assert!(!strikes.strike(start + Duration::from_secs(i)));
    }
    assert!(
        !strikes.strike(start + Duration::from_secs(10)),
        "the first expired"
    );
    assert!(strikes.strike(start + Duration::from_millis(10_500)));
}

/// A sender's fan-out and one shared budget, as the hub charges them.
fn fan_out(start: Instant) -> FanOut {
    let config = BudgetConfig {
        fan_out_rate: Rate::new(1000.0, 2000),
        room_broadcast_rate: Rate::new(100.0, 300),
        directed_rate: Rate::new(100.0, 300),
        ..BudgetConfig::default()
    };
    FanOut::new(&config, start)
}

#[test]
fn fan_out_is_charged_bytes_times_recipients_and_refills_at_its_rate() {
    let start = Instant::now();
    let mut fan_out = fan_out(start);
    let mut room = None;
    let charge = |fan_out: &mut FanOut, room: &mut LevelSlot, at: u64| {
        let now = start + Duration::from_millis(at);
        fan_out.charge(10, 100, Passes::RoomBroadcast(room), now)
    };
    assert!(charge(&mut fan_out, &mut room, 0).is_ok());
    assert!(charge(&mut fan_out, &mut room, 0).is_ok());
    let refused = charge(&mut fan_out, &mut room, 0).expect_err("2000 bytes used");
    assert_eq!(refused.code, ErrorCode::RateLimited);
    assert!(refused.message.contains("fan-out budget"), "{refused}");
    // A second later 1000 bytes are back: one more frame to 100.
    assert!(charge(&mut fan_out, &mut room, 1000).is_ok());
    assert!(charge(&mut fan_out, &mut room, 1000).is_err());
}

#[test]
fn a_shared_budget_refuses_every_sender_once_used_up_and_takes_nothing_on_refusal() {
    let start = Instant::now();
    let (mut alice, mut bob) = (fan_out(start), fan_out(start));
    let mut inbound = None;
    fn to_carol(slot: &mut LevelSlot) -> Passes<'_> {
        Passes::DirectedTo("carol@example.com", slot)
    }
    assert!(alice.charge(200, 1, to_carol(&mut inbound), start).is_ok());
    let refused = bob
        .charge(200, 1, to_carol(&mut inbound), start)
        .expect_err("100 bytes left for carol");
    assert!(refused.message.contains("carol@example.com"), "{refused}");
    // Bob's refused frame cost him nothing: his whole burst is still there.
    let mut other = None;
    assert!(bob.charge(20, 100, to_carol(&mut other), start).is_ok());
    // And a frame refused by the sender's budget costs the shared one nothing.
    assert!(bob.charge(100, 1, to_carol(&mut inbound), start).is_err());
    assert!(alice.charge(100, 1, to_carol(&mut inbound), start).is_ok());
}

#[test]
fn a_frame_larger_than_the_burst_passes_a_full_budget_and_leaves_a_debt() {
    let start = Instant::now();
    let mut fan_out = fan_out(start);
    let mut room = None;
    let mut charge = |bytes, recipients, at| {
        let now = start + Duration::from_millis(at);
        fan_out.charge(bytes, recipients, Passes::RoomBroadcast(&mut room), now)
    };
    // 3000 bytes on a burst of 2000: let through, 1000 owed.
    assert!(charge(30, 100, 0).is_ok());
    assert!(charge(1, 1, 500).is_err(), "still 500 owed after 0.5 s");
    assert!(charge(30, 100, 2999).is_err(), "not full yet");
    assert!(charge(30, 100, 3000).is_ok(), "full again after 3 s");
    // Nothing is ever charged for no recipients.
    assert!(charge(1_000_000, 0, 3000).is_ok());
}

fn update_user() -> ClientMessage {
    ClientMessage::UpdateUser(shared::Profile {
        email: "alice@example.com".into(),
        name: "Alice".into(),
        latitude: None,
        longitude: None,
        is_connected: None,
        in_call: None,
        room: None,
        access_code: None,
        token: None,
        link_code: None,
    })
}

#[test]
fn presence_updates_have_their_own_rate() {
    let start = Instant::now();
    let config = BudgetConfig {
        presence_rate: Rate::new(10.0, 20),
        ..BudgetConfig::default()
    };
    let mut budget = Budget::new(&config, start);
    let admitted = (0..25)
        .filter(|_| budget.admit(&update_user(), 100, start).is_ok())
        .count();
    assert_eq!(admitted, 20);
    let later = start + Duration::from_millis(100);
    let refused = budget
        .admit(&update_user(), 100, start)
        .expect_err("none left");
    assert_eq!(refused.code, ErrorCode::RateLimited);
    assert!(budget.admit(&update_user(), 100, later).is_ok());
}

#[test]
fn a_signal_without_to_is_capped_in_size_and_one_with_to_is_not() {
    let start = Instant::now();
    let config = BudgetConfig {
        broadcast_signal_max_bytes: 1000,
        ..BudgetConfig::default()
    };
    let mut budget = Budget::new(&config, start);
    let offer = |to: Option<&str>| {
        ClientMessage::Offer(shared::Signal {
            to: to.map(str::to_owned),
            payload: serde_json::Map::new(),
        })
    };
    assert!(budget.admit(&offer(None), 1000, start).is_ok());
    let refused = budget
        .admit(&offer(None), 1001, start)
        .expect_err("too big");
    assert_eq!(refused.code, ErrorCode::PayloadTooLarge);
    assert!(
        budget
            .admit(&offer(Some("bob@example.com")), 60_000, start)
            .is_ok()
    );
}
