//! Logging through `log` and env_logger (`RUST_LOG`, `info` by default), in text or as one
//! JSON object per line (`--log-format json`): time (RFC 3339, UTC), level, target,
//! message, and `conn`, the connection's id, when the line starts with `conn=N` as the
//! connections' lines do.

use crate::config::LogFormat;
use std::io::Write;

/// Installs the process's logger.
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    if format == LogFormat::Json {
        builder.format(|buf, record| {
            let line = json_line(
                &buf.timestamp_millis().to_string(),
                record.level().as_str(),
                record.target(),
                &record.args().to_string(),
            );
            writeln!(buf, "{line}")
        });
    }
    builder.init();
}

/// One log line as a JSON object.
pub fn json_line(time: &str, level: &str, target: &str, message: &str) -> String {
    let mut object = serde_json::json!({
        "time": time,
        "level": level,
        "target": target,
        "message": message,
    });
    if let Some(conn) = connection_of(message) {
        object["conn"] = conn.into();
    }
    object.to_string()
}

/// The connection id a line starts with (`conn=42 ...`).
fn connection_of(message: &str) -> Option<u64> {
    let rest = message.strip_prefix("conn=")?;
    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_line_has_its_id_as_a_field() {
        let line = json_line(
            "2026-12-01T21:00:00.000Z",
            "INFO",
            "backend",
            "conn=42 left: closed",
        );
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(value["conn"], 42);
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["message"], "conn=42 left: closed");
    }

    #[test]
    fn other_lines_have_no_conn_and_quotes_stay_json() {
        let line = json_line("t", "WARN", "backend::store", "a \"quoted\"\nline");
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert!(value.get("conn").is_none());
        assert_eq!(value["message"], "a \"quoted\"\nline");
    }
}
