//! Trips on the server: the crew's handover and the plant operator's countersignature are
//! checked as a pair against the keys the two devices registered at enrollment, and a
//! disposal's place is checked again against the town's own plants — a device's own geofence
//! check is evidence, not proof (its reference data may be old, its clock or app tampered with).
//!
//! The rules are the core's ([`wardbook::domain::custody::check_pair`],
//! [`wardbook::geo::disposal_site`]); this module finds the keys and keeps the flags.

use wardbook::domain::custody::check_pair_any;
use wardbook::domain::fsm::Trip;
use wardbook::domain::reference::DeviceKeyRef;
use wardbook::domain::{Body, Record, ReferenceData, Role};
use wardbook::ids::RecordId;
use wardbook::ledger::PublicKey;

use crate::db::now_ms;
use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// The flag a disposal outside every plant's geofence gets.
pub const POSSIBLE_DUMPING: &str = "possible_illegal_dumping";

/// Something the server flagged on a record for a supervisor.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Flag {
    pub record: RecordId,
    pub code: String,
    pub reason: String,
    pub flagged_at: i64,
}

fn trip(record: &Record) -> Option<&Trip> {
    match &record.body {
        Body::Trip(t) => Some(t),
        _ => None,
    }
}

/// The registered keys of `tenant`'s devices whose user holds `role` (with this key id, when
/// one is given), as (key id, base64url key) pairs.
fn registered_keys(
    conn: &mut dyn Sql,
    tenant: &str,
    key_id: Option<&str>,
    role: Role,
) -> Result<Vec<(String, String)>, AppError> {
    let rows = conn.rows(
        "SELECT d.key_id, d.public_key, u.roles FROM devices d JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
         WHERE d.tenant = ?1 AND (?2 = '' OR d.key_id = ?2) AND d.public_key IS NOT NULL AND d.key_id IS NOT NULL
         ORDER BY d.key_id, d.id",
        params![tenant, key_id.unwrap_or("")],
    )?;
    let mut out = Vec::new();
    for row in rows {
        let roles: Vec<Role> = serde_json::from_str(&row.text(2)?)
            .map_err(|e| AppError::Internal(format!("stored roles are unreadable: {e}")))?;
        if roles.contains(&role) {
            out.push((row.text(0)?, row.text(1)?));
        }
    }
    Ok(out)
}

/// The keys of `tenant`'s devices whose key id is `key_id` and whose user holds `role`.
fn keys(conn: &mut dyn Sql, tenant: &str, key_id: &str, role: Role) -> Result<Vec<PublicKey>, AppError> {
    Ok(registered_keys(conn, tenant, Some(key_id), role)?
        .iter()
        .filter_map(|(_, key)| wardbook::ledger::decode_public_key(key))
        .collect())
}

/// The public keys of the town's crew and plant operator devices, as devices download them
/// with the reference data: the plant gate has no network, so each phone checks the other's
/// signature against these. The same devices [`check`] accepts; only key ids and public keys.
pub fn served_keys(conn: &mut dyn Sql, tenant: &str) -> Result<(Vec<DeviceKeyRef>, Vec<DeviceKeyRef>), AppError> {
    let list = |pairs: Vec<(String, String)>| {
        pairs.into_iter().map(|(key_id, public_key)| DeviceKeyRef { key_id, public_key }).collect()
    };
    Ok((
        list(registered_keys(conn, tenant, None, Role::SanitationCrew)?),
        list(registered_keys(conn, tenant, None, Role::FstpOperator)?),
    ))
}

/// The parts of a trip its custody pair speaks about.
fn custody_view(t: &Trip) -> impl PartialEq + '_ {
    (&t.custody, &t.disposal, t.pickup.as_ref().map(|p| p.volume_litres), &t.vehicle)
}

/// Checks a trip's custody pair when a change touches it (the handover, the countersignature,
/// the disposal, the pickup volume or the vehicle). `Some((code, reason))` refuses the change.
pub fn check(
    conn: &mut dyn Sql,
    tenant: &str,
    before: Option<&Record>,
    after: &Record,
) -> Result<Option<(&'static str, String)>, AppError> {
    let Some(t) = trip(after) else { return Ok(None) };
    let Some(custody) = &t.custody else { return Ok(None) };
    if before.and_then(trip).is_some_and(|b| custody_view(b) == custody_view(t)) {
        return Ok(None);
    }
    let crew = keys(conn, tenant, &custody.handover.key_id, Role::SanitationCrew)?;
    let operator = match &custody.countersign {
        Some(c) => keys(conn, tenant, &c.key_id, Role::FstpOperator)?,
        None => vec![],
    };
    Ok(check_pair_any(after, &crew, &operator).err().map(|e| (e.code, e.reason)))
}

/// Checks a trip's disposal against the town's plants when the change recorded or moved it:
/// outside every geofence flags the trip [`POSSIBLE_DUMPING`] (saying what the device claimed);
/// inside clears that flag.
pub fn recheck_disposal(
    conn: &mut dyn Sql,
    tenant: &str,
    refs: &ReferenceData,
    before: Option<&Record>,
    after: &Record,
) -> Result<(), AppError> {
    let Some(disposal) = trip(after).and_then(|t| t.disposal.as_ref()) else { return Ok(()) };
    let Some(point) = &disposal.location else { return Ok(()) };
    let unchanged =
        before.and_then(trip).and_then(|t| t.disposal.as_ref()).is_some_and(|b| b.location == disposal.location);
    if unchanged {
        return Ok(());
    }
    let site = wardbook::geo::disposal_site(refs, point);
    let key = after.id.to_string();
    if site.inside {
        conn.exec(
            "DELETE FROM flags WHERE tenant = ?1 AND record = ?2 AND code = ?3",
            params![tenant, &key, POSSIBLE_DUMPING],
        )?;
        return Ok(());
    }
    let nearest = match (&site.fstp, site.distance_to_nearest_m.is_finite()) {
        (Some(f), true) => format!("{:.0} m outside the geofence of {f}", site.distance_to_nearest_m),
        _ => "and the town has no plant with a usable geofence".to_string(),
    };
    let claim = match &disposal.geofence {
        Some(g) if g.inside => {
            format!("; the device said inside {}", g.fstp.as_deref().unwrap_or("a plant"))
        }
        Some(_) => "; the device said outside too".to_string(),
        None => "; the device made no geofence check".to_string(),
    };
    let reason = format!("disposal at {:.6}, {:.6} is {nearest}{claim}", point.lat, point.lon);
    flag(conn, tenant, after.id, POSSIBLE_DUMPING, &reason)
}

/// Flags a record for a supervisor (once per code; the latest reason wins).
pub fn flag(conn: &mut dyn Sql, tenant: &str, record: RecordId, code: &str, reason: &str) -> Result<(), AppError> {
    conn.exec(
        "INSERT INTO flags (tenant, record, code, reason, flagged_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant, record, code) DO UPDATE SET reason = excluded.reason, flagged_at = excluded.flagged_at",
        params![tenant, record.to_string(), code, reason, now_ms()],
    )?;
    Ok(())
}

/// What the server flagged in `tenant` (on one record, or all), oldest first.
pub fn flags(conn: &mut dyn Sql, tenant: &str, record: Option<RecordId>) -> Result<Vec<Flag>, AppError> {
    let rows = conn.rows(
        "SELECT record, code, reason, flagged_at FROM flags
         WHERE tenant = ?1 AND (?2 = '' OR record = ?2) ORDER BY flagged_at, record, code",
        params![tenant, record.map(|r| r.to_string()).unwrap_or_default()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Flag {
                record: r.text(0)?.parse().map_err(|e: uuid::Error| AppError::Internal(e.to_string()))?,
                code: r.text(1)?,
                reason: r.text(2)?,
                flagged_at: r.int(3)?,
            })
        })
        .collect()
}
