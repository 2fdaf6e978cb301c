//! Payments for the accounts office and for DIGIT: the town's receipts, each with whether an
//! approved reversal cancelled it, rendered by the core's export functions; and any kind of
//! the town's records, read as they are stored (for `digit export`).

use wardbook::domain::{Record, RecordKind};
use wardbook::ledger::{Payment, payments_csv, payments_json};

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// Every receipt of the town, oldest number first, and whether it was cancelled.
pub fn receipts(sql: &mut dyn Sql, tenant: &str) -> Result<Vec<(Record, bool)>, AppError> {
    records(sql, tenant, RecordKind::Receipt)
}

/// Every record of `kind` in the town (receipts by number, others by id), each with whether an
/// approved reversal cancelled it (only ever a receipt).
pub fn records(sql: &mut dyn Sql, tenant: &str, kind: RecordKind) -> Result<Vec<(Record, bool)>, AppError> {
    let rows = sql.rows(
        "SELECT doc, cancelled FROM records WHERE tenant = ?1 AND kind = ?2 ORDER BY number, id",
        params![tenant, kind.as_str()],
    )?;
    rows.iter()
        .map(|row| {
            let record = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(0)?, &[])
                .and_then(|d| d.record())
                .map_err(|e| AppError::Internal(format!("a stored {kind} is unreadable: {e}")))?;
            Ok((record, row.bool(1)?))
        })
        .collect()
}

/// `json` (DIGIT's collection service shape) or `csv` (the accounts office).
pub fn render(receipts: &[(Record, bool)], format: &str) -> Result<String, AppError> {
    let payments = receipts
        .iter()
        .map(|(record, cancelled)| Payment::new(record, *cancelled))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let out = match format {
        "json" => payments_json(&payments).map(|v| format!("{v:#}\n")),
        _ => payments_csv(&payments),
    };
    out.map_err(|e| AppError::Internal(e.to_string()))
}
