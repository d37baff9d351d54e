//! The presence tick: every dirty room's pending changes, as one full list for the seed's
//! clients and one delta for the others, each serialised once for all its recipients.

use super::State;
use std::time::Duration;
use tokio::time::Instant;

impl State {
    /// Sends every room's pending presence changes due at `now`. A user's change
    /// broadcast less than `move_interval` ago stays pending (the latest state wins) and
    /// its room dirty. Returns whether it sent anything.
    pub fn flush_presence(&mut self, now: Instant, move_interval: Duration) -> bool {
        let State {
            connections,
            rooms,
            dirty_rooms,
            ..
        } = self;
        let mut still_dirty = Vec::new();
        let mut sent = false;
        for room_name in std::mem::take(dirty_rooms) {
            let Some(room) = rooms.get_mut(&room_name) else {
                continue;
            };
            let frames = room.take_presence_frames(now, move_interval);
            sent |= frames.full_list.is_some() || frames.delta.is_some();
            if let Some(list) = frames.full_list {
                connections.send_to_all(room.list_listeners(), &list);
            }
            if let Some(delta) = frames.delta {
                connections.send_to_all(room.delta_listeners(), &delta);
            }
            // Rooms are named by clients: one nobody is in must not outlive its last tick.
            if room.is_empty() {
                rooms.remove(&room_name);
            } else if room.has_pending() {
                still_dirty.push(room_name);
            }
        }
        dirty_rooms.extend(still_dirty);
        self.publish_local();
        sent
    }
}
