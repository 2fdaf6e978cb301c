//! Wardbook core: the field records of a town's staff as Automerge documents, the workflow
//! rules that survive merges, validation that names the field, and the device's SQLite store.
//!
//! The usual flow on a device:
//!
//! 1. [`store::Store::open`] opens (or creates) the device database and its persisted actor id.
//! 2. A screen builds a [`domain::Record`] (an inspection, an asset survey, a receipt, a
//!    desludging job or a trip) and calls [`store::Store::create`]; the store validates it
//!    against the town's reference data, writes it as an Automerge document and materializes
//!    its queryable columns in the same transaction.
//! 3. Edits go through [`store::Store::update`], workflow steps through
//!    [`store::Store::transition`]; both are checked by the sans-IO rules in [`domain`].
//! 4. Documents from other devices are merged with [`store::Store::merge_document`]; the
//!    result keeps competing field values queryable ([`document::FieldConflict`]) and marks
//!    competing workflow steps "needs review" ([`domain::workflow::WorkflowState`]).
//!
//! The [`domain`] and [`document`] modules do no I/O: they take the clock, ids and bytes as
//! arguments. Only [`store`] touches SQLite.

#[macro_use]
mod macros;

pub mod calendar;
pub mod demo;
pub mod document;
pub mod domain;
pub mod field;
pub mod geo;
pub mod ids;
pub mod keys;
pub mod ledger;
pub mod photo;
pub mod print;
pub mod scan;
pub mod schema;
pub mod store;

mod error;

pub use error::{Error, Result};
pub mod sync;
pub mod wire;
