//! A record as one Automerge document, and the typed mapping both ways.
//!
//! [`RecordDoc::new`] writes a [`Record`] into a fresh document; [`RecordDoc::record`] reads it
//! back; [`RecordDoc::update`] writes only what changed (autosurgeon's reconcile), so two
//! devices editing different fields merge cleanly and two devices editing the same field leave
//! an Automerge conflict: the document shows a deterministic winner (the same on every
//! replica) and [`RecordDoc::conflicts`] lists every field with its competing values, so a
//! person can choose.
//!
//! Architecture invariant: no I/O; bytes in, bytes out.

mod read;
pub mod shape;

pub use read::read_record;

use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value};

use crate::domain::Record;
use crate::ids::RecordId;
use crate::{Error, Result};

/// One field edited concurrently on two or more devices.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldConflict {
    /// Dotted path of the field (`body.Inspection.subject`, `ward`).
    pub field: String,
    /// The value every replica shows now.
    pub winner: serde_json::Value,
    /// Every competing value, the winner first.
    pub values: Vec<serde_json::Value>,
}

/// A record's Automerge document.
#[derive(Debug)]
pub struct RecordDoc {
    doc: AutoCommit,
    /// The record as last read from `doc` (reading it is most of what loading costs); cleared
    /// by every method that changes `doc`.
    hydrated: std::cell::OnceCell<Record>,
}

fn bad(e: impl std::fmt::Display) -> Error {
    Error::BadDocument(e.to_string())
}

impl RecordDoc {
    /// A new document holding `record`, written by `actor`.
    pub fn new(actor: &[u8], record: &Record) -> Result<Self> {
        let mut doc = AutoCommit::new().with_actor(automerge::ActorId::from(actor));
        autosurgeon::reconcile(&mut doc, record).map_err(bad)?;
        doc.commit();
        Ok(RecordDoc::wrap(doc))
    }

    fn wrap(doc: AutoCommit) -> RecordDoc {
        RecordDoc { doc, hydrated: std::cell::OnceCell::new() }
    }

    /// `doc` changed: the record must be read from it again.
    fn changed(&mut self) {
        self.hydrated = std::cell::OnceCell::new();
    }

    /// Loads a snapshot followed by incremental saves. Never panics on bad bytes.
    pub fn load(actor: &[u8], snapshot: &[u8], increments: &[Vec<u8>]) -> Result<Self> {
        let loaded = RecordDoc::load_unread(actor, snapshot, increments)?;
        loaded.record()?;
        Ok(loaded)
    }

    /// Loads bytes this device wrote itself and already read back once, without reading the
    /// record out of them (most of what loading costs): for sending its changes on.
    pub fn load_unread(actor: &[u8], snapshot: &[u8], increments: &[Vec<u8>]) -> Result<Self> {
        let mut doc = guard(|| AutoCommit::load(snapshot))?;
        for inc in increments {
            guard(|| doc.load_incremental(inc))?;
        }
        doc.set_actor(automerge::ActorId::from(actor));
        Ok(RecordDoc::wrap(doc))
    }

    /// The record as the document shows it now (conflicts resolved to their winners).
    pub fn record(&self) -> Result<Record> {
        if let Some(record) = self.hydrated.get() {
            return Ok(record.clone());
        }
        let record: Record = read_record(&self.doc).map_err(bad)?;
        Ok(self.hydrated.get_or_init(|| record).clone())
    }

    pub fn id(&self) -> Result<RecordId> {
        Ok(self.record()?.id)
    }

    /// Writes the fields of `record` that differ from the document, as one change.
    pub fn update(&mut self, record: &Record) -> Result<()> {
        self.changed();
        autosurgeon::reconcile(&mut self.doc, record).map_err(bad)?;
        self.doc.commit();
        Ok(())
    }

    /// Merges another replica of the same record.
    pub fn merge(&mut self, other: &mut RecordDoc) -> Result<()> {
        let (ours, theirs) = (self.id()?, other.id()?);
        if ours != theirs {
            return Err(Error::DifferentRecords { ours, theirs });
        }
        self.changed();
        guard(|| self.doc.merge(&mut other.doc))?;
        Ok(())
    }

    /// Applies changes (or a saved document) from elsewhere; bytes that do not decode are
    /// refused and the document is left as it was.
    pub fn apply_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        // `load_incremental` skips chunks it cannot parse, so decode the bytes on their own
        // first: changes that need changes only this document holds are fine, garbage is not.
        guard(|| match automerge::Automerge::load(bytes) {
            Ok(_) | Err(automerge::AutomergeError::MissingDeps) => Ok(()),
            Err(e) => Err(e),
        })?;
        let mut copy = self.doc.fork();
        guard(|| copy.load_incremental(bytes))?;
        let before = self.id()?;
        // A record's id is written once: a second value means the bytes hold another record,
        // whichever value the merged document would show.
        for (value, _) in copy.get_all(&automerge::ROOT, "id").map_err(bad)? {
            match value.as_str().and_then(|s| s.parse::<RecordId>().ok()) {
                Some(theirs) if theirs != before => return Err(Error::DifferentRecords { ours: before, theirs }),
                Some(_) => {}
                None => return Err(bad("the record id is not an id")),
            }
        }
        let mut candidate = RecordDoc::wrap(copy);
        let after = candidate.id()?;
        if before != after {
            return Err(Error::DifferentRecords { ours: before, theirs: after });
        }
        self.changed();
        guard(|| self.doc.merge(&mut candidate.doc))?;
        Ok(())
    }

    /// Changes not covered by `heads`, in causal order.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<automerge::Change> {
        self.doc.get_changes(heads)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Everything since `heads` as bytes for an incremental save (or for sending).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The document without the changes in `drop` and every change that builds on one of them
    /// (what remains when the server refused those changes); `None` when nothing remains.
    pub fn without(&mut self, drop: &[ChangeHash]) -> Result<Option<RecordDoc>> {
        let mut dropped: std::collections::HashSet<ChangeHash> = drop.iter().copied().collect();
        let mut kept = Vec::new();
        // `get_changes` lists a change after its dependencies, so one pass finds every descendant.
        for change in self.doc.get_changes(&[]) {
            if dropped.contains(&change.hash()) || change.deps().iter().any(|d| dropped.contains(d)) {
                dropped.insert(change.hash());
            } else {
                kept.push(change.clone());
            }
        }
        if kept.is_empty() {
            return Ok(None);
        }
        let mut doc = AutoCommit::new().with_actor(self.doc.get_actor().clone());
        guard(|| doc.apply_changes(kept))?;
        let rest = RecordDoc::wrap(doc);
        rest.record()?;
        Ok(Some(rest))
    }

    /// A copy with another actor: what a second device holds after receiving this record.
    pub fn fork_as(&mut self, actor: &[u8]) -> RecordDoc {
        RecordDoc::wrap(self.doc.fork().with_actor(automerge::ActorId::from(actor)))
    }

    /// Every field that has more than one value after a merge.
    pub fn conflicts(&self) -> Vec<FieldConflict> {
        field_conflicts(&self.doc)
    }

    /// Settles a conflicted field by writing `value` (one of the competing values or any
    /// other) over all of them.
    pub fn resolve_conflict(&mut self, field: &str, value: &serde_json::Value) -> Result<()> {
        let (parent, key) = self.locate(field)?;
        self.changed();
        let written = put_json(&mut self.doc, &parent, &key, value).and_then(|()| self.record().map(|_| ()));
        if let Err(e) = written {
            self.doc.rollback();
            self.changed();
            return Err(e);
        }
        self.doc.commit();
        Ok(())
    }

    /// The map that holds the last part of a dotted path, and that part.
    fn locate(&self, field: &str) -> Result<(ObjId, String)> {
        let mut parts: Vec<&str> = field.split('.').collect();
        let key = parts.pop().filter(|k| !k.is_empty()).ok_or_else(|| bad("empty field path"))?;
        let mut obj = automerge::ROOT;
        for part in parts {
            let prop = match (self.doc.object_type(&obj), part.parse::<usize>()) {
                (Ok(ObjType::List), Ok(i)) => automerge::Prop::Seq(i),
                _ => automerge::Prop::Map(part.to_string()),
            };
            obj = match self.doc.get(&obj, prop).map_err(bad)? {
                Some((Value::Object(_), id)) => id,
                _ => return Err(bad(format!("no field {field}"))),
            };
        }
        Ok((obj, key.to_string()))
    }
}

/// Every field of an Automerge document that has more than one value, by path. The walk keeps
/// its own stack and stops at [`shape::MAX_DEPTH`], so no document can exhaust the thread's.
pub fn field_conflicts(doc: &AutoCommit) -> Vec<FieldConflict> {
    let mut out = Vec::new();
    let mut stack = vec![(automerge::ROOT, String::new(), 0usize)];
    while let Some((obj, path, depth)) = stack.pop() {
        if depth >= shape::MAX_DEPTH {
            continue;
        }
        let join = |key: &str| if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
        // Automerge flags each visible value that has competitors: only those are read in full
        // (a record without conflicts, nearly every one, costs one pass over its values).
        let children: Vec<(String, automerge::Prop, bool, Option<ObjId>)> = match doc.object_type(&obj) {
            Ok(ObjType::Map) | Ok(ObjType::Table) => doc
                .map_range(&obj, ..)
                .map(|item| {
                    let child = matches!(item.value, automerge::ValueRef::Object(_)).then(|| item.id());
                    (item.key.to_string(), automerge::Prop::Map(item.key.to_string()), item.conflict, child)
                })
                .collect(),
            Ok(ObjType::List) => doc
                .list_range(&obj, ..)
                .map(|item| {
                    let child = matches!(item.value, automerge::ValueRef::Object(_)).then(|| item.id());
                    (item.index.to_string(), automerge::Prop::Seq(item.index), item.conflict, child)
                })
                .collect(),
            _ => continue,
        };
        for (name, prop, conflict, child) in children {
            if conflict {
                let values = doc.get_all(&obj, prop).unwrap_or_default();
                if values.len() > 1 {
                    let mut rendered: Vec<serde_json::Value> =
                        values.iter().map(|(v, id)| to_json(doc, v, id, depth + 1)).collect();
                    // get_all lists values in ascending op order; the winner is the last one.
                    rendered.reverse();
                    out.push(FieldConflict { field: join(&name), winner: rendered[0].clone(), values: rendered });
                }
            }
            if let Some(child) = child {
                stack.push((child, join(&name), depth + 1));
            }
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

/// Automerge reports bad input as errors; this also turns any panic deep inside a decoder into
/// an error, so no bytes from disk or network can bring the app down.
fn guard<T>(f: impl FnOnce() -> std::result::Result<T, automerge::AutomergeError>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(bad(e)),
        Err(_) => Err(bad("the document decoder failed on these bytes")),
    }
}

/// A value as JSON, for showing a conflict's values. Below [`shape::MAX_DEPTH`] an object
/// shows as null. Iterative like the rest of the walk: a recursive rendering took about 18 KiB
/// of stack per level in a debug build, so a conflict between two objects nested to the limit
/// (which the shape check lets through) overflowed a 256 KiB thread (found by the
/// `document_shape` fuzz target).
fn to_json(doc: &AutoCommit, value: &Value<'_>, id: &ObjId, depth: usize) -> serde_json::Value {
    /// An object being rendered: its children not yet rendered, and those that are.
    struct Open<'a> {
        key: Option<String>,
        list: bool,
        depth: usize,
        todo: std::vec::IntoIter<(Option<String>, Value<'a>, ObjId)>,
        done: Vec<(Option<String>, serde_json::Value)>,
    }
    let open = |key: Option<String>, kind: ObjType, id: &ObjId, depth: usize| {
        let list = matches!(kind, ObjType::List | ObjType::Text);
        let todo: Vec<(Option<String>, Value<'_>, ObjId)> = if list {
            (0..doc.length(id)).filter_map(|i| doc.get(id, i).ok().flatten()).map(|(v, c)| (None, v, c)).collect()
        } else {
            doc.keys(id).filter_map(|k| doc.get(id, k.as_str()).ok().flatten().map(|(v, c)| (Some(k), v, c))).collect()
        };
        Open { key, list, depth, todo: todo.into_iter(), done: Vec::new() }
    };
    let kind = match value {
        Value::Scalar(s) => return scalar_json(s),
        Value::Object(_) if depth >= shape::MAX_DEPTH => return serde_json::Value::Null,
        Value::Object(kind) => *kind,
    };
    let mut stack = vec![open(None, kind, id, depth)];
    loop {
        let top = stack.last_mut().expect("the value being rendered");
        match top.todo.next() {
            Some((key, Value::Object(kind), child)) if top.depth + 1 < shape::MAX_DEPTH => {
                let depth = top.depth + 1;
                stack.push(open(key, kind, &child, depth));
            }
            Some((key, Value::Object(_), _)) => top.done.push((key, serde_json::Value::Null)),
            Some((key, Value::Scalar(s), _)) => top.done.push((key, scalar_json(&s))),
            None => {
                let rendered = stack.pop().expect("just looked at");
                let json = if rendered.list {
                    serde_json::Value::Array(rendered.done.into_iter().map(|(_, j)| j).collect())
                } else {
                    serde_json::Value::Object(
                        rendered.done.into_iter().map(|(k, j)| (k.unwrap_or_default(), j)).collect(),
                    )
                };
                match stack.last_mut() {
                    Some(parent) => parent.done.push((rendered.key, json)),
                    None => return json,
                }
            }
        }
    }
}

fn scalar_json(s: &automerge::ScalarValue) -> serde_json::Value {
    use automerge::ScalarValue as S;
    match s {
        S::Str(t) => serde_json::Value::String(t.to_string()),
        S::Int(i) => (*i).into(),
        S::Uint(u) => (*u).into(),
        S::F64(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        S::Boolean(b) => (*b).into(),
        S::Timestamp(t) => (*t).into(),
        S::Counter(c) => i64::from(c).into(),
        S::Null => serde_json::Value::Null,
        other => serde_json::Value::String(other.to_string()),
    }
}

fn put_json(doc: &mut AutoCommit, parent: &ObjId, key: &str, value: &serde_json::Value) -> Result<()> {
    use automerge::transaction::Transactable;
    let res = match value {
        serde_json::Value::Null => doc.put(parent, key, automerge::ScalarValue::Null),
        serde_json::Value::Bool(b) => doc.put(parent, key, *b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => doc.put(parent, key, i),
            (None, Some(f)) => doc.put(parent, key, f),
            _ => return Err(bad("number out of range")),
        },
        serde_json::Value::String(s) => doc.put(parent, key, s.as_str()),
        serde_json::Value::Array(items) => {
            let list = doc.put_object(parent, key, ObjType::List).map_err(bad)?;
            for (i, item) in items.iter().enumerate() {
                insert_json(doc, &list, i, item)?;
            }
            Ok(())
        }
        serde_json::Value::Object(map) => {
            let obj = doc.put_object(parent, key, ObjType::Map).map_err(bad)?;
            for (k, v) in map {
                put_json(doc, &obj, k, v)?;
            }
            Ok(())
        }
    };
    res.map_err(bad)
}

fn insert_json(doc: &mut AutoCommit, list: &ObjId, index: usize, value: &serde_json::Value) -> Result<()> {
    use automerge::transaction::Transactable;
    match value {
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            let kind = if value.is_array() { ObjType::List } else { ObjType::Map };
            let child = doc.insert_object(list, index, kind).map_err(bad)?;
            match value {
                serde_json::Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        insert_json(doc, &child, i, item)?;
                    }
                }
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        put_json(doc, &child, k, v)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
        scalar => {
            let s = match scalar {
                serde_json::Value::Bool(b) => automerge::ScalarValue::Boolean(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => automerge::ScalarValue::Int(i),
                    None => automerge::ScalarValue::F64(n.as_f64().unwrap_or(0.0)),
                },
                serde_json::Value::String(s) => automerge::ScalarValue::Str(s.as_str().into()),
                _ => automerge::ScalarValue::Null,
            };
            doc.insert(list, index, s).map_err(bad)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::domain::workflow::{self, Actor};
    use crate::domain::{Body, Role, Status};
    use crate::ids::TransitionId;

    const PHONE_A: &[u8] = &[0xa; 16];
    const PHONE_B: &[u8] = &[0xb; 16];

    /// Device A creates an inspection; device B receives a copy.
    fn two_devices() -> (RecordDoc, RecordDoc) {
        let record = demo::inspection(RecordId::new(), 1_000, "W01", 4);
        let mut a = RecordDoc::new(PHONE_A, &record).unwrap();
        let b = a.fork_as(PHONE_B);
        (a, b)
    }

    fn edit(doc: &mut RecordDoc, f: impl FnOnce(&mut Record)) {
        let mut record = doc.record().unwrap();
        f(&mut record);
        doc.update(&record).unwrap();
    }

    fn subject(r: &mut Record) -> &mut String {
        match &mut r.body {
            Body::Inspection(i) => &mut i.subject,
            _ => unreachable!("fixture is an inspection"),
        }
    }

    fn sync(a: &mut RecordDoc, b: &mut RecordDoc) {
        let bytes_a = a.save();
        let bytes_b = b.save();
        a.apply_bytes(&bytes_b).unwrap();
        b.apply_bytes(&bytes_a).unwrap();
    }

    #[test]
    fn every_kind_reads_back_exactly_as_written() {
        for n in 0..10 {
            let record = demo::mixed(RecordId::new(), 77, n);
            let mut doc = RecordDoc::new(PHONE_A, &record).unwrap();
            assert_eq!(doc.record().unwrap(), record);
            let loaded = RecordDoc::load(PHONE_A, &doc.save(), &[]).unwrap();
            assert_eq!(loaded.record().unwrap(), record, "{} after save and load", record.kind());
        }
    }

    #[test]
    fn edits_to_different_fields_both_survive_a_merge() {
        let (mut a, mut b) = two_devices();
        edit(&mut a, |r| *subject(r) = "Toilet block near bus stand".into());
        edit(&mut b, |r| r.ward = Some("W02".into()));
        sync(&mut a, &mut b);
        let (ra, rb) = (a.record().unwrap(), b.record().unwrap());
        assert_eq!(ra, rb);
        assert_eq!(ra.ward.as_deref(), Some("W02"));
        assert_eq!(subject(&mut ra.clone()), "Toilet block near bus stand");
        assert_eq!(a.conflicts(), vec![]);
    }

    #[test]
    fn the_same_field_edited_twice_has_one_winner_everywhere_and_a_visible_conflict() {
        let (mut a, mut b) = two_devices();
        edit(&mut a, |r| *subject(r) = "Block A (north)".into());
        edit(&mut b, |r| *subject(r) = "Block A (south)".into());
        sync(&mut a, &mut b);
        assert_eq!(a.record().unwrap(), b.record().unwrap(), "both devices show the same winner");
        let conflicts = a.conflicts();
        assert_eq!(conflicts, b.conflicts());
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!(c.field, "body.Inspection.subject");
        let mut values: Vec<_> = c.values.iter().map(|v| v.as_str().unwrap().to_string()).collect();
        values.sort();
        assert_eq!(values, ["Block A (north)", "Block A (south)"]);
        assert_eq!(&c.winner, &c.values[0]);
        assert_eq!(serde_json::Value::String(subject(&mut a.record().unwrap()).clone()), c.winner);
    }

    #[test]
    fn choosing_a_value_settles_the_conflict_on_every_device() {
        let (mut a, mut b) = two_devices();
        edit(&mut a, |r| *subject(r) = "north".into());
        edit(&mut b, |r| *subject(r) = "south".into());
        sync(&mut a, &mut b);
        a.resolve_conflict("body.Inspection.subject", &serde_json::json!("south")).unwrap();
        sync(&mut a, &mut b);
        assert_eq!(b.conflicts(), vec![]);
        assert_eq!(subject(&mut b.record().unwrap()), "south");
    }

    #[test]
    fn a_choice_that_does_not_fit_the_record_is_refused_and_changes_nothing() {
        let (mut a, _) = two_devices();
        let before = a.record().unwrap();
        let err = a.resolve_conflict("body.Inspection.template_version", &serde_json::json!("two")).unwrap_err();
        assert!(matches!(err, Error::BadDocument(_)), "got {err:?}");
        assert_eq!(a.record().unwrap(), before);
        assert!(a.resolve_conflict("body.Nothing.here", &serde_json::json!(1)).is_err());
    }

    #[test]
    fn answers_to_different_questions_merge_key_by_key() {
        let (mut a, mut b) = two_devices();
        let answer = |r: &mut Record, q: &str, v: crate::domain::Answer| {
            if let Body::Inspection(i) = &mut r.body {
                i.answers.insert(q.into(), v);
            }
        };
        edit(&mut a, |r| answer(r, "smell", crate::domain::Answer::SingleChoice("mild".into())));
        edit(&mut b, |r| answer(r, "remarks", crate::domain::Answer::Text("tap broken".into())));
        sync(&mut a, &mut b);
        let Body::Inspection(i) = a.record().unwrap().body else { unreachable!() };
        assert!(i.answers.contains_key("smell") && i.answers.contains_key("remarks"));
        assert_eq!(a.conflicts(), vec![]);
    }

    #[test]
    fn competing_workflow_steps_merge_into_one_history_in_review() {
        let (mut a, mut b) = two_devices();
        let refs = demo::reference();
        let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
        let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
        edit(&mut a, |r| workflow::step(r, &refs, TransitionId::new(), inspector, Status::Submitted, 2, None).unwrap());
        sync(&mut a, &mut b);
        edit(&mut a, |r| workflow::step(r, &refs, TransitionId::new(), supervisor, Status::Approved, 3, None).unwrap());
        edit(&mut b, |r| {
            workflow::step(r, &refs, TransitionId::new(), supervisor, Status::SentBack, 3, Some("redo".into())).unwrap()
        });
        sync(&mut a, &mut b);
        let (ra, rb) = (a.record().unwrap(), b.record().unwrap());
        assert_eq!(ra, rb);
        assert_eq!(ra.transitions.len(), 3, "both supervisors' steps are kept");
        let state = ra.workflow();
        assert!(state.needs_review);
        assert_eq!(state, rb.workflow(), "every device derives the same status");
        assert!([Status::Approved, Status::SentBack].contains(&state.status));
        assert_eq!(a.conflicts(), vec![], "appended steps are not field conflicts");
    }

    #[test]
    fn a_different_record_is_never_merged_in() {
        let (mut a, _) = two_devices();
        let mut other = RecordDoc::new(PHONE_B, &demo::receipt(RecordId::new(), 1, "W01", 1)).unwrap();
        assert!(matches!(a.merge(&mut other), Err(Error::DifferentRecords { .. })));
        assert!(matches!(a.apply_bytes(&other.save()), Err(Error::DifferentRecords { .. })));
    }

    #[test]
    fn bad_bytes_are_an_error_never_a_panic() {
        let (mut a, _) = two_devices();
        let good = a.save();
        let before = a.record().unwrap();
        let mut seed: u64 = 0x5eed;
        for round in 0..300 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let mut bytes = good.clone();
            match round % 3 {
                0 => bytes.truncate((seed as usize) % good.len()),
                1 => {
                    let i = (seed as usize) % bytes.len();
                    bytes[i] ^= 1 << (seed % 8);
                }
                _ => bytes = (0..(seed % 200)).map(|i| (seed >> (i % 56)) as u8).collect(),
            }
            let _ = RecordDoc::load(PHONE_A, &bytes, &[]);
            let _ = a.apply_bytes(&bytes);
        }
        assert_eq!(a.record().unwrap(), before, "failed input left the document as it was");
    }
}
