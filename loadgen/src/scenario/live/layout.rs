//! Where the live map's users go when spread: user `i` on node `i mod n`, and with a room
//! size into rooms of that many consecutive users, so that every room spans the nodes;
//! and what that makes due.

use std::ops::Range;

/// The node (of `nodes`) user `index` connects to.
pub(super) fn node_of(index: usize, nodes: usize) -> usize {
    index % nodes.max(1)
}

/// The name of user `index`'s room: `prefix`, or `prefix-k` in rooms of `room_size`.
pub(super) fn room_of(prefix: &str, room_size: usize, index: usize) -> String {
    match room_size {
        0 => prefix.to_owned(),
        size => format!("{prefix}-{}", index / size),
    }
}

/// The users in user `index`'s room (its senders, itself included) among `total`.
pub(super) fn room_members(total: usize, room_size: usize, index: usize) -> Range<usize> {
    if room_size == 0 {
        return 0..total;
    }
    let first = index - index % room_size;
    first..(first + room_size).min(total)
}

/// Ordered (sender, receiver) pairs of users sharing a room: each move goes to all.
pub(super) fn pairs(total: usize, room_size: usize) -> f64 {
    let size = match room_size {
        0 => total,
        size => size,
    }
    .max(1);
    let within = |n: usize| (n as f64) * (n as f64 - 1.0).max(0.0);
    (total / size) as f64 * within(size) + within(total % size)
}

/// The row's load column: users, moves, and rooms and nodes when there are several.
pub(super) fn load(
    clients: usize,
    moves: u32,
    (period_ms, room_size): (u64, usize),
    nodes: usize,
) -> String {
    let mut load = format!(
        "{clients} users, 1 move/{} s each, {moves} rounds",
        period_ms as f64 / 1000.0
    );
    if room_size > 0 {
        load += &format!(", rooms of {room_size}");
    }
    if nodes > 1 {
        load += &format!(", over {nodes} nodes");
    }
    load
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_of_a_size_span_the_nodes_and_the_last_room_takes_the_rest() {
        assert_eq!(room_members(250, 100, 0), 0..100);
        assert_eq!(room_members(250, 100, 199), 100..200);
        assert_eq!(room_members(250, 100, 249), 200..250);
        assert_eq!(room_members(250, 0, 249), 0..250);
        assert_eq!(room_of("live", 100, 199), "live-1");
        assert_eq!(room_of("live", 0, 199), "live");
        let nodes: Vec<usize> = (0..100).map(|i| node_of(i, 3)).collect();
        assert!(
            (0..3).all(|node| nodes.contains(&node)),
            "a room on every node"
        );
    }

    #[test]
    fn pairs_count_each_room_s_senders_and_receivers() {
        assert_eq!(pairs(250, 100), 2.0 * 100.0 * 99.0 + 50.0 * 49.0);
        assert_eq!(pairs(10, 0), 90.0);
        assert_eq!(pairs(1, 0), 0.0);
    }
}
