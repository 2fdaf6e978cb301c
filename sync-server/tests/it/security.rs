//! Revoked devices, other towns and other roles: what the server refuses, and what the
//! device shows when it does.

use wardbook::Error;
use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook::store::{Query, SyncState};
use wardbook::sync::wire::{self, Outcome, RecordBytes, SyncResponse};
use wardbook_server::db;

use crate::support::{Device, TOWN_A, TOWN_B, TestServer, now, raw_sync};

fn in_town(mut record: wardbook::domain::Record, device: &Device) -> wardbook::domain::Record {
    record.tenant = device.tenant.clone();
    record
}

#[tokio::test]
async fn a_revoked_device_is_refused_on_its_very_next_request() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    phone.sync().await.unwrap();
    server.db.admin(|sql| db::device_revoke(sql, &phone.device_id));
    let err = phone.sync().await.unwrap_err();
    assert!(matches!(&err, Error::Unauthorized { code, .. } if code == "device_revoked"), "got {err:?}");
    let (status, body) = raw_sync(&server.url(), phone.client.token(), vec![]).await;
    assert_eq!(status, 401);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "device_revoked");
    let err = phone.client.reference().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }));
}

#[tokio::test]
async fn an_enrollment_code_works_once() {
    let server = TestServer::start().await;
    let (_, code) = server.db.admin(|sql| db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Collector)));
    // A collector's device without a signing key is refused, and the code is not used up.
    let err = wardbook::sync::client::SyncClient::enroll(&server.url(), &code, "no key", None).await.unwrap_err();
    assert!(matches!(&err, Error::Server { status: 400, code, .. } if code == "signing_key_required"), "got {err:?}");
    let key = wardbook::ledger::DeviceKey::from_seed([7; 32]).public_key();
    wardbook::sync::client::SyncClient::enroll(&server.url(), &code, "first", Some(&key)).await.unwrap();
    let err = wardbook::sync::client::SyncClient::enroll(&server.url(), &code, "second", Some(&key)).await.unwrap_err();
    assert!(matches!(&err, Error::Unauthorized { code, .. } if code == "invalid_enrollment_code"), "got {err:?}");
    let (status, body) = raw_sync(&server.url(), "wbk_made_up", vec![]).await;
    assert_eq!(
        (status, serde_json::from_slice::<serde_json::Value>(&body).unwrap()["code"].clone()),
        (401, "unknown_token".into())
    );
}

#[tokio::test]
async fn one_town_can_neither_read_nor_write_another_towns_records() {
    let server = TestServer::start().await;
    let mut nabha = server.device(TOWN_A, Role::Supervisor).await;
    let mut patiala = server.device(TOWN_B, Role::Supervisor).await;
    let secret = RecordId::new();
    let record = in_town(wardbook::demo::receipt(secret, now(), "W01", 7), &patiala);
    patiala.create(record);
    patiala.sync().await.unwrap();

    // Reading: the sync feed and the record endpoint know nothing of the other town.
    nabha.sync().await.unwrap();
    assert_eq!(nabha.store.count().unwrap(), 0);
    let response = reqwest::Client::new()
        .get(format!("{}/v1/records/{secret}", server.url()))
        .bearer_auth(nabha.client.token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let own = reqwest::Client::new()
        .get(format!("{}/v1/records/{secret}", server.url()))
        .bearer_auth(patiala.client.token())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200, "the owner town does see it");

    // Writing: Patiala's change replayed with Nabha's token is refused, Patiala's record untouched.
    let mut doc = patiala.store.document(secret).unwrap();
    let change = doc.changes_since(&[]).remove(0);
    let (status, body) = raw_sync(
        &server.url(),
        nabha.client.token(),
        vec![RecordBytes { record: secret, bytes: change.raw_bytes().to_vec() }],
    )
    .await;
    assert_eq!(status, 200);
    let response: SyncResponse = wire::decode(&body).unwrap();
    assert!(
        matches!(&response.acks[0], Outcome::Rejected { code, .. } if code == "tenant_mismatch"),
        "{:?}",
        response.acks
    );
    // A record of Nabha's own that claims to be Patiala's is refused too, and kept on the device.
    let forged = RecordId::new();
    let record = in_town(wardbook::demo::receipt(forged, now(), "W01", 8), &patiala);
    nabha.store.create(&record, now()).unwrap();
    let report = nabha.sync().await.unwrap();
    assert_eq!(report.rejected, 1);
    let (state, reason) = nabha.store.sync_state(forged).unwrap();
    assert_eq!(state, SyncState::Rejected);
    assert!(reason.unwrap().starts_with("tenant_mismatch"));
    assert_eq!(patiala.sync().await.unwrap().received, 0, "nothing from Nabha reached Patiala");
    let rows = server.db.count("SELECT COUNT(*) FROM records WHERE tenant = ?1", wardbook_server::params![TOWN_B]);
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_role_cannot_write_what_it_may_not_and_the_device_shows_it_rejected() {
    let server = TestServer::start().await;
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    let receipt = RecordId::new();
    inspector.store.create(&wardbook::demo::receipt(receipt, now(), "W01", 1), now()).unwrap();
    let outside = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(outside, now(), "W03", 1), now()).unwrap();
    let fine = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(fine, now(), "W01", 1), now()).unwrap();
    let report = inspector.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 2));
    let state = |id| inspector.store.sync_state(id).unwrap();
    assert_eq!(state(fine).0, SyncState::OnServer);
    assert_eq!(state(receipt).0, SyncState::Rejected);
    assert!(state(receipt).1.unwrap().starts_with("kind_not_allowed"));
    assert!(state(outside).1.unwrap().starts_with("ward_out_of_scope"));
    // Nothing was deleted on the device; the rejected records are listed with their badge.
    let rows = inspector.store.list(&Query::default()).unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| r.sync_state == SyncState::Rejected).count(), 2);

    // A collector sees receipts of the town, an inspector never receives them.
    let mut collector = server.device(TOWN_A, Role::Collector).await;
    collector.create(wardbook::demo::receipt(RecordId::new(), now(), "W02", 2));
    collector.sync().await.unwrap();
    inspector.sync().await.unwrap();
    assert!(
        inspector
            .store
            .list(&Query { kind: Some(wardbook::domain::RecordKind::Receipt), ..Query::default() })
            .unwrap()
            .iter()
            .all(|r| r.id == receipt)
    );
    // An inspector cannot approve: the step is signed as inspector and the table refuses it.
    let mut supervisor = server.device(TOWN_A, Role::Supervisor).await;
    supervisor.sync().await.unwrap();
    assert!(supervisor.store.get(fine).is_ok(), "the supervisor received the inspection");
}

/// The inspector's point, moved: what a correction of a record placed outside her wards does.
fn moved_to(record: &mut wardbook::domain::Record, ward: &str) {
    let point = wardbook::demo::point_in(ward, 3);
    if let wardbook::domain::Body::Inspection(i) = &mut record.body {
        i.location = Some(point.clone());
        i.address.location = Some(point);
    }
    record.ward = Some(ward.into());
}

#[tokio::test]
async fn a_refused_record_corrected_on_the_device_is_sent_again_and_accepted() {
    let server = TestServer::start().await;
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    // A new inspection placed in a ward that is not hers: its creation is refused.
    let new = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(new, now(), "W03", 1), now()).unwrap();
    // One she had sent before, then moved to that ward: only the move is refused.
    let sent = RecordId::new();
    inspector.store.create(&wardbook::demo::inspection(sent, now(), "W01", 2), now()).unwrap();
    inspector.sync().await.unwrap();
    inspector
        .store
        .update(sent, now(), |r| {
            moved_to(r, "W03");
            Ok(())
        })
        .unwrap();
    let report = inspector.sync().await.unwrap();
    assert_eq!((report.pushed, report.rejected), (1, 1), "only the move was sent again: {report:?}");
    for id in [new, sent] {
        let (state, reason) = inspector.store.sync_state(id).unwrap();
        assert_eq!(state, SyncState::Rejected);
        assert!(reason.unwrap().starts_with("ward_out_of_scope"));
    }

    // She corrects both (the right place, another subject) and syncs: both are accepted.
    for id in [new, sent] {
        inspector
            .store
            .update(id, now(), |r| {
                moved_to(r, "W02");
                if let wardbook::domain::Body::Inspection(i) = &mut r.body {
                    i.subject = format!("{} (corrected)", i.subject);
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(inspector.store.sync_state(id).unwrap(), (SyncState::Saved, None), "waiting to be sent again");
    }
    let report = inspector.sync().await.unwrap();
    assert_eq!((report.rejected, report.confirmed), (0, 2), "{report:?}");
    for id in [new, sent] {
        assert_eq!(inspector.store.sync_state(id).unwrap().0, SyncState::OnServer);
        let record = inspector.store.get(id).unwrap();
        assert_eq!(record.ward.as_deref(), Some("W02"));
        // The server holds the corrected record, and a second device reads it so.
        let ward = server.db.count(
            "SELECT COUNT(*) FROM records WHERE id = ?1 AND ward = 'W02' AND title LIKE '%(corrected)%'",
            wardbook_server::params![id.to_string()],
        );
        assert_eq!(ward, 1, "the server holds the corrected record {id}");
    }
    let mut supervisor = server.device(TOWN_A, Role::Supervisor).await;
    supervisor.sync().await.unwrap();
    for id in [new, sent] {
        let record = supervisor.store.get(id).unwrap();
        assert_eq!(record.ward.as_deref(), Some("W02"), "no trace of the refused place reached the office");
    }
}
