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

/// Grants a block if the device's user collects money and the request is sane.
pub fn grant(sql: &mut dyn Sql, auth: &DeviceAuth, want: &NumberRequest) -> Result<Vec<NumberBlock>, AppError> {
    let collects = auth.scope.roles.iter().any(|r| matches!(r, Role::Collector | Role::Supervisor));
    let fy_ok =
        want.fy.len() == 7 && want.fy.as_bytes()[4] == b'-' && want.fy.bytes().filter(u8::is_ascii_digit).count() == 6;
    if !collects || want.count == 0 || !fy_ok {
        return Ok(vec![]);
    }
    let tenant = &auth.scope.tenant;
    let count = i64::from(want.count.min(MAX_BLOCK));
    sql.exec("UPDATE tenants SET next_seq = next_seq WHERE id = ?1", params![tenant])?;
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
