//! Sync between a device and the server: a change log with a cursor, one request per sync.
//!
//! - [`wire`]: the protocol's messages and their encoding (no I/O).
//! - [`session`]: one sync as a state machine without I/O ([`SyncSession`]): the request's
//!   bytes from the store's outbox and cursor, the answer's bytes applied in one store
//!   transaction, and the rule that says when the sync is over.
//! - [`client`]: the device's sync engine: runs a session over HTTP, enrollment, reference
//!   data, retries with backoff.
//! - [`photos`]: photos as blobs named by their SHA-256, uploaded in pieces that survive a
//!   dropped connection.

pub mod client;
pub mod photos;
pub mod session;

/// The wire types, kept below the store and the client in [`crate::wire`].
pub use crate::wire;
pub use session::{Progress, SessionConfig, SyncReport, SyncSession};
