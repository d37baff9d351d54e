//! PostgreSQL over TLS (`sslmode=require`, `--database-ca-file`), against a server that
//! takes TLS only: a backend that trusts its CA signs users in there; one that does not
//! (the system's roots), or that asks for no TLS, is refused by the server or by itself,
//! and says why.

use crate::it::binary::{Backend, Launch};
use crate::it::harness::{Client, PATIENCE};
use crate::it::postgres::Postgres;
use backend::claims::ClaimStore;
use backend::store::postgres::{PostgresUrl, connect};
use std::path::Path;
use std::time::Duration;
use tempfile::TempDir;

const EMAIL: &str = "tls@example.com";

async fn backend_on(url: &str, ca: Option<&Path>) -> (Backend, TempDir) {
    let folder = tempfile::tempdir().expect("temporary folder");
    let mut launch = Launch::new()
        .args(["--database", url])
        .arg("--data-dir")
        .arg(folder.path());
    if let Some(ca) = ca {
        launch = launch.arg("--database-ca-file").arg(ca);
    }
    (launch.start().await, folder)
}

/// A delta client's first sign-in as [`EMAIL`] on `backend`: its `welcome` or `error`.
async fn sign_in(backend: &Backend) -> serde_json::Value {
    let url = format!("{}?room=lobby", backend.url);
    let mut client = Client::connect(&url, Some(shared::DELTA_SUBPROTOCOL)).await;
    client.add_user(EMAIL, "Tls", Some((48.85, 2.35))).await;
    client
        .recv_until(|frame| frame["type"] == "welcome" || frame["type"] == "error")
        .await
}

#[tokio::test]
async fn a_backend_trusting_the_servers_ca_signs_users_in_over_tls_and_others_are_refused() {
    let (server, ca) = Postgres::start_with_tls().await;
    let url = format!("{}?sslmode=require", server.database("tls"));

    let (trusting, _folder) = backend_on(&url, Some(&ca)).await;
    let welcome = sign_in(&trusting).await;
    assert_eq!(welcome["type"], "welcome", "{welcome}; {}", server.log());
    let pool = connect(&PostgresUrl::parse(&url).unwrap(), 1, Some(&ca)).expect("a pool");
    let claims = ClaimStore::postgres(pool, Duration::from_secs(86_400));
    assert!(
        claims
            .is_claimed(EMAIL, 0)
            .await
            .expect("the claims, over TLS"),
        "the claim is in the database"
    );

    // The system's roots do not hold the test's CA: the backend refuses the certificate.
    let (mut untrusting, _folder) = backend_on(&url, None).await;
    let refused = sign_in(&untrusting).await;
    assert_eq!(refused["code"], "internal", "{refused}");
    untrusting
        .logged(PATIENCE, |line| line.contains("TLS handshake"))
        .await;

    // Without sslmode=require the backend speaks plain TCP, which the server rejects
    // (`hostnossl … reject`: the pool reports it as a "db error").
    let plain = server.url("tls");
    let (mut plaintext, _folder) = backend_on(&plain, None).await;
    let refused = sign_in(&plaintext).await;
    assert_eq!(refused["code"], "internal", "{refused}");
    plaintext
        .logged(PATIENCE, |line| {
            line.contains("claims store: postgres") && line.contains("db error")
        })
        .await;
}

#[test]
fn a_ca_file_without_sslmode_require_is_refused_at_start() {
    let url = PostgresUrl::parse("postgres://meetmap@127.0.0.1:5432/x").unwrap();
    let refused = connect(&url, 1, Some(Path::new("/nonexistent/ca.pem"))).err();
    let message = refused.map(|error| error.0).unwrap_or_default();
    assert!(message.contains("sslmode=require"), "{message}");
}
