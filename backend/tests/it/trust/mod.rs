//! Issue 10's findings, each as the attack that worked before the fix: what a stranger
//! could see, take or cost. Each test prints its figure (`--nocapture`).

mod attempts;
mod claims;
mod deadline;
mod descriptors;
mod gated;
mod lookalikes;
mod payload;
mod proxies;
mod proxy_caps;

use super::harness::{Client, configured, fast_config, profile};
use backend::{Secret, ServerConfig};
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";
const CODE: &str = "314159";

/// The defaults (claims on, no shared emails), with fast presence ticks.
fn claims_config() -> ServerConfig {
    configured(fast_config(), |config| {
        config.admission.allow_shared_emails = false;
    })
}

fn with_code() -> ServerConfig {
    configured(claims_config(), |config| {
        config.admission.access_code = Some(Secret::new(CODE));
    })
}

/// An `add-user` with an optional access code, token and link code.
fn add_user(email: &str, code: Option<&str>, token: Option<&str>, link: Option<&str>) -> Value {
    let mut frame = profile("add-user", email, "Someone", Some((48.85, 2.35)));
    for (field, value) in [("accessCode", code), ("token", token), ("linkCode", link)] {
        if let Some(value) = value {
            frame[field] = json!(value);
        }
    }
    frame
}

/// Everything `client` received before the reply to a frame it sends now (an unregistered
/// client's `chat` is refused `not-registered`: the refusal comes after all that was
/// queued for it before).
async fn received_before_a_refusal(client: &mut Client) -> Vec<Value> {
    let before = client.received.len();
    client
        .refused(json!({"type": "chat", "text": "anyone?"}))
        .await;
    let received = client.received[before..].to_vec();
    received[..received.len() - 1].to_vec()
}
