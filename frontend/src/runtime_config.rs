//! `GET /config.json`: the deployment settings the browser app reads at startup.

use hyper::Response;
use hyper::body::Bytes;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::response::Body;

/// Renders the `/config.json` document once, at startup.
///
/// It is a JSON object with these fields (the browser's `main.js` depends on them):
/// - `wsUrl`: the backend's WebSocket URL, or `null` when not configured; then the
///   browser uses `ws://<page hostname>:8080/` (`wss://` when the page is https).
/// - `iceServers`: the RTCIceServer array for `RTCPeerConnection`, verbatim.
/// - `tileUrl`: the map tile URL template with `{z}`, `{x}` and `{y}`.
/// - `tileAttribution`: the tile source's attribution, as HTML.
/// - `positionIntervalMs`: least time between two position updates while the user moves
///   less than `positionDistanceM` metres from the last position sent.
/// - `positionDistanceM`: a move farther than this from the last position sent is sent
///   at once.
/// - `ringTimeoutMs`: how long a call rings before the caller sees "no answer".
/// - `reconnectMaxMs`: the cap of the WebSocket's reconnection backoff.
/// - `accessCodeRequired`: the backend needs an access code; the login form requires it.
pub(crate) fn render(config: &Config) -> Bytes {
    let ws_url = match config.ws_url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => Value::from(url),
        _ => Value::Null,
    };
    let mut doc = Map::new();
    doc.insert("wsUrl".to_owned(), ws_url);
    doc.insert(
        "iceServers".to_owned(),
        serde_json::to_value(&config.ice_servers).unwrap_or(Value::Null),
    );
    doc.insert("tileUrl".to_owned(), Value::from(config.tile_url.as_str()));
    doc.insert(
        "tileAttribution".to_owned(),
        Value::from(config.tile_attribution.as_str()),
    );
    doc.insert(
        "positionIntervalMs".to_owned(),
        Value::from(config.position_interval.get()),
    );
    doc.insert(
        "positionDistanceM".to_owned(),
        Value::from(config.position_distance_m),
    );
    doc.insert(
        "ringTimeoutMs".to_owned(),
        Value::from(config.ring_timeout.get()),
    );
    doc.insert(
        "reconnectMaxMs".to_owned(),
        Value::from(config.reconnect_max.get()),
    );
    doc.insert(
        "accessCodeRequired".to_owned(),
        Value::from(config.access_code_required),
    );
    // Serializing a `Value` cannot fail, unlike `serde_json::to_vec`.
    Bytes::from(Value::Object(doc).to_string())
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

    fn rendered(config: &Config) -> Value {
        serde_json::from_slice(&render(config)).expect("config.json is json")
    }

    #[test]
    fn defaults_leave_ws_url_to_the_browser() {
        let doc = rendered(&Config::for_dir("/nowhere"));
        assert_eq!(doc["wsUrl"], Value::Null);
        assert_eq!(doc["iceServers"][0]["urls"], "stun:stun.l.google.com:19302");
        assert_eq!(
            doc["tileUrl"],
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        );
        assert!(
            doc["tileAttribution"]
                .as_str()
                .is_some_and(|a| a.contains("OpenStreetMap"))
        );
        assert_eq!(doc["positionIntervalMs"], 20000);
        assert_eq!(doc["positionDistanceM"], 50);
        assert_eq!(doc["ringTimeoutMs"], 30000);
        assert_eq!(doc["reconnectMaxMs"], 10000);
        assert_eq!(doc["accessCodeRequired"], false);
    }

    #[test]
    fn access_code_required_is_passed_on() {
        let mut config = Config::for_dir("/nowhere");
        config.access_code_required = true;
        assert_eq!(rendered(&config)["accessCodeRequired"], true);
    }

    #[test]
    fn empty_ws_url_means_null() {
        let mut config = Config::for_dir("/nowhere");
        config.ws_url = Some("  ".to_owned());
        assert_eq!(rendered(&config)["wsUrl"], Value::Null);
        config.ws_url = Some("wss://meet.example/ws".to_owned());
        assert_eq!(rendered(&config)["wsUrl"], "wss://meet.example/ws");
    }
}
