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

/// The most rejected changes the server keeps of one device for the office's review queue: a
/// device sending garbage in a loop fills its own share, nothing more.
pub const REJECTIONS_PER_DEVICE: i64 = 1000;
/// The longest reason kept with a rejection (characters).
const REJECTION_REASON_CHARS: usize = 500;

/// Keeps a rejected change for the office's review queue, once per change `hash` (the
/// SHA-256 of `bytes` when they are no change), with the stored record's kind and ward when
/// the server holds it, inside the request's transaction.
fn keep_rejection(
    tx: &mut dyn Sql,
    auth: &DeviceAuth,
    record: RecordId,
    hash: &[u8],
    bytes: &[u8],
    code: &str,
    reason: &str,
) -> Result<(), AppError> {
    use sha2::Digest;
    let hash = if hash.is_empty() { sha2::Sha256::digest(bytes).to_vec() } else { hash.to_vec() };
    let tenant = &auth.scope.tenant;
    let stored =
        tx.row("SELECT kind, ward FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, record.to_string()])?;
    let (kind, ward) = match stored {
        Some(row) => (row.opt_text(0)?, row.opt_text(1)?),
        None => (None, None),
    };
    let kept = tx
        .row(
            "SELECT COUNT(*) FROM rejections WHERE tenant = ?1 AND device = ?2",
            params![tenant, auth.device.to_string()],
        )?
        .map_or(Ok(0), |r| r.int(0))?;
    if kept >= REJECTIONS_PER_DEVICE {
        return Ok(());
    }
    let reason: String = reason.chars().take(REJECTION_REASON_CHARS).collect();
    tx.exec(
        "INSERT INTO rejections (tenant, hash, record, device, user_id, kind, ward, code, reason, rejected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (tenant, hash) DO NOTHING",
        params![
            tenant,
            hash,
            record.to_string(),
            auth.device.to_string(),
            auth.scope.user.to_string(),
            kind,
            ward,
            code,
            reason,
            now_ms()
        ],
    )?;
    Ok(())
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
    mut prepared: Prepared,
) -> Result<(Answers, Tally), AppError> {
    let mut batch = Batch::default();
    if !changes.is_empty() {
        // The lock, and the first sequence number this request may give: numbers are counted
        // here and written back once, not taken with one statement (and one rewrite of the
        // town's row) per change.
        let next = tx
            .row(
                "UPDATE tenants SET next_seq = next_seq WHERE id = ?1 RETURNING next_seq",
                params![&auth.scope.tenant],
            )?
            .ok_or_else(|| AppError::UnknownTenant(auth.scope.tenant.clone()))?
            .int(0)?;
        batch.seq = Some(Seqs { first: next, next });
    }
    let mut answers = Answers { acks: Vec::with_capacity(changes.len()), hashes: Vec::with_capacity(changes.len()) };
    let mut tally = Tally::default();
    for (i, item) in changes.iter().enumerate() {
        // A change worked out ahead was parsed then: it is taken as parsed (if these are the
        // bytes it was parsed from) instead of being parsed again.
        let ahead = prepared
            .steps
            .remove(&i)
            .filter(|(record, change, _)| *record == item.record && change.raw_bytes() == item.bytes.as_slice());
        let too_large = item.bytes.len() > shape::MAX_CHANGE_BYTES;
        let parsed = match ahead {
            Some((_, change, step)) => Ok((change, Some(step))),
            None => Change::from_bytes(item.bytes.clone()).map(|change| (change, None)),
        };
        let (hash, outcome) = match parsed {
            Ok((change, _)) if too_large => (
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
            Ok((change, _)) if !checksum_matches(&change) => (
                change.hash().0.to_vec(),
                reject("malformed_change", "the change's checksum does not match its contents"),
            ),
            Ok((change, step)) => {
                let hash = change.hash();
                (hash.0.to_vec(), take_in(tx, auth, refs, &mut batch, item.record, change, &item.bytes, step)?)
            }
            Err(e) => (vec![], reject("malformed_change", format!("not an Automerge change: {e}"))),
        };
        match &outcome {
            Outcome::Stored { .. } => tally.stored += 1,
            Outcome::Duplicate => tally.duplicate += 1,
            Outcome::Parked => tally.parked += 1,
            Outcome::Rejected { code, reason } => {
                tally.rejected += 1;
                keep_rejection(tx, auth, item.record, &hash, &item.bytes, code, reason)?;
            }
        }
        answers.acks.push(outcome);
        answers.hashes.push(hash);
    }
    if let Some(seqs) = batch.seq
        && seqs.next > seqs.first
    {
        tx.exec("UPDATE tenants SET next_seq = ?2 WHERE id = ?1", params![&auth.scope.tenant, seqs.next])?;
    }
    Ok((answers, tally))
}

/// The town's sequence numbers a request has given: from `first` (the town's `next_seq` when
/// its row was locked) up to `next`, written back when the request's changes are in.
#[derive(Clone, Copy)]
struct Seqs {
    first: i64,
    next: i64,
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
    /// The sequence numbers given so far (set once the town's row is locked).
    seq: Option<Seqs>,
}

#[allow(clippy::too_many_arguments)]
fn take_in(
    conn: &mut dyn Sql,
    auth: &DeviceAuth,
    refs: &ReferenceData,
    batch: &mut Batch,
    record: RecordId,
    change: Change,
    bytes: &[u8],
    step: Option<Step>,
) -> Result<Outcome, AppError> {
    let tenant = &auth.scope.tenant;
    let key = record.to_string();
    let hash = change.hash();
    // The prepared step counts only if it started from the bytes stored now: another request
    // may have stored a change of this record since it was worked out.
    let (mut held, step) = match batch.last.take() {
        Some((last, held)) if last == record => {
            let step = step.filter(|s| s.base_is(&held.bytes, held.appended));
            (held, step)
        }
        _ => {
            let (bytes, appended) = stored(conn, tenant, &key)?;
            match step {
                Some(mut s) if s.base_is(&bytes, appended) => {
                    let record = s.before.take();
                    (Held { doc: AutoCommit::new(), bytes, appended, record }, Some(s))
                }
                _ => (Held::read(bytes, appended, &key)?, None),
            }
        }
    };
    if let Some(step) = step {
        // Worked out from these very bytes: not a retry, and its dependencies are present.
        let outcome = apply(conn, auth, refs, batch, record, &mut held, change, bytes, auth.device, Some(step))?;
        if matches!(outcome, Outcome::Stored { .. }) {
            unpark(conn, auth, refs, batch, record, &mut held)?;
        }
        batch.last = Some((record, held));
        return Ok(outcome);
    }
    // A record's document holds exactly the changes stored for it (both are written in one
    // transaction), so it answers whether this one is a retry without a query.
    if held.doc.get_change_by_hash(&hash).is_some() {
        batch.last = Some((record, held));
        return Ok(Outcome::Duplicate);
    }
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
    let outcome = apply(conn, auth, refs, batch, record, &mut held, change, bytes, auth.device, None)?;
    if matches!(outcome, Outcome::Stored { .. }) {
        unpark(conn, auth, refs, batch, record, &mut held)?;
    }
    batch.last = Some((record, held));
    Ok(outcome)
}

/// The document half of a request's changes, worked out before the town's transaction (so
/// requests to one town, and the records of one request, are worked on in parallel, and only
/// the checks that read the database wait for the town's lock): for each change, the document
/// it leaves and what [`judge`] said, from the record's bytes as stored when it was worked out.
/// Inside the transaction a step counts only if the record's bytes are still those; otherwise
/// the change is worked out again there.
#[derive(Default)]
pub struct Prepared {
    steps: Steps,
}

/// The changes worked out ahead, by their place in the request: the record each goes to, the
/// change as parsed, and its step.
type Steps = std::collections::HashMap<usize, (RecordId, Change, Step)>;

/// One change worked out ahead: the stored bytes it started from, the record they read as,
/// the document it left and the judgement.
struct Step {
    base: Vec<u8>,
    base_appended: i64,
    before: Option<Record>,
    doc: AutoCommit,
    judged: Result<Judged, Outcome>,
}

impl Step {
    fn base_is(&self, bytes: &[u8], appended: i64) -> bool {
        self.base_appended == appended && self.base == bytes
    }
}

/// Requests with fewer changes than this are worked out on one thread.
const PARALLEL_FROM: usize = 16;

/// The distinct records `changes` go to, in order of first appearance.
pub fn records_of(changes: &[RecordBytes]) -> Vec<RecordId> {
    let mut seen = std::collections::HashSet::new();
    changes.iter().map(|c| c.record).filter(|r| seen.insert(*r)).collect()
}

/// The stored bytes of `records` (empty for a record not stored yet), read in one short
/// transaction before [`prepare`].
pub fn stored_bytes(
    conn: &mut dyn Sql,
    tenant: &str,
    records: &[RecordId],
) -> Result<Vec<(RecordId, Vec<u8>, i64)>, AppError> {
    records
        .iter()
        .map(|r| {
            let (bytes, appended) = stored(conn, tenant, &r.to_string())?;
            Ok((*r, bytes, appended))
        })
        .collect()
}

/// Works out the document half of `changes` from the records' stored bytes, on up to
/// `threads` threads (records are split between them, a record's changes stay in order).
pub fn prepare(stored: Vec<(RecordId, Vec<u8>, i64)>, changes: &[RecordBytes], threads: usize) -> Prepared {
    let mut groups: Vec<Group> =
        stored.into_iter().map(|(r, bytes, appended)| (r, bytes, appended, Vec::new())).collect();
    let index: std::collections::HashMap<RecordId, usize> = groups.iter().enumerate().map(|(i, g)| (g.0, i)).collect();
    for (at, item) in changes.iter().enumerate() {
        if let Some(&i) = index.get(&item.record) {
            groups[i].3.push((at, item));
        }
    }
    let threads = if changes.len() < PARALLEL_FROM { 1 } else { threads.clamp(1, groups.len().max(1)) };
    if threads == 1 {
        let mut steps = std::collections::HashMap::new();
        groups.into_iter().for_each(|g| prepare_record(g, &mut steps));
        return Prepared { steps };
    }
    // Shares of about equal numbers of changes.
    let per = changes.len().div_ceil(threads);
    let mut shares: Vec<Vec<_>> = (0..threads).map(|_| Vec::new()).collect();
    let (mut share, mut filled) = (0, 0);
    for g in groups {
        filled += g.3.len();
        shares[share].push(g);
        if filled >= per * (share + 1) && share + 1 < threads {
            share += 1;
        }
    }
    let steps = std::thread::scope(|scope| {
        let workers: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    let mut steps = std::collections::HashMap::new();
                    share.into_iter().for_each(|g| prepare_record(g, &mut steps));
                    steps
                })
            })
            .collect();
        let mut all = std::collections::HashMap::new();
        for worker in workers {
            // A worker that panicked leaves its records to be worked out in the transaction.
            if let Ok(steps) = worker.join() {
                all.extend(steps);
            }
        }
        all
    });
    Prepared { steps }
}

/// One record's stored bytes, how many changes were appended to them, and its changes in the
/// request with their places.
type Group<'a> = (RecordId, Vec<u8>, i64, Vec<(usize, &'a RecordBytes)>);

/// Works out one record's changes in order, each from what the one before left (as if it was
/// stored: if the transaction refuses it, the next one's base no longer matches).
fn prepare_record((record, bytes, appended, items): Group, steps: &mut Steps) {
    let Ok(mut held) = Held::read(bytes, appended, "") else { return };
    let last = items.len().saturating_sub(1);
    for (i, (at, item)) in items.into_iter().enumerate() {
        // What `ingest` refuses before a change reaches its record is not worked out here.
        if item.bytes.len() > shape::MAX_CHANGE_BYTES {
            continue;
        }
        let Ok(change) = Change::from_bytes(item.bytes.clone()) else { continue };
        let hash = change.hash();
        if !checksum_matches(&change)
            || held.doc.get_change_by_hash(&hash).is_some()
            || change.deps().iter().any(|d| held.doc.get_change_by_hash(d).is_none())
        {
            continue;
        }
        let (base, base_appended, before) = (held.bytes.clone(), held.appended, held.record.clone());
        let judged = judge(&mut held, record, &change);
        let doc = match (&judged, i == last) {
            (Ok(_), false) => held.doc.clone(),
            (Ok(_), true) => std::mem::take(&mut held.doc),
            (Err(_), _) => {
                // Refused: the step needs no document, and the next change starts from the
                // bytes as they were.
                if i != last && held.restore().is_err() {
                    return;
                }
                AutoCommit::new()
            }
        };
        if let Ok(j) = &judged {
            held.bytes = j.stored.clone();
            held.appended = j.appended;
            held.record = Some(j.after.clone());
        }
        steps.insert(at, (record, change, Step { base, base_appended, before, doc, judged }));
    }
}

/// [`prepare`] on one thread, reading the stored bytes in the caller's transaction: for
/// callers that have no time before it (the simulation, the fuzz targets, tests).
pub fn prepare_in(conn: &mut dyn Sql, tenant: &str, changes: &[RecordBytes]) -> Result<Prepared, AppError> {
    let stored = stored_bytes(conn, tenant, &records_of(changes))?;
    Ok(prepare(stored, changes, 1))
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

/// A record's stored bytes and how many changes were appended to them (none for a new record).
fn stored(conn: &mut dyn Sql, tenant: &str, key: &str) -> Result<(Vec<u8>, i64), AppError> {
    let row = conn.row("SELECT doc, appended FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, key])?;
    match row {
        Some(row) => Ok((row.blob(0)?, row.int(1)?)),
        None => Ok((Vec::new(), 0)),
    }
}

impl Held {
    /// The stored bytes of record `key` read as its document and record.
    fn read(bytes: Vec<u8>, appended: i64, key: &str) -> Result<Held, AppError> {
        if bytes.is_empty() {
            return Ok(Held { doc: AutoCommit::new(), bytes, appended, record: None });
        }
        let doc = AutoCommit::load(&bytes)
            .map_err(|e| AppError::Internal(format!("stored record {key} is unreadable: {e}")))?;
        let record = hydrate(&doc);
        Ok(Held { doc, bytes, appended, record })
    }
}

fn hydrate(doc: &AutoCommit) -> Option<Record> {
    if doc.keys(automerge::ROOT).next().is_none() { None } else { wardbook::document::read_record(doc).ok() }
}

/// What a change leaves when it passes the checks that need nothing but the document: the
/// record it reads as, its conflicting fields, and the bytes to store.
struct Judged {
    after: Record,
    conflicts: usize,
    stored: Vec<u8>,
    appended: i64,
}

/// Applies `change` to `held.doc` and judges what it leaves by the document alone (the
/// caller restores the document when this refuses it). The same whether it runs before the
/// town's transaction ([`prepare`]) or inside it.
fn judge(held: &mut Held, record: RecordId, change: &Change) -> Result<Judged, Outcome> {
    let candidate = &mut held.doc;
    // Automerge can panic on a crafted change (found by the `ingest_changes` fuzz target):
    // such a change is refused like any other malformed one, never a failed request.
    let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| candidate.apply_changes([change.clone()])));
    match applied {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(reject("malformed_change", e.to_string())),
        Err(_) => return Err(reject("malformed_change", "the change could not be applied to the record")),
    }
    // The document must be exactly what a record reconciles to: no unknown key, no value of
    // another type, nothing nested deeper than a record nests. Checked without recursion.
    let (after, conflicts) = match shape::check_counting(candidate) {
        Ok(Some(checked)) => (checked.record, checked.conflicts),
        Ok(None) => {
            return Err(reject("invalid_document", "the change leaves a document that is not a Wardbook record"));
        }
        Err(e) => return Err(reject("invalid_document", e.to_string())),
    };
    // The stored document must load again (the next change of this record starts from it): a
    // crafted change can leave one whose saved bytes do not (also found by `ingest_changes`).
    // (Written without DEFLATE: the same columns, so the same test, at a quarter of the cost.)
    let saved = candidate.save_nocompress();
    if !std::panic::catch_unwind(|| AutoCommit::load(&saved).is_ok()).unwrap_or(false) {
        return Err(reject("malformed_change", "the change leaves a record that cannot be read back"));
    }
    // What is kept, and sent to a device that bootstraps: the stored bytes with this change
    // appended (changes compress to half of what a document does in a page), or, once enough
    // were appended, the document written out again.
    let (stored, appended) =
        if held.appended < APPEND_AT_MOST && held.bytes.len() + change.raw_bytes().len() <= shape::MAX_RECORD_BYTES {
            ([held.bytes.as_slice(), change.raw_bytes()].concat(), held.appended + 1)
        } else {
            (saved, 0)
        };
    if stored.len() > shape::MAX_RECORD_BYTES {
        return Err(reject(
            "record_too_large",
            format!(
                "a record may grow to {} KiB; this change makes it {} KiB",
                shape::MAX_RECORD_BYTES / 1024,
                stored.len() / 1024
            ),
        ));
    }
    if after.id != record {
        return Err(reject("identity_changed", format!("the change belongs to record {}, not {record}", after.id)));
    }
    Ok(Judged { after, conflicts, stored, appended })
}

/// Checks one change against the device's scope and stores it with the next sequence number.
/// The change is applied to the held document itself (copying the document for each change
/// was a tenth of the work), or its prepared `step` is used; a refused change puts the
/// document back as stored.
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
    step: Option<Step>,
) -> Result<Outcome, AppError> {
    // Every refusal after the change was applied returns from this closure, and the document
    // goes back to its stored bytes.
    let outcome = (|| -> Result<Outcome, AppError> {
        let before = held.record.clone();
        let judged = match step {
            Some(step) => {
                held.doc = step.doc;
                step.judged
            }
            None => judge(held, record, &change),
        };
        let Judged { after, conflicts, stored, appended } = match judged {
            Ok(judged) => judged,
            Err(refusal) => return Ok(refusal),
        };
        let candidate = &mut held.doc;
        let actor = change.actor_id().to_hex_string();
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
        let seqs = batch
            .seq
            .as_mut()
            .ok_or_else(|| AppError::Internal("a change stored before its town was locked".into()))?;
        let seq = seqs.next;
        seqs.next += 1;
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
        apply(conn, auth, refs, batch, record, held, change, &bytes, device, None)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Scope, transact};
    use wardbook::domain::Body;

    /// One edit of the town's seed record, written by `actor` from the stored copy.
    fn edit(town: &crate::fuzz::Town, actor: u8, subject: &str) -> RecordBytes {
        let mut doc = wardbook::document::RecordDoc::load(&[actor; 16], &town.doc, &[]).expect("seed loads");
        let heads = doc.heads();
        let mut record = doc.record().expect("seed reads");
        let Body::Inspection(i) = &mut record.body else { panic!("the seed is an inspection") };
        i.subject = subject.into();
        doc.update(&record).expect("edit");
        let change = doc.changes_since(&heads).remove(0);
        RecordBytes { record: town.record, bytes: change.raw_bytes().to_vec() }
    }

    fn push(town: &crate::fuzz::Town, changes: &[RecordBytes], prepared: Prepared) -> Outcome {
        let (answers, _) =
            transact(&town.store, &Scope::Admin, |sql| ingest(sql, &town.auth, &town.refs, changes, prepared))
                .expect("ingest runs");
        answers.acks.into_iter().next().expect("one answer")
    }

    /// A change worked out before another request stored a change of the same record is
    /// worked out again in the transaction: both are kept, neither overwrites the other.
    #[test]
    fn a_stale_preparation_is_worked_out_again() {
        let town = crate::fuzz::Town::new().expect("town");
        let (a, b) = (edit(&town, 7, "Shop A"), edit(&town, 8, "Shop B"));
        let stale = transact(&town.store, &Scope::Admin, |sql| {
            prepare_in(sql, &town.auth.scope.tenant, std::slice::from_ref(&b))
        })
        .expect("prepare");
        assert_eq!(stale.steps.len(), 1, "the change was worked out ahead");
        let fresh = transact(&town.store, &Scope::Admin, |sql| {
            prepare_in(sql, &town.auth.scope.tenant, std::slice::from_ref(&a))
        })
        .expect("prepare");
        assert!(matches!(push(&town, std::slice::from_ref(&a), fresh), Outcome::Stored { .. }));
        assert!(matches!(push(&town, std::slice::from_ref(&b), stale), Outcome::Stored { .. }));
        let (bytes, _) =
            transact(&town.store, &Scope::Admin, |sql| stored(sql, &town.auth.scope.tenant, &town.record.to_string()))
                .expect("read");
        let doc = AutoCommit::load(&bytes).expect("stored record loads");
        for change in [&a, &b] {
            let hash = Change::from_bytes(change.bytes.clone()).expect("change").hash();
            assert!(doc.get_change_by_hash(&hash).is_some(), "both edits are stored");
        }
        let record = wardbook::document::read_record(&doc).expect("reads");
        let Body::Inspection(i) = &record.body else { panic!("an inspection") };
        assert!(["Shop A", "Shop B"].contains(&i.subject.as_str()), "one of the two subjects wins: {}", i.subject);
        // And a retry of either, prepared from the bytes now stored, is a duplicate.
        let again = transact(&town.store, &Scope::Admin, |sql| {
            prepare_in(sql, &town.auth.scope.tenant, std::slice::from_ref(&b))
        })
        .expect("prepare");
        assert!(again.steps.is_empty(), "a stored change is not worked out again");
        assert_eq!(push(&town, std::slice::from_ref(&b), again), Outcome::Duplicate);
    }

    /// Records of one request are split between threads and each record's changes stay in order:
    /// the same steps as on one thread.
    #[test]
    fn parallel_preparation_matches_one_thread() {
        let town = crate::fuzz::Town::new().expect("town");
        let mut changes = Vec::new();
        for n in 0..20u8 {
            let id = RecordId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0001_0000 + n as u128));
            let record = wardbook::demo::inspection(id, 1_780_000_000_000, "W01", n as u32);
            let mut doc = wardbook::document::RecordDoc::new(&[9; 16], &record).expect("doc");
            changes.push(RecordBytes { record: id, bytes: doc.changes_since(&[]).remove(0).raw_bytes().to_vec() });
        }
        let stored = transact(&town.store, &Scope::Admin, |sql| {
            stored_bytes(sql, &town.auth.scope.tenant, &records_of(&changes))
        })
        .expect("read");
        let one = prepare(stored.clone(), &changes, 1);
        let two = prepare(stored, &changes, 2);
        assert_eq!(one.steps.len(), 20);
        let mut keys: Vec<_> = two.steps.keys().collect();
        keys.sort();
        let mut expected: Vec<_> = one.steps.keys().collect();
        expected.sort();
        assert_eq!(keys, expected);
        for (key, (record, change, step)) in &two.steps {
            let (other_record, other_change, other) = &one.steps[key];
            assert_eq!((record, change.hash()), (other_record, other_change.hash()), "the same change at {key}");
            assert_eq!(changes[*key].record, *record, "a step is keyed by its change's place in the request");
            assert_eq!(
                step.judged.as_ref().map(|j| (&j.after, &j.stored)).ok(),
                other.judged.as_ref().map(|j| (&j.after, &j.stored)).ok()
            );
        }
    }
}
