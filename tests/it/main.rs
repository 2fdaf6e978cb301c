//! Store integration tests on real SQLite files: one test binary, so it links once.
//!
//! - `store`: what a user of the device store sees — records, lists, search, validation,
//!   workflow, merges between devices, compaction and damaged or foreign files.
//! - `crash`: the real `wardbook write-load` process killed at random moments; every record it
//!   reported saved must still be there.
//! - `session`: the device's sync session against answers built by hand.
//! - `golden`: the v1 device database and documents in `tests/fixtures/golden/v1/`, read the same.
//! - `receipt_pdf`: receipts printed to PDF by headless Chromium (and `wardbook receipt-pdf`),
//!   read back with poppler in English and Hindi.

mod codes;
mod contract;
mod crash;
mod custody;
mod dayend;
mod forms;
mod golden;
mod layers;
mod money;
mod photos;
mod places;
mod receipt_pdf;
mod session;
mod store;

use std::path::PathBuf;

use tempfile::TempDir;
use wardbook::demo;
use wardbook::domain::workflow::Actor;
use wardbook::domain::{Role, UnixMillis};
use wardbook::store::Store;

/// 1 January 2026, 09:00 IST: the tests' clock starts here and moves only when a test says so.
pub const T0: UnixMillis = 1_767_238_200_000;

/// One device: its own store file in its own directory, set up with the demo town.
pub struct Device {
    pub path: PathBuf,
    pub store: Store,
    _dir: TempDir,
}

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

impl Device {
    /// A fresh install with the demo town's reference data.
    pub fn new() -> Device {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("wardbook.sqlite3");
        let mut store = Store::open(&path).expect("open a new store");
        store.put_reference(&demo::reference()).expect("store the demo town");
        Device { path, store, _dir: dir }
    }

    /// Closes the store and opens the file again, as after an app restart.
    pub fn reopen(&mut self) {
        let placeholder = Store::open_in_memory().expect("in-memory store");
        drop(std::mem::replace(&mut self.store, placeholder));
        self.store = Store::open(&self.path).expect("reopen the store");
    }

    /// A direct SQLite connection to the same file, to look under the store or damage it.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open the file with rusqlite")
    }
}

/// A record as its creator built it: without the signature the device adds to every receipt
/// it issues (the one field the store writes into a new record).
pub fn as_created(mut record: wardbook::domain::Record) -> wardbook::domain::Record {
    if let wardbook::domain::Body::Receipt(r) = &mut record.body {
        assert!(r.signature.is_some() && r.key_id.is_some(), "every stored receipt is signed");
        r.signature = None;
        r.key_id = None;
    }
    record
}

/// The demo town's staff member of `role`, acting in that role.
pub fn as_role(role: Role) -> Actor {
    Actor { user: demo::user_id(role), role }
}

/// Every `.rs` file under `dir` (the source-reading tests: `codes`, `layers`).
pub fn rust_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}
