//! The lists each figure of Today links to: records by kind, status, ward, review, flag and
//! missing photo; a day's receipts by payment mode; devices by how long they have been quiet.
//! Filters come from the query string and are checked: a bad value is a clear `400`, a ward
//! outside the viewer's scope a `404` (no probing), and every row passes the viewer's scope.

use std::collections::HashMap;

use wardbook::domain::access::Scope;
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::{RecordKind, Status};

use super::today::{self, DeviceRow, LedgerReceipt, in_review};
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// The most rows a list shows.
pub const LIMIT: usize = 500;

fn bad(what: &str, value: &str, expected: &str) -> AppError {
    AppError::BadRequest(format!("{what} {value:?} is not {expected}"))
}

fn nonempty<'a>(query: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    query.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn yes(query: &HashMap<String, String>, key: &str) -> Result<bool, AppError> {
    match nonempty(query, key) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(other) => Err(bad(key, other, "1 or 0")),
    }
}

/// What a records list is filtered by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordFilter {
    pub kind: Option<RecordKind>,
    pub status: Option<Status>,
    pub ward: Option<String>,
    /// Only records waiting for a supervisor ([`in_review`]).
    pub review: bool,
    /// Only records the server flagged.
    pub flagged: bool,
    /// Only records naming a photo the server lacks.
    pub photos_missing: bool,
    /// Only records last changed on or after this IST day (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Only records last changed on or before this IST day (`YYYY-MM-DD`).
    pub to: Option<String>,
}

impl RecordFilter {
    pub fn parse(query: &HashMap<String, String>) -> Result<RecordFilter, AppError> {
        let kind = nonempty(query, "kind")
            .map(|k| k.parse::<RecordKind>().map_err(|_| bad("kind", k, "a kind of record (inspection, trip, …)")))
            .transpose()?;
        let status = nonempty(query, "status")
            .map(|s| s.parse::<Status>().map_err(|_| bad("status", s, "a workflow status (SUBMITTED, …)")))
            .transpose()?;
        Ok(RecordFilter {
            kind,
            status,
            ward: nonempty(query, "ward").map(str::to_string),
            review: yes(query, "review")?,
            flagged: yes(query, "flagged")?,
            photos_missing: yes(query, "photos_missing")?,
            from: nonempty(query, "from").map(|d| parse_day("from", d)).transpose()?,
            to: nonempty(query, "to").map(|d| parse_day("to", d)).transpose()?,
        })
    }

    /// The filter as a query string, for links.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = self.kind {
            parts.push(format!("kind={}", k.as_str()));
        }
        if let Some(s) = self.status {
            parts.push(format!("status={}", s.as_str()));
        }
        if let Some(w) = &self.ward {
            parts.push(format!("ward={w}"));
        }
        for (on, key) in [(self.review, "review"), (self.flagged, "flagged"), (self.photos_missing, "photos_missing")] {
            if on {
                parts.push(format!("{key}=1"));
            }
        }
        for (day, key) in [(&self.from, "from"), (&self.to, "to")] {
            if let Some(d) = day {
                parts.push(format!("{key}={d}"));
            }
        }
        parts.join("&")
    }
}

/// Refuses a ward the town does not have (`400`) or the viewer does not cover (`404`).
pub fn check_ward(sql: &mut dyn Sql, scope: &Scope, ward: Option<&str>) -> Result<(), AppError> {
    let Some(ward) = ward else { return Ok(()) };
    let refs = crate::db::reference(sql, &scope.tenant)?;
    if !refs.wards.iter().any(|w| w.code == ward) {
        return Err(AppError::BadRequest(format!("the town has no ward {ward:?}")));
    }
    if !scope.covers_ward(Some(ward)) {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// One line of a records list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordLine {
    pub id: String,
    pub kind: RecordKind,
    pub ward: Option<String>,
    pub status: Status,
    pub title: String,
    pub updated_at: i64,
    pub review: bool,
    pub flags: Vec<String>,
    pub photos_missing: usize,
}

/// Where a walk through a records list stopped: the last row's `updated_at` and id (the
/// list's order), to go on after it.
pub type Cursor = (i64, String);

/// A line of a records list with what an export adds: the assignee, the receipt number and,
/// when asked for, the stored document.
#[derive(Clone, Debug)]
pub struct FoundRecord {
    pub line: RecordLine,
    pub assignee: Option<String>,
    pub number: Option<String>,
    pub doc: Option<Vec<u8>>,
}

/// What a records list marks on its lines and may filter by: the server's flags of each
/// record and the photos it names that the server lacks. Read once for a whole walk.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    flagged: HashMap<String, Vec<String>>,
    missing: std::collections::BTreeMap<String, Vec<String>>,
}

impl Marks {
    pub fn load(sql: &mut dyn Sql, scope: &Scope, has_photo: &dyn Fn(&str) -> bool) -> Result<Marks, AppError> {
        let flags =
            sql.rows("SELECT record, code FROM flags WHERE tenant = ?1 ORDER BY record, code", params![&scope.tenant])?;
        let mut flagged: HashMap<String, Vec<String>> = HashMap::new();
        for row in flags {
            flagged.entry(row.text(0)?).or_default().push(row.text(1)?);
        }
        Ok(Marks { flagged, missing: today::missing_photos(sql, scope, has_photo)? })
    }
}

/// The records `scope` sees that match `filter`, newest change first, each given to `visit`:
/// at most `page` rows of the table read, starting after `after`. Returns where to go on, or
/// `None` when the list is done. The records list and the exports both walk it.
#[allow(clippy::too_many_arguments)]
pub fn each_record(
    sql: &mut dyn Sql,
    scope: &Scope,
    filter: &RecordFilter,
    marks: &Marks,
    after: Option<&Cursor>,
    page: usize,
    with_doc: bool,
    visit: &mut dyn FnMut(FoundRecord) -> Result<(), AppError>,
) -> Result<Option<Cursor>, AppError> {
    check_ward(sql, scope, filter.ward.as_deref())?;
    let (flagged, missing) = (&marks.flagged, &marks.missing);
    let from = filter.from.as_deref().map(day_start).transpose()?.unwrap_or(i64::MIN);
    let to = filter.to.as_deref().map(|d| day_start(d).map(|s| s + 86_400_000)).transpose()?.unwrap_or(i64::MAX);
    let (after_at, after_id) = after.cloned().unwrap_or((i64::MAX, String::new()));
    let page = i64::try_from(page).unwrap_or(i64::MAX);
    let doc = if with_doc { "doc" } else { "NULL" };
    let rows = sql.rows(
        &format!(
            "SELECT id, kind, ward, status, title, updated_at, needs_review, conflicts > 0, assignee, number, {doc}
             FROM records
             WHERE tenant = ?1 AND (?2 = '' OR kind = ?2) AND (?3 = '' OR status = ?3) AND (?4 = '' OR ward = ?4)
               AND updated_at >= ?5 AND updated_at < ?6
               AND (updated_at < ?7 OR (updated_at = ?7 AND id > ?8))
             ORDER BY updated_at DESC, id LIMIT ?9"
        ),
        params![
            &scope.tenant,
            filter.kind.map_or("", |k| k.as_str()),
            filter.status.map_or("", |s| s.as_str()),
            filter.ward.as_deref().unwrap_or(""),
            from,
            to,
            after_at,
            after_id,
            page
        ],
    )?;
    let full = rows.len() as i64 == page;
    let mut last = None;
    for row in rows {
        let id = row.text(0)?;
        let updated_at = row.int(5)?;
        last = Some((updated_at, id.clone()));
        let kind: RecordKind = row.text(1)?.parse().map_err(|_| AppError::Internal("a stored kind".into()))?;
        let ward = row.opt_text(2)?;
        if !scope.can_see(kind, ward.as_deref()) {
            continue;
        }
        let status: Status = row.text(3)?.parse().map_err(|_| AppError::Internal("a stored status".into()))?;
        let review = in_review(kind, status, row.bool(6)?, row.bool(7)?);
        let flags = flagged.get(&id).cloned().unwrap_or_default();
        let photos_missing = missing.get(&id).map_or(0, Vec::len);
        if (filter.review && !review)
            || (filter.flagged && flags.is_empty())
            || (filter.photos_missing && photos_missing == 0)
        {
            continue;
        }
        let line =
            RecordLine { id, kind, ward, status, title: row.text(4)?, updated_at, review, flags, photos_missing };
        let doc = if with_doc { Some(row.blob(10)?) } else { None };
        visit(FoundRecord { line, assignee: row.opt_text(8)?, number: row.opt_text(9)?, doc })?;
    }
    Ok(if full { last } else { None })
}

/// The records `scope` sees that match `filter`, newest change first: at most [`LIMIT`], and
/// how many matched in all.
pub fn records(
    sql: &mut dyn Sql,
    scope: &Scope,
    filter: &RecordFilter,
    has_photo: &dyn Fn(&str) -> bool,
) -> Result<(Vec<RecordLine>, usize), AppError> {
    let (mut lines, mut total) = (Vec::new(), 0);
    let marks = Marks::load(sql, scope, has_photo)?;
    each_record(sql, scope, filter, &marks, None, usize::MAX, false, &mut |found| {
        total += 1;
        if lines.len() < LIMIT {
            lines.push(found.line);
        }
        Ok(())
    })?;
    Ok((lines, total))
}

/// What a receipts list is filtered by: a day in India and a payment mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptFilter {
    pub day: String,
    pub mode: Option<PaymentMode>,
}

impl ReceiptFilter {
    /// `day` is `YYYY-MM-DD` (IST), today when absent; `mode` a payment mode (CASH, UPI, …).
    pub fn parse(query: &HashMap<String, String>, now: i64) -> Result<ReceiptFilter, AppError> {
        let day = match nonempty(query, "day") {
            None => today::ist_day(now).1,
            Some(d) => parse_day("day", d)?,
        };
        let mode = nonempty(query, "mode")
            .map(|m| m.parse::<PaymentMode>().map_err(|_| bad("mode", m, "a payment mode (CASH, UPI, CHEQUE, …)")))
            .transpose()?;
        Ok(ReceiptFilter { day, mode })
    }
}

/// `text` as a day `YYYY-MM-DD`, or a clear `400` naming the field `what`.
pub fn parse_day(what: &str, text: &str) -> Result<String, AppError> {
    civil_day(text).map(|_| text.to_string()).ok_or_else(|| bad(what, text, "a date like 2026-12-03"))
}

fn civil_day(text: &str) -> Option<wardbook::calendar::CivilDate> {
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            wardbook::calendar::CivilDate::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

/// The first millisecond of an IST day `YYYY-MM-DD`.
pub fn day_start(day: &str) -> Result<i64, AppError> {
    let civil = civil_day(day).ok_or_else(|| bad("day", day, "a date like 2026-12-03"))?;
    Ok(civil.days_since_epoch() * 86_400_000 - wardbook::calendar::IST_OFFSET_MILLIS)
}

/// The receipts of the filter's day `scope` sees, cancelled ones included (marked).
pub fn receipts(sql: &mut dyn Sql, scope: &Scope, filter: &ReceiptFilter) -> Result<Vec<LedgerReceipt>, AppError> {
    let start = day_start(&filter.day)?;
    let mut list = today::receipts_of_day(sql, scope, start, &filter.day)?;
    list.retain(|r| filter.mode.is_none_or(|m| r.taken.mode == m));
    list.truncate(LIMIT);
    Ok(list)
}

/// The devices `scope` oversees, quiet for more than `quiet_hours` when given, quietest first.
pub fn devices(
    sql: &mut dyn Sql,
    scope: &Scope,
    quiet_hours: Option<u32>,
    now: i64,
) -> Result<Vec<DeviceRow>, AppError> {
    let mut list = today::device_rows(sql, scope)?;
    if let Some(hours) = quiet_hours {
        list.retain(|d| !d.revoked && now - d.last_seen.unwrap_or(d.enrolled_at) > i64::from(hours) * 3_600_000);
    }
    list.sort_by_key(|d| d.last_seen.unwrap_or(d.enrolled_at));
    list.truncate(LIMIT);
    Ok(list)
}

/// `quiet` is a number of hours from 1 to 8760.
pub fn quiet_hours(query: &HashMap<String, String>) -> Result<Option<u32>, AppError> {
    nonempty(query, "quiet")
        .map(|q| match q.parse::<u32>() {
            Ok(h @ 1..=8760) => Ok(h),
            _ => Err(bad("quiet", q, "a number of hours from 1 to 8760")),
        })
        .transpose()
}

/// Names of users, for lists that show who.
pub fn user_names(sql: &mut dyn Sql, tenant: &str) -> Result<HashMap<String, String>, AppError> {
    let rows = sql.rows("SELECT id, name FROM users WHERE tenant = ?1", params![tenant])?;
    rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?))).collect()
}

/// Revokes `device` of the town for a supervisor who oversees its user (`NotFound` for any
/// other device, of this town or another, or a web device of the office).
pub fn revoke_device(sql: &mut dyn Sql, scope: &Scope, device: &str) -> Result<(), AppError> {
    if !today::device_rows(sql, scope)?.iter().any(|d| d.id == device) {
        return Err(AppError::NotFound);
    }
    crate::db::device_revoke(sql, device)
}
