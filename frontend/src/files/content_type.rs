//! The explicit extension-to-media-type table; nothing is guessed from file contents.

use std::path::Path;

/// Media type for anything not in the table; with `nosniff` browsers will not run it.
pub(crate) const FALLBACK: &str = "application/octet-stream";

/// The `Content-Type` for a file, chosen by its extension (case-insensitive).
///
/// Module scripts must be `text/javascript`: browsers refuse to run a
/// `<script type="module">` served with any non-JavaScript type.
pub(crate) fn for_path(path: &Path) -> &'static str {
    let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
        return FALLBACK;
    };
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "wasm" => "application/wasm",
        _ => FALLBACK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(name: &str) -> &'static str {
        for_path(Path::new(name))
    }

    #[test]
    fn scripts_are_javascript() {
        assert_eq!(of("js/main.js"), "text/javascript; charset=utf-8");
        assert_eq!(of("worker.MJS"), "text/javascript; charset=utf-8");
    }

    #[test]
    fn common_web_types() {
        assert_eq!(of("index.html"), "text/html; charset=utf-8");
        assert_eq!(of("css/app.css"), "text/css; charset=utf-8");
        assert_eq!(of("app.js.map"), "application/json");
        assert_eq!(of("icon.svg"), "image/svg+xml");
        assert_eq!(of("favicon.ico"), "image/x-icon");
        assert_eq!(of("photo.JPEG"), "image/jpeg");
        assert_eq!(of("font.woff2"), "font/woff2");
        assert_eq!(of("site.webmanifest"), "application/manifest+json");
    }

    #[test]
    fn unknown_or_missing_extensions_fall_back() {
        assert_eq!(of("data.bin"), FALLBACK);
        assert_eq!(of("README"), FALLBACK);
        assert_eq!(of("archive.tar.gz"), FALLBACK);
    }
}
