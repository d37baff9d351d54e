//! A users API implementing the seed's contract over an in-memory map, served by hyper on
//! port 0, with faults to inject: down (listener closed, connections cut), answers held at
//! a gate, error statuses, HTML and truncated JSON. Tests await its recorded state instead
//! of sleeping.

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use reqwest::Url;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::super::harness::PATIENCE;

/// Where the contract lives on the fake server, as in the seed.
pub const BASE_PATH: &str = "/api/users";

/// One answered request.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    /// The path under [`BASE_PATH`], percent-decoded, without the leading slash: `""`,
    /// `connect`, `email/ada@example.com`, `disconnect/ada@example.com`, `ada@example.com`.
    pub path: String,
    /// The request body as JSON (`null` when empty or not JSON).
    pub body: Value,
    pub status: u16,
}

/// Everything a test may await or check.
#[derive(Debug, Clone, Default)]
pub struct ApiState {
    /// The API's store: email → user, as JSON (tests may insert malformed ones).
    pub users: BTreeMap<String, Value>,
    /// Every answered request in order, faults included.
    pub calls: Vec<Call>,
    /// Requests waiting at the gate now.
    pub held: usize,
}

impl ApiState {
    pub fn user(&self, email: &str) -> Option<&Value> {
        self.users.get(email)
    }

    /// Whether the API holds `email` with this connected flag and position.
    pub fn has(&self, email: &str, connected: bool, position: Option<(f64, f64)>) -> bool {
        self.users.get(email).is_some_and(|user| {
            let (latitude, longitude) = match position {
                Some((lat, lon)) => (json!(lat), json!(lon)),
                None => (Value::Null, Value::Null),
            };
            user["isConnected"] == connected
                && user["latitude"] == latitude
                && user["longitude"] == longitude
        })
    }

    /// The emails the API marks connected, sorted.
    pub fn connected(&self) -> Vec<String> {
        let users = self.users.values();
        let online = users.filter(|user| user["isConnected"] == true);
        online
            .map(|user| user["email"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The calls about `email`: those naming it in the path or in the body.
    pub fn calls_about(&self, email: &str) -> Vec<&Call> {
        self.calls
            .iter()
            .filter(|call| call.path.ends_with(email) || call.body["email"] == email)
            .collect()
    }
}

/// What the next matching requests get instead of the contract's answer.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Status(u16),
    /// 200 with an HTML page, as from a proxy or a wrong server.
    Html,
    /// 200, `application/json`, a body cut in the middle.
    TruncatedJson,
}

struct Rule {
    method: Option<Method>,
    remaining: usize,
    fault: Fault,
}

struct Shared {
    state: watch::Sender<ApiState>,
    faults: Mutex<Vec<Rule>>,
    /// True while requests are answered; false holds them until it turns true again.
    open: watch::Sender<bool>,
}

pub struct FakeApi {
    pub address: SocketAddr,
    shared: Arc<Shared>,
    /// While up: the token that takes it down and the accept task.
    serving: Mutex<Option<(CancellationToken, JoinHandle<()>, TaskTracker)>>,
}

impl FakeApi {
    /// An API that is up.
    pub async fn start() -> FakeApi {
        let api = FakeApi::reserve().await;
        api.up().await;
        api
    }

    /// An API that is down (nothing listens on its address) until [`FakeApi::up`].
    pub async fn reserve() -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        FakeApi {
            address,
            shared: Arc::new(Shared {
                state: watch::channel(ApiState::default()).0,
                faults: Mutex::new(Vec::new()),
                open: watch::channel(true).0,
            }),
            serving: Mutex::new(None),
        }
    }

    pub fn base_url(&self) -> Url {
        format!("http://{}{BASE_PATH}", self.address)
            .parse()
            .expect("url")
    }

    /// Listens again on the same address.
    pub async fn up(&self) {
        let listener = TcpListener::bind(self.address).await.expect("rebind");
        let stop = CancellationToken::new();
        let connections = TaskTracker::new();
        let accept = tokio::spawn(accept(
            listener,
            Arc::clone(&self.shared),
            stop.clone(),
            connections.clone(),
        ));
        let old = self
            .serving
            .lock()
            .unwrap()
            .replace((stop, accept, connections));
        assert!(old.is_none(), "the API was up already");
    }

    /// Closes the listener and cuts every open connection (held requests included), so
    /// calls are refused until [`FakeApi::up`].
    pub async fn down(&self) {
        let serving = self.serving.lock().unwrap().take();
        let (stop, accept, connections) = serving.expect("the API was up");
        stop.cancel();
        accept.await.expect("accept task");
        connections.close();
        connections.wait().await;
    }

    /// Holds every request from now on until [`FakeApi::release`].
    pub fn hold(&self) {
        self.shared.open.send_replace(false);
    }

    pub fn release(&self) {
        self.shared.open.send_replace(true);
    }

    /// The next `times` requests (of `method`, or any) get `fault`. Rules apply in the order
    /// they were added.
    pub fn fail(&self, method: Option<&str>, times: usize, fault: Fault) {
        let method = method.map(|m| Method::from_bytes(m.as_bytes()).expect("method"));
        self.shared.faults.lock().unwrap().push(Rule {
            method,
            remaining: times,
            fault,
        });
    }

    /// Puts a user in the API's store as it is, valid or not.
    pub fn insert(&self, user: Value) {
        let email = user["email"].as_str().expect("email").to_owned();
        self.shared.state.send_modify(|state| {
            state.users.insert(email, user);
        });
    }

    /// Forgets a user, as an API whose database was wiped.
    pub fn remove(&self, email: &str) {
        self.shared.state.send_modify(|state| {
            state.users.remove(email);
        });
    }

    pub fn state(&self) -> ApiState {
        self.shared.state.borrow().clone()
    }

    /// Waits until the state satisfies `done`, and returns it; fails the test after a while.
    pub async fn wait_for(&self, done: impl Fn(&ApiState) -> bool) -> ApiState {
        let mut state = self.shared.state.subscribe();
        let waited = tokio::time::timeout(PATIENCE * 2, state.wait_for(|s| done(s))).await;
        match waited {
            Ok(state) => state.expect("the API is alive").clone(),
            Err(_) => panic!("the API never got there; it is {:#?}", self.state()),
        }
    }
}

async fn accept(
    listener: TcpListener,
    shared: Arc<Shared>,
    stop: CancellationToken,
    connections: TaskTracker,
) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (shared, stop) = (Arc::clone(&shared), stop.clone());
        connections.spawn(async move {
            let service = service_fn(move |request| answer(Arc::clone(&shared), request));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = stop.cancelled() => {}
            }
        });
    }
}

/// Decrements the held count however the held request ends (answered or cut).
struct Held(Arc<Shared>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.state.send_modify(|state| state.held -= 1);
    }
}

async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let raw_path = request.uri().path().to_owned();
    let bytes = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);

    let mut open = shared.open.subscribe();
    if !*open.borrow_and_update() {
        shared.state.send_modify(|state| state.held += 1);
        let _held = Held(Arc::clone(&shared));
        let _ = open.wait_for(|open| *open).await;
    }

    let path = raw_path
        .strip_prefix(BASE_PATH)
        .map(|rest| rest.trim_start_matches('/'))
        .map(|rest| {
            percent_encoding::percent_decode_str(rest)
                .decode_utf8_lossy()
                .into_owned()
        });
    let fault = {
        let mut rules = shared.faults.lock().unwrap();
        let rule = rules
            .iter_mut()
            .find(|rule| rule.remaining > 0 && rule.method.as_ref().is_none_or(|m| *m == method));
        rule.map(|rule| {
            rule.remaining -= 1;
            rule.fault
        })
    };
    let (status, content_type, text) = match (fault, &path) {
        (Some(Fault::Status(code)), _) => (code, "text/plain", format!("injected {code}")),
        (Some(Fault::Html), _) => (
            200,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>Welcome to nginx!</h1></body></html>".into(),
        ),
        (Some(Fault::TruncatedJson), _) => (
            200,
            "application/json",
            r#"{"name":"Ada","email":"ada@exa"#.into(),
        ),
        (None, Some(path)) => {
            let mut answer = (404, Value::Null);
            shared
                .state
                .send_modify(|state| answer = route(&mut state.users, &method, path, &body));
            (answer.0, "application/json", answer.1.to_string())
        }
        (None, None) => (404, "text/plain", format!("Cannot {method} {raw_path}")),
    };
    shared.state.send_modify(|state| {
        state.calls.push(Call {
            method: method.to_string(),
            path: path.unwrap_or(raw_path),
            body,
            status,
        })
    });
    let response = Response::builder()
        .status(StatusCode::from_u16(status).expect("status"))
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(text)))
        .expect("response");
    Ok(response)
}

/// The contract over the map: (status, JSON answer).
fn route(
    users: &mut BTreeMap<String, Value>,
    method: &Method,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let segments: Vec<&str> = if path.is_empty() {
        Vec::new()
    } else {
        path.split('/').collect()
    };
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["connect"]) => {
            let online = users.values().filter(|u| u["isConnected"] == true);
            (200, Value::Array(online.cloned().collect()))
        }
        ("GET", ["email", email]) => (200, users.get(*email).cloned().unwrap_or(Value::Null)),
        ("POST", []) => {
            if !valid_user(body, true) {
                return (400, json!({"error": "invalid user"}));
            }
            let email = body["email"].as_str().unwrap_or_default().to_owned();
            if users.contains_key(&email) {
                return (409, json!({"error": "exists"}));
            }
            users.insert(email, body.clone());
            (201, body.clone())
        }
        ("PUT", ["disconnect", email]) => {
            if *body != json!({"isConnected": false}) {
                return (400, json!({"error": "expected {\"isConnected\": false}"}));
            }
            match users.get_mut(*email) {
                Some(user) => {
                    user["isConnected"] = json!(false);
                    (200, user.clone())
                }
                None => (404, json!({"error": "unknown user"})),
            }
        }
        ("PUT", [email]) => {
            if !valid_user(body, false) || body["email"] != *email {
                return (400, json!({"error": "invalid user"}));
            }
            match users.get_mut(*email) {
                Some(user) => {
                    for (field, value) in body.as_object().into_iter().flatten() {
                        user[field] = value.clone();
                    }
                    (200, user.clone())
                }
                None => (404, json!({"error": "unknown user"})),
            }
        }
        _ => (404, json!({"error": "no such route"})),
    }
}

/// The contract's user body: a create names every field, an update may leave out the
/// position (both or neither).
fn valid_user(body: &Value, create: bool) -> bool {
    let coordinate = |field: &str| match body.get(field) {
        None => !create,
        Some(value) => value.is_null() || value.is_f64() || value.is_i64(),
    };
    body["name"].is_string()
        && body["email"].is_string()
        && body["isConnected"].is_boolean()
        && coordinate("latitude")
        && coordinate("longitude")
        && body.get("latitude").is_some() == body.get("longitude").is_some()
}
