//! Logging through `log` and env_logger (`RUST_LOG`, `info` by default), in text or as one
//! JSON object per line: time (RFC 3339, UTC), level, target, message, `conn` when the
//! line is a connection's (it starts with `conn=N`, as both servers' connection lines do),
//! and whatever else the server reads from a line (the backend's user).

use serde_json::{Map, Value};
use std::io::Write;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// env_logger's lines: `[time LEVEL target] message`.
    Text,
    /// One JSON object per line: time, level, target, message, and the server's fields
    /// (the backend's `conn` and `user`) when known.
    Json,
}

/// Adds a server's own fields, read from a line's message, to its JSON object.
pub type Fields = fn(message: &str, object: &mut Map<String, Value>);

/// Installs the process's logger; in JSON, each line gets `fields` too.
pub fn init_logging(format: LogFormat, fields: Fields) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(move |buf, record| {
            let line = json_line(
                &buf.timestamp_millis().to_string(),
                record.level().as_str(),
                record.target(),
                &record.args().to_string(),
                fields,
            );
            writeln!(buf, "{line}")
        });
    }
    builder.init();
}

/// [`Fields`] for a server whose lines know only their connection: `conn`.
pub fn connection_fields(message: &str, object: &mut Map<String, Value>) {
    add_connection(message, object);
}

/// Adds `conn`, the id a line starts with (`conn=42 ...`), if it does; returns it.
pub fn add_connection(message: &str, object: &mut Map<String, Value>) -> Option<u64> {
    let rest = message.strip_prefix("conn=")?;
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    let conn: u64 = digits.parse().ok()?;
    object.insert("conn".to_owned(), conn.into());
    Some(conn)
}

/// One log line as a JSON object.
pub fn json_line(time: &str, level: &str, target: &str, message: &str, fields: Fields) -> String {
    let mut object = Map::new();
    for (name, value) in [
        ("time", time),
        ("level", level),
        ("target", target),
        ("message", message),
    ] {
        object.insert(name.to_owned(), value.into());
    }
    fields(message, &mut object);
    Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_fields(_: &str, _: &mut Map<String, Value>) {}

    fn length_field(message: &str, object: &mut Map<String, Value>) {
        object.insert("length".to_owned(), message.len().into());
    }

    #[test]
    fn a_line_is_one_json_object_and_quotes_stay_json() {
        let line = json_line("t", "WARN", "frontend", "a \"quoted\"\nline", no_fields);
        assert!(!line.contains('\n'), "one line: {line}");
        let value: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(value["message"], "a \"quoted\"\nline");
        assert_eq!(value["level"], "WARN");
        assert_eq!(value["target"], "frontend");
        assert_eq!(value["time"], "t");
        assert_eq!(value.as_object().map(Map::len), Some(4));
    }

    #[test]
    fn a_connection_line_has_its_id_as_a_field() {
        let line = json_line("t", "INFO", "frontend", "conn=42 closed", connection_fields);
        let value: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(value["conn"], 42);
        let other = json_line("t", "INFO", "frontend", "a conn=42", connection_fields);
        let value: Value = serde_json::from_str(&other).expect("JSON");
        assert!(value.get("conn").is_none(), "{other}");
    }

    #[test]
    fn a_servers_fields_are_added_from_the_message() {
        let line = json_line("t", "INFO", "backend", "12345", length_field);
        let value: Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(value["length"], 5);
    }
}
