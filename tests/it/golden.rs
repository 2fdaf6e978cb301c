//! Golden fixtures: a device database and one document of each record kind as this version
//! writes them, kept in `tests/fixtures/golden/v1/`. The format is a promise to devices in the
//! field: every later version must open them and read the same records. The fixtures are
//! written once, when the directory is missing and `WARDBOOK_BLESS=1` is set, and never
//! rewritten; a new format gets a new directory next to this one.

use std::path::{Path, PathBuf};

use serde_json::Value;
use uuid::Uuid;
use wardbook::demo;
use wardbook::document::RecordDoc;
use wardbook::domain::workflow::Actor;
use wardbook::domain::{Record, Role, Status};
use wardbook::ids::{RecordId, TransitionId};
use wardbook::store::{Query, Store};

use crate::T0;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden/v1")
}

fn id(n: u128) -> RecordId {
    RecordId(Uuid::from_u128(0x0190_0000_0000_7000_9000_0000_0000_0000 + n))
}

/// Writes the v1 fixtures: a store with an inspection (submitted), an asset survey, an issued
/// receipt, a desludging job and a trip; each document saved on its own; the records as JSON.
fn write_fixtures(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let db = dir.join("device.sqlite3");
    let mut store = Store::open(&db).unwrap();
    store.put_reference(&demo::reference()).unwrap();
    store.create(&demo::inspection(id(1), T0, "W01", 1), T0).unwrap();
    let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
    let refs = store.reference().clone();
    store
        .update(id(1), T0 + 60_000, |r| {
            wardbook::domain::workflow::step(
                r,
                &refs,
                TransitionId(Uuid::from_u128(1)),
                inspector,
                Status::Submitted,
                T0 + 60_000,
                Some("golden".into()),
            )
        })
        .unwrap();
    store.create(&demo::asset_survey(id(2), T0, "W02", 2), T0).unwrap();
    store.issue_receipt(demo::receipt(id(3), T0, "W02", 3), T0).unwrap();
    store.create(&demo::fsm_job(id(4), T0, "W03", 4), T0).unwrap();
    store.create(&demo::trip(id(5), T0, "W03", 5), T0).unwrap();
    let mut records = serde_json::Map::new();
    for n in 1..=5 {
        let record = store.get(id(n)).unwrap();
        let mut doc = store.document(id(n)).unwrap();
        std::fs::write(dir.join(format!("{}.automerge", record.kind())), doc.save()).unwrap();
        records.insert(id(n).to_string(), serde_json::to_value(&record).unwrap());
    }
    std::fs::write(dir.join("records.json"), serde_json::to_string_pretty(&records).unwrap() + "\n").unwrap();
    store.checkpoint().unwrap();
}

#[test]
fn golden_v1_fixtures_open_and_read_the_same() {
    let dir = golden_dir();
    if !dir.join("records.json").exists() {
        assert!(
            std::env::var_os("WARDBOOK_BLESS").is_some(),
            "{} is missing: the v1 fixtures are written once, with WARDBOOK_BLESS=1",
            dir.display()
        );
        write_fixtures(&dir);
    }
    let expected: serde_json::Map<String, Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("records.json")).unwrap()).unwrap();
    assert_eq!(expected.len(), 5, "one record of each kind the fixtures hold");

    // The database, copied first: opening it may migrate it to this version's schema.
    let work = tempfile::TempDir::new().unwrap();
    let copy = work.path().join("device.sqlite3");
    std::fs::copy(dir.join("device.sqlite3"), &copy).unwrap();
    let store = Store::open(&copy).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let rows = store.list(&Query::default()).unwrap();
    assert_eq!(rows.len(), expected.len(), "every record is listed");
    for (key, want) in &expected {
        let record: Record = store.get(key.parse().unwrap()).unwrap();
        assert_eq!(&serde_json::to_value(&record).unwrap(), want, "record {key} from the v1 database");
        let bytes = std::fs::read(dir.join(format!("{}.automerge", record.kind()))).unwrap();
        let doc = RecordDoc::load(b"golden-reader", &bytes, &[]).unwrap();
        assert_eq!(doc.record().unwrap(), record, "the v1 {} document", record.kind());
        // A v1 row had no list columns: opening fills them from the document, once.
        let row = rows.iter().find(|r| r.id == record.id).unwrap();
        assert_eq!(row.location.as_ref(), record.map_place(), "the map place of the v1 {}", record.kind());
        assert_eq!(row.work_at, Some(record.work_at()));
        assert_eq!(row.note.as_deref(), record.status_note());
        assert_eq!(row.photo.as_deref(), record.photos().first().map(|p| p.sha256.as_str()));
        assert_eq!(row.created_by, record.created_by);
    }
    assert!(rows.iter().any(|r| r.location.is_some()), "the v1 records carry places");
    assert_eq!(store.reference().tenant.as_ref().map(|t| t.id.as_str()), Some(demo::TENANT));
}
