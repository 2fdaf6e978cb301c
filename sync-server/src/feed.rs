//! What a device receives: while it bootstraps, whole documents of the records in its scope
//! (in id order, leaving out those only it wrote); then the change log after its cursor, without its own changes and without
//! what its scope does not cover. Pages stop once they hold `max_bytes`.

use wardbook::domain::RecordKind;
use wardbook::ids::RecordId;
use wardbook::sync::wire::{Cursor, RecordBytes};

use crate::db::DeviceAuth;
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// Rows read per query while filling a page.
const WINDOW: i64 = 2000;

/// One page for a device.
pub struct Page {
    pub items: Vec<RecordBytes>,
    pub cursor: Cursor,
    pub more: bool,
    /// The device's cursor belongs to another life of the log: start over.
    pub reset: bool,
}

fn visible(auth: &DeviceAuth, kind: &str, ward: Option<&str>) -> bool {
    kind.parse::<RecordKind>().is_ok_and(|k| auth.scope.can_see(k, ward))
}

fn record_id(text: &str) -> Result<RecordId, AppError> {
    text.parse().map_err(|e: uuid::Error| AppError::Internal(format!("stored record id {text}: {e}")))
}

fn log_has_after(sql: &mut dyn Sql, tenant: &str, seq: i64) -> Result<bool, AppError> {
    sql.exists("SELECT 1 FROM changes WHERE tenant = ?1 AND seq > ?2 LIMIT 1", params![tenant, seq])
}

/// Builds the next page after `cursor`.
pub fn page(sql: &mut dyn Sql, auth: &DeviceAuth, cursor: &Cursor, max_bytes: usize) -> Result<Page, AppError> {
    let tenant = auth.scope.tenant.as_str();
    let town = sql.row("SELECT next_seq - 1, epoch FROM tenants WHERE id = ?1", params![tenant])?;
    let town = town.ok_or_else(|| AppError::UnknownTenant(tenant.into()))?;
    let (head, epoch) = (town.int(0)?, town.text(1)?);
    // A cursor from another epoch, or past the end of the log, was made against a log this
    // database no longer has (a restored backup): the device starts over.
    if (!cursor.epoch.is_empty() && cursor.epoch != epoch) || cursor.seq as i64 > head {
        let cursor = Cursor { epoch, ..Cursor::default() };
        return Ok(Page { items: vec![], cursor, more: true, reset: true });
    }
    let mut page = if cursor.bootstrapped {
        log_page(sql, auth, cursor, max_bytes)?
    } else {
        snapshot_page(sql, auth, cursor, head, max_bytes)?
    };
    page.cursor.epoch = epoch;
    Ok(page)
}

fn log_page(sql: &mut dyn Sql, auth: &DeviceAuth, cursor: &Cursor, max_bytes: usize) -> Result<Page, AppError> {
    let tenant = auth.scope.tenant.as_str();
    let me = auth.device.to_string();
    let mut items = Vec::new();
    let mut size = 0;
    let mut last = cursor.seq as i64;
    let rows = sql.rows(
        "SELECT seq, record, kind, ward, device, bytes FROM changes WHERE tenant = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        params![tenant, last, WINDOW],
    )?;
    for row in &rows {
        if size >= max_bytes {
            break;
        }
        last = row.int(0)?;
        if row.text(4)? == me || !visible(auth, &row.text(2)?, row.opt_text(3)?.as_deref()) {
            continue;
        }
        let bytes = row.blob(5)?;
        // Stored before changes had a size bound: as in a snapshot, left out rather than sent
        // in a page no client takes.
        if bytes.len() > wardbook::document::shape::MAX_RECORD_BYTES {
            tracing::warn!(seq = last, bytes = bytes.len(), "change larger than the record limit left out of a page");
            continue;
        }
        size += bytes.len();
        items.push(RecordBytes { record: record_id(&row.text(1)?)?, bytes });
    }
    let more = log_has_after(sql, tenant, last)?;
    let cursor = Cursor { seq: last as u64, bootstrapped: true, ..Cursor::default() };
    Ok(Page { items, cursor, more, reset: false })
}

fn snapshot_page(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    cursor: &Cursor,
    head: i64,
    max_bytes: usize,
) -> Result<Page, AppError> {
    let tenant = auth.scope.tenant.as_str();
    let me = auth.device.to_string();
    // The log position the snapshot starts from: taken once, when bootstrapping begins.
    // Changes committed after it are sent again from the log; merging them twice is harmless.
    let seq = if cursor.snapshot_after.is_none() { head as u64 } else { cursor.seq };
    let after = cursor.snapshot_after.map(|r| r.to_string()).unwrap_or_default();
    let rows = sql.rows(
        "SELECT id, kind, ward, doc, only_device FROM records WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        params![tenant, &after, WINDOW],
    )?;
    let mut items = Vec::new();
    let mut size = 0;
    let mut last = cursor.snapshot_after;
    for row in &rows {
        if size >= max_bytes {
            break;
        }
        let id = record_id(&row.text(0)?)?;
        last = Some(id);
        // What only this device wrote it already holds (it recorded before its first sync, or
        // it is starting over after a restore and has just pushed it all again).
        let own = row.opt_text(4)?.as_deref() == Some(me.as_str());
        if own || !visible(auth, &row.text(1)?, row.opt_text(2)?.as_deref()) {
            continue;
        }
        let doc = row.blob(3)?;
        // Stored before records had a size bound: sending it could make a page no client takes.
        if doc.len() > wardbook::document::shape::MAX_RECORD_BYTES {
            tracing::warn!(record = %id, bytes = doc.len(), "record larger than the record limit left out of a snapshot");
            continue;
        }
        size += doc.len();
        items.push(RecordBytes { record: id, bytes: doc });
    }
    let key = last.map(|r| r.to_string()).unwrap_or_default();
    let records_left =
        sql.exists("SELECT 1 FROM records WHERE tenant = ?1 AND id > ?2 LIMIT 1", params![tenant, key])?;
    if records_left {
        let cursor = Cursor { seq, bootstrapped: false, snapshot_after: last, ..Cursor::default() };
        return Ok(Page { items, cursor, more: true, reset: false });
    }
    let more = log_has_after(sql, tenant, seq as i64)?;
    Ok(Page { items, cursor: Cursor { seq, bootstrapped: true, ..Cursor::default() }, more, reset: false })
}
