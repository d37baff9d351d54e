//! The remote users store (`--users-api`) against a real HTTP users API: the seed's flow,
//! outages at start and mid-run, a slow API, bad answers, and coalesced writes.

pub mod fake_api;
mod faults;
mod flow;
mod slow;

use backend::store::{RemoteConfig, RetryPolicy};
use fake_api::FakeApi;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::harness::{Client, PATIENCE, fast_config, profile};

/// The backend in remote mode, on a free port.
pub struct RemoteServer {
    /// The local claims file of the remote-API mode.
    _claims: tempfile::TempDir,
    pub address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Quick retries, so recovery after an outage takes milliseconds; calls time out late
/// enough that held answers are released before.
pub fn config_for(api: &FakeApi) -> RemoteConfig {
    RemoteConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
        },
        ..RemoteConfig::new(api.base_url())
    }
}

impl RemoteServer {
    pub async fn start(api: &FakeApi) -> RemoteServer {
        let store = backend::open_remote_store(config_for(api))
            .await
            .expect("remote store");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let folder = tempfile::TempDir::new().expect("temp dir");
        let claims = super::harness::open_claims(&folder.path().join("claims.sqlite3"));
        let chat = super::harness::open_chat(&folder.path().join("users"), Default::default());
        let task = tokio::spawn(backend::run(
            listener,
            fast_config(),
            store,
            claims,
            chat,
            async move {
                let _ = stop.await;
            },
        ));
        RemoteServer {
            address,
            shutdown: Some(shutdown),
            task: Some(task),
            _claims: folder,
        }
    }

    /// A client of the seed's protocol.
    pub async fn legacy(&self) -> Client {
        Client::connect(&format!("ws://{}/", self.address), None).await
    }

    /// A client of the delta subprotocol.
    pub async fn delta(&self) -> Client {
        let url = format!("ws://{}/", self.address);
        Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await
    }

    /// Graceful shutdown while `clients` answer the server's close frames: their users
    /// are written as disconnected and the store is flushed (within the grace period).
    pub async fn stop_with(&mut self, clients: Vec<Client>) {
        let closing = clients.into_iter().map(|mut client| async move {
            client.closed().await;
        });
        tokio::join!(self.stop(), futures_util::future::join_all(closing));
    }

    /// Graceful shutdown, for a server whose clients are gone.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(PATIENCE * 3, task)
                .await
                .expect("server stops")
                .expect("no panic");
        }
    }
}

/// Sends an `update-user` moving the client's user to `position`.
pub async fn move_to(client: &mut Client, name: &str, position: (f64, f64)) {
    let email = client.email.clone();
    client
        .send_json(profile("update-user", &email, name, Some(position)))
        .await;
}

/// Reads until the client sees `email` at `position`.
pub async fn await_position(client: &mut Client, email: &str, position: (f64, f64)) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !shows_at(client, email, position) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{email} never shown at {position:?}"
        );
        client.recv().await;
    }
}

fn shows_at(client: &Client, email: &str, (latitude, longitude): (f64, f64)) -> bool {
    client.view().get(email).is_some_and(|user| {
        user["latitude"].as_f64() == Some(latitude) && user["longitude"].as_f64() == Some(longitude)
    })
}
