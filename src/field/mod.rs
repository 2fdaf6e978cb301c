//! The field app's use cases over the device store: enrollment state, who is signed in on a
//! shared device (user + PIN), forms turned into records, lists and badges, the supervisor's
//! review. No window and no network here: `src-tauri` turns each method into a command (a
//! thin adapter) and owns the background sync; the shapes exchanged are in [`views`], the
//! contract with `ui/src/api.ts`.
//!
//! Every save goes to the device store first and returns at once: nothing here waits for the
//! server.
//!
//! By concern: `session` (the device, enrollment, users, sign-in, language), `forms` (each form's
//! draft read, checked in one round and saved), `lists` (Home, lists, a record, the review
//! list), `custody` (the plant gate), `dayend` (the collector's day and the supervisor's cash
//! queue); this file holds `Field` and what they share (who is signed in, a new record's place,
//! badges).

mod custody;
mod dayend;
mod error;
mod forms;
mod lists;
mod pin;
mod session;
pub use pin::{CheckedPin, PinAttempt};
pub use session::{check_enroll, enroll_error, server_address};
pub mod detail;
pub mod views;

use std::collections::BTreeMap;
use std::path::Path;

pub use dayend::*;
pub use detail::{DetailLabel, DetailLine, DetailValue, FormDraft};
pub use error::{ApiError, ApiResult};
pub use views::*;

use crate::Error;
use crate::domain::access::{kinds_of, record_forms};
use crate::domain::fsm::{FieldRequest, PitDetail, TripStep};
use crate::domain::receipt::AmountLine;
use crate::domain::reference::{ReferenceData, User};
use crate::domain::validate::{Checker, FieldErrors, check_draft};
use crate::domain::workflow::{self, Actor};
use crate::domain::{
    Address, Answer, AssetSurvey, Body, FsmJob, GeoPoint, Inspection, Paise, Receipt, Record, RecordKind, Role, Status,
    Trip, UnixMillis,
};
use crate::geo::GeoRules;
use crate::ids::{RecordId, TransitionId, UserId};
use crate::store::{Query, RecordRow, Store, SyncState};
use crate::wire::Enrollment;

const SERVER: &str = "app.server";
const TOKEN: &str = "app.token";
const DEVICE_NAME: &str = "app.device_name";
const LANG: &str = "app.lang";
/// Lists show at most this many rows (each row's place is read from its document).
const LIST_LIMIT: u32 = 200;

/// The app's state on one device: its store, the signed-in user, the language.
pub struct Field {
    store: Store,
    user: Option<UserId>,
    lang: Lang,
    rules: GeoRules,
}

impl Field {
    fn town_user(&self, id: UserId) -> ApiResult<&User> {
        self.store
            .reference()
            .users
            .iter()
            .find(|u| u.id == id)
            .ok_or_else(|| ApiError::new("unknown_user", format!("user {id} is not on this device")))
    }

    fn user_view(&self, user: &User) -> ApiResult<UserView> {
        Ok(UserView {
            id: user.id,
            name: user.name.clone(),
            roles: user.roles.clone(),
            wards: user.wards.clone(),
            has_pin: self.store.setting(&pin::key(user.id))?.is_some(),
            tasks: crate::domain::access::tasks(&user.roles).into_iter().map(String::from).collect(),
        })
    }

    fn me(&self) -> ApiResult<&User> {
        let id = self.user.ok_or_else(|| ApiError::new("signed_out", "nobody is signed in"))?;
        self.town_user(id)
    }

    /// The signed-in user acting in `role`, refused when they do not hold it.
    fn actor(&self, role: Role) -> ApiResult<Actor> {
        let me = self.me()?;
        if !me.roles.contains(&role) {
            return Err(ApiError::new("not_allowed", format!("{} does not work as {role}", me.name)));
        }
        Ok(Actor { user: me.id, role })
    }

    fn my_kinds(&self) -> ApiResult<Vec<RecordKind>> {
        let mut kinds: Vec<RecordKind> = Vec::new();
        for role in &self.me()?.roles {
            for kind in kinds_of(*role) {
                if !kinds.contains(kind) {
                    kinds.push(*kind);
                }
            }
        }
        Ok(kinds)
    }

    fn rows(&self, query: &Query) -> ApiResult<Vec<RowView>> {
        let query = Query { limit: Some(query.limit.unwrap_or(LIST_LIMIT)), ..query.clone() };
        self.store.list(&query)?.into_iter().map(|row| self.row_view(row)).collect()
    }

    /// A list line, from the record's row alone: a list never loads the documents.
    fn row_view(&self, row: RecordRow) -> ApiResult<RowView> {
        let badge = badge(&row);
        let rejection = self.rejection(row.id, row.sync_state)?;
        Ok(RowView {
            id: row.id,
            kind: row.kind,
            status: row.status.to_string(),
            ward: row.ward,
            title: row.title,
            updated_at: row.updated_at,
            amount_paise: row.amount_paise,
            badge,
            photos_waiting: self.store.photos_waiting(Some(row.id))?,
            location: row.location,
            rejection,
            author: Some(self.name_of(row.created_by)),
            work_at: row.work_at.unwrap_or(row.updated_at),
            note: row.note,
            photo: row.photo,
        })
    }

    /// A member of staff's name as this device knows it, else their id.
    fn name_of(&self, id: UserId) -> String {
        self.store.reference().users.iter().find(|u| u.id == id).map_or_else(|| id.to_string(), |u| u.name.clone())
    }

    /// Whether the signed-in user may open the record in its form: they made it, they still
    /// hold the role that makes its kind, and it is with them (a draft, or sent back).
    fn editable(&self, record: &Record) -> bool {
        let role = match record.kind() {
            RecordKind::Inspection => Role::Inspector,
            RecordKind::AssetSurvey => Role::Surveyor,
            _ => return false,
        };
        // Its author edits it while it is with them, and corrects it when the server refused it.
        let refused = self.store.sync_state(record.id).is_ok_and(|(state, _)| state == SyncState::Rejected);
        self.actor(role).is_ok_and(|a| a.user == record.created_by)
            && (refused || workflow::content_open(record.kind(), record.workflow().status))
    }

    /// A record the signed-in user may edit in its form, or why not.
    fn editable_record(&self, id: RecordId, kind: RecordKind) -> ApiResult<Record> {
        let record = self.store.get(id)?;
        if record.kind() != kind {
            return Err(ApiError::new("not_found", format!("{id} is not a {kind}")));
        }
        if !self.editable(&record) {
            let status = record.workflow().status;
            return Err(ApiError::new(
                "not_editable",
                format!("this {kind} is {status}: only its author edits it, while it is a draft or sent back"),
            ));
        }
        Ok(record)
    }

    fn warnings(&self, record: &Record) -> ApiResult<Vec<WarningView>> {
        let mut out: Vec<WarningView> = self
            .store
            .geo_warnings(record, &self.rules)
            .into_iter()
            .map(|w| WarningView { code: w.code().into(), message: format!("{w:?}") })
            .collect();
        match &record.body {
            Body::AssetSurvey(_) => {
                for (other, metres) in self.store.possible_duplicate_assets(record, &self.rules)? {
                    out.push(WarningView {
                        code: "possible_duplicate".into(),
                        message: format!("an asset of the same type {metres:.0} m away ({other})"),
                    });
                }
            }
            Body::Trip(trip) => {
                out.extend(trip.concerns().into_iter().map(|c| WarningView { code: c.into(), message: c.into() }))
            }
            _ => {}
        }
        Ok(out)
    }

    fn saved(&self, id: RecordId) -> ApiResult<Saved> {
        let record = self.store.get(id)?;
        Ok(Saved { id, badge: badge(&self.store.row(id)?), warnings: self.warnings(&record)? })
    }

    /// A new record of the signed-in user, assigned to them. Its ward is its place's; a record
    /// with no place in a ward (a receipt, an inspection saved without a location) gets the
    /// user's ward when they work in exactly one, or the one they `chose` among several, so the
    /// server can place it (`domain::access::ward_of_new`). A missing or foreign choice comes
    /// back as a problem to report with the form's others.
    fn new_record_in(&self, now: UnixMillis, body: Body, chosen: Option<&str>) -> ApiResult<(Record, FieldErrors)> {
        let me = self.me()?;
        let tenant = self.store.reference().tenant.as_ref().map(|t| t.id.clone()).unwrap_or_default();
        let mut record = Record::new(RecordId::new(), &tenant, me.id, now, body);
        let problems = self.place_for_me(&mut record, chosen)?;
        Ok((record, problems))
    }

    /// Assigns a new record to the signed-in user and places it: its place's ward, else the
    /// user's ward when they work in exactly one, else the one they `chose`. What keeps it from
    /// a ward comes back as a problem (a place outside every ward is not one: the server says
    /// why it refuses that).
    fn place_for_me(&self, record: &mut Record, chosen: Option<&str>) -> ApiResult<FieldErrors> {
        let me = self.me()?;
        record.assignee = Some(me.id);
        crate::geo::place(self.store.reference(), record);
        let mut problems = FieldErrors::default();
        match crate::domain::access::ward_of_new(&me.wards, record.ward.as_deref(), chosen) {
            Ok(ward) => record.ward = ward,
            Err(_) if record.map_place().is_some() => {}
            Err(e) => problems.0.push(e),
        }
        Ok(problems)
    }

    /// Applies a workflow step to a record not yet saved, so a refused step saves nothing.
    fn step_unsaved(&self, record: &mut Record, role: Role, to: Status, now: UnixMillis) -> ApiResult<()> {
        let actor = self.actor(role)?;
        workflow::step(record, self.store.reference(), TransitionId::new(), actor, to, now, None)?;
        Ok(())
    }
}

/// A thumbnail's JPEG bytes as the `data:` URL an `<img>` shows.
pub fn thumbnail_url(jpeg: &[u8]) -> String {
    use base64::Engine;
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg))
}

/// A record's field errors under the names of the draft the form sent (`pit.length` is the
/// form's `pit_length`, a trip's `pickup.volume_litres` its `volume_litres`), so each error lands
/// beside its input.
fn as_draft(mut e: ApiError, renames: &[(&str, &str)]) -> ApiError {
    for f in &mut e.fields {
        if let Some((from, to)) = renames.iter().find(|(from, _)| f.field.starts_with(from)) {
            f.field = format!("{to}{}", &f.field[from.len()..]);
        }
    }
    e
}

fn code_view(code: String) -> ApiResult<CodeView> {
    let qr_svg = crate::ledger::qr_svg(&code).map_err(Error::from)?;
    Ok(CodeView { code, qr_svg })
}

/// A row's badge: review first (a person must act), then where its changes are.
fn badge(row: &RecordRow) -> Badge {
    if row.needs_review || row.conflicts > 0 {
        return Badge::NeedsReview;
    }
    match row.sync_state {
        SyncState::Saved => Badge::Saved,
        SyncState::Waiting => Badge::Waiting,
        SyncState::OnServer => Badge::OnServer,
        SyncState::Rejected => Badge::Rejected,
    }
}
