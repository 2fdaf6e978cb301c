//! The money rules the server keeps whatever a device says: a receipt is signed by the device
//! that issued it, dated in a financial year the town can still book, and numbered from a
//! block granted to that very device or from that device's own series; a reversal names a
//! real receipt of the town, in the sender's scope, for exactly its amount, and a receipt has
//! at most one reversal open or approved; a cash handover is a collector's own (a supervisor
//! may count anyone's), once per collector and day, and its expected cash is what the server's
//! own ledger says that collector took in cash that day (receipts minus approved reversals), so
//! a device cannot hide a shortage by understating it.
//!
//! Runs inside the push's tenant transaction, after the town's row lock, so two pushes cannot
//! both pass a check that only one may pass.

use wardbook::domain::{Body, Record, RecordKind, Status, UnixMillis};
use wardbook::ledger::FinancialYear;

use crate::db::DeviceAuth;
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// A refusal: stable code and a sentence.
pub type Refusal = (&'static str, String);

fn refuse(code: &'static str, reason: impl Into<String>) -> Result<Option<Refusal>, AppError> {
    Ok(Some((code, reason.into())))
}

/// The financial years a receipt may be dated in, by the server's clock: the current one and
/// the one before it (a device that was offline over 31 March), never earlier or later.
pub fn bookable_years(now: UnixMillis) -> [String; 2] {
    let current = FinancialYear::of(now);
    [FinancialYear { start_year: current.start_year - 1 }.to_string(), current.to_string()]
}

/// The financial years blocks may be granted for: the current one and the next.
pub fn grantable_years(now: UnixMillis) -> [String; 2] {
    let current = FinancialYear::of(now);
    [current.to_string(), FinancialYear { start_year: current.start_year + 1 }.to_string()]
}

/// A receipt number's parts: `TOWN/FY/SERIES/NUMBER`.
struct Number<'a> {
    fy: &'a str,
    series: &'a str,
    n: i64,
}

fn parse_number(text: &str) -> Option<Number<'_>> {
    let mut parts = text.split('/');
    let (_town, fy, series, n) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Number { fy, series, n: n.parse().ok()? })
}

/// Checks a change to a money record. `actor` is the hex actor id of the change, already bound
/// to the pushing device.
pub fn check(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    before: Option<&Record>,
    after: &Record,
    actor: &str,
    now: UnixMillis,
) -> Result<Option<Refusal>, AppError> {
    match (&after.body, before) {
        (Body::Receipt(_), None) => new_receipt(sql, auth, after, actor, now),
        (Body::Reversal(rev), None) => {
            if let Some(refusal) = reversal_target(sql, auth, rev)? {
                return Ok(Some(refusal));
            }
            another_reversal(sql, auth, after, &rev.receipt, &[Status::Requested, Status::Approved])
        }
        (Body::Handover(handover), None) => new_handover(sql, auth, after, handover),
        (Body::Reversal(rev), Some(before))
            if after.workflow().status == Status::Approved && before.workflow().status != Status::Approved =>
        {
            another_reversal(sql, auth, after, &rev.receipt, &[Status::Approved])
        }
        _ => Ok(None),
    }
}

fn new_receipt(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    after: &Record,
    actor: &str,
    now: UnixMillis,
) -> Result<Option<Refusal>, AppError> {
    let Body::Receipt(receipt) = &after.body else { return Ok(None) };
    let device = auth.device.to_string();
    let Some(key) = crate::db::device_key(sql, &device)? else {
        return refuse("unsigned_receipt", "this device registered no signing key, and every receipt must be signed");
    };
    if !signed_by(after, &key) {
        return refuse("bad_signature", "the receipt is not signed by the device that issued it");
    }
    if receipt.receipt_date > now + wardbook::domain::access::MAX_CLOCK_AHEAD_MS {
        return refuse("time_in_future", "the receipt is dated in the future");
    }
    let fy = wardbook::ledger::financial_year(receipt.receipt_date);
    if !bookable_years(now).contains(&fy) {
        return refuse(
            "receipt_date_out_of_range",
            format!("a receipt dated in financial year {fy} can no longer be booked"),
        );
    }
    let Some(number) = parse_number(&receipt.receipt_number) else {
        return refuse("bad_receipt_number", format!("{} is not a receipt number", receipt.receipt_number));
    };
    if number.fy != fy {
        return refuse(
            "receipt_date_outside_fy",
            format!("receipt {} is numbered in {} but dated in {fy}", receipt.receipt_number, number.fy),
        );
    }
    let tenant = &auth.scope.tenant;
    if number.series == "T" {
        let block = sql.row(
            "SELECT device, first FROM receipt_blocks WHERE tenant = ?1 AND fy = ?2 AND first <= ?3 AND last >= ?3",
            params![tenant, number.fy, number.n],
        )?;
        let Some(block) = block else {
            return refuse("number_not_granted", format!("no block holding {} was granted", receipt.receipt_number));
        };
        if block.text(0)? != device {
            return refuse("number_not_yours", format!("{} lies in another device's block", receipt.receipt_number));
        }
        sql.exec(
            "UPDATE receipt_blocks SET used = used + 1 WHERE tenant = ?1 AND fy = ?2 AND first = ?3",
            params![tenant, number.fy, block.int(1)?],
        )?;
        return Ok(None);
    }
    let own = number
        .series
        .strip_prefix('D')
        .is_some_and(|hex| !hex.is_empty() && actor.len() >= hex.len() && actor[..hex.len()].eq_ignore_ascii_case(hex));
    if !own {
        return refuse("number_not_yours", format!("{} is not in this device's own series", receipt.receipt_number));
    }
    Ok(None)
}

/// Whether a receipt carries a valid signature by `key`.
fn signed_by(record: &Record, key: &wardbook::ledger::PublicKey) -> bool {
    let Body::Receipt(r) = &record.body else { return false };
    let signature = r.signature.as_deref().and_then(wardbook::ledger::decode_signature);
    signature.is_some_and(|s| wardbook::ledger::verify(key, record, &s))
}

/// A new reversal must name a receipt of this town that the sender may see and issued (a
/// supervisor may ask for any), by its number and for its whole amount.
fn reversal_target(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    rev: &wardbook::domain::Reversal,
) -> Result<Option<Refusal>, AppError> {
    let tenant = &auth.scope.tenant;
    let row = sql.row(
        "SELECT ward, doc FROM records WHERE tenant = ?1 AND id = ?2 AND kind = ?3",
        params![tenant, rev.receipt.to_string(), RecordKind::Receipt.as_str()],
    )?;
    let Some(row) = row else {
        return refuse("reversal_unknown_receipt", format!("receipt {} is not on the server", rev.receipt_number));
    };
    if !auth.scope.can_see(RecordKind::Receipt, row.opt_text(0)?.as_deref()) {
        return refuse("ward_out_of_scope", format!("receipt {} is not in your wards", rev.receipt_number));
    }
    let receipt = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(1)?, &[])
        .and_then(|d| d.record())
        .map_err(|e| AppError::Internal(format!("stored receipt {} is unreadable: {e}", rev.receipt)))?;
    let Body::Receipt(r) = &receipt.body else {
        return Err(AppError::Internal(format!("record {} is stored as a receipt but is not one", rev.receipt)));
    };
    if receipt.created_by != auth.scope.user && !auth.scope.roles.contains(&wardbook::domain::Role::Supervisor) {
        return refuse(
            "reversal_not_yours",
            format!("a collector asks to cancel only the receipts they issued; {} is not yours", rev.receipt_number),
        );
    }
    if r.receipt_number != rev.receipt_number || r.total() != rev.amount {
        return refuse(
            "reversal_mismatch",
            format!(
                "receipt {} is {} for ₹{}; the reversal says {} for ₹{}",
                rev.receipt,
                r.receipt_number,
                r.total().rupees_text(),
                rev.receipt_number,
                rev.amount.rupees_text()
            ),
        );
    }
    Ok(None)
}

/// Another reversal of the same receipt in one of `statuses`.
fn another_reversal(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    after: &Record,
    receipt: &wardbook::ids::RecordId,
    statuses: &[Status],
) -> Result<Option<Refusal>, AppError> {
    let rows = sql.rows(
        "SELECT status FROM records WHERE tenant = ?1 AND reverses = ?2 AND id <> ?3",
        params![&auth.scope.tenant, receipt.to_string(), after.id.to_string()],
    )?;
    for row in &rows {
        let status = row.text(0)?;
        if statuses.iter().any(|s| s.as_str() == status) {
            return refuse("reversal_exists", format!("this receipt already has a reversal that is {status}"));
        }
    }
    Ok(None)
}

/// A new cash handover: the sender's own cash unless they are a supervisor, the first for its
/// collector and day, and expecting exactly the cash the town's ledger holds for them that day.
fn new_handover(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    after: &Record,
    handover: &wardbook::domain::Handover,
) -> Result<Option<Refusal>, AppError> {
    use wardbook::domain::cash::{DaySummary, Taken, already_handed_over};
    if handover.collector != after.created_by && !auth.scope.roles.contains(&wardbook::domain::Role::Supervisor) {
        return refuse("handover_not_yours", "a collector hands over only their own cash");
    }
    let tenant = &auth.scope.tenant;
    // The title names the day ("Cash handover 2026-11-25"), so only that day's are read.
    let rows = sql.rows(
        "SELECT doc FROM records WHERE tenant = ?1 AND kind = ?2 AND title = ?3 AND id <> ?4",
        params![tenant, RecordKind::Handover.as_str(), after.title(), after.id.to_string()],
    )?;
    let mut others = Vec::new();
    for row in rows {
        let record = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(0)?, &[])
            .and_then(|d| d.record())
            .map_err(|e| AppError::Internal(format!("a stored handover is unreadable: {e}")))?;
        if let Body::Handover(h) = record.body {
            others.push(h);
        }
    }
    if already_handed_over(&others, handover.collector, &handover.day) {
        return refuse("handover_exists", format!("the cash of {} was already handed over", handover.day));
    }
    let mut summary = DaySummary::new(handover.collector, &handover.day);
    let rows = sql.rows(
        "SELECT l.entry, r.cancelled FROM ledger l JOIN records r ON r.tenant = l.tenant AND r.id = l.record
         WHERE l.tenant = ?1 AND l.kind = ?2",
        params![tenant, crate::ledger::EntryKind::Receipt.as_str()],
    )?;
    for row in rows {
        let entry: serde_json::Value = serde_json::from_slice(&row.blob(0)?)
            .map_err(|e| AppError::Internal(format!("a ledger entry is unreadable: {e}")))?;
        let taken = (|| {
            Some(Taken {
                collector: entry.get("created_by")?.as_str()?.parse().ok()?,
                receipt_date: entry.get("receipt_date")?.as_i64()?,
                mode: entry.get("payment_mode")?.as_str()?.parse().ok()?,
                amount: wardbook::domain::Paise(entry.get("amount_paise")?.as_i64()?),
                cancelled: false,
            })
        })()
        .ok_or_else(|| AppError::Internal("a ledger receipt entry lacks a field".into()))?;
        summary.add(&Taken { cancelled: row.bool(1)?, ..taken });
    }
    if summary.cash() != handover.expected_cash {
        return refuse(
            "handover_expected_mismatch",
            format!(
                "the receipts on the server say ₹{} cash for {}; the handover expects ₹{}",
                summary.cash().rupees_text(),
                handover.day,
                handover.expected_cash.rupees_text()
            ),
        );
    }
    Ok(None)
}
