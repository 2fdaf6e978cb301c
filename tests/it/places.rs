//! Places on the device: wards from points, poor fixes warned about, disposals checked
//! against the plants' geofences and volumes reconciled, duplicate assets noticed.

use wardbook::domain::fsm::TripStep;
use wardbook::domain::{Body, GeoPoint, Role, Status};
use wardbook::geo::{GeoRules, GeoWarning};
use wardbook::ids::RecordId;
use wardbook::store::Query;

use crate::{Device, T0, as_role};

#[test]
fn a_record_without_a_ward_gets_the_ward_its_point_is_in() {
    let mut device = Device::new();
    let mut inspection = wardbook::demo::inspection(RecordId::new(), T0, "W02", 1);
    inspection.ward = None;
    device.store.create(&inspection, T0).unwrap();
    assert_eq!(device.store.get(inspection.id).unwrap().ward.as_deref(), Some("W02"));
    let listed = device.store.list(&Query::open(wardbook::domain::RecordKind::Inspection).in_ward("W02")).unwrap();
    assert!(listed.iter().any(|r| r.id == inspection.id));
}

#[test]
fn a_poor_fix_is_warned_about_not_silently_accepted() {
    let device = Device::new();
    let mut survey = wardbook::demo::asset_survey(RecordId::new(), T0, "W01", 1);
    if let Body::AssetSurvey(a) = &mut survey.body {
        a.location.accuracy_m = Some(85.0);
    }
    let warnings = device.store.geo_warnings(&survey, &GeoRules::default());
    assert_eq!(warnings, [GeoWarning::PoorAccuracy { accuracy_m: 85.0 }]);
    let good = wardbook::demo::asset_survey(RecordId::new(), T0, "W01", 2);
    assert_eq!(device.store.geo_warnings(&good, &GeoRules::default()), []);
}

#[test]
fn a_new_streetlight_three_metres_from_a_known_one_is_a_possible_duplicate() {
    let mut device = Device::new();
    let first = wardbook::demo::asset_survey(RecordId::new(), T0, "W01", 5);
    device.store.create(&first, T0).unwrap();
    let mut second = wardbook::demo::asset_survey(RecordId::new(), T0, "W01", 6);
    if let (Body::AssetSurvey(a), Body::AssetSurvey(b)) = (&mut second.body, &first.body) {
        a.location = GeoPoint { lat: b.location.lat + 0.000027, ..b.location.clone() }; // ~3 m north
    }
    let found = device.store.possible_duplicate_assets(&second, &GeoRules::default()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, first.id);
    assert!((2.5..3.5).contains(&found[0].1), "{} m", found[0].1);
}

fn disposal(lat: f64, lon: f64, litres: f64) -> TripStep {
    TripStep {
        at: T0 + 3_600_000,
        location: Some(GeoPoint { lat, lon, accuracy_m: Some(5.0) }),
        volume_litres: Some(litres),
        photos: vec![],
        geofence: None,
    }
}

#[test]
fn a_disposal_at_the_plant_passes_and_one_in_a_field_is_flagged_as_possible_dumping() {
    let mut device = Device::new();
    let at_plant = wardbook::demo::trip(RecordId::new(), T0, "W01", 1);
    let in_a_field = wardbook::demo::trip(RecordId::new(), T0, "W01", 2);
    for t in [&at_plant, &in_a_field] {
        device.store.create(t, T0).unwrap();
    }
    // FSTP-NBH-1 is at 30.36, 76.16 with a 150 m fence; 2.4 km west of it is farmland.
    let kept = device.store.record_disposal(at_plant.id, disposal(30.3601, 76.1601, 2450.0), T0 + 1).unwrap();
    let Body::Trip(t) = &kept.body else { unreachable!() };
    let check = t.disposal.as_ref().unwrap().geofence.clone().unwrap();
    assert!(check.inside && check.fstp.as_deref() == Some("FSTP-NBH-1"), "{check:?}");
    let flagged = device.store.record_disposal(in_a_field.id, disposal(30.36, 76.135, 2500.0), T0 + 1).unwrap();
    let Body::Trip(t) = &flagged.body else { unreachable!() };
    assert_eq!(t.concerns(), ["possible_illegal_dumping"]);
    assert!(t.disposal.as_ref().unwrap().geofence.as_ref().unwrap().distance_m > 2_000.0);
    let attention = device.store.list(&Query { needs_attention: true, ..Query::default() }).unwrap();
    assert_eq!(attention.iter().map(|r| r.id).collect::<Vec<_>>(), [in_a_field.id]);
    // The plant operator still decides on the trip; the flag stays for the supervisor.
    device
        .store
        .transition(at_plant.id, as_role(Role::SanitationCrew), Status::WaitingForDisposal, T0 + 2, None)
        .unwrap();
    device.store.transition(at_plant.id, as_role(Role::FstpOperator), Status::Disposed, T0 + 3, None).unwrap();
}

#[test]
fn a_received_volume_far_from_the_pickup_estimate_is_flagged() {
    let mut device = Device::new();
    let close = wardbook::demo::trip(RecordId::new(), T0, "W01", 3);
    let short = wardbook::demo::trip(RecordId::new(), T0, "W01", 4);
    for t in [&close, &short] {
        device.store.create(t, T0).unwrap();
    }
    // Picked up 2,500 l: 2,300 l received is within 10 %, 1,900 l is not.
    let ok = device.store.record_disposal(close.id, disposal(30.36, 76.16, 2300.0), T0 + 1).unwrap();
    let off = device.store.record_disposal(short.id, disposal(30.36, 76.16, 1900.0), T0 + 1).unwrap();
    let concerns = |r: &wardbook::domain::Record| match &r.body {
        Body::Trip(t) => (t.concerns(), t.volume_gap()),
        _ => unreachable!(),
    };
    assert_eq!(concerns(&ok), (vec![], Some(200.0)));
    assert_eq!(concerns(&off), (vec!["volume_mismatch"], Some(600.0)));
    let missing = device.store.record_disposal(close.id, TripStep { location: None, ..disposal(0.0, 0.0, 1.0) }, T0);
    assert!(matches!(missing, Err(wardbook::Error::Invalid(e)) if e.fields() == ["disposal.location"]));
}
