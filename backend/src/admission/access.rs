//! Who may register as whom: the deployment's optional access code, the claims on emails
//! (a device's session token, or a link code from one), lookalike emails, and the delays
//! after failed attempts. See `docs/SECURITY.md` ("Who may register as whom").

mod credentials;
mod refusals;

use super::attempts::Attempts;
use super::claims::{ClaimStore, Claimed, DeviceId, DeviceLinks, LINK_CODE_TTL};
use super::config::AdmissionConfig;
use super::session::{Secret, SessionKey};
use super::turn::TurnConfig;
use refusals::{claimed_error, confusable, in_use, no_device, store_failed, too_many_attempts};
use shared::{DeviceLink, ErrorCode, IceServer, Profile, ProtocolError};
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The device id in tokens of a server without claims (`--allow-shared-emails`).
const SHARED_DEVICE: &str = "shared";

/// The rules, shared by every connection's task.
pub(crate) struct Access {
    code: Option<Secret>,
    key: SessionKey,
    /// How long a token, and a device left unused, is good for.
    ttl: Duration,
    /// No claims: any connection may register as any email (the seed's way).
    shared_emails: bool,
    claims: ClaimStore,
    /// Link codes, where the claims are (in memory, or in PostgreSQL for the cluster).
    links: DeviceLinks,
    attempts: Attempts,
    /// Signs each delta client's TURN credentials, when the server has TURN.
    turn: Option<TurnConfig>,
}

/// A registration let in, and what it proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Admitted {
    /// The device it signed in as; `None` for a seed client (or with shared emails).
    pub device: Option<DeviceId>,
    /// The token its `welcome` carries (delta clients only).
    pub token: Option<String>,
    /// The device was created by this registration (undone if the hub refuses it).
    pub created: bool,
    /// It may join an email online elsewhere, as another tab: it proved a device, or the
    /// server shares emails.
    pub may_join_online: bool,
    /// The TURN servers, with credentials of its own, its `welcome` carries (delta
    /// clients of a server with TURN only).
    pub ice_servers: Option<Vec<IceServer>>,
}

impl Access {
    pub fn new(config: &AdmissionConfig, claims: ClaimStore) -> Self {
        Self {
            code: config.access_code.clone(),
            key: config.session_key.clone(),
            ttl: config.session_ttl,
            shared_emails: config.allow_shared_emails,
            links: claims.links(),
            claims,
            attempts: Attempts::default(),
            turn: config.turn.clone(),
        }
    }

    /// The TURN servers and their secret, to renew a connection's credentials.
    pub fn turn(&self) -> Option<&TurnConfig> {
        self.turn.as_ref()
    }

    /// Whether an email another node holds counts as online for a registration here:
    /// always for a seed client (its email is one connection cluster-wide); for a delta
    /// client only when the claims are shared (PostgreSQL). With a claims file per node,
    /// another node's member may be this person's own device, which this node cannot
    /// tell, and their browser reconnecting here after that node died would be refused.
    pub fn online_across_nodes(&self, wants_deltas: bool) -> bool {
        !wants_deltas || self.claims.is_shared()
    }

    /// Admits or refuses the first registration of a connection from `network`.
    /// `online` says whether the email has an open registered connection now.
    pub async fn admit(
        &self,
        profile: &Profile,
        wants_deltas: bool,
        network: IpAddr,
        online: bool,
    ) -> Result<Admitted, ProtocolError> {
        if let Err(wait) = self.attempts.check(network, Instant::now()) {
            return Err(too_many_attempts(wait));
        }
        let outcome = self.evaluate(profile, wants_deltas, online).await;
        if let Err(error) = &outcome
            && is_a_guess(error.code)
        {
            let wait = self.attempts.failed(network, Instant::now());
            log::debug!("failed registration from {network}: {error}; next wait {wait:?}");
        }
        outcome
    }

    async fn evaluate(
        &self,
        profile: &Profile,
        wants_deltas: bool,
        online: bool,
    ) -> Result<Admitted, ProtocolError> {
        let email = profile.email.as_str();
        let given = self.credentials(profile);
        if self.shared_emails {
            self.check_code(&given, profile, false)?;
            return Ok(self.admitted(email, wants_deltas, SHARED_DEVICE.into(), false));
        }
        let device = match &given.token_device {
            Some(Ok(device)) => {
                let live = self.claims.touch_device(email, device, now_ms()).await;
                live.map_err(store_failed)?.then(|| device.clone())
            }
            _ => None,
        };
        let linked = match profile.link_code.as_deref() {
            Some(code) if device.is_none() => {
                let redeemed = self.links.redeem(code, email).await;
                if !redeemed.map_err(store_failed)? {
                    return Err(ProtocolError::new(
                        ErrorCode::InvalidLinkCode,
                        "this link code is unknown, used or expired (codes work once, for 5 minutes)",
                    ));
                }
                true
            }
            _ => false,
        };
        self.check_code(&given, profile, device.is_some() || linked)?;
        if let Some(device) = device {
            return Ok(self.admitted(email, wants_deltas, device, false));
        }
        if linked {
            let skeleton = skeleton_of(email);
            let device = self.claims.add_device(email, &skeleton, now_ms()).await;
            let device = device.map_err(store_failed)?;
            return Ok(self.admitted(email, wants_deltas, device, true));
        }
        self.first_use(profile, wants_deltas, online, given.token_device)
            .await
    }

    /// A registration with no device to prove: claims a free email (delta clients), or
    /// uses it unclaimed (seed clients).
    async fn first_use(
        &self,
        profile: &Profile,
        wants_deltas: bool,
        online: bool,
        token: Option<Result<DeviceId, ProtocolError>>,
    ) -> Result<Admitted, ProtocolError> {
        let email = profile.email.as_str();
        let refused_token = match token {
            Some(Err(error)) => Some(error),
            Some(Ok(_)) => Some(ProtocolError::new(
                ErrorCode::InvalidToken,
                "this device was signed out; sign in again from one of your devices",
            )),
            None => None,
        };
        // A claimed email says so (the way in is a link code), online or not. A delta
        // client's claim below finds a claim itself: asking first would cost every new
        // email a second trip to the claims thread.
        if online || !wants_deltas {
            let claimed = self.claims.is_claimed(email, now_ms()).await;
            if claimed.map_err(store_failed)? {
                return Err(refused_token.unwrap_or_else(|| claimed_error(email)));
            }
        }
        if online {
            return Err(refused_token.unwrap_or_else(|| in_use(email)));
        }
        let skeleton = skeleton_of(email);
        if !wants_deltas {
            let lookalike = self.claims.note_identity(email, &skeleton, now_ms()).await;
            if let Some(existing) = lookalike.map_err(store_failed)? {
                return Err(confusable(email, &existing));
            }
            return Ok(Admitted {
                device: None,
                token: None,
                created: false,
                may_join_online: false,
                ice_servers: None,
            });
        }
        match self.claims.claim(email, &skeleton, now_ms()).await {
            Ok(Claimed::New(device)) => Ok(self.admitted(email, true, device, true)),
            Ok(Claimed::Taken) => Err(refused_token.unwrap_or_else(|| claimed_error(email))),
            Ok(Claimed::Confusable { existing }) => Err(confusable(email, &existing)),
            Err(error) => Err(store_failed(error)),
        }
    }

    /// Takes back a device this registration created, when the hub refused it after all.
    pub async fn undo(&self, email: &str, admitted: &Admitted) {
        if let (true, Some(device)) = (admitted.created, &admitted.device)
            && let Err(error) = self.claims.revoke(email, device).await
        {
            log::warn!("could not take back device of {email}: {error}");
        }
    }

    /// A one-time code for another device of `email` (asked by its device `device`).
    pub async fn link_code(
        &self,
        email: &str,
        device: Option<&str>,
    ) -> Result<DeviceLink, ProtocolError> {
        if device.is_none() || self.shared_emails {
            return Err(no_device());
        }
        let created = self.links.create(email).await.map_err(store_failed)?;
        let code = created.ok_or_else(|| {
            ProtocolError::new(ErrorCode::Internal, "no random bytes for a link code")
        })?;
        let ttl_ms = u64::try_from(LINK_CODE_TTL.as_millis()).unwrap_or(u64::MAX);
        Ok(DeviceLink {
            code,
            expires_at: now_ms().saturating_add(ttl_ms),
        })
    }

    /// Signs the device `device` of `email` out (its token stops working), or with
    /// `others` every other device of `email`; returns how many were signed out.
    pub async fn sign_out(
        &self,
        email: &str,
        device: Option<&str>,
        others: bool,
    ) -> Result<usize, ProtocolError> {
        let Some(device) = device.filter(|_| !self.shared_emails) else {
            return Err(no_device());
        };
        let signed_out = match others {
            true => self.claims.revoke_others(email, device).await,
            false => self.claims.revoke(email, device).await.map(|()| 1),
        };
        signed_out.map_err(store_failed)
    }

    /// The claims store, for its purge and its flush at shutdown.
    pub fn claims(&self) -> &ClaimStore {
        &self.claims
    }

    /// Whether seed clients see nothing of a room before they register (an access code).
    pub fn gates_rooms(&self) -> bool {
        self.code.is_some()
    }
}

/// The refusals that a guesser earns, and that count towards the network's delays: a
/// wrong secret (a claimed email is not one: asking again cannot break the claim).
fn is_a_guess(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::AccessDenied | ErrorCode::InvalidToken | ErrorCode::InvalidLinkCode
    )
}

/// The key an email is compared by for lookalikes (UTS #39's skeleton): never an
/// identity itself, only what two different emails must not share.
fn skeleton_of(email: &str) -> String {
    shared::email_skeleton(email)
}

fn unix_now() -> u64 {
    now_ms() / 1000
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;
