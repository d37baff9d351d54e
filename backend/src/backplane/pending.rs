//! Presence changes a failed write did not deliver, kept to go with the next tick's: one
//! entry per member per room, the newest state winning (a user's latest upsert, or their
//! leave). Resending a change is harmless for the receivers: an upsert of the state a
//! node already holds changes nothing there, a leave of someone not held neither.

use super::message::RoomChange;
use shared::User;
use std::collections::BTreeMap;

/// The changes waiting for a write that succeeds, by room and email (`None`: a leave).
#[derive(Debug, Default)]
pub struct Pending {
    rooms: BTreeMap<String, BTreeMap<String, Option<User>>>,
    entries: usize,
}

impl Pending {
    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// How many member changes wait (one per member per room).
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Adds `changes`, newer than those kept: for a member already kept, theirs win.
    pub fn add(&mut self, changes: Vec<RoomChange>) {
        for change in changes {
            let room = self.rooms.entry(change.room).or_default();
            let before = room.len();
            for user in change.upserts {
                room.insert(user.email.clone(), Some(user));
            }
            for email in change.leaves {
                room.insert(email, None);
            }
            self.entries += room.len() - before;
        }
    }

    /// What is kept with `changes` (newer) merged over it, as one tick's changes, leaving
    /// nothing kept; `changes` themselves when nothing was.
    pub fn merged_with(&mut self, changes: Vec<RoomChange>) -> Vec<RoomChange> {
        if self.is_empty() {
            return changes;
        }
        self.add(changes);
        self.take()
    }

    /// Everything kept, as one tick's changes (one entry per room), leaving nothing kept.
    pub fn take(&mut self) -> Vec<RoomChange> {
        self.entries = 0;
        std::mem::take(&mut self.rooms)
            .into_iter()
            .map(|(room, members)| {
                let mut change = RoomChange {
                    room,
                    upserts: Vec::new(),
                    leaves: Vec::new(),
                };
                for (email, state) in members {
                    match state {
                        Some(user) => change.upserts.push(user),
                        None => change.leaves.push(email),
                    }
                }
                change
            })
            .collect()
    }

    /// Forgets what is kept (a whole snapshot supersedes it).
    pub fn clear(&mut self) {
        self.rooms.clear();
        self.entries = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(email: &str, latitude: f64) -> User {
        User {
            email: email.to_owned(),
            name: email.to_owned(),
            latitude: Some(latitude),
            longitude: Some(2.0),
            is_connected: true,
            in_call: false,
        }
    }

    fn change(room: &str, upserts: Vec<User>, leaves: &[&str]) -> RoomChange {
        RoomChange {
            room: room.to_owned(),
            upserts,
            leaves: leaves.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn nothing_kept_passes_a_ticks_changes_through_unchanged() {
        let mut pending = Pending::default();
        let tick = vec![change(
            "r",
            vec![user("b@x", 1.0), user("a@x", 2.0)],
            &["c@x"],
        )];
        assert_eq!(pending.merged_with(tick.clone()), tick);
        assert!(pending.is_empty());
    }

    #[test]
    fn a_members_newest_state_wins_and_counts_once() {
        let mut pending = Pending::default();
        pending.add(vec![change("r", vec![user("a@x", 1.0)], &["b@x"])]);
        pending.add(vec![change("r", vec![user("a@x", 3.0)], &[])]);
        assert_eq!(pending.len(), 2);
        let merged = pending.merged_with(vec![change("r", vec![user("b@x", 5.0)], &[])]);
        assert_eq!(
            merged,
            vec![change("r", vec![user("a@x", 3.0), user("b@x", 5.0)], &[])]
        );
        assert!(pending.is_empty());
        assert_eq!(pending.len(), 0);
    }

    #[test]
    fn a_leave_after_a_join_is_a_leave_and_a_join_after_a_leave_a_join() {
        let mut pending = Pending::default();
        pending.add(vec![change("r", vec![user("a@x", 1.0)], &["b@x"])]);
        let merged = pending.merged_with(vec![change("r", vec![user("b@x", 2.0)], &["a@x"])]);
        assert_eq!(merged, vec![change("r", vec![user("b@x", 2.0)], &["a@x"])]);
    }

    #[test]
    fn rooms_stay_apart_and_a_cleared_pending_keeps_nothing() {
        let mut pending = Pending::default();
        pending.add(vec![
            change("one", vec![user("a@x", 1.0)], &[]),
            change("two", vec![], &["a@x"]),
        ]);
        assert_eq!(pending.len(), 2);
        let merged = pending.merged_with(vec![change("one", vec![], &["a@x"])]);
        assert_eq!(
            merged,
            vec![
                change("one", vec![], &["a@x"]),
                change("two", vec![], &["a@x"])
            ]
        );
        pending.add(merged);
        pending.clear();
        assert!(pending.is_empty());
        assert_eq!(pending.take(), Vec::new());
    }
}
