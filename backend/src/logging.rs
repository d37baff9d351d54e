//! The backend's log lines: service-kit's text or JSON (`--log-format`), and in JSON two
//! fields of its own: `conn`, the connection's id, when the line starts with `conn=N` as
//! the connections' lines do, and `user`, the email that connection registered as, from
//! the line that says so until its last. The text lines name that email when it
//! registers, so JSON carries nothing the text does not (`docs/SECURITY.md`).

use serde_json::{Map, Value};
use service_kit::LogFormat;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The email of each registered connection, by its id: `None` unless the lines are JSON,
/// so text logs keep nothing. An entry lives from the registration to the connection's
/// last line, so the map is bounded by the connection caps.
static USERS: Mutex<Option<HashMap<u64, Box<str>>>> = Mutex::new(None);

/// Installs the process's logger.
pub fn init(format: LogFormat) {
    if format == LogFormat::Json {
        *users() = Some(HashMap::new());
    }
    service_kit::init_logging(format, connection_fields);
}

/// Connection `conn` registered as `email`: its next lines carry it as `user`.
pub(crate) fn registered(conn: u64, email: &str) {
    if let Some(users) = users().as_mut() {
        users.insert(conn, email.into());
    }
}

/// Connection `conn` has logged its last line.
pub(crate) fn forget(conn: u64) {
    if let Some(users) = users().as_mut() {
        users.remove(&conn);
    }
}

/// One log line as a JSON object, with the backend's fields.
pub fn json_line(time: &str, level: &str, target: &str, message: &str) -> String {
    service_kit::json_line(time, level, target, message, connection_fields)
}

fn connection_fields(message: &str, object: &mut Map<String, Value>) {
    let Some(conn) = service_kit::add_connection(message, object) else {
        return;
    };
    if let Some(user) = users().as_ref().and_then(|users| users.get(&conn)) {
        object.insert("user".to_owned(), user.as_ref().into());
    }
}

fn users() -> MutexGuard<'static, Option<HashMap<u64, Box<str>>>> {
    USERS.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(message: &str) -> Value {
        let line = json_line("2026-12-01T21:00:00.000Z", "INFO", "backend", message);
        serde_json::from_str(&line).expect("JSON")
    }

    #[test]
    fn a_connection_line_has_its_id_and_once_registered_its_user() {
        *users() = Some(HashMap::new());
        let before = parsed("conn=42 joined room=default deltas=true");
        assert_eq!(before["conn"], 42);
        assert!(before.get("user").is_none(), "{before}");
        registered(42, "ann@example.com");
        let after = parsed("conn=42 left: closed");
        assert_eq!(after["user"], "ann@example.com");
        assert_eq!(after["message"], "conn=42 left: closed");
        assert!(
            parsed("conn=421 left").get("user").is_none(),
            "another connection"
        );
        forget(42);
        assert!(parsed("conn=42 late").get("user").is_none());
    }

    #[test]
    fn other_lines_have_no_conn_and_quotes_stay_json() {
        let value = parsed("a \"quoted\"\nline conn=3");
        assert!(value.get("conn").is_none());
        assert_eq!(value["message"], "a \"quoted\"\nline conn=3");
    }
}
