//! One client of the surviving node watching the victim node's users: which of them it
//! is shown (from its welcome, then every presence frame), when it has been shown them
//! all, and, after the kill, when the last of them left its room or which were still
//! shown when its patience ran out (ghosts).

use crate::clock::{instant_at, now_us};
use crate::conn::{self, Ws};
use crate::wire;
use futures_util::StreamExt;
use shared::ServerMessage;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

/// What one observer saw.
#[derive(Debug, Default)]
pub(super) struct Watched {
    /// When the last victim left its room (shared clock), if all did.
    pub gone_us: Option<u64>,
    /// Victim leaves it was told of.
    pub leaves: u64,
    /// Victims still shown when its patience ran out.
    pub ghosts: u64,
    /// Victims that left before the kill (a flap), or never were shown before it.
    pub before_kill: u64,
    pub error: Option<String>,
}

/// What an observer is told to watch for.
pub(super) struct Watch {
    pub victims: Arc<HashSet<usize>>,
    /// The kill's time on the shared clock, once it happened.
    pub kill: watch::Receiver<Option<u64>>,
    /// Told once this observer has been shown every victim.
    pub seen_all: mpsc::Sender<()>,
    pub patience_us: u64,
}

/// Reads `socket` (welcomed with `welcome`) until every victim left after the kill, or
/// its patience after the kill ran out.
pub(super) async fn observe(mut socket: Ws, welcome: ServerMessage, mut watch: Watch) -> Watched {
    let mut shown = HashSet::new();
    let mut watched = Watched::default();
    let mut told = false;
    show(&mut shown, &watch.victims, &welcome, &mut Vec::new());
    loop {
        if !told && shown.len() == watch.victims.len() {
            told = true;
            let _ = watch.seen_all.try_send(());
        }
        let kill_us = *watch.kill.borrow();
        if let Some(kill_us) = kill_us {
            if !told {
                watched.before_kill += (watch.victims.len() - shown.len()) as u64;
                told = true;
            }
            if shown.is_empty() {
                watched.gone_us = Some(watched.gone_us.unwrap_or(kill_us));
                break;
            }
        }
        // Only armed once the kill happened.
        let patience = instant_at(kill_us.unwrap_or(0) + watch.patience_us);
        tokio::select! {
            changed = watch.kill.changed() => if changed.is_err() {
                watched.error = Some("the worker ended before the kill".into());
                break;
            },
            _ = tokio::time::sleep_until(patience), if kill_us.is_some() => {
                watched.ghosts = shown.len() as u64;
                break;
            }
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                        continue;
                    };
                    let mut left = Vec::new();
                    show(&mut shown, &watch.victims, &message, &mut left);
                    let now = now_us();
                    for _ in left {
                        watched.leaves += 1;
                        match *watch.kill.borrow() {
                            Some(kill_us) if now >= kill_us => watched.gone_us = Some(now),
                            _ => watched.before_kill += 1,
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    watched.error = Some(error.to_string());
                    break;
                }
                None => {
                    watched.error = Some("closed by the server".into());
                    break;
                }
            }
        }
    }
    tokio::spawn(conn::close(socket));
    watched
}

/// Applies a frame to the victims `shown`; the victims it removed are pushed on `left`.
fn show(
    shown: &mut HashSet<usize>,
    victims: &HashSet<usize>,
    message: &ServerMessage,
    left: &mut Vec<usize>,
) {
    let victim = |email: &str| wire::index_of(email).filter(|index| victims.contains(index));
    match message {
        ServerMessage::Welcome(welcome) => {
            shown.extend(welcome.users.iter().filter_map(|user| victim(&user.email)));
        }
        ServerMessage::Presence(delta) => {
            shown.extend(delta.joined.iter().filter_map(|user| victim(&user.email)));
            for email in &delta.left {
                if let Some(index) = victim(email)
                    && shown.remove(&index)
                {
                    left.push(index);
                }
            }
        }
        ServerMessage::UpdateUsers { users } => {
            let now: HashSet<usize> = users.iter().filter_map(|u| victim(&u.email)).collect();
            left.extend(shown.difference(&now).copied());
            *shown = now;
        }
        _ => {}
    }
}
