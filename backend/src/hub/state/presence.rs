//! The presence tick: every dirty room's pending changes, as one full list for the seed's
//! clients and one delta for the others, each serialised once for all its recipients. A
//! room of more users than a tick's share sends every few ticks: what one room costs the
//! server (and its clients) a second stays bounded however large it grows.

use super::State;
use std::time::Duration;
use tokio::time::Instant;

impl State {
    /// Sends every room's pending presence changes due at `now`. A user's change
    /// broadcast less than `move_interval` ago stays pending (the latest state wins) and
    /// its room dirty; so does a paced room's, until its ticks have passed. Returns
    /// whether it sent anything.
    pub fn flush_presence(&mut self, now: Instant, move_interval: Duration) -> bool {
        let State {
            connections,
            rooms,
            dirty_rooms,
            paced_rooms,
            room_users_per_tick,
            ..
        } = self;
        // A paced room's wait counts ticks, whether it has changes or not.
        paced_rooms.retain(|_, ticks| {
            *ticks -= 1;
            *ticks > 0
        });
        let mut still_dirty = Vec::new();
        let mut sent = false;
        for room_name in std::mem::take(dirty_rooms) {
            let Some(room) = rooms.get_mut(&room_name) else {
                continue;
            };
            if paced_rooms.contains_key(&room_name) {
                still_dirty.push(room_name);
                continue;
            }
            let frames = room.take_presence_frames(now, move_interval);
            let room_sent = frames.full_list.is_some() || frames.delta.is_some();
            sent |= room_sent;
            if let Some(list) = frames.full_list {
                connections.send_to_all(room.list_listeners(), &list);
            }
            if let Some(delta) = frames.delta {
                connections.send_to_all(room.delta_listeners(), &delta);
            }
            let ticks = ticks_per_frame(room.user_count(), *room_users_per_tick);
            if room_sent && ticks > 1 {
                paced_rooms.insert(room_name.clone(), ticks);
            }
            // Rooms are named by clients: one nobody is in must not outlive its last tick.
            if room.is_empty() {
                rooms.remove(&room_name);
                paced_rooms.remove(&room_name);
            } else if room.has_pending() {
                still_dirty.push(room_name);
            }
        }
        dirty_rooms.extend(still_dirty);
        self.publish_local();
        sent
    }
}

/// Every how many ticks a room of `users` sends its presence: at each up to
/// `users_per_tick` (0: always at each), every 2nd up to twice as many, and so on.
fn ticks_per_frame(users: usize, users_per_tick: usize) -> u32 {
    if users_per_tick == 0 {
        return 1;
    }
    u32::try_from(users.div_ceil(users_per_tick))
        .unwrap_or(u32::MAX)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::ticks_per_frame;

    #[test]
    fn a_room_sends_every_tick_up_to_its_share_then_every_few() {
        assert_eq!(ticks_per_frame(0, 5_000), 1);
        assert_eq!(ticks_per_frame(5_000, 5_000), 1);
        assert_eq!(ticks_per_frame(5_001, 5_000), 2);
        assert_eq!(ticks_per_frame(10_000, 5_000), 2);
        assert_eq!(ticks_per_frame(15_000, 5_000), 3);
        assert_eq!(ticks_per_frame(1_000_000, 0), 1);
        assert_eq!(ticks_per_frame(usize::MAX, 1), u32::MAX);
    }
}
