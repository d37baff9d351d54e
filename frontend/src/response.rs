//! The response helpers every part of the server shares: the body type and the short
//! plain-text answers. A leaf: it imports nothing of the crate.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

/// The body type of every response: the whole payload in memory.
pub(crate) type Body = Full<Bytes>;

/// A short plain-text response.
pub(crate) fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    let mut res = Response::new(Body::from(message));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    res
}

/// The 404 answer for anything that does not exist, is hidden, or is refused.
pub(crate) fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found")
}
