//! The entry points of the fuzz targets (`fuzz/`, cargo-fuzz) as plain functions, so that the
//! normal `cargo test` replays every saved corpus file and crash through exactly the code the
//! fuzzer ran (`tests/it/fuzz_corpus.rs`). Each takes arbitrary bytes, drives the server's own
//! functions with them and panics only when an invariant breaks (or the code under test does).
//!
//! - [`sync_request`]: the sync body decoder — zstd, then CBOR, with the size limits.
//! - [`ingest_changes`]: pushed Automerge changes into [`crate::ingest::ingest`] on a real
//!   (in-memory SQLite) server database, and the same bytes into the device's merge.
//! - [`blob_upload`]: the photo channel's state machine ([`crate::blobs::admit`],
//!   [`crate::blobs::Piece`], [`crate::blobs::verified`]) against a model of the file.

use std::cell::RefCell;

use sha2::{Digest, Sha256};
use wardbook::domain::{ReferenceData, Role};
use wardbook::ids::RecordId;
use wardbook::sync::wire::{self, Outcome, RecordBytes, SyncRequest, SyncResponse};

use crate::blobs::{Admit, BlobState, MAX_BLOB_BYTES, Piece, Range, admit, verified};
use crate::db::{self, DeviceAuth};
use crate::error::AppError;
use crate::store::{Scope, Sql, SqliteStore, transact};
use crate::{ingest, params};

/// One fuzz target's entry: bytes in, a panic on a broken invariant.
pub type Entry = fn(&[u8]);

/// The fuzz targets, by the name of their directories under `fuzz/corpus` and `fuzz/artifacts`.
pub const TARGETS: &[(&str, Entry)] =
    &[("sync_request", sync_request), ("ingest_changes", ingest_changes), ("blob_upload", blob_upload)];

/// A sync body, as the server's decoder gets it, and again as CBOR behind valid zstd (so the
/// fuzzer reaches the CBOR decoder without having to find zstd frames). Whatever decodes must
/// encode and decode to itself.
pub fn sync_request(data: &[u8]) {
    check_wire(data);
    if let Ok(framed) = zstd::bulk::compress(data, 1) {
        check_wire(&framed);
    }
}

fn check_wire(body: &[u8]) {
    if let Ok(request) = wire::decode_request(body) {
        assert_eq!(request.protocol, wire::PROTOCOL_VERSION);
        assert_eq!(wire::decode_request(&wire::encode(&request)).as_ref(), Ok(&request), "a request round trip");
    }
    if let Ok(response) = wire::decode::<SyncResponse>(body) {
        assert_eq!(wire::decode::<SyncResponse>(&wire::encode(&response)).as_ref(), Ok(&response));
    }
    let _ = wire::decode::<SyncRequest>(body);
}

/// A town with one device of a supervisor (the widest write scope) and one record stored, so
/// changes to an existing record go through every check.
struct Town {
    store: SqliteStore,
    auth: DeviceAuth,
    refs: ReferenceData,
    /// The stored record and its document.
    record: RecordId,
    doc: Vec<u8>,
}

/// The fixed key of the fuzzed device: a receipt signed with it passes the signature check.
pub fn device_key() -> wardbook::ledger::DeviceKey {
    wardbook::ledger::DeviceKey::from_seed([7; 32])
}

/// The record every town of the fuzzer starts with, and the id of the record a fuzzed change
/// creates when its flag says "new".
pub fn seed_record() -> wardbook::domain::Record {
    let id = RecordId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_f001));
    wardbook::demo::inspection(id, 1_780_000_000_000, "W01", 1)
}

pub fn new_record_id() -> RecordId {
    RecordId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_f002))
}

impl Town {
    fn new() -> Result<Town, AppError> {
        let store = SqliteStore::open(std::path::Path::new(":memory:"))?;
        let tenant = wardbook::demo::TENANT;
        let refs = crate::cli::demo_reference(tenant, "Nabha");
        let key = wardbook::ledger::encode_signature(&device_key().public_key().to_bytes());
        let auth = transact(&store, &Scope::Admin, |sql| {
            db::tenant_add(sql, tenant, "Nabha", &refs)?;
            let (_, code) = db::device_enroll(sql, tenant, wardbook::demo::user_id(Role::Supervisor))?;
            let enrollment = db::enroll(sql, &code, "fuzz", Some(&key))?;
            db::authenticate(sql, &enrollment.token)
        })?;
        let refs = transact(&store, &Scope::Admin, |sql| db::reference(sql, tenant))?;
        let record = seed_record();
        let mut doc =
            wardbook::document::RecordDoc::new(&[1; 16], &record).map_err(|e| AppError::Internal(e.to_string()))?;
        let change = RecordBytes { record: record.id, bytes: doc.changes_since(&[]).remove(0).raw_bytes().to_vec() };
        let (acks, _) = transact(&store, &Scope::Admin, |sql| ingest::ingest(sql, &auth, &refs, &[change]))?;
        assert!(matches!(acks[0].outcome, Outcome::Stored { .. }), "the seed record is stored: {acks:?}");
        Ok(Town { store, auth, refs, record: record.id, doc: doc.save() })
    }
}

thread_local! {
    static TOWN: RefCell<Option<Town>> = const { RefCell::new(None) };
}

/// An Automerge chunk whose checksum is recomputed, so mutated changes get past the checksum
/// and into the decoder and the server's checks. Other bytes are returned as they are.
pub fn with_valid_checksum(bytes: &[u8]) -> Vec<u8> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut out = bytes.to_vec();
    if out.len() > 9 && out[..4] == MAGIC {
        let sum = Sha256::digest(&out[8..]);
        out[4..8].copy_from_slice(&sum[..4]);
    }
    out
}

/// The pushed changes of one request: chunks of `flags, length (u16 LE), bytes`. Flag bit 0:
/// the change is for a new record (else for the stored one); bit 1: repair the checksum.
pub fn split_changes(data: &[u8], town_record: RecordId) -> Vec<RecordBytes> {
    let mut changes = Vec::new();
    let mut rest = data;
    while rest.len() >= 3 && changes.len() < 16 {
        let (flags, len) = (rest[0], u16::from_le_bytes([rest[1], rest[2]]) as usize);
        let body = &rest[3..];
        let take = len.min(body.len());
        let bytes = if flags & 2 != 0 { with_valid_checksum(&body[..take]) } else { body[..take].to_vec() };
        let record = if flags & 1 != 0 { new_record_id() } else { town_record };
        changes.push(RecordBytes { record, bytes });
        rest = &body[take..];
    }
    changes
}

/// The other side of [`split_changes`], for writing seeds.
pub fn join_changes(changes: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (flags, bytes) in changes {
        out.push(*flags);
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// Pushes the changes in `data` to a server database in one transaction (rolled back after the
/// checks, so every input starts from the same town), and merges each into the device's copy.
pub fn ingest_changes(data: &[u8]) {
    TOWN.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(Town::new().expect("the fuzzed town opens"));
        }
        let town = cell.as_ref().expect("just made");
        let changes = split_changes(data, town.record);
        let result = transact(&town.store, &Scope::Admin, |sql| {
            let before = next_seq(sql)?;
            let (acks, tally) = ingest::ingest(sql, &town.auth, &town.refs, &changes)?;
            check_acks(sql, &changes, &acks, before)?;
            let counted = tally.stored + tally.duplicate + tally.parked + tally.rejected;
            assert_eq!(counted, changes.len() as u64);
            Err::<(), _>(AppError::Internal(ROLLBACK.into()))
        });
        match result {
            Err(AppError::Internal(m)) if m == ROLLBACK => {}
            other => panic!("ingest failed other than by refusing a change: {other:?}"),
        }
        // The device's side: the same bytes merged into its copy of the record, and loaded alone.
        for change in &changes {
            if let Ok(mut doc) = wardbook::document::RecordDoc::load(&[2; 16], &town.doc, &[])
                && doc.apply_bytes(&change.bytes).is_ok()
            {
                let _ = doc.record();
                let _ = doc.conflicts();
            }
            if let Ok(doc) = wardbook::document::RecordDoc::load(&[2; 16], &change.bytes, &[]) {
                let _ = doc.record();
            }
        }
    })
}

const ROLLBACK: &str = "fuzz: roll back";

fn next_seq(sql: &mut dyn Sql) -> Result<i64, AppError> {
    sql.row("SELECT next_seq FROM tenants WHERE id = ?1", params![wardbook::demo::TENANT])?
        .ok_or_else(|| AppError::Internal("no town".into()))?
        .int(0)
}

/// One ack per change, in order; stored changes numbered densely from the town's next seq, in
/// the log, their record readable and in the town; rejected ones nowhere in the log.
fn check_acks(
    sql: &mut dyn Sql,
    changes: &[RecordBytes],
    acks: &[wire::Ack],
    mut expect_seq: i64,
) -> Result<(), AppError> {
    assert_eq!(acks.len(), changes.len(), "one ack per change");
    let tenant = wardbook::demo::TENANT;
    for (change, ack) in changes.iter().zip(acks) {
        assert_eq!(ack.record, change.record);
        let key = ack.record.to_string();
        let logged = |sql: &mut dyn Sql| {
            sql.exists(
                "SELECT 1 FROM changes WHERE tenant = ?1 AND record = ?2 AND hash = ?3",
                params![tenant, &key, ack.hash.as_slice()],
            )
        };
        match &ack.outcome {
            Outcome::Stored { seq } => {
                // Parked changes of the same request may be stored first (unparked).
                assert!(*seq as i64 >= expect_seq, "seq {seq} after {expect_seq}");
                expect_seq = *seq as i64 + 1;
                assert!(logged(sql)?, "a stored change is in the log");
                let row = sql
                    .row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, &key])?
                    .expect("a stored change's record exists");
                let record = wardbook::document::RecordDoc::load(&[3; 16], &row.blob(0)?, &[])
                    .and_then(|d| d.record())
                    .expect("a stored record reads back");
                assert_eq!((record.id, record.tenant.as_str()), (ack.record, tenant));
            }
            Outcome::Rejected { .. } => assert!(!logged(sql)?, "a rejected change entered the log"),
            Outcome::Duplicate | Outcome::Parked => {}
        }
    }
    let after = next_seq(sql)?;
    let logged =
        sql.row("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![tenant])?.expect("a count").int(0)?;
    assert_eq!(after - 1, logged, "the log stays dense: next_seq follows it");
    Ok(())
}

/// A blob upload driven by the input: a blob of up to 4 KiB (or a name that is not its hash),
/// then `HEAD`s and pieces — ranges written by the input, bodies cut into frames and cut off,
/// sometimes with wrong bytes — through the server's own functions, against a model: the file
/// is always the first bytes of what was sent, never longer than the blob, complete only when
/// it is the blob and hashes to its name.
pub fn blob_upload(data: &[u8]) {
    let mut input = Input(data);
    let size = 1 + input.u16() as usize % 4096;
    let fill = input.byte();
    let blob: Vec<u8> = (0..size).map(|i| (i as u8).wrapping_mul(31).wrapping_add(fill)).collect();
    let right_name = hex::encode(Sha256::digest(&blob));
    let name = if input.byte() % 8 == 0 { hex::encode(Sha256::digest(b"another photo")) } else { right_name.clone() };
    // What the server's file holds, and whether it is complete (renamed after the check).
    let mut file: Vec<u8> = Vec::new();
    let mut complete = false;
    // Whether wrong bytes went into the file since it was last empty.
    let mut tainted = false;
    let state = |file: &Vec<u8>, complete: bool| match (complete, file.len()) {
        (true, n) => BlobState::Complete(n as u64),
        (false, 0) => BlobState::Missing,
        (false, n) => BlobState::Partial(n as u64),
    };
    for _ in 0..32 {
        if input.0.is_empty() {
            break;
        }
        let op = input.byte();
        let range = match op % 4 {
            0 => continue, // HEAD: the state, read above, changes nothing.
            1 => {
                let text = input.text();
                match Range::parse_content_range(&text) {
                    Ok(r) => r,
                    Err(_) => continue,
                }
            }
            2 => {
                // Resume where the server is, as the device's uploader does.
                let have = file.len() as u64;
                if complete || have >= size as u64 {
                    continue;
                }
                let end = (have + 1 + input.u16() as u64 % size as u64).min(size as u64);
                Range { start: have, end, total: size as u64 }
            }
            _ => {
                let start = input.u16() as u64 % size as u64;
                let end = (start + 1 + input.u16() as u64 % 2048).min(size as u64);
                let total = if input.byte() % 16 == 0 { end } else { size as u64 };
                Range { start, end, total }
            }
        };
        assert!(range.start < range.end && range.end <= range.total, "a parsed range is sane: {range:?}");
        if range.total > MAX_BLOB_BYTES {
            continue; // Refused before anything is read (routes.rs and append).
        }
        if range.end > size as u64 + 4096 {
            continue; // The model sends bodies of at most a few KiB.
        }
        let have = match admit(state(&file, complete), range) {
            Err(AppError::UploadOffset { have }) => {
                assert!(range.start > have && have == file.len() as u64, "a gap is refused");
                continue;
            }
            Err(e) => panic!("admit failed: {e:?}"),
            Ok(Admit::Answer(s)) => {
                assert!(complete || range.end <= file.len() as u64, "nothing to write for {range:?}: {s:?}");
                continue;
            }
            Ok(Admit::AppendAfter(have)) => have,
        };
        assert!(!complete && have == file.len() as u64 && range.start <= have && range.end > have);
        // The body: the blob's bytes of the range (or wrong ones), cut into frames, maybe cut off.
        // Bytes past the blob's end are wrong bytes too.
        let wrong = input.byte() % 10 == 0 || range.end > size as u64;
        let body: Vec<u8> = (range.start..range.end)
            .map(|i| {
                let b = blob.get(i as usize).copied().unwrap_or(0);
                if wrong { b ^ 0x5a } else { b }
            })
            .collect();
        let delivered = if input.byte() % 3 == 0 { input.u16() as usize % (body.len() + 1) } else { body.len() };
        let mut piece = Piece::new(range, have);
        let mut sent = 0;
        while piece.wants_more() && sent < delivered {
            let frame = (1 + input.byte() as usize * 7).min(delivered - sent);
            let keep = piece.take(&body[sent..sent + frame]);
            file.extend_from_slice(keep);
            sent += frame;
        }
        tainted |= wrong && file.len() as u64 > have;
        // The file holds exactly the body's bytes from `have` up to what arrived.
        let arrived = (range.start + sent as u64).min(range.end).max(have);
        assert_eq!(file.len() as u64, arrived, "bytes kept for {range:?} with {sent} delivered");
        assert_eq!(piece.file_len(), arrived);
        assert_eq!(&file[have as usize..], &body[(have - range.start) as usize..(arrived - range.start) as usize]);
        if !tainted {
            assert_eq!(&file[..], &blob[..file.len().min(blob.len())][..], "the file is the blob's beginning");
        }
        if (file.len() as u64) < range.total {
            continue;
        }
        if verified(&file, range.total, &name) {
            assert_eq!(name, right_name);
            assert_eq!(file, blob, "only the blob itself is ever complete");
            complete = true;
        } else {
            file.clear();
            tainted = false;
        }
    }
    assert!(file.len() <= size + 4096, "never longer than the longest piece the model sends");
    if complete {
        assert_eq!(file, blob);
    }
}

/// Reads the fuzzer's bytes as numbers and text; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.0.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        self.0 = rest;
        first
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn text(&mut self) -> String {
        let len = (self.byte() as usize % 40).min(self.0.len());
        let (text, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8_lossy(text).into_owned()
    }
}

/// Hand-made starting inputs of each target (valid messages, changes that store, park and
/// duplicate, uploads that complete): the saved corpus began as these, and `cargo test`
/// replays them with it.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "sync_request" => sync_seeds(),
        "ingest_changes" => ingest_seeds(),
        "blob_upload" => vec![
            vec![0x00, 0x01, 7, 1, 2, 0x00, 0x04, 0, 0, 2, 0xff, 0x0f, 0, 0],
            vec![0x10, 0x00, 3, 1, 3, 0, 0x08, 0, 1, 0, 3, 5, 2, 0, 2, 0xff, 0xff, 0, 0],
            vec![0x40, 0x00, 9, 1, 1, 20, b'b', b'y', b't', b'e', b's', b' ', b'0', b'-', b'9', b'/', b'6', b'4'],
            vec![0x20, 0x00, 0, 0, 2, 0x0f, 0, 0, 0, 2, 0xff, 0, 0, 0],
        ],
        _ => vec![],
    }
}

fn sync_seeds() -> Vec<Vec<u8>> {
    use wardbook::sync::wire::{Ack, Cursor, NumberRequest};
    let id = seed_record().id;
    let request = SyncRequest {
        protocol: wire::PROTOCOL_VERSION,
        cursor: Cursor { seq: 41, bootstrapped: true, snapshot_after: Some(id), epoch: "e1".into() },
        changes: vec![RecordBytes { record: id, bytes: vec![1, 2, 3] }],
        max_page_bytes: Some(4096),
        want_numbers: Some(NumberRequest { fy: "2026-27".into(), count: 100 }),
    };
    let response = SyncResponse {
        protocol: wire::PROTOCOL_VERSION,
        acks: vec![
            Ack { record: id, hash: vec![7; 32], outcome: Outcome::Stored { seq: 9 } },
            Ack { record: id, hash: vec![8; 32], outcome: Outcome::Rejected { code: "c".into(), reason: "r".into() } },
        ],
        items: vec![RecordBytes { record: id, bytes: vec![0; 10] }],
        cursor: Cursor::default(),
        more: true,
        reset: false,
        number_blocks: vec![],
    };
    let mut cbor = Vec::new();
    ciborium::into_writer(&request, &mut cbor).expect("CBOR to memory");
    vec![wire::encode(&request), wire::encode(&response), cbor, b"not a body".to_vec()]
}

fn ingest_seeds() -> Vec<Vec<u8>> {
    let doc_change = |doc: &mut wardbook::document::RecordDoc, heads: &[automerge::ChangeHash]| {
        doc.changes_since(heads).iter().map(|c| c.raw_bytes().to_vec()).collect::<Vec<_>>()
    };
    let seed = seed_record();
    let mut stored = wardbook::document::RecordDoc::new(&[1; 16], &seed).expect("a demo record");
    let creation = doc_change(&mut stored, &[]);
    // An edit of the stored record.
    let mut edited = seed.clone();
    if let wardbook::domain::Body::Inspection(i) = &mut edited.body {
        i.subject = "Edited by the fuzzer's seed".into();
    }
    let heads = stored.heads();
    let mut copy = stored.fork_as(&[5; 16]);
    copy.update(&edited).expect("an edit");
    let edit = doc_change(&mut copy, &heads);
    // New records of other kinds, one of them a receipt signed by the device's key.
    let new = |record: wardbook::domain::Record| {
        let mut doc = wardbook::document::RecordDoc::new(&[6; 16], &record).expect("a demo record");
        doc_change(&mut doc, &[]).remove(0)
    };
    let at = 1_780_000_000_000;
    let mut receipt = wardbook::demo::receipt(new_record_id(), at, "W02", 5);
    let signature = wardbook::ledger::sign(&device_key(), &receipt).expect("signs");
    if let wardbook::domain::Body::Receipt(r) = &mut receipt.body {
        r.signature = Some(wardbook::ledger::encode_signature(&signature));
        r.key_id = Some(device_key().public_key().key_id());
    }
    let trip = new(wardbook::demo::trip(new_record_id(), at, "W03", 6));
    let first = new(wardbook::demo::fsm_job(new_record_id(), at, "W01", 7));
    // A second change on the new record, sent before the first: parked, then unparked.
    let mut job = wardbook::document::RecordDoc::new(&[6; 16], &wardbook::demo::fsm_job(new_record_id(), at, "W01", 7))
        .expect("a demo record");
    let job_heads = job.heads();
    let mut later = wardbook::demo::fsm_job(new_record_id(), at, "W01", 7);
    if let wardbook::domain::Body::FsmJob(j) = &mut later.body {
        j.applicant_name = "Applicant renamed".into();
    }
    job.update(&later).expect("an edit");
    let second = doc_change(&mut job, &job_heads);
    vec![
        join_changes(&[(0, &edit[0])]),
        join_changes(&[(0, &creation[0]), (0, &edit[0]), (0, &edit[0])]),
        join_changes(&[(1, &new(receipt))]),
        join_changes(&[(1, &trip)]),
        join_changes(&[(1, &second[0]), (1, &first)]),
        join_changes(&[(1, &first), (0, &first), (3, &edit[0][..edit[0].len() / 2])]),
    ]
}
