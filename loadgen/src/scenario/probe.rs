//! A measured live-map client's record: which moves of each sender arrived, their
//! latency, and at the end what was due, received, superseded or lost.

use crate::clock::now_us;
use crate::report::{Counts, new_histogram};
use crate::wire;
use hdrhistogram::Histogram;
use shared::ServerMessage;
use std::collections::HashSet;
use std::ops::Range;

/// A measured client's view: which moves of each sender arrived, and their latency.
pub(super) struct Probe {
    /// The first sender of the client's room: `arrived[n]` is sender `first + n`'s.
    first: usize,
    /// Bit `seq` set when move `seq` of that sender arrived.
    arrived: Vec<u64>,
    latency: Histogram<u64>,
}

impl Probe {
    /// A probe of the moves of the senders `senders` (the client's room).
    pub(super) fn new(senders: Range<usize>) -> Self {
        Self {
            first: senders.start,
            arrived: vec![0; senders.len()],
            latency: new_histogram(),
        }
    }

    pub(super) fn read(&mut self, me: usize, text: &str, moves: u32) {
        let now = now_us();
        let Ok(message) = serde_json::from_str::<ServerMessage>(text) else {
            return;
        };
        let mut arrive = |email: &str, latitude: Option<f64>, longitude: Option<f64>| {
            let (Some(latitude), Some(longitude), Some(sender)) =
                (latitude, longitude, wire::index_of(email))
            else {
                return;
            };
            let (seq, sent) = wire::decode_move(latitude, longitude);
            if sender == me || seq == 0 || seq > moves {
                return;
            }
            let Some(mask) = sender
                .checked_sub(self.first)
                .and_then(|n| self.arrived.get_mut(n))
            else {
                return;
            };
            if *mask & (1 << seq) == 0 {
                *mask |= 1 << seq;
                let _ = self.latency.record(wire::latency_us(sent, now).max(1));
            }
        };
        match message {
            ServerMessage::Presence(delta) => {
                for moved in delta.moved {
                    arrive(&moved.email, Some(moved.latitude), Some(moved.longitude));
                }
                for user in delta.joined {
                    arrive(&user.email, user.latitude, user.longitude);
                }
            }
            ServerMessage::UpdateUsers { users } => {
                for user in users {
                    arrive(&user.email, user.latitude, user.longitude);
                }
            }
            _ => {}
        }
    }

    /// Counts what was due (every move of every other registered user), what arrived,
    /// what a later move of the same user replaced, and what was lost.
    pub(super) fn settle(
        self,
        me: usize,
        moves: u32,
        absent: &HashSet<usize>,
        counts: &mut Counts,
    ) -> Histogram<u64> {
        for (n, mask) in self.arrived.iter().enumerate() {
            let sender = self.first + n;
            if sender == me || absent.contains(&sender) {
                continue;
            }
            for seq in 1..=moves {
                counts.due += 1;
                if mask & (1 << seq) != 0 {
                    counts.received += 1;
                } else if mask >> (seq + 1) != 0 {
                    counts.superseded += 1;
                } else {
                    counts.lost += 1;
                }
            }
        }
        self.latency
    }
}
