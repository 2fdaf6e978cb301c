//! Receipt number blocks: each town has one series per financial year; a collector's device
//! gets the next block of it when it runs low. Blocks are taken inside the request's tenant
//! transaction (after the town's row lock), so two devices, or two server instances, never get
//! overlapping blocks.

use wardbook::domain::Role;
use wardbook::sync::wire::{NumberBlock, NumberRequest};

use crate::db::{DeviceAuth, now_ms};
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// The most numbers one request gets.
const MAX_BLOCK: u32 = 1000;

/// The most numbers of a financial year a device may hold unused: a lost phone takes at most
/// this many numbers out of the town's series, and no device can drain it.
pub const MAX_OUTSTANDING: i64 = 2000;

/// Grants a block if the device's user collects money and the request is sane: a financial year
/// that is the current or the next one (by the server's clock), and no more numbers than
/// [`MAX_OUTSTANDING`] held unused by the device.
pub fn grant(sql: &mut dyn Sql, auth: &DeviceAuth, want: &NumberRequest) -> Result<Vec<NumberBlock>, AppError> {
    let collects = auth.scope.roles.iter().any(|r| matches!(r, Role::Collector | Role::Supervisor));
    if !collects || want.count == 0 || !crate::money::grantable_years(now_ms()).contains(&want.fy) {
        return Ok(vec![]);
    }
    let tenant = &auth.scope.tenant;
    sql.exec("UPDATE tenants SET next_seq = next_seq WHERE id = ?1", params![tenant])?;
    let unused = sql
        .row(
            "SELECT CAST(COALESCE(SUM(last - first + 1 - used), 0) AS BIGINT) FROM receipt_blocks WHERE tenant = ?1 AND fy = ?2 AND device = ?3",
            params![tenant, &want.fy, auth.device.to_string()],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(0);
    let count = i64::from(want.count.min(MAX_BLOCK)).min(MAX_OUTSTANDING - unused);
    if count <= 0 {
        return Ok(vec![]);
    }
    sql.exec(
        "INSERT INTO receipt_series (tenant, fy, next) VALUES (?1, ?2, 1) ON CONFLICT (tenant, fy) DO NOTHING",
        params![tenant, &want.fy],
    )?;
    let first = sql
        .row(
            "UPDATE receipt_series SET next = next + ?3 WHERE tenant = ?1 AND fy = ?2 RETURNING next - ?3",
            params![tenant, &want.fy, count],
        )?
        .ok_or_else(|| AppError::Internal("the receipt series vanished".into()))?
        .int(0)?;
    let last = first + count - 1;
    sql.exec(
        "INSERT INTO receipt_blocks (tenant, fy, first, last, device, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![tenant, &want.fy, first, last, auth.device.to_string(), now_ms()],
    )?;
    Ok(vec![NumberBlock { fy: want.fy.clone(), first: first as u64, last: last as u64 }])
}
