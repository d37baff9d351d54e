//! The relay's two servers: meetmap's backend (`offer` frames, stamped `from`) and the
//! PeerJS server (`CANDIDATE` frames, stamped `src`): how a client opens and registers,
//! how it frames a candidate for its partner, how it reads one back, how it stays alive.

use crate::conn::{self, SETUP_TIMEOUT, Target, Ws};
use crate::wire;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// The key every PeerJS client gives (the server's default, which the suite keeps).
pub const PEERJS_KEY: &str = "peerjs";
/// How often a PeerJS client says it is alive: the official client's `pingInterval`,
/// well under the server's `alive_timeout` (60 s by its command line).
pub const PEERJS_HEARTBEAT: Duration = Duration::from_secs(5);
const PEERJS_HEARTBEAT_FRAME: &str = r#"{"type":"HEARTBEAT"}"#;

/// Which server the relay talks to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Server {
    #[default]
    Meetmap,
    PeerJs,
}

/// A frame read back, as far as the relay cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Read {
    /// A partner's frame: who the server says sent it, and when it was sent.
    Relayed {
        from: String,
        sent_us: u64,
    },
    /// The server refused something.
    Refused,
    Other,
}

/// What the PeerJS server relays: `{"type":"CANDIDATE","src":..,"dst":..,"payload":..}`.
#[derive(Debug, Deserialize)]
struct PeerJsProbe {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    src: Option<String>,
    #[serde(default)]
    payload: Option<SentAt>,
}

#[derive(Debug, Deserialize)]
struct SentAt {
    #[serde(default)]
    t: Option<u64>,
}

impl Server {
    /// Client `index`'s name on this server (the id its partner addresses).
    pub fn id(self, index: usize) -> String {
        match self {
            Self::Meetmap => wire::email(index),
            Self::PeerJs => format!("load{index}"),
        }
    }

    /// Opens client `index` (into `room` on meetmap) and waits until it is registered.
    pub async fn open(self, target: &Target, room: String, index: usize) -> Result<Ws, String> {
        match self {
            Self::Meetmap => conn::open_registered(target, room, index, (0.0, 0.0)).await,
            Self::PeerJs => open_peerjs(target, &self.id(index)).await,
        }
    }

    /// A frame for the partner `to` (the room's rest on meetmap when `None`) carrying
    /// the send time and a number.
    pub fn frame(self, to: Option<&str>, sent_us: u64, number: u64) -> String {
        match self {
            Self::Meetmap => wire::signal_frame(to, sent_us, number),
            Self::PeerJs => json!({
                "type": "CANDIDATE",
                "dst": to,
                "payload": {"t": sent_us, "n": number},
            })
            .to_string(),
        }
    }

    /// What a text frame read back is.
    pub fn read(self, text: &str) -> Read {
        match self {
            Self::Meetmap => match serde_json::from_str::<wire::RelayedProbe>(text) {
                Ok(probe) if probe.kind == "error" => Read::Refused,
                Ok(wire::RelayedProbe {
                    kind,
                    from: Some(from),
                    t: Some(sent_us),
                }) if kind == "offer" => Read::Relayed { from, sent_us },
                _ => Read::Other,
            },
            Self::PeerJs => match serde_json::from_str::<PeerJsProbe>(text) {
                Ok(PeerJsProbe {
                    kind,
                    src: Some(from),
                    payload: Some(SentAt { t: Some(sent_us) }),
                }) if kind == "CANDIDATE" => Read::Relayed { from, sent_us },
                // A refusal, or a frame the server could not deliver.
                Ok(probe) if ["ERROR", "ID-TAKEN", "EXPIRE", "LEAVE"].contains(&&*probe.kind) => {
                    Read::Refused
                }
                _ => Read::Other,
            },
        }
    }

    /// The frame a client sends every [`PEERJS_HEARTBEAT`] to stay connected, if any.
    pub fn heartbeat(self) -> Option<&'static str> {
        match self {
            Self::Meetmap => None,
            Self::PeerJs => Some(PEERJS_HEARTBEAT_FRAME),
        }
    }
}

/// Opens `/peerjs?key=…&id=…&token=…` and waits for the server's `OPEN`.
async fn open_peerjs(target: &Target, id: &str) -> Result<Ws, String> {
    let base = target.url.trim_end_matches('/');
    let url = format!("{base}/peerjs?key={PEERJS_KEY}&id={id}&token=t{id}");
    let mut socket = conn::open_url(&url, None).await?;
    let wait = async {
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Text(text)) if text.contains(r#""type":"OPEN""#) => return Ok(()),
                Ok(Message::Text(text)) => return Err(format!("refused: {text}")),
                Ok(Message::Close(_)) => break,
                Ok(_) => {}
                Err(error) => return Err(format!("read: {error}")),
            }
        }
        Err("closed before OPEN".to_string())
    };
    match tokio::time::timeout(SETUP_TIMEOUT, wait).await {
        Ok(Ok(())) => Ok(socket),
        Ok(Err(error)) => Err(error),
        Err(_) => Err("no OPEN in time".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Read, Server};

    #[test]
    fn a_peerjs_candidate_reads_back_as_relayed_from_its_stamped_source() {
        let sent = Server::PeerJs.frame(Some("load1"), 42, 7);
        let value: serde_json::Value = serde_json::from_str(&sent).expect("json");
        assert_eq!(value["type"], "CANDIDATE");
        assert_eq!(value["dst"], "load1");
        let relayed =
            r#"{"type":"CANDIDATE","src":"load0","dst":"load1","payload":{"t":42,"n":7}}"#;
        let expected = Read::Relayed {
            from: "load0".into(),
            sent_us: 42,
        };
        assert_eq!(Server::PeerJs.read(relayed), expected);
        let expired = r#"{"type":"EXPIRE","src":"load1","dst":"load0"}"#;
        assert_eq!(Server::PeerJs.read(expired), Read::Refused);
        assert_eq!(Server::PeerJs.read(r#"{"type":"OPEN"}"#), Read::Other);
    }
}
