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
//! - [`document_shape`]: a small program of Automerge operations (scalars of every type,
//!   objects, deep nesting, deletes, splices, workflow edits, concurrent branches merged) run
//!   on a demo record's document, then [`wardbook::document::shape::check`] and the server's
//!   ingest judged against each other.

use std::cell::RefCell;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};
use sha2::{Digest, Sha256};
use wardbook::document::shape;
use wardbook::domain::{Record, ReferenceData, Role};
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
pub const TARGETS: &[(&str, Entry)] = &[
    ("sync_request", sync_request),
    ("ingest_changes", ingest_changes),
    ("blob_upload", blob_upload),
    ("document_shape", document_shape),
];

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
        assert!((wire::OLDEST_PROTOCOL_VERSION..=wire::PROTOCOL_VERSION).contains(&request.protocol));
        assert_eq!(wire::decode_request(&wire::encode(&request)).as_ref(), Ok(&request), "a request round trip");
    }
    if let Ok(response) = wire::decode::<SyncResponse>(body) {
        assert_eq!(wire::decode::<SyncResponse>(&wire::encode(&response)).as_ref(), Ok(&response));
    }
    let _ = wire::decode::<SyncRequest>(body);
}

/// A town with one device of a supervisor (the widest write scope) and one record stored, so
/// changes to an existing record go through every check.
pub(crate) struct Town {
    pub(crate) store: SqliteStore,
    pub(crate) auth: DeviceAuth,
    pub(crate) refs: ReferenceData,
    /// The stored record and its document.
    pub(crate) record: RecordId,
    pub(crate) doc: Vec<u8>,
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
    pub(crate) fn new() -> Result<Town, AppError> {
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
        let (answers, _) = transact(&store, &Scope::Admin, |sql| {
            let changes = [change];
            let prepared = ingest::prepare_in(sql, &auth.scope.tenant, &changes)?;
            ingest::ingest(sql, &auth, &refs, &changes, prepared)
        })?;
        assert!(matches!(answers.acks[0], Outcome::Stored { .. }), "the seed record is stored: {:?}", answers.acks);
        Ok(Town { store, auth, refs, record: record.id, doc: doc.save() })
    }
}

thread_local! {
    static TOWN: RefCell<Option<Town>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's town, opened on first use.
fn with_town<T>(f: impl FnOnce(&Town) -> T) -> T {
    TOWN.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(Town::new().expect("the fuzzed town opens"));
        }
        f(cell.as_ref().expect("just made"))
    })
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
    with_town(|town| {
        let changes = split_changes(data, town.record);
        let result = transact(&town.store, &Scope::Admin, |sql| {
            let before = next_seq(sql)?;
            let (answers, tally) = {
                let prepared = ingest::prepare_in(sql, &town.auth.scope.tenant, &changes)?;
                ingest::ingest(sql, &town.auth, &town.refs, &changes, prepared)?
            };
            check_acks(sql, &changes, &answers, before)?;
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
    answers: &ingest::Answers,
    mut expect_seq: i64,
) -> Result<(), AppError> {
    assert_eq!(answers.acks.len(), changes.len(), "one ack per change");
    assert_eq!(answers.hashes.len(), changes.len(), "one hash per change");
    let tenant = wardbook::demo::TENANT;
    for (change, (ack, hash)) in changes.iter().zip(answers.acks.iter().zip(&answers.hashes)) {
        let key = change.record.to_string();
        let logged = |sql: &mut dyn Sql| {
            sql.exists(
                "SELECT 1 FROM changes WHERE tenant = ?1 AND record = ?2 AND hash = ?3",
                params![tenant, &key, hash.as_slice()],
            )
        };
        match ack {
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
                assert_eq!((record.id, record.tenant.as_str()), (change.record, tenant));
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

/// The stack the shape check gets in [`document_shape`]: a walk that recursed would overflow
/// it long before the program's thousands of levels.
pub const SMALL_STACK: usize = 256 * 1024;

/// The time of the fuzzed records.
const AT: wardbook::domain::UnixMillis = 1_780_000_000_000;

/// Keys a program writes at: the record's own (so values of the wrong type land where the
/// type has a field), and some that no record has.
const KEYS: &[&str] = &[
    "id",
    "tenant",
    "ward",
    "assignee",
    "created_by",
    "created_at",
    "transitions",
    "body",
    "Inspection",
    "AssetSurvey",
    "Receipt",
    "Reversal",
    "Handover",
    "FsmJob",
    "Trip",
    "subject",
    "answers",
    "location",
    "lat",
    "lon",
    "accuracy_m",
    "address",
    "photos",
    "from",
    "to",
    "role",
    "by",
    "at",
    "note",
    "resolves_review",
    "amount",
    "payer_name",
    "receipt_number",
    "signature",
    "key_id",
    "x",
    "",
    "0",
];

/// A program's budget: how many operations, and how many levels all its nesting loops make.
const MAX_OPS: usize = 96;
const MAX_NEST: usize = 6_000;

/// A demo record's document with a program of Automerge operations run on it by fresh actors:
/// the first byte picks the record's kind, then each operation is an opcode byte and its
/// operands (see [`Program::step`]). Then:
///
/// - [`shape::check`] runs on a thread with a [`SMALL_STACK`] and returns (no panic, no stack
///   overflow); a document that nests deeper than [`shape::MAX_DEPTH`] is never accepted, and
///   is refused as too deep unless a value count or a conflict of two kinds stops the walk
///   first;
/// - a record it accepts is the one the document (also saved and loaded) hydrates to, and is
///   accepted again when reconciled into a fresh document and into the fuzzed one;
///   [`wardbook::document::field_conflicts`] returns on the small stack, whatever the document;
/// - the record's creation and every change of the program go through the server's ingest
///   (a supervisor's device): no stored change leaves a document that the check refuses, and
///   every stored document loads back to the record the check gives.
pub fn document_shape(data: &[u8]) {
    let mut input = Input(data);
    let record = shape_record(input.byte());
    let mut created = wardbook::document::RecordDoc::new(&[1; 16], &record).expect("a demo record's document");
    let creation = created.changes_since(&[]).remove(0);
    let base = AutoCommit::load(&created.save()).expect("a demo record's document loads");
    let mut program = Program::new(base);
    while !input.0.is_empty() && program.ops < MAX_OPS {
        program.step(&mut input);
    }
    let doc = program.finish();
    let changes = doc.clone().get_changes(&[creation.hash()]);

    let checked = on_small_stack(|| shape::check(&doc));
    // The conflicts a supervisor is shown: listed on the small stack too, whatever the document.
    on_small_stack(|| wardbook::document::field_conflicts(&doc));
    let walk = Walk::of(&doc);
    if walk.deepest > shape::MAX_DEPTH {
        match &checked {
            Err(shape::ShapeError::TooDeep { .. }) => {}
            Err(shape::ShapeError::TooManyValues | shape::ShapeError::WrongType { .. })
                if walk.values > shape::MAX_NODES || walk.mixed_conflict => {}
            other => panic!("a document {} levels deep is not refused as too deep: {other:?}", walk.deepest),
        }
    }
    if let Ok(Some(accepted)) = &checked {
        assert!(walk.deepest <= shape::MAX_DEPTH && walk.values <= shape::MAX_NODES, "{walk:?} accepted");
        let hydrated: Record = autosurgeon::hydrate(&doc).expect("an accepted document hydrates");
        assert_eq!(&hydrated, accepted, "the check's record is the document's");
        let mut saved = doc.clone();
        let loaded = AutoCommit::load(&saved.save()).expect("an accepted document saves and loads");
        assert_eq!(shape::check(&loaded).as_ref(), Ok(&Some(accepted.clone())), "accepted again once loaded");
        let mut fresh = wardbook::document::RecordDoc::new(&[9; 16], accepted).expect("an accepted record reconciles");
        let fresh = AutoCommit::load(&fresh.save()).expect("a fresh document loads");
        assert_eq!(shape::check(&fresh).as_ref(), Ok(&Some(accepted.clone())), "its record, written afresh");
        // A device that reads the record and writes it back unchanged changes nothing of it.
        let mut rewritten = doc.clone().with_actor(automerge::ActorId::from([0xee; 16]));
        autosurgeon::reconcile(&mut rewritten, accepted).expect("an accepted record reconciles into its document");
        rewritten.commit();
        assert_eq!(shape::check(&rewritten).as_ref(), Ok(&Some(accepted.clone())), "written back unchanged");
    }
    with_town(|town| shape_on_server(town, &creation, &changes, &doc, &checked));
}

type Checked = Result<Option<Record>, wardbook::document::shape::ShapeError>;

/// The record a program starts from: a demo record of the kind `kind` picks. A receipt is
/// numbered in the series of the creating actor (`D01`: actor 0101…) and signed with the
/// fuzzed device's key, so the server stores it and the program's changes reach its checks.
fn shape_record(kind: u8) -> Record {
    let mut record = wardbook::demo::mixed(new_record_id(), AT, u32::from(kind));
    if let wardbook::domain::Body::Receipt(r) = &mut record.body {
        r.receipt_number = r.receipt_number.replace("/D1/", "/D01/");
    }
    if let wardbook::domain::Body::Receipt(_) = &record.body
        && let Ok(signature) = wardbook::ledger::sign(&device_key(), &record)
        && let wardbook::domain::Body::Receipt(r) = &mut record.body
    {
        r.signature = Some(wardbook::ledger::encode_signature(&signature));
        r.key_id = Some(device_key().public_key().key_id());
    }
    record
}

/// Runs `f` on a thread with a [`SMALL_STACK`]; its panic is this thread's.
fn on_small_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new().stack_size(SMALL_STACK).spawn_scoped(scope, f);
        match thread.expect("a thread starts").join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// What a walk of every value of a document (conflicting ones too) finds, independently of
/// the shape check: how deep objects with children nest, how many values there are, and
/// whether some conflict has values of two kinds.
#[derive(Debug, Default)]
struct Walk {
    deepest: usize,
    values: usize,
    mixed_conflict: bool,
}

impl Walk {
    fn of(doc: &AutoCommit) -> Walk {
        let mut walk = Walk::default();
        let mut stack = vec![(automerge::ROOT, 0usize)];
        while let Some((obj, depth)) = stack.pop() {
            let props: Vec<Prop> = match doc.object_type(&obj) {
                Ok(ObjType::Map | ObjType::Table) => doc.keys(&obj).map(Prop::Map).collect(),
                Ok(ObjType::List) => (0..doc.length(&obj)).map(Prop::Seq).collect(),
                _ => continue,
            };
            if !props.is_empty() {
                // The children of an object at depth d are at depth d + 1.
                walk.deepest = walk.deepest.max(depth + 1);
            }
            for prop in props {
                let values = doc.get_all(&obj, prop).unwrap_or_default();
                walk.values += values.len();
                let kinds: std::collections::BTreeSet<String> = values.iter().map(|(v, _)| kind_of(v)).collect();
                walk.mixed_conflict |= kinds.len() > 1;
                for (value, id) in values {
                    if let Value::Object(_) = value {
                        stack.push((id, depth + 1));
                    }
                }
            }
        }
        walk
    }
}

fn kind_of(value: &Value<'_>) -> String {
    match value {
        Value::Object(ObjType::Table) => format!("{:?}", ObjType::Map),
        Value::Object(t) => format!("{t:?}"),
        Value::Scalar(s) => format!("{:?}", std::mem::discriminant(s.as_ref())),
    }
}

/// A program being run: the main line of edits, maybe a branch forked at an older head, the
/// heads after each commit, and the objects it may address.
struct Program {
    main: AutoCommit,
    branch: Option<AutoCommit>,
    heads: Vec<Vec<ChangeHash>>,
    objects: Vec<ObjId>,
    actors: u8,
    ops: usize,
    nested: usize,
}

impl Program {
    fn new(mut base: AutoCommit) -> Program {
        let heads = vec![base.get_heads()];
        let objects = objects_of(&base);
        Program {
            main: base.with_actor(automerge::ActorId::from([0xd0; 16])),
            branch: None,
            heads,
            objects,
            actors: 0,
            ops: 0,
            nested: 0,
        }
    }

    fn doc(&mut self) -> &mut AutoCommit {
        self.branch.as_mut().unwrap_or(&mut self.main)
    }

    /// One operation. Errors (an object not in this branch, an index past the end) are part
    /// of the program: the operation does nothing.
    fn step(&mut self, input: &mut Input<'_>) {
        self.ops += 1;
        let op = input.byte();
        let obj = self.objects[input.byte() as usize % self.objects.len()].clone();
        let prop = prop_in(self.doc(), &obj, input);
        match op % 16 {
            0 | 1 => {
                let value = scalar(input);
                let _ = self.doc().put(&obj, prop, value);
            }
            2 => {
                let kind = obj_type(input.byte());
                if let Ok(made) = self.doc().put_object(&obj, prop, kind) {
                    self.objects.push(made);
                }
            }
            3 => {
                let value = scalar(input);
                let doc = self.doc();
                let _ = match (doc.object_type(&obj), prop) {
                    (Ok(ObjType::Text), Prop::Seq(i)) => doc.splice_text(&obj, i, 0, &input.text()),
                    (_, Prop::Seq(i)) => doc.insert(&obj, i, value),
                    (_, prop) => doc.put(&obj, prop, value),
                };
            }
            4 => {
                let kind = obj_type(input.byte());
                let made = match prop {
                    Prop::Seq(i) => self.doc().insert_object(&obj, i, kind),
                    prop => self.doc().put_object(&obj, prop, kind),
                };
                if let Ok(made) = made {
                    self.objects.push(made);
                }
            }
            5 => {
                let _ = self.doc().delete(&obj, prop);
            }
            6 => {
                let del = input.byte() as isize % 4 - 1;
                let values: Vec<automerge::hydrate::Value> =
                    (0..input.byte() % 4).map(|_| automerge::hydrate::Value::Scalar(scalar(input))).collect();
                if let Prop::Seq(i) = prop {
                    let _ = self.doc().splice(&obj, i, del, values);
                }
            }
            7 => self.nest(obj, prop, input),
            8 => {
                let by = i64::from(input.byte()) - 128;
                let _ = self.doc().increment(&obj, prop, by);
            }
            9 | 10 => self.edit_record(input),
            11 => self.commit(),
            12 => self.fork(input),
            13 => self.merge(),
            14 => {
                // The value already there, written again: on a branch, a conflict of one kind.
                if let Ok(Some((Value::Scalar(s), _))) = self.doc().get(&obj, prop.clone()) {
                    let s = s.into_owned();
                    let _ = self.doc().put(&obj, prop, s);
                }
            }
            _ => {
                if let Ok(text) = self.doc().put_object(&obj, prop, ObjType::Text) {
                    let _ = self.doc().splice_text(&text, 0, 0, &input.text());
                    self.objects.push(text);
                }
            }
        }
    }

    /// Objects nested in objects, up to thousands of levels, under one key or index.
    fn nest(&mut self, obj: ObjId, prop: Prop, input: &mut Input<'_>) {
        let levels = (input.u16() as usize % 4096).min(MAX_NEST - self.nested);
        self.nested += levels;
        let kind = input.byte();
        let doc = self.branch.as_mut().unwrap_or(&mut self.main);
        let Ok(mut inner) = doc.put_object(&obj, prop, obj_type(kind)) else { return };
        for level in 0..levels {
            let made = match doc.object_type(&inner) {
                Ok(ObjType::List) => doc.insert_object(&inner, 0, obj_type(kind.rotate_left(level as u32 % 8))),
                Ok(ObjType::Text) => break,
                _ => doc.put_object(&inner, "x", obj_type(kind.rotate_left(level as u32 % 8))),
            };
            match made {
                Ok(made) => inner = made,
                Err(_) => break,
            }
        }
        self.objects.push(inner);
    }

    /// An edit as the app makes it: the record read, changed (a workflow step added, taken away
    /// or altered, the ward or assignee set) and reconciled back.
    fn edit_record(&mut self, input: &mut Input<'_>) {
        use wardbook::domain::{Status, Transition, workflow};
        let choice = input.byte();
        let pick = input.byte() as usize;
        let doc = self.doc();
        let Ok(mut record) = autosurgeon::hydrate::<_, Record>(&*doc) else { return };
        let kind = record.kind();
        match choice % 6 {
            0 | 1 => {
                let rules = workflow::rules(kind);
                if rules.is_empty() {
                    return;
                }
                let rule = rules[pick % rules.len()];
                // The fuzzed device's user (a supervisor) where the step allows, else another.
                let role = match rule.roles.first() {
                    _ if choice & 0x80 != 0 => Role::ALL[pick % Role::ALL.len()],
                    _ if rule.roles.contains(&Role::Supervisor) => Role::Supervisor,
                    Some(role) => *role,
                    None => Role::Supervisor,
                };
                let n = record.transitions.len() as u128;
                record.transitions.push(Transition {
                    id: wardbook::ids::TransitionId(uuid::Uuid::from_u128(
                        0x0190_0000_0000_7000_8000_0000_0000_a000 + n,
                    )),
                    at: AT + 1_000 * n as i64,
                    by: wardbook::demo::user_id(role),
                    role,
                    from: rule.from,
                    to: rule.to,
                    note: (choice & 0x40 != 0).then(|| "fuzzed step".to_string()),
                    resolves_review: choice & 0x20 != 0,
                    signature: None,
                });
                // Mostly signed by the fuzzed device, as its app would (so the step reaches the
                // server's later checks); sometimes left unsigned.
                if choice & 0x10 == 0 {
                    let stored: Vec<Transition> = record.transitions[..record.transitions.len() - 1].to_vec();
                    wardbook::ledger::sign_steps(&device_key(), &mut record, &stored);
                }
            }
            2 => {
                if !record.transitions.is_empty() {
                    let i = pick % record.transitions.len();
                    record.transitions.remove(i);
                }
            }
            3 => {
                if let Some(last) = record.transitions.last_mut() {
                    last.to = Status::ALL[pick % Status::ALL.len()];
                }
            }
            4 => record.ward = ["W01", "W02", "W03", "W99"].get(pick % 5).map(|w| w.to_string()),
            _ => record.assignee = (pick & 1 == 0).then(|| wardbook::demo::user_id(Role::ALL[pick % Role::ALL.len()])),
        }
        let _ = autosurgeon::reconcile(doc, &record);
    }

    fn commit(&mut self) {
        if self.doc().commit().is_some() {
            let heads = self.doc().get_heads();
            self.heads.push(heads);
        }
    }

    /// Starts a branch at one of the heads seen so far (merging any branch still open).
    fn fork(&mut self, input: &mut Input<'_>) {
        self.merge();
        self.main.commit();
        let heads = self.heads[input.byte() as usize % self.heads.len()].clone();
        self.actors = self.actors.wrapping_add(1);
        if let Ok(branch) = self.main.fork_at(&heads) {
            self.objects = objects_of(&branch);
            self.branch = Some(branch.with_actor(automerge::ActorId::from([0xd0 ^ self.actors; 16])));
        }
    }

    fn merge(&mut self) {
        if let Some(mut branch) = self.branch.take() {
            branch.commit();
            self.main.commit();
            self.main.merge(&mut branch).expect("a branch of this document merges");
            self.objects = objects_of(&self.main);
            let heads = self.main.get_heads();
            self.heads.push(heads);
        }
    }

    fn finish(mut self) -> AutoCommit {
        self.merge();
        self.main.commit();
        self.main
    }
}

/// The objects of a document a program may address: the root and objects down to a bounded
/// depth, at most a few hundred.
fn objects_of(doc: &AutoCommit) -> Vec<ObjId> {
    let mut found = vec![automerge::ROOT];
    let mut stack = vec![(automerge::ROOT, 0usize)];
    while let Some((obj, depth)) = stack.pop() {
        if depth >= 12 || found.len() >= 256 {
            continue;
        }
        let props: Vec<Prop> = match doc.object_type(&obj) {
            Ok(ObjType::Map | ObjType::Table) => doc.keys(&obj).map(Prop::Map).collect(),
            Ok(ObjType::List) => (0..doc.length(&obj).min(8)).map(Prop::Seq).collect(),
            _ => continue,
        };
        for prop in props {
            if let Ok(Some((Value::Object(_), id))) = doc.get(&obj, prop) {
                found.push(id.clone());
                stack.push((id, depth + 1));
            }
        }
    }
    found
}

/// Where in `obj` an operation writes: an index of a list or text (up to one past its end),
/// else a key of the map, one it has or one of [`KEYS`] or any text.
fn prop_in(doc: &AutoCommit, obj: &ObjId, input: &mut Input<'_>) -> Prop {
    let pick = input.byte();
    match doc.object_type(obj) {
        Ok(ObjType::List | ObjType::Text) => Prop::Seq(pick as usize % (doc.length(obj) + 1)),
        _ => match pick % 4 {
            0 => {
                let keys: Vec<String> = doc.keys(obj).collect();
                let key = keys.get(input.byte() as usize % keys.len().max(1)).cloned();
                Prop::Map(key.unwrap_or_else(|| "x".into()))
            }
            3 => Prop::Map(input.text()),
            _ => Prop::Map(KEYS[input.byte() as usize % KEYS.len()].to_string()),
        },
    }
}

fn obj_type(b: u8) -> ObjType {
    [ObjType::Map, ObjType::List, ObjType::Text, ObjType::Map][b as usize % 4]
}

/// A scalar of any type Automerge has, near the values a record holds.
fn scalar(input: &mut Input<'_>) -> ScalarValue {
    let scale = [1i64, 1_000, AT, i64::MAX / 65_536][input.byte() as usize % 4];
    let number = i64::from(input.u16() as i16) * scale;
    match input.byte() % 10 {
        0 => ScalarValue::Str(input.text().into()),
        1 => ScalarValue::Int(number),
        2 => ScalarValue::Uint(number.unsigned_abs()),
        3 => ScalarValue::F64([number as f64 / 1e3, f64::NAN, f64::INFINITY, -0.0][input.byte() as usize % 4]),
        4 => ScalarValue::Boolean(number & 1 == 0),
        5 => ScalarValue::Null,
        6 => ScalarValue::Bytes(input.text().into_bytes()),
        7 => ScalarValue::Counter(number.into()),
        8 => ScalarValue::Timestamp(number),
        _ => ScalarValue::Unknown { type_code: 10 + input.byte() % 6, bytes: input.text().into_bytes() },
    }
}

/// The record's creation and the program's changes pushed in one request (rolled back after):
/// every stored change leaves a document the shape check accepts, loading back to its record;
/// a request stored in full is the fuzzed document, so the check must accept that too.
fn shape_on_server(
    town: &Town,
    creation: &automerge::Change,
    changes: &[automerge::Change],
    doc: &AutoCommit,
    checked: &Checked,
) {
    let record = new_record_id();
    let items: Vec<RecordBytes> = std::iter::once(creation)
        .chain(changes)
        .map(|c| RecordBytes { record, bytes: c.raw_bytes().to_vec() })
        .collect();
    let result = transact(&town.store, &Scope::Admin, |sql| {
        let before = next_seq(sql)?;
        let (answers, _) = {
            let prepared = ingest::prepare_in(sql, &town.auth.scope.tenant, &items)?;
            ingest::ingest(sql, &town.auth, &town.refs, &items, prepared)?
        };
        check_acks(sql, &items, &answers, before)?;
        let mut stored_all = true;
        for ack in &answers.acks {
            if !matches!(ack, Outcome::Stored { .. }) {
                stored_all = false;
                continue;
            }
            let row = sql
                .row(
                    "SELECT doc FROM records WHERE tenant = ?1 AND id = ?2",
                    params![wardbook::demo::TENANT, record.to_string()],
                )?
                .expect("a stored change's record exists");
            let bytes = row.blob(0)?;
            let stored = AutoCommit::load(&bytes).expect("a stored document loads");
            let Ok(Some(accepted)) = shape::check(&stored) else {
                panic!("the server stored a document the shape check refuses: {:?}", shape::check(&stored));
            };
            let back = wardbook::document::RecordDoc::load(&[3; 16], &bytes, &[]).and_then(|d| d.record());
            assert_eq!(back.as_ref().ok(), Some(&accepted), "a stored document loads back to its record");
        }
        if stored_all {
            assert!(matches!(checked, Ok(Some(_))), "every change stored, yet the check says {checked:?}");
            let row = sql
                .row(
                    "SELECT doc FROM records WHERE tenant = ?1 AND id = ?2",
                    params![wardbook::demo::TENANT, record.to_string()],
                )?
                .expect("stored");
            let mut stored = AutoCommit::load(&row.blob(0)?).expect("loads");
            assert_eq!(stored.get_heads(), doc.clone().get_heads(), "the server holds the fuzzed document");
        }
        Err::<(), _>(AppError::Internal(ROLLBACK.into()))
    });
    match result {
        Err(AppError::Internal(m)) if m == ROLLBACK => {}
        other => panic!("ingest failed other than by refusing a change: {other:?}"),
    }
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
        "document_shape" => shape_seeds(),
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
    use wardbook::sync::wire::{Cursor, NumberRequest};
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
        acks: vec![Outcome::Stored { seq: 9 }, Outcome::Rejected { code: "c".into(), reason: "r".into() }],
        items: vec![RecordBytes { record: id, bytes: vec![0; 10] }],
        cursor: Cursor::default(),
        more: true,
        reset: false,
        number_blocks: vec![],
        reference: None,
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

/// Programs for [`document_shape`]: the record's kind, then each operation's opcode, object,
/// place (1 and a [`KEYS`] index: that key of the object) and operands.
fn shape_seeds() -> Vec<Vec<u8>> {
    let key = |k: &str| KEYS.iter().position(|x| *x == k).expect("a key of KEYS") as u8;
    let (x, ward) = (key("x"), key("ward"));
    let commit = [11, 0, 1, 0];
    let fork_at_creation = [12, 0, 1, 0, 0];
    let merge = [13, 0, 1, 0];
    // Scalars: scale, u16, type, operands.
    let five = [0, 5, 0, 1];
    let w02 = [0, 0, 0, 0, 3, b'W', b'0', b'2'];
    let w03 = [0, 0, 0, 0, 3, b'W', b'0', b'3'];
    let put = |at: u8, value: &[u8]| [&[0, 0, 1, at][..], value].concat();
    vec![
        // An inspection as written; a receipt with a workflow step added.
        vec![0],
        [&[4, 9, 0, 1, 0, 0, 0][..], &commit].concat(),
        // A string under a key no record has.
        [&[1][..], &put(x, &w02)].concat(),
        // Four thousand maps nested under that key.
        vec![2, 7, 0, 1, x, 0xa0, 0x0f, 0],
        // The ward set to an integer on the main line and to a string on a branch at the
        // creation: a conflict of two kinds. Then two strings: an honest conflict.
        [&[3][..], &put(ward, &five), &commit, &fork_at_creation, &put(ward, &w02), &merge].concat(),
        [&[9][..], &put(ward, &w03), &commit, &fork_at_creation, &put(ward, &w02), &merge].concat(),
    ]
}
