//! The Wardbook sync server: towns (tenants), their staff and devices, and one change log per
//! town that devices push to and pull from with one request per sync.
//!
//! The usual flow: an admin adds a town and its users (`wardbook-server tenant add`,
//! `user add`), issues a one-time code for a device (`device enroll`); the device exchanges it
//! at `POST /v1/enroll` for a token, downloads `GET /v1/reference`, then calls `POST /v1/sync`
//! whenever it has a connection (protocol: `wardbook::sync::wire`).
//!
//! Architecture invariant: only this crate knows axum; record rules come from the core
//! (`wardbook::domain`), never re-implemented here.

pub mod blobs;
pub mod cli;
pub mod custody;
pub mod db;
pub mod digit;
pub mod error;
pub mod export;
pub mod feed;
pub mod fuzz;
pub mod gc;
pub mod guard;
pub mod ingest;
pub mod ledger;
pub mod metrics;
pub mod money;
pub mod numbers;
pub mod office;
pub mod routes;
pub mod serve;
pub mod settings;
pub mod store;
pub mod sync;
pub mod verify;

pub use routes::{AppState, router};
