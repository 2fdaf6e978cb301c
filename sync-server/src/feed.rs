//! What a device receives: while it bootstraps, whole documents of the records in its scope
//! (in id order); then the change log after its cursor, without its own changes and without
//! what its scope does not cover. Pages stop once they hold `max_bytes`.

use rusqlite::{Connection, params};
use wardbook::domain::RecordKind;
use wardbook::ids::RecordId;
use wardbook::sync::wire::{Cursor, RecordBytes};

use crate::db::DeviceAuth;
use crate::error::AppError;

/// One page for a device.
pub struct Page {
    pub items: Vec<RecordBytes>,
    pub cursor: Cursor,
    pub more: bool,
}

fn visible(auth: &DeviceAuth, kind: &str, ward: Option<&str>) -> bool {
    kind.parse::<RecordKind>().is_ok_and(|k| auth.scope.can_see(k, ward))
}

fn record_id(text: String) -> Result<RecordId, AppError> {
    text.parse().map_err(|e: uuid::Error| AppError::Internal(format!("stored record id {text}: {e}")))
}

/// Builds the next page after `cursor`.
pub fn page(conn: &Connection, auth: &DeviceAuth, cursor: &Cursor, max_bytes: usize) -> Result<Page, AppError> {
    let tenant = &auth.scope.tenant;
    if !cursor.bootstrapped {
        return snapshot_page(conn, auth, cursor, max_bytes);
    }
    let mut items = Vec::new();
    let mut size = 0;
    let mut last = cursor.seq as i64;
    let mut stmt = conn.prepare_cached(
        "SELECT seq, record, kind, ward, device, bytes FROM changes WHERE tenant = ?1 AND seq > ?2 ORDER BY seq LIMIT 2000",
    )?;
    let mut rows = stmt.query(params![tenant, last])?;
    let mut more = false;
    while let Some(row) = rows.next()? {
        if size >= max_bytes {
            more = true;
            break;
        }
        let (seq, record, kind, ward, device, bytes): (i64, String, String, Option<String>, String, Vec<u8>) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?);
        last = seq;
        if device == auth.device.to_string() || !visible(auth, &kind, ward.as_deref()) {
            continue;
        }
        size += bytes.len();
        items.push(RecordBytes { record: record_id(record)?, bytes });
    }
    if !more {
        // The 2000-row window may have ended with rows still to come.
        more = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM changes WHERE tenant = ?1 AND seq > ?2)",
            params![tenant, last],
            |r| r.get(0),
        )?;
    }
    Ok(Page { items, cursor: Cursor { seq: last as u64, bootstrapped: true, snapshot_after: None }, more })
}

fn snapshot_page(conn: &Connection, auth: &DeviceAuth, cursor: &Cursor, max_bytes: usize) -> Result<Page, AppError> {
    let tenant = &auth.scope.tenant;
    // The log position the snapshot starts from: taken once, when bootstrapping begins.
    // Changes committed after it are sent again from the log; merging them twice is harmless.
    let seq = if cursor.snapshot_after.is_none() {
        conn.query_row("SELECT next_seq - 1 FROM tenants WHERE id = ?1", [tenant], |r| r.get::<_, i64>(0))? as u64
    } else {
        cursor.seq
    };
    let after = cursor.snapshot_after.map(|r| r.to_string()).unwrap_or_default();
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, ward, doc FROM records WHERE tenant = ?1 AND id > ?2 ORDER BY id LIMIT 500",
    )?;
    let mut rows = stmt.query(params![tenant, after])?;
    let mut items = Vec::new();
    let mut size = 0;
    let mut last = cursor.snapshot_after;
    let mut exhausted = true;
    while let Some(row) = rows.next()? {
        if size >= max_bytes {
            exhausted = false;
            break;
        }
        let (id, kind, ward, doc): (String, String, Option<String>, Vec<u8>) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        let id = record_id(id)?;
        last = Some(id);
        if !visible(auth, &kind, ward.as_deref()) {
            continue;
        }
        size += doc.len();
        items.push(RecordBytes { record: id, bytes: doc });
    }
    if exhausted && last.is_some() {
        // The LIMIT window may have ended exactly at its size: look once more.
        let key = last.map(|r| r.to_string()).unwrap_or_default();
        exhausted = !conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM records WHERE tenant = ?1 AND id > ?2)",
            params![tenant, key],
            |r| r.get(0),
        )?;
    }
    if !exhausted {
        return Ok(Page { items, cursor: Cursor { seq, bootstrapped: false, snapshot_after: last }, more: true });
    }
    let log_moved_on: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM changes WHERE tenant = ?1 AND seq > ?2)",
        params![tenant, seq as i64],
        |r| r.get(0),
    )?;
    Ok(Page { items, cursor: Cursor { seq, bootstrapped: true, snapshot_after: None }, more: log_moved_on })
}
