//! Every form's problems come back in one round, through the real use cases (`wardbook::field`)
//! on a device store. The cases every form shares with the UI's fake backend are in
//! `tests/fixtures/ui-refusals.json` (run through the IPC by `src-tauri/tests/commands.rs`);
//! these are the ones that need a trip waiting at the plant, and drafts fixed in one go.

use serde_json::Value;
use wardbook::demo;
use wardbook::domain::{Role, Status};
use wardbook::field::{DetailLabel, DetailLine, DetailValue, Field, InspectionDraft, TripStepDraft};
use wardbook::ids::RecordId;
use wardbook::store::Store;

use crate::{T0, as_role};

/// A device with the demo town, a job in progress with the crew and a trip at the plant.
fn device() -> (Field, RecordId, RecordId, tempfile::TempDir) {
    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open(dir.path().join("wardbook.sqlite3")).unwrap();
    store.put_reference(&demo::reference()).unwrap();
    let job = demo::fsm_job(RecordId::new(), T0, "W01", 1);
    store.create(&job, T0).unwrap();
    for (to, by) in [
        (Status::PendingApplFeePayment, Role::Supervisor),
        (Status::AssignDso, Role::Supervisor),
        (Status::PendingDsoApproval, Role::Supervisor),
        (Status::DsoInProgress, Role::SanitationCrew),
    ] {
        store.transition(job.id, as_role(by), to, T0 + 1, None).unwrap();
    }
    let trip = demo::trip(RecordId::new(), T0, "W01", 1);
    store.create(&trip, T0).unwrap();
    store.transition(trip.id, as_role(Role::SanitationCrew), Status::WaitingForDisposal, T0 + 1, None).unwrap();
    (Field::with_store(store).unwrap(), job.id, trip.id, dir)
}

fn fields(err: &wardbook::field::ApiError) -> Vec<(String, String)> {
    let mut got: Vec<(String, String)> = err.fields.iter().map(|f| (f.field.clone(), f.code.clone())).collect();
    got.sort();
    got
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    out.sort();
    out
}

#[test]
fn a_disposal_names_every_problem_at_once_and_records_nothing() {
    let (mut field, _, trip, _dir) = device();
    field.sign_in(&demo::user_id(Role::FstpOperator).to_string(), "1234").unwrap();
    let cases: [(Value, Vec<(String, String)>); 3] = [
        (
            serde_json::json!({"volume_litres": "2.4k", "location": null, "photos": []}),
            pairs(&[("volume_litres", "not_a_number"), ("location", "required")]),
        ),
        (
            serde_json::json!({"volume_litres": "२,४००", "location": {"lat": "30.36x", "lon": "76.16"}, "photos": []}),
            pairs(&[("location.lat", "not_a_number")]),
        ),
        (
            serde_json::json!({"volume_litres": "3,000.5", "location": {"lat": 91.0, "lon": 76.16, "accuracy_m": 4.0}}),
            pairs(&[("volume_litres", "too_large"), ("location.lat", "out_of_range")]),
        ),
    ];
    for (step, want) in cases {
        let step: TripStepDraft = serde_json::from_value(step).unwrap();
        let err = field.trip_disposal(trip, step, T0 + 5).expect_err("refused");
        assert_eq!((err.code.as_str(), fields(&err)), ("invalid", want));
        let view = field.record(trip).unwrap();
        assert_eq!(view.row.status, "WAITING_FOR_DISPOSAL");
        let disposal = |l: &DetailLine| matches!(&l.label, DetailLabel::Field { key } if key.starts_with("disposal."));
        assert!(!view.details.iter().any(disposal), "nothing recorded: {:?}", view.details);
    }
}

#[test]
fn a_form_fixed_in_one_go_saves() {
    let (mut field, job, _, _dir) = device();
    field.sign_in(&demo::user_id(Role::SanitationCrew).to_string(), "1234").unwrap();
    let step: TripStepDraft = serde_json::from_value(serde_json::json!({
        "volume_litres": "२,४००", "location": {"lat": 30.375, "lon": 76.135, "accuracy_m": 6.0}, "photos": []
    }))
    .unwrap();
    field.trip_pickup(job, step, T0 + 5).expect("2,400 L in Devanagari digits fits the 3,000 L tank");
    let (mut field, _, _, _dir) = device();
    field.sign_in(&demo::user_id(Role::Inspector).to_string(), "1234").unwrap();
    let draft: InspectionDraft = serde_json::from_value(serde_json::json!({
        "template_code": "PUBLIC_TOILET", "template_version": 1, "subject": "Toilet block 3", "location": null,
        "answers": {"water": {"type": "yes_no", "value": true}, "clean": {"type": "yes_no", "value": false}},
        "numbers": {"seats": "१२"}, "submit": true, "ward": "W02"
    }))
    .unwrap();
    let saved = field.save_inspection(draft, T0 + 5).unwrap();
    let view = field.record(saved.id).unwrap();
    assert_eq!(view.row.ward.as_deref(), Some("W02"), "the ward the inspector chose");
    let seats =
        view.details.iter().find(|l| matches!(&l.label, DetailLabel::Question { text, .. } if text == "Working seats"));
    assert_eq!(seats.map(|l| &l.value), Some(&DetailValue::Number { value: 12.0 }), "{:?}", view.details);
}
