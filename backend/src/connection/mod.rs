//! The connection: from an accepted TCP stream to its close.
//!
//! [`serve`] runs one: `handshake` refuses or upgrades it (the Origin, the caps' answer,
//! the room, the subprotocol, the socket's limits); `peer` is its task, one `select!` loop
//! over its outbox and its socket, which calls the hub and cleans up once; `echo` is the
//! test-only route for the Autobahn testsuite. The settings are [`ConnectionConfig`].

mod config;
mod context;
mod echo;
mod handshake;
mod peer;
mod stream;
mod writer;

pub use config::ConnectionConfig;
pub(crate) use context::Context;

use crate::admission::{self, Ticket};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

/// One connection's task, from its accepted stream to its close; its `ticket` (its place
/// under the caps) is given back only once the socket is closed.
///
/// An `async` block, not an `async fn`: an `async fn` keeps its arguments twice in its
/// future (as arguments and as the locals they are moved into), and this future lives as
/// long as the connection.
#[allow(clippy::manual_async_fn)]
pub(crate) fn serve(
    stream: TcpStream,
    address: SocketAddr,
    id: u64,
    mut ticket: Ticket,
    context: Arc<Context>,
    stop: CancellationToken,
) -> impl Future<Output = ()> + Send {
    async move {
        let _ = stream.set_nodelay(true);
        // Boxed, both: a task's future is sized for its largest state, so the handshake
        // and what follows it each live in their own allocation, only while they run.
        let peer = address.ip();
        let handshake = Box::pin(handshake::accept(stream, &context, &mut ticket, peer));
        let connection = match handshake.await {
            Ok(accepted) => Some(start(id, accepted, context, stop)),
            Err(reason) => {
                log::debug!("conn={id} from {address}: {reason}");
                None
            }
        };
        if let Some(connection) = connection {
            connection.await;
        }
        drop(ticket);
    }
}

/// The life of a connection after its handshake: the peer, or the echo route.
fn start(
    id: u64,
    accepted: handshake::Accepted,
    context: Arc<Context>,
    stop: CancellationToken,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    let handshake::Accepted {
        socket,
        room,
        wants_deltas,
        echo,
        client,
    } = accepted;
    if echo {
        let send_timeout = context.config.send_timeout;
        return Box::pin(echo::serve(id, socket, send_timeout, stop));
    }
    Box::pin(peer::serve(peer::open(peer::Opening {
        id,
        socket,
        room,
        wants_deltas,
        network: admission::network_of(client),
        context,
    })))
}
