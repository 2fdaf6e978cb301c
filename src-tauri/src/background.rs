//! Sync in the background: its own connection to the device store (so a save never waits for
//! a sync), a periodic loop with backoff, "Sync now", and the status the sync bar shows.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use wardbook::field::{ApiError, ApiResult, SyncStatus};
use wardbook::store::Store;
use wardbook::sync::client::{self, LoopEvent, SyncClient, SyncReport, Trigger, now_millis};

use crate::AppCore;

/// How often the app syncs on its own when the last attempt worked.
const PERIOD: Duration = Duration::from_secs(60);

type SyncStore = Arc<tokio::sync::Mutex<Store>>;

/// What runs once the device is enrolled.
pub(crate) struct Running {
    client: SyncClient,
    store: SyncStore,
    /// Photos go up on their own channel and their own connection, after record syncs.
    photos: SyncStore,
    server: String,
    token: String,
    /// Kept so the loop lives as long as the app.
    _triggers: mpsc::Sender<Trigger>,
}

/// The background sync's handle.
pub struct Sync {
    db: PathBuf,
    running: Mutex<Option<Arc<Running>>>,
    status: Arc<Mutex<SyncStatus>>,
}

impl Sync {
    pub fn new(db: PathBuf) -> Sync {
        Sync { db, running: Mutex::new(None), status: Arc::default() }
    }

    /// Starts the loop once the device is enrolled; does nothing before, or when running.
    pub(crate) fn start(&self, core: &AppCore) -> Option<Arc<Running>> {
        let Ok(Some((server, token))) = core.field().enrollment() else { return None };
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = running.as_ref() {
            return Some(r.clone());
        }
        let open = || match Store::open(&self.db) {
            Ok(store) => Some(Arc::new(tokio::sync::Mutex::new(store))),
            Err(e) => {
                tracing::error!(error = %e, "the sync task cannot open the store");
                None
            }
        };
        let (store, photos) = (open()?, open()?);
        let (trigger_tx, trigger_rx) = mpsc::channel(4);
        let (event_tx, mut event_rx) = mpsc::channel(16);
        let client = SyncClient::new(&server, &token);
        let (loop_client, loop_store) = (client.clone(), store.clone());
        tauri::async_runtime::spawn(async move {
            if let Err(e) = client::run(loop_client, loop_store, trigger_rx, PERIOD, event_tx).await {
                tracing::warn!(error = %e, "the sync task stopped");
            }
        });
        let started = Arc::new(Running { client, store, photos, server, token, _triggers: trigger_tx.clone() });
        let status = self.status.clone();
        let for_events = started.clone();
        tauri::async_runtime::spawn(async move {
            while let Some(event) = event_rx.recv().await {
                let outcome = match event {
                    LoopEvent::Synced(_) => Ok(()),
                    LoopEvent::Failed { code, .. } => Err(code),
                };
                let reached = outcome.is_ok();
                note(&status, outcome);
                if reached {
                    upload_photos(&for_events);
                }
            }
        });
        // The first attempt right away.
        let _ = trigger_tx.try_send(Trigger::Now);
        *running = Some(started.clone());
        Some(started)
    }

    /// What the sync bar shows, with the counts read from the UI's own connection.
    pub fn status(&self, core: &AppCore) -> ApiResult<SyncStatus> {
        let (waiting, photos_waiting) = core.field().waiting()?;
        let s = self.status.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(SyncStatus { waiting, photos_waiting, ..s })
    }

    /// One attempt now, taking turns with the loop on the sync connection; the status then
    /// tells how this attempt went.
    pub async fn sync_now(&self, core: &AppCore) -> ApiResult<SyncStatus> {
        let running = self.start(core).ok_or_else(|| ApiError::new("not_enrolled", "enroll this device first"))?;
        self.status.lock().unwrap_or_else(|p| p.into_inner()).syncing = true;
        let result: wardbook::Result<SyncReport> = {
            let mut store = running.store.lock().await;
            running.client.sync(&mut store).await
        };
        let reached = result.is_ok();
        note(&self.status, result.map(|_| ()).map_err(|e| e.code()));
        if reached {
            upload_photos(&running);
        }
        self.status(core)
    }
}

/// Uploads waiting photos in the background, unless an upload run is already going; record
/// sync never waits for it, and a photo cut off half-way resumes from what the server has.
fn upload_photos(running: &Arc<Running>) {
    let running = running.clone();
    tauri::async_runtime::spawn(async move {
        let Ok(mut store) = running.photos.try_lock() else { return };
        match wardbook::sync::photos::upload_pending(&mut store, &running.server, &running.token).await {
            Ok(report) if !report.failed.is_empty() => {
                tracing::warn!(failed = report.failed.len(), "some photos wait for the next run")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "photo upload stopped"),
        }
    });
}

/// Keeps the outcome of an attempt for the sync bar.
fn note(status: &Mutex<SyncStatus>, outcome: Result<(), &'static str>) {
    let mut s = status.lock().unwrap_or_else(|p| p.into_inner());
    s.syncing = false;
    match outcome {
        Ok(()) => {
            s.online = true;
            s.last_sync_at = Some(now_millis());
            s.last_error = None;
        }
        Err(code) => {
            s.online = false;
            s.last_error = Some(code.into());
        }
    }
}

/// Enrolls against a server and keeps the token and the town's reference data.
pub async fn enroll(core: &AppCore, server: &str, code: &str, device_name: &str) -> ApiResult<()> {
    let server = &wardbook::field::check_enroll(server, code)?;
    let name = if device_name.trim().is_empty() { "field device" } else { device_name.trim() };
    let key = core.field().public_key()?;
    let enrollment =
        SyncClient::enroll(server, code.trim(), name, Some(&key)).await.map_err(wardbook::field::enroll_error)?;
    let refs = SyncClient::new(server, &enrollment.token).reference().await.map_err(wardbook::field::enroll_error)?;
    core.field().finish_enroll(server, name, &enrollment, &refs)?;
    core.sync().start(core);
    Ok(())
}

/// `WARDBOOK_SERVER` + `WARDBOOK_ENROLL_CODE`: enroll at start when not enrolled yet.
pub async fn enroll_from_env(core: &AppCore) -> ApiResult<()> {
    let (Ok(server), Ok(code)) = (std::env::var("WARDBOOK_SERVER"), std::env::var("WARDBOOK_ENROLL_CODE")) else {
        return Ok(());
    };
    if code.is_empty() || core.field().enrollment()?.is_some() {
        return Ok(());
    }
    enroll(core, &server, &code, "Wardbook demo device").await
}
