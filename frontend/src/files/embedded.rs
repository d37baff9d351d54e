//! The browser app and its npm libraries compiled into the binary (rust-embed), served the
//! way the folders on disk are: directory indexes, the redirect to a folder's `/`, content
//! types, and validators whose `ETag` is the content's SHA-256, computed at build time.
//!
//! Only what is served from disk today is embedded: `public/` and each library's `dist/`
//! (`build.rs` stops the build with a clear message when one is missing). Hidden files are
//! left out, so they cannot be asked for.

use std::borrow::Cow;

use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

use super::cache::Validators;
use super::content_type;
use super::request_path::RequestPath;
use super::serve::redirect_to_directory;
use crate::response::{Body, not_found};

#[derive(RustEmbed)]
#[folder = "public/"]
#[exclude = "**/.*"]
#[exclude = "**/.*/**"]
struct App;

#[derive(RustEmbed)]
#[folder = "node_modules/leaflet/dist/"]
#[exclude = "**/.*"]
#[exclude = "**/.*/**"]
struct Leaflet;

#[derive(RustEmbed)]
#[folder = "node_modules/leaflet.markercluster/dist/"]
#[exclude = "**/.*"]
#[exclude = "**/.*/**"]
struct MarkerCluster;

/// The browser app, `public/` as it was at build time.
pub(crate) const APP: Embedded = Embedded::of::<App>();
/// Leaflet's `dist/` (the npm package `leaflet`).
pub(crate) const LEAFLET: Embedded = Embedded::of::<Leaflet>();
/// Leaflet.markercluster's `dist/` (the npm package `leaflet.markercluster`).
pub(crate) const MARKERCLUSTER: Embedded = Embedded::of::<MarkerCluster>();

/// One embedded folder: the lookups rust-embed derived for it.
#[derive(Clone, Copy)]
pub(crate) struct Embedded {
    get: fn(&str) -> Option<EmbeddedFile>,
    names: fn() -> Names,
}

/// The names of an embedded folder's files, folder-relative, `/`-separated.
type Names = Box<dyn Iterator<Item = Cow<'static, str>>>;

/// `T`'s file names, boxed so that every folder's lookup has one type.
fn names_of<T: RustEmbed>() -> Names {
    Box::new(T::iter())
}

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedded({} files)", (self.names)().count())
    }
}

impl Embedded {
    const fn of<T: RustEmbed>() -> Embedded {
        Embedded {
            get: T::get,
            names: names_of::<T>,
        }
    }

    /// Whether `dir` (folder-relative, `""` for the top) holds any file.
    fn has_dir(&self, dir: &str) -> bool {
        dir.is_empty()
            || (self.names)().any(|name| {
                name.strip_prefix(dir)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

/// Answers a GET or HEAD for a lexically safe path inside the embedded folder `folder`.
pub(crate) fn serve_embedded(
    folder: Embedded,
    path: &RequestPath,
    req: &Request<Incoming>,
) -> Response<Body> {
    let name = path.relative();
    if !path.names_directory()
        && let Some(file) = (folder.get)(&name)
    {
        return send(&name, file, req);
    }
    if !folder.has_dir(&name) {
        return not_found();
    }
    if !path.names_directory() {
        return redirect_to_directory(req);
    }
    let index = if name.is_empty() {
        "index.html".to_owned()
    } else {
        format!("{name}/index.html")
    };
    match (folder.get)(&index) {
        Some(file) => send(&index, file, req),
        None => not_found(),
    }
}

/// The file, or 304 when the client's copy is current.
fn send(name: &str, file: EmbeddedFile, req: &Request<Incoming>) -> Response<Body> {
    let validators =
        Validators::of_content(&file.metadata.sha256_hash(), file.metadata.last_modified());
    if validators.not_modified(req.headers()) {
        return validators.not_modified_answer();
    }
    let body = match file.data {
        Cow::Borrowed(bytes) => Bytes::from_static(bytes),
        Cow::Owned(bytes) => Bytes::from(bytes),
    };
    let content_type = content_type::for_path(std::path::Path::new(name));
    validators.answer(content_type, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_and_its_libraries_are_embedded() {
        assert!((APP.get)("index.html").is_some());
        assert!((APP.get)("js/main.js").is_some());
        assert!((LEAFLET.get)("leaflet.js").is_some());
        assert!((LEAFLET.get)("leaflet.css").is_some());
        assert!((MARKERCLUSTER.get)("leaflet.markercluster.js").is_some());
    }

    #[test]
    fn folders_are_known_by_their_files() {
        assert!(APP.has_dir(""));
        assert!(APP.has_dir("js"));
        assert!(!APP.has_dir("j"));
        assert!(!APP.has_dir("index.html"));
        assert!(LEAFLET.has_dir("images"));
    }

    #[test]
    fn nothing_hidden_is_embedded() {
        for folder in [APP, LEAFLET, MARKERCLUSTER] {
            let hidden = (folder.names)().find(|name| name.split('/').any(|s| s.starts_with('.')));
            assert_eq!(hidden, None);
        }
    }
}
