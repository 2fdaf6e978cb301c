//! The background sync task: "sync now", periodic syncs, and retries with backoff when the
//! server cannot be reached.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, mpsc};
use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook::store::SyncState;
use wardbook::sync::client::{LoopEvent, SyncClient, Trigger, run};

use crate::support::{TOWN_A, TestServer, now};

async fn next(events: &mut mpsc::Receiver<LoopEvent>) -> LoopEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv()).await.expect("an event in time").expect("loop alive")
}

#[tokio::test]
async fn sync_now_pushes_a_saved_record_and_the_period_keeps_syncing() {
    let server = TestServer::start().await;
    let device = server.device(TOWN_A, Role::Inspector).await;
    let id = RecordId::new();
    let client = device.client.clone();
    let store = Arc::new(Mutex::new(device.store));
    store.lock().await.create(&wardbook::demo::inspection(id, now(), "W01", 1), now()).unwrap();
    let (trigger, triggers) = mpsc::channel(4);
    let (events_tx, mut events) = mpsc::channel(16);
    let task = tokio::spawn(run(client, store.clone(), triggers, Duration::from_millis(200), events_tx));
    trigger.send(Trigger::Now).await.unwrap();
    let LoopEvent::Synced(first) = next(&mut events).await else { panic!("the first sync failed") };
    assert!(matches!(next(&mut events).await, LoopEvent::Synced(_)), "the period brings another sync");
    assert_eq!((first.pushed, first.confirmed), (1, 1), "the first sync carried the saved record");
    assert_eq!(store.lock().await.sync_state(id).unwrap().0, SyncState::OnServer);
    drop(trigger);
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_retried_with_growing_jittered_waits() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let client = SyncClient::new(&format!("http://127.0.0.1:{port}"), "wbk_unused");
    let store = Arc::new(Mutex::new(wardbook::store::Store::open_in_memory().unwrap()));
    let (trigger, triggers) = mpsc::channel(4);
    let (events_tx, mut events) = mpsc::channel(16);
    let task = tokio::spawn(run(client, store, triggers, Duration::from_secs(3600), events_tx));
    trigger.send(Trigger::ConnectivityBack).await.unwrap();
    let mut waits = Vec::new();
    for _ in 0..3 {
        match next(&mut events).await {
            LoopEvent::Failed { error, code, retry_in } => {
                assert!(error.contains("cannot be reached"), "{error}");
                assert_eq!(code, "unreachable");
                waits.push(retry_in);
            }
            LoopEvent::Synced(r) => panic!("synced with nobody: {r:?}"),
        }
    }
    assert!(waits[0] <= Duration::from_secs(2) && waits[2] <= Duration::from_secs(8), "{waits:?}");
    task.abort();
}
