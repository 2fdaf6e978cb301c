//! One record as the office reads it: its fields, its photos (those the server holds), the
//! history of its steps, the changes each device sent, and its conflicted fields with every
//! value. A record the viewer's scope does not see is `NotFound`, as on a device.

use automerge::AutoCommit;
use wardbook::document::{FieldConflict, field_conflicts, read_record};
use wardbook::domain::Record;
use wardbook::domain::access::Scope;

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// A change a device sent for the record: which device, whose, and when it arrived.
#[derive(Clone, Debug)]
pub struct Received {
    pub device: String,
    pub user: String,
    pub at: i64,
}

/// What the record page shows.
#[derive(Clone, Debug)]
pub struct RecordView {
    pub record: Record,
    pub conflicts: Vec<FieldConflict>,
    pub received: Vec<Received>,
    /// Photos the record names, and whether the server holds each.
    pub photos: Vec<(String, bool)>,
    pub flags: Vec<String>,
}

pub fn record(
    sql: &mut dyn Sql,
    scope: &Scope,
    id: &str,
    has_photo: &dyn Fn(&str) -> bool,
) -> Result<RecordView, AppError> {
    let row = sql
        .row("SELECT kind, ward, doc FROM records WHERE tenant = ?1 AND id = ?2", params![&scope.tenant, id])?
        .ok_or(AppError::NotFound)?;
    let ward = row.opt_text(1)?;
    if !row.text(0)?.parse().is_ok_and(|k| scope.can_see(k, ward.as_deref())) {
        return Err(AppError::NotFound);
    }
    let doc = AutoCommit::load(&row.blob(2)?).map_err(|e| AppError::Internal(format!("stored record {id}: {e}")))?;
    let record = read_record(&doc).map_err(|e| AppError::Internal(format!("stored record {id}: {e}")))?;
    let received = sql
        .rows(
            "SELECT COALESCE(d.name, c.device), COALESCE(u.name, ''), c.received_at FROM changes c
             LEFT JOIN devices d ON d.id = c.device
             LEFT JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
             WHERE c.tenant = ?1 AND c.record = ?2 ORDER BY c.seq",
            params![&scope.tenant, id],
        )?
        .iter()
        .map(|r| Ok(Received { device: r.text(0)?, user: r.text(1)?, at: r.int(2)? }))
        .collect::<Result<Vec<_>, AppError>>()?;
    let photos = sql
        .rows(
            "SELECT sha256 FROM record_blobs WHERE tenant = ?1 AND record = ?2 ORDER BY sha256",
            params![&scope.tenant, id],
        )?
        .iter()
        .map(|r| r.text(0).map(|sha| (sha.clone(), has_photo(&sha))))
        .collect::<Result<Vec<_>, AppError>>()?;
    let flags = sql
        .rows("SELECT code FROM flags WHERE tenant = ?1 AND record = ?2 ORDER BY code", params![&scope.tenant, id])?
        .iter()
        .map(|r| r.text(0))
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(RecordView { record, conflicts: field_conflicts(&doc), received, photos, flags })
}

/// Every leaf of the record's body as a dotted path and its text, for the fields table.
pub fn fields(record: &Record) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let value = serde_json::to_value(&record.body).unwrap_or_default();
    let mut stack = vec![(String::new(), &value)];
    while let Some((path, v)) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter().rev() {
                    stack.push((if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, v));
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate().rev() {
                    stack.push((format!("{path}.{i}"), v));
                }
            }
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => out.push((path, s.clone())),
            other => out.push((path, other.to_string())),
        }
    }
    out
}
