//! Every form's problems come back in one round: the drafts of `ui/test/form-cases.json`, each
//! with several problems, through the real use cases (`wardbook::field`). The UI's fake backend
//! runs the same file (`ui/test/screens.test.mjs`), so the two refuse alike.

use serde_json::Value;
use wardbook::demo;
use wardbook::domain::{Role, Status};
use wardbook::field::{Field, FsmJobDraft, InspectionDraft, ReceiptDraft, TripStepDraft};
use wardbook::ids::RecordId;
use wardbook::store::Store;

use crate::{T0, as_role};

const CASES: &str = include_str!("../../ui/test/form-cases.json");

fn role(name: &str) -> Role {
    serde_json::from_value(Value::String(name.into())).expect("a role")
}

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

fn run(field: &mut Field, cmd: &str, args: &Value, job: RecordId, trip: RecordId) -> wardbook::field::ApiError {
    let draft = |key: &str| args[key].clone();
    let result = match cmd {
        "save_inspection" => field
            .save_inspection(serde_json::from_value::<InspectionDraft>(draft("draft")).unwrap(), T0 + 5)
            .map(|_| ()),
        "save_asset" => field.save_asset(serde_json::from_value(draft("draft")).unwrap(), T0 + 5).map(|_| ()),
        "collect_fee" => {
            field.collect_fee(serde_json::from_value::<ReceiptDraft>(draft("draft")).unwrap(), T0 + 5).map(|_| ())
        }
        "create_fsm_job" => {
            field.create_fsm_job(serde_json::from_value::<FsmJobDraft>(draft("draft")).unwrap(), T0 + 5).map(|_| ())
        }
        "trip_pickup" => {
            assert_eq!(args["jobId"], "$job");
            field.trip_pickup(job, serde_json::from_value::<TripStepDraft>(draft("step")).unwrap(), T0 + 5).map(|_| ())
        }
        "trip_disposal" => {
            assert_eq!(args["tripId"], "$trip");
            field
                .trip_disposal(trip, serde_json::from_value::<TripStepDraft>(draft("step")).unwrap(), T0 + 5)
                .map(|_| ())
        }
        other => panic!("no form {other}"),
    };
    result.expect_err("a draft with problems is refused")
}

#[test]
fn every_problem_of_a_form_comes_back_at_once_and_nothing_is_saved() {
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (mut field, job, trip, _dir) = device();
        let who = role(case["role"].as_str().unwrap());
        field.sign_in(&demo::user_id(who).to_string(), "1234").unwrap();
        let before = field.store().list(&Default::default()).unwrap().len();
        let err = run(&mut field, case["cmd"].as_str().unwrap(), &case["args"], job, trip);
        assert_eq!(err.code, "invalid", "{name}: {err}");
        let mut got: Vec<(String, String)> = err.fields.iter().map(|f| (f.field.clone(), f.code.clone())).collect();
        let mut want: Vec<(String, String)> = case["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
            .collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "{name}");
        assert_eq!(field.store().list(&Default::default()).unwrap().len(), before, "{name}: nothing saved");
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
    assert_eq!(view.record["body"]["answers"]["seats"], serde_json::json!({"type": "number", "value": 12.0}));
}
