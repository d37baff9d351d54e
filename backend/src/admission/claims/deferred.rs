//! Claims the file could not take yet (locked by another process, or full): kept in
//! memory, bounded, consulted by every query, and written at the next chance, so that a
//! brief outage of the file does not stop people signing in.

use super::model::DeviceId;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Deferred entries at most; past it a claim the file cannot take is refused (`internal`).
pub const MAX_DEFERRED: usize = 10_000;

#[derive(Default)]
pub struct Deferred {
    pending: Mutex<Pending>,
}

#[derive(Default, Clone)]
pub struct Pending {
    /// New devices: (email, device) → when made, in ms.
    pub devices: HashMap<(String, DeviceId), i64>,
    /// Emails seen: email → (skeleton, when, in ms).
    pub identities: HashMap<String, (String, i64)>,
}

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty() && self.identities.is_empty()
    }

    fn len(&self) -> usize {
        self.devices.len() + self.identities.len()
    }
}

impl Deferred {
    /// Whether a deferred device of `email` is still live at `cutoff`.
    pub fn holds(&self, email: &str, cutoff: i64) -> bool {
        let pending = self.lock();
        pending
            .devices
            .iter()
            .any(|((owner, _), made)| owner == email && *made > cutoff)
    }

    pub fn has_device(&self, email: &str, device: &str, cutoff: i64) -> bool {
        let key = (email.to_owned(), device.to_owned());
        self.lock()
            .devices
            .get(&key)
            .is_some_and(|made| *made > cutoff)
    }

    /// Another deferred email with this skeleton.
    pub fn lookalike(&self, email: &str, skeleton: &str) -> Option<String> {
        let pending = self.lock();
        let mut same = pending.identities.iter();
        same.find(|(other, (known, _))| *other != email && known == skeleton)
            .map(|(other, _)| other.clone())
    }

    /// Keeps a device (and its email) for later; false when full.
    pub fn add_device(&self, email: &str, device: &str, skeleton: &str, now: i64) -> bool {
        let mut pending = self.lock();
        if pending.len() + 2 > MAX_DEFERRED {
            return false;
        }
        pending
            .devices
            .insert((email.to_owned(), device.to_owned()), now);
        let identity = (skeleton.to_owned(), now);
        pending.identities.insert(email.to_owned(), identity);
        true
    }

    /// Keeps an email seen for later, if there is room (it only feeds lookalike checks).
    pub fn add_identity(&self, email: &str, skeleton: &str, now: i64) {
        let mut pending = self.lock();
        if pending.len() < MAX_DEFERRED {
            let identity = (skeleton.to_owned(), now);
            pending.identities.insert(email.to_owned(), identity);
        }
    }

    /// Drops the deferred devices of `email` that `signed_out` picks; returns how many.
    pub fn remove_devices(&self, email: &str, signed_out: impl Fn(&str) -> bool) -> usize {
        let mut pending = self.lock();
        let before = pending.devices.len();
        pending
            .devices
            .retain(|(owner, id), _| owner != email || !signed_out(id));
        before - pending.devices.len()
    }

    /// The deferred devices of `email`, with when each was made.
    pub fn devices_of(&self, email: &str) -> Vec<(DeviceId, i64)> {
        let pending = self.lock();
        let mut own = pending.devices.iter();
        let own = own.by_ref().filter(|((owner, _), _)| owner == email);
        own.map(|((_, id), made)| (id.clone(), *made)).collect()
    }

    /// A copy of what is deferred, to write; [`Deferred::written`] then removes it.
    pub fn snapshot(&self) -> Pending {
        self.lock().clone()
    }

    /// Removes what `written` holds (entries made since stay).
    pub fn written(&self, written: &Pending) {
        let mut pending = self.lock();
        for key in written.devices.keys() {
            pending.devices.remove(key);
        }
        for email in written.identities.keys() {
            pending.identities.remove(email);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        // Every update is a few map operations: a poisoned map is still consistent.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
