//! The user record as every client sees it in presence messages.

use serde::{Deserialize, Serialize};

/// One online user. The shape is the seed's: `latitude` and `longitude` are `null` for a
/// user whose browser did not share a position (online, but not on the map).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    pub email: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub is_connected: bool,
    /// In a call, as the user's app last said (`update-user` with `inCall`). Sent only
    /// when true, so that the seed's clients get the seed's exact records.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_call: bool,
}

impl User {
    /// Whether the user can be placed on a map.
    pub fn has_position(&self) -> bool {
        self.latitude.is_some() && self.longitude.is_some()
    }
}
