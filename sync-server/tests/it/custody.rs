//! Desludging on real devices and a real server: the crew's handover and the plant operator's
//! countersignature checked as a pair against the two devices' registered keys; a tampered pair
//! refused with its reason; a disposal the device called "inside" re-checked by the server
//! against its own plants; photos uploaded on their own channel while record sync goes on.

use wardbook::domain::fsm::{GeofenceCheck, TripStep};
use wardbook::domain::{Body, GeoPoint, Role, Status};
use wardbook::ids::RecordId;
use wardbook::photo::sample::{self, SampleExif};
use wardbook::store::SyncState;
use wardbook_server::custody::{POSSIBLE_DUMPING, flags};

use crate::support::{Device, TOWN_A, TestServer, now};

const MIN: i64 = 60_000;

fn at_plant() -> GeoPoint {
    GeoPoint { lat: 30.3601, lon: 76.1601, accuracy_m: Some(5.0) }
}

/// A crew device with a trip picked up (2,500 l) and synced, and the handover code it shows.
async fn handed_over(server: &TestServer) -> (Device, RecordId, String, i64) {
    let mut crew = server.device(TOWN_A, Role::SanitationCrew).await;
    let t0 = now();
    let trip = wardbook::demo::trip(RecordId::new(), t0, "W01", 1);
    crew.store.create(&trip, t0).unwrap();
    crew.store.transition(trip.id, crew.actor, Status::WaitingForDisposal, t0 + 1, None).unwrap();
    crew.sync().await.unwrap();
    let code = crew.store.handover_code(trip.id, t0 + 30 * MIN).unwrap();
    (crew, trip.id, code, t0)
}

async fn state(device: &Device, id: RecordId) -> (SyncState, Option<String>) {
    device.store.sync_state(id).unwrap()
}

/// What a tampered app writes: a countersignature code's disposal and countersignature put
/// straight into the trip, past the phone's own check of the operator's signature.
fn write_countersigned(device: &mut Device, trip: RecordId, code: &str, at: i64) {
    let read = wardbook::domain::custody::parse_countersign_code(code).unwrap();
    device
        .store
        .update(trip, at, |r| {
            if let Body::Trip(t) = &mut r.body {
                t.disposal = Some(TripStep {
                    at: read.countersign.at,
                    location: Some(at_plant()),
                    volume_litres: Some(read.countersign.received_litres as f64),
                    photos: vec![],
                    geofence: None,
                });
                t.custody.as_mut().unwrap().countersign = Some(read.countersign.clone());
            }
            Ok(())
        })
        .unwrap();
}

fn server_status(server: &TestServer, id: RecordId) -> String {
    server.db.admin(|sql| {
        sql.row(
            "SELECT status FROM records WHERE tenant = ?1 AND id = ?2",
            wardbook_server::params![TOWN_A, id.to_string()],
        )?
        .expect("the record is on the server")
        .text(0)
    })
}

#[tokio::test]
async fn a_countersigned_disposal_from_the_crew_device_is_accepted_and_a_tampered_one_refused_with_the_reason() {
    let server = TestServer::start().await;
    let (mut crew, trip, code, t0) = handed_over(&server).await;
    // The operator's device is offline at the plant and has never seen the trip.
    // It enrolled after the crew's phone last synced: the crew's phone knows its key only after
    // the next sync brings the town's reference data again.
    let mut operator = server.device(TOWN_A, Role::FstpOperator).await;
    let back = operator.store.countersign_handover(&code, 2400.0, &at_plant(), t0 + 40 * MIN).unwrap();
    let unknown = crew.store.record_countersigned(trip, &back, at_plant(), vec![], Some(crew.actor), t0 + 41 * MIN);
    match unknown {
        Err(wardbook::Error::Invalid(fields)) => assert_eq!(fields.0[0].code, "unknown_key"),
        other => panic!("the crew's phone does not know the operator's key yet: {other:?}"),
    }
    crew.sync().await.unwrap();
    let done =
        crew.store.record_countersigned(trip, &back, at_plant(), vec![], Some(crew.actor), t0 + 41 * MIN).unwrap();
    assert_eq!(done.workflow().status, Status::Disposed);
    let report = crew.sync().await.unwrap();
    assert_eq!(report.rejected, 0);
    assert_eq!(state(&crew, trip).await, (SyncState::OnServer, None));
    assert_eq!(server_status(&server, trip), "DISPOSED");
    assert!(server.db.admin(|sql| flags(sql, TOWN_A, Some(trip))).is_empty(), "at the plant: not flagged");

    // The operator's device now receives the trip with both halves, disposed.
    operator.sync().await.unwrap();
    let on_operator = operator.store.get(trip).unwrap();
    assert_eq!(on_operator.workflow().status, Status::Disposed);
    let Body::Trip(t) = on_operator.body else { unreachable!() };
    assert_eq!(t.custody.unwrap().countersign.unwrap().received_litres, 2400);

    // The crew edits the received volume afterwards: a disposed trip is final, and the crew's
    // own device refuses (a tampered device that sends the edit anyway is refused by the server
    // with record_final: hostile.rs, DisposedTripLitresCut).
    crew.sync().await.unwrap();
    let edit = crew.store.update(trip, t0 + 60 * MIN, |r| {
        if let Body::Trip(t) = &mut r.body {
            t.disposal.as_mut().unwrap().volume_litres = Some(2500.0);
        }
        Ok(())
    });
    assert!(matches!(edit, Err(wardbook::Error::Closed { status: Status::Disposed, .. })), "{edit:?}");
    assert_eq!(crew.sync().await.unwrap().rejected, 0);
    assert_eq!(state(&crew, trip).await, (SyncState::OnServer, None));
}

#[tokio::test]
async fn a_countersignature_forged_by_the_crew_device_or_for_another_trip_is_refused() {
    let server = TestServer::start().await;
    let (mut crew, trip, code, t0) = handed_over(&server).await;
    // A tampered crew app signs the "operator's" half itself: its key is not a plant operator's
    // (the app itself refuses this: tests/it/custody.rs).
    let handover = wardbook::domain::custody::parse_handover_code(&code).unwrap();
    let key = crew.store.device_key().unwrap();
    let c = wardbook::domain::custody::sign_countersign(&key, &handover, 2500.0, Some("FSTP-NBH-1"), t0 + 40 * MIN)
        .unwrap();
    let forged = wardbook::domain::custody::countersign_code(trip, &c);
    write_countersigned(&mut crew, trip, &forged, t0 + 40 * MIN);
    crew.sync().await.unwrap();
    let (sync_state, reason) = state(&crew, trip).await;
    assert_eq!(sync_state, SyncState::Rejected);
    assert!(reason.as_deref().unwrap().starts_with("unknown_key: no plant operator device"), "{reason:?}");

    // A genuine operator countersigns another trip's handover; pasted into a third trip (its
    // trip id rewritten) the signature no longer covers what the trip says.
    let (_crew2, other_trip, other_code, _) = handed_over(&server).await;
    let mut operator = server.device(TOWN_A, Role::FstpOperator).await;
    let genuine = operator.store.countersign_handover(&other_code, 2400.0, &at_plant(), t0 + 45 * MIN).unwrap();
    let (mut crew3, third, _, _) = handed_over(&server).await;
    let pasted = genuine.replacen(&other_trip.to_string(), &third.to_string(), 1);
    write_countersigned(&mut crew3, third, &pasted, t0 + 47 * MIN);
    crew3.sync().await.unwrap();
    let (sync_state, reason) = state(&crew3, third).await;
    assert_eq!(sync_state, SyncState::Rejected);
    assert!(reason.as_deref().unwrap().starts_with("bad_countersign_signature"), "{reason:?}");
}

#[tokio::test]
async fn the_server_flags_dumping_outside_every_plant_even_when_the_device_said_inside() {
    let server = TestServer::start().await;
    let mut crew = server.device(TOWN_A, Role::SanitationCrew).await;
    let t0 = now();
    let trip = wardbook::demo::trip(RecordId::new(), t0, "W01", 1);
    let honest = wardbook::demo::trip(RecordId::new(), t0, "W01", 2);
    for t in [&trip, &honest] {
        crew.store.create(t, t0).unwrap();
    }
    // A tampered app writes a disposal 2.4 km from the plant, in farmland, and claims "inside".
    let field = GeoPoint { lat: 30.36, lon: 76.135, accuracy_m: Some(5.0) };
    crew.store
        .update(trip.id, t0 + MIN, |r| {
            if let Body::Trip(t) = &mut r.body {
                t.disposal = Some(TripStep {
                    at: t0 + MIN,
                    location: Some(field.clone()),
                    volume_litres: Some(2500.0),
                    photos: vec![],
                    geofence: Some(GeofenceCheck { fstp: Some("FSTP-NBH-1".into()), inside: true, distance_m: 0.0 }),
                });
            }
            Ok(())
        })
        .unwrap();
    let at_the_plant = TripStep {
        at: t0 + MIN,
        location: Some(at_plant()),
        volume_litres: Some(2450.0),
        photos: vec![],
        geofence: None,
    };
    crew.store.record_disposal(honest.id, at_the_plant, t0 + MIN).unwrap();
    assert_eq!(crew.sync().await.unwrap().rejected, 0, "kept: a flag is for the supervisor, not a refusal");

    let found = server.db.admin(|sql| flags(sql, TOWN_A, None));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].record, found[0].code.as_str()), (trip.id, POSSIBLE_DUMPING));
    assert!(found[0].reason.contains("outside the geofence of FSTP-NBH-1"), "{}", found[0].reason);
    assert!(found[0].reason.ends_with("the device said inside FSTP-NBH-1"), "{}", found[0].reason);

    // Corrected to a fix at the plant, the flag goes.
    crew.store
        .update(trip.id, t0 + 2 * MIN, |r| {
            if let Body::Trip(t) = &mut r.body {
                t.disposal.as_mut().unwrap().location = Some(at_plant());
            }
            Ok(())
        })
        .unwrap();
    crew.sync().await.unwrap();
    assert!(server.db.admin(|sql| flags(sql, TOWN_A, Some(trip.id))).is_empty());
}

#[tokio::test]
async fn photos_wait_on_their_own_channel_and_record_sync_never_waits_for_them() {
    let server = TestServer::start().await;
    let mut crew = server.device(TOWN_A, Role::SanitationCrew).await;
    let t0 = now();
    let exif = SampleExif {
        lat_lon: Some((30.374, 76.135)),
        date_time_original: Some("2026:01:01 09:00:00".into()),
        ..SampleExif::default()
    };
    let pit = crew.store.add_photo(&sample::jpeg(2000, 1500, 9, Some(&exif)), t0).unwrap();
    let mut trip = wardbook::demo::trip(RecordId::new(), t0, "W01", 1);
    if let Body::Trip(t) = &mut trip.body {
        t.pickup.as_mut().unwrap().photos.push(pit.clone());
    }
    crew.store.create(&trip, t0).unwrap();
    assert_eq!(crew.store.photos_waiting(Some(trip.id)).unwrap(), 1);

    // The record reaches the server; its photo is still waiting, and says so.
    crew.sync().await.unwrap();
    assert_eq!(crew.store.sync_state(trip.id).unwrap().0, SyncState::OnServer);
    assert_eq!(crew.store.photos_waiting(Some(trip.id)).unwrap(), 1);

    let report =
        wardbook::sync::photos::upload_pending(&mut crew.store, &server.url(), crew.client.token()).await.unwrap();
    assert_eq!((report.uploaded, report.failed.len(), report.still_waiting), (vec![pit.sha256.clone()], 0, 0));
    assert_eq!(crew.store.photos_waiting(Some(trip.id)).unwrap(), 0);
    let blob = wardbook_server::blobs::BlobStore::new(server.blob_dir()).path(TOWN_A, &pit.sha256);
    let on_server = std::fs::read(blob).unwrap();
    assert_eq!(on_server, crew.store.photo_bytes(&pit.sha256).unwrap());
    assert_eq!(report.sent_bytes, on_server.len() as u64, "each byte sent once");

    // Nothing left: a second run sends nothing.
    let again =
        wardbook::sync::photos::upload_pending(&mut crew.store, &server.url(), crew.client.token()).await.unwrap();
    assert_eq!((again.uploaded.len(), again.sent_bytes, again.requests), (0, 0, 0));
}
