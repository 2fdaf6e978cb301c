//! The device store: one SQLite file holding every record as Automerge document bytes plus the
//! columns lists and searches need, written together in one transaction.
//!
//! - WAL journal; `synchronous=FULL` for transactions that carry money (receipts), `NORMAL`
//!   for the rest: a crash of the app never loses a commit, a power cut may lose the last few
//!   non-money commits but never a receipt.
//! - A record is a snapshot plus incremental saves; when the increments outgrow the snapshot
//!   the record is compacted into a new snapshot.
//! - A damaged document is reported for that record ([`Error::DamagedRecord`]); lists and the
//!   other records keep working because they read the materialized columns.
//!
//! Architecture invariant: this is the only module of the core that touches SQLite.

mod cash;
mod custody;
mod migrate;
mod numbers;
mod photos;
mod places;
mod query;
mod sync;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

pub use custody::{DayVolume, KeptCountersign};
pub use migrate::SCHEMA_VERSION;
pub use numbers::format_number;
pub use query::{Query, RecordRow, StoredConflict};
pub use sync::{Applied, Outbox};

use crate::document::RecordDoc;
use crate::domain::validate::validate;
use crate::domain::workflow::{self, Actor};
use crate::domain::{Record, RecordKind, ReferenceData, Status, UnixMillis};
use crate::ids::{RecordId, TransitionId};
use crate::{Error, Result};

/// How hard a commit insists on reaching the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Durability {
    /// Survives an app crash; a power cut may lose the last commits.
    Normal,
    /// Survives a power cut: every commit that carries money.
    Full,
}

impl Durability {
    fn of(kind: RecordKind) -> Self {
        if matches!(kind, RecordKind::Receipt | RecordKind::Reversal) { Durability::Full } else { Durability::Normal }
    }
}

/// The device database.
pub struct Store {
    conn: Connection,
    actor: Vec<u8>,
    refs: ReferenceData,
    durability: Durability,
}

/// Where a record stands with the server, as its badge shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Saved on this device only.
    Saved,
    /// Sent, not yet confirmed by the server.
    Waiting,
    /// The server has every change of it.
    OnServer,
    /// The server refused a change; the record stays here, untouched, for a person to see.
    Rejected,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Saved => "saved",
            SyncState::Waiting => "waiting",
            SyncState::OnServer => "on_server",
            SyncState::Rejected => "rejected",
        }
    }
}

impl std::str::FromStr for SyncState {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        [SyncState::Saved, SyncState::Waiting, SyncState::OnServer, SyncState::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| Error::UnknownValue { vocabulary: "SyncState", value: s.to_string() })
    }
}

/// Who made the change being persisted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A person on this device: the record now has something to send.
    Local,
    /// The server: nothing new to send because of it.
    Remote,
}

/// A record's document as loaded, with what the store knows about its bytes and sync.
pub(crate) struct Stored {
    pub(crate) doc: RecordDoc,
    heads: Vec<automerge::ChangeHash>,
    snapshot_len: i64,
    increments_bytes: i64,
    pub(crate) sync_state: SyncState,
    pub(crate) pushed_heads: Vec<automerge::ChangeHash>,
}

impl Store {
    /// Opens or creates the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Self::setup(Connection::open(path)?)
    }

    /// A store that lives in memory only (tests, previews).
    pub fn open_in_memory() -> Result<Store> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The window's connection and the sync task's share the file. A transaction that reads
        // before it writes (a receipt takes its number first) and started deferred cannot wait
        // for the other's write: SQLite refuses it at once as "database is locked", whatever
        // the busy timeout. Taking the write lock at BEGIN makes it wait its turn instead.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // The app checkpoints when idle (`checkpoint`); SQLite's own checkpoint, which runs
        // inside whichever save crosses the limit, is only a backstop (about 32 MB of log).
        conn.pragma_update(None, "wal_autocheckpoint", 8000)?;
        // 16 MB of page cache, and the file read through memory mapping (pages the kernel can
        // drop under pressure): a list or a save touches index and row pages of many records.
        conn.pragma_update(None, "cache_size", -16_000)?;
        conn.pragma_update(None, "mmap_size", 128 * 1024 * 1024)?;
        // Room for every statement of the save, list and sync paths (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(128);
        migrate::migrate(&mut conn)?;
        let actor = Self::actor_of(&conn)?;
        let mut store = Store { conn, actor, refs: ReferenceData::default(), durability: Durability::Normal };
        store.refs = query::read_reference(&store.conn)?;
        store.fill_list_columns()?;
        Ok(store)
    }

    /// Rows written before the list columns existed (`listed = 0`, a store of version 7 or
    /// older) get them from their documents, once, a batch of records per transaction (a
    /// partial index finds them, so a store with none left pays one empty lookup).
    fn fill_list_columns(&mut self) -> Result<()> {
        const BATCH: i64 = 500;
        let mut filled = 0;
        loop {
            let ids: Vec<RecordId> = {
                let mut stmt = self.conn.prepare_cached("SELECT id FROM records WHERE listed = 0 LIMIT ?1")?;
                let rows = stmt.query_map([BATCH], |r| query::parse(r.get(0)?))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            if ids.is_empty() {
                break;
            }
            let records = ids
                .iter()
                .map(|&id| match self.get(id) {
                    Ok(record) => Ok((id, Some(record))),
                    // Its line keeps what the row holds; a later save of a repaired copy fills it.
                    Err(Error::DamagedRecord { .. }) => Ok((id, None)),
                    Err(e) => Err(e),
                })
                .collect::<Result<Vec<_>>>()?;
            let tx = self.conn.transaction()?;
            for (id, record) in &records {
                write_list_columns(&tx, &id.to_string(), record.as_ref())?;
            }
            tx.commit()?;
            filled += records.len();
        }
        if filled > 0 {
            tracing::info!(rows = filled, "list columns filled from the documents");
        }
        Ok(())
    }

    /// The device's Automerge actor id: made once per install, then read back.
    fn actor_of(conn: &Connection) -> Result<Vec<u8>> {
        let found: Option<Vec<u8>> =
            conn.query_row("SELECT value FROM meta WHERE key = 'actor_id'", [], |r| r.get(0)).optional()?;
        if let Some(actor) = found {
            return Ok(actor);
        }
        let actor = uuid::Uuid::new_v4().as_bytes().to_vec();
        exec(conn, "INSERT INTO meta (key, value) VALUES ('actor_id', ?1)", [&actor])?;
        Ok(actor)
    }

    /// This install's receipt signing key, made once (from 32 random bytes) and kept in the
    /// store; its public half is registered with the server at enrollment.
    pub fn device_key(&self) -> Result<crate::ledger::DeviceKey> {
        let found: Option<Vec<u8>> =
            self.conn.query_row("SELECT value FROM meta WHERE key = 'signing_seed'", [], |r| r.get(0)).optional()?;
        let seed: [u8; 32] = match found.as_deref().map(<[u8; 32]>::try_from) {
            Some(Ok(seed)) => seed,
            _ => {
                // The secret of the device's receipts: 32 bytes from the operating system's
                // random source (not built from ids, whose randomness is not the key's to rely on).
                let mut seed = [0u8; 32];
                rand::TryRngCore::try_fill_bytes(&mut rand::rngs::OsRng, &mut seed)
                    .map_err(|e| Error::File { path: "the system's random source".into(), reason: e.to_string() })?;
                exec(
                    &self.conn,
                    "INSERT INTO meta (key, value) VALUES ('signing_seed', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [seed.to_vec()],
                )?;
                seed
            }
        };
        Ok(crate::ledger::DeviceKey::from_seed(seed))
    }

    /// This install's actor id (hex), as it appears in every change the device writes.
    pub fn actor_id(&self) -> String {
        automerge::ActorId::from(self.actor.as_slice()).to_hex_string()
    }

    pub(crate) fn actor_bytes(&self) -> &[u8] {
        &self.actor
    }

    /// The town's reference data as last stored.
    pub fn reference(&self) -> &ReferenceData {
        &self.refs
    }

    /// Creates a record after validating it; its status starts at the kind's initial status.
    /// A reversal must name a receipt on this device, for its whole amount, not yet reversed.
    /// A receipt is issued here: the device signs it (see [`Store::issue_receipt`] for one that
    /// also takes its number); the stored receipt carries the signature.
    pub fn create(&mut self, record: &Record, now: UnixMillis) -> Result<()> {
        let mut placed = record.clone();
        self.place(&mut placed);
        let record = &placed;
        validate(record, &self.refs)?;
        if let crate::domain::Body::Reversal(reversal) = &record.body {
            self.check_reversal(reversal)?;
        }
        if let crate::domain::Body::Handover(handover) = &record.body {
            self.check_cash_handover(handover)?;
        }
        let mut record = record.clone();
        let key = self.device_key()?;
        if matches!(record.body, crate::domain::Body::Receipt(_)) {
            sign_receipt(&key, &mut record)?;
        }
        crate::ledger::sign_steps(&key, &mut record, &[]);
        let doc = RecordDoc::new(&self.actor, &record)?;
        self.write(record.kind(), |tx, _| persist(tx, record.id, doc, None, now, Origin::Local))
    }

    /// Reads a record as its document shows it now.
    pub fn get(&self, id: RecordId) -> Result<Record> {
        self.load(id)?.doc.record()
    }

    /// Loads a record's document, for merging or sending.
    pub fn document(&self, id: RecordId) -> Result<RecordDoc> {
        Ok(self.load(id)?.doc)
    }

    /// Where a record stands with the server, and the server's reason if it refused a change.
    pub fn sync_state(&self, id: RecordId) -> Result<(SyncState, Option<String>)> {
        let row: Option<(String, Option<String>)> = self
            .conn
            .query_row("SELECT sync_state, sync_error FROM records WHERE id = ?1", [id.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (state, error) = row.ok_or(Error::NotFound(id))?;
        Ok((state.parse()?, error))
    }

    /// Edits a record: `edit` changes the record, the store validates it and writes only the
    /// fields that changed.
    ///
    /// An edit of a record the server refused is its correction: the refused changes (and any
    /// built on them) leave the document, the edit applies to the record as the user last saw
    /// it, and the result is written over what the server accepted, so the next sync sends the
    /// corrected record and not the refused change again.
    pub fn update(
        &mut self,
        id: RecordId,
        now: UnixMillis,
        edit: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<Record> {
        let mut stored = self.load(id)?;
        let mut record = stored.doc.record()?;
        let kind = record.kind();
        if stored.sync_state == SyncState::Rejected {
            return self.correct(id, stored, record, now, edit);
        }
        let before = record.clone();
        edit(&mut record)?;
        self.check_edit(id, kind, Some(&before), &mut record, false)?;
        stored.doc.update(&record)?;
        let (doc, previous) = split(stored);
        self.write(kind, |tx, _| persist(tx, id, doc, previous, now, Origin::Local))?;
        Ok(record)
    }

    /// What every edit must pass before it is written, judged against the record `before` it
    /// (none when nothing of it reached the server): the same record and kind, money fields
    /// untouched, nothing changed once final, valid (a correction is first placed in its ward
    /// by its location, as a new record is); then the steps this device just took are signed
    /// with its key (stored ones keep theirs).
    fn check_edit(
        &self,
        id: RecordId,
        kind: RecordKind,
        before: Option<&Record>,
        record: &mut Record,
        place: bool,
    ) -> Result<()> {
        if record.id != id || record.kind() != kind {
            return Err(Error::DifferentRecords { ours: id, theirs: record.id });
        }
        if let Some(before) = before {
            if let Some(field) = before.changed_money_field(record) {
                return Err(Error::Immutable { id, kind, field });
            }
            if crate::domain::access::final_edit(before, record).is_err() {
                return Err(Error::Closed { id, kind, status: before.workflow().status });
            }
        }
        if place {
            self.place(record);
        }
        validate(record, &self.refs)?;
        let signed_before = before.map_or(&[][..], |b| b.transitions.as_slice());
        if record.transitions.iter().any(|t| t.signature.is_none() && !signed_before.contains(t)) {
            crate::ledger::sign_steps(&self.device_key()?, record, signed_before);
        }
        Ok(())
    }

    /// [`Store::update`] of a refused record (see there).
    fn correct(
        &mut self,
        id: RecordId,
        mut stored: Stored,
        mut record: Record,
        now: UnixMillis,
        edit: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<Record> {
        let refused: Vec<u8> =
            self.conn.query_row("SELECT refused_changes FROM records WHERE id = ?1", [id.to_string()], |r| r.get(0))?;
        let refused = decode_heads(&refused)
            .ok_or_else(|| Error::DamagedRecord { id, reason: "stored refused changes are unreadable".into() })?;
        let accepted = stored.doc.without(&refused)?;
        let before = match &accepted {
            Some(doc) => Some(doc.record()?),
            None => None,
        };
        let kind = record.kind();
        edit(&mut record)?;
        self.check_edit(id, kind, before.as_ref(), &mut record, true)?;
        let doc = match accepted {
            Some(mut doc) => {
                doc.update(&record)?;
                doc
            }
            None => RecordDoc::new(&self.actor, &record)?,
        };
        // No earlier bytes to build on: the whole document is written again.
        let previous = (Vec::new(), 0, 0, SyncState::Rejected, std::mem::take(&mut stored.pushed_heads));
        self.write(record.kind(), |tx, _| {
            persist(tx, id, doc, Some(previous), now, Origin::Local)?;
            exec(tx, "UPDATE records SET refused_changes = x'' WHERE id = ?1", [id.to_string()])?;
            Ok(())
        })?;
        Ok(record)
    }

    /// Moves a record one workflow step as `actor`; refused with `InvalidTransition` when the
    /// table does not allow it.
    pub fn transition(
        &mut self,
        id: RecordId,
        actor: Actor,
        to: Status,
        now: UnixMillis,
        note: Option<String>,
    ) -> Result<Record> {
        let refs = self.refs.clone();
        self.update(id, now, |r| workflow::step(r, &refs, TransitionId::new(), actor, to, now, note))
    }

    /// A supervisor settles a record in review by choosing its status.
    pub fn resolve_review(
        &mut self,
        id: RecordId,
        actor: Actor,
        to: Status,
        now: UnixMillis,
        note: Option<String>,
    ) -> Result<Record> {
        self.update(id, now, |r| workflow::resolve_review(r, TransitionId::new(), actor, to, now, note))
    }

    /// Settles one conflicted field with the chosen value.
    pub fn resolve_conflict(
        &mut self,
        id: RecordId,
        field: &str,
        value: &serde_json::Value,
        now: UnixMillis,
    ) -> Result<Record> {
        let mut stored = self.load(id)?;
        let kind = stored.doc.record()?.kind();
        if matches!(kind, RecordKind::Receipt | RecordKind::Reversal) {
            return Err(Error::Immutable { id, kind, field: "conflict" });
        }
        stored.doc.resolve_conflict(field, value)?;
        let record = stored.doc.record()?;
        let (doc, previous) = split(stored);
        self.write(record.kind(), |tx, _| persist(tx, id, doc, previous, now, Origin::Local))?;
        Ok(record)
    }

    /// Merges a record's document (or changes to it) received from another device. Nothing
    /// of either side is dropped: competing field values become conflicts, competing workflow
    /// steps put the record in review.
    pub fn merge_document(&mut self, id: RecordId, bytes: &[u8], now: UnixMillis) -> Result<Record> {
        let actor = self.actor.clone();
        // The kind is not known before the bytes are read; a merge may carry money.
        self.write(RecordKind::Receipt, |tx, _| merge_in(tx, &actor, id, bytes, now, Origin::Local))
    }

    fn check_reversal(&self, reversal: &crate::domain::Reversal) -> Result<()> {
        let bad = |reason: &str| Error::BadReversal { receipt: reversal.receipt, reason: reason.into() };
        let receipt = match self.get(reversal.receipt) {
            Ok(r) => r,
            Err(Error::NotFound(_)) => return Err(bad("no such receipt on this device")),
            Err(e) => return Err(e),
        };
        let crate::domain::Body::Receipt(issued) = &receipt.body else { return Err(bad("it is not a receipt")) };
        if issued.receipt_number != reversal.receipt_number || issued.total() != reversal.amount {
            return Err(bad("a reversal names the receipt's number and its whole amount"));
        }
        let open: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM records WHERE reverses = ?1 AND status <> 'REJECTED')",
            [reversal.receipt.to_string()],
            |r| r.get(0),
        )?;
        if open {
            return Err(bad("it already has a reversal waiting or approved"));
        }
        Ok(())
    }

    fn load(&self, id: RecordId) -> Result<Stored> {
        load(&self.conn, &self.actor, id)
    }

    /// Runs `f` in one transaction committed with the durability `kind` needs.
    pub(crate) fn write<T>(
        &mut self,
        kind: RecordKind,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &[u8]) -> Result<T>,
    ) -> Result<T> {
        self.set_durability(Durability::of(kind))?;
        let tx = self.conn.transaction()?;
        let out = f(&tx, &self.actor)?;
        tx.commit()?;
        Ok(out)
    }

    fn set_durability(&mut self, wanted: Durability) -> Result<()> {
        if self.durability != wanted {
            let level = if wanted == Durability::Full { "FULL" } else { "NORMAL" };
            self.conn.pragma_update(None, "synchronous", level)?;
            self.durability = wanted;
        }
        Ok(())
    }

    /// Replaces the town's reference data (it arrives whole from the server).
    pub fn put_reference(&mut self, refs: &ReferenceData) -> Result<()> {
        let tx = self.conn.transaction()?;
        query::write_reference(&tx, refs)?;
        tx.commit()?;
        self.refs = refs.clone();
        Ok(())
    }

    /// Reads the reference data again from the file: the sync connection may have stored a
    /// newer copy since this connection opened (the plant gate checks keys against it).
    pub fn reload_reference(&mut self) -> Result<&ReferenceData> {
        self.refs = query::read_reference(&self.conn)?;
        Ok(&self.refs)
    }

    /// Copies the write-ahead log back into the database file without blocking anyone. The app
    /// calls it when idle (after each sync), so saves seldom pay for SQLite's automatic
    /// checkpoint.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// `PRAGMA integrity_check`, as SQLite words it (`ok` when the file is sound).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

type Previous = (Vec<automerge::ChangeHash>, i64, i64, SyncState, Vec<automerge::ChangeHash>);

/// Signs a receipt with the device's key (a receipt already signed is left alone).
pub(crate) fn sign_receipt(key: &crate::ledger::DeviceKey, record: &mut Record) -> Result<()> {
    if let crate::domain::Body::Receipt(r) = &record.body
        && r.signature.is_none()
    {
        let signature = crate::ledger::sign(key, record)?;
        if let crate::domain::Body::Receipt(r) = &mut record.body {
            r.signature = Some(crate::ledger::encode_signature(&signature));
            r.key_id = Some(key.public_key().key_id());
        }
    }
    Ok(())
}

/// A loaded record split into its document and what `persist` needs to know of its past.
fn split(stored: Stored) -> (RecordDoc, Option<Previous>) {
    let previous = (stored.heads, stored.snapshot_len, stored.increments_bytes, stored.sync_state, stored.pushed_heads);
    (stored.doc, Some(previous))
}

/// Merges bytes into a record (new or known) inside a transaction.
pub(crate) fn merge_in(
    conn: &Connection,
    actor: &[u8],
    id: RecordId,
    bytes: &[u8],
    now: UnixMillis,
    origin: Origin,
) -> Result<Record> {
    match load(conn, actor, id) {
        Ok(mut stored) => {
            stored.doc.apply_bytes(bytes)?;
            let record = stored.doc.record()?;
            let (doc, previous) = split(stored);
            persist(conn, id, doc, previous, now, origin)?;
            Ok(record)
        }
        Err(Error::NotFound(_)) => {
            let doc = RecordDoc::load(actor, bytes, &[])?;
            let record = doc.record()?;
            if record.id != id {
                return Err(Error::DifferentRecords { ours: id, theirs: record.id });
            }
            // The bytes just loaded are kept as they came (saving the document again was a
            // third of what a bootstrapping device spent on each record).
            persist_with(conn, id, doc, None, Some(bytes), now, origin)?;
            Ok(record)
        }
        Err(e) => Err(e),
    }
}

pub(crate) fn load(conn: &Connection, actor: &[u8], id: RecordId) -> Result<Stored> {
    let stored = load_unread(conn, actor, id)?;
    stored.doc.record().map_err(|e| Error::DamagedRecord { id, reason: e.to_string() })?;
    Ok(stored)
}

/// [`load`] without reading the record out of the document: for sending a record's changes,
/// whose stored heads are still checked.
pub(crate) fn load_unread(conn: &Connection, actor: &[u8], id: RecordId) -> Result<Stored> {
    type Row = (Vec<u8>, Vec<u8>, i64, String, Vec<u8>);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT d.snapshot, r.heads, r.increments_bytes, r.sync_state, r.pushed_heads
             FROM records r JOIN record_docs d ON d.id = r.id WHERE r.id = ?1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let (snapshot, heads, increments_bytes, sync_state, pushed) = row.ok_or(Error::NotFound(id))?;
    let mut stmt = conn.prepare_cached("SELECT bytes FROM record_increments WHERE record_id = ?1 ORDER BY n")?;
    let increments = stmt.query_map([id.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
    let damaged = |reason: String| Error::DamagedRecord { id, reason };
    let mut doc = RecordDoc::load_unread(actor, &snapshot, &increments).map_err(|e| damaged(e.to_string()))?;
    let heads = decode_heads(&heads).ok_or_else(|| damaged("stored heads are unreadable".into()))?;
    if doc.heads() != heads {
        return Err(damaged("the stored document does not match its recorded version".into()));
    }
    let pushed_heads = decode_heads(&pushed).ok_or_else(|| damaged("stored sync state is unreadable".into()))?;
    Ok(Stored {
        doc,
        heads,
        snapshot_len: snapshot.len() as i64,
        increments_bytes,
        sync_state: sync_state.parse()?,
        pushed_heads,
    })
}

/// Writes a record's new bytes and every derived column, inside the caller's transaction.
pub(crate) fn persist(
    conn: &Connection,
    id: RecordId,
    doc: RecordDoc,
    previous: Option<Previous>,
    now: UnixMillis,
    origin: Origin,
) -> Result<()> {
    persist_with(conn, id, doc, previous, None, now, origin)
}

/// [`persist`], for a new record whose document was just loaded from `loaded` (kept as its
/// snapshot as they are, instead of saving the document again).
fn persist_with(
    conn: &Connection,
    id: RecordId,
    mut doc: RecordDoc,
    previous: Option<Previous>,
    loaded: Option<&[u8]>,
    now: UnixMillis,
    origin: Origin,
) -> Result<()> {
    let record = doc.record()?;
    let state = record.workflow();
    let conflicts = doc.conflicts();
    let heads = doc.heads();
    let key = id.to_string();
    let unchanged = previous.as_ref().is_some_and(|p| p.0 == heads);
    if unchanged {
        return Ok(());
    }
    let search_text = record.search_text();
    let is_new = previous.is_none();
    // What the search index holds for this record now (none for a new one).
    let old_text: Option<(String, Option<i64>)> = match is_new {
        true => None,
        false => conn
            .prepare_cached("SELECT search_text, fts_rowid FROM records WHERE id = ?1")?
            .query_row([&key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?,
    };
    let (sync_state, pushed_heads) = match (&previous, origin) {
        (_, Origin::Local) => (SyncState::Saved, previous.as_ref().map(|p| p.4.clone()).unwrap_or_default()),
        // What the server sent cannot make a record "on the server" if it has unsent edits.
        (Some(p), Origin::Remote) if p.3 != SyncState::OnServer => (p.3, p.4.clone()),
        (_, Origin::Remote) => (SyncState::OnServer, heads.clone()),
    };
    match previous {
        Some((old_heads, snapshot_len, increments_bytes, _, _)) => {
            let increment = doc.save_after(&old_heads);
            if increments_bytes + increment.len() as i64 > snapshot_len {
                let snapshot = doc.save();
                exec(conn, "DELETE FROM record_increments WHERE record_id = ?1", [&key])?;
                exec(conn, "UPDATE record_docs SET snapshot = ?2 WHERE id = ?1", params![key, snapshot])?;
                exec(conn, "UPDATE records SET increments_bytes = 0 WHERE id = ?1", [&key])?;
            } else {
                exec(
                    conn,
                    "INSERT INTO record_increments (record_id, n, bytes)
                     VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM record_increments WHERE record_id = ?1), ?2)",
                    params![key, increment],
                )?;
                exec(
                    conn,
                    "UPDATE records SET increments_bytes = increments_bytes + ?2 WHERE id = ?1",
                    params![key, increment.len() as i64],
                )?;
            }
        }
        None => {
            exec(
                conn,
                "INSERT INTO records (id, kind, status, created_by, created_at, updated_at, title, search_text, heads)
                 VALUES (?1, ?2, '', ?3, ?4, ?5, '', '', x'')",
                params![key, record.kind().as_str(), record.created_by.to_string(), record.created_at, now],
            )?;
            let snapshot = match loaded {
                Some(bytes) => bytes.to_vec(),
                None => doc.save(),
            };
            exec(conn, "INSERT INTO record_docs (id, snapshot) VALUES (?1, ?2)", params![key, snapshot])?;
        }
    }
    exec(
        conn,
        "UPDATE records SET kind = ?2, status = ?3, ward = ?4, assignee = ?5, updated_at = ?6, amount_paise = ?7,
                needs_review = ?8, conflicts = ?9, title = ?10, search_text = ?11, heads = ?12,
                sync_state = ?13, pushed_heads = ?14, sync_error = CASE WHEN ?13 = 'rejected' THEN sync_error END,
                reverses = ?15
         WHERE id = ?1",
        params![
            key,
            record.kind().as_str(),
            state.status.as_str(),
            record.ward,
            record.assignee.map(|a| a.to_string()),
            now,
            record.amount().map(|a| a.0),
            record.needs_attention(),
            conflicts.len() as i64,
            record.title(),
            search_text,
            encode_heads(&heads),
            sync_state.as_str(),
            encode_heads(&pushed_heads),
            match &record.body {
                crate::domain::Body::Reversal(r) => Some(r.receipt.to_string()),
                _ => None,
            },
        ],
    )?;
    write_list_columns(conn, &key, Some(&record))?;
    // A new record has no rows of its own yet to replace.
    if !is_new || !conflicts.is_empty() {
        query::write_conflicts(conn, &key, &conflicts)?;
    }
    query::index_text(conn, &key, &search_text, old_text.as_ref())?;
    if !is_new || !record.photos().is_empty() {
        photos::index_record_photos(conn, &key, &record)?;
    }
    custody::index_trip(conn, &key, &record)?;
    Ok(())
}

/// What a list line shows besides its title, from the record (`None`: its document cannot be
/// read; the line shows what the row itself holds).
fn write_list_columns(conn: &Connection, key: &str, record: Option<&Record>) -> Result<()> {
    let place = record.and_then(Record::map_place);
    conn.prepare_cached(
        "UPDATE records SET lat = ?2, lon = ?3, accuracy_m = ?4, work_at = ?5, status_note = ?6, first_photo = ?7,
                listed = 1
         WHERE id = ?1",
    )?
    .execute(params![
        key,
        place.map(|p| p.lat),
        place.map(|p| p.lon),
        place.and_then(|p| p.accuracy_m),
        record.map(Record::work_at),
        record.and_then(Record::status_note),
        record.and_then(|r| r.photos().first().map(|p| p.sha256.clone())),
    ])?;
    Ok(())
}

/// Runs a statement through the connection's statement cache: the save path runs the same
/// dozen statements for every record, and parsing them again each time was a tenth of its CPU.
pub(crate) fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

pub(crate) fn encode_heads(heads: &[automerge::ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

pub(crate) fn decode_heads(bytes: &[u8]) -> Option<Vec<automerge::ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    bytes.chunks(32).map(|c| c.try_into().ok().map(automerge::ChangeHash)).collect()
}
