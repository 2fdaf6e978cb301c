//! The Wardbook field app: a Tauri 2 window over the core's use cases (`wardbook::field`).
//!
//! - `commands` — one thin command per use case, run off the window's thread (`AppCore::run`);
//!   no rule lives here.
//! - `background` — the sync task: a second connection to the device store syncs on a timer,
//!   on "Sync now" and with backoff after failures, so saving never waits for the network.
//!
//! The store lives in the app data directory (`WARDBOOK_DATA` overrides it, for tests and
//! demos). With `WARDBOOK_SERVER` and `WARDBOOK_ENROLL_CODE` set, a device not yet enrolled
//! enrolls itself at start (the README's run command uses this).

mod background;
pub mod commands;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tauri::{Builder, Manager, Runtime};
use wardbook::field::{ApiError, ApiResult, Field};

pub use background::Sync;

/// Everything the commands share: the signed-in session over the device store, and sync.
pub struct AppCore {
    field: Arc<Mutex<Field>>,
    sync: Sync,
}

impl AppCore {
    /// Opens (or creates) the device store in `dir`.
    pub fn open(dir: &Path) -> ApiResult<AppCore> {
        std::fs::create_dir_all(dir)
            .map_err(|e| ApiError::new("storage", format!("cannot create {}: {e}", dir.display())))?;
        let db = dir.join("wardbook.db");
        let field = Field::open(&db)?;
        Ok(AppCore { field: Arc::new(Mutex::new(field)), sync: Sync::new(db) })
    }

    /// The session; a panic in another command cannot make the store unusable.
    pub fn field(&self) -> std::sync::MutexGuard<'_, Field> {
        lock(&self.field)
    }

    /// Runs a use case on the blocking pool, never on the window's thread: a slow one (a large
    /// photo, a PIN's hash, a long list) leaves the window drawing and answering taps.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Field) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let field = self.field.clone();
        blocking(move || work(&mut lock(&field))).await?
    }

    pub fn sync(&self) -> &Sync {
        &self.sync
    }
}

fn lock(field: &Mutex<Field>) -> std::sync::MutexGuard<'_, Field> {
    field.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Work with no session to hold (reading a photo's pixels, a QR code), on the blocking pool.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::new("internal", format!("the command stopped before it finished: {e}")))
}

/// Registers the commands: used by the app and by the tests' mock runtime alike.
pub fn with_handlers<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_state,
        commands::enroll,
        commands::device_users,
        commands::sign_in,
        commands::sign_out,
        commands::set_language,
        commands::reference,
        commands::home,
        commands::list_records,
        commands::record,
        commands::save_inspection,
        commands::save_asset,
        commands::collect_fee,
        commands::read_amount,
        commands::check_receipt,
        commands::create_fsm_job,
        commands::step,
        commands::trip_pickup,
        commands::trip_disposal,
        commands::handover_code,
        commands::countersign,
        commands::record_countersigned,
        commands::read_code,
        commands::check_handover,
        commands::review_list,
        commands::resolve_conflict,
        commands::add_photo,
        commands::sync_status,
        commands::sync_now,
        commands::edit_inspection,
        commands::edit_asset,
        commands::settle,
        commands::photo_thumbnail,
        commands::day_end,
        commands::hand_over_cash,
        commands::reprint_receipt,
        commands::request_cancellation,
        commands::cash_queue,
        commands::acknowledge_handover,
        commands::decide_cancellation,
    ])
}

/// Where the device store lives.
fn data_dir<R: Runtime>(app: &tauri::App<R>) -> PathBuf {
    if let Some(dir) = std::env::var_os("WARDBOOK_DATA") {
        return PathBuf::from(dir);
    }
    app.path().app_data_dir().unwrap_or_else(|_| PathBuf::from("wardbook-data"))
}

/// Starts the window.
pub fn run() {
    tracing_subscriber_init();
    with_handlers(tauri::Builder::default())
        .setup(|app| {
            let core = AppCore::open(&data_dir(app))?;
            app.manage(core);
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let core = handle.state::<AppCore>();
                if let Err(e) = background::enroll_from_env(&core).await {
                    tracing::warn!(error = %e, "enrolling from the environment failed");
                }
                core.sync().start(&core);
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("the Wardbook window could not start");
}

fn tracing_subscriber_init() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,automerge=warn".into());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
