//! The server's side of one sync exchange, inside the town's transaction: the changes the
//! device pushed are taken in ([`crate::ingest`]), the page after its cursor is read
//! ([`crate::feed`]) and the receipt numbers it asked for are granted ([`crate::numbers`]).
//!
//! Written once: `routes::sync` runs [`exchange`] for `POST /v1/sync` (and counts its metrics),
//! and the deterministic simulation (`tests/it/simulation.rs`) runs the same function for the
//! requests that cross its simulated network.

use wardbook::sync::wire::{DEFAULT_PAGE_BYTES, PROTOCOL_VERSION, SyncRequest, SyncResponse};

use crate::db::{self, DeviceAuth};
use crate::error::AppError;
use crate::ingest::{self, Tally};
use crate::store::Sql;
use crate::{feed, numbers};

/// The page sizes a device may ask for: smaller or larger asks are brought inside.
pub const PAGE_BYTES: std::ops::RangeInclusive<u32> = 1024..=1024 * 1024;

/// The answer to `request` from `auth`'s device, the hash of each change it pushed (for a
/// version-1 answer, [`wardbook::sync::wire::v1::from_v2`]) and what became of them.
/// Runs in the caller's transaction of the device's town: the acks, the page and the number
/// blocks commit together or not at all. `prepared` is the document half of the pushed changes
/// if the caller worked it out before the transaction ([`ingest::prepare`]); without it, it is
/// worked out here.
pub fn exchange(
    sql: &mut dyn Sql,
    auth: &DeviceAuth,
    request: &SyncRequest,
    prepared: Option<ingest::Prepared>,
) -> Result<(SyncResponse, Vec<Vec<u8>>, Tally), AppError> {
    let max_bytes = request.max_page_bytes.unwrap_or(DEFAULT_PAGE_BYTES).clamp(*PAGE_BYTES.start(), *PAGE_BYTES.end());
    let refs = db::reference(sql, &auth.scope.tenant)?;
    let prepared = match prepared {
        Some(prepared) => prepared,
        None => ingest::prepare_in(sql, &auth.scope.tenant, &request.changes)?,
    };
    let (answers, tally) = ingest::ingest(sql, auth, &refs, &request.changes, prepared)?;
    let (_, reference) = db::served_reference(sql, &auth.scope.tenant, refs)?;
    let page = feed::page(sql, auth, &request.cursor, max_bytes as usize)?;
    let number_blocks = match &request.want_numbers {
        Some(want) => numbers::grant(sql, auth, want)?,
        None => vec![],
    };
    let response = SyncResponse {
        protocol: PROTOCOL_VERSION,
        acks: answers.acks,
        items: page.items,
        cursor: page.cursor,
        more: page.more,
        reset: page.reset,
        number_blocks,
        reference: Some(reference),
    };
    Ok((response, answers.hashes, tally))
}
