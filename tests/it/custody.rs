//! The chain of custody on two devices with no network: the crew's handover code, the plant
//! operator's countersignature read back, the disposal recorded from it; and the day's volumes
//! reconciled per vehicle.

use wardbook::domain::fsm::TripStep;
use wardbook::domain::reference::DeviceKeyRef;
use wardbook::domain::workflow::Actor;
use wardbook::domain::{Body, GeoPoint, Record, Role, Status};
use wardbook::ids::RecordId;

use crate::{Device, T0};

/// The crew member, closing the trip.
fn crew_member() -> Option<Actor> {
    Some(Actor { user: wardbook::demo::user_id(Role::SanitationCrew), role: Role::SanitationCrew })
}

fn key_ref(device: &Device) -> DeviceKeyRef {
    let key = device.store.device_key().unwrap().public_key();
    DeviceKeyRef { key_id: key.key_id(), public_key: wardbook::ledger::encode_signature(&key.to_bytes()) }
}

/// A crew phone and an operator phone whose reference data lists each other's keys, as the
/// server serves them after both enrolled and synced.
fn gate_pair() -> (Device, Device) {
    let (mut crew, mut operator) = (Device::new(), Device::new());
    let mut refs = wardbook::demo::reference();
    refs.crew_keys = vec![key_ref(&crew)];
    refs.operator_keys = vec![key_ref(&operator)];
    for d in [&mut crew, &mut operator] {
        d.store.put_reference(&refs).unwrap();
    }
    (crew, operator)
}

/// A demo trip picked up on `crew` (2,500 l) and waiting for disposal.
fn picked_up(crew: &mut Device, n: u32) -> Record {
    let trip = wardbook::demo::trip(RecordId::new(), T0, "W01", n);
    crew.store.create(&trip, T0).unwrap();
    crew.store.transition(trip.id, crew_member().unwrap(), Status::WaitingForDisposal, T0 + 1, None).unwrap()
}

/// The field code of a refusal on the `custody` field.
fn refusal(e: wardbook::Error) -> String {
    match e {
        wardbook::Error::Invalid(f) => f.0[0].code.clone(),
        other => panic!("{other}"),
    }
}

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
    let (mut crew, mut operator) = gate_pair();
    let trip = picked_up(&mut crew, 1);

    let handover = crew.store.handover_code(trip.id, T0 + HOUR).unwrap();
    assert!(handover.starts_with("WBH1|pb.nabha|") && handover.len() < 250, "{handover}");
    assert_eq!(crew.store.handover_code(trip.id, T0 + HOUR + 5).unwrap(), handover, "the same handover shown again");

    // The operator's device has never seen the trip: it countersigns from the code alone.
    let back = operator.store.countersign_handover(&handover, 2400.0, &at_plant(), T0 + HOUR + 600_000).unwrap();
    assert!(back.starts_with(&format!("WBC1|{}|2400|", trip.id)) && back.contains("|FSTP-NBH-1|"), "{back}");
    let kept = operator.store.countersigns().unwrap();
    assert_eq!((kept.len(), kept[0].trip, kept[0].received_litres), (1, trip.id, 2400.0));
    assert!(matches!(operator.store.get(trip.id), Err(wardbook::Error::NotFound(_))));

    let done = crew
        .store
        .record_countersigned(trip.id, &back, at_plant(), vec![], crew_member(), T0 + HOUR + 700_000)
        .unwrap();
    assert_eq!(done.workflow().status, Status::Disposed, "the countersigned trip is closed on the crew's phone");
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
    let (mut crew, mut operator) = gate_pair();
    let (one, two) =
        (wardbook::demo::trip(RecordId::new(), T0, "W01", 1), wardbook::demo::trip(RecordId::new(), T0, "W01", 2));
    for t in [&one, &two] {
        crew.store.create(t, T0).unwrap();
    }
    let code = crew.store.handover_code(one.id, T0 + HOUR).unwrap();
    let back = operator.store.countersign_handover(&code, 2500.0, &at_plant(), T0 + HOUR + 1).unwrap();
    let wrong = crew.store.record_countersigned(two.id, &back, at_plant(), vec![], crew_member(), T0 + HOUR + 2);
    assert_eq!(refusal(wrong.unwrap_err()), "custody_mismatch");
    let garbled = operator.store.countersign_handover("WBH1|nonsense", 1.0, &at_plant(), T0).unwrap_err();
    assert_eq!(refusal(garbled), "bad_code");
}

/// Every code with one character changed, each character in turn, to another of its kind.
fn one_changed(code: &str) -> impl Iterator<Item = String> + '_ {
    let next = |c: char| match c {
        '0'..='8' | 'a'..='y' | 'A'..='Y' => char::from(c as u8 + 1),
        '9' => '0',
        'z' => 'a',
        'Z' => 'A',
        '-' => '_',
        '_' => '-',
        '.' => '-',
        other => other,
    };
    code.char_indices().filter(|(_, c)| *c != '|').map(move |(i, c)| {
        let mut changed = code.to_string();
        changed.replace_range(i..i + c.len_utf8(), &next(c).to_string());
        changed
    })
}

#[test]
fn the_operators_phone_refuses_a_handover_code_with_any_one_character_changed() {
    let (mut crew, mut operator) = gate_pair();
    let trip = picked_up(&mut crew, 1);
    let code = crew.store.handover_code(trip.id, T0 + HOUR).unwrap();
    let read = operator.store.check_handover(&code).unwrap();
    assert_eq!((read.trip, read.handover.litres, read.handover.vehicle.as_str()), (trip.id, 2500, "PB11AB1234"));

    let mut tried = 0;
    for changed in one_changed(&code) {
        assert_ne!(changed, code);
        let refused = refusal(operator.store.check_handover(&changed).unwrap_err());
        assert!(
            ["bad_code", "bad_handover_signature", "unknown_key", "custody_mismatch"].contains(&refused.as_str()),
            "{changed}: {refused}"
        );
        tried += 1;
    }
    assert_eq!(tried, code.len() - 7, "every character but the separators");
    // The litres are what a one-character change would most likely aim at: the signature says no.
    let more = code.replacen("|2500|", "|3500|", 1);
    assert_eq!(refusal(operator.store.check_handover(&more).unwrap_err()), "bad_handover_signature");
    let err = operator.store.countersign_handover(&more, 3500.0, &at_plant(), T0 + HOUR + 60_000).unwrap_err();
    assert_eq!(refusal(err), "bad_handover_signature", "nothing is countersigned");
    assert!(operator.store.countersigns().unwrap().is_empty());
}

#[test]
fn a_device_this_phone_has_not_heard_of_is_named_as_unknown_and_a_sync_of_reference_data_fixes_it() {
    let (_crew, mut operator) = gate_pair();
    // A crew phone enrolled after the operator's phone last synced.
    let mut newcomer = Device::new();
    let trip = picked_up(&mut newcomer, 3);
    let code = newcomer.store.handover_code(trip.id, T0 + HOUR).unwrap();
    let err = operator.store.check_handover(&code).unwrap_err();
    assert_eq!(refusal(err), "unknown_key");

    // The sync connection stores newer reference data; the gate reads it afresh.
    let mut refs = operator.store.reference().clone();
    refs.crew_keys.push(key_ref(&newcomer));
    let mut sync_connection = wardbook::store::Store::open(&operator.path).unwrap();
    sync_connection.put_reference(&refs).unwrap();
    let back = operator.store.countersign_handover(&code, 2500.0, &at_plant(), T0 + HOUR + 1).unwrap();

    // The crew's side the same way: a countersignature by an operator phone it does not know.
    let mut crew_refs = newcomer.store.reference().clone();
    crew_refs.operator_keys.clear();
    newcomer.store.put_reference(&crew_refs).unwrap();
    let err = newcomer.store.record_countersigned(trip.id, &back, at_plant(), vec![], crew_member(), T0 + HOUR + 2);
    assert_eq!(refusal(err.unwrap_err()), "unknown_key");
    crew_refs.operator_keys = vec![key_ref(&operator)];
    newcomer.store.put_reference(&crew_refs).unwrap();
    let done =
        newcomer.store.record_countersigned(trip.id, &back, at_plant(), vec![], crew_member(), T0 + HOUR + 2).unwrap();
    assert_eq!(done.workflow().status, Status::Disposed);
}

#[test]
fn the_crews_phone_refuses_a_countersignature_with_any_one_character_changed() {
    let (mut crew, mut operator) = gate_pair();
    let trip = picked_up(&mut crew, 1);
    let code = crew.store.handover_code(trip.id, T0 + HOUR).unwrap();
    let back = operator.store.countersign_handover(&code, 2400.0, &at_plant(), T0 + HOUR + 60_000).unwrap();
    for changed in one_changed(&back) {
        let err = crew.store.record_countersigned(trip.id, &changed, at_plant(), vec![], crew_member(), T0 + HOUR + 2);
        let refused = refusal(err.unwrap_err());
        assert!(
            ["bad_code", "bad_countersign_signature", "unknown_key", "custody_mismatch"].contains(&refused.as_str()),
            "{changed}: {refused}"
        );
    }
    let t = crew.store.get(trip.id).unwrap();
    assert!(trip_of(&t).disposal.is_none() && t.workflow().status == Status::WaitingForDisposal, "nothing recorded");
    // A crew phone cannot countersign its own handover and close the trip with it.
    let forged = crew.store.countersign_handover(&code, 2400.0, &at_plant(), T0 + HOUR + 60_000).unwrap_err();
    assert_eq!(refusal(forged), "unknown_key", "the crew's own key is no operator's");
    assert_eq!(crew.store.get(trip.id).unwrap().workflow().status, Status::WaitingForDisposal);
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
