//! The types of the flags' values that are more than a number or a string: a timing in
//! milliseconds and the ICE servers' JSON. Each parses what the flag accepts and prints
//! what it parses, so a default is written once, as a value.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// A timing flag: a whole number of milliseconds, greater than zero when parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Millis(u64);

impl Millis {
    /// `ms` milliseconds.
    pub const fn new(ms: u64) -> Millis {
        Millis(ms)
    }

    /// The number of milliseconds.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The same time as a [`Duration`].
    pub const fn duration(self) -> Duration {
        Duration::from_millis(self.0)
    }
}

/// Why a timing flag was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MillisError {
    Zero,
    NotANumber(ParseIntError),
}

impl fmt::Display for MillisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Zero => f.write_str("must be greater than zero"),
            Self::NotANumber(e) => write!(f, "not a number of milliseconds: {e}"),
        }
    }
}

impl std::error::Error for MillisError {}

impl FromStr for Millis {
    type Err = MillisError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<u64>() {
            Ok(0) => Err(MillisError::Zero),
            Ok(ms) => Ok(Millis(ms)),
            Err(e) => Err(MillisError::NotANumber(e)),
        }
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The STUN server of the default `--ice-servers`: one public STUN server, no TURN.
const DEFAULT_STUN_URL: &str = "stun:stun.l.google.com:19302";

/// A validated JSON array of RTCIceServer objects, kept verbatim for the browser.
///
/// Each entry must be an object whose `urls` is a string or a non-empty array of
/// strings, without `username` or `credential`: `/config.json` is public, so a TURN
/// server's credentials there would be anyone's. TURN comes from the backend
/// (`--turn-secret-file`), with each connection's own short-lived credentials. Other
/// fields are passed through unchanged. Its `Debug` (what `--print-config` shows) is the
/// JSON with each `credential` as `***`.
#[derive(Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct IceServers(Vec<Value>);

impl fmt::Debug for IceServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        for server in &mut shown {
            if let Some(credential) = server.get_mut("credential") {
                *credential = Value::from("***");
            }
        }
        write!(f, "IceServers({})", Value::Array(shown))
    }
}

impl Default for IceServers {
    fn default() -> Self {
        IceServers(vec![serde_json::json!({ "urls": DEFAULT_STUN_URL })])
    }
}

/// Why `--ice-servers` was refused.
#[derive(Debug)]
pub enum IceServersError {
    NotJson(serde_json::Error),
    NotAnArray,
    /// The entry at this index is not an object with a usable `urls`.
    BadServer(usize),
    /// The entry at this index holds a `username` or `credential`.
    Credential(usize),
}

impl fmt::Display for IceServersError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotJson(e) => write!(f, "ice servers are not valid json: {e}"),
            Self::NotAnArray => {
                f.write_str("ice servers must be a json array of RTCIceServer objects")
            }
            Self::BadServer(i) => write!(
                f,
                "ice server {i} must be an object with \"urls\" as a string or an array of strings"
            ),
            Self::Credential(i) => write!(
                f,
                "ice server {i} has a username or credential, which /config.json would show to \
                 anyone: give the backend --turn-secret-file and --turn-urls instead"
            ),
        }
    }
}

impl std::error::Error for IceServersError {}

impl FromStr for IceServers {
    type Err = IceServersError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: Value = serde_json::from_str(s).map_err(IceServersError::NotJson)?;
        let Value::Array(servers) = value else {
            return Err(IceServersError::NotAnArray);
        };
        for (i, server) in servers.iter().enumerate() {
            let urls_ok = match server.get("urls") {
                Some(Value::String(_)) => true,
                Some(Value::Array(urls)) => !urls.is_empty() && urls.iter().all(Value::is_string),
                _ => false,
            };
            if !server.is_object() || !urls_ok {
                return Err(IceServersError::BadServer(i));
            }
            if server.get("username").is_some() || server.get("credential").is_some() {
                return Err(IceServersError::Credential(i));
            }
        }
        Ok(IceServers(servers))
    }
}

/// Which ICE candidates the browser's calls may use (`RTCPeerConnection`'s
/// `iceTransportPolicy`): `relay` sends every call through TURN, so no participant learns
/// another's IP address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum IceTransportPolicy {
    #[default]
    All,
    Relay,
}

impl fmt::Display for IceTransportPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::Relay => "relay",
        })
    }
}

/// The compact JSON text, as `--ice-servers` takes it.
impl fmt::Display for IceServers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Value::Array(self.0.clone()).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_are_positive_whole_numbers() {
        assert_eq!("200".parse(), Ok(Millis::new(200)));
        assert_eq!(Millis::new(200).duration(), Duration::from_millis(200));
        assert_eq!("0".parse::<Millis>(), Err(MillisError::Zero));
        for bad in ["1s", "-1", "", "soon"] {
            let parsed = bad.parse::<Millis>();
            assert!(matches!(parsed, Err(MillisError::NotANumber(_))), "{bad:?}");
        }
        assert_eq!(Millis::new(1500).to_string().parse(), Ok(Millis::new(1500)));
    }

    #[test]
    fn ice_servers_are_validated() {
        let ok = r#"[{"urls":["turn:t.example:3478","stun:s.example"]}]"#;
        let parsed = ok.parse::<IceServers>().expect("valid");
        assert_eq!(parsed.0.len(), 1);
        assert_eq!(parsed.to_string().parse::<IceServers>().ok(), Some(parsed));
        assert_eq!("[]".parse::<IceServers>().map(|s| s.0).ok(), Some(vec![]));
        for bad in ["", "nope"] {
            let parsed = bad.parse::<IceServers>();
            assert!(
                matches!(parsed, Err(IceServersError::NotJson(_))),
                "{bad:?}"
            );
        }
        for bad in ["{}", r#"{"urls":"stun:x"}"#] {
            let parsed = bad.parse::<IceServers>();
            assert!(
                matches!(parsed, Err(IceServersError::NotAnArray)),
                "{bad:?}"
            );
        }
        for bad in [
            "[1]",
            r#"[{"url":"stun:x"}]"#,
            r#"[{"urls":[]}]"#,
            r#"[{"urls":[1]}]"#,
        ] {
            let parsed = bad.parse::<IceServers>();
            assert!(
                matches!(parsed, Err(IceServersError::BadServer(0))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn ice_servers_with_credentials_are_refused() {
        for bad in [
            r#"[{"urls":"stun:s.example"},{"urls":"turn:t.example","username":"u","credential":"c"}]"#,
            r#"[{"urls":"stun:s.example"},{"urls":"turn:t.example","credential":"c"}]"#,
            r#"[{"urls":"stun:s.example"},{"urls":"turn:t.example","username":"u"}]"#,
        ] {
            let refused = bad.parse::<IceServers>();
            assert!(
                matches!(refused, Err(IceServersError::Credential(1))),
                "{bad}"
            );
        }
        let message = IceServersError::Credential(1).to_string();
        assert!(message.contains("--turn-secret-file"), "{message}");
    }

    #[test]
    fn default_ice_servers_print_as_the_flag_takes_them() {
        let text = IceServers::default().to_string();
        assert_eq!(text, r#"[{"urls":"stun:stun.l.google.com:19302"}]"#);
        assert_eq!(text.parse::<IceServers>().ok(), Some(IceServers::default()));
    }
}
