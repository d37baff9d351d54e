//! The server's configuration: command-line flags with environment-variable fallbacks.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use crate::admission::MaxConnections;

/// Everything the frontend server needs to know, parsed by clap in `main`.
///
/// Tests build one with [`Config::for_dir`], which never reads the environment.
#[derive(Clone, Debug, Parser)]
#[command(
    version,
    about = "meetmap frontend: serves the browser app and its /config.json",
    long_about = None
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "MEETMAP_FRONTEND_ADDR", value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Folder whose files are served; nothing outside it is ever served.
    #[arg(long, env = "MEETMAP_PUBLIC_DIR", value_name = "DIR", default_value = DEFAULT_PUBLIC_DIR)]
    pub public_dir: PathBuf,

    /// The npm `node_modules` folder holding the browser's libraries: `/vendor/leaflet/` is
    /// served read-only from its `leaflet/dist/`. When Leaflet is not installed there, those
    /// URLs are 404 and the app runs without the map.
    #[arg(long, env = "MEETMAP_VENDOR_DIR", value_name = "DIR", default_value = DEFAULT_VENDOR_DIR)]
    pub vendor_dir: PathBuf,

    /// WebSocket URL of the backend given to the browser; when empty the browser uses
    /// ws://<page hostname>:8080/ (wss:// when the page is served over https).
    #[arg(long, env = "MEETMAP_WS_URL", value_name = "URL")]
    pub ws_url: Option<String>,

    /// JSON array of RTCIceServer objects (STUN/TURN) given to the browser for calls.
    #[arg(long, env = "MEETMAP_ICE_SERVERS", value_name = "JSON", default_value = DEFAULT_ICE_SERVERS)]
    pub ice_servers: IceServers,

    /// Map tile URL template with {z}, {x} and {y} placeholders.
    #[arg(long, env = "MEETMAP_TILE_URL", value_name = "TEMPLATE", default_value = DEFAULT_TILE_URL)]
    pub tile_url: String,

    /// Attribution (HTML) shown on the map for the tile source.
    #[arg(long, env = "MEETMAP_TILE_ATTRIBUTION", value_name = "HTML", default_value = DEFAULT_TILE_ATTRIBUTION)]
    pub tile_attribution: String,

    /// Milliseconds a client may take to send a complete request head before the
    /// connection is closed (slowloris protection); also bounds idle keep-alive.
    #[arg(long = "header-timeout-ms", env = "MEETMAP_HEADER_TIMEOUT_MS", value_name = "MS",
          default_value = DEFAULT_HEADER_TIMEOUT_MS, value_parser = parse_millis)]
    pub header_timeout: Duration,

    /// Least time between two position updates the browser sends while the user moves
    /// less than `--position-distance-m`.
    #[arg(long = "position-interval-ms", env = "MEETMAP_POSITION_INTERVAL_MS", value_name = "MS",
          default_value = DEFAULT_POSITION_INTERVAL_MS, value_parser = parse_millis)]
    pub position_interval: Duration,

    /// Distance in metres from the last position sent past which the browser sends the new
    /// one at once.
    #[arg(long = "position-distance-m", env = "MEETMAP_POSITION_DISTANCE_M", value_name = "METRES",
          default_value = DEFAULT_POSITION_DISTANCE_M)]
    pub position_distance_m: u32,

    /// How long an unanswered call rings before the caller is told "no answer".
    #[arg(long = "ring-timeout-ms", env = "MEETMAP_RING_TIMEOUT_MS", value_name = "MS",
          default_value = DEFAULT_RING_TIMEOUT_MS, value_parser = parse_millis)]
    pub ring_timeout: Duration,

    /// Longest wait between two reconnection attempts of the browser's WebSocket (the
    /// backoff doubles up to it, with jitter).
    #[arg(long = "reconnect-max-ms", env = "MEETMAP_RECONNECT_MAX_MS", value_name = "MS",
          default_value = DEFAULT_RECONNECT_MAX_MS, value_parser = parse_millis)]
    pub reconnect_max: Duration,

    /// Connections served at once, in total; more get 503. `derived`: the open-file limit
    /// (raised to its hard limit at start) minus a margin for the listener, files being
    /// read and refusals; a number above that is lowered to it, with a warning.
    #[arg(long = "max-connections", env = "MEETMAP_FRONTEND_MAX_CONNECTIONS", value_name = "N|derived",
          default_value = DEFAULT_MAX_CONNECTIONS)]
    pub max_connections: MaxConnections,

    /// Connections served at once from one IPv4 address or IPv6 /64; more get 503. 0 is no
    /// cap. Raise it (or 0) behind a reverse proxy, where every client has its address.
    #[arg(long = "max-connections-per-ip", env = "MEETMAP_FRONTEND_MAX_CONNECTIONS_PER_IP",
          value_name = "N", default_value = DEFAULT_MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,

    /// Tell the browser that the backend needs an access code (its --access-code): the
    /// login form then requires one. Without it the field stays optional.
    #[arg(long = "access-code-required", env = "MEETMAP_ACCESS_CODE_REQUIRED")]
    pub access_code_required: bool,
}

/// Default for `--listen`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
/// Default for `--public-dir`: the crate's own `public/`, so the server works from any cwd.
pub const DEFAULT_PUBLIC_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/public");
/// Default for `--vendor-dir`: the crate's own `node_modules/`, where `npm ci` installs.
pub const DEFAULT_VENDOR_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/node_modules");
/// Default for `--ice-servers`: one public STUN server, no TURN.
pub const DEFAULT_ICE_SERVERS: &str = r#"[{"urls":"stun:stun.l.google.com:19302"}]"#;
/// Default for `--tile-url`.
pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Default for `--tile-attribution`.
pub const DEFAULT_TILE_ATTRIBUTION: &str =
    r#"&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors"#;
/// Default for `--header-timeout-ms`.
pub const DEFAULT_HEADER_TIMEOUT_MS: &str = "10000";
/// Default for `--max-connections`: the open-file limit minus its margin.
pub const DEFAULT_MAX_CONNECTIONS: &str = "derived";
/// Default for `--max-connections-per-ip`: a few dozen browser tabs behind one address.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: &str = "64";
/// Default for `--position-interval-ms`.
pub const DEFAULT_POSITION_INTERVAL_MS: &str = "20000";
/// Default for `--position-distance-m`.
pub const DEFAULT_POSITION_DISTANCE_M: &str = "50";
/// Default for `--ring-timeout-ms`.
pub const DEFAULT_RING_TIMEOUT_MS: &str = "30000";
/// Default for `--reconnect-max-ms`.
pub const DEFAULT_RECONNECT_MAX_MS: &str = "10000";

impl Config {
    /// The defaults, serving `public_dir`, without looking at flags or the environment.
    pub fn for_dir(public_dir: impl Into<PathBuf>) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_dir: public_dir.into(),
            vendor_dir: PathBuf::from(DEFAULT_VENDOR_DIR),
            ws_url: None,
            ice_servers: IceServers::default(),
            tile_url: DEFAULT_TILE_URL.to_owned(),
            tile_attribution: DEFAULT_TILE_ATTRIBUTION.to_owned(),
            header_timeout: Duration::from_secs(10),
            max_connections: MaxConnections::Derived,
            max_connections_per_ip: 64,
            position_interval: Duration::from_secs(20),
            position_distance_m: 50,
            ring_timeout: Duration::from_secs(30),
            reconnect_max: Duration::from_secs(10),
            access_code_required: false,
        }
    }
}

/// A validated JSON array of RTCIceServer objects, kept verbatim for the browser.
///
/// Each entry must be an object whose `urls` is a string or a non-empty array of
/// strings; other fields (`username`, `credential`, ...) are passed through unchanged.
#[derive(Clone, Debug, PartialEq)]
pub struct IceServers(pub Vec<Value>);

impl Default for IceServers {
    fn default() -> Self {
        let mut server = serde_json::Map::new();
        server.insert(
            "urls".to_owned(),
            Value::from("stun:stun.l.google.com:19302"),
        );
        IceServers(vec![Value::Object(server)])
    }
}

impl FromStr for IceServers {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value: Value =
            serde_json::from_str(s).map_err(|e| format!("ice servers are not valid json: {e}"))?;
        let Value::Array(servers) = value else {
            return Err("ice servers must be a json array of RTCIceServer objects".to_owned());
        };
        for (i, server) in servers.iter().enumerate() {
            let urls_ok = match server.get("urls") {
                Some(Value::String(_)) => true,
                Some(Value::Array(urls)) => !urls.is_empty() && urls.iter().all(Value::is_string),
                _ => false,
            };
            if !server.is_object() || !urls_ok {
                return Err(format!(
                    "ice server {i} must be an object with \"urls\" as a string or an array of strings"
                ));
            }
        }
        Ok(IceServers(servers))
    }
}

fn parse_millis(s: &str) -> Result<Duration, String> {
    match s.parse::<u64>() {
        Ok(0) => Err("must be greater than zero".to_owned()),
        Ok(ms) => Ok(Duration::from_millis(ms)),
        Err(e) => Err(format!("not a number of milliseconds: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Config::command().debug_assert();
    }

    #[test]
    fn for_dir_matches_the_flag_defaults() {
        let config = Config::for_dir(DEFAULT_PUBLIC_DIR);
        assert_eq!(DEFAULT_LISTEN.parse(), Ok(config.listen));
        assert_eq!(DEFAULT_ICE_SERVERS.parse(), Ok(config.ice_servers));
        assert_eq!(
            parse_millis(DEFAULT_HEADER_TIMEOUT_MS),
            Ok(config.header_timeout)
        );
        assert_eq!(PathBuf::from(DEFAULT_VENDOR_DIR), config.vendor_dir);
        assert_eq!(DEFAULT_MAX_CONNECTIONS.parse(), Ok(config.max_connections));
        assert_eq!(
            DEFAULT_MAX_CONNECTIONS_PER_IP.parse(),
            Ok(config.max_connections_per_ip)
        );
        assert_eq!(
            parse_millis(DEFAULT_POSITION_INTERVAL_MS),
            Ok(config.position_interval)
        );
        assert_eq!(
            DEFAULT_POSITION_DISTANCE_M.parse(),
            Ok(config.position_distance_m)
        );
        assert_eq!(
            parse_millis(DEFAULT_RING_TIMEOUT_MS),
            Ok(config.ring_timeout)
        );
        assert_eq!(
            parse_millis(DEFAULT_RECONNECT_MAX_MS),
            Ok(config.reconnect_max)
        );
    }

    #[test]
    fn browser_timings_come_from_flags() {
        let config = Config::try_parse_from([
            "frontend",
            "--position-interval-ms",
            "5000",
            "--position-distance-m",
            "10",
            "--ring-timeout-ms",
            "2000",
            "--reconnect-max-ms",
            "3000",
            "--vendor-dir",
            "/opt/vendor",
        ])
        .expect("valid flags");
        assert_eq!(config.position_interval, Duration::from_secs(5));
        assert_eq!(config.position_distance_m, 10);
        assert_eq!(config.ring_timeout, Duration::from_secs(2));
        assert_eq!(config.reconnect_max, Duration::from_secs(3));
        assert_eq!(config.vendor_dir, PathBuf::from("/opt/vendor"));
        assert!(!config.access_code_required);
        let required =
            Config::try_parse_from(["frontend", "--access-code-required"]).expect("valid flags");
        assert!(required.access_code_required);
        for bad in [
            ["--ring-timeout-ms", "0"],
            ["--position-distance-m", "-1"],
            ["--reconnect-max-ms", "soon"],
        ] {
            let parsed = Config::try_parse_from(["frontend", bad[0], bad[1]]);
            assert!(parsed.is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn connection_caps_come_from_flags() {
        let config = Config::try_parse_from([
            "frontend",
            "--max-connections",
            "300",
            "--max-connections-per-ip",
            "0",
        ])
        .expect("valid flags");
        assert_eq!(config.max_connections, MaxConnections::At(300));
        assert_eq!(config.max_connections_per_ip, 0);
        for bad in [
            ["--max-connections", "0"],
            ["--max-connections", "all"],
            ["--max-connections-per-ip", "-1"],
        ] {
            let parsed = Config::try_parse_from(["frontend", bad[0], bad[1]]);
            assert!(parsed.is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn ice_servers_are_validated() {
        let ok = r#"[{"urls":["turn:t.example:3478","stun:s.example"],"username":"u","credential":"c"}]"#;
        assert_eq!(ok.parse::<IceServers>().map(|s| s.0.len()), Ok(1));
        assert_eq!("[]".parse::<IceServers>(), Ok(IceServers(vec![])));
        for bad in [
            "",
            "nope",
            "{}",
            r#"{"urls":"stun:x"}"#,
            "[1]",
            r#"[{"url":"stun:x"}]"#,
            r#"[{"urls":[]}]"#,
            r#"[{"urls":[1]}]"#,
        ] {
            assert!(bad.parse::<IceServers>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn header_timeout_must_be_positive_millis() {
        assert_eq!(parse_millis("200"), Ok(Duration::from_millis(200)));
        assert!(parse_millis("0").is_err());
        assert!(parse_millis("1s").is_err());
    }
}
