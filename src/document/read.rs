//! Reading a record out of its document with one pass over each object.
//!
//! Autosurgeon reads a record field by field, and each of Automerge's `get`s seeks every
//! column of its op set again (a dozen column iterators set up per field): reading a 5,000-
//! record bootstrap that way was the largest cost on both the device and the server. Here each
//! map and list is read once, in one pass, the first time a value of it is asked for, and the
//! rest of its fields are answered from that.
//!
//! Architecture invariant: no I/O.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeBounds;
use std::rc::Rc;

use automerge::{AutoCommit, AutomergeError, ObjId, ObjType, Prop, Value};

use crate::domain::Record;

/// The record `doc` holds (its winning values), read with one pass per object.
pub fn read_record(doc: &AutoCommit) -> Result<Record, autosurgeon::HydrateError> {
    autosurgeon::hydrate(&OnePass::new(doc))
}

/// A document whose objects are each read whole, once.
struct OnePass<'a> {
    doc: &'a AutoCommit,
    objects: RefCell<HashMap<ObjId, Rc<Object>>>,
}

/// An object's visible values, as one pass read them.
enum Object {
    /// By key, sorted (for a binary search).
    Map(Vec<(String, Value<'static>, ObjId)>),
    List(Vec<(Value<'static>, ObjId)>),
    /// Text, or no object at all: asked of the document itself.
    Other,
}

impl<'a> OnePass<'a> {
    fn new(doc: &'a AutoCommit) -> Self {
        OnePass { doc, objects: RefCell::new(HashMap::new()) }
    }

    fn object(&self, obj: &ObjId) -> Rc<Object> {
        if let Some(object) = self.objects.borrow().get(obj) {
            return object.clone();
        }
        let object = Rc::new(match automerge::ReadDoc::object_type(self.doc, obj) {
            Ok(ObjType::Map) | Ok(ObjType::Table) => {
                let mut entries: Vec<_> = automerge::ReadDoc::map_range(self.doc, obj, ..)
                    .map(|item| (item.key.to_string(), item.value.clone().into_value(), item.id()))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Object::Map(entries)
            }
            Ok(ObjType::List) => Object::List(
                automerge::ReadDoc::list_range(self.doc, obj, ..)
                    .map(|item| (item.value.clone().into_value(), item.id()))
                    .collect(),
            ),
            Ok(ObjType::Text) | Err(_) => Object::Other,
        });
        self.objects.borrow_mut().insert(obj.clone(), object.clone());
        object
    }
}

impl autosurgeon::ReadDoc for OnePass<'_> {
    type Parents<'b>
        = automerge::Parents<'b>
    where
        Self: 'b;

    fn get_heads(&self) -> Vec<automerge::ChangeHash> {
        autosurgeon::ReadDoc::get_heads(self.doc)
    }

    fn get<P: Into<Prop>>(&self, obj: &ObjId, prop: P) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        match (&*self.object(obj), &prop) {
            (Object::Map(entries), Prop::Map(key)) => Ok(entries
                .binary_search_by(|(k, _, _)| k.as_str().cmp(key.as_str()))
                .ok()
                .map(|i| (entries[i].1.clone(), entries[i].2.clone()))),
            (Object::List(items), Prop::Seq(index)) => Ok(items.get(*index).map(|(v, id)| (v.clone(), id.clone()))),
            _ => automerge::ReadDoc::get(self.doc, obj, prop),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        autosurgeon::ReadDoc::object_type(self.doc, obj)
    }

    fn map_range<'b, O, R>(&'b self, obj: O, range: R) -> automerge::iter::MapRange<'b>
    where
        R: RangeBounds<String> + 'b,
        O: AsRef<ObjId>,
        R: RangeBounds<String>,
    {
        automerge::ReadDoc::map_range(self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(&self, obj: O, range: R) -> automerge::iter::ListRange<'_> {
        automerge::ReadDoc::list_range(self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        match &*self.object(obj.as_ref()) {
            Object::Map(entries) => entries.len(),
            Object::List(items) => items.len(),
            Object::Other => automerge::ReadDoc::length(self.doc, obj),
        }
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        automerge::ReadDoc::text(self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        automerge::ReadDoc::parents(self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        autosurgeon::ReadDoc::is_empty(self.doc)
    }
}

#[cfg(test)]
mod tests {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;

    use super::*;
    use crate::demo;
    use crate::document::RecordDoc;
    use crate::domain::Body;
    use crate::ids::RecordId;

    fn doc_of(record: &Record) -> AutoCommit {
        let mut doc = RecordDoc::new(&[1; 16], record).unwrap();
        AutoCommit::load(&doc.save()).unwrap()
    }

    #[test]
    fn every_kind_reads_as_field_by_field_reading_has_it() {
        for n in 0..60 {
            let record = demo::mixed(RecordId::new(), 1_780_000_000_000, n);
            let doc = doc_of(&record);
            let plain: Record = autosurgeon::hydrate(&doc).unwrap();
            assert_eq!(read_record(&doc).unwrap(), plain, "record {n} ({})", record.kind());
            assert_eq!(plain, record);
        }
    }

    #[test]
    fn a_conflicted_field_reads_as_its_winner_and_a_missing_one_as_absent() {
        let record = demo::inspection(RecordId::new(), 1, "W01", 1);
        let base = doc_of(&record);
        let mut a = base.clone().with_actor(automerge::ActorId::from([2u8; 16]));
        let mut b = base.clone().with_actor(automerge::ActorId::from([3u8; 16]));
        for (side, text) in [(&mut a, "north"), (&mut b, "south")] {
            let (_, body) = side.get(automerge::ROOT, "body").unwrap().unwrap();
            let (_, inspection) = side.get(&body, "Inspection").unwrap().unwrap();
            side.put(&inspection, "subject", text).unwrap();
        }
        a.merge(&mut b).unwrap();
        let plain: Record = autosurgeon::hydrate(&a).unwrap();
        let read = read_record(&a).unwrap();
        assert_eq!(read, plain);
        let Body::Inspection(i) = &read.body else { panic!("an inspection") };
        assert!(["north", "south"].contains(&i.subject.as_str()), "{}", i.subject);

        let mut missing = base.clone();
        missing.delete(automerge::ROOT, "ward").unwrap();
        let plain: Result<Record, _> = autosurgeon::hydrate(&missing);
        let read = read_record(&missing);
        assert_eq!(read.as_ref().ok(), plain.as_ref().ok(), "both read it, or neither does");
    }
}
