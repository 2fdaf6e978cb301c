//! The device store as its users see it, on real SQLite files.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use serde_json::json;
use wardbook::demo;
use wardbook::domain::inspection::Answer;
use wardbook::domain::{Body, Record, RecordKind, Role, Status};
use wardbook::ids::RecordId;
use wardbook::store::{Query, SCHEMA_VERSION, Store};
use wardbook::{Error, Result};

use crate::{Device, T0, as_created, as_role};

fn ids(rows: &[wardbook::store::RecordRow]) -> BTreeSet<RecordId> {
    rows.iter().map(|r| r.id).collect()
}

fn subject(record: &Record) -> &str {
    match &record.body {
        Body::Inspection(i) => &i.subject,
        other => panic!("expected an inspection, got {:?}", other.kind()),
    }
}

fn inspection_mut(record: &mut Record) -> &mut wardbook::domain::Inspection {
    match &mut record.body {
        Body::Inspection(i) => i,
        other => panic!("expected an inspection, got {:?}", other.kind()),
    }
}

fn set_subject(store: &mut Store, id: RecordId, now: i64, text: &str) -> Result<Record> {
    store.update(id, now, |r| {
        inspection_mut(r).subject = text.to_string();
        Ok(())
    })
}

/// The list row of one record, read by id; the same line a list with every filter off shows.
fn row_of(store: &Store, id: RecordId) -> wardbook::store::RecordRow {
    let row = store.row(id).expect("record has a row");
    let listed = store.list(&Query::default()).unwrap().into_iter().find(|r| r.id == id);
    assert_eq!(listed.as_ref(), Some(&row), "the line by id is the list's line");
    row
}

/// Creates an inspection and moves it to SUBMITTED.
fn submitted_inspection(store: &mut Store, ward: &str, n: u32) -> RecordId {
    let record = demo::inspection(RecordId::new(), T0, ward, n);
    store.create(&record, T0).unwrap();
    store.transition(record.id, as_role(Role::Inspector), Status::Submitted, T0 + 1, None).unwrap();
    record.id
}

/// Sends the whole document of `id` from one device to the other.
fn send(id: RecordId, from: &Store, to: &mut Store, now: i64) -> Record {
    let bytes = from.document(id).unwrap().save();
    to.merge_document(id, &bytes, now).unwrap()
}

// ----- records -----

/// A demo record builder: id, time, ward, sequence number.
type Builder = fn(RecordId, i64, &str, u32) -> Record;

#[test]
fn every_kind_of_record_reads_back_exactly_as_it_was_created() {
    let mut device = Device::new();
    let builders: [(RecordKind, Builder); 5] = [
        (RecordKind::Inspection, demo::inspection),
        (RecordKind::AssetSurvey, demo::asset_survey),
        (RecordKind::Receipt, demo::receipt),
        (RecordKind::FsmJob, demo::fsm_job),
        (RecordKind::Trip, demo::trip),
    ];
    for (n, (kind, build)) in builders.into_iter().enumerate() {
        let record = build(RecordId::new(), T0, "W02", n as u32 + 7);
        assert_eq!(record.kind(), kind);
        device.store.create(&record, T0).unwrap();
        assert_eq!(as_created(device.store.get(record.id).unwrap()), record, "{kind} reads back as created");

        let row = row_of(&device.store, record.id);
        assert_eq!(row.kind, kind);
        assert_eq!(row.status, wardbook::domain::workflow::initial(kind), "{kind} starts at its initial status");
        assert_eq!(row.title, record.title());
        assert_eq!(row.ward.as_deref(), Some("W02"));
        assert_eq!(row.assignee, record.assignee);
        assert_eq!(row.amount_paise, record.amount().map(|p| p.0), "only receipts carry an amount");
        assert!(!row.needs_review);
        assert_eq!(row.conflicts, 0);
    }
    for n in 0..20 {
        let record = demo::mixed(RecordId::new(), T0 + i64::from(n), n);
        device.store.create(&record, T0 + i64::from(n)).unwrap();
        assert_eq!(as_created(device.store.get(record.id).unwrap()), record);
    }
    assert_eq!(device.store.count().unwrap(), 25);
    let receipt = device.store.list(&Query { kind: Some(RecordKind::Receipt), ..Query::default() }).unwrap();
    assert!(receipt.iter().all(|r| r.amount_paise.is_some_and(|a| a >= 15000)));
}

#[test]
fn a_record_that_was_never_stored_is_not_found() {
    let device = Device::new();
    let missing = RecordId::new();
    assert!(matches!(device.store.get(missing), Err(Error::NotFound(id)) if id == missing));
    assert!(matches!(device.store.row(missing), Err(Error::NotFound(id)) if id == missing));
}

#[test]
fn a_reopened_store_keeps_its_records_and_its_device_identity() {
    let mut device = Device::new();
    let actor = device.store.actor_id();
    assert_eq!(actor.len(), 32, "the actor id is a UUID in hex");
    let records: Vec<Record> = (0..10).map(|n| demo::mixed(RecordId::new(), T0, n)).collect();
    for r in &records {
        device.store.create(r, T0).unwrap();
    }

    device.reopen();

    assert_eq!(device.store.actor_id(), actor, "the same install keeps its actor id");
    assert_eq!(device.store.count().unwrap(), 10);
    for r in &records {
        assert_eq!(&as_created(device.store.get(r.id).unwrap()), r);
    }
    let (kept, town) = (device.store.reference(), demo::reference());
    assert_eq!(kept.tenant, town.tenant, "the town's reference data is kept too");
    assert_eq!(kept.wards, town.wards);
    assert_eq!(kept.users.len(), town.users.len());
    assert!(town.users.iter().all(|u| kept.user(u.id) == Some(u)));
    assert_eq!(kept.templates, town.templates);
    let fee_heads = |r: &wardbook::domain::ReferenceData| {
        let mut heads: Vec<_> = r.fee_heads.iter().map(|h| (h.code.clone(), h.default_amount)).collect();
        heads.sort();
        heads
    };
    assert_eq!(fee_heads(kept), fee_heads(&town));

    let other = Device::new();
    assert_ne!(other.store.actor_id(), actor, "another install has another actor id");
}

// ----- lists and search -----

#[test]
fn open_inspections_of_a_ward_are_only_that_wards_unfinished_inspections() {
    let mut device = Device::new();
    let store = &mut device.store;
    let supervisor = as_role(Role::Supervisor);

    let draft_w01 = demo::inspection(RecordId::new(), T0, "W01", 1);
    store.create(&draft_w01, T0).unwrap();
    let submitted_w01 = submitted_inspection(store, "W01", 2);
    let sent_back_w01 = submitted_inspection(store, "W01", 3);
    store.transition(sent_back_w01, supervisor, Status::SentBack, T0 + 2, Some("photo missing".into())).unwrap();
    let approved_w01 = submitted_inspection(store, "W01", 4);
    store.transition(approved_w01, supervisor, Status::Approved, T0 + 2, None).unwrap();
    let rejected_w01 = submitted_inspection(store, "W01", 5);
    store.transition(rejected_w01, supervisor, Status::Rejected, T0 + 2, Some("wrong premises".into())).unwrap();
    let draft_w02 = demo::inspection(RecordId::new(), T0, "W02", 6);
    store.create(&draft_w02, T0).unwrap();
    let survey_w01 = demo::asset_survey(RecordId::new(), T0, "W01", 7);
    store.create(&survey_w01, T0).unwrap();
    let receipt_w01 = demo::receipt(RecordId::new(), T0, "W01", 8);
    store.create(&receipt_w01, T0).unwrap();

    let open = store.list(&Query::open(RecordKind::Inspection).in_ward("W01")).unwrap();

    assert_eq!(ids(&open), BTreeSet::from([draft_w01.id, submitted_w01, sent_back_w01]));
    assert!(open.iter().all(|r| r.kind == RecordKind::Inspection && r.ward.as_deref() == Some("W01")));
    let statuses: BTreeSet<Status> = open.iter().map(|r| r.status).collect();
    assert_eq!(statuses, BTreeSet::from([Status::Draft, Status::Submitted, Status::SentBack]));

    let open_w02 = store.list(&Query::open(RecordKind::Inspection).in_ward("W02")).unwrap();
    assert_eq!(ids(&open_w02), BTreeSet::from([draft_w02.id]));
    assert!(store.list(&Query::open(RecordKind::Inspection).in_ward("W03")).unwrap().is_empty());
}

#[test]
fn lists_filter_by_status_and_by_assignee_newest_first() {
    let mut device = Device::new();
    let store = &mut device.store;
    let mut inspections = vec![];
    let mut receipts = vec![];
    for n in 0..6 {
        let at = T0 + i64::from(n) * 1000;
        let inspection = demo::inspection(RecordId::new(), at, "W01", n);
        store.create(&inspection, at).unwrap();
        inspections.push(inspection.id);
        let receipt = demo::receipt(RecordId::new(), at, "W02", n);
        store.create(&receipt, at).unwrap();
        receipts.push(receipt.id);
    }
    for id in &inspections[..2] {
        store.transition(*id, as_role(Role::Inspector), Status::Submitted, T0 + 10_000, None).unwrap();
    }
    store.transition(receipts[0], as_role(Role::Collector), Status::Deposited, T0 + 20_000, None).unwrap();

    let submitted = store.list(&Query { statuses: vec![Status::Submitted], ..Query::default() }).unwrap();
    assert_eq!(ids(&submitted), inspections[..2].iter().copied().collect());

    let deposited = store.list(&Query { statuses: vec![Status::Deposited], ..Query::default() }).unwrap();
    assert_eq!(ids(&deposited), BTreeSet::from([receipts[0]]));

    let collectors = store.list(&Query { assignee: Some(demo::user_id(Role::Collector)), ..Query::default() }).unwrap();
    assert_eq!(ids(&collectors), receipts.iter().copied().collect(), "the collector's list holds their receipts");

    let inspectors_drafts = store
        .list(&Query {
            assignee: Some(demo::user_id(Role::Inspector)),
            statuses: vec![Status::Draft],
            ..Query::default()
        })
        .unwrap();
    assert_eq!(ids(&inspectors_drafts), inspections[2..].iter().copied().collect());

    let nobody = store.list(&Query { assignee: Some(demo::user_id(Role::Admin)), ..Query::default() }).unwrap();
    assert!(nobody.is_empty());

    let newest = store.list(&Query { limit: Some(3), ..Query::default() }).unwrap();
    assert_eq!(newest.len(), 3);
    assert_eq!(newest[0].id, receipts[0], "the last changed record comes first");
    assert!(newest.windows(2).all(|w| w[0].updated_at >= w[1].updated_at));
}

/// Twelve receipts (n = 0..12), so every demo payer appears three times.
fn device_with_receipts() -> (Device, Vec<Record>) {
    let mut device = Device::new();
    let receipts: Vec<Record> = (0..12).map(|n| demo::receipt(RecordId::new(), T0, "W02", n)).collect();
    for r in &receipts {
        device.store.create(r, T0).unwrap();
    }
    (device, receipts)
}

fn payer(record: &Record) -> &str {
    match &record.body {
        Body::Receipt(r) => &r.payer_name,
        _ => panic!("not a receipt"),
    }
}

#[test]
fn search_finds_receipts_by_payer_name_in_any_script() {
    let (device, receipts) = device_with_receipts();
    for name in ["Kamla", "kamla devi", "Iqbal", "सुरेश", "सुरेश कुमार"] {
        let found = device.store.search(name).unwrap();
        let expected: BTreeSet<RecordId> =
            receipts.iter().filter(|r| payer(r).to_lowercase().contains(&name.to_lowercase())).map(|r| r.id).collect();
        assert_eq!(expected.len(), 3, "fixture: three receipts for {name}");
        assert_eq!(ids(&found), expected, "search {name:?}");
        assert!(found.iter().all(|row| row.title.to_lowercase().contains(&name.to_lowercase())));
    }
    assert!(device.store.search("Rajinder").unwrap().is_empty());
}

#[test]
fn search_finds_records_by_receipt_number_fragment_and_by_street() {
    let (mut device, receipts) = device_with_receipts();
    let found = device.store.search("D1/000007").unwrap();
    assert_eq!(ids(&found), BTreeSet::from([receipts[7].id]));
    assert_eq!(found[0].title, "NBH/2026-27/D1/000007 सुरेश कुमार");
    assert_eq!(device.store.search("2026-27").unwrap().len(), 12, "a fragment shared by all finds all");

    // Streets: demo addresses rotate through three streets by n % 3.
    let mut on_patiala_gate = BTreeSet::new();
    for n in [2, 5, 8, 3] {
        let inspection = demo::inspection(RecordId::new(), T0, "W03", n);
        device.store.create(&inspection, T0).unwrap();
        if n % 3 == 2 {
            on_patiala_gate.insert(inspection.id);
        }
    }
    let survey = demo::asset_survey(RecordId::new(), T0, "W03", 11);
    device.store.create(&survey, T0).unwrap();
    on_patiala_gate.insert(survey.id);

    let found = device.store.search("Patiala Gate Bazaar").unwrap();
    assert_eq!(ids(&found), on_patiala_gate);
    assert_eq!(ids(&device.store.search("patiala gate").unwrap()), on_patiala_gate, "case does not matter");
}

#[test]
fn a_search_of_one_or_two_letters_still_finds_records() {
    let (device, receipts) = device_with_receipts();
    let by_two_hindi_letters = device.store.search("सु").unwrap();
    let suresh: BTreeSet<RecordId> = receipts.iter().filter(|r| payer(r).starts_with("सुरेश")).map(|r| r.id).collect();
    assert_eq!(ids(&by_two_hindi_letters), suresh);

    let by_two_latin_letters = device.store.search("Iq").unwrap();
    assert_eq!(by_two_latin_letters.len(), 3);
    assert!(by_two_latin_letters.iter().all(|r| r.title.contains("Iqbal")));

    assert_eq!(device.store.search("  ").unwrap().len(), 12, "blank text filters nothing");
    assert!(device.store.search("%").unwrap().is_empty(), "a LIKE wildcard is searched as itself");
    assert!(device.store.search("_").unwrap().is_empty());
    assert!(device.store.search("\"").unwrap().is_empty());
    assert!(device.store.search("Zq").unwrap().is_empty());
}

#[test]
fn search_text_with_quotes_or_operators_is_taken_literally() {
    let (device, _) = device_with_receipts();
    for text in ["\"Kamla\"", "Kamla OR Baldev", "Kam*", "NEAR(a b)", "a\"b"] {
        assert!(device.store.search(text).unwrap().is_empty(), "{text:?} is matched as plain text");
    }
}

// ----- validation -----

#[test]
fn an_invalid_record_is_refused_naming_the_field_and_nothing_is_stored() {
    let mut device = Device::new();
    device.store.create(&demo::receipt(RecordId::new(), T0, "W02", 1), T0).unwrap();

    let mut job = demo::fsm_job(RecordId::new(), T0, "W01", 3);
    if let Body::FsmJob(j) = &mut job.body {
        j.pit.length = Some(-2.0);
    }
    match device.store.create(&job, T0) {
        Err(Error::Invalid(errors)) => {
            assert_eq!(errors.fields(), ["pit.length"]);
            assert_eq!(errors.0[0].code, "negative");
        }
        other => panic!("expected Invalid naming pit.length, got {other:?}"),
    }
    assert_eq!(device.store.count().unwrap(), 1, "the refused record is not stored");
    assert!(matches!(device.store.get(job.id), Err(Error::NotFound(_))));

    let mut receipt = demo::receipt(RecordId::new(), T0, "W02", 2);
    receipt.ward = Some("W99".into());
    if let Body::Receipt(r) = &mut receipt.body {
        r.mobile_number = Some("12345".into());
        r.payer_name = " ".into();
    }
    match device.store.create(&receipt, T0) {
        Err(Error::Invalid(errors)) => {
            let fields: BTreeSet<&str> = errors.fields().into_iter().collect();
            assert_eq!(fields, BTreeSet::from(["ward", "payer_name", "mobile_number"]));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(device.store.count().unwrap(), 1);
    assert!(device.store.search("12345").unwrap().is_empty());
}

#[test]
fn an_invalid_edit_is_refused_and_the_record_keeps_its_last_good_state() {
    let mut device = Device::new();
    let job = demo::fsm_job(RecordId::new(), T0, "W01", 3);
    device.store.create(&job, T0).unwrap();

    let refused = device.store.update(job.id, T0 + 1, |r| {
        if let Body::FsmJob(j) = &mut r.body {
            j.pit.width = Some(-1.0);
            j.applicant_name = "Someone else".into();
        }
        Ok(())
    });
    match refused {
        Err(Error::Invalid(errors)) => assert_eq!(errors.fields(), ["pit.width"]),
        other => panic!("expected Invalid naming pit.width, got {other:?}"),
    }
    device.reopen();
    assert_eq!(device.store.get(job.id).unwrap(), job, "nothing of the refused edit was written");
    assert!(device.store.search("Someone else").unwrap().is_empty());
}

// ----- workflow -----

#[test]
fn an_inspection_submitted_then_approved_is_listed_as_approved() {
    let mut device = Device::new();
    let id = submitted_inspection(&mut device.store, "W01", 1);
    assert_eq!(row_of(&device.store, id).status, Status::Submitted);

    let approved = device
        .store
        .transition(id, as_role(Role::Supervisor), Status::Approved, T0 + 5, Some("verified on site".into()))
        .unwrap();
    assert_eq!(approved.workflow().status, Status::Approved);

    device.reopen();
    let row = row_of(&device.store, id);
    assert_eq!(row.status, Status::Approved);
    assert!(!row.needs_review);
    let status: String =
        device.sql().query_row("SELECT status FROM records WHERE id = ?1", [id.to_string()], |r| r.get(0)).unwrap();
    assert_eq!(status, "APPROVED");
    let record = device.store.get(id).unwrap();
    let steps: Vec<(Status, Status, Role)> = record.transitions.iter().map(|t| (t.from, t.to, t.role)).collect();
    assert_eq!(
        steps,
        [(Status::Draft, Status::Submitted, Role::Inspector), (Status::Submitted, Status::Approved, Role::Supervisor)]
    );
    assert_eq!(record.transitions[1].note.as_deref(), Some("verified on site"));
    assert!(
        device.store.list(&Query::open(RecordKind::Inspection)).unwrap().is_empty(),
        "an approved inspection is no longer open"
    );
}

#[test]
fn a_collector_cannot_approve_an_inspection() {
    let mut device = Device::new();
    let id = submitted_inspection(&mut device.store, "W02", 1);
    let before = device.store.get(id).unwrap();

    match device.store.transition(id, as_role(Role::Collector), Status::Approved, T0 + 5, None) {
        Err(Error::InvalidTransition { from, to, role }) => {
            assert_eq!((from, to, role), (Status::Submitted, Status::Approved, Role::Collector));
        }
        other => panic!("expected InvalidTransition, got {other:?}"),
    }
    let err = device.store.transition(id, as_role(Role::Inspector), Status::Approved, T0 + 5, None).unwrap_err();
    assert_eq!(err.to_string(), "transition from SUBMITTED to APPROVED is not allowed for role inspector");

    assert_eq!(device.store.get(id).unwrap(), before, "a refused step leaves no trace");
    assert_eq!(row_of(&device.store, id).status, Status::Submitted);
}

#[test]
fn submitting_with_a_required_answer_missing_names_the_question() {
    let mut device = Device::new();
    let mut record = demo::inspection(RecordId::new(), T0, "W01", 1);
    inspection_mut(&mut record).answers.remove("clean");
    device.store.create(&record, T0).unwrap();

    match device.store.transition(record.id, as_role(Role::Inspector), Status::Submitted, T0 + 1, None) {
        Err(Error::Invalid(errors)) => {
            assert_eq!(errors.fields(), ["answers.clean"]);
            assert_eq!(errors.0[0].code, "required");
        }
        other => panic!("expected Invalid naming answers.clean, got {other:?}"),
    }
    assert_eq!(row_of(&device.store, record.id).status, Status::Draft);

    device
        .store
        .update(record.id, T0 + 2, |r| {
            inspection_mut(r).answers.insert("clean".into(), Answer::YesNo(false));
            Ok(())
        })
        .unwrap();
    device.store.transition(record.id, as_role(Role::Inspector), Status::Submitted, T0 + 3, None).unwrap();
    assert_eq!(row_of(&device.store, record.id).status, Status::Submitted);
}

// ----- merges between devices -----

#[test]
fn two_devices_editing_the_same_record_converge_and_keep_both_values_of_a_contested_field() {
    let (mut a, mut b) = (Device::new(), Device::new());
    let record = demo::inspection(RecordId::new(), T0, "W01", 1);
    let id = record.id;
    a.store.create(&record, T0).unwrap();
    assert_eq!(send(id, &a.store, &mut b.store, T0 + 1), record, "device B receives the record as it is");
    assert_eq!(b.store.get(id).unwrap(), record);

    // Offline on both devices: the same field edited differently, and different fields.
    a.store
        .update(id, T0 + 10, |r| {
            let i = inspection_mut(r);
            i.subject = "Toilet block near bus stand".into();
            i.answers.insert("remarks".into(), Answer::Text("tap leaking".into()));
            Ok(())
        })
        .unwrap();
    b.store
        .update(id, T0 + 11, |r| {
            let i = inspection_mut(r);
            i.subject = "Bus stand toilet (ladies)".into();
            i.address.door_no = Some("77".into());
            Ok(())
        })
        .unwrap();

    // Exchange both ways.
    let from_a = a.store.document(id).unwrap().save();
    let from_b = b.store.document(id).unwrap().save();
    a.store.merge_document(id, &from_b, T0 + 20).unwrap();
    b.store.merge_document(id, &from_a, T0 + 21).unwrap();

    let (on_a, on_b) = (a.store.get(id).unwrap(), b.store.get(id).unwrap());
    assert_eq!(on_a, on_b, "both devices show the same record");
    let i = match &on_a.body {
        Body::Inspection(i) => i,
        _ => unreachable!(),
    };
    assert_eq!(i.answers.get("remarks"), Some(&Answer::Text("tap leaking".into())), "A's other edit is kept");
    assert_eq!(i.address.door_no.as_deref(), Some("77"), "B's other edit is kept");

    let (conflicts_a, conflicts_b) = (a.store.conflicts(Some(id)).unwrap(), b.store.conflicts(Some(id)).unwrap());
    assert_eq!(conflicts_a, conflicts_b, "both devices list the same conflict with the same winner");
    assert_eq!(conflicts_a.len(), 1, "only the field both edited is in conflict: {conflicts_a:?}");
    let c = &conflicts_a[0];
    assert_eq!(c.record, id);
    assert_eq!(c.conflict.field, "body.Inspection.subject");
    let values: BTreeSet<String> = c.conflict.values.iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(values, BTreeSet::from(["Toilet block near bus stand".into(), "Bus stand toilet (ladies)".into()]));
    assert_eq!(c.conflict.values[0], c.conflict.winner, "the winner is listed first");
    assert_eq!(json!(subject(&on_a)), c.conflict.winner, "the record shows the winner");

    for device in [&a, &b] {
        let row = row_of(&device.store, id);
        assert_eq!(row.conflicts, 1);
        assert_eq!(row.title, subject(&on_a));
        let attention = device.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap();
        assert_eq!(ids(&attention), BTreeSet::from([id]));
        assert_eq!(device.store.conflicts(None).unwrap(), conflicts_a);
    }

    // The conflict survives an app restart.
    a.reopen();
    assert_eq!(a.store.conflicts(Some(id)).unwrap(), conflicts_a);
}

#[test]
fn a_person_choosing_a_value_settles_the_conflict_on_every_device() {
    let (mut a, mut b) = (Device::new(), Device::new());
    let record = demo::inspection(RecordId::new(), T0, "W01", 1);
    let id = record.id;
    a.store.create(&record, T0).unwrap();
    send(id, &a.store, &mut b.store, T0 + 1);
    set_subject(&mut a.store, id, T0 + 2, "Version A").unwrap();
    set_subject(&mut b.store, id, T0 + 3, "Version B").unwrap();
    send(id, &b.store, &mut a.store, T0 + 4);
    assert_eq!(a.store.conflicts(Some(id)).unwrap().len(), 1);

    let settled = a.store.resolve_conflict(id, "body.Inspection.subject", &json!("Version B"), T0 + 5).unwrap();
    assert_eq!(subject(&settled), "Version B");
    assert!(a.store.conflicts(Some(id)).unwrap().is_empty());
    assert_eq!(row_of(&a.store, id).conflicts, 0);
    assert!(a.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap().is_empty());

    // Device B learns the choice with the next exchange.
    send(id, &a.store, &mut b.store, T0 + 6);
    assert!(b.store.conflicts(None).unwrap().is_empty());
    assert_eq!(row_of(&b.store, id).conflicts, 0);
    assert_eq!(a.store.get(id).unwrap(), b.store.get(id).unwrap());

    match a.store.resolve_conflict(id, "body.Inspection.no_such_field.x", &json!(1), T0 + 7) {
        Err(Error::BadDocument(_)) => {}
        other => panic!("a path that is not in the record is refused, got {other:?}"),
    }
    assert_eq!(subject(&a.store.get(id).unwrap()), "Version B");
}

#[test]
fn competing_approvals_on_two_devices_put_the_record_in_review_on_both() {
    let (mut a, mut b) = (Device::new(), Device::new());
    let id = submitted_inspection(&mut a.store, "W01", 1);
    send(id, &a.store, &mut b.store, T0 + 2);
    let supervisor = as_role(Role::Supervisor);

    a.store.transition(id, supervisor, Status::Approved, T0 + 10, Some("looks fine".into())).unwrap();
    b.store.transition(id, supervisor, Status::SentBack, T0 + 11, Some("redo the photos".into())).unwrap();
    let from_a = a.store.document(id).unwrap().save();
    let from_b = b.store.document(id).unwrap().save();
    a.store.merge_document(id, &from_b, T0 + 20).unwrap();
    b.store.merge_document(id, &from_a, T0 + 20).unwrap();

    let (on_a, on_b) = (a.store.get(id).unwrap(), b.store.get(id).unwrap());
    assert_eq!(on_a, on_b);
    let state = on_a.workflow();
    assert!(state.needs_review);
    assert!([Status::Approved, Status::SentBack].contains(&state.status));
    let steps: BTreeSet<(Status, Status)> = on_a.transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        steps,
        BTreeSet::from([
            (Status::Draft, Status::Submitted),
            (Status::Submitted, Status::Approved),
            (Status::Submitted, Status::SentBack),
        ]),
        "both supervisors' steps are kept"
    );
    for device in [&a, &b] {
        let row = row_of(&device.store, id);
        assert_eq!(row.status, state.status, "both devices list the same status");
        assert!(row.needs_review);
        let attention = device.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap();
        assert_eq!(ids(&attention), BTreeSet::from([id]));
    }

    // Only a supervisor settles it.
    let refused = a.store.resolve_review(id, as_role(Role::Inspector), Status::Approved, T0 + 30, None);
    assert!(matches!(refused, Err(Error::InvalidTransition { role: Role::Inspector, .. })), "{refused:?}");

    let settled =
        a.store.resolve_review(id, supervisor, Status::Approved, T0 + 31, Some("spoke to both".into())).unwrap();
    assert_eq!(settled.workflow().status, Status::Approved);
    assert!(!settled.workflow().needs_review);
    assert_eq!(settled.transitions.len(), 4, "the history is kept, with the settling step last");
    let row = row_of(&a.store, id);
    assert_eq!((row.status, row.needs_review), (Status::Approved, false));
    assert!(a.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap().is_empty());

    send(id, &a.store, &mut b.store, T0 + 32);
    let row = row_of(&b.store, id);
    assert_eq!((row.status, row.needs_review), (Status::Approved, false));

    let again = a.store.resolve_review(id, supervisor, Status::SentBack, T0 + 33, None);
    assert!(matches!(again, Err(Error::InvalidTransition { .. })), "a settled record is not in review: {again:?}");
}

#[test]
fn an_edit_sent_as_changes_only_merges_like_a_whole_document() {
    let (mut a, mut b) = (Device::new(), Device::new());
    let record = demo::fsm_job(RecordId::new(), T0, "W02", 5);
    let id = record.id;
    a.store.create(&record, T0).unwrap();
    send(id, &a.store, &mut b.store, T0 + 1);

    let known = b.store.document(id).unwrap().heads();
    b.store
        .update(id, T0 + 2, |r| {
            if let Body::FsmJob(j) = &mut r.body {
                j.pit.width = Some(1.2);
                j.no_of_trips = 2;
            }
            Ok(())
        })
        .unwrap();
    let changes = b.store.document(id).unwrap().save_after(&known);
    assert!(!changes.is_empty());
    let whole = b.store.document(id).unwrap().save();
    assert!(changes.len() < whole.len(), "only the new changes travel");

    let merged = a.store.merge_document(id, &changes, T0 + 3).unwrap();
    assert_eq!(merged, b.store.get(id).unwrap());
    assert_eq!(a.store.get(id).unwrap(), merged);
    a.reopen();
    assert_eq!(a.store.get(id).unwrap(), merged, "the merged changes are stored");
}

#[test]
fn a_document_of_another_record_is_not_merged_into_this_one() {
    let (mut a, mut b) = (Device::new(), Device::new());
    let x = demo::inspection(RecordId::new(), T0, "W01", 1);
    a.store.create(&x, T0).unwrap();
    let y = demo::inspection(RecordId::new(), T0, "W01", 2);
    b.store.create(&y, T0).unwrap();
    let bytes_of_y = b.store.document(y.id).unwrap().save();

    // Under the wrong id: a record A has, and one it does not.
    let merged = a.store.merge_document(x.id, &bytes_of_y, T0 + 1);
    assert!(
        matches!(merged, Err(Error::DifferentRecords { ours, theirs }) if ours == x.id && theirs == y.id),
        "{merged:?}"
    );
    let unknown = RecordId::new();
    let merged = a.store.merge_document(unknown, &bytes_of_y, T0 + 1);
    assert!(
        matches!(merged, Err(Error::DifferentRecords { ours, theirs }) if ours == unknown && theirs == y.id),
        "{merged:?}"
    );

    // Two records written by the same device.
    let z = demo::inspection(RecordId::new(), T0, "W01", 3);
    a.store.create(&z, T0).unwrap();
    let bytes_of_z = a.store.document(z.id).unwrap().save();
    assert!(a.store.merge_document(x.id, &bytes_of_z, T0 + 1).is_err());

    assert_eq!(a.store.get(x.id).unwrap(), x, "the record is untouched");
    assert_eq!(a.store.get(z.id).unwrap(), z);
    assert_eq!(a.store.count().unwrap(), 2);
    assert_eq!(a.store.conflicts(None).unwrap(), vec![]);
}

// ----- how records are kept on disk -----

fn increments_of(sql: &rusqlite::Connection, id: RecordId) -> i64 {
    sql.query_row("SELECT COUNT(*) FROM record_increments WHERE record_id = ?1", [id.to_string()], |r| r.get(0))
        .unwrap()
}

#[test]
fn many_edits_are_saved_incrementally_then_compacted_and_survive_reopening() {
    let mut device = Device::new();
    let record = demo::inspection(RecordId::new(), T0, "W01", 1);
    let id = record.id;
    device.store.create(&record, T0).unwrap();
    let sql = device.sql();
    assert_eq!(increments_of(&sql, id), 0, "a new record is one snapshot");

    let mut counts = vec![];
    for n in 1..=120 {
        set_subject(&mut device.store, id, T0 + n, &format!("Toilet block, visit {n}")).unwrap();
        counts.push(increments_of(&sql, id));
        if n % 40 == 0 {
            device.reopen();
            assert_eq!(subject(&device.store.get(id).unwrap()), format!("Toilet block, visit {n}"));
        }
    }
    let most = *counts.iter().max().unwrap();
    assert!(most >= 2, "edits are saved as increments: {counts:?}");
    let compactions = counts.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(compactions >= 2, "the increments were folded into the snapshot more than once: {counts:?}");
    assert!(counts.contains(&0));

    let (snapshot_len, increments_bytes): (i64, i64) = sql
        .query_row(
            "SELECT length(d.snapshot), r.increments_bytes FROM records r JOIN record_docs d ON d.id = r.id WHERE r.id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let stored: i64 = sql
        .query_row(
            "SELECT COALESCE(SUM(length(bytes)), 0) FROM record_increments WHERE record_id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, increments_bytes, "the running total matches the increments kept");
    assert!(increments_bytes <= snapshot_len, "increments never outgrow the snapshot");
    drop(sql);

    device.reopen();
    let read = device.store.get(id).unwrap();
    assert_eq!(subject(&read), "Toilet block, visit 120");
    let mut expected = record.clone();
    inspection_mut(&mut expected).subject = "Toilet block, visit 120".into();
    assert_eq!(read, expected);
    assert_eq!(row_of(&device.store, id).title, "Toilet block, visit 120");
    assert_eq!(device.store.integrity_check().unwrap(), "ok");
}

#[test]
fn an_edit_that_changes_nothing_writes_no_increment() {
    let mut device = Device::new();
    let record = demo::asset_survey(RecordId::new(), T0, "W03", 4);
    device.store.create(&record, T0).unwrap();
    device.store.update(record.id, T0 + 1, |_| Ok(())).unwrap();
    assert_eq!(increments_of(&device.sql(), record.id), 0);
    assert_eq!(device.store.get(record.id).unwrap(), record);
}

fn corrupt(bytes: &mut [u8]) {
    let (middle, end) = (bytes.len() / 2, (bytes.len() / 2 + 8).min(bytes.len()));
    for b in &mut bytes[middle..end] {
        *b ^= 0x5a;
    }
}

#[test]
fn a_damaged_document_is_reported_for_that_record_only() {
    let mut device = Device::new();
    let records: Vec<Record> = (0..8).map(|n| demo::mixed(RecordId::new(), T0, n)).collect();
    for r in &records {
        device.store.create(r, T0).unwrap();
    }
    let victim = &records[4];
    let sql = device.sql();
    let mut snapshot: Vec<u8> =
        sql.query_row("SELECT snapshot FROM record_docs WHERE id = ?1", [victim.id.to_string()], |r| r.get(0)).unwrap();
    corrupt(&mut snapshot);
    sql.execute("UPDATE record_docs SET snapshot = ?2 WHERE id = ?1", (victim.id.to_string(), snapshot)).unwrap();
    drop(sql);
    device.reopen();

    match device.store.get(victim.id) {
        Err(Error::DamagedRecord { id, reason }) => {
            assert_eq!(id, victim.id);
            assert!(!reason.is_empty());
        }
        other => panic!("expected DamagedRecord, got {other:?}"),
    }
    let message = device.store.get(victim.id).unwrap_err().to_string();
    assert!(message.contains(&victim.id.to_string()) && message.contains("damaged"), "{message}");
    assert!(matches!(device.store.document(victim.id), Err(Error::DamagedRecord { .. })));
    let edit = device.store.update(victim.id, T0 + 1, |_| Ok(()));
    assert!(matches!(edit, Err(Error::DamagedRecord { id, .. }) if id == victim.id), "{edit:?}");

    for r in records.iter().filter(|r| r.id != victim.id) {
        assert_eq!(&as_created(device.store.get(r.id).unwrap()), r, "other records still open");
    }
    let listed = device.store.list(&Query::default()).unwrap();
    assert_eq!(listed.len(), 8, "the damaged record is still listed");
    // Its line keeps what the row holds (a list never reads the documents): the place on the
    // map, who made it, when the work was done.
    let line = row_of(&device.store, victim.id);
    assert_eq!(line.title, victim.title());
    assert!(victim.map_place().is_some(), "the victim has a place to keep");
    assert_eq!(line.location.as_ref(), victim.map_place());
    assert_eq!((line.created_by, line.work_at), (victim.created_by, Some(victim.work_at())));

    let new = demo::receipt(RecordId::new(), T0 + 2, "W02", 99);
    device.store.create(&new, T0 + 2).unwrap();
    assert_eq!(as_created(device.store.get(new.id).unwrap()), new);
    assert_eq!(device.store.count().unwrap(), 9);
}

#[test]
fn a_damaged_edit_is_reported_as_damage_and_not_silently_dropped() {
    let mut device = Device::new();
    let record = demo::inspection(RecordId::new(), T0, "W01", 1);
    device.store.create(&record, T0).unwrap();
    set_subject(&mut device.store, record.id, T0 + 1, "Edited once").unwrap();
    let sql = device.sql();
    assert_eq!(increments_of(&sql, record.id), 1);
    let mut increment: Vec<u8> = sql
        .query_row("SELECT bytes FROM record_increments WHERE record_id = ?1", [record.id.to_string()], |r| r.get(0))
        .unwrap();
    corrupt(&mut increment);
    sql.execute("UPDATE record_increments SET bytes = ?2 WHERE record_id = ?1", (record.id.to_string(), increment))
        .unwrap();
    drop(sql);

    device.reopen();
    assert!(
        matches!(device.store.get(record.id), Err(Error::DamagedRecord { id, .. }) if id == record.id),
        "the store does not show the record without its last edit as if nothing happened"
    );
    assert_eq!(row_of(&device.store, record.id).title, "Edited once");
}

#[test]
fn garbage_bytes_from_the_network_are_refused_without_crashing() {
    let seed = 0x5eed_0fba_5e11;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut device = Device::new();
    let record = demo::receipt(RecordId::new(), T0, "W02", 1);
    device.store.create(&record, T0).unwrap();
    let good = device.store.document(record.id).unwrap().save();

    for round in 0..300 {
        let bytes: Vec<u8> = match round % 4 {
            // pure noise
            0 => {
                let mut b = vec![0; rng.random_range(1..512)];
                rng.fill_bytes(&mut b);
                b
            }
            // a real document with some bytes changed
            1 => {
                let mut b = good.clone();
                for _ in 0..rng.random_range(1..6) {
                    let i = rng.random_range(0..b.len());
                    b[i] ^= rng.random_range(1..=255u8);
                }
                b
            }
            // a real document cut short
            2 => good[..rng.random_range(1..good.len())].to_vec(),
            // a real document with noise after it
            _ => {
                let mut tail = vec![0; rng.random_range(1..64)];
                rng.fill_bytes(&mut tail);
                [good.as_slice(), &tail].concat()
            }
        };
        let unknown = RecordId::new();
        let merged = device.store.merge_document(unknown, &bytes, T0 + 1);
        assert!(
            matches!(merged, Err(Error::BadDocument(_))),
            "seed {seed} round {round}: garbage is not a new record: {merged:?}"
        );
        let merged = device.store.merge_document(record.id, &bytes, T0 + 1);
        assert!(
            matches!(merged, Err(Error::BadDocument(_))),
            "seed {seed} round {round}: garbage is refused, not merged as nothing: {merged:?}"
        );
    }
    assert_eq!(device.store.count().unwrap(), 1, "no record was made of garbage");
    assert_eq!(as_created(device.store.get(record.id).unwrap()), record, "the record is as it was");
    let merged = device.store.merge_document(record.id, &good, T0 + 2).unwrap();
    assert_eq!(as_created(merged), record, "real bytes still merge");
    assert_eq!(device.store.integrity_check().unwrap(), "ok");
}

// ----- the file itself -----

#[test]
fn a_database_from_a_newer_wardbook_is_refused_with_a_message_saying_so() {
    let device = Device::new();
    let path = device.path.clone();
    let sql = device.sql();
    sql.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(sql);

    match Store::open(&path) {
        Err(err @ Error::NewerDatabase { found, supported }) => {
            assert_eq!((found, supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
            let message = err.to_string();
            assert!(message.contains("newer Wardbook"), "{message}");
            assert!(message.contains("update the app"), "{message}");
        }
        Err(other) => panic!("expected NewerDatabase, got {other}"),
        Ok(_) => panic!("a newer database must not be opened"),
    }
    let version: i64 = device.sql().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1, "the newer file is left as it was");
}

#[test]
fn an_empty_file_is_migrated_to_the_current_schema() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("empty.sqlite3");
    std::fs::File::create(&path).unwrap();

    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.count().unwrap(), 0);
    assert!(store.list(&Query::default()).unwrap().is_empty());
    assert_eq!(store.reference(), &Default::default());
    let actor = store.actor_id();
    drop(store);

    let sql = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = sql.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    drop(sql);

    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.actor_id(), actor, "migrating once makes the install's identity once");
    store.put_reference(&demo::reference()).unwrap();
    let record = demo::trip(RecordId::new(), T0, "W03", 1);
    store.create(&record, T0).unwrap();
    assert_eq!(store.get(record.id).unwrap(), record);
    assert_eq!(store.integrity_check().unwrap(), "ok");

    let fresh = Store::open(dir.path().join("not-there-yet.sqlite3")).unwrap();
    assert_eq!(fresh.integrity_check().unwrap(), "ok");
}

#[test]
fn the_store_file_uses_write_ahead_logging_for_receipts_and_the_rest() {
    let mut device = Device::new();
    device.store.create(&demo::receipt(RecordId::new(), T0, "W02", 1), T0).unwrap();
    device.store.create(&demo::inspection(RecordId::new(), T0, "W01", 2), T0).unwrap();
    device.store.create(&demo::receipt(RecordId::new(), T0, "W02", 3), T0).unwrap();
    let mode: String = device.sql().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    assert!(device.path.with_extension("sqlite3-wal").exists(), "commits go through the write-ahead log");
    assert_eq!(device.store.count().unwrap(), 3);
}

#[test]
fn a_trip_flagged_for_dumping_waits_for_a_supervisor_who_settles_it_with_a_note_and_keeps_the_evidence() {
    let mut device = Device::new();
    let trip = demo::trip(RecordId::new(), T0, "W01", 1);
    let id = trip.id;
    device.store.create(&trip, T0).unwrap();
    let far = wardbook::domain::GeoPoint { lat: 30.40, lon: 76.20, accuracy_m: Some(5.0) };
    let step = wardbook::domain::fsm::TripStep {
        at: T0 + 60_000,
        location: Some(far),
        volume_litres: Some(2500.0),
        photos: vec![],
        geofence: None,
    };
    device.store.record_disposal(id, step, T0 + 60_000).unwrap();
    assert!(row_of(&device.store, id).needs_review, "outside every plant: flagged");
    let flagged = device.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap();
    assert_eq!(ids(&flagged), BTreeSet::from([id]));
    let supervisor = as_role(Role::Supervisor);
    let status = device.store.get(id).unwrap().workflow().status;
    let refused = device.store.resolve_review(id, as_role(Role::Inspector), status, T0 + 70_000, None);
    assert!(matches!(refused, Err(Error::InvalidTransition { .. })), "{refused:?}");
    let note = Some("the plant's GPS was off; the operator confirmed the truck".to_string());
    let settled = device.store.resolve_review(id, supervisor, status, T0 + 70_000, note.clone()).unwrap();
    assert_eq!(settled.transitions.last().unwrap().note, note);
    assert!(settled.has_discrepancy(), "the evidence stays as it was recorded");
    assert!(!row_of(&device.store, id).needs_review, "settled: no longer waiting for her");
    assert!(device.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap().is_empty());
}

/// The app keeps two connections to one store file: the window's (saving, issuing receipts) and
/// the sync task's. A save that reads before it writes (a receipt takes its number first) must
/// wait for the other connection's write, never fail as "database is locked" — a collector's
/// receipt was once refused that way while a sync was storing what the server sent.
#[test]
fn two_connections_to_one_store_write_at_once_and_neither_is_refused_as_locked() {
    const EACH: u32 = 60;
    let device = Device::new();
    let path = device.path.clone();
    let issue = |ward: &'static str| {
        let path = path.clone();
        std::thread::spawn(move || {
            let mut store = Store::open(&path).expect("a second connection");
            let mut numbers = Vec::new();
            for n in 0..EACH {
                let receipt = demo::receipt(RecordId::new(), T0 + n as i64, ward, n);
                let issued = store.issue_receipt(receipt, T0 + n as i64).map_err(|e| e.to_string())?;
                let Body::Receipt(r) = issued.body else { unreachable!("issued a receipt") };
                numbers.push(r.receipt_number);
            }
            Ok::<_, String>(numbers)
        })
    };
    let (a, b) = (issue("W01"), issue("W02"));
    let a = a.join().unwrap().expect("the first connection issues every receipt");
    let b = b.join().unwrap().expect("the second connection issues every receipt");
    let numbers: BTreeSet<&String> = a.iter().chain(&b).collect();
    assert_eq!(numbers.len(), 2 * EACH as usize, "every receipt has its own number");
    let stored = device.store.list(&Query { kind: Some(RecordKind::Receipt), ..Query::default() }).unwrap();
    assert_eq!(stored.len(), 2 * EACH as usize, "every issued receipt is in the file");
}
