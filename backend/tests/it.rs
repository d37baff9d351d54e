//! Integration tests: the real server on port 0, real WebSocket clients, one module per
//! area. Absence is proven with a barrier (a frame that must arrive after the one that must
//! not), never with a sleep.

mod it {
    mod abuse;
    mod access;
    mod admin;
    mod admission;
    mod bad_input;
    pub mod binary;
    mod chat;
    mod churn;
    mod cluster;
    mod durable;
    mod fanout;
    pub mod frames;
    pub mod harness;
    mod heartbeat;
    mod identity;
    mod limits;
    mod outage;
    mod per_email;
    mod pg;
    mod ping_flood;
    pub mod postgres;
    mod presence;
    mod process;
    mod rates;
    pub mod remote;
    mod retention;
    mod rooms;
    mod seed;
    mod shutdown;
    mod signaling;
    mod slow_reader;
    mod snapshot;
    mod store;
    mod tabs;
    mod trust;
    mod turn;
    mod wire;
    mod writer;
}
