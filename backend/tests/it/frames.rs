//! Reading and building frames: presence lists and deltas, and the view of who is online
//! that a client builds from them.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Who is online according to these frames, by email: the last `update-users` or
/// `welcome` list with every later `presence` delta applied.
pub fn view(received: &[Value]) -> BTreeMap<String, Value> {
    let mut view = BTreeMap::new();
    for frame in received {
        let listed = |users: &Value| {
            let list = users.as_array().cloned().unwrap_or_default();
            list.into_iter()
                .map(|user| (user["email"].as_str().unwrap_or_default().to_owned(), user))
        };
        match frame["type"].as_str() {
            Some("update-users" | "welcome") => view = listed(&frame["users"]).collect(),
            Some("presence") => {
                view.extend(listed(&frame["joined"]));
                for (email, latitude, longitude) in moves(frame) {
                    if let Some(user) = view.get_mut(&email) {
                        user["latitude"] = json!(latitude);
                        user["longitude"] = json!(longitude);
                    }
                }
                for email in delta_emails(frame, "left") {
                    view.remove(&email);
                }
            }
            _ => {}
        }
    }
    view
}

/// An `add-user` or `update-user` frame.
pub fn profile(kind: &str, email: &str, name: &str, position: Option<(f64, f64)>) -> Value {
    let mut frame = json!({"type": kind, "email": email, "name": name, "isConnected": true});
    if let Some((latitude, longitude)) = position {
        frame["latitude"] = json!(latitude);
        frame["longitude"] = json!(longitude);
    }
    frame
}

/// The `moved` entries of a `presence` frame, each `[email, latitude, longitude]` on the
/// wire, in order; none for any other frame.
pub fn moves(frame: &Value) -> Vec<(String, f64, f64)> {
    let list = frame["moved"].as_array().into_iter().flatten();
    list.filter_map(|entry| {
        let email = entry[0].as_str()?.to_owned();
        Some((email, entry[1].as_f64()?, entry[2].as_f64()?))
    })
    .collect()
}

/// The emails a `presence` frame lists under `key` (`joined` users, `moved`, `left`).
pub fn delta_emails(frame: &Value, key: &str) -> Vec<String> {
    if frame["type"] != "presence" {
        return Vec::new();
    }
    let list = frame[key].as_array().cloned().unwrap_or_default();
    list.iter()
        .filter_map(|entry| {
            entry
                .as_str()
                .or_else(|| entry["email"].as_str())
                .or_else(|| entry[0].as_str())
                .map(str::to_owned)
        })
        .collect()
}

/// Whether a `presence` frame lists `email` under `key`.
pub fn delta_has(frame: &Value, key: &str, email: &str) -> bool {
    delta_emails(frame, key)
        .iter()
        .any(|listed| listed == email)
}

/// How many `presence` frames among these list `email` as `left`.
pub fn left_count(received: &[Value], email: &str) -> usize {
    received
        .iter()
        .filter(|frame| delta_has(frame, "left", email))
        .count()
}

/// The emails in an `update-users`, `welcome` or `presence.joined` list.
pub fn emails(users: &Value) -> Vec<String> {
    users.as_array().map_or_else(Vec::new, |list| {
        list.iter()
            .filter_map(|user| user["email"].as_str().map(str::to_owned))
            .collect()
    })
}

/// Whether an `update-users` frame lists exactly these emails, in any order.
pub fn lists_exactly(frame: &Value, expected: &[&str]) -> bool {
    if frame["type"] != "update-users" {
        return false;
    }
    let mut listed = emails(&frame["users"]);
    listed.sort();
    let mut expected: Vec<String> = expected.iter().map(|e| e.to_string()).collect();
    expected.sort();
    listed == expected
}
