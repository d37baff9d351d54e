//! The server's configuration: command-line flags with environment-variable fallbacks.
//! Each default is written once, as a constant below: the flags' defaults and
//! [`Config::default`] both name it.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;

use clap::Parser;
use service_kit::{LogFormat, masked};

use crate::admission::MaxConnections;

pub use values::{IceServers, IceServersError, IceTransportPolicy, Millis, MillisError};

mod values;

/// Everything the frontend server needs to know, parsed by clap in `main`.
///
/// Tests build one with [`Config::for_dir`] (or [`Config::default`]), which never reads
/// the environment.
#[derive(Clone, Debug, PartialEq, Parser)]
#[command(
    version,
    about = "meetmap frontend: serves the browser app and its /config.json",
    long_about = None
)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "MEETMAP_FRONTEND_ADDR", value_name = "ADDR", default_value_t = DEFAULT_LISTEN)]
    pub listen: SocketAddr,

    /// Serve the browser app from this folder instead of the copy embedded in the binary
    /// (for development: `--public-dir frontend/public`); nothing outside it is served.
    #[arg(long, env = "MEETMAP_PUBLIC_DIR", value_name = "DIR")]
    pub public_dir: Option<PathBuf>,

    /// Serve the browser's libraries from this npm `node_modules` folder instead of the
    /// copies embedded in the binary: `/vendor/leaflet/` from its `leaflet/dist/`,
    /// `/vendor/markercluster/` from `leaflet.markercluster/dist/`, read-only. When a
    /// package is not installed there, its URLs are 404 and the app runs without it.
    #[arg(long, env = "MEETMAP_VENDOR_DIR", value_name = "DIR")]
    pub vendor_dir: Option<PathBuf>,

    /// WebSocket URL of the backend given to the browser; when empty the browser uses
    /// ws://<page hostname>:8080/ (wss:// when the page is served over https).
    #[arg(long, env = "MEETMAP_WS_URL", value_name = "URL")]
    pub ws_url: Option<String>,

    /// JSON array of RTCIceServer objects (STUN/TURN) given to the browser for calls.
    #[arg(long, env = "MEETMAP_ICE_SERVERS", value_name = "JSON", default_value_t = IceServers::default())]
    pub ice_servers: IceServers,

    /// Which ICE candidates calls may use: `relay` sends every call through the backend's
    /// TURN servers (--turn-urls), so no participant learns another's IP address; calls
    /// then need TURN. `all` also lets browsers connect directly.
    #[arg(long, env = "MEETMAP_ICE_TRANSPORT_POLICY", value_name = "POLICY",
          default_value_t = IceTransportPolicy::default())]
    pub ice_transport_policy: IceTransportPolicy,

    /// Map tile URL template with {z}, {x} and {y} placeholders.
    #[arg(long, env = "MEETMAP_TILE_URL", value_name = "TEMPLATE", default_value = DEFAULT_TILE_URL)]
    pub tile_url: String,

    /// Attribution (HTML) shown on the map for the tile source.
    #[arg(long, env = "MEETMAP_TILE_ATTRIBUTION", value_name = "HTML", default_value = DEFAULT_TILE_ATTRIBUTION)]
    pub tile_attribution: String,

    /// Milliseconds a client may take to send a complete request head before the
    /// connection is closed (slowloris protection); also bounds idle keep-alive.
    #[arg(long = "header-timeout-ms", env = "MEETMAP_HEADER_TIMEOUT_MS", value_name = "MS",
          default_value_t = DEFAULT_HEADER_TIMEOUT)]
    pub header_timeout: Millis,

    /// Least time between two position updates the browser sends while the user moves
    /// less than `--position-distance-m`.
    #[arg(long = "position-interval-ms", env = "MEETMAP_POSITION_INTERVAL_MS", value_name = "MS",
          default_value_t = DEFAULT_POSITION_INTERVAL)]
    pub position_interval: Millis,

    /// Distance in metres from the last position sent past which the browser sends the new
    /// one at once.
    #[arg(long = "position-distance-m", env = "MEETMAP_POSITION_DISTANCE_M", value_name = "METRES",
          default_value_t = DEFAULT_POSITION_DISTANCE_M)]
    pub position_distance_m: u32,

    /// How long an unanswered call rings before the caller is told "no answer".
    #[arg(long = "ring-timeout-ms", env = "MEETMAP_RING_TIMEOUT_MS", value_name = "MS",
          default_value_t = DEFAULT_RING_TIMEOUT)]
    pub ring_timeout: Millis,

    /// Longest wait between two reconnection attempts of the browser's WebSocket (the
    /// backoff doubles up to it, with jitter).
    #[arg(long = "reconnect-max-ms", env = "MEETMAP_RECONNECT_MAX_MS", value_name = "MS",
          default_value_t = DEFAULT_RECONNECT_MAX)]
    pub reconnect_max: Millis,

    /// Connections served at once, in total; more get 503. `derived`: the open-file limit
    /// (raised to its hard limit at start) minus a margin for the listener, files being
    /// read and refusals; a number above that is lowered to it, with a warning.
    #[arg(long = "max-connections", env = "MEETMAP_FRONTEND_MAX_CONNECTIONS", value_name = "N|derived",
          default_value_t = MaxConnections::default())]
    pub max_connections: MaxConnections,

    /// Connections served at once from one IPv4 address or IPv6 /64; more get 503. 0 is no
    /// cap. Raise it (or 0) behind a reverse proxy, where every client has its address.
    #[arg(long = "max-connections-per-ip", env = "MEETMAP_FRONTEND_MAX_CONNECTIONS_PER_IP",
          value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,

    /// Tell the browser that the backend needs an access code (its --access-code): the
    /// login form then requires one. Without it the field stays optional.
    #[arg(long = "access-code-required", env = "MEETMAP_ACCESS_CODE_REQUIRED")]
    pub access_code_required: bool,

    /// How log lines are written: text, or one JSON object per line (time, level, target,
    /// message, and `conn` on a connection's lines), as the backend's.
    #[arg(long, env = "MEETMAP_LOG_FORMAT", value_enum, default_value_t = DEFAULT_LOG_FORMAT)]
    pub log_format: LogFormat,

    /// Prints the effective configuration (flags, then environment, then defaults), with
    /// secrets (an ICE server's `credential`) shown as ***, and exits.
    #[arg(long)]
    pub print_config: bool,
}

/// Default for `--listen`.
const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 3000));
/// Default for `--tile-url`.
const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// Default for `--tile-attribution`.
const DEFAULT_TILE_ATTRIBUTION: &str =
    r#"&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors"#;
/// Default for `--header-timeout-ms`.
const DEFAULT_HEADER_TIMEOUT: Millis = Millis::new(10_000);
/// Default for `--max-connections-per-ip`: a few dozen browser tabs behind one address.
const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
/// Default for `--position-interval-ms`.
const DEFAULT_POSITION_INTERVAL: Millis = Millis::new(20_000);
/// Default for `--position-distance-m`.
const DEFAULT_POSITION_DISTANCE_M: u32 = 50;
/// Default for `--ring-timeout-ms`.
const DEFAULT_RING_TIMEOUT: Millis = Millis::new(30_000);
/// Default for `--reconnect-max-ms`.
const DEFAULT_RECONNECT_MAX: Millis = Millis::new(10_000);
/// Default for `--log-format`.
const DEFAULT_LOG_FORMAT: LogFormat = LogFormat::Text;

/// What the flags give when none is set (and no environment variable).
impl Default for Config {
    fn default() -> Config {
        Config {
            listen: DEFAULT_LISTEN,
            public_dir: None,
            vendor_dir: None,
            ws_url: None,
            ice_servers: IceServers::default(),
            ice_transport_policy: IceTransportPolicy::default(),
            tile_url: DEFAULT_TILE_URL.to_owned(),
            tile_attribution: DEFAULT_TILE_ATTRIBUTION.to_owned(),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: MaxConnections::default(),
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            position_interval: DEFAULT_POSITION_INTERVAL,
            position_distance_m: DEFAULT_POSITION_DISTANCE_M,
            ring_timeout: DEFAULT_RING_TIMEOUT,
            reconnect_max: DEFAULT_RECONNECT_MAX,
            access_code_required: false,
            log_format: DEFAULT_LOG_FORMAT,
            print_config: false,
        }
    }
}

impl Config {
    /// The effective configuration, for `--print-config`: every flag after the
    /// environment and the defaults, secrets masked (the backend's shape).
    pub fn printed(&self) -> String {
        masked(&format!("{self:#?}"))
    }

    /// The defaults, serving the app from `public_dir` (the libraries embedded), without
    /// looking at flags or the environment.
    pub fn for_dir(public_dir: impl Into<PathBuf>) -> Config {
        Config {
            public_dir: Some(public_dir.into()),
            ..Config::default()
        }
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
    fn flag_defaults_are_shown_as_before() {
        let command = Config::command();
        let shown: Vec<(String, String)> = command
            .get_arguments()
            .filter_map(|arg| {
                let default = arg.get_default_values().first()?.to_str()?.to_owned();
                Some((arg.get_id().to_string(), default))
            })
            .collect();
        let expected = [
            ("listen", "127.0.0.1:3000"),
            (
                "ice_servers",
                r#"[{"urls":"stun:stun.l.google.com:19302"}]"#,
            ),
            ("ice_transport_policy", "all"),
            ("tile_url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            ("tile_attribution", DEFAULT_TILE_ATTRIBUTION),
            ("header_timeout", "10000"),
            ("position_interval", "20000"),
            ("position_distance_m", "50"),
            ("ring_timeout", "30000"),
            ("reconnect_max", "10000"),
            ("max_connections", "derived"),
            ("max_connections_per_ip", "64"),
            ("log_format", "text"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(id, default)| (id.to_string(), default.to_string()))
            .collect();
        assert_eq!(shown, expected);
    }

    #[test]
    fn no_flags_give_the_default() {
        let parsed = Config::try_parse_from(["frontend"]).expect("no flags needed");
        assert_eq!(parsed, Config::default());
        assert_eq!(parsed.public_dir, None, "the embedded app by default");
        assert_eq!(
            Config::for_dir("/srv").public_dir,
            Some(PathBuf::from("/srv"))
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
        assert_eq!(config.position_interval, Millis::new(5000));
        assert_eq!(config.position_distance_m, 10);
        assert_eq!(config.ring_timeout, Millis::new(2000));
        assert_eq!(config.reconnect_max, Millis::new(3000));
        assert_eq!(config.vendor_dir, Some(PathBuf::from("/opt/vendor")));
        assert!(!config.access_code_required);
        let required =
            Config::try_parse_from(["frontend", "--access-code-required"]).expect("valid flags");
        assert!(required.access_code_required);
        let relay = Config::try_parse_from(["frontend", "--ice-transport-policy", "relay"])
            .expect("valid flags");
        assert_eq!(relay.ice_transport_policy, IceTransportPolicy::Relay);
        for bad in [
            ["--ring-timeout-ms", "0"],
            ["--position-distance-m", "-1"],
            ["--reconnect-max-ms", "soon"],
            ["--ice-transport-policy", "none"],
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
}
