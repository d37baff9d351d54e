//! Cache validators for served files (`ETag`, `Last-Modified`) and conditional requests.
//!
//! A file on disk is known by its modification time and size; an embedded file by its
//! content's SHA-256, taken at build time, so its tag is the same in every build of it.
//!
//! Every file is sent with `Cache-Control: no-cache`: the app has no build step and no
//! hashed file names, so browsers keep copies but revalidate them on each use, which
//! costs a 304 when nothing changed.

use std::fs::Metadata;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use hyper::{HeaderMap, Response, StatusCode};

use crate::response::Body;

/// The `Cache-Control` value for every served file.
const CACHE_CONTROL_VALUE: &str = "no-cache";

/// The validators of one version of a file.
#[derive(Debug, PartialEq)]
pub(crate) struct Validators {
    /// A strong entity tag, quoted: from modification time and size, or from the content.
    etag: String,
    /// The modification time, whole seconds, when it is representable as an HTTP date.
    last_modified: Option<SystemTime>,
}

/// Seconds since the epoch of 10000-01-01, the first instant an HTTP date cannot express.
const YEAR_10000: u64 = 253_402_300_800;
/// Bytes of a content digest kept in its entity tag (128 bits, 32 hex digits).
const DIGEST_TAG_BYTES: usize = 16;

impl Validators {
    /// Validators for a file with this metadata (taken from the open file handle).
    pub(crate) fn of(meta: &Metadata) -> Validators {
        let since_epoch = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let (secs, nanos) = since_epoch.map_or((0, 0), |d| (d.as_secs(), d.subsec_nanos()));
        Validators {
            etag: format!("\"{secs:x}-{nanos:x}-{:x}\"", meta.len()),
            last_modified: since_epoch.and_then(|d| http_date(d.as_secs())),
        }
    }

    /// Validators for content with this digest, last modified `modified_secs` after the
    /// epoch (when known).
    pub(crate) fn of_content(digest: &[u8], modified_secs: Option<u64>) -> Validators {
        let hex: String = digest
            .iter()
            .take(DIGEST_TAG_BYTES)
            .map(|b| format!("{b:02x}"))
            .collect();
        Validators {
            etag: format!("\"{hex}\""),
            last_modified: modified_secs.and_then(http_date),
        }
    }

    /// The `304` answer to a client whose copy is current.
    pub(crate) fn not_modified_answer(&self) -> Response<Body> {
        let mut res = Response::new(Body::default());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        self.apply(res.headers_mut());
        res
    }

    /// The `200` answer carrying the file's `body`, of type `content_type`.
    pub(crate) fn answer(&self, content_type: &'static str, body: Body) -> Response<Body> {
        let mut res = Response::new(body);
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.apply(res.headers_mut());
        res
    }

    /// Sets `Cache-Control`, `ETag` and `Last-Modified` on the answer for this version.
    fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            headers.insert(ETAG, etag);
        }
        let last_modified = self.last_modified_header();
        if let Some(Ok(value)) = last_modified.as_deref().map(HeaderValue::from_str) {
            headers.insert(LAST_MODIFIED, value);
        }
    }

    /// The `Last-Modified` header value, if there is one.
    fn last_modified_header(&self) -> Option<String> {
        // In range by construction, so httpdate's formatter cannot panic.
        self.last_modified.map(httpdate::fmt_http_date)
    }

    /// Whether the client's copy is current, so the answer is 304 (RFC 9110 §13.2.2):
    /// `If-None-Match` decides when present, otherwise `If-Modified-Since`.
    pub(crate) fn not_modified(&self, headers: &HeaderMap) -> bool {
        let mut inm = headers.get_all(IF_NONE_MATCH).iter().peekable();
        if inm.peek().is_some() {
            return inm
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag);
        }
        let since = headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        matches!((self.last_modified, since), (Some(modified), Some(since)) if modified <= since)
    }
}

/// The instant `secs` after the epoch, when an HTTP date can express it.
fn http_date(secs: u64) -> Option<SystemTime> {
    (secs < YEAR_10000).then(|| UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validators() -> Validators {
        Validators {
            etag: "\"1-0-5\"".to_owned(),
            last_modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
        }
    }

    fn headers(pairs: &[(hyper::header::HeaderName, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn if_none_match_compares_tags_weakly() {
        let v = validators();
        assert!(v.not_modified(&headers(&[(IF_NONE_MATCH, "\"1-0-5\"")])));
        assert!(v.not_modified(&headers(&[(IF_NONE_MATCH, "\"x\", W/\"1-0-5\"")])));
        assert!(v.not_modified(&headers(&[(IF_NONE_MATCH, "*")])));
        assert!(!v.not_modified(&headers(&[(IF_NONE_MATCH, "\"1-0-6\"")])));
        assert!(!v.not_modified(&headers(&[])));
    }

    #[test]
    fn if_modified_since_only_counts_without_if_none_match() {
        let v = validators();
        let same = "Sun, 09 Sep 2001 01:46:40 GMT";
        assert_eq!(v.last_modified_header().as_deref(), Some(same));
        assert!(v.not_modified(&headers(&[(IF_MODIFIED_SINCE, same)])));
        assert!(!v.not_modified(&headers(&[(
            IF_MODIFIED_SINCE,
            "Sat, 08 Sep 2001 00:00:00 GMT"
        )])));
        assert!(!v.not_modified(&headers(&[(IF_MODIFIED_SINCE, "garbage")])));
        let both = [(IF_NONE_MATCH, "\"other\""), (IF_MODIFIED_SINCE, same)];
        assert!(!v.not_modified(&headers(&both)));
    }

    #[test]
    fn etag_changes_with_content_length() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, "one").expect("write");
        let first = Validators::of(&std::fs::metadata(&path).expect("metadata"));
        std::fs::write(&path, "three").expect("write");
        let second = Validators::of(&std::fs::metadata(&path).expect("metadata"));
        assert_ne!(first.etag, second.etag);
        assert!(first.etag.starts_with('"') && first.etag.ends_with('"'));
    }

    #[test]
    fn content_tags_are_the_digest_in_hex() {
        let digest: Vec<u8> = (0u8..32).collect();
        let v = Validators::of_content(&digest, Some(1_000_000_000));
        assert_eq!(v.etag, "\"000102030405060708090a0b0c0d0e0f\"");
        assert_eq!(v.last_modified, validators().last_modified);
        assert_eq!(
            Validators::of_content(&digest, Some(YEAR_10000)).last_modified,
            None
        );
    }
}
