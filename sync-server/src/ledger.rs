//! Tamper evidence for money: each town's ledger is a hash chain over its receipts (and, once
//! they exist, their reversals). Entry `n` stores the canonical bytes of what was recorded,
//! `prev_hash` (the hash of entry `n - 1`, 32 zero bytes for the first) and
//! `hash = SHA-256(prev_hash || entry)`. Changing any stored byte of an entry, or its hash, or
//! removing an entry from the middle, breaks the chain at that entry, and [`verify`] names it.
//!
//! Entries are appended inside the push's tenant transaction ([`crate::ingest`]), after the
//! town's row is locked, so a town's chain never forks; `(tenant, n)` is the primary key, which
//! would refuse a fork even without the lock. A record has at most one entry of each kind.
//!
//! What a chain alone cannot show: the removal of its newest entries, or a chain rewritten
//! from some entry on. Both need the head hash ([`Verification::Intact`]) kept elsewhere.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};
use wardbook::domain::{Body, Record};
use wardbook::ids::{DeviceId, RecordId};

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// What a ledger entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Receipt,
    Reversal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Receipt => "receipt",
            EntryKind::Reversal => "reversal",
        }
    }
}

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// How many entries [`verify`] reads per query.
const PAGE: i64 = 1000;

/// `SHA-256(prev_hash || entry)`.
pub fn chain_hash(prev_hash: &[u8], entry: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(entry);
    h.finalize().to_vec()
}

/// The canonical bytes of an entry: a JSON object, keys sorted, no whitespace.
pub fn canonical(fields: &BTreeMap<&str, Value>) -> Vec<u8> {
    serde_json::to_vec(fields).expect("plain data serializes")
}

/// The entry of a money record: its kind, id, town, creator and the device that sent it,
/// plus `fields` (the kind's own: numbers, amounts in paise, names).
pub fn record_entry<'a>(
    kind: EntryKind,
    record: &Record,
    device: DeviceId,
    fields: impl IntoIterator<Item = (&'a str, Value)>,
) -> Vec<u8> {
    let mut all: BTreeMap<&str, Value> = fields.into_iter().collect();
    all.insert("kind", kind.as_str().into());
    all.insert("record", record.id.to_string().into());
    all.insert("tenant", record.tenant.clone().into());
    all.insert("created_by", record.created_by.to_string().into());
    all.insert("device", device.to_string().into());
    canonical(&all)
}

/// The entry of a receipt as it was first stored; `None` for a record of another kind.
pub fn receipt_entry(record: &Record, device: DeviceId) -> Option<Vec<u8>> {
    let Body::Receipt(r) = &record.body else { return None };
    Some(record_entry(
        EntryKind::Receipt,
        record,
        device,
        [
            ("receipt_number", r.receipt_number.clone().into()),
            ("amount_paise", r.total().0.into()),
            ("payment_mode", r.payment_mode.as_str().into()),
            ("payer_name", r.payer_name.clone().into()),
            ("business_service", r.business_service.clone().into()),
            ("receipt_date", r.receipt_date.into()),
        ],
    ))
}

/// The entry of an approved reversal; `None` for a record of another kind.
pub fn reversal_entry(record: &Record, device: DeviceId) -> Option<Vec<u8>> {
    let Body::Reversal(r) = &record.body else { return None };
    Some(record_entry(
        EntryKind::Reversal,
        record,
        device,
        [
            ("reverses", r.receipt.to_string().into()),
            ("receipt_number", r.receipt_number.clone().into()),
            ("amount_paise", r.amount.0.into()),
            ("reason", r.reason.clone().into()),
        ],
    ))
}

/// Appends an entry to `tenant`'s chain inside the caller's transaction and returns its `n`.
///
/// Takes the town's row lock first (a push already holds it), so appends to one town are
/// serialized across server processes. A record that already has an entry of this kind keeps
/// it: its `n` is returned and nothing is written.
pub fn append(
    sql: &mut dyn Sql,
    tenant: &str,
    kind: EntryKind,
    record: RecordId,
    entry: &[u8],
) -> Result<i64, AppError> {
    if sql.exec("UPDATE tenants SET next_seq = next_seq WHERE id = ?1", params![tenant])? == 0 {
        return Err(AppError::UnknownTenant(tenant.into()));
    }
    let key = record.to_string();
    let existing = sql.row(
        "SELECT n FROM ledger WHERE tenant = ?1 AND kind = ?2 AND record = ?3",
        params![tenant, kind.as_str(), &key],
    )?;
    if let Some(row) = existing {
        return row.int(0);
    }
    let last = sql.row("SELECT n, hash FROM ledger WHERE tenant = ?1 ORDER BY n DESC LIMIT 1", params![tenant])?;
    let (n, prev_hash) = match last {
        Some(row) => (row.int(0)? + 1, row.blob(1)?),
        None => (1, GENESIS.to_vec()),
    };
    let hash = chain_hash(&prev_hash, entry);
    sql.exec(
        "INSERT INTO ledger (tenant, n, kind, record, entry, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![tenant, n, kind.as_str(), &key, entry, prev_hash, hash],
    )?;
    Ok(n)
}

/// Appends the entry of a receipt first stored by `device`; `None` (nothing written) for a
/// record of another kind.
pub fn append_receipt(
    sql: &mut dyn Sql,
    tenant: &str,
    record: &Record,
    device: DeviceId,
) -> Result<Option<i64>, AppError> {
    match receipt_entry(record, device) {
        Some(entry) => append(sql, tenant, EntryKind::Receipt, record.id, &entry).map(Some),
        None => Ok(None),
    }
}

/// The town's balance by its ledger, in paise: every receipt entered minus every approved
/// reversal entered.
pub fn balance(sql: &mut dyn Sql, tenant: &str) -> Result<i64, AppError> {
    let mut total = 0;
    for row in sql.rows("SELECT kind, entry FROM ledger WHERE tenant = ?1", params![tenant])? {
        let entry: Value = serde_json::from_slice(&row.blob(1)?)
            .map_err(|e| AppError::Internal(format!("a ledger entry is not JSON: {e}")))?;
        let amount =
            entry["amount_paise"].as_i64().ok_or_else(|| AppError::Internal("an entry without an amount".into()))?;
        total += if row.text(0)? == EntryKind::Reversal.as_str() { -amount } else { amount };
    }
    Ok(total)
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every entry fits; `head` is the newest entry's hash (the genesis value when empty).
    Intact { entries: i64, head: Vec<u8> },
    /// The first entry that does not fit: its number, its record when the entry is there at
    /// all, and why.
    Broken { n: i64, record: Option<String>, reason: String },
}

/// Walks `tenant`'s chain from its first entry and recomputes it; stops at the first entry
/// that is missing (a gap in `n`), whose `prev_hash` is not the previous entry's hash, whose
/// stored hash is not `SHA-256(prev_hash || entry)`, or whose entry does not name the record
/// and kind its row does.
pub fn verify(sql: &mut dyn Sql, tenant: &str) -> Result<Verification, AppError> {
    let mut expected = 1i64;
    let mut prev_hash = GENESIS.to_vec();
    loop {
        let page = sql.rows(
            "SELECT n, kind, record, entry, prev_hash, hash FROM ledger WHERE tenant = ?1 AND n >= ?2
             ORDER BY n LIMIT ?3",
            params![tenant, expected, PAGE],
        )?;
        if page.is_empty() {
            return Ok(Verification::Intact { entries: expected - 1, head: prev_hash });
        }
        for row in &page {
            let (n, kind, record) = (row.int(0)?, row.text(1)?, row.text(2)?);
            let (entry, stored_prev, hash) = (row.blob(3)?, row.blob(4)?, row.blob(5)?);
            let broken = |n: i64, record: Option<String>, reason: String| Verification::Broken { n, record, reason };
            if n != expected {
                let reason = match expected {
                    1 => format!("entry 1 is missing: the chain starts at entry {n}"),
                    _ => {
                        format!("entry {expected} is missing: the chain goes from entry {} to entry {n}", expected - 1)
                    }
                };
                return Ok(broken(expected, None, reason));
            }
            if stored_prev != prev_hash {
                let reason = match n {
                    1 => "its prev_hash is not 32 zero bytes, as the first entry's must be".to_string(),
                    _ => format!("its prev_hash is not the hash of entry {}", n - 1),
                };
                return Ok(broken(n, Some(record), reason));
            }
            if chain_hash(&stored_prev, &entry) != hash {
                let reason = "its stored hash is not SHA-256(prev_hash || entry): the entry or its hash was altered";
                return Ok(broken(n, Some(record), reason.into()));
            }
            if let Some(reason) = mismatch(&entry, &kind, &record) {
                return Ok(broken(n, Some(record), reason));
            }
            if let Some(reason) = record_differs(sql, tenant, &entry, &kind, &record)? {
                return Ok(broken(n, Some(record), reason));
            }
            prev_hash = hash;
            expected += 1;
        }
    }
}

/// Whether the money record an entry describes still reads as it did: a receipt changed by
/// direct SQL on the server's database is caught here even if the chain itself is intact.
fn record_differs(
    sql: &mut dyn Sql,
    tenant: &str,
    entry: &[u8],
    kind: &str,
    record: &str,
) -> Result<Option<String>, AppError> {
    let row = sql.row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![tenant, record])?;
    let Some(row) = row else { return Ok(Some(format!("its {kind} is missing from the records"))) };
    let Ok(stored) = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(0)?, &[]).and_then(|d| d.record()) else {
        return Ok(Some(format!("its {kind}'s stored document is unreadable")));
    };
    let device = serde_json::from_slice::<Value>(entry)
        .ok()
        .and_then(|v| v["device"].as_str().and_then(|d| d.parse::<DeviceId>().ok()));
    let Some(device) = device else { return Ok(Some("its entry names no device".into())) };
    let rebuilt = match kind {
        "reversal" => reversal_entry(&stored, device),
        _ => receipt_entry(&stored, device),
    };
    Ok((rebuilt.as_deref() != Some(entry))
        .then(|| format!("the stored {kind} and its entry disagree: one was changed outside the server")))
}

/// Whether an entry's bytes name another record or kind than its row.
fn mismatch(entry: &[u8], kind: &str, record: &str) -> Option<String> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(entry) else {
        return Some("its entry is not a JSON object".into());
    };
    let says = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let (entry_kind, entry_record) = (says("kind"), says("record"));
    (entry_kind != kind || entry_record != record)
        .then(|| format!("its entry is {entry_kind} {entry_record}, but its row says {kind} {record}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wardbook::domain::Role;

    #[test]
    fn a_receipt_entry_is_sorted_json_with_the_amount_in_paise() {
        let id = RecordId::new();
        let record = wardbook::demo::receipt(id, 1_700_000_000_000, "W02", 3);
        let device = DeviceId::new();
        let bytes = receipt_entry(&record, device).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let value: serde_json::Map<String, Value> = serde_json::from_slice(&bytes).unwrap();
        let keys: Vec<&String> = value.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(text.starts_with("{\"amount_paise\":15300,"), "{text}");
        assert_eq!(value["kind"], "receipt");
        assert_eq!(value["record"], id.to_string());
        assert_eq!(value["device"], device.to_string());
        assert_eq!(value["payment_mode"], "CASH");
        assert_eq!(value["created_by"], wardbook::demo::user_id(Role::Collector).to_string());
        // No whitespace, nothing but what a plain re-serialization writes.
        assert_eq!(serde_json::to_vec(&serde_json::from_slice::<Value>(&bytes).unwrap()).unwrap(), bytes);
        // The same receipt gives the same bytes.
        assert_eq!(receipt_entry(&record, device).unwrap(), bytes);
    }

    #[test]
    fn other_kinds_have_no_receipt_entry() {
        let record = wardbook::demo::inspection(RecordId::new(), 0, "W01", 1);
        assert_eq!(receipt_entry(&record, DeviceId::new()), None);
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_the_entry() {
        let a = chain_hash(&GENESIS, b"{}");
        assert_eq!(a.len(), 32);
        assert_ne!(chain_hash(&a, b"{}"), a);
        assert_ne!(chain_hash(&GENESIS, b"{ }"), a);
    }
}
