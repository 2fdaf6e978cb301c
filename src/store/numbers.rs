//! Receipt numbers on the device. Numbers come from blocks of the town's series that the
//! server handed this device; when every block is used up offline, the device's own series
//! takes over. Either way a number is taken in the same transaction that issues the receipt,
//! so a number is never used twice, and a crash between the two can only skip one.
//!
//! Formats (town code, financial year, series, number):
//! `NBH/2026-27/T/000123` from a server block (`T`: the town's series), and
//! `NBH/2026-27/D3F9A1C20B7/000001` from the device's own series (its actor id's first hex digits).

use crate::store::exec;
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::domain::{Body, Record, RecordKind, UnixMillis};
use crate::wire::NumberBlock;
use crate::{Error, Result};

/// Hex digits of the actor id in a device series: 11 (44 bits) keep two devices of a state
/// from sharing a series with any practical likelihood.
const SERIES_DIGITS: usize = 11;

/// The receipt number as printed.
pub fn format_number(town: &str, fy: &str, series: &str, n: u64) -> String {
    format!("{town}/{fy}/{series}/{n:06}")
}

fn take_from_blocks(conn: &Connection, fy: &str) -> Result<Option<u64>> {
    let block: Option<(i64, i64)> = conn
        .query_row(
            "SELECT first, next FROM number_blocks WHERE fy = ?1 AND next <= last ORDER BY first LIMIT 1",
            [fy],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((first, next)) = block else { return Ok(None) };
    exec(conn, "UPDATE number_blocks SET next = next + 1 WHERE fy = ?1 AND first = ?2", params![fy, first])?;
    Ok(Some(next as u64))
}

fn take_from_device_series(conn: &Connection, fy: &str) -> Result<u64> {
    exec(conn, "INSERT INTO device_series (fy, next) VALUES (?1, 1) ON CONFLICT (fy) DO NOTHING", [fy])?;
    let n: i64 =
        conn.query_row("UPDATE device_series SET next = next + 1 WHERE fy = ?1 RETURNING next - 1", [fy], |r| {
            r.get(0)
        })?;
    Ok(n as u64)
}

impl Store {
    /// Issues a receipt: takes the next number, writes it into the receipt and saves it, in one
    /// transaction committed with `synchronous=FULL`. Returns the receipt as issued.
    pub fn issue_receipt(&mut self, mut record: Record, now: UnixMillis) -> Result<Record> {
        let Body::Receipt(receipt) = &record.body else {
            return Err(Error::UnknownValue { vocabulary: "receipt", value: record.kind().to_string() });
        };
        let fy = crate::ledger::financial_year(receipt.receipt_date);
        let town = self.reference().tenant.as_ref().map(|t| t.code.clone()).unwrap_or_else(|| "ULB".into());
        let series = self.actor_id().to_uppercase()[..SERIES_DIGITS].to_string();
        let refs = self.reference().clone();
        let key = self.device_key()?;
        self.write(RecordKind::Receipt, |tx, actor| {
            let number = match take_from_blocks(tx, &fy)? {
                Some(n) => format_number(&town, &fy, "T", n),
                None => format_number(&town, &fy, &format!("D{series}"), take_from_device_series(tx, &fy)?),
            };
            if let Body::Receipt(r) = &mut record.body {
                r.receipt_number = number;
                r.signature = None;
            }
            crate::domain::validate::validate(&record, &refs)?;
            super::sign_receipt(&key, &mut record)?;
            let doc = crate::document::RecordDoc::new(actor, &record)?;
            super::persist(tx, record.id, doc, None, now, super::Origin::Local)?;
            Ok(())
        })?;
        Ok(record)
    }

    /// Numbers of the town's series still unused on this device for `fy`.
    pub fn numbers_left(&self, fy: &str) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(SUM(last - next + 1), 0) FROM number_blocks WHERE fy = ?1",
            [fy],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }
}

/// Keeps blocks the server granted (inside the sync transaction). A block seen twice (a
/// replayed answer) is kept once.
pub(crate) fn add_blocks(conn: &Connection, blocks: &[NumberBlock]) -> Result<()> {
    for b in blocks {
        exec(
            conn,
            "INSERT INTO number_blocks (fy, first, last, next) VALUES (?1, ?2, ?3, ?2) ON CONFLICT (fy, first) DO NOTHING",
            params![b.fy, b.first as i64, b.last as i64],
        )?;
    }
    Ok(())
}
