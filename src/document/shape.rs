//! The shape a record's document must have: exactly what its [`Record`] reconciles to.
//!
//! A document that arrives from elsewhere (a device's change on the server, a page on a
//! device) is only believed once [`check`] passes: every key is one the record type has, every
//! value is of the type the type says, nothing nests deeper than [`MAX_DEPTH`] and no document
//! has more than [`MAX_NODES`] values. Values that lost a concurrent write (an Automerge
//! conflict) are kept by Automerge and shown to a supervisor; they must be of the same kind as
//! the winner and are bounded like the rest, and they are checked in full the moment a change
//! makes one of them the winner.
//!
//! Nothing here recurses: the walk keeps its own stack, so no nesting can exhaust the thread's.
//! Architecture invariant: no I/O.

use std::collections::BTreeMap;

use automerge::{AutoCommit, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value};

use crate::domain::Record;

/// The deepest nesting a record has (`body.Inspection.answers.q.Photo.0.location.lat` is 8),
/// with room to grow.
pub const MAX_DEPTH: usize = 16;
/// The most values (keys, list items and conflicting values) one record document may hold.
pub const MAX_NODES: usize = 10_000;
/// The largest single change a device may push.
pub const MAX_CHANGE_BYTES: usize = 64 * 1024;
/// The largest a record's saved document may grow; a change that would make it larger is
/// refused. Well below a page ([`crate::sync::wire`] cuts pages at most at 1 MiB) and the 8 MiB
/// body limit, so any record fits in any page.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Why a document is not a record's, naming the path where it is not.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    #[error("the document nests deeper than {MAX_DEPTH} levels at {path}")]
    TooDeep { path: String },
    #[error("the document holds more than {MAX_NODES} values")]
    TooManyValues,
    #[error("{path} is not a field of this record")]
    Unexpected { path: String },
    #[error("{path} is missing")]
    Missing { path: String },
    #[error("{path} should be {expected}, not {found}")]
    WrongType { path: String, expected: &'static str, found: &'static str },
    #[error("the document is not a Wardbook record: {0}")]
    NotARecord(String),
}

/// One value of a document: a scalar, or the kind of an object (whose children have their own
/// paths).
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Scalar(ScalarValue),
    Object(ObjType),
}

impl Node {
    fn of(value: &Value<'_>) -> Node {
        match value {
            Value::Scalar(s) => Node::Scalar(s.as_ref().clone()),
            Value::Object(t) => Node::Object(*t),
        }
    }

    /// The kind of value, for messages and for comparing a conflict's values.
    fn kind(&self) -> &'static str {
        match self {
            Node::Object(ObjType::Map) | Node::Object(ObjType::Table) => "an object",
            Node::Object(ObjType::List) => "a list",
            Node::Object(ObjType::Text) => "a text object",
            Node::Scalar(s) => match s {
                ScalarValue::Str(_) => "a string",
                ScalarValue::Int(_) => "an integer",
                ScalarValue::Uint(_) => "an unsigned integer",
                ScalarValue::F64(_) => "a number",
                ScalarValue::Boolean(_) => "a boolean",
                ScalarValue::Null => "null",
                ScalarValue::Bytes(_) => "bytes",
                ScalarValue::Counter(_) => "a counter",
                ScalarValue::Timestamp(_) => "a timestamp",
                ScalarValue::Unknown { .. } => "an unknown value",
            },
        }
    }
}

/// Paths are for people: a key chosen by an attacker may be long, so each part is cut.
fn join(path: &str, key: &str) -> String {
    let key: String =
        if key.chars().count() > 40 { key.chars().take(40).chain("…".chars()).collect() } else { key.into() };
    if path.is_empty() { key } else { format!("{path}.{key}") }
}

/// Every winning value of the document by path, after checking depth, size and the kinds of
/// conflicting values, and how many fields of the winning values have competitors (what
/// [`crate::document::field_conflicts`] lists). Iterative: the stack is a `Vec`.
fn flatten(doc: &AutoCommit) -> Result<(BTreeMap<String, Node>, usize), ShapeError> {
    let mut out = BTreeMap::new();
    let mut nodes = 0usize;
    let mut conflicts = 0usize;
    // (object, its path, its depth, whether it is a winner's)
    let mut stack: Vec<(ObjId, String, usize, bool)> = vec![(automerge::ROOT, String::new(), 0, true)];
    while let Some((obj, path, depth, winning)) = stack.pop() {
        // Each visible value, and whether Automerge flags it as having competitors; only those
        // are read in full (nearly every value of nearly every record has none).
        let children: Vec<(String, Prop, bool, Value<'static>, ObjId)> = match doc.object_type(&obj) {
            Ok(ObjType::Map) | Ok(ObjType::Table) => doc
                .map_range(&obj, ..)
                .map(|item| {
                    let key = item.key.to_string();
                    (key.clone(), Prop::Map(key), item.conflict, item.value.clone().into_value(), item.id())
                })
                .collect(),
            Ok(ObjType::List) => doc
                .list_range(&obj, ..)
                .map(|item| {
                    (
                        item.index.to_string(),
                        Prop::Seq(item.index),
                        item.conflict,
                        item.value.clone().into_value(),
                        item.id(),
                    )
                })
                .collect(),
            // Text is never part of a record: it is reported as a value of the wrong type.
            Ok(ObjType::Text) | Err(_) => continue,
        };
        if depth >= MAX_DEPTH && !children.is_empty() {
            return Err(ShapeError::TooDeep { path: join(&path, &children[0].0) });
        }
        for (key, prop, conflict, value, id) in children {
            let values = if conflict {
                doc.get_all(&obj, prop).map_err(|e| ShapeError::NotARecord(e.to_string()))?
            } else {
                vec![(value, id)]
            };
            nodes += values.len();
            if nodes > MAX_NODES {
                return Err(ShapeError::TooManyValues);
            }
            let child_path = join(&path, &key);
            // get_all lists the values in ascending op order: the winner is the last one.
            let Some((winner, _)) = values.last() else { continue };
            let winner = Node::of(winner);
            let last = values.len() - 1;
            for (i, (value, id)) in values.iter().enumerate() {
                let node = Node::of(value);
                if node.kind() != winner.kind() {
                    return Err(ShapeError::WrongType {
                        path: child_path.clone(),
                        expected: winner.kind(),
                        found: node.kind(),
                    });
                }
                if let Value::Object(_) = value {
                    stack.push((id.clone(), child_path.clone(), depth + 1, winning && i == last));
                }
            }
            if winning {
                conflicts += usize::from(values.len() > 1);
                out.insert(child_path, winner);
            }
        }
    }
    Ok((out, conflicts))
}

/// Checks that `doc` is exactly what the record it shows reconciles to, and returns that
/// record. `Ok(None)` for an empty document (a record not yet created).
pub fn check(doc: &AutoCommit) -> Result<Option<Record>, ShapeError> {
    Ok(check_counting(doc)?.map(|checked| checked.record))
}

/// A document that passed [`check`]: its record, and how many of its fields are in conflict
/// (`field_conflicts(doc).len()`, counted on the same walk).
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub record: Record,
    pub conflicts: usize,
}

/// [`check`], also counting the document's conflicting fields.
pub fn check_counting(doc: &AutoCommit) -> Result<Option<Checked>, ShapeError> {
    let (found, conflicts) = flatten(doc)?;
    if found.is_empty() {
        return Ok(None);
    }
    let record = super::read_record(doc).map_err(|e| ShapeError::NotARecord(e.to_string()))?;
    compare(&expected(&record)?, &found)?;
    Ok(Some(Checked { record, conflicts }))
}

/// What `record` reconciles to, by path, as [`flatten`] reads a document: the record's own
/// `Reconcile` drives [`Flat`], which writes down each value instead of building a document
/// (building one and reading it back was most of the cost of a check).
fn expected(record: &Record) -> Result<BTreeMap<String, Node>, ShapeError> {
    let mut out = BTreeMap::new();
    autosurgeon::Reconcile::reconcile(record, Flat { out: &mut out, path: String::new() })
        .map_err(|e| ShapeError::NotARecord(e.to_string()))?;
    Ok(out)
}

/// A reconciler into a map of paths: every value goes in as written (a fresh document has none
/// to compare with), the root itself does not.
struct Flat<'a> {
    out: &'a mut BTreeMap<String, Node>,
    path: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the record does not reconcile: {0}")]
struct FlatError(String);

impl From<autosurgeon::reconcile::StaleHeads> for FlatError {
    fn from(e: autosurgeon::reconcile::StaleHeads) -> Self {
        FlatError(format!("{e:?}"))
    }
}

impl Flat<'_> {
    fn put(&mut self, node: Node) -> Result<(), FlatError> {
        if !self.path.is_empty() {
            self.out.insert(self.path.clone(), node);
        }
        Ok(())
    }

    fn scalar(&mut self, value: ScalarValue) -> Result<(), FlatError> {
        self.put(Node::Scalar(value))
    }

    fn child(&mut self, key: &str) -> Flat<'_> {
        Flat { path: join(&self.path, key), out: self.out }
    }
}

impl autosurgeon::Reconciler for Flat<'_> {
    type Error = FlatError;
    type Map<'b>
        = Flat<'b>
    where
        Self: 'b;
    type Seq<'b>
        = FlatSeq<'b>
    where
        Self: 'b;
    type Text<'b>
        = FlatLeaf
    where
        Self: 'b;
    type Counter<'b>
        = FlatLeaf
    where
        Self: 'b;

    fn none(&mut self) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Null)
    }
    fn bytes<B: AsRef<[u8]>>(&mut self, value: B) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Bytes(value.as_ref().to_vec()))
    }
    fn timestamp(&mut self, value: i64) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Timestamp(value))
    }
    fn boolean(&mut self, value: bool) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Boolean(value))
    }
    fn str<S: AsRef<str>>(&mut self, value: S) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Str(value.as_ref().into()))
    }
    fn u64(&mut self, value: u64) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Uint(value))
    }
    fn i64(&mut self, value: i64) -> Result<(), FlatError> {
        self.scalar(ScalarValue::Int(value))
    }
    fn f64(&mut self, value: f64) -> Result<(), FlatError> {
        self.scalar(ScalarValue::F64(value))
    }
    fn map(&mut self) -> Result<Flat<'_>, FlatError> {
        self.put(Node::Object(ObjType::Map))?;
        Ok(Flat { path: self.path.clone(), out: self.out })
    }
    fn seq(&mut self) -> Result<FlatSeq<'_>, FlatError> {
        self.put(Node::Object(ObjType::List))?;
        Ok(FlatSeq { list: Flat { path: self.path.clone(), out: self.out }, len: 0 })
    }
    fn text(&mut self) -> Result<FlatLeaf, FlatError> {
        self.put(Node::Object(ObjType::Text))?;
        Ok(FlatLeaf)
    }
    fn counter(&mut self) -> Result<FlatLeaf, FlatError> {
        Err(FlatError("a record holds no counter".into()))
    }
    fn heads(&self) -> &[automerge::ChangeHash] {
        &[]
    }
}

impl autosurgeon::reconcile::MapReconciler for Flat<'_> {
    type Error = FlatError;
    type EntriesIter<'b>
        = std::iter::Empty<(std::borrow::Cow<'b, str>, automerge::ValueRef<'b>)>
    where
        Self: 'b;

    fn entries(&self) -> Self::EntriesIter<'_> {
        std::iter::empty()
    }
    fn entry<P: AsRef<str>>(&self, _prop: P) -> Option<Value<'_>> {
        None
    }
    fn put<R: autosurgeon::Reconcile, P: AsRef<str>>(&mut self, prop: P, value: R) -> Result<(), FlatError> {
        value.reconcile(self.child(prop.as_ref()))
    }
    fn delete<P: AsRef<str>>(&mut self, _prop: P) -> Result<(), FlatError> {
        Ok(())
    }
    fn hydrate_entry_key<'b, R: autosurgeon::Reconcile, P: AsRef<str>>(
        &self,
        _prop: P,
    ) -> Result<autosurgeon::reconcile::LoadKey<R::Key<'b>>, FlatError> {
        Ok(autosurgeon::reconcile::LoadKey::KeyNotFound)
    }
}

/// A list being written: items go in at the end.
struct FlatSeq<'a> {
    list: Flat<'a>,
    len: usize,
}

impl autosurgeon::reconcile::SeqReconciler for FlatSeq<'_> {
    type Error = FlatError;
    type ItemIter<'b>
        = std::iter::Empty<automerge::ValueRef<'b>>
    where
        Self: 'b;

    fn items(&self) -> Self::ItemIter<'_> {
        std::iter::empty()
    }
    fn get(&self, _index: usize) -> Result<Option<Value<'_>>, FlatError> {
        Ok(None)
    }
    fn hydrate_item_key<'b, R: autosurgeon::Reconcile>(
        &self,
        _index: usize,
    ) -> Result<autosurgeon::reconcile::LoadKey<R::Key<'b>>, FlatError> {
        Ok(autosurgeon::reconcile::LoadKey::KeyNotFound)
    }
    fn insert<R: autosurgeon::Reconcile>(&mut self, index: usize, value: R) -> Result<(), FlatError> {
        if index != self.len {
            return Err(FlatError(format!("an item inserted at {index} of a list of {}", self.len)));
        }
        self.len += 1;
        value.reconcile(self.list.child(&index.to_string()))
    }
    fn set<R: autosurgeon::Reconcile>(&mut self, index: usize, value: R) -> Result<(), FlatError> {
        value.reconcile(self.list.child(&index.to_string()))
    }
    fn delete(&mut self, index: usize) -> Result<(), FlatError> {
        Err(FlatError(format!("an item deleted at {index} of a list being written")))
    }
    fn len(&self) -> Result<usize, FlatError> {
        Ok(self.len)
    }
}

/// Text and counters: records hold neither (a text object is refused as the wrong type).
struct FlatLeaf;

impl autosurgeon::reconcile::TextReconciler for FlatLeaf {
    type Error = FlatError;
    fn splice<S: AsRef<str>>(&mut self, _pos: usize, _delete: isize, _insert: S) -> Result<(), FlatError> {
        Ok(())
    }
    fn heads(&self) -> &[automerge::ChangeHash] {
        &[]
    }
    fn update<S: AsRef<str>>(&mut self, _new_text: S) -> Result<(), FlatError> {
        Ok(())
    }
}

impl autosurgeon::reconcile::CounterReconciler for FlatLeaf {
    type Error = FlatError;
    fn increment(&mut self, _by: i64) -> Result<(), FlatError> {
        Ok(())
    }
    fn set(&mut self, _value: i64) -> Result<(), FlatError> {
        Ok(())
    }
}

/// The first difference between what the record type writes and what the document holds. A
/// field absent from the document reads as null (documents written before a field was added).
fn compare(expected: &BTreeMap<String, Node>, found: &BTreeMap<String, Node>) -> Result<(), ShapeError> {
    for (path, node) in found {
        match expected.get(path) {
            None => return Err(ShapeError::Unexpected { path: path.clone() }),
            Some(want) if want.kind() != node.kind() => {
                return Err(ShapeError::WrongType { path: path.clone(), expected: want.kind(), found: node.kind() });
            }
            Some(want) if want != node => {
                // Same kind, another value: the type read it differently from how it is stored.
                return Err(ShapeError::WrongType {
                    path: path.clone(),
                    expected: want.kind(),
                    found: "another value",
                });
            }
            Some(_) => {}
        }
    }
    match expected.iter().find(|(path, node)| !found.contains_key(*path) && **node != Node::Scalar(ScalarValue::Null)) {
        Some((path, _)) => Err(ShapeError::Missing { path: path.clone() }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use automerge::transaction::Transactable;

    use super::*;
    use crate::demo;
    use crate::document::RecordDoc;
    use crate::domain::{Answer, Body, GeoPoint};
    use crate::ids::RecordId;

    fn doc_of(record: &Record) -> AutoCommit {
        let mut doc = RecordDoc::new(&[1; 16], record).unwrap();
        AutoCommit::load(&doc.save()).unwrap()
    }

    fn edited(doc: &AutoCommit, f: impl FnOnce(&mut Record)) -> AutoCommit {
        let mut doc = doc.clone();
        let mut record: Record = autosurgeon::hydrate(&doc).unwrap();
        f(&mut record);
        autosurgeon::reconcile(&mut doc, &record).unwrap();
        doc.commit();
        doc
    }

    fn body_obj(doc: &AutoCommit, kind: &str) -> ObjId {
        let (_, body) = doc.get(automerge::ROOT, "body").unwrap().unwrap();
        doc.get(&body, kind).unwrap().unwrap().1
    }

    #[test]
    fn what_a_record_reconciles_to_is_read_without_a_document_exactly_as_from_one() {
        for n in 0..40 {
            let record = demo::mixed(RecordId::new(), 77, n);
            let doc = doc_of(&record);
            let (from_doc, _) = flatten(&doc).unwrap();
            assert_eq!(expected(&record).unwrap(), from_doc, "record {n} ({})", record.kind());
            assert!(from_doc.len() > 10, "record {n} has {} values", from_doc.len());
        }
    }

    #[test]
    fn every_kind_as_written_and_as_edited_has_its_exact_shape() {
        for n in 0..14 {
            let record = demo::mixed(RecordId::new(), 77, n);
            let doc = doc_of(&record);
            assert_eq!(check(&doc).unwrap(), Some(record.clone()), "{} as written", record.kind());
            // Options set and cleared, lists grown and shrunk, enum variants swapped.
            let doc = edited(&doc, |r| {
                r.ward = None;
                r.assignee = Some(demo::user_id(crate::domain::Role::Supervisor));
                match &mut r.body {
                    Body::Inspection(i) => {
                        i.location = Some(GeoPoint { lat: 30.37, lon: 76.14, accuracy_m: None });
                        let q = i.answers.keys().next().cloned().unwrap_or_else(|| "q".into());
                        i.answers.insert(q, Answer::Text("changed kind of answer".into()));
                        i.answers.insert("extra".into(), Answer::YesNo(true));
                    }
                    Body::Trip(t) => t.pickup = None,
                    Body::FsmJob(j) => j.pit.length = Some(2.5),
                    _ => {}
                }
            });
            let back = check(&doc).unwrap().unwrap();
            let doc = edited(&doc, |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.answers.remove("extra");
                    i.location = None;
                }
            });
            assert!(check(&doc).is_ok(), "{} edited back: {:?}", back.kind(), check(&doc));
        }
    }

    #[test]
    fn an_unknown_key_or_a_value_of_another_type_is_refused_by_its_path() {
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let mut doc = doc_of(&record);
        let inspection = body_obj(&doc, "Inspection");
        doc.put(&inspection, "smuggled", "x").unwrap();
        assert_eq!(check(&doc), Err(ShapeError::Unexpected { path: "body.Inspection.smuggled".into() }));

        let mut doc = doc_of(&record);
        doc.put(automerge::ROOT, "created_at", "yesterday").unwrap();
        assert!(matches!(check(&doc), Err(ShapeError::NotARecord(_)) | Err(ShapeError::WrongType { .. })));

        // An integer where the type keeps a number may read back by coercion: still refused.
        let mut doc = doc_of(&record);
        let (_, location) = doc.get(body_obj(&doc, "Inspection"), "location").unwrap().unwrap();
        doc.put(&location, "lat", 30i64).unwrap();
        assert!(
            matches!(check(&doc), Err(ShapeError::WrongType { ref path, .. }) | Err(ShapeError::NotARecord(ref path)) if path.contains("lat") || path.contains("int")),
            "{:?}",
            check(&doc)
        );

        let mut doc = doc_of(&record);
        doc.put_object(automerge::ROOT, "ward", ObjType::Text).unwrap();
        assert!(check(&doc).is_err());
    }

    #[test]
    fn nesting_a_hundred_thousand_levels_deep_is_refused_without_exhausting_the_stack() {
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let mut doc = doc_of(&record);
        let mut obj = doc.put_object(automerge::ROOT, "x", ObjType::Map).unwrap();
        for _ in 0..100_000 {
            obj = doc.put_object(&obj, "x", ObjType::Map).unwrap();
        }
        doc.commit();
        // Run on a small stack: a recursive walk would overflow it long before 100,000 levels.
        let doc = std::sync::Arc::new(doc);
        let d = doc.clone();
        let result =
            std::thread::Builder::new().stack_size(256 * 1024).spawn(move || check(&d)).unwrap().join().unwrap();
        assert!(matches!(result, Err(ShapeError::TooDeep { .. })), "{result:?}");
        let d = doc.clone();
        let conflicts = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || crate::document::field_conflicts(&d).len())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(conflicts, 0);
    }

    #[test]
    fn a_conflict_between_objects_nested_to_the_limit_is_listed_on_a_small_stack() {
        // Found by the `document_shape` fuzz target: the conflict's values were rendered by
        // recursion, about 18 KiB of stack per level in a debug build.
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let mut base = doc_of(&record);
        let mut sides = Vec::new();
        for actor in [2u8, 3] {
            let mut side = base.fork().with_actor(automerge::ActorId::from([actor; 16]));
            let mut obj = side.put_object(automerge::ROOT, "x", ObjType::Map).unwrap();
            for _ in 0..MAX_DEPTH + 4 {
                obj = side.put_object(&obj, "x", ObjType::Map).unwrap();
            }
            side.put(&obj, "leaf", actor as i64).unwrap();
            sides.push(side);
        }
        let mut merged = sides.remove(0);
        merged.merge(&mut sides[0]).unwrap();
        let conflicts = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || crate::document::field_conflicts(&merged))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert_eq!(conflicts[0].field, "x");
        assert_eq!(conflicts[0].values.len(), 2);
    }

    #[test]
    fn a_conflicting_value_of_another_kind_is_refused_and_of_the_same_kind_kept() {
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let mut base = doc_of(&record);
        let mut a = base.fork().with_actor(automerge::ActorId::from([2u8; 16]));
        let mut b = base.fork().with_actor(automerge::ActorId::from([3u8; 16]));
        let (ia, ib) = (body_obj(&a, "Inspection"), body_obj(&b, "Inspection"));
        a.put(&ia, "subject", "north").unwrap();
        b.put(&ib, "subject", "south").unwrap();
        let mut merged = a.clone();
        merged.merge(&mut b).unwrap();
        assert!(check(&merged).is_ok(), "two strings competing: an honest conflict");
        let counted = check_counting(&merged).unwrap().unwrap().conflicts;
        assert_eq!(counted, crate::document::field_conflicts(&merged).len(), "counted as the conflict list has it");
        assert_eq!(counted, 1);
        assert_eq!(check_counting(&base).unwrap().unwrap().conflicts, 0);

        let mut c = base.fork().with_actor(automerge::ActorId::from([4u8; 16]));
        let ic = body_obj(&c, "Inspection");
        let hidden = c.put_object(&ic, "subject", ObjType::Map).unwrap();
        c.put(&hidden, "payload", "x").unwrap();
        let mut merged = a.clone();
        merged.merge(&mut c).unwrap();
        assert!(matches!(check(&merged), Err(ShapeError::WrongType { .. })), "{:?}", check(&merged));
    }

    #[test]
    fn too_many_values_are_refused() {
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let mut doc = doc_of(&record);
        let photos = doc.put_object(automerge::ROOT, "many", ObjType::List).unwrap();
        for i in 0..(MAX_NODES + 1) {
            doc.insert(&photos, i, 1i64).unwrap();
        }
        assert_eq!(check(&doc), Err(ShapeError::TooManyValues));
    }
}
