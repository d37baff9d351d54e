//! The HTTP side of the remote store: the contract's calls and what each answer means.

use std::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, Method, StatusCode, Url};
use serde_json::{Value, json};

use super::super::{StoreError, UserRecord};
use super::user_json::{short, snippet, user_body};

/// Why a call failed.
#[derive(Debug)]
pub(super) enum CallError {
    /// May succeed later: no connection, a timeout, a 5xx, 408 or 429, or an answer that
    /// is not the API's (HTML, broken JSON, a body of the wrong shape).
    Retry(String),
    /// The API refused the call (another 4xx): sending it again cannot help.
    Refused(String),
}

impl From<CallError> for StoreError {
    fn from(error: CallError) -> StoreError {
        match error {
            CallError::Retry(message) | CallError::Refused(message) => StoreError(message),
        }
    }
}

/// What a write call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Done,
    /// 404 on an update: the API does not know the user.
    Missing,
    /// 409 on a create: the API knows the user already.
    Exists,
}

/// A client of one users API.
pub(super) struct Api {
    client: Client,
    base: Url,
    /// Whether the last call got an answer from the API; each change is logged at `info`.
    healthy: AtomicBool,
}

impl Api {
    pub(super) fn new(
        base: Url,
        connect_timeout: Duration,
        request_timeout: Duration,
    ) -> Result<Api, StoreError> {
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(StoreError(format!(
                "users API URL must be http:// or https://, not {base}"
            )));
        }
        // reqwest is built without a default crypto provider; a provider installed
        // earlier by someone else is fine too, hence the ignored result.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .user_agent(concat!("meetmap-backend/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StoreError(format!("users API client: {}", chain(&e))))?;
        Ok(Api {
            client,
            base,
            healthy: AtomicBool::new(true),
        })
    }

    pub(super) fn base(&self) -> &Url {
        &self.base
    }

    /// `{base}/segment/...`, each segment percent-encoded.
    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// `GET {base}/connect`: the users the API marks connected, as raw JSON values.
    pub(super) async fn connected(&self) -> Result<Vec<Value>, CallError> {
        let url = self.url(&["connect"]);
        match self.call(Method::GET, url.clone(), None).await? {
            (status, Value::Array(users)) if status.is_success() => Ok(users),
            (status, body) => Err(CallError::Retry(format!(
                "GET {url}: {status}: expected an array of users, got {}",
                short(&body)
            ))),
        }
    }

    /// `GET {base}/email/{email}`: the user as a JSON object, or None when unknown (an
    /// empty or `null` body, or a 404).
    pub(super) async fn find(&self, email: &str) -> Result<Option<Value>, CallError> {
        let url = self.url(&["email", email]);
        match self.call(Method::GET, url.clone(), None).await? {
            (StatusCode::NOT_FOUND, _) => Ok(None),
            (status, Value::Null) if status.is_success() => Ok(None),
            (status, user @ Value::Object(_)) if status.is_success() => Ok(Some(user)),
            (status, body) => Err(CallError::Retry(format!(
                "GET {url}: {status}: expected a user or null, got {}",
                short(&body)
            ))),
        }
    }

    /// `POST {base}` with the whole record.
    pub(super) async fn create(&self, record: &UserRecord) -> Result<Outcome, CallError> {
        let url = self.base.clone();
        let body = user_body(record, true);
        match self.call(Method::POST, url.clone(), Some(&body)).await?.0 {
            StatusCode::CONFLICT => Ok(Outcome::Exists),
            status if status.is_success() => Ok(Outcome::Done),
            status => Err(CallError::Refused(format!("POST {url}: {status}"))),
        }
    }

    /// `PUT {base}/{email}` with the whole record (a missing position is left out, so the
    /// API keeps the one it has).
    pub(super) async fn update(&self, record: &UserRecord) -> Result<Outcome, CallError> {
        let url = self.url(&[&record.email]);
        let body = user_body(record, false);
        self.put(url, &body).await
    }

    /// `PUT {base}/disconnect/{email}` with `{"isConnected": false}`.
    pub(super) async fn disconnect(&self, email: &str) -> Result<Outcome, CallError> {
        let url = self.url(&["disconnect", email]);
        self.put(url, &json!({"isConnected": false})).await
    }

    async fn put(&self, url: Url, body: &Value) -> Result<Outcome, CallError> {
        match self.call(Method::PUT, url.clone(), Some(body)).await?.0 {
            StatusCode::NOT_FOUND => Ok(Outcome::Missing),
            status if status.is_success() => Ok(Outcome::Done),
            status => Err(CallError::Refused(format!("PUT {url}: {status}"))),
        }
    }

    /// One call. A 2xx, 404 or 409 comes back with its body (`null` when empty); anything
    /// else is an error that says whether retrying makes sense.
    // Longer than most: one match over the answer's status, each arm a line of the contract.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), CallError> {
        let what = format!("{method} {url}");
        let is_write = method != Method::GET;
        let mut request = self.client.request(method, url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let result = async {
            let response = request
                .send()
                .await
                .map_err(|e| CallError::Retry(format!("{what}: {}", describe(&e))))?;
            let status = response.status();
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let bytes = response.bytes().await.map_err(|e| {
                CallError::Retry(format!(
                    "{what}: {status}: reading the body: {}",
                    describe(&e)
                ))
            })?;
            let text = || snippet(&bytes);
            if status.is_server_error()
                || status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::REQUEST_TIMEOUT
            {
                return Err(CallError::Retry(format!("{what}: {status}: {}", text())));
            }
            if status == StatusCode::NOT_FOUND || status == StatusCode::CONFLICT {
                return Ok((status, Value::Null));
            }
            if !status.is_success() {
                return Err(CallError::Refused(format!("{what}: {status}: {}", text())));
            }
            if content_type.contains("html") {
                return Err(CallError::Retry(format!(
                    "{what}: {status}: an HTML page, not the API's answer: {}",
                    text()
                )));
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok((status, Value::Null));
            }
            match serde_json::from_slice(&bytes) {
                Ok(value) => Ok((status, value)),
                // A write's answer is not used: plain text ("OK") is fine, broken JSON is not.
                Err(_) if is_write && !content_type.contains("json") => Ok((status, Value::Null)),
                Err(e) => Err(CallError::Retry(format!(
                    "{what}: {status}: the body is not JSON ({e}): {}",
                    text()
                ))),
            }
        }
        .await;
        self.note_health(&result);
        result
    }

    fn note_health<T>(&self, result: &Result<T, CallError>) {
        let healthy = !matches!(result, Err(CallError::Retry(_)));
        if self.healthy.swap(healthy, Ordering::Relaxed) != healthy {
            match result {
                Err(CallError::Retry(reason)) => {
                    log::info!("users API at {} is failing: {reason}", self.base);
                }
                _ => log::info!("users API at {} is answering again", self.base),
            }
        }
    }
}

/// What went wrong with a call, without reqwest's repetition of the URL: "cannot
/// connect: Connection refused (os error 111)", "timed out: operation timed out".
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        "failed"
    };
    let mut cause: &dyn Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    format!("{kind}: {cause}")
}

/// An error with its causes ("builder error: no crypto provider").
fn chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn paths_are_percent_encoded_under_the_base() {
        let base: Url = "http://localhost:4000/api/users/".parse().unwrap();
        let api = Api::new(base, Duration::from_secs(1), Duration::from_secs(1)).unwrap();
        assert_eq!(
            api.url(&["disconnect", "a/b?c#d@e.f"]).as_str(),
            "http://localhost:4000/api/users/disconnect/a%2Fb%3Fc%23d@e.f"
        );
    }

    #[test]
    fn only_http_urls_are_accepted() {
        let base: Url = "mailto:ada@example.com".parse().unwrap();
        assert!(Api::new(base, Duration::from_secs(1), Duration::from_secs(1)).is_err());
    }
}
