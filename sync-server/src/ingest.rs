//! Taking in a device's changes: each change is stored once (retries are duplicates), parked
//! until its dependencies arrive, or rejected with a reason when the device's user may not
//! make it. Accepted changes get the next log sequence number of their town inside the same
//! transaction that writes them, so sequence numbers commit in order and a cursor never skips.

use automerge::{AutoCommit, Change, ChangeHash, ReadDoc};
use wardbook::document::shape;
use wardbook::domain::validate::validate;
use wardbook::domain::{Record, ReferenceData};
use wardbook::ids::{DeviceId, RecordId};
use wardbook::sync::wire::{Outcome, RecordBytes};

use crate::db::{DeviceAuth, now_ms};
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// What one push did, for metrics.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub stored: u64,
    pub duplicate: u64,
    pub parked: u64,
    pub rejected: u64,
}

fn reject(code: &str, reason: impl Into<String>) -> Outcome {
    Outcome::Rejected { code: code.into(), reason: reason.into() }
}

/// The answer to each change of one request, in order, and each change's hash (empty for bytes
/// that are not a change).
pub struct Answers {
    pub acks: Vec<Outcome>,
    pub hashes: Vec<Vec<u8>>,
}

/// Takes in every change of one request, inside the caller's tenant transaction, and answers
/// each. The town's row is locked first: pushes to one town are serialized (across server
/// processes too), which is what keeps its sequence numbers committing in order.
pub fn ingest(
    tx: &mut dyn Sql,
    auth: &DeviceAuth,
    refs: &ReferenceData,
    changes: &[RecordBytes],
) -> Result<(Answers, Tally), AppError> {
    if !changes.is_empty() {
        tx.exec("UPDATE tenants SET next_seq = next_seq WHERE id = ?1", params![&auth.scope.tenant])?;
    }
    let mut answers = Answers { acks: Vec::with_capacity(changes.len()), hashes: Vec::with_capacity(changes.len()) };
    let mut batch = Batch::default();
    let mut tally = Tally::default();
    for item in changes {
        let too_large = item.bytes.len() > shape::MAX_CHANGE_BYTES;
        let (hash, outcome) = match Change::from_bytes(item.bytes.clone()) {
            Ok(change) if too_large => (
                change.hash().0.to_vec(),
                reject(
                    "change_too_large",
                    format!(
                        "a change may hold at most {} KiB; this one holds {} KiB",
                        shape::MAX_CHANGE_BYTES / 1024,
                        item.bytes.len() / 1024
                    ),
                ),
            ),
            // Automerge checks a chunk's checksum when it loads a document, not when it reads a
            // lone change: one that fails it would make the stored record unreadable.
            Ok(change) if !checksum_matches(&change) => (
                change.hash().0.to_vec(),
                reject("malformed_change", "the change's checksum does not match its contents"),
            ),
            Ok(change) => {
                let hash = change.hash();
                (hash.0.to_vec(), take_in(tx, auth, refs, &mut batch, item.record, change, &item.bytes)?)
            }
            Err(e) => (vec![], reject("malformed_change", format!("not an Automerge change: {e}"))),
        };
        match &outcome {
            Outcome::Stored { .. } => tally.stored += 1,
            Outcome::Duplicate => tally.duplicate += 1,
            Outcome::Parked => tally.parked += 1,
            Outcome::Rejected { .. } => tally.rejected += 1,
        }
        answers.acks.push(outcome);
        answers.hashes.push(hash);
    }
    Ok((answers, tally))
}

/// Whether a change's chunk header carries the checksum of its contents (the first four
/// bytes of its hash, after the four-byte magic number), as loading requires.
fn checksum_matches(change: &Change) -> bool {
    change.raw_bytes().get(4..8) == Some(&change.hash().0[..4])
}

/// What the changes of one request share, read once per request instead of once per change.
#[derive(Default)]
struct Batch {
    /// Actors found bound to this request's device.
    bound: std::collections::HashSet<String>,
    /// The device's registered signing key, once read.
    key: Option<Option<wardbook::ledger::PublicKey>>,
    /// Whether the device may have changes parked: read once, set when one is parked.
    parked: Option<bool>,
    /// The record the previous change went to, as it now stands: a device sends a record's
    /// changes one after another, and loading it again for each was a third of the work.
    last: Option<(RecordId, Held)>,
}

fn take_in(
    conn: &mut dyn Sql,
    auth: &DeviceAuth,
    refs: &ReferenceData,
    batch: &mut Batch,
    record: RecordId,
    change: Change,
    bytes: &[u8],
) -> Result<Outcome, AppError> {
    let tenant = &auth.scope.tenant;
    let key = record.to_string();
    let hash = change.hash();
    let held = match batch.last.take() {
        Some((last, held)) if last == record => held,
        _ => load_doc(conn, tenant, &key)?,
    };
    // A record's document holds exactly the changes stored for it (both are written in one
    // transaction), so it answers whether this one is a retry without a query.
    if held.doc.get_change_by_hash(&hash).is_some() {
        batch.last = Some((record, held));
        return Ok(Outcome::Duplicate);
    }
    let mut held = held;
    if change.deps().iter().any(|d| held.doc.get_change_by_hash(d).is_none()) {
        if let Some(refused) = crate::gc::parked_refusal(conn, tenant, &auth.device.to_string())? {
            return Ok(refused);
        }
        conn.exec(
            "INSERT INTO parked (tenant, record, hash, device, bytes, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (tenant, record, hash) DO NOTHING",
            params![tenant, &key, hash.0.as_slice(), auth.device.to_string(), bytes, now_ms()],
        )?;
        batch.parked = Some(true);
        batch.last = Some((record, held));
        return Ok(Outcome::Parked);
    }
    let outcome = apply(conn, auth, refs, batch, record, &mut held, change, bytes, auth.device)?;
    if matches!(outcome, Outcome::Stored { .. }) {
        unpark(conn, auth, refs, batch, record, &mut held)?;
    }
    batch.last = Some((record, held));
    Ok(outcome)
}

/// A record's document as the server keeps it: its stored bytes (a document followed by the
/// changes appended since it was written out, or only changes), how many were appended, and
/// the record it reads as (`None` before it is created).
struct Held {
    doc: AutoCommit,
    bytes: Vec<u8>,
    appended: i64,
    record: Option<Record>,
}

impl Held {
    /// Back to the stored bytes, after a change was applied to `doc` and then refused.
    fn restore(&mut self) -> Result<(), AppError> {
        self.doc = if self.bytes.is_empty() {
            AutoCommit::new()
        } else {
            AutoCommit::load(&self.bytes)
                .map_err(|e| AppError::Internal(format!("a stored record is unreadable: {e}")))?
        };
        Ok(())
    }
}

/// A record's stored bytes stop growing by appended changes after this many: they are written
/// out as one document again (loading a long run of changes costs more than loading a document).
const APPEND_AT_MOST: i64 = 8;

fn load_doc(conn: &mut dyn Sql, tenant: &str, key: &str) -> Result<Held, AppError> {
    let row = conn.row("SELECT doc, appended FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, key])?;
    match row {
        Some(row) => {
            let bytes = row.blob(0)?;
            let doc = AutoCommit::load(&bytes)
                .map_err(|e| AppError::Internal(format!("stored record {key} is unreadable: {e}")))?;
            let record = hydrate(&doc);
            Ok(Held { doc, bytes, appended: row.int(1)?, record })
        }
        None => Ok(Held { doc: AutoCommit::new(), bytes: Vec::new(), appended: 0, record: None }),
    }
}

fn hydrate(doc: &AutoCommit) -> Option<Record> {
    if doc.keys(automerge::ROOT).next().is_none() { None } else { wardbook::document::read_record(doc).ok() }
}

/// Checks one change against the device's scope and stores it with the next sequence number.
/// The change is applied to the held document itself (copying the document for each change
/// was a tenth of the work); a refused change puts the document back as stored.
#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut dyn Sql,
    auth: &DeviceAuth,
    refs: &ReferenceData,
    batch: &mut Batch,
    record: RecordId,
    held: &mut Held,
    change: Change,
    bytes: &[u8],
    device: DeviceId,
) -> Result<Outcome, AppError> {
    // Every refusal after the change was applied returns from this closure, and the document
    // goes back to its stored bytes.
    let outcome = (|| -> Result<Outcome, AppError> {
        let before = held.record.clone();
        let candidate = &mut held.doc;
        // Automerge can panic on a crafted change (found by the `ingest_changes` fuzz target):
        // such a change is refused like any other malformed one, never a failed request.
        let actor = change.actor_id().to_hex_string();
        let applied =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| candidate.apply_changes([change.clone()])));
        match applied {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Ok(reject("malformed_change", e.to_string())),
            Err(_) => return Ok(reject("malformed_change", "the change could not be applied to the record")),
        }
        // The document must be exactly what a record reconciles to: no unknown key, no value of
        // another type, nothing nested deeper than a record nests. Checked without recursion.
        let (after, conflicts) = match shape::check_counting(candidate) {
            Ok(Some(checked)) => (checked.record, checked.conflicts),
            Ok(None) => {
                return Ok(reject("invalid_document", "the change leaves a document that is not a Wardbook record"));
            }
            Err(e) => return Ok(reject("invalid_document", e.to_string())),
        };
        // The stored document must load again (the next change of this record starts from it): a
        // crafted change can leave one whose saved bytes do not (also found by `ingest_changes`).
        // (Written without DEFLATE: the same columns, so the same test, at a quarter of the cost.)
        let saved = candidate.save_nocompress();
        if !std::panic::catch_unwind(|| AutoCommit::load(&saved).is_ok()).unwrap_or(false) {
            return Ok(reject("malformed_change", "the change leaves a record that cannot be read back"));
        }
        // What is kept, and sent to a device that bootstraps: the stored bytes with this change
        // appended (changes compress to half of what a document does in a page), or, once enough
        // were appended, the document written out again.
        let (stored, appended) = if held.appended < APPEND_AT_MOST
            && held.bytes.len() + change.raw_bytes().len() <= shape::MAX_RECORD_BYTES
        {
            ([held.bytes.as_slice(), change.raw_bytes()].concat(), held.appended + 1)
        } else {
            (saved, 0)
        };
        if stored.len() > shape::MAX_RECORD_BYTES {
            return Ok(reject(
                "record_too_large",
                format!(
                    "a record may grow to {} KiB; this change makes it {} KiB",
                    shape::MAX_RECORD_BYTES / 1024,
                    stored.len() / 1024
                ),
            ));
        }
        if after.id != record {
            return Ok(reject("identity_changed", format!("the change belongs to record {}, not {record}", after.id)));
        }
        if let Some(refusal) = bind_actor(conn, auth, batch, device, &actor)? {
            return Ok(refusal);
        }
        let now = now_ms();
        // Judged by the ward of its place when it names none (never stored into the document).
        let placed = |r: &Record| {
            let mut r = r.clone();
            wardbook::geo::place(refs, &mut r);
            r
        };
        let judged = placed(&after);
        let ward = judged.ward.clone();
        if let Err(refusal) = auth.scope.check_write(before.as_ref().map(placed).as_ref(), &judged, now) {
            return Ok(reject(refusal.code, refusal.reason));
        }
        if let Some(refusal) = unsigned_step(conn, batch, device, before.as_ref(), &after)? {
            return Ok(refusal);
        }
        // Final means final, judged by the record as the writer saw it: a change made after seeing
        // the record closed is refused; one made offline while another device closed it is kept,
        // and the record is flagged for a supervisor.
        let mut edited_after_close = None;
        if let Some(before) = &before
            && let Err(refusal) = wardbook::domain::access::final_edit(before, &after)
        {
            let seen = seen_by_writer(candidate, &change);
            match seen.as_ref().map(|seen| wardbook::domain::access::final_edit(seen, &after)) {
                Some(Ok(())) => edited_after_close = Some(refusal.reason),
                _ => return Ok(reject(refusal.code, refusal.reason)),
            }
        }
        if let Err(e) = validate(&after, refs) {
            return Ok(reject("invalid_record", e.to_string()));
        }
        let tenant = &auth.scope.tenant;
        if let Some((code, reason)) = crate::custody::check(conn, tenant, before.as_ref(), &after)? {
            return Ok(reject(code, reason));
        }
        let number = match &after.body {
            wardbook::domain::Body::Receipt(r) => Some(r.receipt_number.clone()),
            _ => None,
        };
        if let Some(number) = &number {
            let taken = conn.exists(
                "SELECT 1 FROM records WHERE tenant = ?1 AND number = ?2 AND id <> ?3",
                params![tenant, number, record.to_string()],
            )?;
            if taken {
                return Ok(reject("duplicate_receipt_number", format!("receipt number {number} is already used")));
            }
        }
        if let Some((code, reason)) = crate::money::check(conn, auth, before.as_ref(), &after, &actor, now)? {
            return Ok(reject(code, reason));
        }
        held.bytes = stored;
        held.appended = appended;
        let seq = conn
            .row("UPDATE tenants SET next_seq = next_seq + 1 WHERE id = ?1 RETURNING next_seq - 1", params![tenant])?
            .ok_or_else(|| AppError::UnknownTenant(tenant.clone()))?
            .int(0)?;
        let key = record.to_string();
        conn.exec(
            "INSERT INTO changes (tenant, seq, record, hash, kind, ward, device, bytes, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                tenant,
                seq,
                &key,
                change.hash().0.as_slice(),
                after.kind().as_str(),
                ward.clone(),
                device.to_string(),
                bytes,
                now_ms()
            ],
        )?;
        let state = after.workflow();
        let reverses = match &after.body {
            wardbook::domain::Body::Reversal(rev) => Some(rev.receipt.to_string()),
            _ => None,
        };
        conn.exec(
            "INSERT INTO records (tenant, id, kind, status, ward, assignee, title, needs_review, conflicts, updated_at, doc, number,
                 reverses, only_device, appended)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (tenant, id) DO UPDATE SET kind = excluded.kind, status = excluded.status, ward = excluded.ward,
                 assignee = excluded.assignee, title = excluded.title, needs_review = excluded.needs_review,
                 conflicts = excluded.conflicts, updated_at = excluded.updated_at, doc = excluded.doc,
                 number = excluded.number, reverses = excluded.reverses,
                 only_device = CASE WHEN records.only_device = excluded.only_device THEN records.only_device END,
                 appended = excluded.appended",
            params![
                tenant,
                &key,
                after.kind().as_str(),
                state.status.as_str(),
                ward,
                after.assignee.map(|a| a.to_string()),
                after.title(),
                state.needs_review,
                conflicts as i64,
                now_ms(),
                held.bytes.as_slice(),
                number,
                reverses,
                device.to_string(),
                held.appended
            ],
        )?;
        crate::gc::name_blobs(conn, tenant, &after)?;
        crate::custody::recheck_disposal(conn, tenant, refs, before.as_ref(), &after)?;
        if let Some(reason) = edited_after_close {
            let reason = format!("edited offline while it was being closed: {reason}");
            crate::custody::flag(conn, tenant, after.id, EDITED_AFTER_CLOSE, &reason)?;
        }
        // A receipt enters its town's ledger once, as it was first stored.
        if before.is_none() {
            crate::ledger::append_receipt(conn, tenant, &after, device)?;
        }
        // A reversal enters it once, when a supervisor's approval of it is first stored.
        let approved = |r: &Record| r.workflow().status == wardbook::domain::Status::Approved;
        if let Some(entry) = crate::ledger::reversal_entry(&after, device)
            && approved(&after)
            && !before.as_ref().is_some_and(approved)
        {
            crate::ledger::append(conn, tenant, crate::ledger::EntryKind::Reversal, after.id, &entry)?;
            if let wardbook::domain::Body::Reversal(rev) = &after.body {
                conn.exec(
                    "UPDATE records SET cancelled = ?3 WHERE tenant = ?1 AND id = ?2",
                    params![tenant, rev.receipt.to_string(), true],
                )?;
            }
        }
        held.record = Some(after);
        Ok(Outcome::Stored { seq: seq as u64 })
    })()?;
    if !matches!(outcome, Outcome::Stored { .. }) {
        held.restore()?;
    }
    Ok(outcome)
}

/// Every step a change adds must be signed by the device that sends it (whose registered key
/// belongs to the user the step names: `check_write` has already matched user and roles).
fn unsigned_step(
    conn: &mut dyn Sql,
    batch: &mut Batch,
    device: DeviceId,
    before: Option<&Record>,
    after: &Record,
) -> Result<Option<Outcome>, AppError> {
    let old = before.map_or(&[][..], |b| b.transitions.as_slice());
    let new: Vec<_> = after.transitions.iter().filter(|t| !old.iter().any(|o| o.id == t.id)).collect();
    if new.is_empty() {
        return Ok(None);
    }
    // A parked change being taken in is this request's device's own (see `unpark`).
    let key = match &batch.key {
        Some(key) => *key,
        None => crate::db::device_key(conn, &device.to_string())?,
    };
    batch.key = Some(key);
    for step in new {
        let refusal = match (&key, &step.signature) {
            (_, None) => ("unsigned_step", "is not signed"),
            (None, Some(_)) => ("unsigned_step", "is signed, but this device registered no signing key"),
            (Some(key), Some(_)) if !wardbook::ledger::verify_step(key, after, step) => {
                ("bad_step_signature", "is not signed by this device")
            }
            _ => continue,
        };
        return Ok(Some(reject(refusal.0, format!("the step {} → {} {}", step.from, step.to, refusal.1))));
    }
    Ok(None)
}

/// The flag on a record that a device edited offline while another device closed it.
pub const EDITED_AFTER_CLOSE: &str = "edited_after_close";

/// The record as the writer of `change` saw it: the stored document at the change's
/// dependencies (`None` for a new record, or when that state does not read as a record).
fn seen_by_writer(doc: &mut AutoCommit, change: &Change) -> Option<Record> {
    let seen = doc.fork_at(change.deps()).ok()?;
    hydrate(&seen)
}

/// Binds an Automerge actor to the first device that writes with it: a change written with
/// another device's actor is refused, so no device writes in another's name or number series.
fn bind_actor(
    conn: &mut dyn Sql,
    auth: &DeviceAuth,
    batch: &mut Batch,
    device: DeviceId,
    actor: &str,
) -> Result<Option<Outcome>, AppError> {
    if batch.bound.contains(actor) {
        return Ok(None);
    }
    let tenant = &auth.scope.tenant;
    let device = device.to_string();
    conn.exec(
        "INSERT INTO device_actors (tenant, actor, device) VALUES (?1, ?2, ?3) ON CONFLICT (tenant, actor) DO NOTHING",
        params![tenant, actor, &device],
    )?;
    let owner = conn
        .row("SELECT device FROM device_actors WHERE tenant = ?1 AND actor = ?2", params![tenant, actor])?
        .map(|r| r.text(0))
        .transpose()?;
    if owner.as_deref() != Some(device.as_str()) {
        return Ok(Some(reject("actor_not_yours", "the change was written by another device")));
    }
    batch.bound.insert(actor.to_string());
    Ok(None)
}

/// Applies parked changes of `record` whose dependencies are now present, until none is left.
fn unpark(
    conn: &mut dyn Sql,
    auth: &DeviceAuth,
    refs: &ReferenceData,
    batch: &mut Batch,
    record: RecordId,
    held: &mut Held,
) -> Result<(), AppError> {
    let tenant = auth.scope.tenant.clone();
    let key = record.to_string();
    if batch.parked.is_none() {
        let any = conn.exists(
            "SELECT 1 FROM parked WHERE tenant = ?1 AND device = ?2 LIMIT 1",
            params![&tenant, auth.device.to_string()],
        )?;
        batch.parked = Some(any);
    }
    if batch.parked == Some(false) {
        return Ok(());
    }
    loop {
        let parked = conn
            .rows(
                "SELECT hash, device, bytes FROM parked WHERE tenant = ?1 AND record = ?2 AND device = ?3
                 ORDER BY received_at",
                params![&tenant, &key, auth.device.to_string()],
            )?
            .iter()
            .map(|r| Ok((r.blob(0)?, r.text(1)?, r.blob(2)?)))
            .collect::<Result<Vec<_>, AppError>>()?;
        let ready = parked.into_iter().find_map(|(hash, device, bytes)| {
            let change = Change::from_bytes(bytes.clone()).ok()?;
            change
                .deps()
                .iter()
                .all(|d: &ChangeHash| held.doc.get_change_by_hash(d).is_some())
                .then_some((hash, device, bytes, change))
        });
        let Some((hash, device, bytes, change)) = ready else { return Ok(()) };
        conn.exec("DELETE FROM parked WHERE tenant = ?1 AND record = ?2 AND hash = ?3", params![&tenant, &key, hash])?;
        let device: DeviceId = device.parse().map_err(|e: uuid::Error| AppError::Internal(e.to_string()))?;
        // Only this device's own parked changes are taken here, under its own scope. One that
        // turns out not to be allowed leaves the queue without entering the log.
        apply(conn, auth, refs, batch, record, held, change, &bytes, device)?;
    }
}
