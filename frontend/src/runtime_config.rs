//! `GET /config.json`: the deployment settings the browser app reads at startup, and the
//! defaults it would otherwise have to write itself.

use hyper::Response;
use hyper::body::Bytes;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use log::error;
use serde::Serialize;
use shared::DEFAULT_BACKEND_PORT;

use crate::config::{Config, IceServers, IceTransportPolicy, Millis};
use crate::response::Body;

/// First wait before the browser's WebSocket reconnects; it doubles per failed attempt up
/// to `reconnectMaxMs` (`--reconnect-max-ms`).
const RECONNECT_BASE: Millis = Millis::new(500);
/// A browser WebSocket that neither opens nor registers within this time is dropped and
/// opened again.
const CONNECT_TIMEOUT: Millis = Millis::new(10_000);

/// The `/config.json` document: a JSON object with these fields (the browser's
/// `config.js` reads them; each is the one definition of its value):
/// - `wsUrl` (string or `null`): the backend's WebSocket URL (`--ws-url`), `null` when
///   not configured; then the browser uses `ws://<page hostname>:<wsPort>/` (`wss://`
///   when the page is https).
/// - `wsPort` (number, 8080): the backend's default port (`shared::DEFAULT_BACKEND_PORT`),
///   for the URL above.
/// - `iceServers` (array): the RTCIceServer array for `RTCPeerConnection`, verbatim (STUN
///   only: never a credential; TURN comes in each connection's `welcome`).
/// - `iceTransportPolicy` (`"all"` or `"relay"`): `RTCPeerConnection`'s policy; `relay`
///   sends calls through TURN only.
/// - `tileUrl` (string): the map tile URL template with `{z}`, `{x}` and `{y}`.
/// - `tileAttribution` (string): the tile source's attribution, as HTML.
/// - `positionIntervalMs` (number): least time between two position updates while the
///   user moves less than `positionDistanceM` metres from the last position sent.
/// - `positionDistanceM` (number): a move farther than this from the last position sent
///   is sent at once.
/// - `ringTimeoutMs` (number): how long a call rings before the caller sees "no answer".
/// - `reconnectBaseMs` (number, 500): the first wait before the WebSocket reconnects; it
///   doubles per failed attempt, with jitter.
/// - `reconnectMaxMs` (number): the cap of that backoff.
/// - `connectTimeoutMs` (number, 10000): a WebSocket that neither opens nor registers
///   within this time is dropped and opened again.
/// - `accessCodeRequired` (boolean): the backend needs an access code; the login form
///   requires it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BrowserConfig<'a> {
    ws_url: Option<&'a str>,
    ws_port: u16,
    ice_servers: &'a IceServers,
    ice_transport_policy: IceTransportPolicy,
    tile_url: &'a str,
    tile_attribution: &'a str,
    position_interval_ms: Millis,
    position_distance_m: u32,
    ring_timeout_ms: Millis,
    reconnect_base_ms: Millis,
    reconnect_max_ms: Millis,
    connect_timeout_ms: Millis,
    access_code_required: bool,
}

impl<'a> BrowserConfig<'a> {
    fn of(config: &'a Config) -> BrowserConfig<'a> {
        BrowserConfig {
            ws_url: config
                .ws_url
                .as_deref()
                .map(str::trim)
                .filter(|url| !url.is_empty()),
            ws_port: DEFAULT_BACKEND_PORT,
            ice_servers: &config.ice_servers,
            ice_transport_policy: config.ice_transport_policy,
            tile_url: &config.tile_url,
            tile_attribution: &config.tile_attribution,
            position_interval_ms: config.position_interval,
            position_distance_m: config.position_distance_m,
            ring_timeout_ms: config.ring_timeout,
            reconnect_base_ms: RECONNECT_BASE,
            reconnect_max_ms: config.reconnect_max,
            connect_timeout_ms: CONNECT_TIMEOUT,
            access_code_required: config.access_code_required,
        }
    }
}

/// Renders the `/config.json` document ([`BrowserConfig`]) once, at startup.
pub(crate) fn render(config: &Config) -> Bytes {
    match serde_json::to_vec(&BrowserConfig::of(config)) {
        Ok(json) => Bytes::from(json),
        // Cannot happen (every field is a string, number, bool or JSON already); an empty
        // object leaves the browser on its fallback settings.
        Err(e) => {
            error!("cannot render /config.json: {e}");
            Bytes::from_static(b"{}")
        }
    }
}

/// The `/config.json` response; never cached, so a restart with new settings is seen.
pub(crate) fn response(document: &Bytes) -> Response<Body> {
    let mut res = Response::new(Body::from(document.clone()));
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn rendered(config: &Config) -> Value {
        serde_json::from_slice(&render(config)).expect("config.json is json")
    }

    #[test]
    fn defaults_leave_ws_url_to_the_browser() {
        let doc = rendered(&Config::for_dir("/nowhere"));
        assert_eq!(
            doc,
            json!({
                "wsUrl": null,
                "wsPort": 8080,
                "iceServers": [{"urls": "stun:stun.l.google.com:19302"}],
                "iceTransportPolicy": "all",
                "tileUrl": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "tileAttribution": "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors",
                "positionIntervalMs": 20000,
                "positionDistanceM": 50,
                "ringTimeoutMs": 30000,
                "reconnectBaseMs": 500,
                "reconnectMaxMs": 10000,
                "connectTimeoutMs": 10000,
                "accessCodeRequired": false,
            })
        );
    }

    #[test]
    fn ws_port_is_the_backends_default_port() {
        let doc = rendered(&Config::for_dir("/nowhere"));
        assert_eq!(doc["wsPort"], u64::from(shared::DEFAULT_BACKEND_PORT));
    }

    #[test]
    fn access_code_required_is_passed_on() {
        let mut config = Config::for_dir("/nowhere");
        config.access_code_required = true;
        assert_eq!(rendered(&config)["accessCodeRequired"], true);
    }

    #[test]
    fn relay_policy_is_passed_on() {
        let mut config = Config::for_dir("/nowhere");
        config.ice_transport_policy = IceTransportPolicy::Relay;
        assert_eq!(rendered(&config)["iceTransportPolicy"], "relay");
    }

    #[test]
    fn empty_ws_url_means_null() {
        let mut config = Config::for_dir("/nowhere");
        config.ws_url = Some("  ".to_owned());
        assert_eq!(rendered(&config)["wsUrl"], Value::Null);
        config.ws_url = Some(" wss://meet.example/ws ".to_owned());
        assert_eq!(rendered(&config)["wsUrl"], "wss://meet.example/ws");
    }
}
