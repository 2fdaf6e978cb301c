//! The store's side of sync: the outbox of changes this device made, and applying the
//! server's answer (acks, a page of changes, the new cursor) in one transaction, so a dropped
//! connection resumes exactly where it stopped.

use crate::store::exec;
use automerge::ChangeHash;
use rusqlite::{OptionalExtension, params};

use super::{Origin, Store, SyncState, encode_heads, load_unread, merge_in};
use crate::domain::{RecordKind, UnixMillis};
use crate::ids::RecordId;
use crate::wire::{Cursor, RecordBytes, SyncResponse};
use crate::{Error, Result};

/// The changes one sync request carries, and what the store needs to settle them.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    pub changes: Vec<RecordBytes>,
    /// Every record waiting for the server is in this outbox (none left for a next request).
    pub complete: bool,
    pub(crate) sent: Vec<SentRecord>,
}

#[derive(Clone, Debug)]
pub(crate) struct SentRecord {
    id: RecordId,
    /// The record's heads when the outbox was made: what "pushed" means once acked.
    heads: Vec<ChangeHash>,
    hashes: Vec<ChangeHash>,
}

/// What one applied response did, for the sync bar and logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub confirmed: usize,
    pub rejected: usize,
    pub received: usize,
    /// Items that could not be merged (damaged or foreign bytes); the rest of the page went in.
    pub unreadable: Vec<(RecordId, String)>,
    /// The server asked the device to start over (its log was restored from a backup).
    pub reset: bool,
}

impl Store {
    /// Changes made on this device that the server has not confirmed, oldest record first,
    /// up to about `max_bytes` (at least one record's changes). Marks those records waiting.
    pub fn outbox(&mut self, max_bytes: usize) -> Result<Outbox> {
        let ids: Vec<RecordId> = {
            let mut stmt = self.conn().prepare_cached(
                "SELECT id FROM records WHERE sync_state IN ('saved', 'waiting') ORDER BY updated_at, id",
            )?;
            let rows = stmt.query_map([], |r| super::query::parse(r.get(0)?))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let own = automerge::ActorId::from(self.actor_bytes());
        let mut outbox = Outbox::default();
        let mut size = 0;
        outbox.complete = true;
        for id in ids {
            if size >= max_bytes {
                outbox.complete = false;
                break;
            }
            let mut stored = match load_unread(self.conn(), self.actor_bytes(), id) {
                Ok(s) => s,
                // A damaged record cannot be sent; it is reported where it is opened.
                Err(Error::DamagedRecord { .. }) => continue,
                Err(e) => return Err(e),
            };
            let heads = stored.doc.heads();
            let changes = stored.doc.changes_since(&stored.pushed_heads);
            let mine: Vec<_> = changes.into_iter().filter(|c| c.actor_id() == &own).collect();
            let mut hashes = Vec::new();
            for change in mine {
                hashes.push(change.hash());
                size += change.raw_bytes().len();
                outbox.changes.push(RecordBytes { record: id, bytes: change.raw_bytes().to_vec() });
            }
            outbox.sent.push(SentRecord { id, heads, hashes });
        }
        if !outbox.sent.is_empty() {
            self.write(RecordKind::Inspection, |tx, _| {
                for sent in &outbox.sent {
                    exec(
                        tx,
                        "UPDATE records SET sync_state = 'waiting' WHERE id = ?1 AND sync_state = 'saved'",
                        [sent.id.to_string()],
                    )?;
                }
                Ok(())
            })?;
        }
        Ok(outbox)
    }

    /// Applies the server's answer to `sent`: settles acked records, merges the page of
    /// changes, stores the new cursor — all in one transaction.
    pub fn apply_sync(&mut self, sent: &Outbox, response: &SyncResponse, now: UnixMillis) -> Result<Applied> {
        // A page may carry receipts: commit it as money is committed.
        self.write(RecordKind::Receipt, |tx, actor| {
            let mut applied = Applied::default();
            // Acks answer the changes in the order they were sent; the records' changes went
            // out one record after another, each with its hashes in that order.
            let mut acks = response.acks.iter();
            for record in &sent.sent {
                let answers: Vec<_> = acks.by_ref().take(record.hashes.len()).collect();
                let rejected = answers.iter().find_map(|a| match a {
                    crate::wire::Outcome::Rejected { code, reason } => Some(format!("{code}: {reason}")),
                    _ => None,
                });
                let refused: Vec<u8> = answers
                    .iter()
                    .zip(&record.hashes)
                    .filter(|(a, _)| matches!(a, crate::wire::Outcome::Rejected { .. }))
                    .flat_map(|(_, h)| h.0)
                    .collect();
                // An answer cut short (a server that did not answer every change) settles
                // nothing it left out: those records are sent again.
                let all_kept = answers.len() == record.hashes.len() && answers.iter().all(|a| a.is_kept());
                if let Some(reason) = rejected {
                    applied.rejected += 1;
                    exec(
                        tx,
                        "UPDATE records SET sync_state = 'rejected', sync_error = ?2,
                                refused_changes = ?3 WHERE id = ?1",
                        params![record.id.to_string(), reason, refused],
                    )?;
                } else if all_kept {
                    applied.confirmed += 1;
                    let current: Option<Vec<u8>> = tx
                        .prepare_cached("SELECT heads FROM records WHERE id = ?1")?
                        .query_row([record.id.to_string()], |r| r.get(0))
                        .optional()?;
                    let pushed = encode_heads(&record.heads);
                    let state = if current.as_deref() == Some(pushed.as_slice()) {
                        SyncState::OnServer
                    } else {
                        SyncState::Saved
                    };
                    exec(
                        tx,
                        "UPDATE records SET sync_state = ?2, pushed_heads = ?3, sync_error = NULL WHERE id = ?1",
                        params![record.id.to_string(), state.as_str(), pushed],
                    )?;
                }
            }
            if response.reset {
                // The server's log was restored from a backup: send every change again (the
                // server keeps what it lacks) and read the scope from the start.
                applied.reset = true;
                exec(
                    tx,
                    "UPDATE records SET sync_state = 'saved', pushed_heads = x'' WHERE sync_state <> 'rejected'",
                    [],
                )?;
            }
            for item in &response.items {
                // A record larger than any the server now accepts is reported, never merged: the
                // rest of the page goes on.
                if item.bytes.len() > crate::document::shape::MAX_RECORD_BYTES {
                    let kib = item.bytes.len() / 1024;
                    applied.unreadable.push((item.record, format!("the record is too large to keep ({kib} KiB)")));
                    continue;
                }
                match merge_in(tx, actor, item.record, &item.bytes, now, Origin::Remote) {
                    Ok(_) => applied.received += 1,
                    Err(e @ (Error::BadDocument(_) | Error::DifferentRecords { .. } | Error::DamagedRecord { .. })) => {
                        applied.unreadable.push((item.record, e.to_string()))
                    }
                    Err(e) => return Err(e),
                }
            }
            super::numbers::add_blocks(tx, &response.number_blocks)?;
            write_cursor(tx, &response.cursor)?;
            Ok(applied)
        })
    }

    /// Where this device stands in its town's change log.
    pub fn cursor(&self) -> Result<Cursor> {
        let raw: Option<Vec<u8>> =
            self.conn().query_row("SELECT value FROM meta WHERE key = 'sync_cursor'", [], |r| r.get(0)).optional()?;
        Ok(raw.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default())
    }

    /// How many records wait to reach the server (saved or sent but unconfirmed).
    pub fn waiting_count(&self) -> Result<u64> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM records WHERE sync_state IN ('saved', 'waiting')", [], |r| r.get(0))?)
    }

    /// A value kept in the store's settings (server address, device token, last sync).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let raw: Option<Vec<u8>> =
            self.conn().query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?;
        Ok(raw.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value.as_bytes()],
        )?;
        Ok(())
    }
}

fn write_cursor(conn: &rusqlite::Connection, cursor: &Cursor) -> Result<()> {
    let bytes = serde_json::to_vec(cursor).expect("a cursor always serializes");
    exec(
        conn,
        "INSERT INTO meta (key, value) VALUES ('sync_cursor', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [bytes],
    )?;
    Ok(())
}
