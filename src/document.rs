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
        Ok(RecordDoc { doc })
    }

    /// Loads a snapshot followed by incremental saves. Never panics on bad bytes.
    pub fn load(actor: &[u8], snapshot: &[u8], increments: &[Vec<u8>]) -> Result<Self> {
        let mut doc = guard(|| AutoCommit::load(snapshot))?;
        for inc in increments {
            guard(|| doc.load_incremental(inc))?;
        }
        doc.set_actor(automerge::ActorId::from(actor));
        let loaded = RecordDoc { doc };
        loaded.record()?;
        Ok(loaded)
    }

    /// The record as the document shows it now (conflicts resolved to their winners).
    pub fn record(&self) -> Result<Record> {
        autosurgeon::hydrate(&self.doc).map_err(bad)
    }

    pub fn id(&self) -> Result<RecordId> {
        Ok(self.record()?.id)
    }

    /// Writes the fields of `record` that differ from the document, as one change.
    pub fn update(&mut self, record: &Record) -> Result<()> {
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
        guard(|| self.doc.merge(&mut other.doc))?;
        Ok(())
    }

    /// Applies changes (or a saved document) from elsewhere; bytes that do not decode are
    /// refused and the document is left as it was.
    pub fn apply_bytes(&mut self, bytes: &[u8]) -> Result<()> {
        let mut copy = self.doc.fork();
        guard(|| copy.load_incremental(bytes))?;
        let before = self.id()?;
        let mut candidate = RecordDoc { doc: copy };
        let after = candidate.id()?;
        if before != after {
            return Err(Error::DifferentRecords { ours: before, theirs: after });
        }
        guard(|| self.doc.merge(&mut candidate.doc))?;
        Ok(())
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

    /// A copy with another actor: what a second device holds after receiving this record.
    pub fn fork_as(&mut self, actor: &[u8]) -> RecordDoc {
        RecordDoc { doc: self.doc.fork().with_actor(automerge::ActorId::from(actor)) }
    }

    /// Every field that has more than one value after a merge.
    pub fn conflicts(&self) -> Vec<FieldConflict> {
        let mut out = Vec::new();
        walk(&self.doc, &automerge::ROOT, String::new(), &mut out);
        out
    }

    /// Settles a conflicted field by writing `value` (one of the competing values or any
    /// other) over all of them.
    pub fn resolve_conflict(&mut self, field: &str, value: &serde_json::Value) -> Result<()> {
        let (parent, key) = self.locate(field)?;
        let written = put_json(&mut self.doc, &parent, &key, value).and_then(|()| self.record().map(|_| ()));
        if let Err(e) = written {
            self.doc.rollback();
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

/// Automerge reports bad input as errors; this also turns any panic deep inside a decoder into
/// an error, so no bytes from disk or network can bring the app down.
fn guard<T>(f: impl FnOnce() -> std::result::Result<T, automerge::AutomergeError>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(bad(e)),
        Err(_) => Err(bad("the document decoder failed on these bytes")),
    }
}

fn walk(doc: &AutoCommit, obj: &ObjId, path: String, out: &mut Vec<FieldConflict>) {
    let join = |key: String| if path.is_empty() { key } else { format!("{path}.{key}") };
    let children: Vec<(String, automerge::Prop)> = match doc.object_type(obj) {
        Ok(ObjType::Map) | Ok(ObjType::Table) => doc.keys(obj).map(|k| (k.clone(), automerge::Prop::Map(k))).collect(),
        Ok(ObjType::List) => (0..doc.length(obj)).map(|i| (i.to_string(), automerge::Prop::Seq(i))).collect(),
        _ => return,
    };
    for (name, prop) in children {
        let values = doc.get_all(obj, prop).unwrap_or_default();
        if values.len() > 1 {
            let mut rendered: Vec<serde_json::Value> = values.iter().map(|(v, id)| to_json(doc, v, id)).collect();
            // get_all lists values in ascending op order; the winner is the last one.
            rendered.reverse();
            out.push(FieldConflict { field: join(name.clone()), winner: rendered[0].clone(), values: rendered });
        }
        if let Some((Value::Object(_), child)) = values.last() {
            walk(doc, child, join(name), out);
        }
    }
}

fn to_json(doc: &AutoCommit, value: &Value<'_>, id: &ObjId) -> serde_json::Value {
    use automerge::ScalarValue as S;
    match value {
        Value::Scalar(s) => match s.as_ref() {
            S::Str(t) => serde_json::Value::String(t.to_string()),
            S::Int(i) => (*i).into(),
            S::Uint(u) => (*u).into(),
            S::F64(f) => serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, serde_json::Value::Number),
            S::Boolean(b) => (*b).into(),
            S::Timestamp(t) => (*t).into(),
            S::Counter(c) => i64::from(c).into(),
            S::Null => serde_json::Value::Null,
            other => serde_json::Value::String(other.to_string()),
        },
        Value::Object(ObjType::List) | Value::Object(ObjType::Text) => {
            let items = (0..doc.length(id))
                .filter_map(|i| doc.get(id, i).ok().flatten())
                .map(|(v, child)| to_json(doc, &v, &child))
                .collect();
            serde_json::Value::Array(items)
        }
        Value::Object(_) => {
            let map = doc
                .keys(id)
                .filter_map(|k| doc.get(id, k.as_str()).ok().flatten().map(|(v, child)| (k, to_json(doc, &v, &child))))
                .collect();
            serde_json::Value::Object(map)
        }
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

