//! [`RemoteStore`]: the users store kept by the seed's REST users API, and what it remembers
//! of what the API holds per user online.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::StreamExt;
use reqwest::Url;
use serde_json::Value;

use super::super::{StoreError, UserRecord, UserStore};
use super::api::{Api, CallError, Outcome};
use super::config::RemoteConfig;
use super::user_json::parse_user;

/// The users store kept by a remote REST API.
pub struct RemoteStore {
    api: Api,
    /// What the API holds for each email this server has read or written and not yet
    /// written as disconnected, as far as this server knows: a user who left is forgotten
    /// (their next write starts with a `GET`), so nothing is kept per email ever seen. A std
    /// mutex, only held for a map operation, never across an `.await`.
    known: Mutex<HashMap<String, Known>>,
}

/// Records written at once, each a short sequence of calls.
const CONCURRENT_WRITES: usize = 8;

impl RemoteStore {
    /// A store for the API at `config.base`. Sends nothing yet.
    pub fn new(config: &RemoteConfig) -> Result<RemoteStore, StoreError> {
        Ok(RemoteStore {
            api: Api::new(
                config.base.clone(),
                config.connect_timeout,
                config.request_timeout,
            )?,
            known: Mutex::new(HashMap::new()),
        })
    }

    pub fn base(&self) -> &Url {
        self.api.base()
    }

    /// The users the API marks connected (`GET {base}/connect`), each as a record that
    /// marks it disconnected; writing one costs a single `PUT /disconnect/{email}`. An entry
    /// with wrong fields but an email is still returned (and logged): it must not stay
    /// online; one without an email is logged and skipped.
    pub async fn stale_users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let listed = self.api.connected().await?;
        let mut stale = Vec::with_capacity(listed.len());
        for value in listed {
            let user = match parse_user(&value) {
                Ok(user) => user,
                Err(problem) => {
                    let url = self.api.url(&["connect"]);
                    let Some(email) = value.get("email").and_then(Value::as_str) else {
                        log::warn!("users API: GET {url}: skipping a user: {problem}");
                        continue;
                    };
                    log::warn!("users API: GET {url}: invalid user {email}: {problem}");
                    UserRecord {
                        email: email.to_owned(),
                        name: value["name"].as_str().unwrap_or_default().to_owned(),
                        latitude: None,
                        longitude: None,
                        is_connected: true,
                        last_seen_ms: 0,
                    }
                }
            };
            if user.email.is_empty() {
                continue;
            }
            self.lock()
                .entry(user.email.clone())
                .or_insert_with(|| Known::Present {
                    profile: Some(Profile::of(&user)),
                    connected: Some(true),
                });
            stale.push(UserRecord {
                is_connected: false,
                ..user
            });
        }
        Ok(stale)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Known>> {
        // Nothing panics while the lock is held, so a poisoned map is still consistent.
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn known(&self, email: &str) -> Option<Known> {
        self.lock().get(email).cloned()
    }

    fn set_known(&self, email: &str, known: Known) {
        self.lock().insert(email.to_owned(), known);
    }

    /// Writes one record. A round ends early when the API turns out not to hold what this
    /// server thought (a 404 on an update, a 409 on a create); the next one acts on that.
    async fn write_one(&self, record: &UserRecord) -> Result<(), CallError> {
        for _ in 0..3 {
            if self.write_round(record).await? {
                if !record.is_connected {
                    // Gone: forgotten, so the map holds only users online or being written.
                    self.lock().remove(&record.email);
                }
                return Ok(());
            }
        }
        Err(CallError::Retry(format!(
            "{}: the API keeps changing its mind about whether the user exists",
            record.email
        )))
    }

    /// Returns whether the record is written.
    async fn write_round(&self, record: &UserRecord) -> Result<bool, CallError> {
        let email = record.email.as_str();
        let profile = Profile::of(record);
        let known = match self.known(email) {
            Some(known) => known,
            None => {
                let known = self.look_up(email).await?;
                self.set_known(email, known.clone());
                known
            }
        };
        let Known::Present {
            profile: held,
            connected,
        } = known
        else {
            return match self.api.create(record).await? {
                Outcome::Exists => {
                    self.set_known(email, Known::UNCLEAR);
                    Ok(false)
                }
                _ => {
                    let connected = Some(record.is_connected);
                    let profile = Some(profile);
                    self.set_known(email, Known::Present { profile, connected });
                    Ok(true)
                }
            };
        };
        let same_profile = held.as_ref() == Some(&profile);
        if same_profile && connected == Some(record.is_connected) {
            return Ok(true);
        }
        if record.is_connected || !same_profile {
            if self.api.update(record).await? == Outcome::Missing {
                self.set_known(email, Known::Absent);
                return Ok(false);
            }
            // After a full update of a leaving user the disconnect call is still due.
            let connected = if record.is_connected {
                Some(true)
            } else {
                connected
            };
            let profile = Some(profile.clone());
            self.set_known(email, Known::Present { profile, connected });
        }
        if !record.is_connected {
            if self.api.disconnect(email).await? == Outcome::Missing {
                self.set_known(email, Known::Absent);
                return Ok(false);
            }
            let profile = Some(profile);
            let connected = Some(false);
            self.set_known(email, Known::Present { profile, connected });
        }
        Ok(true)
    }

    /// What the API holds for `email`, asked with `GET /email/{email}`. A record with
    /// wrong fields exists all the same: the next write overwrites it.
    async fn look_up(&self, email: &str) -> Result<Known, CallError> {
        let Some(value) = self.api.find(email).await? else {
            return Ok(Known::Absent);
        };
        Ok(match parse_user(&value) {
            Ok(user) => Known::Present {
                profile: Some(Profile::of(&user)),
                connected: Some(user.is_connected),
            },
            Err(problem) => {
                let url = self.api.url(&["email", email]);
                log::warn!("users API: GET {url}: invalid user, overwriting it: {problem}");
                Known::UNCLEAR
            }
        })
    }
}

/// The email `/readyz` looks up.
const PROBE_EMAIL: &str = "readiness-probe@meetmap.invalid";

impl UserStore for RemoteStore {
    /// A lookup of an email nobody has (`.invalid` is reserved): any answer of the
    /// contract, a user or none, shows the API is up.
    async fn probe(&self) -> Result<(), StoreError> {
        self.api
            .find(PROBE_EMAIL)
            .await
            .map(drop)
            .map_err(StoreError::from)
    }

    /// Writes each record with a few calls, several records at once. A record the API
    /// refuses (a 4xx other than the 404 that leads to a create) is logged and dropped;
    /// the others that failed make the whole write fail, and the retry sends only those.
    async fn write(&self, records: Vec<UserRecord>) -> Result<(), StoreError> {
        let total = records.len();
        let results: Vec<Result<(), CallError>> = futures_util::stream::iter(records)
            .map(|record| async move { self.write_one(&record).await })
            .buffer_unordered(CONCURRENT_WRITES)
            .collect()
            .await;
        let mut failed = 0;
        let mut first = None;
        for result in results {
            match result {
                Ok(()) => {}
                Err(CallError::Refused(reason)) => {
                    log::warn!("users API refused a write, dropping it: {reason}");
                }
                Err(CallError::Retry(reason)) => {
                    failed += 1;
                    first.get_or_insert(reason);
                }
            }
        }
        match first {
            None => Ok(()),
            Some(reason) => Err(StoreError(format!(
                "{failed} of {total} users not written to the users API; {reason}"
            ))),
        }
    }

    /// Marks every user the API lists as connected disconnected, now. The server uses
    /// [`spawn_presence_reset`] instead, which does it in the background.
    async fn reset_presence(&self) -> Result<(), StoreError> {
        let stale = self.stale_users().await?;
        self.write(stale).await
    }

    /// The contract has no delete: retention applies to what this server keeps, and it
    /// keeps nothing about users who left (see `known`).
    async fn purge_not_seen_since(&self, _cutoff_ms: u64) -> Result<usize, StoreError> {
        Ok(0)
    }

    /// `GET {base}/email/{email}`, validated: an invalid record is an error.
    async fn get(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let Some(value) = self.api.find(email).await? else {
            return Ok(None);
        };
        parse_user(&value).map(Some).map_err(|problem| {
            let url = self.api.url(&["email", email]);
            StoreError(format!("GET {url}: invalid user record: {problem}"))
        })
    }
}

/// What the API holds for one email, as far as this server knows.
#[derive(Debug, Clone, PartialEq)]
enum Known {
    /// The API said it does not know the user.
    Absent,
    /// The API has the user; `None` where this server does not know the field's value.
    Present {
        profile: Option<Profile>,
        connected: Option<bool>,
    },
}

impl Known {
    /// The user exists, nothing more is known.
    const UNCLEAR: Known = Known::Present {
        profile: None,
        connected: None,
    };
}

/// The fields of a user the API keeps, besides the email and `isConnected`.
#[derive(Debug, Clone, PartialEq)]
struct Profile {
    name: String,
    position: Option<(f64, f64)>,
}

impl Profile {
    fn of(record: &UserRecord) -> Profile {
        Profile {
            name: record.name.clone(),
            position: record.position(),
        }
    }
}
