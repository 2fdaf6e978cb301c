//! The field app's use cases over the device store: enrollment state, who is signed in on a
//! shared device (user + PIN), forms turned into records, lists and badges, the supervisor's
//! review. No window and no network here: `src-tauri` turns each method into a command (a
//! thin adapter) and owns the background sync; the shapes exchanged are in [`views`], the
//! contract with `ui/src/api.ts`.
//!
//! Every save goes to the device store first and returns at once: nothing here waits for the
//! server.

mod dayend;
mod error;
mod pin;
pub use pin::{CheckedPin, PinAttempt};
pub mod views;

use std::collections::BTreeMap;
use std::path::Path;

pub use dayend::*;
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
    /// Opens the device store at `path` (created on first start).
    pub fn open(path: impl AsRef<Path>) -> ApiResult<Field> {
        Self::with_store(Store::open(path)?)
    }

    pub fn with_store(store: Store) -> ApiResult<Field> {
        let lang = match store.setting(LANG)?.as_deref() {
            Some("hi") => Lang::Hi,
            _ => Lang::En,
        };
        Ok(Field { store, user: None, lang, rules: GeoRules::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The server address and this device's token, once enrolled.
    pub fn enrollment(&self) -> ApiResult<Option<(String, String)>> {
        Ok(self.store.setting(SERVER)?.zip(self.store.setting(TOKEN)?))
    }

    /// The public half of this install's signing key, registered at enrollment.
    pub fn public_key(&self) -> ApiResult<crate::ledger::PublicKey> {
        Ok(self.store.device_key()?.public_key())
    }

    pub fn state(&self) -> ApiResult<AppState> {
        let enrollment = self.enrollment()?;
        let user = match self.user {
            Some(id) => Some(self.user_view(self.town_user(id)?)?),
            None => None,
        };
        Ok(AppState {
            enrolled: enrollment.is_some(),
            server: enrollment.map(|(server, _)| server),
            town: self.store.reference().tenant.clone(),
            user,
            lang: self.lang,
        })
    }

    /// Keeps what enrollment returned and the town's reference data.
    pub fn finish_enroll(
        &mut self,
        server: &str,
        device_name: &str,
        enrollment: &Enrollment,
        refs: &ReferenceData,
    ) -> ApiResult<AppState> {
        self.store.put_reference(refs)?;
        self.store.set_setting(SERVER, server.trim_end_matches('/'))?;
        self.store.set_setting(TOKEN, &enrollment.token)?;
        self.store.set_setting(DEVICE_NAME, device_name)?;
        self.state()
    }

    /// Newer reference data from the server (wards, templates...).
    pub fn put_reference(&mut self, refs: &ReferenceData) -> ApiResult<()> {
        Ok(self.store.put_reference(refs)?)
    }

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

    /// The town's staff who work in the field (everyone but admins), for the sign-in screen.
    pub fn device_users(&self) -> ApiResult<Vec<UserView>> {
        self.store
            .reference()
            .users
            .iter()
            .filter(|u| u.roles.iter().any(|r| *r != Role::Admin))
            .map(|u| self.user_view(u))
            .collect()
    }

    /// Signs a user in; their first sign-in on this device sets the PIN (4 to 6 digits).
    pub fn sign_in(&mut self, user: &str, pin_text: &str) -> ApiResult<AppState> {
        let attempt = self.pin_attempt(user, pin_text)?;
        let checked = attempt.check()?;
        self.finish_sign_in(checked)
    }

    /// A sign-in's first part, quick: who, and the PIN hash kept for them. Its check
    /// ([`PinAttempt::check`], the slow Argon2 part) needs no session, so the app runs it while
    /// other commands go on; [`Field::finish_sign_in`] then signs the user in.
    pub fn pin_attempt(&self, user: &str, pin_text: &str) -> ApiResult<PinAttempt> {
        let id: UserId = user.parse().map_err(|_| ApiError::new("unknown_user", "no such user"))?;
        self.town_user(id)?;
        pin::check_format(pin_text)?;
        Ok(PinAttempt { user: id, pin: pin_text.to_string(), stored: self.store.setting(&pin::key(id))? })
    }

    /// Signs in the user of a PIN checked right; their first sign-in keeps the PIN's hash.
    pub fn finish_sign_in(&mut self, checked: CheckedPin) -> ApiResult<AppState> {
        if let Some(hash) = &checked.new_hash {
            self.store.set_setting(&pin::key(checked.user), hash)?;
        }
        self.user = Some(checked.user);
        self.state()
    }

    pub fn sign_out(&mut self) -> ApiResult<AppState> {
        self.user = None;
        self.state()
    }

    pub fn set_language(&mut self, lang: Lang) -> ApiResult<AppState> {
        self.store.set_setting(LANG, lang.as_str())?;
        self.lang = lang;
        self.state()
    }

    pub fn reference(&self) -> ReferenceView {
        let r = self.store.reference();
        ReferenceView {
            town: r.tenant.clone(),
            wards: r.wards.clone(),
            templates: r.templates.clone(),
            fee_heads: r.fee_heads.clone(),
            vehicles: r.vehicles.clone(),
            fstps: r.fstps.clone(),
        }
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

    fn row_view(&self, row: RecordRow) -> ApiResult<RowView> {
        match self.store.get(row.id) {
            Ok(record) => self.row_view_at(row, Some(&record)),
            Err(Error::DamagedRecord { .. }) => self.row_view_at(row, None),
            Err(e) => Err(e.into()),
        }
    }

    /// A row whose record is already loaded (no second read of its document).
    fn row_view_at(&self, row: RecordRow, record: Option<&Record>) -> ApiResult<RowView> {
        let badge = badge(&row);
        let rejection = self.rejection(row.id, row.sync_state)?;
        let status = row.status;
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
            location: record.and_then(location_of),
            rejection,
            author: record.map(|r| self.name_of(r.created_by)),
            work_at: record.map_or(row.updated_at, Record::work_at),
            note: record
                .and_then(workflow::last_note)
                .filter(|t| t.to == status && !t.resolves_review)
                .and_then(|t| t.note.clone()),
            photo: record.and_then(|r| r.photos().first().map(|p| p.sha256.clone())),
        })
    }

    /// A member of staff's name as this device knows it, else their id.
    fn name_of(&self, id: UserId) -> String {
        self.store.reference().users.iter().find(|u| u.id == id).map_or_else(|| id.to_string(), |u| u.name.clone())
    }

    /// The home screen at `now`. Today's work first: their own records the server refused (a
    /// refused draft stays with the drafts),
    /// then their records sent back to them (with the supervisor's note), then for a supervisor
    /// what waits for her ([`Field::review_list`]'s queue) and for other roles the open records of
    /// their kinds in their wards. Then the user's own records (assigned to them, whatever their
    /// ward, with or without one): drafts, those waiting to be sent, and those the server has
    /// whose last change was today (IST). Each record appears once.
    pub fn home(&self, now: UnixMillis) -> ApiResult<Home> {
        let me = self.me()?;
        let today = crate::ledger::ist_date(now);
        let mine = self.store.list(&Query { assignee: Some(me.id), limit: Some(LIST_LIMIT), ..Query::default() })?;
        let (mut drafts, mut waiting, mut sent_today, mut refused, mut returned) =
            (vec![], vec![], vec![], vec![], vec![]);
        for row in mine {
            let back = workflow::content_open(row.kind, row.status) && workflow::initial(row.kind) != row.status;
            // A cash handover starts as DRAFT until the supervisor acknowledges it; it is made,
            // not a draft.
            let list = if row.status == Status::Draft && row.kind != RecordKind::Handover {
                &mut drafts
            } else if row.sync_state == SyncState::Rejected {
                &mut refused
            } else if back {
                &mut returned
            } else {
                match row.sync_state {
                    SyncState::Rejected => &mut refused,
                    SyncState::Saved | SyncState::Waiting => &mut waiting,
                    SyncState::OnServer if crate::ledger::ist_date(row.updated_at) == today => &mut sent_today,
                    SyncState::OnServer => continue,
                }
            };
            list.push(self.row_view(row)?);
        }
        let mut todo = Vec::new();
        if me.roles.contains(&Role::Supervisor) {
            todo.extend(self.queue()?.into_iter().map(|item| item.row));
        } else {
            let wards: Vec<Option<String>> =
                if me.wards.is_empty() { vec![None] } else { me.wards.iter().cloned().map(Some).collect() };
            for kind in self.my_kinds()? {
                for ward in &wards {
                    let open = Query { ward: ward.clone(), limit: Some(50), ..Query::open(kind) };
                    todo.extend(self.rows(&open)?);
                }
            }
            todo.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        }
        let mut out = refused;
        out.append(&mut returned);
        out.append(&mut todo);
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert(r.id));
        let listed: Vec<RecordId> = drafts.iter().chain(&waiting).chain(&sent_today).map(|r| r.id).collect();
        out.retain(|r| !listed.contains(&r.id));
        Ok(Home { todo: out, drafts, waiting, sent_today })
    }

    /// Records of one kind (or every kind the user works with), newest first.
    pub fn list(&self, kind: Option<RecordKind>) -> ApiResult<Vec<RowView>> {
        let kinds = match kind {
            Some(kind) => vec![kind],
            None => self.my_kinds()?,
        };
        let mut rows = Vec::new();
        for kind in kinds {
            rows.extend(self.rows(&Query { kind: Some(kind), ..Query::default() })?);
        }
        rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// One record with its conflicts, warnings, history and the steps the user may take.
    pub fn record(&self, id: RecordId) -> ApiResult<RecordView> {
        let record = self.store.get(id)?;
        let row = self.row_view_at(self.store.row(id)?, Some(&record))?;
        let conflicts = self.conflict_views(Some(id))?;
        let warnings = self.warnings(&record)?;
        let actions = self.actions(&record)?;
        let settle = self.settle_options(&record);
        let history = record
            .transitions
            .iter()
            .map(|t| StepView {
                at: t.at,
                by: self.name_of(t.by),
                role: t.role,
                from: t.from.to_string(),
                to: t.to.to_string(),
                note: t.note.clone(),
                settles: t.resolves_review,
            })
            .collect();
        let editable = self.editable(&record);
        let forms = match self.user {
            Some(id) => record_forms(&record, &self.town_user(id)?.roles).into_iter().map(String::from).collect(),
            None => vec![],
        };
        Ok(RecordView {
            row,
            record: serde_json::to_value(&record).map_err(|e| ApiError::new("storage", e.to_string()))?,
            conflicts,
            warnings,
            actions,
            settle,
            history,
            editable,
            forms,
        })
    }

    fn actions(&self, record: &Record) -> ApiResult<Vec<String>> {
        let Some(id) = self.user else { return Ok(vec![]) };
        let roles = self.town_user(id)?.roles.clone();
        let from = record.workflow().status;
        Ok(workflow::statuses(record.kind())
            .into_iter()
            .filter(|to| roles.iter().any(|role| workflow::allows(record, from, *to, *role)))
            .map(|to| to.to_string())
            .collect())
    }

    /// The statuses a signed-in supervisor may settle a record in review to: its status now and
    /// those its competing steps lead to (a flagged trip: its status, kept with her note).
    fn settle_options(&self, record: &Record) -> Vec<String> {
        if self.actor(Role::Supervisor).is_err() || !record.needs_attention() {
            return vec![];
        }
        let state = record.workflow();
        let mut out = vec![state.status];
        for p in &state.problems {
            let to = match p {
                workflow::ReviewProblem::Competing { to, .. } | workflow::ReviewProblem::NotAllowed { to, .. } => *to,
            };
            if !out.contains(&to) && workflow::statuses(record.kind()).contains(&to) {
                out.push(to);
            }
        }
        out.into_iter().map(|s| s.to_string()).collect()
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
            Err(_) if location_of(record).is_some() => {}
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

    /// Saves an inspection; `submit` also sends it for review (required answers checked first).
    /// Every problem of the draft comes back at once: the subject, the answers as typed, their
    /// ranges and, on submit, the required answers.
    pub fn save_inspection(&mut self, draft: InspectionDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Inspector)?;
        let to = draft.submit.then_some(Status::Submitted);
        let chosen = draft.ward.clone();
        let (body, mut typed) = inspection_body(draft)?;
        let (mut record, ward) = self.new_record_in(now, body, chosen.as_deref())?;
        typed.extend(ward);
        check_draft(&record, self.store.reference(), to, typed.into_errors())?;
        if let Some(to) = to {
            self.step_unsaved(&mut record, Role::Inspector, to, now)?;
        }
        self.store.create(&record, now)?;
        self.saved(record.id)
    }

    /// Saves the inspector's changes to their draft or sent-back inspection, the form's answers
    /// replacing the stored ones; `submit` also sends it for review again, as a new step in the
    /// same change (the history before it is kept as it was).
    pub fn edit_inspection(&mut self, id: RecordId, draft: InspectionDraft, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Inspector)?;
        self.editable_record(id, RecordKind::Inspection)?;
        let submit = draft.submit;
        let (body, typed) = inspection_body(draft)?;
        self.update_content(id, body, typed.into_errors(), submit.then_some((actor, Status::Submitted)), now)
    }

    /// A record's new content, and a workflow step, in one change: refused whole if either is,
    /// with every problem at once (`typed`: those found reading the form's text).
    fn update_content(
        &mut self,
        id: RecordId,
        body: Body,
        typed: FieldErrors,
        step: Option<(Actor, Status)>,
        now: UnixMillis,
    ) -> ApiResult<Saved> {
        let refs = self.store.reference().clone();
        self.store.update(id, now, |r| {
            r.body = body;
            let ward = r.ward.take();
            crate::geo::place(&refs, r);
            if r.ward.is_none() {
                r.ward = ward;
            }
            check_draft(r, &refs, step.map(|(_, to)| to), typed)?;
            match step {
                // A correction of a refused record that was already submitted stays submitted.
                Some((_, to)) if r.workflow().status == to => Ok(()),
                Some((actor, to)) => workflow::step(r, &refs, TransitionId::new(), actor, to, now, None),
                None => Ok(()),
            }
        })?;
        self.saved(id)
    }

    /// Saves an asset survey and sends it for approval.
    pub fn save_asset(&mut self, draft: AssetDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Surveyor)?;
        // A survey has a place: its ward is the place's (one outside every ward is the server's to
        // refuse, with its reason), never a choice.
        let (mut record, _) = self.new_record_in(now, asset_body(draft)?, None)?;
        check_draft(&record, self.store.reference(), Some(Status::PendingForApproval), FieldErrors::default())?;
        self.step_unsaved(&mut record, Role::Surveyor, Status::PendingForApproval, now)?;
        self.store.create(&record, now)?;
        self.saved(record.id)
    }

    /// The surveyor's corrections to a survey sent back for modification: saved, and sent for
    /// approval again in the same change.
    pub fn edit_asset(&mut self, id: RecordId, draft: AssetDraft, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Surveyor)?;
        self.editable_record(id, RecordKind::AssetSurvey)?;
        self.update_content(
            id,
            asset_body(draft)?,
            FieldErrors::default(),
            Some((actor, Status::PendingForApproval)),
            now,
        )
    }

    /// Issues a receipt: numbered, signed and saved on the device in one transaction.
    pub fn collect_fee(&mut self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<ReceiptIssued> {
        let record = self.receipt_record(draft, now)?;
        let issued = self.store.issue_receipt(record, now)?;
        let Body::Receipt(receipt) = &issued.body else { unreachable!("issue_receipt returns the receipt") };
        let saved = self.saved(issued.id)?;
        Ok(ReceiptIssued {
            id: saved.id,
            badge: saved.badge,
            warnings: saved.warnings,
            receipt_number: receipt.receipt_number.clone(),
            amount_paise: receipt.total().0,
        })
    }

    /// The checks `collect_fee` makes, without issuing anything: for the preview the collector
    /// shows the payer before the receipt is numbered. The amount in paise, or every problem.
    pub fn check_receipt(&self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<i64> {
        let record = self.receipt_record(draft, now)?;
        match &record.body {
            Body::Receipt(receipt) => Ok(receipt.total().0),
            _ => unreachable!("receipt_record builds a receipt"),
        }
    }

    /// A receipt not yet numbered from what the collector typed; every problem at once.
    fn receipt_record(&self, draft: ReceiptDraft, now: UnixMillis) -> ApiResult<Record> {
        self.actor(Role::Collector)?;
        let (amount, mut typed) = match self.read_amount(&draft.amount) {
            Ok(paise) => (Paise(paise), FieldErrors::default()),
            Err(e) if !e.fields.is_empty() => (Paise(0), FieldErrors(e.fields)),
            Err(e) => return Err(e),
        };
        let text = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let body = Body::Receipt(Receipt {
            receipt_number: String::new(),
            receipt_date: now,
            business_service: draft.fee_head.clone(),
            bill_id: None,
            lines: vec![AmountLine { tax_head: draft.fee_head, amount }],
            payment_mode: draft.payment_mode,
            instrument_number: text(draft.instrument_number),
            transaction_number: None,
            payer_name: draft.payer_name.trim().to_string(),
            mobile_number: text(draft.mobile_number),
            location: None,
            signature: None,
            key_id: None,
        });
        let (record, ward) = self.new_record_in(now, body, draft.ward.as_deref())?;
        typed.0.extend(ward.0);
        check_draft(&record, self.store.reference(), None, typed).map_err(|e| {
            as_draft(
                e.into(),
                &[("business_service", "fee_head"), ("lines.0.tax_head", "fee_head"), ("lines.0.amount", "amount")],
            )
        })?;
        Ok(record)
    }

    /// An amount as the collector typed it (`1,250`, ` 150 `, `१५०`), in paise, for the receipt
    /// preview; the same reading `collect_fee` makes. Errors name `amount`.
    pub fn read_amount(&self, text: &str) -> ApiResult<i64> {
        if text.trim().is_empty() {
            return Err(ApiError::field("amount", "required", "type the amount received"));
        }
        let amount = Paise::parse_rupees("amount", text)?;
        if amount.0 <= 0 {
            return Err(ApiError::field("amount", "zero", "must be more than zero"));
        }
        Ok(amount.0)
    }

    /// Registers a desludging application taken in the field.
    pub fn create_fsm_job(&mut self, draft: FsmJobDraft, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Supervisor)?;
        let mut typed = Checker::new();
        let (location, place) = PlaceDraft::read(draft.location)?;
        typed.extend(place);
        let mut size = |field: &str, value: Option<&Typed>| match Typed::number(field, value) {
            Ok(v) => Ok(v),
            Err(e) => FieldErrors::of(e).map(|errors| {
                typed.extend(errors);
                None
            }),
        };
        let (length, width, height) = (
            size("pit_length", draft.pit_length.as_ref())?,
            size("pit_width", draft.pit_width.as_ref())?,
            size("pit_height", draft.pit_height.as_ref())?,
        );
        let id = RecordId::new();
        let request = FieldRequest {
            applicant_name: draft.applicant_name,
            mobile_number: draft.mobile_number,
            locality: draft.locality,
            location,
            pit: PitDetail { length, width, height, ..PitDetail::default() },
            post_pay: draft.post_pay,
        };
        let body = Body::FsmJob(FsmJob::from_field_request(self.store.reference(), id, request));
        let (mut record, ward) = self.new_record_in(now, body, None)?;
        typed.extend(ward);
        record.id = id;
        let renames = [("pit.", "pit_"), ("address.location", "location"), ("address.locality", "locality")];
        check_draft(&record, self.store.reference(), None, typed.into_errors())
            .map_err(|e| as_draft(e.into(), &renames))?;
        self.store.create(&record, now).map_err(|e| as_draft(e.into(), &renames))?;
        self.saved(record.id)
    }

    /// One workflow step chosen from [`RecordView::actions`].
    pub fn step(&mut self, id: RecordId, to: &str, note: Option<String>, now: UnixMillis) -> ApiResult<Saved> {
        let to: Status = to.parse()?;
        let record = self.store.get(id)?;
        let from = record.workflow().status;
        let me = self.me()?;
        let role = me
            .roles
            .iter()
            .copied()
            .find(|role| workflow::allows(&record, from, to, *role))
            .ok_or(Error::InvalidTransition { from, to, role: me.roles.first().copied().unwrap_or(Role::Admin) })?;
        let actor = Actor { user: me.id, role };
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        self.store.transition(id, actor, to, now, note)?;
        self.saved(id)
    }

    /// A supervisor settles a record that needs review (competing steps, a flagged trip) to one
    /// of [`RecordView::settle`], saying why.
    pub fn settle(&mut self, id: RecordId, to: &str, note: Option<String>, now: UnixMillis) -> ApiResult<Saved> {
        let actor = self.actor(Role::Supervisor)?;
        let to: Status = to.parse()?;
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.is_none() {
            return Err(ApiError::field("note", "required", "say what you decided and why"));
        }
        self.store.resolve_review(id, actor, to, now, note)?;
        self.saved(id)
    }

    /// The crew picks up sludge for a job: a new trip, waiting for disposal at the plant.
    pub fn trip_pickup(&mut self, job: RecordId, draft: TripStepDraft, now: UnixMillis) -> ApiResult<Saved> {
        let crew = self.actor(Role::SanitationCrew)?;
        let job_record = self.store.get(job)?;
        let Body::FsmJob(fsm) = &job_record.body else {
            return Err(ApiError::new("not_a_job", format!("{job} is not a desludging job")));
        };
        if !record_forms(&job_record, &[crew.role]).contains(&"trip_pickup") {
            let status = job_record.workflow().status;
            return Err(ApiError::new("not_allowed", format!("the job is {status}, not in progress with a crew")));
        }
        let (litres, mut typed) = read_litres(draft.volume_litres.as_ref())?;
        let (location, place) = PlaceDraft::read(draft.location)?;
        typed.0.extend(place.0);
        let pickup = TripStep { at: now, location, volume_litres: litres, photos: draft.photos, geofence: None };
        let body = Body::Trip(Trip::picked_up(self.store.reference(), fsm, &self.me()?.name, pickup));
        // A trip is in its job's ward.
        let (mut record, _) = self.new_record_in(now, body, None)?;
        record.ward = job_record.ward.clone();
        record.assignee = Some(crew.user);
        check_draft(&record, self.store.reference(), Some(Status::WaitingForDisposal), typed)
            .map_err(|e| as_draft(e.into(), &[("pickup.", "")]))?;
        self.step_unsaved(&mut record, Role::SanitationCrew, Status::WaitingForDisposal, now)?;
        self.store.create(&record, now).map_err(|e| as_draft(e.into(), &[("pickup.", "")]))?;
        self.saved(record.id)
    }

    /// The plant's operator records the disposal; its place is checked against the plants'
    /// geofences on the device, and a disposal outside them is kept and flagged.
    pub fn trip_disposal(&mut self, trip: RecordId, draft: TripStepDraft, now: UnixMillis) -> ApiResult<Saved> {
        let operator = self.actor(Role::FstpOperator)?;
        let (litres, mut typed) = read_litres(draft.volume_litres.as_ref())?;
        let (location, place) = PlaceDraft::read(draft.location)?;
        let typed_wrong = !place.0.is_empty();
        typed.0.extend(place.0);
        let step = TripStep { at: now, location, volume_litres: litres, photos: draft.photos, geofence: None };
        let mut after = self.store.get(trip)?;
        if let Body::Trip(t) = &mut after.body {
            let mut c = Checker::new();
            if !typed_wrong {
                crate::domain::fsm::check_disposal(&mut c, &step);
            }
            typed.0.extend(c.into_errors().0);
            t.disposal = Some(step.clone());
        }
        check_draft(&after, self.store.reference(), None, typed)
            .map_err(|e| as_draft(e.into(), &[("disposal.", "")]))?;
        self.store.record_disposal(trip, step, now).map_err(|e| as_draft(e.into(), &[("disposal.", "")]))?;
        self.store.transition(trip, operator, Status::Disposed, now, None)?;
        self.saved(trip)
    }

    /// The crew at the plant gate: the signed handover of a trip, to show the operator.
    pub fn handover_code(&mut self, trip: RecordId, now: UnixMillis) -> ApiResult<CodeView> {
        self.actor(Role::SanitationCrew)?;
        code_view(self.store.handover_code(trip, now)?)
    }

    /// A code read from a photo of the other phone's screen (the camera, or a picked image):
    /// the QR code's text, for [`Field::check_handover`] or [`Field::record_countersigned`].
    /// A photo with no readable code is refused on the `custody` field (`no_code_found`,
    /// `not_an_image`), never a crash.
    pub fn read_code(image: &[u8]) -> ApiResult<String> {
        crate::scan::read_qr(image).map_err(|e| ApiError::field("custody", e.code(), &e.to_string()))
    }

    /// The plant's operator reads the crew's code (scanned or typed) and sees what it hands over,
    /// checked on this phone: a code with a character changed, from another town, or signed by
    /// no crew device this phone knows is refused on the spot (`custody` field).
    pub fn check_handover(&mut self, code: &str) -> ApiResult<TripHandoverView> {
        self.actor(Role::FstpOperator)?;
        let read = self.store.check_handover(code)?;
        Ok(TripHandoverView {
            code: code.trim().to_string(),
            trip: read.trip,
            vehicle: read.handover.vehicle,
            litres: read.handover.litres,
            at: read.handover.at,
        })
    }

    /// The plant's operator countersigns the crew's code for the litres received, with no
    /// network and whether or not the trip is on this device; returns the code to show back.
    pub fn countersign(
        &mut self,
        code: &str,
        received_litres: Option<Typed>,
        location: Option<GeoPoint>,
        now: UnixMillis,
    ) -> ApiResult<CodeView> {
        self.actor(Role::FstpOperator)?;
        let litres = Typed::litres("volume_litres", received_litres.as_ref())?
            .ok_or_else(|| ApiError::field("volume_litres", "required", "the litres received are needed"))?;
        let fix = location.ok_or_else(|| ApiError::field("location", "required", "a countersign needs a GPS fix"))?;
        code_view(self.store.countersign_handover(code, litres, &fix, now)?)
    }

    /// The crew reads the operator's code back: the countersignature is checked on this phone
    /// and the disposal it countersigns is recorded; the trip is then `DISPOSED`.
    pub fn record_countersigned(
        &mut self,
        trip: RecordId,
        code: &str,
        location: Option<GeoPoint>,
        now: UnixMillis,
    ) -> ApiResult<Saved> {
        let crew = self.actor(Role::SanitationCrew)?;
        let fix = location.ok_or_else(|| ApiError::field("location", "required", "a disposal needs a GPS fix"))?;
        self.store.record_countersigned(trip, code, fix, vec![], Some(crew), now)?;
        self.saved(trip)
    }

    fn conflict_views(&self, record: Option<RecordId>) -> ApiResult<Vec<ConflictView>> {
        let mut titles: BTreeMap<RecordId, String> = BTreeMap::new();
        self.store
            .conflicts(record)?
            .into_iter()
            .map(|c| {
                let title = match titles.get(&c.record) {
                    Some(t) => t.clone(),
                    None => {
                        let t = self.store.row(c.record)?.title;
                        titles.insert(c.record, t.clone());
                        t
                    }
                };
                Ok(ConflictView {
                    record: c.record,
                    title,
                    field: c.conflict.field,
                    values: c.conflict.values.iter().map(|v| v.to_string()).collect(),
                })
            })
            .collect()
    }

    /// What waits for the signed-in supervisor, as her queue: records that need review first
    /// (competing steps, a flagged trip or handover), then records waiting for her decision
    /// (submitted inspections, surveys pending for approval, requested reversals, handovers),
    /// oldest work first within each; each with the steps she may take from the list.
    fn queue(&self) -> ApiResult<Vec<QueueItem>> {
        self.actor(Role::Supervisor)?;
        let mut rows =
            self.store.list(&Query { needs_attention: true, limit: Some(LIST_LIMIT), ..Query::default() })?;
        for kind in RecordKind::ALL {
            let statuses: Vec<Status> =
                workflow::statuses(*kind).into_iter().filter(|s| workflow::awaits_approval(*kind, *s)).collect();
            if !statuses.is_empty() {
                rows.extend(self.store.list(&Query {
                    kind: Some(*kind),
                    statuses,
                    limit: Some(LIST_LIMIT),
                    ..Query::default()
                })?);
            }
        }
        let mut seen = std::collections::HashSet::new();
        rows.retain(|r| seen.insert(r.id));
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let record = match self.store.get(row.id) {
                Ok(record) => record,
                Err(Error::DamagedRecord { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            let attention = row.needs_review || row.conflicts > 0;
            let item = QueueItem {
                actions: self.actions(&record)?,
                settle: self.settle_options(&record),
                row: self.row_view_at(row, Some(&record))?,
            };
            items.push((!attention, item));
        }
        items.sort_by(|(a, x), (b, y)| a.cmp(b).then(x.row.work_at.cmp(&y.row.work_at)).then(x.row.id.cmp(&y.row.id)));
        Ok(items.into_iter().map(|(_, item)| item).collect())
    }

    /// The supervisor's review screen: her queue ([`ReviewList::waiting`]), records the server
    /// refused or a supervisor rejected, and fields two people edited differently.
    pub fn review_list(&self) -> ApiResult<ReviewList> {
        let waiting = self.queue()?;
        let mut rejected: Vec<RowView> = self
            .store
            .list(&Query { limit: Some(10 * LIST_LIMIT), ..Query::default() })?
            .into_iter()
            .filter(|r| r.sync_state == SyncState::Rejected || r.status == Status::Rejected)
            .take(LIST_LIMIT as usize)
            .map(|r| self.row_view(r))
            .collect::<ApiResult<_>>()?;
        rejected.retain(|r| !waiting.iter().any(|n| n.row.id == r.id));
        Ok(ReviewList { waiting, rejected, conflicts: self.conflict_views(None)? })
    }

    /// A photo's thumbnail as a `data:` URL, when its bytes are on this device (a photo taken
    /// on another device comes from the server: `src-tauri` asks for it, [`thumbnail_url`]).
    pub fn photo_thumbnail(&self, sha256: &str) -> ApiResult<PhotoThumb> {
        match self.store.photo_thumbnail(sha256) {
            Ok(jpeg) => Ok(Some(thumbnail_url(&jpeg))),
            Err(Error::PhotoNotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps one of a conflicted field's values (JSON text, as listed).
    pub fn resolve_conflict(&mut self, id: RecordId, field: &str, value: &str, now: UnixMillis) -> ApiResult<Saved> {
        self.actor(Role::Supervisor)?;
        let value: serde_json::Value =
            serde_json::from_str(value).map_err(|e| ApiError::new("bad_value", e.to_string()))?;
        self.store.resolve_conflict(id, field, &value, now)?;
        self.saved(id)
    }

    /// Records with changes the server has not confirmed, and photos not yet uploaded.
    pub fn waiting(&self) -> ApiResult<(u64, u64)> {
        Ok((self.store.waiting_count()?, self.store.photos_waiting(None)?))
    }

    /// Keeps a photo on the device by its SHA-256; its upload copy waits for the photo channel.
    pub fn add_photo(&mut self, bytes: &[u8], now: UnixMillis) -> ApiResult<crate::domain::PhotoRef> {
        Ok(self.store.add_photo(bytes, now)?)
    }

    /// Keeps a photo already read ([`crate::photo::take`], the slow part, done without the
    /// session): what [`Field::add_photo`] does after reading it.
    pub fn keep_photo(
        &mut self,
        photo: crate::photo::TakenPhoto,
        now: UnixMillis,
    ) -> ApiResult<crate::domain::PhotoRef> {
        Ok(self.store.keep_photo(photo, now)?)
    }
}

/// The sync server's address as typed on the enroll screen, checked before any connection is
/// tried, so a malformed address says what is wrong with it rather than "cannot reach": it needs
/// `http://` or `https://` (`address_scheme`), a host name or IP address (`address_host`), and a
/// port that is a number up to 65535 (`address_port`). Returned without a trailing `/`.
pub fn server_address(text: &str) -> ApiResult<String> {
    let text = text.trim();
    let bad = |code: &str, message: &str| ApiError::field("server", code, message);
    if text.is_empty() {
        return Err(bad("required", "is required"));
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(bad("address_scheme", "start the address with http:// or https://"));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(bad("address_scheme", "start the address with http:// or https://"));
    }
    let rest = rest.trim_end_matches('/');
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.strip_prefix('[').and_then(|a| a.split_once(']')) {
        Some((inside, rest)) => (&authority[..inside.len() + 2], rest.strip_prefix(':')),
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let host_ok = !host.is_empty()
        && (host.starts_with('[') && host.ends_with(']')
            || host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-') && !label.starts_with('-')
            }));
    if !host_ok {
        return Err(bad("address_host", "the server's name or IP address is not valid"));
    }
    if let Some(port) = port
        && (port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || port.parse::<u16>().map_or(true, |p| p == 0))
    {
        return Err(bad("address_port", "the port after ':' must be a number from 1 to 65535"));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// The enroll screen's fields checked in one round before any connection: the server address
/// ([`server_address`]) and the one-time code (`required`). The address to use, or every problem.
pub fn check_enroll(server: &str, code: &str) -> ApiResult<String> {
    let address = server_address(server);
    let mut fields = address.as_ref().err().map(|e| e.fields.clone()).unwrap_or_default();
    if code.trim().is_empty() {
        fields.extend(ApiError::field("code", "required", "is required").fields);
    }
    match address {
        Ok(address) if fields.is_empty() => Ok(address),
        _ => Err(Error::Invalid(FieldErrors(fields)).into()),
    }
}

/// What went wrong enrolling at a well-formed address, said of the address field: no server of
/// that name (`unknown_host`), nothing answering there (`refused`), no answer in time
/// (`timeout`), an answer that is not a Wardbook server's (`bad_server`), a wrong code
/// (`bad_code`, on the code field), else `unreachable`.
pub fn enroll_error(e: Error) -> ApiError {
    let message = e.to_string();
    let field = |name: &str, code: &str| ApiError::field(name, code, &message);
    match &e {
        Error::Offline(reason) => {
            let reason = reason.to_ascii_lowercase();
            if reason.contains("dns") || reason.contains("lookup") || reason.contains("name or service not known") {
                field("server", "unknown_host")
            } else if reason.contains("refused") {
                field("server", "refused")
            } else if reason.contains("timed out") || reason.contains("timeout") {
                field("server", "timeout")
            } else {
                field("server", "unreachable")
            }
        }
        Error::Unauthorized { .. } if e.code() == "bad_code" => field("code", "bad_code"),
        Error::Server { status, code, .. }
            if *status == 404 || *status == 405 || code == "bad_response" || code == "unknown" =>
        {
            field("server", "bad_server")
        }
        _ => e.into(),
    }
}

/// Litres as typed: the value read (none when nothing was typed: the trip step's own rule says
/// they are required), or the problem with it (to report with the form's others).
fn read_litres(value: Option<&Typed>) -> ApiResult<(Option<f64>, FieldErrors)> {
    match Typed::litres("volume_litres", value) {
        Ok(litres) => Ok((litres, FieldErrors::default())),
        Err(e) => Ok((None, FieldErrors::of(e)?)),
    }
}

/// A thumbnail's JPEG bytes as the `data:` URL an `<img>` shows.
pub fn thumbnail_url(jpeg: &[u8]) -> String {
    use base64::Engine;
    format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(jpeg))
}

/// An inspection as its form describes it.
fn inspection_body(draft: InspectionDraft) -> ApiResult<(Body, Checker)> {
    let mut typed = Checker::new();
    let (location, place) = PlaceDraft::read(draft.location)?;
    typed.extend(place);
    let mut answers = draft.answers;
    for (id, value) in &draft.numbers {
        let field = format!("answers.{id}");
        match Typed::number(&field, Some(value)) {
            Ok(Some(n)) => {
                answers.insert(id.clone(), Answer::Number(n));
            }
            Ok(None) => {
                answers.remove(id);
            }
            Err(e) => typed.extend(FieldErrors::of(e)?),
        }
    }
    let body = Body::Inspection(Inspection {
        template_code: draft.template_code,
        template_version: draft.template_version,
        subject: draft.subject,
        address: Address { location: location.clone(), ..Address::default() },
        location,
        answers,
        findings: vec![],
        photos: draft.photos,
    });
    Ok((body, typed))
}

/// An asset survey as its form describes it; its type, condition and place are required, and
/// every one missing (or a place typed wrong, by box) is refused at once.
fn asset_body(draft: AssetDraft) -> ApiResult<Body> {
    let (location, place) = PlaceDraft::read(draft.location)?;
    let (Some(asset_type), Some(condition), Some(location), true) =
        (draft.asset_type, draft.condition, location.clone(), place.0.is_empty())
    else {
        let mut c = Checker::new();
        AssetSurvey::check_fields(&mut c, draft.asset_type, &draft.asset_name, draft.condition, location.as_ref());
        let mut errors = c.into_errors();
        if !place.0.is_empty() {
            // What was typed is wrong, not missing: say which box.
            errors.0.retain(|e| e.field != "location");
            errors.0.extend(place.0);
        }
        return Err(Error::Invalid(errors).into());
    };
    Ok(Body::AssetSurvey(AssetSurvey {
        asset_type,
        asset_name: draft.asset_name,
        attributes: BTreeMap::new(),
        location: location.clone(),
        condition,
        address: Address { location: Some(location), ..Address::default() },
        photos: draft.photos,
    }))
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

/// Where a record was made, for the map.
fn location_of(record: &Record) -> Option<GeoPoint> {
    match &record.body {
        Body::Inspection(i) => i.location.clone().or_else(|| i.address.location.clone()),
        Body::AssetSurvey(a) => Some(a.location.clone()),
        Body::Receipt(r) => r.location.clone(),
        Body::FsmJob(j) => j.address.location.clone(),
        Body::Trip(t) => t.disposal.as_ref().or(t.pickup.as_ref()).and_then(|s| s.location.clone()),
        Body::Reversal(_) | Body::Handover(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> String {
        match server_address(text) {
            Ok(ok) => format!("ok {ok}"),
            Err(e) => format!("{} {}", e.fields[0].field, e.fields[0].code),
        }
    }

    #[test]
    fn a_malformed_server_address_says_what_is_wrong_with_it() {
        assert_eq!(code(" http://192.168.1.10:8480/ "), "ok http://192.168.1.10:8480");
        assert_eq!(code("https://wardbook.pb.gov.in"), "ok https://wardbook.pb.gov.in");
        assert_eq!(code("http://[::1]:8480"), "ok http://[::1]:8480");
        assert_eq!(code(""), "server required");
        assert_eq!(code("192.168.1.10:8480"), "server address_scheme");
        assert_eq!(code("ftp://wardbook.in"), "server address_scheme");
        assert_eq!(code("http://"), "server address_host");
        assert_eq!(code("http://ward book.in"), "server address_host");
        assert_eq!(code("http://wardbook..in"), "server address_host");
        assert_eq!(code("http://192.168.1.10:84a0"), "server address_port");
        assert_eq!(code("http://192.168.1.10:70000"), "server address_port");
        assert_eq!(code("http://192.168.1.10:"), "server address_port");
    }

    #[test]
    fn the_enroll_form_is_checked_in_one_round() {
        let e = check_enroll("wardbook.in", " ").unwrap_err();
        let fields: Vec<_> = e.fields.iter().map(|f| (f.field.as_str(), f.code.as_str())).collect();
        assert_eq!(fields, [("server", "address_scheme"), ("code", "required")]);
        assert_eq!(check_enroll("http://10.0.0.2:8480/", "123456").unwrap(), "http://10.0.0.2:8480");
    }

    #[test]
    fn a_failed_enrollment_names_the_field_and_the_cause() {
        let of = |e: Error| {
            let a = enroll_error(e);
            format!("{} {}", a.fields[0].field, a.fields[0].code)
        };
        let offline = |m: &str| Error::Offline(m.into());
        assert_eq!(
            of(offline(
                "error sending request: client error (Connect): dns error: failed to lookup address information"
            )),
            "server unknown_host"
        );
        assert_eq!(
            of(offline("error sending request: tcp connect error: Connection refused (os error 111)")),
            "server refused"
        );
        assert_eq!(of(offline("error sending request: operation timed out")), "server timeout");
        assert_eq!(
            of(Error::Server { status: 404, code: "unknown".into(), message: "<html>".into() }),
            "server bad_server"
        );
        assert_eq!(
            of(Error::Unauthorized { code: "invalid_enrollment_code".into(), message: "no".into() }),
            "code bad_code"
        );
    }
}
