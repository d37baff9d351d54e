//! What the backend and the frontend share to run as a service: the log format
//! (env_logger's text or one JSON object per line) and `--print-config`'s masking of
//! secrets. A crate of its own so that neither server imports the other.

mod logging;
mod masking;

pub use logging::{Fields, LogFormat, add_connection, connection_fields, init_logging, json_line};
pub use masking::masked;
