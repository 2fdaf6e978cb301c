//! Sync between a device and the server: a change log with a cursor, one request per sync.
//!
//! - [`wire`]: the protocol's messages and their encoding (no I/O).
//! - [`client`]: the device's sync engine: builds the outbox from the store, sends one
//!   request, applies the answer and the next page in one store transaction, retries with
//!   backoff.
//! - [`photos`]: photos as blobs named by their SHA-256, uploaded in pieces that survive a
//!   dropped connection.

pub mod client;
pub mod photos;
/// The wire types, kept below the store and the client in [`crate::wire`].
pub use crate::wire;
