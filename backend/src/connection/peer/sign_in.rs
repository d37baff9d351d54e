//! A connection signing in, and its device: the first registration (the access rules,
//! which may ask the claims store, then the hub), a link code for another device, and
//! signing devices out.

use super::{Ending, Peer, Registered};
use crate::frame::Frame;
use crate::logging;
use shared::{ErrorCode, Profile, ProtocolError, ServerMessage};
use std::sync::Arc;
use tokio::time::Instant;

impl Peer {
    /// The first registration: the access rules (which may ask the claims store), then
    /// the hub.
    pub(super) async fn register(&mut self, profile: Profile) -> Result<(), ProtocolError> {
        let across_nodes = self.context.access.online_across_nodes(self.wants_deltas);
        let online = self.context.hub.is_online(&profile.email, across_nodes);
        let context = Arc::clone(&self.context);
        let admitted = context
            .access
            .admit(&profile, self.wants_deltas, self.network, online)
            .await;
        // The claims may have kept this task from reading for a while (a locked file): the
        // client was not silent, the server was busy.
        self.last_heard = Instant::now();
        let admitted = admitted?;
        let email = profile.email.clone();
        if let Err(error) = self.context.hub.register(self.id, profile, Some(&admitted)) {
            context.access.undo(&email, &admitted).await;
            return Err(error);
        }
        logging::registered(self.id, &email);
        // The room is the hub's to decide (`?room=`, or the first add-user's).
        let room = match self.context.hub.member_of(self.id) {
            Some((room, name)) => {
                self.context.chat.remember_member(&room, &email, &name);
                room
            }
            None => Arc::from(""),
        };
        let device = if admitted.device.is_some() {
            " (device)"
        } else {
            ""
        };
        log::info!(
            "conn={} registered as {email}{device} in room={room}",
            self.id
        );
        if let Some(servers) = &admitted.ice_servers {
            let names: Vec<&str> = servers.iter().map(|s| s.username.as_str()).collect();
            log::debug!("conn={} TURN credentials for {names:?}", self.id);
            let turn = self.context.access.turn();
            self.renew_ice_at = turn.map(|turn| Instant::now() + turn.renew_after());
        }
        self.registered = Some(Registered {
            email,
            room,
            device: admitted.device,
        });
        Ok(())
    }

    /// Answers `link-device` with a one-time code for another device of this user's.
    pub(super) async fn link_device(&mut self) -> Result<Result<(), ProtocolError>, Ending> {
        let Some(registered) = &self.registered else {
            return Ok(Err(not_registered()));
        };
        let link = match self
            .context
            .access
            .link_code(&registered.email, registered.device.as_deref())
            .await
        {
            Ok(link) => link,
            Err(error) => return Ok(Err(error)),
        };
        log::info!("conn={} asked for a device link code", self.id);
        let frame = Frame::message(&ServerMessage::DeviceLink(link));
        self.write_frames(&[frame]).await?;
        Ok(Ok(()))
    }

    /// Signs this device out for good, says so, and ends the connection; or with
    /// `others`, signs the user's other devices out and closes their connections.
    pub(super) async fn sign_out(&mut self, others: bool) -> Result<Option<ProtocolError>, Ending> {
        let Some(registered) = &self.registered else {
            return Ok(Some(not_registered()));
        };
        let context = Arc::clone(&self.context);
        let device = registered.device.as_deref();
        let devices = match context
            .access
            .sign_out(&registered.email, device, others)
            .await
        {
            Ok(devices) => devices,
            Err(error) => return Ok(Some(error)),
        };
        let closed = match others {
            true => self.context.hub.close_others_of(&registered.email, self.id),
            false => 0,
        };
        log::info!(
            "conn={} signed out {devices} devices (others: {others}, {closed} connections closed)",
            self.id
        );
        let answer = shared::SignedOut { devices, others };
        let frame = Frame::message(&ServerMessage::SignedOut(answer));
        self.write_frames(&[frame]).await?;
        match others {
            true => Ok(None),
            false => Err(Ending::SignedOut),
        }
    }
}

fn not_registered() -> ProtocolError {
    ProtocolError::new(ErrorCode::NotRegistered, "send add-user first")
}
