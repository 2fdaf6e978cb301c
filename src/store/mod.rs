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

mod migrate;
mod query;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

pub use migrate::SCHEMA_VERSION;
pub use query::{Query, RecordRow, StoredConflict};

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
        if kind == RecordKind::Receipt { Durability::Full } else { Durability::Normal }
    }
}

/// The device database.
pub struct Store {
    conn: Connection,
    actor: Vec<u8>,
    refs: ReferenceData,
    durability: Durability,
}

/// What the store keeps about a record's document besides its bytes.
struct Stored {
    doc: RecordDoc,
    heads: Vec<automerge::ChangeHash>,
    snapshot_len: i64,
    increments_bytes: i64,
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
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate::migrate(&mut conn)?;
        let actor = Self::actor_of(&conn)?;
        let mut store = Store { conn, actor, refs: ReferenceData::default(), durability: Durability::Normal };
        store.refs = store.load_reference()?;
        Ok(store)
    }

    /// The device's Automerge actor id: made once per install, then read back.
    fn actor_of(conn: &Connection) -> Result<Vec<u8>> {
        let found: Option<Vec<u8>> =
            conn.query_row("SELECT value FROM meta WHERE key = 'actor_id'", [], |r| r.get(0)).optional()?;
        if let Some(actor) = found {
            return Ok(actor);
        }
        let actor = uuid::Uuid::new_v4().as_bytes().to_vec();
        conn.execute("INSERT INTO meta (key, value) VALUES ('actor_id', ?1)", [&actor])?;
        Ok(actor)
    }

    /// This install's actor id (hex), as it appears in every change the device writes.
    pub fn actor_id(&self) -> String {
        automerge::ActorId::from(self.actor.as_slice()).to_hex_string()
    }

    /// The town's reference data as last stored.
    pub fn reference(&self) -> &ReferenceData {
        &self.refs
    }

    /// Creates a record after validating it; its status starts at the kind's initial status.
    pub fn create(&mut self, record: &Record, now: UnixMillis) -> Result<()> {
        validate(record, &self.refs)?;
        let doc = RecordDoc::new(&self.actor, record)?;
        self.persist(record.id, doc, None, now)
    }

    /// Reads a record as its document shows it now.
    pub fn get(&self, id: RecordId) -> Result<Record> {
        self.load(id)?.doc.record()
    }

    /// Loads a record's document, for merging or sending.
    pub fn document(&self, id: RecordId) -> Result<RecordDoc> {
        Ok(self.load(id)?.doc)
    }

    /// Edits a record: `edit` changes the record, the store validates it and writes only the
    /// fields that changed.
    pub fn update(
        &mut self,
        id: RecordId,
        now: UnixMillis,
        edit: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<Record> {
        let mut stored = self.load(id)?;
        let mut record = stored.doc.record()?;
        let kind = record.kind();
        edit(&mut record)?;
        if record.id != id || record.kind() != kind {
            return Err(Error::DifferentRecords { ours: id, theirs: record.id });
        }
        validate(&record, &self.refs)?;
        stored.doc.update(&record)?;
        self.persist(id, stored.doc, Some((stored.heads, stored.snapshot_len, stored.increments_bytes)), now)?;
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
        stored.doc.resolve_conflict(field, value)?;
        let record = stored.doc.record()?;
        self.persist(id, stored.doc, Some((stored.heads, stored.snapshot_len, stored.increments_bytes)), now)?;
        Ok(record)
    }

    /// Merges a record's document (or changes to it) received from elsewhere. Nothing of
    /// either side is dropped: competing field values become conflicts, competing workflow
    /// steps put the record in review.
    pub fn merge_document(&mut self, id: RecordId, bytes: &[u8], now: UnixMillis) -> Result<Record> {
        match self.load(id) {
            Ok(mut stored) => {
                stored.doc.apply_bytes(bytes)?;
                let record = stored.doc.record()?;
                self.persist(id, stored.doc, Some((stored.heads, stored.snapshot_len, stored.increments_bytes)), now)?;
                Ok(record)
            }
            Err(Error::NotFound(_)) => {
                let doc = RecordDoc::load(&self.actor, bytes, &[])?;
                let record = doc.record()?;
                if record.id != id {
                    return Err(Error::DifferentRecords { ours: id, theirs: record.id });
                }
                self.persist(id, doc, None, now)?;
                Ok(record)
            }
            Err(e) => Err(e),
        }
    }

    fn load(&self, id: RecordId) -> Result<Stored> {
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = self
            .conn
            .query_row(
                "SELECT snapshot, heads, increments_bytes FROM records WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (snapshot, heads, increments_bytes) = row.ok_or(Error::NotFound(id))?;
        let mut stmt = self.conn.prepare_cached("SELECT bytes FROM record_increments WHERE record_id = ?1 ORDER BY n")?;
        let increments = stmt.query_map([id.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<Vec<Vec<u8>>>>()?;
        let damaged = |reason: String| Error::DamagedRecord { id, reason };
        let mut doc = RecordDoc::load(&self.actor, &snapshot, &increments).map_err(|e| damaged(e.to_string()))?;
        let heads = decode_heads(&heads).ok_or_else(|| damaged("stored heads are unreadable".into()))?;
        if doc.heads() != heads {
            return Err(damaged("the stored document does not match its recorded version".into()));
        }
        Ok(Stored { doc, heads, snapshot_len: snapshot.len() as i64, increments_bytes })
    }

    /// Writes a record's new bytes and every derived column in one transaction.
    fn persist(
        &mut self,
        id: RecordId,
        mut doc: RecordDoc,
        previous: Option<(Vec<automerge::ChangeHash>, i64, i64)>,
        now: UnixMillis,
    ) -> Result<()> {
        let record = doc.record()?;
        let state = record.workflow();
        let conflicts = doc.conflicts();
        let heads = doc.heads();
        self.set_durability(Durability::of(record.kind()))?;
        let tx = self.conn.transaction()?;
        let key = id.to_string();
        let unchanged = previous.as_ref().is_some_and(|(h, _, _)| *h == heads);
        match previous {
            Some(_) if unchanged => {}
            Some((old_heads, snapshot_len, increments_bytes)) => {
                let increment = doc.save_after(&old_heads);
                if increments_bytes + increment.len() as i64 > snapshot_len {
                    let snapshot = doc.save();
                    tx.execute("DELETE FROM record_increments WHERE record_id = ?1", [&key])?;
                    tx.execute(
                        "UPDATE records SET snapshot = ?2, increments_bytes = 0 WHERE id = ?1",
                        params![key, snapshot],
                    )?;
                } else {
                    tx.execute(
                        "INSERT INTO record_increments (record_id, n, bytes)
                         VALUES (?1, (SELECT COALESCE(MAX(n), 0) + 1 FROM record_increments WHERE record_id = ?1), ?2)",
                        params![key, increment],
                    )?;
                    tx.execute(
                        "UPDATE records SET increments_bytes = increments_bytes + ?2 WHERE id = ?1",
                        params![key, increment.len() as i64],
                    )?;
                }
            }
            None => {
                tx.execute(
                    "INSERT INTO records (id, kind, status, created_by, created_at, updated_at, title, search_text, snapshot, heads)
                     VALUES (?1, ?2, '', ?3, ?4, ?5, '', '', ?6, x'')",
                    params![key, record.kind().as_str(), record.created_by.to_string(), record.created_at, now, doc.save()],
                )?;
            }
        }
        tx.execute(
            "UPDATE records SET kind = ?2, status = ?3, ward = ?4, assignee = ?5, updated_at = ?6, amount_paise = ?7,
                    needs_review = ?8, conflicts = ?9, title = ?10, search_text = ?11, heads = ?12
             WHERE id = ?1",
            params![
                key,
                record.kind().as_str(),
                state.status.as_str(),
                record.ward,
                record.assignee.map(|a| a.to_string()),
                now,
                record.amount().map(|a| a.0),
                state.needs_review,
                conflicts.len() as i64,
                record.title(),
                record.search_text(),
                encode_heads(&heads),
            ],
        )?;
        query::write_conflicts(&tx, &key, &conflicts)?;
        tx.execute("DELETE FROM records_fts WHERE id = ?1", [&key])?;
        tx.execute("INSERT INTO records_fts (id, search_text) VALUES (?1, ?2)", params![key, record.search_text()])?;
        tx.commit()?;
        Ok(())
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

    fn load_reference(&self) -> Result<ReferenceData> {
        query::read_reference(&self.conn)
    }

    /// `PRAGMA integrity_check`, as SQLite words it (`ok` when the file is sound).
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn encode_heads(heads: &[automerge::ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn decode_heads(bytes: &[u8]) -> Option<Vec<automerge::ChangeHash>> {
    if bytes.len() % 32 != 0 {
        return None;
    }
    bytes.chunks(32).map(|c| c.try_into().ok().map(automerge::ChangeHash)).collect()
}
