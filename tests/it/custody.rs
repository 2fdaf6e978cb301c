//! The chain of custody on two devices with no network: the crew's handover code, the plant
//! operator's countersignature read back, the disposal recorded from it; and the day's volumes
//! reconciled per vehicle.

use wardbook::domain::fsm::TripStep;
use wardbook::domain::{Body, GeoPoint, Record};
use wardbook::ids::RecordId;

use crate::{Device, T0};

const HOUR: i64 = 3_600_000;

fn at_plant() -> GeoPoint {
    GeoPoint { lat: 30.3601, lon: 76.1601, accuracy_m: Some(5.0) }
}

fn trip_of(record: &Record) -> &wardbook::domain::Trip {
    match &record.body {
        Body::Trip(t) => t,
        _ => panic!("not a trip"),
    }
}

#[test]
fn the_crew_hands_over_the_operator_countersigns_and_both_devices_keep_it() {
    let mut crew = Device::new();
    let mut operator = Device::new();
    let trip = wardbook::demo::trip(RecordId::new(), T0, "W01", 1);
    crew.store.create(&trip, T0).unwrap();

    let handover = crew.store.handover_code(trip.id, T0 + HOUR).unwrap();
    assert!(handover.starts_with("WBH1|pb.nabha|") && handover.len() < 250, "{handover}");
    assert_eq!(crew.store.handover_code(trip.id, T0 + HOUR + 5).unwrap(), handover, "the same handover shown again");

    // The operator's device has never seen the trip: it countersigns from the code alone.
    let back = operator.store.countersign_handover(&handover, 2400.0, &at_plant(), T0 + HOUR + 600_000).unwrap();
    assert!(back.starts_with(&format!("WBC1|{}|2400|", trip.id)) && back.contains("|FSTP-NBH-1|"), "{back}");
    let kept = operator.store.countersigns().unwrap();
    assert_eq!((kept.len(), kept[0].trip, kept[0].received_litres), (1, trip.id, 2400.0));
    assert!(matches!(operator.store.get(trip.id), Err(wardbook::Error::NotFound(_))));

    let done = crew.store.record_countersigned(trip.id, &back, at_plant(), vec![], T0 + HOUR + 700_000).unwrap();
    let t = trip_of(&done);
    let disposal = t.disposal.as_ref().unwrap();
    assert_eq!((disposal.volume_litres, disposal.at), (Some(2400.0), T0 + HOUR + 600_000));
    assert!(disposal.geofence.as_ref().unwrap().inside);
    let custody = t.custody.as_ref().unwrap();
    assert_eq!(custody.countersign.as_ref().unwrap().received_litres, 2400);
    // The pair verifies with the two devices' keys, as the server will check it.
    let (c, o) = (crew.store.device_key().unwrap().public_key(), operator.store.device_key().unwrap().public_key());
    wardbook::domain::custody::check_pair(&done, Some(&c), Some(&o)).unwrap();
    crew.reopen();
    assert_eq!(trip_of(&crew.store.get(trip.id).unwrap()).custody.as_ref(), Some(custody));
}

#[test]
fn a_code_for_another_trip_or_a_trip_not_handed_over_is_refused_with_the_reason() {
    let mut crew = Device::new();
    let mut operator = Device::new();
    let (one, two) =
        (wardbook::demo::trip(RecordId::new(), T0, "W01", 1), wardbook::demo::trip(RecordId::new(), T0, "W01", 2));
    for t in [&one, &two] {
        crew.store.create(t, T0).unwrap();
    }
    let code = crew.store.handover_code(one.id, T0 + HOUR).unwrap();
    let back = operator.store.countersign_handover(&code, 2500.0, &at_plant(), T0 + HOUR + 1).unwrap();
    let field = |e: wardbook::Error| match e {
        wardbook::Error::Invalid(f) => f.0[0].code.clone(),
        other => panic!("{other}"),
    };
    let wrong = crew.store.record_countersigned(two.id, &back, at_plant(), vec![], T0 + HOUR + 2).unwrap_err();
    assert_eq!(field(wrong), "custody_mismatch");
    let garbled = operator.store.countersign_handover("WBH1|nonsense", 1.0, &at_plant(), T0).unwrap_err();
    assert_eq!(field(garbled), "bad_code");
}

fn disposal(at: i64, litres: f64) -> TripStep {
    TripStep { at, location: Some(at_plant()), volume_litres: Some(litres), photos: vec![], geofence: None }
}

#[test]
fn the_day_is_reconciled_per_vehicle_from_pickup_estimates_and_received_volumes() {
    let mut device = Device::new();
    // Three trips of PB11AB1234 on 1 January (2,500 l each picked up), one of another truck,
    // and one on 2 January that must not count.
    let mut ids = Vec::new();
    for n in 0..3 {
        let t = wardbook::demo::trip(RecordId::new(), T0 + n * HOUR, "W01", n as u32);
        device.store.create(&t, T0).unwrap();
        ids.push(t.id);
    }
    let mut other = wardbook::demo::trip(RecordId::new(), T0, "W02", 9);
    if let Body::Trip(t) = &mut other.body {
        t.vehicle = "PB11CD5678".into();
    }
    device.store.create(&other, T0).unwrap();
    let next_day = wardbook::demo::trip(RecordId::new(), T0 + 24 * HOUR, "W01", 7);
    device.store.create(&next_day, T0).unwrap();

    device.store.record_disposal(ids[0], disposal(T0 + HOUR, 2450.0), T0 + HOUR).unwrap();
    device.store.record_disposal(ids[1], disposal(T0 + 2 * HOUR, 2400.0), T0 + 2 * HOUR).unwrap();
    device.store.record_disposal(other.id, disposal(T0 + HOUR, 1500.0), T0 + HOUR).unwrap();

    let day = device.store.day_volumes("2026-01-01").unwrap();
    assert_eq!(day.len(), 2, "{day:?}");
    let ours = &day[0];
    assert_eq!((ours.vehicle.as_str(), ours.trips, ours.disposed), ("PB11AB1234", 3, 2));
    assert_eq!((ours.estimated_litres, ours.received_litres, ours.gap_litres), (7500.0, 4850.0, 150.0));
    assert!(!ours.flagged, "150 l of 5,000 l is within 10 %");
    let theirs = &day[1];
    assert_eq!((theirs.vehicle.as_str(), theirs.gap_litres, theirs.flagged), ("PB11CD5678", 1000.0, true));
    assert_eq!(device.store.day_volumes("2026-01-02").unwrap()[0].trips, 1);
    assert!(device.store.day_volumes("2025-12-31").unwrap().is_empty());
}
