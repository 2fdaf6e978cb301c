//! What the screens show and send: plain serde shapes, one per `ui/src/api.ts` type. Names and
//! spellings here are the contract with the UI; change both sides together.

use std::collections::BTreeMap;

use crate::domain::asset::{AssetType, Condition};
use crate::domain::receipt::PaymentMode;
use crate::domain::reference::{ChecklistTemplate, FeeHead, Fstp, Tenant, Vehicle, Ward};
use crate::domain::validate::FieldError;
use crate::domain::{Answer, GeoPoint, PhotoRef, RecordKind, Role, UnixMillis};
use crate::ids::{RecordId, UserId};

/// The language of the screens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Hi,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Hi => "hi",
        }
    }
}

/// A member of staff who may sign in on this device.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct UserView {
    pub id: UserId,
    pub name: String,
    pub roles: Vec<Role>,
    pub wards: Vec<String>,
    pub has_pin: bool,
    /// The screens that start work this user may open (`domain::access::tasks`): the app
    /// offers no other.
    #[serde(default)]
    pub tasks: Vec<String>,
}

/// Where the app is: enrolled or not, who is signed in, which language.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct AppState {
    pub enrolled: bool,
    pub server: Option<String>,
    pub town: Option<Tenant>,
    pub user: Option<UserView>,
    pub lang: Lang,
}

/// The sync bar.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct SyncStatus {
    pub online: bool,
    pub syncing: bool,
    pub last_sync_at: Option<UnixMillis>,
    pub waiting: u64,
    pub photos_waiting: u64,
    pub last_error: Option<String>,
}

/// The town's reference data as the forms need it (users are in `device_users`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReferenceView {
    pub town: Option<Tenant>,
    pub wards: Vec<Ward>,
    pub templates: Vec<ChecklistTemplate>,
    pub fee_heads: Vec<FeeHead>,
    pub vehicles: Vec<Vehicle>,
    pub fstps: Vec<Fstp>,
}

/// A record's state as one badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Badge {
    Saved,
    Waiting,
    OnServer,
    NeedsReview,
    Rejected,
}

/// One line of a list.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct RowView {
    pub id: RecordId,
    pub kind: RecordKind,
    pub status: String,
    pub ward: Option<String>,
    pub title: String,
    pub updated_at: UnixMillis,
    pub amount_paise: Option<i64>,
    pub badge: Badge,
    pub photos_waiting: u64,
    pub location: Option<GeoPoint>,
    /// Why the server refused the record (only when `badge` is `rejected` and it said why).
    pub rejection: Option<Rejection>,
    /// The name of the person who made the record, when the town's list on this device has it.
    #[serde(default)]
    pub author: Option<String>,
    /// When the work was done, by the record's own clock ([`crate::domain::Record::work_at`]):
    /// not when the record reached this device (`updated_at`).
    #[serde(default)]
    pub work_at: UnixMillis,
    /// The reason given with the step that put the record in its status (a supervisor's note
    /// when she sent it back or rejected it).
    #[serde(default)]
    pub note: Option<String>,
    /// The first photo the record names (its SHA-256), for a thumbnail ([`PhotoThumb`]).
    #[serde(default)]
    pub photo: Option<String>,
}

/// One workflow step as the record's screen shows it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct StepView {
    pub at: UnixMillis,
    /// The name of who took it (their id when this device does not know them).
    pub by: String,
    pub role: Role,
    pub from: String,
    pub to: String,
    pub note: Option<String>,
    /// A supervisor's step settling a record in review.
    pub settles: bool,
}

/// A line of the supervisor's queue: the record and what she may do with it from the list.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct QueueItem {
    pub row: RowView,
    /// Statuses she may move it to ([`RecordView::actions`]).
    pub actions: Vec<String>,
    /// Statuses she may settle it to when it needs review ([`RecordView::settle`]).
    pub settle: Vec<String>,
}

/// A photo's thumbnail (JPEG, longest side ≤ 256 px) as a `data:` URL, or `None` when the
/// photo's bytes are not on this device.
pub type PhotoThumb = Option<String>;

/// The server's answer to a refused change: a stable code the UI translates (`ward_out_of_scope`,
/// `record_final`...) and the server's own sentence, shown when the code has no translation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Rejection {
    pub code: String,
    pub reason: String,
}

impl Rejection {
    /// The store keeps the server's answer as `code: reason`.
    pub fn parse(stored: &str) -> Rejection {
        match stored.split_once(": ") {
            Some((code, reason)) if !code.is_empty() && !code.contains(' ') => {
                Rejection { code: code.into(), reason: reason.into() }
            }
            _ => Rejection { code: "rejected".into(), reason: stored.into() },
        }
    }
}

/// A conflicted field with every value, as JSON text.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ConflictView {
    pub record: RecordId,
    pub title: String,
    pub field: String,
    pub values: Vec<String>,
}

/// A warning about a record (a poor GPS fix, a possible duplicate, possible dumping...).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct WarningView {
    pub code: String,
    pub message: String,
}

/// One record with what its screen needs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct RecordView {
    pub row: RowView,
    /// Its content as label/value lines ([`super::detail::lines`]).
    pub details: Vec<super::detail::DetailLine>,
    /// Every photo it names ([`crate::domain::Record::photos`]).
    pub photos: Vec<PhotoRef>,
    /// What its form opens with, when the signed-in user may edit it (`editable`).
    pub draft: Option<super::detail::FormDraft>,
    pub conflicts: Vec<ConflictView>,
    pub warnings: Vec<WarningView>,
    /// Statuses the signed-in user may move the record to now.
    pub actions: Vec<String>,
    /// Statuses a supervisor may settle the record to, when it needs review (competing steps,
    /// a flagged trip): empty otherwise.
    #[serde(default)]
    pub settle: Vec<String>,
    /// The record's workflow steps, oldest first, with their notes.
    #[serde(default)]
    pub history: Vec<StepView>,
    /// The signed-in user may open it in its form again (their draft, or sent back to them).
    #[serde(default)]
    pub editable: bool,
    /// Forms the signed-in user may fill on this record now (`domain::access::record_forms`):
    /// `trip_pickup`, `trip_disposal`, `handover`.
    #[serde(default)]
    pub forms: Vec<String>,
}

/// The home screen: work for the user's roles, then the user's own records in every ward (or
/// none): drafts, those the server has not confirmed yet, and those it confirmed today (IST).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Home {
    pub todo: Vec<RowView>,
    pub drafts: Vec<RowView>,
    pub waiting: Vec<RowView>,
    pub sent_today: Vec<RowView>,
}

/// The supervisor's review screen.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReviewList {
    /// Waiting for her: records to approve, send back or reject (submitted inspections,
    /// surveys pending for approval, requested reversals, handovers to count) and records that
    /// need review (competing steps, a flagged trip), these first; oldest work first within each.
    pub waiting: Vec<QueueItem>,
    pub rejected: Vec<RowView>,
    pub conflicts: Vec<ConflictView>,
}

/// What a save returns.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Saved {
    pub id: RecordId,
    pub badge: Badge,
    pub warnings: Vec<WarningView>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReceiptIssued {
    pub id: RecordId,
    pub badge: Badge,
    pub warnings: Vec<WarningView>,
    pub receipt_number: String,
    pub amount_paise: i64,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct InspectionDraft {
    pub template_code: String,
    pub template_version: u32,
    pub subject: String,
    pub location: Option<PlaceDraft>,
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    /// Answers to number questions as typed (`"1,250"`, `"१२"`), by question id, read by
    /// [`crate::domain::number`]; an answer here replaces one of the same id in `answers`.
    #[serde(default)]
    pub numbers: BTreeMap<String, Typed>,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// Submit for review now (else keep as a draft).
    #[serde(default)]
    pub submit: bool,
    /// The ward chosen by a user of several wards, for an inspection without a place.
    #[serde(default)]
    pub ward: Option<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct AssetDraft {
    /// `None` when none was chosen yet (refused as `required`, with the form's other problems).
    pub asset_type: Option<AssetType>,
    pub asset_name: String,
    pub location: Option<PlaceDraft>,
    pub condition: Option<Condition>,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ReceiptDraft {
    pub fee_head: String,
    /// Rupees as typed: `150` or `150.50`.
    pub amount: String,
    pub payment_mode: PaymentMode,
    pub payer_name: String,
    pub mobile_number: Option<String>,
    pub instrument_number: Option<String>,
    /// The ward chosen by a collector of several wards (a receipt has no place).
    #[serde(default)]
    pub ward: Option<String>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct FsmJobDraft {
    pub applicant_name: String,
    pub mobile_number: Option<String>,
    pub locality: String,
    pub location: Option<PlaceDraft>,
    /// Metres as typed (`"1.5"`, `"१.५"`) or numbers.
    pub pit_length: Option<Typed>,
    pub pit_width: Option<Typed>,
    pub pit_height: Option<Typed>,
    #[serde(default)]
    pub post_pay: bool,
}

/// A code one device shows and another reads (typed, or scanned from the QR code).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct CodeView {
    pub code: String,
    /// The code as a QR code, an inline SVG element.
    pub qr_svg: String,
}

/// A crew's handover as the plant operator's phone read and checked it, before countersigning.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct TripHandoverView {
    /// The code as read (what `countersign` takes).
    pub code: String,
    pub trip: RecordId,
    pub vehicle: String,
    /// Litres estimated at the pit.
    pub litres: u64,
    /// When the crew's phone signed it.
    pub at: UnixMillis,
}

/// A quantity as the form sends it: the text as typed (`"1,250"`, `" 150 "`, `"१५०"`), read by
/// [`crate::domain::number`], or a number.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(untagged)]
pub enum Typed {
    Number(f64),
    Text(String),
}

impl Typed {
    /// Litres in `field`: `None` when nothing was typed.
    pub fn litres(field: &str, value: Option<&Typed>) -> crate::Result<Option<f64>> {
        match value {
            None => Ok(None),
            Some(Typed::Number(n)) => crate::domain::number::parse_litres(field, &n.to_string()),
            Some(Typed::Text(t)) => crate::domain::number::parse_litres(field, t),
        }
    }

    /// A number in `field` (an answer, a pit size): `None` when nothing was typed.
    pub fn number(field: &str, value: Option<&Typed>) -> crate::Result<Option<f64>> {
        match value {
            None => Ok(None),
            Some(Typed::Number(n)) if n.is_finite() => Ok(Some(*n)),
            Some(Typed::Number(_)) => crate::domain::number::parse_number(field, "NaN"),
            Some(Typed::Text(t)) => crate::domain::number::parse_number(field, t),
        }
    }
}

/// A place as a form sends it: a point (from GPS or the map), or latitude and longitude as the
/// person typed them (`"30.37"`, `"३०.३७"`), read here so a slip is named on its own box.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(untagged)]
pub enum PlaceDraft {
    Point(GeoPoint),
    Typed { lat: Typed, lon: Typed },
}

impl PlaceDraft {
    /// The point, and the problems of what was typed (`location.lat` / `location.lon`:
    /// `required`, `not_a_number`; the globe's range is the record's rule).
    pub fn read(place: Option<PlaceDraft>) -> crate::Result<(Option<GeoPoint>, crate::domain::validate::FieldErrors)> {
        let mut c = crate::domain::validate::Checker::new();
        let (lat, lon) = match place {
            None => return Ok((None, c.into_errors())),
            Some(PlaceDraft::Point(p)) => return Ok((Some(p), c.into_errors())),
            Some(PlaceDraft::Typed { lat, lon }) => (lat, lon),
        };
        let mut axis = |field: &str, value: &Typed| match Typed::number(field, Some(value)) {
            Ok(Some(v)) => Ok(Some(v)),
            Ok(None) => {
                c.error(field, "required", "type both latitude and longitude");
                Ok(None)
            }
            Err(e) => crate::domain::validate::FieldErrors::of(e).map(|errors| {
                c.extend(errors);
                None
            }),
        };
        let (lat, lon) = (axis("location.lat", &lat)?, axis("location.lon", &lon)?);
        let point = lat.zip(lon).map(|(lat, lon)| GeoPoint { lat, lon, accuracy_m: None });
        Ok((point, c.into_errors()))
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct TripStepDraft {
    /// Litres as typed, or a number.
    pub volume_litres: Option<Typed>,
    pub location: Option<PlaceDraft>,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
}

impl From<&FieldError> for WarningView {
    fn from(e: &FieldError) -> WarningView {
        WarningView { code: e.code.clone(), message: e.message.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn litres_come_as_typed_text_or_as_a_number() {
        let draft: TripStepDraft =
            serde_json::from_value(serde_json::json!({"volume_litres": "२,४००", "location": null})).unwrap();
        assert_eq!(Typed::litres("volume_litres", draft.volume_litres.as_ref()).unwrap(), Some(2400.0));
        let draft: TripStepDraft =
            serde_json::from_value(serde_json::json!({"volume_litres": 2400.5, "location": null})).unwrap();
        assert_eq!(Typed::litres("volume_litres", draft.volume_litres.as_ref()).unwrap(), Some(2400.5));
        assert!(Typed::litres("volume_litres", Some(&Typed::Number(-1.0))).is_err());
        assert_eq!(Typed::litres("volume_litres", None).unwrap(), None);
    }

    #[test]
    fn a_place_comes_as_a_point_or_as_typed_numbers_and_a_slip_names_its_box() {
        let read = |v: serde_json::Value| {
            let (point, errors) = PlaceDraft::read(serde_json::from_value(v).unwrap()).unwrap();
            (
                point.map(|p| (p.lat, p.lon, p.accuracy_m)),
                errors.0.into_iter().map(|e| format!("{} {}", e.field, e.code)).collect::<Vec<_>>(),
            )
        };
        let none: Vec<String> = vec![];
        assert_eq!(
            read(serde_json::json!({"lat": 30.37, "lon": 76.14, "accuracy_m": 6.0})),
            (Some((30.37, 76.14, Some(6.0))), none.clone())
        );
        assert_eq!(
            read(serde_json::json!({"lat": " ३०.३७ ", "lon": "76.14"})),
            (Some((30.37, 76.14, None)), none.clone())
        );
        assert_eq!(
            read(serde_json::json!({"lat": "30,37", "lon": ""})),
            (None, vec!["location.lat not_a_number".into(), "location.lon required".into()])
        );
        assert_eq!(read(serde_json::Value::Null), (None, none));
    }

    #[test]
    fn a_stored_rejection_splits_into_code_and_the_servers_sentence() {
        let r = Rejection::parse("ward_out_of_scope: ward W03 is not one of this user's wards");
        assert_eq!(
            r,
            Rejection { code: "ward_out_of_scope".into(), reason: "ward W03 is not one of this user's wards".into() }
        );
        assert_eq!(Rejection::parse("record_final: closed: no edit").reason, "closed: no edit");
        let bare = Rejection::parse("the server said no");
        assert_eq!(bare, Rejection { code: "rejected".into(), reason: "the server said no".into() });
    }
}
