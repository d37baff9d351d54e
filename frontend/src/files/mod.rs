//! The served folders' files: a request path made safe (`request_path`), then resolved,
//! contained and read (`serve`), sent with its media type (`content_type`) and its cache
//! validators (`cache`).
//!
//! Architecture invariant: no response contains bytes of a file outside the folder it is
//! served from; paths are checked lexically (`request_path`) and again after resolving
//! symlinks (`serve`), by the same code for every folder.

mod cache;
mod content_type;
mod request_path;
mod serve;

pub(crate) use request_path::{Rejection, RequestPath};
pub(crate) use serve::{serve, serve_mount};
