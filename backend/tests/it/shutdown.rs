//! Graceful shutdown: every client hears a close frame with 1001 (going away) and the
//! server stops listening.

use super::harness::{Client, TestServer};
use tokio_tungstenite::tungstenite::Error;

#[tokio::test]
async fn clients_receive_going_away_when_the_server_stops() {
    let mut server = TestServer::start().await;
    let mut registered_legacy = Client::legacy(&server, "").await;
    let mut registered_delta = Client::delta(&server, "?room=r").await;
    let mut unregistered_legacy = Client::legacy(&server, "").await;
    let mut unregistered_delta = Client::delta(&server, "").await;
    registered_legacy
        .add_user("alice@example.com", "Alice", None)
        .await;
    registered_delta
        .add_user("bob@example.com", "Bob", None)
        .await;
    registered_legacy.await_online(&["alice@example.com"]).await;
    registered_delta.await_online(&["bob@example.com"]).await;
    unregistered_legacy.recv().await;
    let address = server.url("");

    let (_, codes) = tokio::join!(server.stop(), async {
        let mut codes = Vec::new();
        for client in [
            &mut registered_legacy,
            &mut registered_delta,
            &mut unregistered_legacy,
            &mut unregistered_delta,
        ] {
            codes.push(client.closed().await);
        }
        codes
    });
    assert_eq!(codes, [Some(1001); 4]);
    match Client::try_connect(&address, None).await {
        Err(Error::Io(_)) => {}
        Err(other) => panic!("expected a refused connection, got {other}"),
        Ok(_) => panic!("the stopped server still accepts connections"),
    }
}
