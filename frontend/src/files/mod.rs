//! The served folders' files: a request path made safe (`request_path`), then resolved,
//! contained and read (`serve` on disk, `embedded` from the binary), sent with its media
//! type (`content_type`) and its cache validators (`cache`).
//!
//! Architecture invariant: no response contains bytes of a file outside the folder it is
//! served from; paths are checked lexically (`request_path`) and, on disk, again after
//! resolving symlinks (`serve`), by the same code for every folder.

mod cache;
mod content_type;
mod embedded;
mod request_path;
mod serve;

use std::path::PathBuf;

use hyper::body::Incoming;
use hyper::{Request, Response};

pub(crate) use embedded::{APP, Embedded, LEAFLET, MARKERCLUSTER};
pub(crate) use request_path::{Rejection, RequestPath};

use crate::response::Body;

/// Where one URL folder's files come from.
#[derive(Debug)]
pub(crate) enum Folder {
    /// A folder on disk, canonical, resolved at startup (`--public-dir`).
    Disk(PathBuf),
    /// A folder on disk that may not exist yet (a library `npm ci` installs, from
    /// `--vendor-dir`), resolved on each request; missing, its URLs are 404.
    Mount(PathBuf),
    /// Compiled into the binary: the default.
    Embedded(Embedded),
}

impl Folder {
    /// Where the files come from, for the startup log.
    pub(crate) fn describe(&self) -> String {
        match self {
            Folder::Disk(dir) | Folder::Mount(dir) => dir.display().to_string(),
            Folder::Embedded(_) => "the embedded app".to_owned(),
        }
    }
}

/// Answers a GET or HEAD for a lexically safe path inside `folder`.
pub(crate) async fn serve(
    folder: &Folder,
    path: &RequestPath,
    req: &Request<Incoming>,
    conn: u64,
) -> Response<Body> {
    match folder {
        Folder::Disk(root) => serve::serve(root, path, req, conn).await,
        Folder::Mount(dir) => serve::serve_mount(dir, path, req, conn).await,
        Folder::Embedded(embedded) => embedded::serve_embedded(*embedded, path, req),
    }
}
