//! The chat scenario's checks can fail: a small chat server on port 0 that acks and
//! delivers like the backend, or with one fault (an ack repeated, a delivery lost, two
//! deliveries swapped), and the scenario's row correct only without a fault.

use futures_util::{SinkExt, StreamExt};
use loadgen::scenario::{Context, chat};
use loadgen::{Ramp, Row, Target};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

/// What the server gets wrong, on every 7th message.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    AckTwice,
    LoseDelivery,
    SwapDeliveries,
}

const EVERY: u64 = 7;

/// The room: every registered connection's queue, and the last store id.
#[derive(Default)]
struct Room {
    members: Vec<mpsc::UnboundedSender<String>>,
    last_id: u64,
    /// A delivery held back to be sent after its sender's next one (`SwapDeliveries`).
    held: Option<(String, String)>,
}

async fn serve(listener: TcpListener, fault: Fault) {
    let room = Arc::new(Mutex::new(Room::default()));
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(connection(stream, Arc::clone(&room), fault));
    }
}

/// The handshake's answer: the subprotocol asked for, accepted. (The error type is
/// tungstenite's, whatever its size.)
#[allow(clippy::result_large_err)]
fn subprotocol(request: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    if let Some(asked) = request.headers().get("Sec-WebSocket-Protocol") {
        response
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", asked.clone());
    }
    Ok(response)
}

async fn connection(stream: TcpStream, room: Arc<Mutex<Room>>, fault: Fault) {
    let socket = tokio_tungstenite::accept_hdr_async(stream, subprotocol)
        .await
        .expect("handshake");
    let (mut sink, mut source) = socket.split();
    let (queue, mut queued) = mpsc::unbounded_channel::<String>();
    tokio::spawn(async move {
        while let Some(text) = queued.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
    });
    let mut email = String::new();
    while let Some(Ok(Message::Text(text))) = source.next().await {
        let frame: Value = serde_json::from_str(&text).expect("json");
        match frame["type"].as_str() {
            Some("add-user") => {
                email = frame["email"].as_str().unwrap_or_default().to_owned();
                let user = json!({"name": "n", "email": email, "latitude": 0.0,
                    "longitude": 0.0, "isConnected": true});
                let welcome = json!({"type": "welcome", "you": user, "room": "r",
                    "users": [], "token": "t"});
                let _ = queue.send(welcome.to_string());
                room.lock().unwrap().members.push(queue.clone());
            }
            Some("chat") => chat(&room, &queue, &email, &frame, fault),
            _ => {}
        }
    }
}

/// Stores (numbers) a message, delivers it to the room and acks it, with the fault.
fn chat(
    room: &Mutex<Room>,
    sender: &mpsc::UnboundedSender<String>,
    email: &str,
    frame: &Value,
    fault: Fault,
) {
    let mut room = room.lock().unwrap();
    room.last_id += 1;
    let id = room.last_id;
    let faulty = id.is_multiple_of(EVERY);
    let client_id = &frame["clientId"];
    let delivery = json!({"type": "chat", "id": id, "from": email, "name": "n",
        "text": frame["text"], "sentAt": 1, "clientId": client_id})
    .to_string();
    let mut deliveries = vec![delivery];
    match fault {
        Fault::LoseDelivery if faulty => deliveries.clear(),
        Fault::SwapDeliveries if faulty && room.held.is_none() => {
            room.held = deliveries.pop().map(|held| (email.to_owned(), held));
        }
        Fault::SwapDeliveries if room.held.as_ref().is_some_and(|(from, _)| from == email) => {
            deliveries.extend(room.held.take().map(|(_, held)| held));
        }
        _ => {}
    }
    for delivery in deliveries {
        for member in &room.members {
            let _ = member.send(delivery.clone());
        }
    }
    let ack = json!({"type": "chat-ack", "clientId": client_id, "id": id, "sentAt": 1});
    let _ = sender.send(ack.to_string());
    if fault == Fault::AckTwice && faulty {
        let _ = sender.send(ack.to_string());
    }
}

async fn run_against(fault: Fault) -> Row {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", listener.local_addr().expect("address"));
    tokio::spawn(serve(listener, fault));
    let ctx = Context {
        target: Target { url, legacy: false },
        server_pid: None,
        processes: 1,
        in_process: true,
        ramp: Ramp {
            rate: 500,
            concurrency: 16,
        },
    };
    let settings = chat::ChatSettings {
        clients: 8,
        senders: 4,
        rate: 400,
        seconds: 1,
        window: 4,
        sample: 8,
    };
    chat::run(&ctx, settings).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faithful_server_passes_and_each_fault_is_caught() {
    let faithful = run_against(Fault::None).await;
    assert!(faithful.correct, "{faithful:?}");
    assert_eq!(faithful.lost, Some(0), "{faithful:?}");
    for fault in [Fault::AckTwice, Fault::LoseDelivery, Fault::SwapDeliveries] {
        let row = run_against(fault).await;
        eprintln!("{fault:?}: {}", row.notes);
        assert!(!row.correct, "{fault:?} passed: {row:?}");
        let named = match fault {
            Fault::AckTwice => row.notes.contains("Repeated ack"),
            Fault::LoseDelivery => row.lost.is_some_and(|lost| lost > 0),
            _ => !row.notes.contains(" 0 out of order"),
        };
        assert!(named, "{fault:?} not named: {}", row.notes);
    }
}
