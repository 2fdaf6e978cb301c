//! A hostile device: the app modified to push crafted Automerge changes through the real
//! `POST /v1/sync`, with an ordinary enrolled token of its town. [`ATTACKS`] is the table: each
//! row is one class of attack and the code the server must answer it with. After every row the
//! server is alive and another town syncs normally. Runs on SQLite, and on PostgreSQL with
//! `WARDBOOK_TEST_BACKEND=postgres`. RELIABILITY.md carries the same table.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ReadDoc};
use wardbook::domain::{Body, GeoPoint, Record, Reversal, Role, Status};
use wardbook::ids::{RecordId, TransitionId};
use wardbook::sync::wire::{Outcome, RecordBytes};
use wardbook_server::params;

use crate::support::{Device, TOWN_A, TOWN_B, TestServer, now, push};

const MIN: i64 = 60_000;
const DAY: i64 = 24 * 60 * MIN;

/// Every class of attack, and the code it is refused with.
#[derive(Clone, Copy, Debug)]
enum Attack {
    DeepNestingUnderUnknownKey,
    UnknownKey,
    ValueOfAnotherType,
    TextObjectForAString,
    ConflictingValueOfAnotherKind,
    OversizedChange,
    RecordGrownPastItsLimit,
    StepRewrittenToApproved,
    StepRemoved,
    StepSignedAsAnotherUser,
    StepInAnotherRole,
    StepDatedTomorrowAndMore,
    StepNotSigned,
    StepSignedByAnotherDevice,
    SentBackWithoutAReason,
    ResubmittedOverTheSupervisorsNote,
    ApprovedInspectionEdited,
    DisposedTripLitresCut,
    CustodyPairRemoved,
    TripClosedByItsCrewWithoutCountersign,
    TripLitresAboveTheTank,
    TripPickedUpWithoutLitres,
    JobWithoutLocalityOrAMobileOfFiveDigits,
    ReversalForTenTimesItsReceipt,
    ReversalOfAMissingReceipt,
    SecondReversalOfOneReceipt,
    ReversalOfAnotherCollectorsReceipt,
    HandoverHidingAShortage,
    HandoverOfMoreThanCollected,
    HandoverOfAnotherUsersCash,
    SecondHandoverOfADay,
    ReceiptInAnotherDevicesBlock,
    ReceiptNumberNeverGranted,
    ReceiptInAnotherDevicesSeries,
    ReceiptWithoutSignature,
    ReceiptDatedIn1969,
    ReceiptDatedInTheYear3000,
    ReceiptDateOutsideItsYear,
    IssuedReceiptAmountChanged,
    RecordWithoutWardOrPlace,
    RecordMovedToAnotherWard,
    ChangeWrittenAsAnotherDevice,
    RecordOfAnotherTown,
    KindTheRoleDoesNotWorkWith,
    NotAnAutomergeChange,
    ChangeWithABrokenChecksum,
}

use Attack::*;

/// The attack table: what is sent, and the code that must come back.
const ATTACKS: &[(Attack, &str)] = &[
    (DeepNestingUnderUnknownKey, "invalid_document"),
    (UnknownKey, "invalid_document"),
    (ValueOfAnotherType, "invalid_document"),
    (TextObjectForAString, "invalid_document"),
    (ConflictingValueOfAnotherKind, "invalid_document"),
    (OversizedChange, "change_too_large"),
    (RecordGrownPastItsLimit, "record_too_large"),
    (StepRewrittenToApproved, "history_rewritten"),
    (StepRemoved, "history_rewritten"),
    (StepSignedAsAnotherUser, "transition_not_yours"),
    (StepInAnotherRole, "transition_not_yours"),
    (StepDatedTomorrowAndMore, "time_in_future"),
    (StepNotSigned, "unsigned_step"),
    (StepSignedByAnotherDevice, "bad_step_signature"),
    (SentBackWithoutAReason, "reason_required"),
    (ResubmittedOverTheSupervisorsNote, "history_rewritten"),
    (ApprovedInspectionEdited, "record_final"),
    (DisposedTripLitresCut, "record_final"),
    (CustodyPairRemoved, "custody_immutable"),
    (TripClosedByItsCrewWithoutCountersign, "transition_not_allowed"),
    (TripLitresAboveTheTank, "invalid_record"),
    (TripPickedUpWithoutLitres, "invalid_record"),
    (JobWithoutLocalityOrAMobileOfFiveDigits, "invalid_record"),
    (ReversalForTenTimesItsReceipt, "reversal_mismatch"),
    (ReversalOfAMissingReceipt, "reversal_unknown_receipt"),
    (SecondReversalOfOneReceipt, "reversal_exists"),
    (ReversalOfAnotherCollectorsReceipt, "reversal_not_yours"),
    (HandoverHidingAShortage, "handover_expected_mismatch"),
    (HandoverOfMoreThanCollected, "invalid_record"),
    (HandoverOfAnotherUsersCash, "handover_not_yours"),
    (SecondHandoverOfADay, "handover_exists"),
    (ReceiptInAnotherDevicesBlock, "number_not_yours"),
    (ReceiptNumberNeverGranted, "number_not_granted"),
    (ReceiptInAnotherDevicesSeries, "number_not_yours"),
    (ReceiptWithoutSignature, "unsigned_receipt"),
    (ReceiptDatedIn1969, "receipt_date_out_of_range"),
    (ReceiptDatedInTheYear3000, "time_in_future"),
    (ReceiptDateOutsideItsYear, "receipt_date_outside_fy"),
    (IssuedReceiptAmountChanged, "receipt_immutable"),
    (RecordWithoutWardOrPlace, "ward_required"),
    (RecordMovedToAnotherWard, "ward_out_of_scope"),
    (ChangeWrittenAsAnotherDevice, "actor_not_yours"),
    (RecordOfAnotherTown, "tenant_mismatch"),
    (KindTheRoleDoesNotWorkWith, "kind_not_allowed"),
    (NotAnAutomergeChange, "malformed_change"),
    (ChangeWithABrokenChecksum, "malformed_change"),
];

/// A town with one device per role and records in every state an attack needs.
struct World {
    server: TestServer,
    inspector: Device,
    supervisor: Device,
    collector: Device,
    other_collector: Device,
    /// Another collector of the town, a person of their own (in W02, where the receipts are).
    second_collector: Device,
    crew: Device,
    /// A supervisor device enrolled without a signing key (supervisors may issue receipts).
    keyless_supervisor: Device,
    /// Patiala's supervisor: must sync normally after every attack.
    other_town: Device,
    submitted: RecordId,
    approved: RecordId,
    /// Sent back to the inspector with the supervisor's note.
    sent_back: RecordId,
    disposed_trip: RecordId,
    waiting_trip: RecordId,
    receipt: Record,
    reversed_receipt: Record,
    collector_actor: Vec<u8>,
}

fn reversal_of(receipt: &Record, amount_times: i64) -> Record {
    let Body::Receipt(r) = &receipt.body else { unreachable!("a receipt") };
    let body = Body::Reversal(Reversal {
        receipt: receipt.id,
        receipt_number: r.receipt_number.clone(),
        amount: wardbook::domain::Paise(r.total().0 * amount_times),
        reason: "paid twice".into(),
    });
    let mut record = Record::new(RecordId::new(), TOWN_A, receipt.created_by, now(), body);
    record.ward = receipt.ward.clone();
    record
}

/// A collector's handover of `day`'s cash as a tampered device writes it, placed in W02.
fn handover(
    collector: wardbook::ids::UserId,
    by: wardbook::ids::UserId,
    day: &str,
    expected: i64,
    counted: i64,
) -> Record {
    let body = Body::Handover(wardbook::domain::Handover {
        collector,
        day: day.into(),
        expected_cash: wardbook::domain::Paise(expected),
        counted_cash: wardbook::domain::Paise(counted),
        note: Some("counted at the office".into()),
    });
    let mut record = Record::new(RecordId::new(), TOWN_A, by, now(), body);
    record.ward = Some("W02".into());
    record
}

fn at_plant() -> GeoPoint {
    GeoPoint { lat: 30.3601, lon: 76.1601, accuracy_m: Some(5.0) }
}

impl World {
    async fn new() -> World {
        let server = TestServer::start().await;
        let mut inspector = server.device(TOWN_A, Role::Inspector).await;
        let mut supervisor = server.device(TOWN_A, Role::Supervisor).await;
        let mut collector = server.device(TOWN_A, Role::Collector).await;
        let other_collector = server.device(TOWN_A, Role::Collector).await;
        let second = wardbook::domain::reference::User {
            id: wardbook::ids::UserId::new(),
            name: "Second collector".into(),
            roles: vec![Role::Collector],
            wards: vec!["W02".into()],
        };
        let second_collector = Device::enroll_as(&server.url(), &server.db, TOWN_A, &second).await;
        let mut crew = server.device(TOWN_A, Role::SanitationCrew).await;
        let mut operator = server.device(TOWN_A, Role::FstpOperator).await;
        let keyless_supervisor = {
            let user = wardbook::demo::user_id(Role::Supervisor);
            let (_, code) = server.db.admin(|sql| wardbook_server::db::device_enroll(sql, TOWN_A, user));
            Device::enroll_with_key(&server.url(), &code, TOWN_A, Role::Supervisor, false).await
        };
        let other_town = server.device(TOWN_B, Role::Supervisor).await;

        // Inspections: one submitted, one approved, one sent back.
        let t0 = now();
        let (submitted, approved, sent_back) = (RecordId::new(), RecordId::new(), RecordId::new());
        for (id, n) in [(submitted, 1), (approved, 2), (sent_back, 3)] {
            inspector.store.create(&wardbook::demo::inspection(id, t0, "W01", n), t0).unwrap();
            inspector.store.transition(id, inspector.actor, Status::Submitted, t0 + 1, None).unwrap();
        }
        inspector.sync().await.unwrap();
        supervisor.sync().await.unwrap();
        supervisor.store.transition(approved, supervisor.actor, Status::Approved, t0 + 2, None).unwrap();
        let note = Some("Photograph the water tap".to_string());
        supervisor.store.transition(sent_back, supervisor.actor, Status::SentBack, t0 + 2, note).unwrap();
        assert_eq!(supervisor.sync().await.unwrap().rejected, 0);
        inspector.sync().await.unwrap();

        // Trips: one handed over and countersigned, waiting; one disposed.
        let mut trips = Vec::new();
        for n in 0..2 {
            let trip = wardbook::demo::trip(RecordId::new(), t0, "W01", n);
            crew.store.create(&trip, t0).unwrap();
            crew.store.transition(trip.id, crew.actor, Status::WaitingForDisposal, t0 + 1, None).unwrap();
            crew.sync().await.unwrap();
            let code = crew.store.handover_code(trip.id, t0 + 30 * MIN).unwrap();
            let back = operator.store.countersign_handover(&code, 2400.0, &at_plant(), t0 + 40 * MIN).unwrap();
            // Kept waiting (no step): the operator's device disposes one below.
            crew.store.record_countersigned(trip.id, &back, at_plant(), vec![], None, t0 + 41 * MIN).unwrap();
            assert_eq!(crew.sync().await.unwrap().rejected, 0);
            trips.push(trip.id);
        }
        operator.sync().await.unwrap();
        operator.store.transition(trips[1], operator.actor, Status::Disposed, t0 + 50 * MIN, None).unwrap();
        assert_eq!(operator.sync().await.unwrap().rejected, 0);
        crew.sync().await.unwrap();

        // Receipts: the collector asks for a block, issues two, and asks to reverse one.
        collector.sync().await.unwrap();
        let receipt = collector.create(wardbook::demo::receipt(RecordId::new(), now(), "W02", 1));
        let reversed_receipt = collector.create(wardbook::demo::receipt(RecordId::new(), now(), "W02", 2));
        collector.store.create(&reversal_of(&reversed_receipt, 1), now()).unwrap();
        let report = collector.sync().await.unwrap();
        assert_eq!(report.rejected, 0, "{report:?}");
        // Yesterday's cash (none) handed over by the collector: the server takes it.
        let user = collector.actor.user;
        let yesterday = wardbook::ledger::ist_date(now() - DAY).to_string();
        let mut handed =
            collector.store.new_handover(user, user, &yesterday, wardbook::domain::Paise(0), None, now()).unwrap();
        handed.ward = Some("W02".into());
        collector.store.create(&handed, now()).unwrap();
        let report = collector.sync().await.unwrap();
        assert_eq!((report.confirmed, report.rejected), (1, 0), "{report:?}");
        let collector_actor = hex(&collector.store.actor_id());
        World {
            server,
            inspector,
            supervisor,
            collector,
            other_collector,
            second_collector,
            crew,
            keyless_supervisor,
            other_town,
            submitted,
            approved,
            sent_back,
            disposed_trip: trips[1],
            waiting_trip: trips[0],
            receipt,
            reversed_receipt,
            collector_actor,
        }
    }

    /// The server's document of a record, as the attacker's own feed delivered it.
    fn stored(&self, id: RecordId) -> AutoCommit {
        let bytes = self.server.db.admin(|sql| {
            sql.row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![TOWN_A, id.to_string()])?
                .expect("the record is on the server")
                .blob(0)
        });
        AutoCommit::load(&bytes).unwrap().with_actor(ActorId::random())
    }

    /// The block numbers granted to the collector's device.
    fn collector_block(&self) -> (String, i64) {
        let device = self.collector.device_id.clone();
        self.server.db.admin(|sql| {
            let row = sql
                .row(
                    "SELECT fy, first FROM receipt_blocks WHERE tenant = ?1 AND device = ?2 ORDER BY first LIMIT 1",
                    params![TOWN_A, &device],
                )?
                .expect("the collector holds a block");
            Ok((row.text(0)?, row.int(1)?))
        })
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// The change `edit` makes to `doc`, as bytes.
pub(crate) fn change(mut doc: AutoCommit, edit: impl FnOnce(&mut AutoCommit)) -> Vec<u8> {
    edit(&mut doc);
    doc.commit();
    doc.get_last_local_change().expect("the edit made a change").raw_bytes().to_vec()
}

/// The change that turns the stored record into `edit`'s version, written the way the app
/// writes (autosurgeon), so only the rule it breaks is wrong with it.
pub(crate) fn record_change(doc: AutoCommit, edit: impl FnOnce(&mut Record)) -> Vec<u8> {
    change(doc, |doc| {
        let mut record: Record = autosurgeon::hydrate(doc).unwrap();
        edit(&mut record);
        autosurgeon::reconcile(doc, &record).unwrap();
    })
}

/// A new record's first change, written by `actor`.
pub(crate) fn new_record(record: &Record, actor: &[u8]) -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
    autosurgeon::reconcile(&mut doc, record).unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

/// An unsigned workflow step, as a tampered device writes one.
pub(crate) fn step(
    at: i64,
    by: wardbook::ids::UserId,
    role: Role,
    from: Status,
    to: Status,
) -> wardbook::domain::Transition {
    let (id, note, resolves_review, signature) = (TransitionId::new(), None, false, None);
    wardbook::domain::Transition { id, at, by, role, from, to, note, resolves_review, signature }
}

/// `len` letters that hardly compress (xorshift), so a document grows by what is sent.
fn random_text(seed: &mut u64, len: usize) -> String {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            char::from(b'a' + (*seed % 26) as u8)
        })
        .collect()
}

/// A receipt signed by `device`'s key, numbered and dated as given.
fn signed_receipt(device: &Device, number: &str, date: i64) -> Record {
    let mut record = wardbook::demo::receipt(RecordId::new(), date, "W02", 7);
    record.created_at = now();
    if let Body::Receipt(r) = &mut record.body {
        r.receipt_number = number.to_string();
        r.key_id = Some(device.store.device_key().unwrap().public_key().key_id());
    }
    let signature = wardbook::ledger::sign(&device.store.device_key().unwrap(), &record).unwrap();
    if let Body::Receipt(r) = &mut record.body {
        r.signature = Some(wardbook::ledger::encode_signature(&signature));
    }
    record
}

pub(crate) fn inspection_of(doc: &AutoCommit) -> automerge::ObjId {
    let (_, body) = doc.get(automerge::ROOT, "body").unwrap().unwrap();
    doc.get(&body, "Inspection").unwrap().unwrap().1
}

pub(crate) fn first_step(doc: &AutoCommit) -> automerge::ObjId {
    let (_, steps) = doc.get(automerge::ROOT, "transitions").unwrap().unwrap();
    doc.get(&steps, 0).unwrap().unwrap().1
}

/// The device that attacks, and the changes it sends.
async fn craft(w: &mut World, attack: Attack) -> (String, Vec<RecordBytes>) {
    let inspector = w.inspector.client.token().to_string();
    let collector = w.collector.client.token().to_string();
    let one = |record: RecordId, bytes: Vec<u8>| vec![RecordBytes { record, bytes }];
    let fy = wardbook::ledger::financial_year(now());
    let series = |actor: &str| format!("D{}", actor[..11].to_uppercase());
    match attack {
        DeepNestingUnderUnknownKey => {
            let bytes = change(w.stored(w.submitted), |doc| {
                let mut obj = doc.put_object(inspection_of(doc), "notes", ObjType::Map).unwrap();
                for _ in 0..400 {
                    obj = doc.put_object(&obj, "n", ObjType::Map).unwrap();
                }
            });
            (inspector, one(w.submitted, bytes))
        }
        UnknownKey => {
            let bytes = change(w.stored(w.submitted), |doc| doc.put(inspection_of(doc), "smuggled", "x").unwrap());
            (inspector, one(w.submitted, bytes))
        }
        ValueOfAnotherType => {
            let bytes = change(w.stored(w.submitted), |doc| doc.put(inspection_of(doc), "subject", 5i64).unwrap());
            (inspector, one(w.submitted, bytes))
        }
        TextObjectForAString => {
            let bytes = change(w.stored(w.submitted), |doc| {
                let text = doc.put_object(inspection_of(doc), "subject", ObjType::Text).unwrap();
                doc.splice_text(&text, 0, 0, "hello").unwrap();
            });
            (inspector, one(w.submitted, bytes))
        }
        ConflictingValueOfAnotherKind => {
            // A map written concurrently with the subject's string (from the record's first
            // state): it would lose the conflict and hide whatever it holds.
            let mut base = w.stored(w.submitted);
            let heads = vec![base.get_changes(&[]).first().unwrap().hash()];
            let old = base.fork_at(&heads).unwrap().with_actor(ActorId::random());
            let bytes = change(old, |doc| {
                let hidden = doc.put_object(inspection_of(doc), "subject", ObjType::Map).unwrap();
                doc.put(&hidden, "payload", "x").unwrap();
            });
            (inspector, one(w.submitted, bytes))
        }
        OversizedChange => {
            let text = "x".repeat(70 * 1024);
            let bytes = record_change(w.stored(w.submitted), |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.subject = text;
                }
            });
            (inspector, one(w.submitted, bytes))
        }
        RecordGrownPastItsLimit => {
            // Each change is below the change limit; together they grow the record past its own.
            // Random text does not compress, so the saved document grows by what is sent.
            let grown = RecordId::new();
            let t = now();
            w.inspector.store.create(&wardbook::demo::inspection(grown, t, "W01", 8), t).unwrap();
            w.inspector.sync().await.unwrap();
            let mut doc = w.stored(grown);
            let mut changes = Vec::new();
            let mut seed = 0x9e3779b97f4a7c15u64;
            for _ in 0..12 {
                let text = random_text(&mut seed, 50_000);
                let bytes = record_change(doc.clone(), |r| {
                    if let Body::Inspection(i) = &mut r.body {
                        i.subject = text;
                    }
                });
                doc.apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()]).unwrap();
                changes.push(RecordBytes { record: grown, bytes });
            }
            (inspector, changes)
        }
        StepRewrittenToApproved => {
            let bytes = change(w.stored(w.submitted), |doc| {
                let step = first_step(doc);
                doc.put(&step, "to", "APPROVED").unwrap();
                doc.put(&step, "role", "supervisor").unwrap();
            });
            (inspector, one(w.submitted, bytes))
        }
        StepRemoved => {
            let bytes = record_change(w.stored(w.submitted), |r| r.transitions.clear());
            (inspector, one(w.submitted, bytes))
        }
        StepSignedAsAnotherUser | StepInAnotherRole | StepDatedTomorrowAndMore => {
            let (user, role, at) = match attack {
                StepSignedAsAnotherUser => (wardbook::demo::user_id(Role::Supervisor), Role::Supervisor, now()),
                StepInAnotherRole => (w.inspector.actor.user, Role::Supervisor, now()),
                _ => (w.inspector.actor.user, Role::Inspector, now() + 2 * DAY),
            };
            let (record, from, to) = match attack {
                StepDatedTomorrowAndMore => (w.submitted, Status::Submitted, Status::Submitted),
                _ => (w.submitted, Status::Submitted, Status::Approved),
            };
            let bytes = record_change(w.stored(record), |r| r.transitions.push(step(at, user, role, from, to)));
            if let StepDatedTomorrowAndMore = attack {
                // A sent-back inspection may be submitted again: only the date is wrong.
                let sent_back = RecordId::new();
                let t = now();
                w.inspector.store.create(&wardbook::demo::inspection(sent_back, t, "W01", 9), t).unwrap();
                w.inspector.sync().await.unwrap();
                let bytes = record_change(w.stored(sent_back), |r| {
                    r.transitions.push(step(at, user, role, Status::Draft, Status::Submitted))
                });
                return (inspector, one(sent_back, bytes));
            }
            (inspector, one(record, bytes))
        }
        StepNotSigned | StepSignedByAnotherDevice => {
            // The inspector's own step, allowed by the table, but without its device's signature
            // (or with the collector's device's signature).
            let draft = RecordId::new();
            let t = now();
            w.inspector.store.create(&wardbook::demo::inspection(draft, t, "W01", 10), t).unwrap();
            w.inspector.sync().await.unwrap();
            let signer = w.collector.store.device_key().unwrap();
            let user = w.inspector.actor.user;
            let bytes = record_change(w.stored(draft), |r| {
                r.transitions.push(step(now(), user, Role::Inspector, Status::Draft, Status::Submitted));
                if let StepSignedByAnotherDevice = attack {
                    wardbook::ledger::sign_steps(&signer, r, &[]);
                }
            });
            (inspector, one(draft, bytes))
        }
        SentBackWithoutAReason => {
            // The supervisor's own step, allowed by the table and signed by her device, without
            // the reason the inspector needs.
            let key = w.supervisor.store.device_key().unwrap();
            let user = w.supervisor.actor.user;
            let bytes = record_change(w.stored(w.submitted), |r| {
                let mut back = step(now(), user, Role::Supervisor, Status::Submitted, Status::SentBack);
                back.note = Some("   ".into());
                r.transitions.push(back);
                wardbook::ledger::sign_steps(&key, r, &[]);
            });
            (w.supervisor.client.token().to_string(), one(w.submitted, bytes))
        }
        ResubmittedOverTheSupervisorsNote => {
            // A proper resubmission (edited answers, a new signed step) that also rewrites the
            // supervisor's note to something milder.
            let key = w.inspector.store.device_key().unwrap();
            let user = w.inspector.actor.user;
            let bytes = record_change(w.stored(w.sent_back), |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.subject = "Community toilet, rear block".into();
                }
                r.transitions[1].note = Some("all fine".into());
                let stored = r.transitions.clone();
                r.transitions.push(step(now(), user, Role::Inspector, Status::SentBack, Status::Submitted));
                wardbook::ledger::sign_steps(&key, r, &stored);
            });
            (inspector, one(w.sent_back, bytes))
        }
        ApprovedInspectionEdited => {
            let bytes = record_change(w.stored(w.approved), |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.subject = "Another place altogether".into();
                }
            });
            (inspector, one(w.approved, bytes))
        }
        DisposedTripLitresCut => {
            let bytes = record_change(w.stored(w.disposed_trip), |r| {
                if let Body::Trip(t) = &mut r.body {
                    t.pickup.as_mut().unwrap().volume_litres = Some(100.0);
                }
            });
            (w.crew.client.token().to_string(), one(w.disposed_trip, bytes))
        }
        CustodyPairRemoved => {
            let bytes = record_change(w.stored(w.waiting_trip), |r| {
                if let Body::Trip(t) = &mut r.body {
                    t.custody = None;
                    t.disposal = None;
                }
            });
            (w.crew.client.token().to_string(), one(w.waiting_trip, bytes))
        }
        TripClosedByItsCrewWithoutCountersign => {
            // The crew may close a trip the plant operator countersigned; this one has a disposal
            // but no countersignature, and the crew's own, properly signed step closes it.
            let trip = RecordId::new();
            let t = now();
            w.crew.store.create(&wardbook::demo::trip(trip, t, "W01", 6), t).unwrap();
            w.crew.store.transition(trip, w.crew.actor, Status::WaitingForDisposal, t + 1, None).unwrap();
            let at_the_plant = wardbook::domain::fsm::TripStep {
                at: t + 2,
                location: Some(at_plant()),
                volume_litres: Some(2500.0),
                photos: vec![],
                geofence: None,
            };
            w.crew.store.record_disposal(trip, at_the_plant, t + 2).unwrap();
            assert_eq!(w.crew.sync().await.unwrap().rejected, 0);
            let (signer, user) = (w.crew.store.device_key().unwrap(), w.crew.actor.user);
            let bytes = record_change(w.stored(trip), |r| {
                let before = r.transitions.clone();
                r.transitions.push(step(
                    now(),
                    user,
                    Role::SanitationCrew,
                    Status::WaitingForDisposal,
                    Status::Disposed,
                ));
                wardbook::ledger::sign_steps(&signer, r, &before);
            });
            (w.crew.client.token().to_string(), one(trip, bytes))
        }
        TripLitresAboveTheTank | TripPickedUpWithoutLitres => {
            // 5,000 litres picked up by the demo town's 3,000-litre tanker, or a pickup with no
            // litres at all (which the gate handover could not sign): the app refuses both on
            // the form; a tampered phone sends them anyway.
            let mut trip = wardbook::demo::trip(RecordId::new(), now(), "W01", 5);
            if let Body::Trip(t) = &mut trip.body {
                t.pickup.as_mut().unwrap().volume_litres =
                    if let TripLitresAboveTheTank = attack { Some(5000.0) } else { None };
            }
            (w.crew.client.token().to_string(), one(trip.id, new_record(&trip, &[0x5d; 16])))
        }
        JobWithoutLocalityOrAMobileOfFiveDigits => {
            // The form refuses both (with every other problem, in one round); a tampered phone
            // sends them anyway.
            let mut job = wardbook::demo::fsm_job(RecordId::new(), now(), "W02", 6);
            if let Body::FsmJob(j) = &mut job.body {
                j.mobile_number = Some("98765".into());
                j.address.locality = None;
            }
            (collector, one(job.id, new_record(&job, &w.collector_actor)))
        }
        ReversalForTenTimesItsReceipt | ReversalOfAMissingReceipt | SecondReversalOfOneReceipt => {
            let mut reversal = match attack {
                ReversalForTenTimesItsReceipt => reversal_of(&w.receipt, 10),
                SecondReversalOfOneReceipt => reversal_of(&w.reversed_receipt, 1),
                _ => reversal_of(&w.receipt, 1),
            };
            if let (ReversalOfAMissingReceipt, Body::Reversal(r)) = (attack, &mut reversal.body) {
                r.receipt = RecordId::new();
            }
            (collector, one(reversal.id, new_record(&reversal, &w.collector_actor)))
        }
        ReversalOfAnotherCollectorsReceipt => {
            // A collector asks to cancel a receipt someone else issued (her app offers only her
            // own; a tampered one sends it anyway).
            let me = &w.second_collector;
            let mut reversal = reversal_of(&w.receipt, 1);
            reversal.created_by = me.actor.user;
            let actor = hex(&me.store.actor_id());
            (me.client.token().to_string(), one(reversal.id, new_record(&reversal, &actor)))
        }
        HandoverHidingAShortage | HandoverOfMoreThanCollected | HandoverOfAnotherUsersCash | SecondHandoverOfADay => {
            // Today the collector took ₹151 + ₹152 in cash (the reversal is not approved).
            let me = w.collector.actor.user;
            let today = wardbook::ledger::ist_date(now()).to_string();
            let yesterday = wardbook::ledger::ist_date(now() - DAY).to_string();
            let record = match attack {
                HandoverHidingAShortage => handover(me, me, &today, 20_000, 20_000),
                HandoverOfMoreThanCollected => handover(me, me, &today, 30_300, 40_000),
                HandoverOfAnotherUsersCash => handover(wardbook::demo::user_id(Role::Inspector), me, &today, 0, 0),
                _ => handover(me, me, &yesterday, 0, 0),
            };
            (collector, one(record.id, new_record(&record, &w.collector_actor)))
        }
        ReceiptInAnotherDevicesBlock | ReceiptNumberNeverGranted => {
            let (block_fy, first) = w.collector_block();
            let n = if let ReceiptInAnotherDevicesBlock = attack { first + 50 } else { 9_000_000 };
            let thief = &w.other_collector;
            let receipt = signed_receipt(thief, &format!("NBH/{block_fy}/T/{n:06}"), now());
            let actor = hex(&thief.store.actor_id());
            (thief.client.token().to_string(), one(receipt.id, new_record(&receipt, &actor)))
        }
        ReceiptInAnotherDevicesSeries => {
            let thief = &w.other_collector;
            let number = format!("NBH/{fy}/{}/000900", series(&w.collector.store.actor_id()));
            let receipt = signed_receipt(thief, &number, now());
            let actor = hex(&thief.store.actor_id());
            (thief.client.token().to_string(), one(receipt.id, new_record(&receipt, &actor)))
        }
        ReceiptWithoutSignature => {
            let device = &w.keyless_supervisor;
            let actor = device.store.actor_id();
            let mut receipt = wardbook::demo::receipt(RecordId::new(), now(), "W02", 3);
            receipt.created_by = device.actor.user;
            if let Body::Receipt(r) = &mut receipt.body {
                r.receipt_number = format!("NBH/{fy}/{}/000001", series(&actor));
            }
            (device.client.token().to_string(), one(receipt.id, new_record(&receipt, &hex(&actor))))
        }
        ReceiptDatedIn1969 | ReceiptDatedInTheYear3000 | ReceiptDateOutsideItsYear => {
            let date = match attack {
                ReceiptDatedIn1969 => 0,
                ReceiptDatedInTheYear3000 => 32_503_680_000_000,
                _ => now(),
            };
            let number_fy = match attack {
                ReceiptDateOutsideItsYear => wardbook::ledger::financial_year(now() - 400 * DAY),
                _ => wardbook::ledger::financial_year(date),
            };
            let actor = w.collector.store.actor_id();
            let number = format!("NBH/{number_fy}/{}/000800", series(&actor));
            let receipt = signed_receipt(&w.collector, &number, date);
            (collector, one(receipt.id, new_record(&receipt, &w.collector_actor)))
        }
        IssuedReceiptAmountChanged => {
            let id = w.receipt.id;
            let mut doc = w.stored(id);
            doc.set_actor(ActorId::from(w.collector_actor.as_slice()));
            let bytes = record_change(doc, |r| {
                if let Body::Receipt(rc) = &mut r.body {
                    rc.lines[0].amount.0 = 1;
                }
            });
            (collector, one(id, bytes))
        }
        RecordWithoutWardOrPlace => {
            let mut record = wardbook::demo::inspection(RecordId::new(), now(), "W01", 4);
            record.ward = None;
            if let Body::Inspection(i) = &mut record.body {
                i.location = None;
                i.address.location = None;
            }
            (inspector, one(record.id, new_record(&record, &[0x5a; 16])))
        }
        RecordMovedToAnotherWard => {
            let bytes = record_change(w.stored(w.submitted), |r| r.ward = Some("W03".into()));
            (inspector, one(w.submitted, bytes))
        }
        ChangeWrittenAsAnotherDevice => {
            // The collector's own actor, used from the inspector's device.
            let record = wardbook::demo::inspection(RecordId::new(), now(), "W01", 5);
            (inspector, one(record.id, new_record(&record, &w.collector_actor)))
        }
        RecordOfAnotherTown => {
            let mut record = wardbook::demo::inspection(RecordId::new(), now(), "W01", 6);
            record.tenant = TOWN_B.into();
            (inspector, one(record.id, new_record(&record, &[0x5b; 16])))
        }
        KindTheRoleDoesNotWorkWith => {
            let record = wardbook::demo::receipt(RecordId::new(), now(), "W01", 6);
            (inspector, one(record.id, new_record(&record, &[0x5c; 16])))
        }
        NotAnAutomergeChange => (inspector, one(RecordId::new(), b"\x85\x6f\x4a\x83 not a change".to_vec())),
        ChangeWithABrokenChecksum => {
            // A well-formed edit whose header checksum is wrong: Automerge reads a lone change
            // without checking it, but a document holding it would not load again.
            let mut bytes = change(w.stored(w.submitted), |doc| doc.put(inspection_of(doc), "subject", "x").unwrap());
            bytes[4] ^= 0xff;
            (inspector, one(w.submitted, bytes))
        }
    }
}

/// After an attack: the server answers, and another town's device syncs a new record.
async fn alive(w: &mut World, n: u32) {
    let health = reqwest::get(format!("{}/healthz", w.server.url())).await.unwrap();
    assert_eq!(health.status(), 200, "the server is alive");
    let record = wardbook::demo::inspection(RecordId::new(), now(), "W01", 100 + n);
    let record = Record { tenant: TOWN_B.into(), ..record };
    w.other_town.store.create(&record, now()).unwrap();
    let report = w.other_town.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 0), "another town syncs normally: {report:?}");
}

#[tokio::test]
async fn every_attack_of_the_table_is_refused_with_its_code_and_the_server_goes_on() {
    let mut w = World::new().await;
    let mut wrong = Vec::new();
    for (n, (attack, expected)) in ATTACKS.iter().enumerate() {
        let (token, changes) = craft(&mut w, *attack).await;
        let answer = push(&w.server.url(), &token, changes).await;
        let codes: Vec<String> = answer
            .acks
            .iter()
            .map(|a| match a {
                Outcome::Rejected { code, .. } => code.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        // A row of several changes (a record grown step by step) is refused at the one that
        // crosses the line: the ones before it were within every limit, the ones after it wait
        // for it (parked), and none after it is stored.
        let refused_at = codes.iter().position(|c| c == expected);
        let stored_after = refused_at.is_some_and(|i| codes[i..].iter().any(|c| c.starts_with("Stored")));
        if refused_at.is_none() || stored_after {
            wrong.push(format!("{attack:?}: expected {expected}, got {codes:?} {:?}", answer.acks.last()));
        }
        alive(&mut w, n as u32).await;
    }
    assert!(wrong.is_empty(), "attacks not refused as the table says:\n{}", wrong.join("\n"));
    // Nothing refused entered the log: the approved inspection and the disposed trip read as
    // they were, and the ledger still balances against what was issued.
    let approved = w.server.db.count(
        "SELECT COUNT(*) FROM records WHERE tenant = ?1 AND id = ?2 AND status = 'APPROVED'",
        params![TOWN_A, w.approved.to_string()],
    );
    assert_eq!(approved, 1);
}

/// A change that nests a map 100,000 levels deep, sent whole and in pieces under the change
/// limit: refused either way; the server, the attacking device's store and another town go on.
#[tokio::test]
async fn a_change_nesting_a_hundred_thousand_levels_is_refused_and_nothing_dies() {
    let server = TestServer::start().await;
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    let mut other_town = server.device(TOWN_B, Role::Supervisor).await;
    let id = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(id, now(), "W01", 1), now()).unwrap();
    inspector.sync().await.unwrap();
    let bytes = inspector.store.document(id).unwrap().save();
    let mut doc = AutoCommit::load(&bytes).unwrap().with_actor(ActorId::random());
    // Whole: one change of 100,000 levels.
    let deep = change(doc.clone(), |doc| {
        let mut obj = doc.put_object(inspection_of(doc), "notes", ObjType::Map).unwrap();
        for _ in 0..100_000 {
            obj = doc.put_object(&obj, "n", ObjType::Map).unwrap();
        }
    });
    let answer =
        push(&server.url(), inspector.client.token(), vec![RecordBytes { record: id, bytes: deep.clone() }]).await;
    let code = |o: &Outcome| match o {
        Outcome::Rejected { code, .. } => code.clone(),
        other => format!("{other:?}"),
    };
    let whole = code(&answer.acks[0]);
    println!("100,000 levels in one change: {} bytes, answered {whole}", deep.len());
    assert!(["change_too_large", "invalid_document"].contains(&whole.as_str()), "{whole} ({} bytes)", deep.len());
    // In pieces of 2,000 levels, each a change of its own below the size limit.
    let mut pieces = Vec::new();
    let mut obj = doc.put_object(inspection_of(&doc), "notes", ObjType::Map).unwrap();
    for _ in 0..50 {
        for _ in 0..2_000 {
            obj = doc.put_object(&obj, "n", ObjType::Map).unwrap();
        }
        doc.commit();
        let bytes = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        assert!(bytes.len() < wardbook::document::shape::MAX_CHANGE_BYTES);
        pieces.push(RecordBytes { record: id, bytes });
    }
    let answer = push(&server.url(), inspector.client.token(), pieces).await;
    let codes: Vec<String> = answer.acks.iter().map(code).collect();
    assert_eq!(codes[0], "invalid_document", "the first piece is already too deep");
    assert!(codes[1..].iter().all(|c| c == "Parked"), "the rest wait for it and are never stored: {codes:?}");

    // The device side: the same bytes merged into the record's document on a small stack.
    let mut record_doc = inspector.store.document(id).unwrap();
    let survived = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let _ = record_doc.apply_bytes(&deep);
            (record_doc.conflicts().len(), record_doc.record().is_ok())
        })
        .unwrap()
        .join();
    assert!(survived.is_ok(), "the device's document code survives the deep change");

    // Everyone goes on: the server answers, the inspector and another town sync.
    let health = reqwest::get(format!("{}/healthz", server.url())).await.unwrap();
    assert_eq!(health.status(), 200);
    inspector.store.create(&wardbook::demo::inspection(RecordId::new(), now(), "W01", 2), now()).unwrap();
    assert_eq!(inspector.sync().await.unwrap().confirmed, 1);
    let record = Record { tenant: TOWN_B.into(), ..wardbook::demo::inspection(RecordId::new(), now(), "W01", 3) };
    other_town.store.create(&record, now()).unwrap();
    assert_eq!(other_town.sync().await.unwrap().confirmed, 1);
}

/// Asks for receipt numbers the way a collector's device does.
async fn ask_numbers(server: &TestServer, device: &Device, fy: &str, count: u32) -> u64 {
    use wardbook::sync::wire::{self, CONTENT_TYPE, NumberRequest, PROTOCOL_VERSION, SyncRequest, SyncResponse};
    let request = SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Default::default(),
        changes: vec![],
        max_page_bytes: None,
        want_numbers: Some(NumberRequest { fy: fy.into(), count }),
    };
    let response = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url()))
        .bearer_auth(device.client.token())
        .header("content-type", CONTENT_TYPE)
        .body(wire::encode(&request))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: SyncResponse = wire::decode(&response.bytes().await.unwrap()).unwrap();
    answer.number_blocks.iter().map(|b| b.last - b.first + 1).sum()
}

/// A device that asks for numbers again and again holds at most the bound, and only for the
/// current or the next financial year.
#[tokio::test]
async fn receipt_number_blocks_are_bounded_per_device_and_only_for_this_year_or_the_next() {
    let server = TestServer::start().await;
    let greedy = server.device(TOWN_A, Role::Collector).await;
    let honest = server.device(TOWN_A, Role::Collector).await;
    let current = wardbook::ledger::FinancialYear::of(now());
    let year = |offset: i32| wardbook::ledger::FinancialYear { start_year: current.start_year + offset }.to_string();
    let mut held = 0;
    for _ in 0..100 {
        held += ask_numbers(&server, &greedy, &year(0), 1000).await;
    }
    assert_eq!(held, wardbook_server::numbers::MAX_OUTSTANDING as u64, "100 requests of 1,000 numbers");
    assert_eq!(ask_numbers(&server, &greedy, &year(1), 1000).await, 1000, "the next year has a bound of its own");
    for fy in ["9999-00", &year(-1), &year(2), "2026-2", "abcd-ef"] {
        assert_eq!(ask_numbers(&server, &greedy, fy, 1000).await, 0, "no block for {fy}");
    }
    // Another device of the town is not starved by the greedy one.
    assert_eq!(ask_numbers(&server, &honest, &year(0), 500).await, 500);
}

/// Final means final, judged by what the writer saw: an inspector's offline edit made before
/// the supervisor's approval reached the phone is kept and the record flagged for review; the
/// same edit crafted after the approval was seen is refused.
#[tokio::test]
async fn an_offline_edit_of_a_record_closed_meanwhile_is_kept_and_flagged_never_lost() {
    let server = TestServer::start().await;
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    let mut supervisor = server.device(TOWN_A, Role::Supervisor).await;
    let id = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(id, now(), "W01", 1), now()).unwrap();
    inspector.store.transition(id, inspector.actor, Status::Submitted, now(), None).unwrap();
    inspector.sync().await.unwrap();
    supervisor.sync().await.unwrap();
    // Offline, the inspector corrects the subject while the supervisor approves.
    inspector
        .store
        .update(id, now(), |r| {
            if let Body::Inspection(i) = &mut r.body {
                i.subject = "Community toilet, Ward 1 (corrected)".into();
            }
            Ok(())
        })
        .unwrap();
    supervisor.store.transition(id, supervisor.actor, Status::Approved, now(), None).unwrap();
    assert_eq!(supervisor.sync().await.unwrap().rejected, 0);
    let report = inspector.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 0), "the edit made before the approval is kept: {report:?}");
    let flags = server.db.admin(|sql| wardbook_server::custody::flags(sql, TOWN_A, Some(id)));
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].code, wardbook_server::ingest::EDITED_AFTER_CLOSE);
    assert!(flags[0].reason.contains("APPROVED"), "{}", flags[0].reason);
    // Now the inspector's phone has the approval: it refuses another edit itself, and the same
    // edit crafted from the approved state is refused by the server.
    inspector.sync().await.unwrap();
    let edit = inspector.store.update(id, now(), |r| {
        r.ward = Some("W02".into());
        Ok(())
    });
    assert!(matches!(edit, Err(wardbook::Error::Closed { status: Status::Approved, .. })), "{edit:?}");
    let bytes = inspector.store.document(id).unwrap().save();
    let doc = AutoCommit::load(&bytes).unwrap().with_actor(ActorId::random());
    let crafted = record_change(doc, |r| r.ward = Some("W02".into()));
    let answer = push(&server.url(), inspector.client.token(), vec![RecordBytes { record: id, bytes: crafted }]).await;
    assert!(matches!(&answer.acks[0], Outcome::Rejected { code, .. } if code == "record_final"), "{:?}", answer.acks);
    // Both devices and the server agree on the approved record with the corrected subject.
    supervisor.sync().await.unwrap();
    let (a, b) = (inspector.store.get(id).unwrap(), supervisor.store.get(id).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.workflow().status, Status::Approved);
}

/// A record stored before records had a size bound (19 MB were seen): the feed leaves it out
/// of every page, and a device that meets one anyway reports it and keeps the rest.
#[tokio::test]
async fn an_oversized_legacy_record_never_stalls_a_new_device() {
    use wardbook::document::shape::MAX_RECORD_BYTES;
    let server = TestServer::start().await;
    let mut old_phone = server.device(TOWN_A, Role::Inspector).await;
    let (small, big) = (RecordId::new(), RecordId::new());
    for (id, n) in [(small, 1), (big, 2)] {
        old_phone.store.create(&wardbook::demo::inspection(id, now(), "W01", n), now()).unwrap();
    }
    old_phone.sync().await.unwrap();
    // The big one grows past the bound the way the old server let it (written straight into
    // its database: random text does not compress).
    let mut seed = 0x2545f4914f6cdd1du64;
    let text = random_text(&mut seed, 2 * MAX_RECORD_BYTES);
    let bytes = old_phone.store.document(big).unwrap().save();
    let mut doc = AutoCommit::load(&bytes).unwrap();
    let grown = record_change(doc.clone(), |r| {
        if let Body::Inspection(i) = &mut r.body {
            i.subject = text;
        }
    });
    doc.apply_changes([automerge::Change::from_bytes(grown).unwrap()]).unwrap();
    let saved = doc.save();
    assert!(saved.len() > MAX_RECORD_BYTES, "{} bytes", saved.len());
    let stored = saved.clone();
    server.db.admin(move |sql| {
        sql.exec("UPDATE records SET doc = ?3 WHERE tenant = ?1 AND id = ?2", params![TOWN_A, big.to_string(), stored])
    });

    let mut new_phone = server.device(TOWN_A, Role::Inspector).await;
    let report = new_phone.sync().await.unwrap();
    assert!(new_phone.store.get(small).is_ok(), "the rest of the town arrives: {report:?}");
    assert!(new_phone.store.get(big).is_err(), "the oversized record is left out");

    // A page that carries one anyway (from an older server): reported, the rest applied.
    let other = RecordId::new();
    let mut third =
        wardbook::document::RecordDoc::new(&[0x33; 16], &wardbook::demo::inspection(other, now(), "W01", 3)).unwrap();
    let response = wardbook::sync::wire::SyncResponse {
        protocol: wardbook::sync::wire::PROTOCOL_VERSION,
        acks: vec![],
        items: vec![RecordBytes { record: big, bytes: saved }, RecordBytes { record: other, bytes: third.save() }],
        cursor: new_phone.store.cursor().unwrap(),
        more: false,
        reset: false,
        number_blocks: vec![],
        reference: None,
    };
    let applied = new_phone.store.apply_sync(&Default::default(), &response, now()).unwrap();
    assert_eq!(applied.received, 1);
    assert_eq!(applied.unreadable.len(), 1);
    assert_eq!(applied.unreadable[0].0, big);
    assert!(applied.unreadable[0].1.contains("too large"), "{}", applied.unreadable[0].1);
    assert!(new_phone.store.get(other).is_ok());
}
