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
/// The task's future is what every idle connection keeps for its whole life, and tokio
/// rounds a task up to 128-byte steps: it holds only the boxed opening (the handshake and
/// the arguments it needs, freed once it ends), then the boxed connection and the ticket.
pub(crate) fn serve(
    stream: TcpStream,
    address: SocketAddr,
    id: u64,
    ticket: Ticket,
    context: Arc<Context>,
    stop: CancellationToken,
) -> impl Future<Output = ()> + Send {
    let opening = Box::pin(open(stream, address, id, ticket, context, stop));
    async move {
        let Some((connection, ticket)) = opening.await else {
            return;
        };
        connection.await;
        drop(ticket);
    }
}

/// A connection running after its handshake, and its place under the caps.
type Opened = (Pin<Box<dyn Future<Output = ()> + Send>>, Ticket);

/// The handshake, then the connection's start; `None` (the ticket given back) if the
/// handshake failed or was refused.
async fn open(
    stream: TcpStream,
    address: SocketAddr,
    id: u64,
    mut ticket: Ticket,
    context: Arc<Context>,
    stop: CancellationToken,
) -> Option<Opened> {
    let _ = stream.set_nodelay(true);
    match handshake::accept(stream, &context, &mut ticket, address.ip()).await {
        Ok(accepted) => Some((start(id, accepted, context, stop), ticket)),
        Err(reason) => {
            log::debug!("conn={id} from {address}: {reason}");
            None
        }
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
