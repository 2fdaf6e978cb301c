//! One command per use case of `wardbook::field`: lock the session, call, return. Argument
//! names are the contract with `ui/src/api.ts` (Tauri turns `device_name` into `deviceName`).

use base64::Engine;
use tauri::State;
use wardbook::domain::{GeoPoint, PhotoRef, RecordKind};
use wardbook::field::*;
use wardbook::ids::RecordId;
use wardbook::sync::client::now_millis;

use crate::AppCore;

type Core<'a> = State<'a, AppCore>;

fn record_id(id: &str) -> ApiResult<RecordId> {
    id.parse().map_err(|_| ApiError::new("not_found", format!("{id} is not a record id")))
}

#[tauri::command]
pub fn app_state(core: Core<'_>) -> ApiResult<AppState> {
    core.field().state()
}

#[tauri::command]
pub async fn enroll(core: Core<'_>, server: String, code: String, device_name: String) -> ApiResult<AppState> {
    crate::background::enroll(&core, &server, &code, &device_name).await?;
    core.field().state()
}

#[tauri::command]
pub fn device_users(core: Core<'_>) -> ApiResult<Vec<UserView>> {
    core.field().device_users()
}

#[tauri::command]
pub fn sign_in(core: Core<'_>, user_id: String, pin: String) -> ApiResult<AppState> {
    core.field().sign_in(&user_id, &pin)
}

#[tauri::command]
pub fn sign_out(core: Core<'_>) -> ApiResult<AppState> {
    core.field().sign_out()
}

#[tauri::command]
pub fn set_language(core: Core<'_>, lang: Lang) -> ApiResult<AppState> {
    core.field().set_language(lang)
}

#[tauri::command]
pub fn reference(core: Core<'_>) -> ReferenceView {
    core.field().reference()
}

#[tauri::command]
pub fn home(core: Core<'_>) -> ApiResult<Home> {
    core.field().home(now_millis())
}

#[tauri::command]
pub fn list_records(core: Core<'_>, kind: Option<RecordKind>) -> ApiResult<Vec<RowView>> {
    core.field().list(kind)
}

#[tauri::command]
pub fn record(core: Core<'_>, id: String) -> ApiResult<RecordView> {
    core.field().record(record_id(&id)?)
}

#[tauri::command]
pub fn save_inspection(core: Core<'_>, draft: InspectionDraft) -> ApiResult<Saved> {
    core.field().save_inspection(draft, now_millis())
}

#[tauri::command]
pub fn save_asset(core: Core<'_>, draft: AssetDraft) -> ApiResult<Saved> {
    core.field().save_asset(draft, now_millis())
}

#[tauri::command]
pub fn collect_fee(core: Core<'_>, draft: ReceiptDraft) -> ApiResult<ReceiptIssued> {
    core.field().collect_fee(draft, now_millis())
}

/// Every problem of a receipt draft, or its amount in paise, without issuing it (the preview).
#[tauri::command]
pub fn check_receipt(core: Core<'_>, draft: ReceiptDraft) -> ApiResult<i64> {
    core.field().check_receipt(draft, now_millis())
}

#[tauri::command]
pub fn read_amount(core: Core<'_>, text: String) -> ApiResult<i64> {
    core.field().read_amount(&text)
}

#[tauri::command]
pub fn create_fsm_job(core: Core<'_>, draft: FsmJobDraft) -> ApiResult<Saved> {
    core.field().create_fsm_job(draft, now_millis())
}

#[tauri::command]
pub fn step(core: Core<'_>, id: String, to: String, note: Option<String>) -> ApiResult<Saved> {
    core.field().step(record_id(&id)?, &to, note, now_millis())
}

/// The send-back loop: the author's changes to a draft or sent-back inspection (`submit` sends
/// it again), a sent-back survey's corrections, and a supervisor settling a record in review.
#[tauri::command]
pub fn edit_inspection(core: Core<'_>, id: String, draft: InspectionDraft) -> ApiResult<Saved> {
    core.field().edit_inspection(record_id(&id)?, draft, now_millis())
}

#[tauri::command]
pub fn edit_asset(core: Core<'_>, id: String, draft: AssetDraft) -> ApiResult<Saved> {
    core.field().edit_asset(record_id(&id)?, draft, now_millis())
}

#[tauri::command]
pub fn settle(core: Core<'_>, id: String, to: String, note: Option<String>) -> ApiResult<Saved> {
    core.field().settle(record_id(&id)?, &to, note, now_millis())
}

/// A photo's thumbnail: from this device's store, else (a photo another phone took) from the
/// server, kept in memory for the session; `None` offline or when the server has none.
#[tauri::command]
pub async fn photo_thumbnail(core: Core<'_>, sha256: String) -> ApiResult<PhotoThumb> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FETCHED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let fetched = FETCHED.get_or_init(Default::default);
    let (local, enrollment) = {
        let field = core.field();
        (field.photo_thumbnail(&sha256)?, field.enrollment()?)
    };
    if local.is_some() {
        return Ok(local);
    }
    if let Some(url) = fetched.lock().unwrap_or_else(|e| e.into_inner()).get(&sha256) {
        return Ok(Some(url.clone()));
    }
    let Some((server, token)) = enrollment else { return Ok(None) };
    match wardbook::sync::photos::fetch_thumbnail(&server, &token, &sha256).await {
        Ok(Some(jpeg)) => {
            let url = thumbnail_url(&jpeg);
            let mut cache = fetched.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= 500 {
                cache.clear();
            }
            cache.insert(sha256, url.clone());
            Ok(Some(url))
        }
        Ok(None) | Err(_) => Ok(None),
    }
}

#[tauri::command]
pub fn trip_pickup(core: Core<'_>, job_id: String, step: TripStepDraft) -> ApiResult<Saved> {
    core.field().trip_pickup(record_id(&job_id)?, step, now_millis())
}

#[tauri::command]
pub fn trip_disposal(core: Core<'_>, trip_id: String, step: TripStepDraft) -> ApiResult<Saved> {
    core.field().trip_disposal(record_id(&trip_id)?, step, now_millis())
}

#[tauri::command]
pub fn handover_code(core: Core<'_>, trip_id: String) -> ApiResult<CodeView> {
    core.field().handover_code(record_id(&trip_id)?, now_millis())
}

#[tauri::command]
pub fn countersign(
    core: Core<'_>,
    code: String,
    volume_litres: Option<Typed>,
    location: Option<GeoPoint>,
) -> ApiResult<CodeView> {
    core.field().countersign(&code, volume_litres, location, now_millis())
}

#[tauri::command]
pub fn record_countersigned(
    core: Core<'_>,
    trip_id: String,
    code: String,
    location: Option<GeoPoint>,
) -> ApiResult<Saved> {
    core.field().record_countersigned(record_id(&trip_id)?, &code, location, now_millis())
}

/// A QR code read from a photo of the other phone's screen (camera or picked file), as base64.
#[tauri::command]
pub fn read_code(core: Core<'_>, base64: String) -> ApiResult<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|e| ApiError::new("bad_file", format!("the photo did not arrive whole: {e}")))?;
    core.field().read_code(&bytes)
}

#[tauri::command]
pub fn check_handover(core: Core<'_>, code: String) -> ApiResult<TripHandoverView> {
    core.field().check_handover(&code)
}

#[tauri::command]
pub fn review_list(core: Core<'_>) -> ApiResult<ReviewList> {
    core.field().review_list()
}

#[tauri::command]
pub fn resolve_conflict(core: Core<'_>, record_id: String, field: String, value: String) -> ApiResult<Saved> {
    let id = self::record_id(&record_id)?;
    core.field().resolve_conflict(id, &field, &value, now_millis())
}

#[tauri::command]
pub fn add_photo(core: Core<'_>, base64: String) -> ApiResult<PhotoRef> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|e| ApiError::new("bad_file", format!("the photo did not arrive whole: {e}")))?;
    core.field().add_photo(&bytes, now_millis())
}

#[tauri::command]
pub fn sync_status(core: Core<'_>) -> ApiResult<SyncStatus> {
    core.sync().status(&core)
}

#[tauri::command]
pub async fn sync_now(core: Core<'_>) -> ApiResult<SyncStatus> {
    core.sync().sync_now(&core).await
}

// The collector's day-end (wardbook::field::dayend) and the supervisor's side of it.

#[tauri::command]
pub fn day_end(core: Core<'_>, day: Option<String>) -> ApiResult<DayEnd> {
    core.field().day_end(day, now_millis())
}

#[tauri::command]
pub fn hand_over_cash(core: Core<'_>, draft: HandoverDraft) -> ApiResult<HandoverView> {
    core.field().hand_over_cash(draft, now_millis())
}

#[tauri::command]
pub fn reprint_receipt(core: Core<'_>, id: String) -> ApiResult<PrintView> {
    core.field().reprint_receipt(record_id(&id)?, now_millis())
}

#[tauri::command]
pub fn request_cancellation(core: Core<'_>, id: String, reason: String) -> ApiResult<ReceiptLine> {
    core.field().request_cancellation(record_id(&id)?, &reason, now_millis())
}

#[tauri::command]
pub fn cash_queue(core: Core<'_>) -> ApiResult<CashQueue> {
    core.field().cash_queue()
}

#[tauri::command]
pub fn acknowledge_handover(core: Core<'_>, id: String, note: Option<String>) -> ApiResult<HandoverView> {
    core.field().acknowledge_handover(record_id(&id)?, note, now_millis())
}

#[tauri::command]
pub fn decide_cancellation(core: Core<'_>, id: String, approve: bool, note: Option<String>) -> ApiResult<Saved> {
    core.field().decide_cancellation(record_id(&id)?, approve, note, now_millis())
}
