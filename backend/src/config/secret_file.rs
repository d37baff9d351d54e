//! Secrets kept in files (`--session-secret-file`, `--turn-secret-file`), read the one way.

use crate::admission::{Secret, SecretError};

/// A secret kept in a file (the session's, TURN's): its text less one trailing newline (`\n` or `\r\n`).
pub(super) fn read_secret_file(path: &std::path::Path) -> Result<Secret, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|error| SecretError::Io {
        path: path.to_owned(),
        error,
    })?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    Ok(Secret::new(line))
}
