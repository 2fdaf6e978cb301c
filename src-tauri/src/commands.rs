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

/// A file the UI read (a photo, a picture of a code), sent as base64.
fn file_bytes(base64: &str) -> ApiResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|e| ApiError::new("bad_file", format!("the photo did not arrive whole: {e}")))
}

fn record_id(id: &str) -> ApiResult<RecordId> {
    id.parse().map_err(|_| ApiError::new("not_found", format!("{id} is not a record id")))
}

#[tauri::command]
pub async fn app_state(core: Core<'_>) -> ApiResult<AppState> {
    core.run(move |field| field.state()).await
}

#[tauri::command]
pub async fn enroll(core: Core<'_>, server: String, code: String, device_name: String) -> ApiResult<AppState> {
    crate::background::enroll(&core, &server, &code, &device_name).await?;
    core.field().state()
}

#[tauri::command]
pub async fn device_users(core: Core<'_>) -> ApiResult<Vec<UserView>> {
    core.run(move |field| field.device_users()).await
}

#[tauri::command]
pub async fn sign_in(core: Core<'_>, user_id: String, pin: String) -> ApiResult<AppState> {
    // The PIN's hash is checked without the session, so other commands go on meanwhile.
    let attempt = core.run(move |field| field.pin_attempt(&user_id, &pin)).await?;
    let checked = crate::blocking(move || attempt.check()).await??;
    core.run(move |field| field.finish_sign_in(checked)).await
}

#[tauri::command]
pub async fn sign_out(core: Core<'_>) -> ApiResult<AppState> {
    core.run(move |field| field.sign_out()).await
}

#[tauri::command]
pub async fn set_language(core: Core<'_>, lang: Lang) -> ApiResult<AppState> {
    core.run(move |field| field.set_language(lang)).await
}

#[tauri::command]
pub async fn reference(core: Core<'_>) -> ApiResult<ReferenceView> {
    core.run(move |field| Ok(field.reference())).await
}

#[tauri::command]
pub async fn home(core: Core<'_>) -> ApiResult<Home> {
    core.run(move |field| field.home(now_millis())).await
}

#[tauri::command]
pub async fn list_records(core: Core<'_>, kind: Option<RecordKind>) -> ApiResult<Vec<RowView>> {
    core.run(move |field| field.list(kind)).await
}

#[tauri::command]
pub async fn record(core: Core<'_>, id: String) -> ApiResult<RecordView> {
    core.run(move |field| field.record(record_id(&id)?)).await
}

#[tauri::command]
pub async fn save_inspection(core: Core<'_>, draft: InspectionDraft) -> ApiResult<Saved> {
    core.run(move |field| field.save_inspection(draft, now_millis())).await
}

#[tauri::command]
pub async fn save_asset(core: Core<'_>, draft: AssetDraft) -> ApiResult<Saved> {
    core.run(move |field| field.save_asset(draft, now_millis())).await
}

#[tauri::command]
pub async fn collect_fee(core: Core<'_>, draft: ReceiptDraft) -> ApiResult<ReceiptIssued> {
    core.run(move |field| field.collect_fee(draft, now_millis())).await
}

/// Every problem of a receipt draft, or its amount in paise, without issuing it (the preview).
#[tauri::command]
pub async fn check_receipt(core: Core<'_>, draft: ReceiptDraft) -> ApiResult<i64> {
    core.run(move |field| field.check_receipt(draft, now_millis())).await
}

#[tauri::command]
pub async fn read_amount(core: Core<'_>, text: String) -> ApiResult<i64> {
    core.run(move |field| field.read_amount(&text)).await
}

#[tauri::command]
pub async fn create_fsm_job(core: Core<'_>, draft: FsmJobDraft) -> ApiResult<Saved> {
    core.run(move |field| field.create_fsm_job(draft, now_millis())).await
}

#[tauri::command]
pub async fn step(core: Core<'_>, id: String, to: String, note: Option<String>) -> ApiResult<Saved> {
    core.run(move |field| field.step(record_id(&id)?, &to, note, now_millis())).await
}

/// The send-back loop: the author's changes to a draft or sent-back inspection (`submit` sends
/// it again), a sent-back survey's corrections, and a supervisor settling a record in review.
#[tauri::command]
pub async fn edit_inspection(core: Core<'_>, id: String, draft: InspectionDraft) -> ApiResult<Saved> {
    core.run(move |field| field.edit_inspection(record_id(&id)?, draft, now_millis())).await
}

#[tauri::command]
pub async fn edit_asset(core: Core<'_>, id: String, draft: AssetDraft) -> ApiResult<Saved> {
    core.run(move |field| field.edit_asset(record_id(&id)?, draft, now_millis())).await
}

#[tauri::command]
pub async fn settle(core: Core<'_>, id: String, to: String, note: Option<String>) -> ApiResult<Saved> {
    core.run(move |field| field.settle(record_id(&id)?, &to, note, now_millis())).await
}

/// A photo's thumbnail: from this device's store, else (a photo another phone took) from the
/// server, kept in memory for the session; `None` offline or when the server has none.
#[tauri::command]
pub async fn photo_thumbnail(core: Core<'_>, sha256: String) -> ApiResult<PhotoThumb> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FETCHED: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let fetched = FETCHED.get_or_init(Default::default);
    let wanted = sha256.clone();
    let (local, enrollment) = core.run(move |field| Ok((field.photo_thumbnail(&wanted)?, field.enrollment()?))).await?;
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
pub async fn trip_pickup(core: Core<'_>, job_id: String, step: TripStepDraft) -> ApiResult<Saved> {
    core.run(move |field| field.trip_pickup(record_id(&job_id)?, step, now_millis())).await
}

#[tauri::command]
pub async fn trip_disposal(core: Core<'_>, trip_id: String, step: TripStepDraft) -> ApiResult<Saved> {
    core.run(move |field| field.trip_disposal(record_id(&trip_id)?, step, now_millis())).await
}

#[tauri::command]
pub async fn handover_code(core: Core<'_>, trip_id: String) -> ApiResult<CodeView> {
    core.run(move |field| field.handover_code(record_id(&trip_id)?, now_millis())).await
}

#[tauri::command]
pub async fn countersign(
    core: Core<'_>,
    code: String,
    volume_litres: Option<Typed>,
    location: Option<GeoPoint>,
) -> ApiResult<CodeView> {
    core.run(move |field| field.countersign(&code, volume_litres, location, now_millis())).await
}

#[tauri::command]
pub async fn record_countersigned(
    core: Core<'_>,
    trip_id: String,
    code: String,
    location: Option<GeoPoint>,
) -> ApiResult<Saved> {
    core.run(move |field| field.record_countersigned(record_id(&trip_id)?, &code, location, now_millis())).await
}

/// A QR code read from a photo of the other phone's screen (camera or picked file), as base64.
#[tauri::command]
pub async fn read_code(base64: String) -> ApiResult<String> {
    crate::blocking(move || Field::read_code(&file_bytes(&base64)?)).await?
}

#[tauri::command]
pub async fn check_handover(core: Core<'_>, code: String) -> ApiResult<TripHandoverView> {
    core.run(move |field| field.check_handover(&code)).await
}

#[tauri::command]
pub async fn review_list(core: Core<'_>) -> ApiResult<ReviewList> {
    core.run(move |field| field.review_list()).await
}

#[tauri::command]
pub async fn resolve_conflict(core: Core<'_>, record_id: String, field: String, value: String) -> ApiResult<Saved> {
    core.run(move |session| {
        let id = self::record_id(&record_id)?;
        session.resolve_conflict(id, &field, &value, now_millis())
    })
    .await
}

#[tauri::command]
pub async fn add_photo(core: Core<'_>, base64: String) -> ApiResult<PhotoRef> {
    // The pixels are read and scaled without the session, so other commands go on meanwhile.
    let photo = crate::blocking(move || {
        let bytes = file_bytes(&base64)?;
        wardbook::photo::take(&bytes).map_err(|e| ApiError::from(wardbook::Error::from(e)))
    })
    .await??;
    core.run(move |field| field.keep_photo(photo, now_millis())).await
}

#[tauri::command]
pub async fn sync_status(core: Core<'_>) -> ApiResult<SyncStatus> {
    core.sync().status(&core)
}

#[tauri::command]
pub async fn sync_now(core: Core<'_>) -> ApiResult<SyncStatus> {
    core.sync().sync_now(&core).await
}

// The collector's day-end (wardbook::field::dayend) and the supervisor's side of it.

#[tauri::command]
pub async fn day_end(core: Core<'_>, day: Option<String>) -> ApiResult<DayEnd> {
    core.run(move |field| field.day_end(day, now_millis())).await
}

#[tauri::command]
pub async fn hand_over_cash(core: Core<'_>, draft: HandoverDraft) -> ApiResult<HandoverView> {
    core.run(move |field| field.hand_over_cash(draft, now_millis())).await
}

#[tauri::command]
pub async fn reprint_receipt(core: Core<'_>, id: String) -> ApiResult<PrintView> {
    core.run(move |field| field.reprint_receipt(record_id(&id)?, now_millis())).await
}

#[tauri::command]
pub async fn request_cancellation(core: Core<'_>, id: String, reason: String) -> ApiResult<ReceiptLine> {
    core.run(move |field| field.request_cancellation(record_id(&id)?, &reason, now_millis())).await
}

#[tauri::command]
pub async fn cash_queue(core: Core<'_>) -> ApiResult<CashQueue> {
    core.run(move |field| field.cash_queue()).await
}

#[tauri::command]
pub async fn acknowledge_handover(core: Core<'_>, id: String, note: Option<String>) -> ApiResult<HandoverView> {
    core.run(move |field| field.acknowledge_handover(record_id(&id)?, note, now_millis())).await
}

#[tauri::command]
pub async fn decide_cancellation(core: Core<'_>, id: String, approve: bool, note: Option<String>) -> ApiResult<Saved> {
    core.run(move |field| field.decide_cancellation(record_id(&id)?, approve, note, now_millis())).await
}
