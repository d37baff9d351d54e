//! Serves files from a served folder (the public folder, or a read-only mount such as
//! Leaflet's `dist/`): directory indexes, symlink containment, reading, content types and
//! cache validators.
//!
//! Architecture invariant: a file is only opened after its canonical path (all symlinks
//! resolved) has been checked to lie inside the canonical served folder and to have no
//! hidden component.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use hyper::body::Incoming;
use hyper::header::{HeaderValue, LOCATION};
use hyper::{Request, Response, StatusCode};
use log::{debug, warn};
use tokio::io::AsyncReadExt;

use super::cache::Validators;
use super::content_type;
use super::request_path::RequestPath;
use crate::admission;
use crate::response::{Body, not_found, text};

/// Largest file served; bigger files get a 500 and a warning, since they are a
/// deployment mistake rather than a client error.
pub(crate) const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Answers a GET or HEAD for a lexically safe path below `root`, a canonical folder.
pub(crate) async fn serve(
    root: &Path,
    path: &RequestPath,
    req: &Request<Incoming>,
    conn: u64,
) -> Response<Body> {
    let Some(mut file) = resolve(root, &path.below(root), conn).await else {
        return not_found();
    };
    let is_dir = match tokio::fs::metadata(&file).await {
        Ok(meta) => meta.is_dir(),
        Err(e) => {
            warn!("conn={conn} cannot stat {}: {e}", file.display());
            return not_found();
        }
    };
    if is_dir {
        if !path.names_directory() {
            return redirect_to_directory(req);
        }
        let Some(index) = resolve(root, &file.join("index.html"), conn).await else {
            return not_found();
        };
        file = index;
    } else if path.names_directory() {
        return not_found();
    }
    send_file(&file, req, conn).await
}

/// Like [`serve`] for a folder that may not exist (yet): a library folder that `npm ci`
/// creates, resolved on each request. Missing, it answers 404.
pub(crate) async fn serve_mount(
    dir: &Path,
    path: &RequestPath,
    req: &Request<Incoming>,
    conn: u64,
) -> Response<Body> {
    match tokio::fs::canonicalize(dir).await {
        Ok(root) => serve(&root, path, req, conn).await,
        Err(e) => {
            debug!("conn={conn} mount {} unavailable: {e}", dir.display());
            not_found()
        }
    }
}

/// Canonicalizes `target` and returns it if it is inside `root` and not hidden.
async fn resolve(root: &Path, target: &Path, conn: u64) -> Option<PathBuf> {
    let canonical = match tokio::fs::canonicalize(target).await {
        Ok(canonical) => canonical,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return None;
        }
        Err(e) => {
            warn!("conn={conn} cannot resolve {}: {e}", target.display());
            return None;
        }
    };
    let Ok(inside) = canonical.strip_prefix(root) else {
        warn!(
            "conn={conn} refused {}: resolves outside the served dir",
            target.display()
        );
        return None;
    };
    let hidden = inside
        .components()
        .any(|c| c.as_os_str().as_encoded_bytes().starts_with(b"."));
    if hidden {
        debug!(
            "conn={conn} refused {}: resolves to a hidden file",
            target.display()
        );
        return None;
    }
    Some(canonical)
}

/// Sends a regular file, or 304 when the client's copy is current.
async fn send_file(path: &Path, req: &Request<Incoming>, conn: u64) -> Response<Body> {
    // Held until the file is read and closed: files open at once are bounded, as the
    // connection cap's margin assumes.
    let Some(_open_file) = admission::open_file_permit().await else {
        return text(StatusCode::SERVICE_UNAVAILABLE, "busy");
    };
    let mut file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(e) => {
            warn!("conn={conn} cannot open {}: {e}", path.display());
            return not_found();
        }
    };
    // Metadata of the open handle, so validators and length describe what is read.
    let meta = match file.metadata().await {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) => return not_found(),
        Err(e) => {
            warn!("conn={conn} cannot stat {}: {e}", path.display());
            return not_found();
        }
    };
    if meta.len() > MAX_FILE_BYTES {
        warn!(
            "conn={conn} refused {}: larger than {MAX_FILE_BYTES} bytes",
            path.display()
        );
        return text(StatusCode::INTERNAL_SERVER_ERROR, "file too large");
    }
    let validators = Validators::of(&meta);
    if validators.not_modified(req.headers()) {
        return validators.not_modified_answer();
    }
    match read_capped(&mut file, meta.len(), path, conn).await {
        Ok(contents) => validators.answer(content_type::for_path(path), Body::from(contents)),
        Err(refusal) => refusal,
    }
}

/// The whole file (`len` bytes when opened), or the `500` to answer instead; at most
/// [`MAX_FILE_BYTES`] even if the file grows between the size check and the read.
async fn read_capped(
    file: &mut tokio::fs::File,
    len: u64,
    path: &Path,
    conn: u64,
) -> Result<Vec<u8>, Response<Body>> {
    let mut contents = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    let read = file
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut contents)
        .await;
    match read {
        Ok(n) if n as u64 <= MAX_FILE_BYTES => Ok(contents),
        Ok(_) => {
            warn!(
                "conn={conn} refused {}: grew past the size limit",
                path.display()
            );
            Err(text(StatusCode::INTERNAL_SERVER_ERROR, "file too large"))
        }
        Err(e) => {
            warn!("conn={conn} cannot read {}: {e}", path.display());
            Err(text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read file"))
        }
    }
}

/// `/dir` → 301 to `/dir/`, so relative links inside the directory's index work.
pub(super) fn redirect_to_directory(req: &Request<Incoming>) -> Response<Body> {
    // The path passed `request_path::parse`, so it has no empty segment and the
    // location cannot turn into a protocol-relative `//host` URL.
    let location = match req.uri().query() {
        Some(query) => format!("{}/?{query}", req.uri().path()),
        None => format!("{}/", req.uri().path()),
    };
    let Ok(location) = HeaderValue::from_str(&location) else {
        return text(StatusCode::BAD_REQUEST, "bad request");
    };
    let mut res = text(StatusCode::MOVED_PERMANENTLY, "moved permanently");
    res.headers_mut().insert(LOCATION, location);
    res
}
