//! Today's figures for one town as one member of the office may see them, from the columns the
//! server already keeps: records (kind, ward, status, review, conflicts, last change), the
//! ledger (receipts as first stored), devices (last seen), flags and the photos records name.
//!
//! Every row passes the viewer's [`Scope`] (`can_see` for records, `covers_ward` for a
//! device's user) before it is counted; nothing here decides who sees what.

use std::collections::{BTreeMap, BTreeSet};

use wardbook::domain::access::Scope;
use wardbook::domain::cash::{DaySummary, Taken};
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::workflow::awaits_approval;
use wardbook::domain::{Body, Paise, RecordKind, Status};
use wardbook::ids::{UserId, WardCode};

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

const HOUR_MS: i64 = 3_600_000;
/// A device's clock may run this far ahead of the server's: a receipt dated today reached the
/// server no earlier than this before today began (the server stores its own time).
const CLOCK_AHEAD_MS: i64 = wardbook::domain::access::MAX_CLOCK_AHEAD_MS;

/// The figures of the Today page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Today {
    /// The day, in India (`2026-12-03`).
    pub day: String,
    /// Receipts that stand today, per payment mode: how many, how much.
    pub by_mode: BTreeMap<PaymentMode, (u32, Paise)>,
    pub receipts: u32,
    pub total: Paise,
    /// Receipts of today an approved reversal cancelled.
    pub cancelled: u32,
    /// What the day's cash receipts say should be handed over, and what handovers counted.
    pub cash_expected: Paise,
    pub cash_handed_over: Paise,
    pub handovers: u32,
    pub reversals_waiting: u32,
    /// Records waiting for a supervisor: in review, with field conflicts, or awaiting a decision.
    pub review: u32,
    /// How long ago the oldest of them last changed (ms).
    pub review_oldest_ms: Option<i64>,
    pub devices_quiet_24h: u32,
    pub devices_quiet_72h: u32,
    /// Photos a record names that the server has not (completely) received.
    pub photos_missing: u32,
    pub trips_waiting: u32,
    /// Trips the server flagged (outside every plant's geofence, edited after closing).
    pub disposals_flagged: u32,
    pub inspections: BTreeMap<Status, u32>,
    /// Changes of the viewer's devices and records the server rejected today.
    pub rejected_today: u32,
}

/// Which records wait for a supervisor: the review queue of the console.
pub fn in_review(kind: RecordKind, status: Status, needs_review: bool, conflicts: bool) -> bool {
    needs_review || conflicts || awaits_approval(kind, status)
}

/// The start of the IST day of `now` (unix ms) and its date.
pub fn ist_day(now: i64) -> (i64, String) {
    let offset = wardbook::calendar::IST_OFFSET_MILLIS;
    let start = (now + offset).div_euclid(86_400_000) * 86_400_000 - offset;
    (start, wardbook::calendar::ist_date(now).to_string())
}

/// Whether the user of a device, working in `wards`, is one the viewer oversees: a whole-town
/// viewer oversees everyone; a ward viewer those who work in one of their wards.
pub fn oversees(scope: &Scope, wards: &[WardCode]) -> bool {
    scope.covers_ward(None) || wards.iter().any(|w| scope.covers_ward(Some(w)))
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, AppError> {
    text.parse().map_err(|_| AppError::Internal(format!("stored {what} {text:?} is unreadable")))
}

/// A receipt as the ledger first stored it, with its record's ward and cancellation.
#[derive(Clone, Debug)]
pub struct LedgerReceipt {
    pub record: String,
    pub ward: Option<String>,
    pub number: String,
    pub payer: String,
    pub taken: Taken,
}

/// The town's receipts dated `day` (IST, starting at `day_start`) that `scope` sees.
pub fn receipts_of_day(
    sql: &mut dyn Sql,
    scope: &Scope,
    day_start: i64,
    day: &str,
) -> Result<Vec<LedgerReceipt>, AppError> {
    let rows = sql.rows(
        "SELECT l.entry, r.ward, r.cancelled, r.id FROM ledger l JOIN records r ON r.tenant = l.tenant AND r.id = l.record
         WHERE l.tenant = ?1 AND l.kind = 'receipt' AND r.updated_at >= ?2 ORDER BY l.n",
        params![&scope.tenant, day_start - CLOCK_AHEAD_MS],
    )?;
    let mut out = Vec::new();
    for row in rows {
        let ward = row.opt_text(1)?;
        if !scope.can_see(RecordKind::Receipt, ward.as_deref()) {
            continue;
        }
        let entry: serde_json::Value = serde_json::from_slice(&row.blob(0)?)
            .map_err(|e| AppError::Internal(format!("a ledger entry is unreadable: {e}")))?;
        let field = |name: &str| entry.get(name).cloned().unwrap_or_default();
        let text = |name: &str| field(name).as_str().map(str::to_string).unwrap_or_default();
        let taken = Taken {
            collector: parse("collector", &text("created_by"))?,
            receipt_date: field("receipt_date").as_i64().unwrap_or_default(),
            mode: parse("payment mode", &text("payment_mode"))?,
            amount: Paise(field("amount_paise").as_i64().unwrap_or_default()),
            cancelled: row.bool(2)?,
        };
        if wardbook::calendar::ist_date(taken.receipt_date).to_string() != day {
            continue;
        }
        out.push(LedgerReceipt {
            record: row.text(3)?,
            ward,
            number: text("receipt_number"),
            payer: text("payer_name"),
            taken,
        });
    }
    Ok(out)
}

/// One group of the town's records: kind, ward, status, in review, with conflicts.
struct Group {
    kind: RecordKind,
    status: Status,
    review: bool,
    count: u32,
    oldest: i64,
}

/// Today's figures of `scope`'s town at `now`; `has_photo` says whether the server holds a
/// photo complete.
pub fn today(sql: &mut dyn Sql, scope: &Scope, now: i64, has_photo: &dyn Fn(&str) -> bool) -> Result<Today, AppError> {
    let (day_start, day) = ist_day(now);
    let mut t = Today { day: day.clone(), ..Today::default() };

    // Receipts: added up per collector as the day-end adds them, then per mode.
    let mut days: BTreeMap<UserId, DaySummary> = BTreeMap::new();
    for r in receipts_of_day(sql, scope, day_start, &day)? {
        days.entry(r.taken.collector).or_insert_with(|| DaySummary::new(r.taken.collector, &day)).add(&r.taken);
    }
    for summary in days.values() {
        t.receipts += summary.receipts - summary.cancelled;
        t.cancelled += summary.cancelled;
        t.total.0 += summary.total.0;
        t.cash_expected.0 += summary.cash().0;
        for (mode, amount) in &summary.by_mode {
            let count = summary.counts.get(mode).copied().unwrap_or_default();
            let entry = t.by_mode.entry(*mode).or_default();
            entry.0 += count;
            entry.1.0 += amount.0;
        }
    }
    t.by_mode.retain(|_, (count, _)| *count > 0);

    // Handovers of today's cash (made today, so received no earlier than a clock's lead).
    let rows = sql.rows(
        "SELECT ward, doc FROM records WHERE tenant = ?1 AND kind = 'handover' AND updated_at >= ?2",
        params![&scope.tenant, day_start - CLOCK_AHEAD_MS],
    )?;
    for row in rows {
        if !scope.can_see(RecordKind::Handover, row.opt_text(0)?.as_deref()) {
            continue;
        }
        let record = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(1)?, &[])
            .and_then(|d| d.record())
            .map_err(|e| AppError::Internal(format!("a stored handover is unreadable: {e}")))?;
        if let Body::Handover(h) = record.body
            && h.day == day
        {
            t.handovers += 1;
            t.cash_handed_over.0 += h.counted_cash.0;
        }
    }

    // The records by kind, ward and status.
    let rows = sql.rows(
        "SELECT kind, ward, status, needs_review, conflicts > 0, COUNT(*), MIN(updated_at) FROM records
         WHERE tenant = ?1 GROUP BY kind, ward, status, needs_review, conflicts > 0",
        params![&scope.tenant],
    )?;
    let mut groups = Vec::new();
    for row in rows {
        let kind: RecordKind = parse("kind", &row.text(0)?)?;
        if !scope.can_see(kind, row.opt_text(1)?.as_deref()) {
            continue;
        }
        let status: Status = parse("status", &row.text(2)?)?;
        groups.push(Group {
            kind,
            status,
            review: in_review(kind, status, row.bool(3)?, row.bool(4)?),
            count: u32::try_from(row.int(5)?).unwrap_or(u32::MAX),
            oldest: row.int(6)?,
        });
    }
    for g in &groups {
        if g.review {
            t.review += g.count;
            t.review_oldest_ms = Some(t.review_oldest_ms.unwrap_or(0).max(now - g.oldest));
        }
        match (g.kind, g.status) {
            (RecordKind::Reversal, Status::Requested) => t.reversals_waiting += g.count,
            (RecordKind::Trip, Status::WaitingForDisposal) => t.trips_waiting += g.count,
            (RecordKind::Inspection, status) => *t.inspections.entry(status).or_default() += g.count,
            _ => {}
        }
    }

    for (_, last) in devices(sql, scope)? {
        let quiet = now - last;
        t.devices_quiet_24h += u32::from(quiet > 24 * HOUR_MS);
        t.devices_quiet_72h += u32::from(quiet > 72 * HOUR_MS);
    }
    t.photos_missing = missing_photos(sql, scope, has_photo)?.values().map(|p| p.len() as u32).sum();
    t.disposals_flagged = flagged_trips(sql, scope)?.len() as u32;
    let rejected = super::review::ReviewFilter {
        from: Some(day.clone()),
        to: Some(day),
        flag: Some(super::review::REJECTED.into()),
        ..Default::default()
    };
    t.rejected_today = u32::try_from(super::review::rejections(sql, scope, &rejected)?.1).unwrap_or(u32::MAX);
    Ok(t)
}

/// The enrolled, unrevoked devices of the users `scope` oversees: id and when last seen (or
/// enrolled, for a device that never synced).
pub fn devices(sql: &mut dyn Sql, scope: &Scope) -> Result<Vec<(String, i64)>, AppError> {
    Ok(device_rows(sql, scope)?
        .into_iter()
        .filter(|d| !d.revoked)
        .map(|d| (d.id, d.last_seen.unwrap_or(d.enrolled_at)))
        .collect())
}

/// A device as the devices list shows it.
#[derive(Clone, Debug)]
pub struct DeviceRow {
    pub id: String,
    pub name: String,
    pub user: String,
    pub last_seen: Option<i64>,
    pub enrolled_at: i64,
    pub revoked: bool,
}

/// The enrolled devices (revoked ones included, marked) of the users `scope` oversees.
pub fn device_rows(sql: &mut dyn Sql, scope: &Scope) -> Result<Vec<DeviceRow>, AppError> {
    let rows = sql.rows(
        "SELECT d.id, d.name, u.name, u.wards, d.last_seen_at, COALESCE(d.enrolled_at, d.created_at),
             d.revoked_at IS NOT NULL
         FROM devices d JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
         WHERE d.tenant = ?1 AND d.token_hash IS NOT NULL ORDER BY d.created_at",
        params![&scope.tenant],
    )?;
    let mut out = Vec::new();
    for row in rows {
        let wards: Vec<WardCode> =
            serde_json::from_str(&row.text(3)?).map_err(|e| AppError::Internal(format!("stored wards: {e}")))?;
        if !oversees(scope, &wards) {
            continue;
        }
        out.push(DeviceRow {
            id: row.text(0)?,
            name: row.opt_text(1)?.unwrap_or_default(),
            user: row.text(2)?,
            last_seen: row.opt_int(4)?,
            enrolled_at: row.int(5)?,
            revoked: row.bool(6)?,
        });
    }
    Ok(out)
}

/// The records `scope` sees that name a photo the server lacks: record id → the photos.
pub fn missing_photos(
    sql: &mut dyn Sql,
    scope: &Scope,
    has_photo: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Vec<String>>, AppError> {
    let rows = sql.rows(
        "SELECT b.record, b.sha256, r.kind, r.ward FROM record_blobs b
         JOIN records r ON r.tenant = b.tenant AND r.id = b.record WHERE b.tenant = ?1 ORDER BY b.record, b.sha256",
        params![&scope.tenant],
    )?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let kind: RecordKind = parse("kind", &row.text(2)?)?;
        let sha = row.text(1)?;
        if scope.can_see(kind, row.opt_text(3)?.as_deref()) && !has_photo(&sha) {
            out.entry(row.text(0)?).or_default().push(sha);
        }
    }
    Ok(out)
}

/// The trips `scope` sees that the server flagged: record id → the flags' codes.
pub fn flagged_trips(sql: &mut dyn Sql, scope: &Scope) -> Result<BTreeMap<String, BTreeSet<String>>, AppError> {
    let rows = sql.rows(
        "SELECT f.record, f.code, r.ward FROM flags f JOIN records r ON r.tenant = f.tenant AND r.id = f.record
         WHERE f.tenant = ?1 AND r.kind = 'trip' ORDER BY f.record",
        params![&scope.tenant],
    )?;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in rows {
        if scope.can_see(RecordKind::Trip, row.opt_text(2)?.as_deref()) {
            out.entry(row.text(0)?).or_default().insert(row.text(1)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_india_s() {
        // 2026-12-02 18:29:59 UTC is 23:59:59 IST; a second later it is the 3rd in India.
        let before = 1_796_236_199_000;
        assert_eq!(ist_day(before).1, "2026-12-02");
        let (start, day) = ist_day(before + 1000);
        assert_eq!((start, day.as_str()), (before + 1000, "2026-12-03"));
    }

    #[test]
    fn a_ward_supervisor_oversees_only_the_staff_of_their_wards() {
        let scope = |wards: &[&str]| Scope {
            tenant: "pb.nabha".into(),
            user: UserId(uuid::Uuid::nil()),
            roles: vec![wardbook::domain::Role::Supervisor],
            wards: wards.iter().map(|w| w.to_string()).collect(),
        };
        let w = |wards: &[&str]| wards.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        assert!(oversees(&scope(&[]), &w(&["W03"])));
        assert!(oversees(&scope(&["W01"]), &w(&["W01", "W02"])));
        assert!(!oversees(&scope(&["W01"]), &w(&["W03"])));
        assert!(!oversees(&scope(&["W01"]), &w(&[])), "a whole-town user is not a ward supervisor's");
    }
}
