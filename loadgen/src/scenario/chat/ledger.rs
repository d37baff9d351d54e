//! The chat scenario's books: a sender's messages in flight and their acks (each once,
//! ids increasing), and a measured receiver's deliveries (each once, in every sender's
//! order). Pure: no socket, no clock of its own.

use crate::report::{Counts, earliest, new_histogram};
use hdrhistogram::Histogram;
use std::collections::{HashMap, HashSet};

/// One sender's messages: when each still unanswered one was sent, and its acks.
pub(super) struct Outbox {
    total: u64,
    window: u64,
    sent: u64,
    /// Send time (µs) of each message not acked or refused yet, by sequence number.
    in_flight: HashMap<u64, u64>,
    acked: u64,
    duplicated: u64,
    refused: u64,
    /// The store id of the last ack: ids follow the commit order, which is the sender's.
    last_id: u64,
    first_ack_us: u64,
    last_ack_us: u64,
    latency: Histogram<u64>,
}

/// What an ack was, for the caller to count as an error when it is not `Fresh`.
#[derive(Debug, PartialEq)]
pub(super) enum Ack {
    Fresh,
    /// A second ack of a message already acked (or one the server called a duplicate).
    Repeated,
    /// An ack of a message this sender never sent.
    Unknown,
    /// An ack whose store id is not above the one before it.
    OutOfOrder,
}

impl Outbox {
    /// A sender of `total` messages with at most `window` unanswered at once.
    pub(super) fn new(total: u64, window: u64) -> Self {
        Self {
            total,
            window: window.max(1),
            sent: 0,
            in_flight: HashMap::new(),
            acked: 0,
            duplicated: 0,
            refused: 0,
            last_id: 0,
            first_ack_us: 0,
            last_ack_us: 0,
            latency: new_histogram(),
        }
    }

    /// Whether another message may go now: some are left and the window has room.
    pub(super) fn can_send(&self) -> bool {
        self.sent < self.total && (self.in_flight.len() as u64) < self.window
    }

    /// How many messages have gone.
    pub(super) fn sent(&self) -> u64 {
        self.sent
    }

    /// Takes the next message's sequence number (from 1), sent at `now_us`.
    pub(super) fn send(&mut self, now_us: u64) -> u64 {
        self.sent += 1;
        self.in_flight.insert(self.sent, now_us);
        self.sent
    }

    /// Every message sent and answered (acked or refused).
    pub(super) fn finished(&self) -> bool {
        self.sent == self.total && self.in_flight.is_empty()
    }

    /// Takes in the ack of message `seq` with store id `id`, read at `now_us`.
    pub(super) fn ack(&mut self, seq: u64, id: u64, duplicate: bool, now_us: u64) -> Ack {
        let Some(sent_us) = self.in_flight.remove(&seq) else {
            if seq == 0 || seq > self.sent {
                return Ack::Unknown;
            }
            self.duplicated += 1;
            return Ack::Repeated;
        };
        let _ = self.latency.record(now_us.saturating_sub(sent_us).max(1));
        self.acked += 1;
        if self.first_ack_us == 0 {
            self.first_ack_us = now_us;
        }
        self.last_ack_us = now_us;
        let in_order = id > self.last_id;
        self.last_id = self.last_id.max(id);
        if duplicate {
            // Each client id is sent once: the server found a repeat where there is none.
            self.duplicated += 1;
            Ack::Repeated
        } else if in_order {
            Ack::Fresh
        } else {
            Ack::OutOfOrder
        }
    }

    /// Message `seq` was refused (an `error` naming its client id): it frees its place.
    pub(super) fn refuse(&mut self, seq: u64) {
        if self.in_flight.remove(&seq).is_some() {
            self.refused += 1;
        }
    }

    /// Adds what was sent and acked to `counts`; the ack latency.
    pub(super) fn settle(self, counts: &mut Counts) -> Histogram<u64> {
        counts.sent += self.sent;
        counts.acked += self.acked;
        counts.duplicated += self.duplicated;
        counts.last_us = counts.last_us.max(self.last_ack_us);
        counts.first_ack_us = earliest(counts.first_ack_us, self.first_ack_us);
        self.latency
    }
}

/// A measured receiver's deliveries from every sender.
pub(super) struct Arrivals {
    me: usize,
    messages: u64,
    /// Per sender, bit `seq` set once message `seq` arrived.
    seen: Vec<Vec<u64>>,
    /// Per sender, the highest sequence number and the store id it came with.
    highest: Vec<(u64, u64)>,
    received: u64,
    duplicated: u64,
    reordered: u64,
}

impl Arrivals {
    /// Receiver `me`, expecting `messages` from each of `senders` senders (its own aside).
    pub(super) fn new(me: usize, senders: usize, messages: u64) -> Self {
        let words = (messages as usize + 1).div_ceil(64);
        Self {
            me,
            messages,
            seen: vec![vec![0; words]; senders],
            highest: vec![(0, 0); senders],
            received: 0,
            duplicated: 0,
            reordered: 0,
        }
    }

    /// Takes in message `seq` of `sender` delivered with store id `id`; its own and
    /// unknown senders' are not counted.
    pub(super) fn arrive(&mut self, sender: usize, seq: u64, id: u64) {
        if sender == self.me || seq == 0 || seq > self.messages {
            return;
        }
        let Some(seen) = self.seen.get_mut(sender) else {
            return;
        };
        let (word, bit) = (seq as usize / 64, 1u64 << (seq % 64));
        if seen[word] & bit != 0 {
            self.duplicated += 1;
            return;
        }
        seen[word] |= bit;
        self.received += 1;
        let highest = &mut self.highest[sender];
        if seq < highest.0 || id <= highest.1 {
            self.reordered += 1;
        }
        if seq > highest.0 {
            *highest = (seq, id);
        }
    }

    /// Deliveries counted so far.
    pub(super) fn received(&self) -> u64 {
        self.received
    }

    /// Adds to `counts` what was due from every sender not `absent`, what arrived, and
    /// what never did.
    pub(super) fn settle(self, absent: &HashSet<usize>, counts: &mut Counts) {
        for (sender, seen) in self.seen.iter().enumerate() {
            if sender == self.me || absent.contains(&sender) {
                continue;
            }
            let arrived: u64 = seen.iter().map(|word| u64::from(word.count_ones())).sum();
            counts.due += self.messages;
            counts.lost += self.messages.saturating_sub(arrived);
        }
        counts.received += self.received;
        counts.duplicated += self.duplicated;
        counts.reordered += self.reordered;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_holds_the_sender_until_acks_come() {
        let mut outbox = Outbox::new(3, 2);
        assert_eq!(outbox.send(100), 1);
        assert_eq!(outbox.send(200), 2);
        assert!(!outbox.can_send(), "a full window");
        assert_eq!(outbox.ack(1, 10, false, 1_100), Ack::Fresh);
        assert!(outbox.can_send());
        assert_eq!(outbox.send(1_200), 3);
        assert!(!outbox.can_send(), "nothing left");
        outbox.refuse(3);
        assert!(!outbox.finished(), "message 2 is unanswered");
        assert_eq!(outbox.ack(2, 11, false, 2_200), Ack::Fresh);
        assert!(outbox.finished());
        let mut counts = Counts::default();
        let latency = outbox.settle(&mut counts);
        assert_eq!((counts.sent, counts.acked), (3, 2));
        assert_eq!((counts.first_ack_us, counts.last_us), (1_100, 2_200));
        assert_eq!((latency.len(), latency.max()), (2, 2_000));
    }

    #[test]
    fn a_repeated_unknown_or_backward_ack_is_told_apart() {
        let mut outbox = Outbox::new(4, 4);
        for now in [0, 1, 2] {
            outbox.send(now);
        }
        assert_eq!(outbox.ack(2, 20, false, 5), Ack::Fresh);
        assert_eq!(outbox.ack(2, 20, false, 6), Ack::Repeated);
        assert_eq!(outbox.ack(9, 21, false, 6), Ack::Unknown);
        assert_eq!(outbox.ack(1, 19, false, 7), Ack::OutOfOrder);
        assert_eq!(outbox.ack(3, 22, true, 8), Ack::Repeated);
        let mut counts = Counts::default();
        outbox.settle(&mut counts);
        assert_eq!((counts.acked, counts.duplicated), (3, 2));
    }

    #[test]
    fn deliveries_are_checked_once_each_in_each_senders_order() {
        let mut arrivals = Arrivals::new(0, 3, 3);
        arrivals.arrive(0, 1, 1); // its own: not counted
        arrivals.arrive(1, 1, 2);
        arrivals.arrive(1, 1, 2); // twice
        arrivals.arrive(1, 3, 5);
        arrivals.arrive(1, 2, 4); // after 3
        arrivals.arrive(2, 1, 3);
        arrivals.arrive(2, 2, 3); // a store id not above the one before
        arrivals.arrive(2, 4, 9); // beyond what was sent
        assert_eq!(arrivals.received(), 5);
        let mut counts = Counts::default();
        arrivals.settle(&HashSet::new(), &mut counts);
        assert_eq!((counts.due, counts.received, counts.lost), (6, 5, 1));
        assert_eq!((counts.duplicated, counts.reordered), (1, 2));
    }

    #[test]
    fn nothing_is_due_from_an_absent_sender() {
        let mut arrivals = Arrivals::new(2, 3, 2);
        arrivals.arrive(1, 1, 1);
        arrivals.arrive(1, 2, 2);
        let mut counts = Counts::default();
        arrivals.settle(&HashSet::from([0]), &mut counts);
        assert_eq!((counts.due, counts.received, counts.lost), (2, 2, 0));
    }
}
