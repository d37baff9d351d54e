//! Turns a request path into folder-relative segments, refusing every way out of the folder.
//!
//! This is the lexical half of the containment check: it decodes the path exactly once
//! and rejects anything that is not a plain file name. The filesystem half (symlinks) is
//! in `serve`.

use std::path::{Path, PathBuf};

/// A request path that is safe to join onto the public folder segment by segment.
#[derive(Debug, PartialEq)]
pub(crate) struct RequestPath {
    /// Percent-decoded segments; none is empty, `.`, `..`, hidden, or contains `/`, `\`,
    /// `:`, NUL or another control character.
    segments: Vec<String>,
    /// Whether the path ends in `/`, i.e. asks for a directory (always true for `/`).
    trailing_slash: bool,
}

impl RequestPath {
    /// Parses the path component of a request target (no query string).
    pub(crate) fn parse(raw: &str) -> Result<RequestPath, Rejection> {
        parse(raw)
    }

    /// The path below the folder `root`, joined segment by segment.
    pub(crate) fn below(&self, root: &Path) -> PathBuf {
        let mut target = root.to_path_buf();
        target.extend(&self.segments);
        target
    }

    /// The folder-relative path, its segments joined by `/` (`""` for the folder itself).
    pub(crate) fn relative(&self) -> String {
        self.segments.join("/")
    }

    /// Whether the path ends in `/`, i.e. asks for a directory.
    pub(crate) fn names_directory(&self) -> bool {
        self.trailing_slash
    }

    /// The part of the path below the folder `prefix` (given as segments), if the path is
    /// that folder or lies inside it: `/vendor/leaflet/leaflet.js` below
    /// `["vendor", "leaflet"]` is `/leaflet.js`.
    pub(crate) fn strip_prefix(&self, prefix: &[&str]) -> Option<RequestPath> {
        let inside = self.segments.len() >= prefix.len()
            && self.segments.iter().zip(prefix).all(|(s, p)| s == p);
        if !inside {
            return None;
        }
        Some(RequestPath {
            segments: self.segments[prefix.len()..].to_vec(),
            trailing_slash: self.trailing_slash,
        })
    }
}

/// Why a request path was refused.
#[derive(Debug, PartialEq)]
pub(crate) enum Rejection {
    /// Malformed, or an attempt to leave the folder: answered with 400.
    Malformed(&'static str),
    /// Names a hidden file or folder (a segment starting with `.`): answered with 404.
    Hidden,
}

fn parse(raw: &str) -> Result<RequestPath, Rejection> {
    let Some(rest) = raw.strip_prefix('/') else {
        return Err(Rejection::Malformed("path does not start with /"));
    };
    let mut raw_segments: Vec<&str> = rest.split('/').collect();
    let trailing_slash = raw_segments.last() == Some(&"");
    if trailing_slash {
        raw_segments.pop();
    }
    let mut segments = Vec::with_capacity(raw_segments.len());
    let mut hidden = false;
    for raw_segment in raw_segments {
        let segment = decode_segment(raw_segment)?;
        hidden |= segment.starts_with('.');
        segments.push(segment);
    }
    if hidden {
        return Err(Rejection::Hidden);
    }
    Ok(RequestPath {
        segments,
        trailing_slash,
    })
}

/// Decodes one segment and checks that it is a plain file name.
fn decode_segment(raw: &str) -> Result<String, Rejection> {
    if raw.is_empty() {
        // Catches `//etc/passwd` and friends as well as `/a//b`.
        return Err(Rejection::Malformed("empty path segment"));
    }
    let bytes = percent_decode(raw).ok_or(Rejection::Malformed("bad percent escape"))?;
    let segment =
        String::from_utf8(bytes).map_err(|_| Rejection::Malformed("path is not utf-8"))?;
    if segment
        .chars()
        .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
    {
        return Err(Rejection::Malformed("forbidden character in path"));
    }
    if segment == "." || segment == ".." {
        return Err(Rejection::Malformed("dot segment in path"));
    }
    Ok(segment)
}

/// Decodes `%XX` escapes once; `None` if an escape is truncated or not hexadecimal.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = hex_value(bytes.next()?)?;
            let lo = hex_value(bytes.next()?)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (Vec<String>, bool) {
        match parse(raw) {
            Ok(p) => (p.segments, p.trailing_slash),
            Err(e) => panic!("{raw:?} refused: {e:?}"),
        }
    }

    #[test]
    fn plain_paths_become_segments() {
        assert_eq!(ok("/"), (vec![], true));
        assert_eq!(ok("/index.html"), (vec!["index.html".into()], false));
        assert_eq!(
            ok("/js/app.js"),
            (vec!["js".into(), "app.js".into()], false)
        );
        assert_eq!(ok("/js/"), (vec!["js".into()], true));
    }

    #[test]
    fn escapes_are_decoded_exactly_once() {
        assert_eq!(ok("/a%20b.txt").0, vec!["a b.txt"]);
        assert_eq!(ok("/caf%C3%A9").0, vec!["café"]);
        // A double-encoded dot stays a literal name, never `..`.
        assert_eq!(ok("/%252e%252e/x").0, vec!["%2e%2e", "x"]);
    }

    #[test]
    fn ways_out_are_malformed() {
        for raw in [
            "/..",
            "/../secret.txt",
            "/js/../../secret.txt",
            "/%2e%2e/secret.txt",
            "/%2E%2E/secret.txt",
            "/.%2e/secret.txt",
            "/./index.html",
            "/..%2fsecret.txt",
            "/..%2Fsecret.txt",
            "/..%5csecret.txt",
            "/..\\secret.txt",
            "/%00",
            "/index.html%00.js",
            "//etc/passwd",
            "/a//b",
            "/C:/Windows/win.ini",
            "/c%3a/x",
            "/%C0%AE%C0%AE/secret.txt",
            "/%ff",
            "/%",
            "/%2",
            "/%zz",
            "/a%0d%0ab",
            "index.html",
            "*",
            "",
        ] {
            assert!(
                matches!(parse(raw), Err(Rejection::Malformed(_))),
                "{raw:?} gave {:?}",
                parse(raw)
            );
        }
    }

    #[test]
    fn strip_prefix_keeps_what_lies_below() {
        let prefix = ["vendor", "leaflet"];
        let below = |raw: &str| {
            parse(raw)
                .expect("valid path")
                .strip_prefix(&prefix)
                .map(|p| (p.segments, p.trailing_slash))
        };
        assert_eq!(
            below("/vendor/leaflet/leaflet.js"),
            Some((vec!["leaflet.js".into()], false))
        );
        assert_eq!(
            below("/vendor/leaflet/images/x.png"),
            Some((vec!["images".into(), "x.png".into()], false))
        );
        assert_eq!(below("/vendor/leaflet/"), Some((vec![], true)));
        assert_eq!(below("/vendor/leaflet"), Some((vec![], false)));
        assert_eq!(below("/vendor/leafletx/leaflet.js"), None);
        assert_eq!(below("/vendor/"), None);
        assert_eq!(below("/leaflet.js"), None);
    }

    #[test]
    fn hidden_names_are_hidden() {
        for raw in ["/.env", "/.git/config", "/js/.secret/", "/%2egit/config"] {
            assert_eq!(parse(raw), Err(Rejection::Hidden), "{raw:?}");
        }
        // A malformed segment wins over a hidden one: both are refused anyway.
        assert!(matches!(parse("/.git/../x"), Err(Rejection::Malformed(_))));
    }
}
