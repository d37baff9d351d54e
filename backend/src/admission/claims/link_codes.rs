//! One-time link codes: a signed-in device asks for one, another device signs in with it
//! within minutes, and it is gone. Kept in memory: a restart only voids codes not yet used.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// How long a link code works.
pub const LINK_CODE_TTL: Duration = Duration::from_secs(5 * 60);

/// Codes alive at once for one email; asking for another drops the oldest.
pub(super) const CODES_PER_EMAIL: usize = 3;

/// Codes alive at once in all; past it, expired ones are swept, then the oldest dropped.
const CODES_MAX: usize = 10_000;

/// Crockford's base32 without I, L, O, U: no two characters are read alike.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code (40 bits), shown as two groups of four.
const CODE_CHARS: usize = 8;

#[derive(Default)]
pub struct LinkCodes {
    codes: Mutex<HashMap<String, Pending>>,
}

struct Pending {
    email: String,
    expires: Instant,
}

impl LinkCodes {
    /// A fresh code for `email`, good for [`LINK_CODE_TTL`] and one use; `None` only if
    /// the system has no random bytes.
    pub fn create(&self, email: &str, now: Instant) -> Option<String> {
        let code = random_code()?;
        let mut codes = self.lock();
        codes.retain(|_, pending| pending.expires > now);
        let mut own: Vec<(String, Instant)> = codes
            .iter()
            .filter(|(_, pending)| pending.email == email)
            .map(|(code, pending)| (code.clone(), pending.expires))
            .collect();
        own.sort_by_key(|(_, expires)| *expires);
        for (old, _) in own
            .iter()
            .take((own.len() + 1).saturating_sub(CODES_PER_EMAIL))
        {
            codes.remove(old);
        }
        if codes.len() >= CODES_MAX
            && let Some(oldest) = codes
                .iter()
                .min_by_key(|(_, pending)| pending.expires)
                .map(|(code, _)| code.clone())
        {
            codes.remove(&oldest);
        }
        let pending = Pending {
            email: email.to_owned(),
            expires: now + LINK_CODE_TTL,
        };
        codes.insert(code.clone(), pending);
        Some(code)
    }

    /// Uses up `typed` if it is a live code for `email`: true once, then never again.
    /// Case, spaces and dashes do not matter, so a code read aloud or retyped works.
    pub fn redeem(&self, typed: &str, email: &str, now: Instant) -> bool {
        let Some(code) = canonical(typed) else {
            return false;
        };
        let mut codes = self.lock();
        match codes.get(&code) {
            Some(pending) if pending.email == email && pending.expires > now => {
                codes.remove(&code);
                true
            }
            _ => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        // Every update is one map operation: a poisoned map is still consistent.
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `XXXX-XXXX` from the OS's random source.
pub(super) fn random_code() -> Option<String> {
    let mut bytes = [0u8; CODE_CHARS];
    getrandom::fill(&mut bytes).ok()?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    Some(format!("{}-{}", &chars[..4], &chars[4..]))
}

/// The stored form of a typed code, or `None` if it cannot be one.
pub(super) fn canonical(typed: &str) -> Option<String> {
    let chars: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if chars.len() != CODE_CHARS || !chars.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &chars[..4], &chars[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "alice@example.com";

    #[test]
    fn a_code_works_once_for_its_email_only() {
        let codes = LinkCodes::default();
        let now = Instant::now();
        let code = codes.create(ALICE, now).unwrap();
        assert_eq!(code.len(), 9);
        assert!(!codes.redeem(&code, "bob@example.com", now));
        assert!(codes.redeem(&code.to_lowercase().replace('-', " "), ALICE, now));
        assert!(!codes.redeem(&code, ALICE, now));
    }

    #[test]
    fn a_code_expires() {
        let codes = LinkCodes::default();
        let now = Instant::now();
        let code = codes.create(ALICE, now).unwrap();
        assert!(!codes.redeem(&code, ALICE, now + LINK_CODE_TTL));
    }

    #[test]
    fn an_email_holds_a_few_codes_at_most() {
        let codes = LinkCodes::default();
        let now = Instant::now();
        let made: Vec<String> = (0..5u64)
            .map(|i| {
                let at = now + Duration::from_millis(i);
                codes.create(ALICE, at).unwrap()
            })
            .collect();
        assert_eq!(codes.lock().len(), CODES_PER_EMAIL);
        assert!(!codes.redeem(&made[0], ALICE, now));
        assert!(codes.redeem(&made[4], ALICE, now));
    }

    #[test]
    fn junk_is_no_code() {
        let codes = LinkCodes::default();
        let now = Instant::now();
        for junk in ["", "ABCD", "ABCD-EFGI", "ÀBCD-EFGH", "ABCD-EFGH-JKMN"] {
            assert!(!codes.redeem(junk, ALICE, now), "{junk}");
        }
    }
}
