//! The review queue and a supervisor's decisions on it.
//!
//! The queue is every record the viewer sees that waits for a supervisor (competing steps,
//! field conflicts, a step that needs approval) or that the server flagged (custody, geo),
//! with each conflicted field's every value. A decision is never written into the server's
//! tables directly: it is a workflow step (or a conflict settled) written as an Automerge
//! change by the login's own web actor, signed with its web device's key, and taken in by
//! [`crate::ingest::ingest`] with the same checks as any device's change. Devices receive it
//! at their next sync, and the record's status is still derived from its transitions.

use std::collections::{HashMap, HashSet};

use automerge::AutoCommit;
use base64::Engine;
use wardbook::document::{FieldConflict, RecordDoc, field_conflicts};
use wardbook::domain::access::Scope;
use wardbook::domain::workflow::{self, Actor};
use wardbook::domain::{Record, RecordKind, Role, Status};
use wardbook::ids::{DeviceId, RecordId, TransitionId, UserId};
use wardbook::ledger::DeviceKey;
use wardbook::sync::wire::{Outcome, RecordBytes};

use super::auth::{Holder, OfficeAuth, OfficeRole};
use super::lists::{self, RecordFilter, RecordLine};
use crate::db::DeviceAuth;
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// What the queue is filtered by, beyond [`RecordFilter`]'s kind and ward.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewFilter {
    pub kind: Option<RecordKind>,
    pub ward: Option<String>,
    /// Only records a device of this user wrote to.
    pub user: Option<UserId>,
    /// Only records last changed on or after / before the end of these IST days.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Only records carrying this flag code.
    pub flag: Option<String>,
}

impl ReviewFilter {
    pub fn parse(query: &HashMap<String, String>) -> Result<ReviewFilter, AppError> {
        let base = RecordFilter::parse(query)?;
        let text = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let user = text("user")
            .map(|u| u.parse::<UserId>().map_err(|_| AppError::BadRequest(format!("user {u:?} is not a user id"))))
            .transpose()?;
        let day = |k: &str| text(k).map(|d| lists::parse_day(k, d)).transpose();
        let flag = text("flag").map(str::to_string);
        if let Some(f) = &flag
            && !f.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return Err(AppError::BadRequest(format!("flag {f:?} is not a flag code (geo_outside_fence, …)")));
        }
        Ok(ReviewFilter { kind: base.kind, ward: base.ward, user, from: day("from")?, to: day("to")?, flag })
    }

    /// The filter as a query string, for links back to the same queue.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = self.kind {
            parts.push(format!("kind={}", k.as_str()));
        }
        for (key, value) in [
            ("ward", self.ward.clone()),
            ("user", self.user.map(|u| u.to_string())),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("flag", self.flag.clone()),
        ] {
            if let Some(v) = value {
                parts.push(format!("{key}={v}"));
            }
        }
        parts.join("&")
    }
}

/// One item of the queue: the record's line and its conflicted fields with every value.
#[derive(Clone, Debug)]
pub struct ReviewItem {
    pub line: RecordLine,
    pub conflicts: Vec<FieldConflict>,
}

/// The queue `scope` sees under `filter`: at most [`lists::LIMIT`] items, and how many in all.
pub fn queue(
    sql: &mut dyn Sql,
    scope: &Scope,
    filter: &ReviewFilter,
    has_photo: &dyn Fn(&str) -> bool,
) -> Result<(Vec<ReviewItem>, usize), AppError> {
    let base = RecordFilter { kind: filter.kind, ward: filter.ward.clone(), ..Default::default() };
    let (lines, _) = lists::records(sql, scope, &base, has_photo)?;
    let written_by: Option<HashSet<String>> = match filter.user {
        Some(user) => Some(
            sql.rows(
                "SELECT DISTINCT c.record FROM changes c JOIN devices d ON d.id = c.device
                 WHERE c.tenant = ?1 AND d.tenant = ?1 AND d.user_id = ?2",
                params![&scope.tenant, user.to_string()],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?,
        ),
        None => None,
    };
    let start = filter.from.as_deref().map(lists::day_start).transpose()?;
    let end = filter.to.as_deref().map(lists::day_start).transpose()?.map(|s| s + 86_400_000);
    let mut items = Vec::new();
    let mut total = 0;
    for line in lines {
        let waits = line.review || !line.flags.is_empty();
        if !waits
            || written_by.as_ref().is_some_and(|w| !w.contains(&line.id))
            || start.is_some_and(|s| line.updated_at < s)
            || end.is_some_and(|e| line.updated_at >= e)
            || filter.flag.as_ref().is_some_and(|f| !line.flags.contains(f))
        {
            continue;
        }
        total += 1;
        if items.len() < lists::LIMIT {
            let conflicts = if line.review { conflicts_of(sql, &scope.tenant, &line.id)? } else { vec![] };
            items.push(ReviewItem { line, conflicts });
        }
    }
    Ok((items, total))
}

/// Whether the queue's filter asks for rejected changes only (`flag=rejected`).
pub const REJECTED: &str = "rejected";

/// A change the server rejected, as the queue shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub record: String,
    pub device: String,
    pub device_name: String,
    pub user: String,
    /// The stored record's kind and ward, when the server holds the record.
    pub kind: Option<RecordKind>,
    pub ward: Option<String>,
    pub code: String,
    pub reason: String,
    pub rejected_at: i64,
}

/// The rejected changes `scope` sees under `filter`, newest first: at most [`lists::LIMIT`],
/// and how many in all. A viewer sees a rejection of a device whose user they oversee
/// ([`super::today::oversees`]) or about a stored record they see; a ward filter matches the
/// stored record's ward, else (a record the server does not hold) the user's wards.
pub fn rejections(
    sql: &mut dyn Sql,
    scope: &Scope,
    filter: &ReviewFilter,
) -> Result<(Vec<Rejection>, usize), AppError> {
    if filter.flag.as_deref().is_some_and(|f| f != REJECTED) {
        return Ok((vec![], 0));
    }
    let start = filter.from.as_deref().map(lists::day_start).transpose()?.unwrap_or(i64::MIN);
    let end = filter.to.as_deref().map(lists::day_start).transpose()?.map_or(i64::MAX, |s| s + 86_400_000);
    let rows = sql.rows(
        "SELECT j.record, j.device, d.name, j.user_id, u.wards, j.kind, j.ward, j.code, j.reason, j.rejected_at
         FROM rejections j LEFT JOIN devices d ON d.id = j.device
         LEFT JOIN users u ON u.tenant = j.tenant AND u.id = j.user_id
         WHERE j.tenant = ?1 AND j.rejected_at >= ?2 AND j.rejected_at < ?3 ORDER BY j.rejected_at DESC, j.record",
        params![&scope.tenant, start, end],
    )?;
    let mut out = Vec::new();
    let mut total = 0;
    for row in rows {
        let user = row.text(3)?;
        let wards: Vec<String> = match row.opt_text(4)? {
            Some(w) => serde_json::from_str(&w).map_err(|e| AppError::Internal(format!("stored wards: {e}")))?,
            None => vec![],
        };
        let kind = row
            .opt_text(5)?
            .map(|k| k.parse::<RecordKind>().map_err(|_| AppError::Internal(format!("stored kind {k:?}"))))
            .transpose()?;
        let ward = row.opt_text(6)?;
        let sees_record = kind.is_some_and(|k| scope.can_see(k, ward.as_deref()));
        let oversees_user = super::today::oversees(scope, &wards);
        if !(sees_record || oversees_user)
            || filter.kind.is_some_and(|k| kind != Some(k))
            || filter.user.is_some_and(|u| u.to_string() != user)
        {
            continue;
        }
        if let Some(w) = &filter.ward {
            let matches = match (&kind, &ward) {
                (Some(_), Some(stored)) => stored == w,
                (Some(_), None) => false,
                (None, _) => wards.iter().any(|mine| mine == w),
            };
            if !matches {
                continue;
            }
        }
        total += 1;
        if out.len() < lists::LIMIT {
            out.push(Rejection {
                record: row.text(0)?,
                device: row.text(1)?,
                device_name: row.opt_text(2)?.unwrap_or_default(),
                user,
                kind,
                ward,
                code: row.text(7)?,
                reason: row.text(8)?,
                rejected_at: row.int(9)?,
            });
        }
    }
    Ok((out, total))
}

/// The stored document of a record, or `NotFound`.
fn stored_doc(sql: &mut dyn Sql, tenant: &str, record: &str) -> Result<Vec<u8>, AppError> {
    sql.row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, record])?
        .ok_or(AppError::NotFound)?
        .blob(0)
}

/// Every field of a stored record that holds more than one value.
pub fn conflicts_of(sql: &mut dyn Sql, tenant: &str, record: &str) -> Result<Vec<FieldConflict>, AppError> {
    let bytes = stored_doc(sql, tenant, record)?;
    let doc = AutoCommit::load(&bytes).map_err(|e| AppError::Internal(format!("stored record {record}: {e}")))?;
    Ok(field_conflicts(&doc))
}

/// The login's web device and Automerge actor in a town, and the key that signs its steps.
pub struct WebActor {
    pub auth: DeviceAuth,
    pub actor: Vec<u8>,
    pub key: DeviceKey,
}

/// The web actor of `office` in `town` (made the first time it decides), inside a
/// server-wide transaction. Only a town's supervisor decides: a state official reads only,
/// and a login whose user is no supervisor of the town may not step as one.
pub fn web_actor(sql: &mut dyn Sql, office: &OfficeAuth, town: &str, now: i64) -> Result<WebActor, AppError> {
    let (tenant, user) = match &office.holder {
        Holder::Town { tenant, user } if tenant == town && office.role != OfficeRole::State => (tenant, user),
        Holder::Town { .. } => return Err(AppError::NotFound),
        Holder::State { .. } => return Err(AppError::ReadOnly),
    };
    let row = sql
        .row("SELECT roles, wards FROM users WHERE tenant = ?1 AND id = ?2", params![tenant, user.to_string()])?
        .ok_or(AppError::NotFound)?;
    let roles: Vec<Role> = serde_json::from_str(&row.text(0)?).map_err(|e| AppError::Internal(e.to_string()))?;
    let wards = serde_json::from_str(&row.text(1)?).map_err(|e| AppError::Internal(e.to_string()))?;
    if !roles.contains(&Role::Supervisor) {
        return Err(AppError::ReadOnly);
    }
    let found = sql.row(
        "SELECT device, actor, seed FROM office_actors WHERE login = ?1 AND tenant = ?2 AND user_id = ?3",
        params![&office.login, tenant, user.to_string()],
    )?;
    let (device, actor, seed) = match found {
        Some(r) => (r.text(0)?, r.blob(1)?, r.blob(2)?),
        None => {
            let mut seed = [0u8; 32];
            let mut actor = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut actor);
            let public = DeviceKey::from_seed(seed).public_key();
            let device = DeviceId::new().to_string();
            sql.exec(
                "INSERT INTO devices (id, tenant, user_id, name, created_at, enrolled_at, public_key, key_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)",
                params![
                    &device,
                    tenant,
                    user.to_string(),
                    format!("office · {}", office.login),
                    now,
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.to_bytes()),
                    public.key_id()
                ],
            )?;
            sql.exec(
                "INSERT INTO office_actors (login, tenant, user_id, device, actor, seed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![&office.login, tenant, user.to_string(), &device, actor.to_vec(), seed.to_vec()],
            )?;
            (device, actor.to_vec(), seed.to_vec())
        }
    };
    let seed: [u8; 32] = seed.try_into().map_err(|_| AppError::Internal("a stored web actor's seed".into()))?;
    let device = device.parse().map_err(|e: uuid::Error| AppError::Internal(e.to_string()))?;
    let scope = Scope { tenant: tenant.clone(), user: *user, roles, wards };
    Ok(WebActor { auth: DeviceAuth { device, scope }, actor, key: DeviceKey::from_seed(seed) })
}

/// What a supervisor decided about a record.
#[derive(Clone, Debug)]
pub enum Decision {
    /// A workflow step to this status (settling a review when the record is in one).
    Step { to: Status, note: Option<String> },
    /// A conflicted field settled with this value.
    Resolve { field: String, value: serde_json::Value },
}

/// Writes `decision` on `record` as the web actor's change and takes it in through ingest,
/// inside the town's transaction. A change ingest refuses is [`AppError::Refused`] with its
/// code and reason, and nothing is kept.
pub fn decide(
    sql: &mut dyn Sql,
    web: &WebActor,
    viewer: &Scope,
    record: RecordId,
    decision: &Decision,
    now: i64,
) -> Result<Record, AppError> {
    let tenant = &web.auth.scope.tenant;
    let bytes = stored_doc(sql, tenant, &record.to_string())?;
    let refused = |e: wardbook::Error| AppError::Refused { code: "invalid_decision".into(), reason: e.to_string() };
    let mut doc = RecordDoc::load(&web.actor, &bytes, &[]).map_err(refused)?;
    let current = doc.record().map_err(refused)?;
    if !viewer.can_see(current.kind(), current.ward.as_deref()) {
        return Err(AppError::NotFound);
    }
    let heads = doc.heads();
    match decision {
        Decision::Step { to, note } => {
            let refs = crate::db::reference(sql, tenant)?;
            let mut next = current.clone();
            let actor = Actor { user: web.auth.scope.user, role: Role::Supervisor };
            let stepped = if next.needs_attention() {
                workflow::resolve_review(&mut next, TransitionId::new(), actor, *to, now, note.clone())
            } else {
                workflow::step(&mut next, &refs, TransitionId::new(), actor, *to, now, note.clone())
            };
            stepped.map_err(refused)?;
            wardbook::ledger::sign_steps(&web.key, &mut next, &current.transitions);
            doc.update(&next).map_err(refused)?;
        }
        Decision::Resolve { field, value } => {
            if !doc.conflicts().iter().any(|c| &c.field == field) {
                return Err(AppError::BadRequest(format!("the record has no conflict in {field:?}")));
            }
            doc.resolve_conflict(field, value).map_err(refused)?;
        }
    }
    let changes: Vec<RecordBytes> =
        doc.changes_since(&heads).iter().map(|c| RecordBytes { record, bytes: c.raw_bytes().to_vec() }).collect();
    if changes.is_empty() {
        return Err(AppError::BadRequest("the decision changes nothing".into()));
    }
    let refs = crate::db::reference(sql, tenant)?;
    let prepared = crate::ingest::prepare_in(sql, &web.auth.scope.tenant, &changes)?;
    let (answers, _) = crate::ingest::ingest(sql, &web.auth, &refs, &changes, prepared)?;
    for ack in answers.acks {
        match ack {
            Outcome::Stored { .. } | Outcome::Duplicate => {}
            Outcome::Rejected { code, reason } => return Err(AppError::Refused { code, reason }),
            Outcome::Parked => return Err(AppError::Internal("a decision's change was parked".into())),
        }
    }
    doc.record().map_err(refused)
}

/// Decides the same step for several records of one kind, all or none (one transaction).
pub fn decide_all(
    sql: &mut dyn Sql,
    web: &WebActor,
    viewer: &Scope,
    records: &[RecordId],
    to: Status,
    note: Option<String>,
    now: i64,
) -> Result<usize, AppError> {
    if records.is_empty() {
        return Err(AppError::BadRequest("choose at least one record".into()));
    }
    let mut kinds = HashSet::new();
    for id in records {
        let row = sql
            .row("SELECT kind FROM records WHERE tenant = ?1 AND id = ?2", params![&viewer.tenant, id.to_string()])?
            .ok_or(AppError::NotFound)?;
        kinds.insert(row.text(0)?);
    }
    if kinds.len() > 1 {
        return Err(AppError::BadRequest("a bulk decision is for records of one kind".into()));
    }
    let decision = Decision::Step { to, note };
    for id in records {
        decide(sql, web, viewer, *id, &decision, now)?;
    }
    Ok(records.len())
}
