//! What every connection's task shares, made once by `run`: the settings, the registering
//! rules, the hub and the chat store.

use super::config::ConnectionConfig;
use crate::admission::budget::BudgetConfig;
use crate::admission::{Access, AdmissionConfig};
use crate::hub::Hub;
use crate::store::chat::ChatStore;

/// One copy for all the connections: each task holds a reference to it.
pub(crate) struct Context {
    pub config: ConnectionConfig,
    /// The Origin allow-list and the trusted proxies, read at each handshake.
    pub admission: AdmissionConfig,
    /// The allowances a connection's budget is made with, at its first costly frame.
    pub budget: BudgetConfig,
    /// Who may register as whom.
    pub access: Access,
    pub hub: Hub,
    /// Every chat message, stored before it is delivered.
    pub chat: ChatStore,
}
