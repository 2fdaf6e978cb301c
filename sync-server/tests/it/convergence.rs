//! Devices that work offline and sync in any order end identical, lose nothing and duplicate
//! nothing.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use wardbook::domain::{Body, Record, RecordKind, Role, Status};
use wardbook::ids::RecordId;
use wardbook::store::{Query, SyncState};
use wardbook::sync::wire::{self, CONTENT_TYPE, PROTOCOL_VERSION, SyncRequest, SyncResponse};

use wardbook_server::params;

use crate::support::{Device, TOWN_A, TestServer, now};

/// Everything a device holds, as a person would compare it: each record and its list row
/// (without the device-local sync badge and timestamps).
fn contents(device: &Device) -> Vec<(Record, String, bool, u32, usize)> {
    let mut rows = device.store.list(&Query::default()).unwrap();
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .map(|row| {
            let record = device.store.get(row.id).unwrap();
            let conflicts = device.store.conflicts(Some(row.id)).unwrap().len();
            (record, row.status.to_string(), row.needs_review, row.conflicts, conflicts)
        })
        .collect()
}

fn set_subject(r: &mut Record, text: &str) {
    if let Body::Inspection(i) = &mut r.body {
        i.subject = text.to_string();
    }
}

/// One random offline action of a supervisor's device.
fn act(device: &mut Device, rng: &mut StdRng, shared: &[RecordId], n: u32) {
    let known: Vec<RecordId> = device.store.list(&Query::default()).unwrap().iter().map(|r| r.id).collect();
    match rng.random_range(0..4) {
        0 => {
            device.create(wardbook::demo::mixed(RecordId::new(), now(), n));
        }
        1 | 2 => {
            let Some(id) =
                shared.iter().chain(known.iter()).filter(|id| known.contains(id)).nth(rng.random_range(0..3))
            else {
                return;
            };
            let text = format!("edited on {} #{n}", device.device_id);
            let edited = device.store.update(*id, now(), |r| {
                match &mut r.body {
                    Body::Inspection(_) => set_subject(r, &text),
                    _ => r.ward = Some(["W01", "W02", "W03"][n as usize % 3].into()),
                }
                Ok(())
            });
            // A record this device already closed (approved, say) refuses edits, as on the server.
            assert!(matches!(edited, Ok(_) | Err(wardbook::Error::Closed { .. })), "{edited:?}");
        }
        _ => {
            let Some(id) = known.iter().find(|id| device.store.get(**id).unwrap().kind() == RecordKind::Inspection)
            else {
                return;
            };
            // Submit, or approve / send back: competing steps happen across devices.
            let status = device.store.get(*id).unwrap().workflow().status;
            let (role, to) = match status {
                Status::Draft | Status::SentBack => return,
                Status::Submitted => {
                    (Role::Supervisor, if rng.random_bool(0.5) { Status::Approved } else { Status::SentBack })
                }
                _ => return,
            };
            let actor = wardbook::domain::workflow::Actor { user: device.actor.user, role };
            let note = wardbook::domain::workflow::needs_reason(to).then(|| "recheck".to_string());
            let _ = device.store.transition(*id, actor, to, now(), note);
        }
    }
}

#[tokio::test]
async fn three_devices_working_offline_converge_in_any_sync_order() {
    for seed in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let server = TestServer::start().await;
        let mut devices = vec![
            server.device(TOWN_A, Role::Supervisor).await,
            server.device(TOWN_A, Role::Supervisor).await,
            server.device(TOWN_A, Role::Supervisor).await,
        ];
        // Shared starting point: inspections everyone has, one already submitted.
        let inspector = server.device(TOWN_A, Role::Inspector).await;
        let mut inspector = inspector;
        let shared: Vec<RecordId> = (0..3).map(|_| RecordId::new()).collect();
        for (i, id) in shared.iter().enumerate() {
            inspector.store.create(&wardbook::demo::inspection(*id, now(), "W01", i as u32), now()).unwrap();
            inspector.store.transition(*id, inspector.actor, Status::Submitted, now(), None).unwrap();
        }
        inspector.sync().await.unwrap();
        for d in &mut devices {
            d.sync().await.unwrap();
        }
        // The same field of one record, edited on two devices while both are offline.
        devices[0]
            .store
            .update(shared[0], now(), |r| {
                set_subject(r, "north block");
                Ok(())
            })
            .unwrap();
        devices[1]
            .store
            .update(shared[0], now(), |r| {
                set_subject(r, "south block");
                Ok(())
            })
            .unwrap();
        for n in 0..30 {
            let i = rng.random_range(0..devices.len());
            act(&mut devices[i], &mut rng, &shared, n);
        }
        // Sync in random orders until a full round changes nothing.
        for _round in 0..4 {
            let mut order: Vec<usize> = (0..devices.len()).collect();
            order.shuffle(&mut rng);
            for i in order {
                devices[i].sync().await.unwrap();
            }
        }
        let first = contents(&devices[0]);
        assert!(first.len() >= 3, "seed {seed}: records went missing");
        for d in &devices[1..] {
            assert_eq!(contents(d), first, "seed {seed}: devices differ");
        }
        for d in &devices {
            assert_eq!(d.store.waiting_count().unwrap(), 0, "seed {seed}: something still waits");
            let rows = d.store.list(&Query::default()).unwrap();
            assert!(rows.iter().all(|r| r.sync_state == SyncState::OnServer), "seed {seed}: not all on the server");
        }
        // The concurrent edit of one field is a visible conflict, with both values, everywhere.
        let conflicts = devices[2].store.conflicts(Some(shared[0])).unwrap();
        let subject = conflicts.iter().find(|c| c.conflict.field == "body.Inspection.subject");
        let subject = subject.unwrap_or_else(|| panic!("seed {seed}: no conflict listed: {conflicts:?}"));
        let values: Vec<&str> = subject.conflict.values.iter().filter_map(|v| v.as_str()).collect();
        assert!(values.len() >= 2, "seed {seed}: {values:?}");
        // The server holds the same documents.
        let server_records: Vec<(String, Vec<u8>)> = server.db.admin(|sql| {
            let rows = sql.rows("SELECT id, doc FROM records WHERE tenant = ?1 ORDER BY id", params![TOWN_A])?;
            rows.iter().map(|r| Ok((r.text(0)?, r.blob(1)?))).collect()
        });
        assert_eq!(server_records.len(), first.len(), "seed {seed}: server and devices hold different records");
        for (id, doc) in server_records {
            let on_server = wardbook::document::RecordDoc::load(&[1; 16], &doc, &[]).unwrap().record().unwrap();
            let on_device = devices[0].store.get(id.parse().unwrap()).unwrap();
            assert_eq!(on_server, on_device, "seed {seed}: record {id} differs on the server");
        }
    }
}

/// Sends the device's next request `times` times, as a flaky link would, and applies the
/// last answer.
async fn sync_replayed(device: &mut Device, url: &str, token: &str, times: usize) -> SyncResponse {
    let outbox = device.store.outbox(1 << 20).unwrap();
    let request = SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: device.store.cursor().unwrap(),
        changes: outbox.changes.clone(),
        max_page_bytes: None,
        want_numbers: None,
    };
    let body = wire::encode(&request);
    let http = reqwest::Client::new();
    let mut last = None;
    for _ in 0..times {
        let response = http
            .post(format!("{url}/v1/sync"))
            .bearer_auth(token)
            .header("content-type", CONTENT_TYPE)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response: SyncResponse = wire::decode(&response.bytes().await.unwrap()).unwrap();
        assert!(response.acks.iter().all(|a| a.is_kept()), "{:?}", response.acks);
        if let Some(previous) = &last {
            let previous: &SyncResponse = previous;
            assert_eq!(previous.items, response.items, "a replayed request gets the same page");
            assert_eq!(previous.cursor, response.cursor);
        }
        last = Some(response);
    }
    let response = last.unwrap();
    device.store.apply_sync(&outbox, &response, now()).unwrap();
    response
}

#[tokio::test]
async fn every_request_replayed_up_to_five_times_stores_each_change_once() {
    let mut rng = StdRng::seed_from_u64(11);
    let server = TestServer::start().await;
    let url = server.url();
    let mut a = server.device(TOWN_A, Role::Supervisor).await;
    let mut b = server.device(TOWN_A, Role::Supervisor).await;
    let mut made = 0;
    for round in 0..6u32 {
        for (d, n) in [(&mut a, 0u32), (&mut b, 1u32)] {
            for k in 0..3 {
                let id = RecordId::new();
                d.create(wardbook::demo::mixed(id, now(), round * 10 + n * 3 + k));
                made += 1;
            }
        }
        for d in [&mut a, &mut b] {
            let times = rng.random_range(1..=5);
            let token = d.client.token().to_string();
            sync_replayed(d, &url, &token, times).await;
        }
    }
    for d in [&mut a, &mut b] {
        let token = d.client.token().to_string();
        sync_replayed(d, &url, &token, 3).await;
    }
    let log = server.db.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    let distinct = server.db.count("SELECT COUNT(DISTINCT hash) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    assert_eq!(log, distinct, "no change is in the log twice");
    assert_eq!(log, made, "one change per created record");
    assert_eq!(contents(&a), contents(&b));
    assert_eq!(a.store.count().unwrap(), made as u64);
}

#[tokio::test]
async fn a_new_device_bootstraps_in_small_pages_and_resumes_after_a_cut() {
    let server = TestServer::start().await;
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    for n in 0..60 {
        office.create(wardbook::demo::mixed(RecordId::new(), now(), n));
    }
    office.sync().await.unwrap();
    let mut fresh = server.device(TOWN_A, Role::Supervisor).await;
    let small = fresh.client.clone().with_page_bytes(1024);
    // The link drops after a few pages: the device keeps what it applied.
    let cut = small.clone();
    let partial = tokio::time::timeout(std::time::Duration::from_millis(1), cut.sync(&mut fresh.store)).await;
    assert!(partial.is_err() || partial.unwrap().is_ok());
    let report = small.sync(&mut fresh.store).await.unwrap();
    assert!(report.requests > 1, "small pages need several requests, got {report:?}");
    assert_eq!(contents(&fresh), contents(&office));
    assert!(fresh.store.cursor().unwrap().bootstrapped);
    // Nothing is fetched twice once caught up: the next sync is one request with no items.
    let again = fresh.sync().await.unwrap();
    assert_eq!((again.requests, again.received), (1, 0));
}
