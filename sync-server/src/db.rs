//! Towns, staff, devices and tokens: the admin commands, enrollment and authentication, written
//! once against [`Sql`] for both backends. Every query names its tenant.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use wardbook::domain::ReferenceData;
use wardbook::domain::access::Scope;
use wardbook::domain::reference::User;
use wardbook::ids::{DeviceId, RecordId, UserId};
use wardbook::wire::Enrollment;

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// How long an enrollment code stays valid.
const CODE_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("plain data serializes")
}

fn parse_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|e| AppError::Internal(format!("stored {what} is unreadable: {e}")))
}

fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, AppError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e| AppError::Internal(format!("stored id {text} is unreadable: {e}")))
}

/// A device as `device list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceInfo {
    pub id: String,
    pub tenant: String,
    pub user_id: String,
    pub name: Option<String>,
    pub enrolled: bool,
    pub revoked: bool,
    pub last_seen_at: Option<i64>,
}

/// An authenticated device: who it is and what it may see and write.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device: DeviceId,
    pub scope: Scope,
}

fn tenant_exists(sql: &mut dyn Sql, tenant: &str) -> Result<bool, AppError> {
    sql.exists("SELECT 1 FROM tenants WHERE id = ?1", params![tenant])
}

/// Adds a town with its reference data; the users in `refs` are added too.
pub fn tenant_add(sql: &mut dyn Sql, id: &str, name: &str, refs: &ReferenceData) -> Result<(), AppError> {
    crate::guard::check_tenant_id(id)?;
    if tenant_exists(sql, id)? {
        return Err(AppError::TenantExists(id.into()));
    }
    let mut stored = refs.clone();
    stored.users.clear();
    sql.exec(
        "INSERT INTO tenants (id, name, reference, epoch) VALUES (?1, ?2, ?3, ?4)",
        params![id, name, json(&stored), new_epoch()],
    )?;
    for user in &refs.users {
        user_add(sql, id, user)?;
    }
    Ok(())
}

fn new_epoch() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// After a backup was restored: every town's log starts a new epoch, so every device sends
/// again what it has (the server keeps what it lacks, answers `duplicate` for the rest) and
/// reads its scope afresh. Returns how many towns were marked.
pub fn restored(sql: &mut dyn Sql) -> Result<u64, AppError> {
    let towns: Vec<String> =
        sql.rows("SELECT id FROM tenants", &[])?.iter().map(|r| r.text(0)).collect::<Result<_, _>>()?;
    for town in &towns {
        sql.exec("UPDATE tenants SET epoch = ?2 WHERE id = ?1", params![town, new_epoch()])?;
    }
    Ok(towns.len() as u64)
}

/// Adds (or updates) a member of staff.
pub fn user_add(sql: &mut dyn Sql, tenant: &str, user: &User) -> Result<(), AppError> {
    if !tenant_exists(sql, tenant)? {
        return Err(AppError::UnknownTenant(tenant.into()));
    }
    sql.exec(
        "INSERT INTO users (tenant, id, name, roles, wards) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, roles = excluded.roles, wards = excluded.wards",
        params![tenant, user.id.to_string(), &user.name, json(&user.roles), json(&user.wards)],
    )?;
    Ok(())
}

/// Registers a device for a user and returns its id and one-time enrollment code.
pub fn device_enroll(sql: &mut dyn Sql, tenant: &str, user: UserId) -> Result<(DeviceId, String), AppError> {
    if !sql.exists("SELECT 1 FROM users WHERE tenant = ?1 AND id = ?2", params![tenant, user.to_string()])? {
        return Err(AppError::UnknownUser { tenant: tenant.into(), user: user.to_string() });
    }
    let code = new_code();
    let device = DeviceId::new();
    sql.exec(
        "INSERT INTO devices (id, tenant, user_id, code_hash, code_expires, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            device.to_string(),
            tenant,
            user.to_string(),
            sha256(&normalize_code(&code)),
            now_ms() + CODE_LIFETIME_MS,
            now_ms()
        ],
    )?;
    Ok((device, code))
}

/// Revokes a device: its next request is refused.
pub fn device_revoke(sql: &mut dyn Sql, device: &str) -> Result<(), AppError> {
    let n = sql.exec(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2), code_hash = NULL WHERE id = ?1",
        params![device, now_ms()],
    )?;
    if n == 0 { Err(AppError::UnknownDevice(device.into())) } else { Ok(()) }
}

pub fn device_list(sql: &mut dyn Sql, tenant: Option<&str>) -> Result<Vec<DeviceInfo>, AppError> {
    let rows = sql.rows(
        "SELECT id, tenant, user_id, name, token_hash IS NOT NULL, revoked_at IS NOT NULL, last_seen_at
         FROM devices WHERE CAST(?1 AS TEXT) IS NULL OR tenant = ?1 ORDER BY tenant, created_at",
        params![tenant],
    )?;
    rows.iter()
        .map(|r| {
            Ok(DeviceInfo {
                id: r.text(0)?,
                tenant: r.text(1)?,
                user_id: r.text(2)?,
                name: r.opt_text(3)?,
                enrolled: r.bool(4)?,
                revoked: r.bool(5)?,
                last_seen_at: r.opt_int(6)?,
            })
        })
        .collect()
}

/// Ten letters and digits without look-alikes, grouped for reading aloud: `K7PM-Q2XD-9R`.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let chars: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}-{}", &chars[0..4], &chars[4..8], &chars[8..10])
}

fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Exchanges a one-time code for a device token. The code cannot be used again.
pub fn enroll(
    sql: &mut dyn Sql,
    code: &str,
    device_name: &str,
    public_key: Option<&str>,
) -> Result<Enrollment, AppError> {
    let key = match public_key {
        Some(text) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| AppError::BadRequest("public_key is not base64url".into()))?;
            let key = wardbook::ledger::PublicKey::from_bytes(&bytes)
                .map_err(|e| AppError::BadRequest(format!("public_key: {e}")))?;
            Some((text.to_string(), key.key_id()))
        }
        None => None,
    };
    let device_name = crate::guard::clean_device_name(device_name)?;
    let found = sql.row(
        "SELECT d.id, d.tenant, d.user_id, d.code_expires, u.roles
         FROM devices d JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
         WHERE d.code_hash = ?1 AND d.revoked_at IS NULL",
        params![sha256(&normalize_code(code))],
    )?;
    let Some(row) = found else { return Err(AppError::InvalidEnrollmentCode) };
    let (device, tenant, user_id) = (row.text(0)?, row.text(1)?, row.text(2)?);
    if row.int(3)? < now_ms() {
        return Err(AppError::InvalidEnrollmentCode);
    }
    // A collector's device signs the receipts it issues; without its key the server could not
    // tell them from forgeries. The code stays unused, so the device can enroll again with one.
    let roles: Vec<wardbook::domain::Role> = parse_json("roles", &row.text(4)?)?;
    if key.is_none() && roles.contains(&wardbook::domain::Role::Collector) {
        return Err(AppError::SigningKeyRequired);
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("wbk_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    let (public_key, key_id) = key.unzip();
    sql.exec(
        "UPDATE devices SET code_hash = NULL, token_hash = ?2, name = ?3, enrolled_at = ?4, public_key = ?5, key_id = ?6
         WHERE id = ?1",
        params![&device, sha256(&token), &device_name, now_ms(), public_key, key_id],
    )?;
    let user_name = sql
        .row("SELECT name FROM users WHERE tenant = ?1 AND id = ?2", params![&tenant, &user_id])?
        .map(|r| r.text(0))
        .transpose()?
        .unwrap_or_default();
    Ok(Enrollment { device_id: device, token, tenant, user_id, user_name })
}

/// The device behind a bearer token, checked on every request (so revocation is immediate).
pub fn authenticate(sql: &mut dyn Sql, token: &str) -> Result<DeviceAuth, AppError> {
    let row = sql
        .row(
            "SELECT d.id, d.tenant, d.user_id, d.revoked_at, u.roles, u.wards, d.last_seen_at
             FROM devices d JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
             WHERE d.token_hash = ?1",
            params![sha256(token)],
        )?
        .ok_or(AppError::UnknownToken)?;
    if row.opt_int(3)?.is_some() {
        return Err(AppError::DeviceRevoked);
    }
    let device = row.text(0)?;
    // Written at most once a minute: a device syncing page after page does not turn every
    // request's token check into a committed (fsync'd) write.
    let now = now_ms();
    if row.opt_int(6)?.is_none_or(|seen| now - seen >= LAST_SEEN_GRAIN_MS) {
        sql.exec("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", params![&device, now])?;
    }
    Ok(DeviceAuth {
        device: parse_id(&device)?,
        scope: Scope {
            tenant: row.text(1)?,
            user: parse_id(&row.text(2)?)?,
            roles: parse_json("roles", &row.text(4)?)?,
            wards: parse_json("wards", &row.text(5)?)?,
        },
    })
}

/// How fresh a device's `last_seen_at` is kept (milliseconds).
pub const LAST_SEEN_GRAIN_MS: i64 = 60_000;

/// A town's reference data, with its users, as devices download it.
pub fn reference(sql: &mut dyn Sql, tenant: &str) -> Result<ReferenceData, AppError> {
    let row = sql.row("SELECT reference FROM tenants WHERE id = ?1", params![tenant])?.ok_or(AppError::NotFound)?;
    let mut refs: ReferenceData = parse_json("reference data", &row.text(0)?)?;
    for r in
        sql.rows("SELECT id, name, roles, wards FROM users WHERE tenant = ?1 ORDER BY name, id", params![tenant])?
    {
        refs.users.push(User {
            id: parse_id(&r.text(0)?)?,
            name: r.text(1)?,
            roles: parse_json("roles", &r.text(2)?)?,
            wards: parse_json("wards", &r.text(3)?)?,
        });
    }
    Ok(refs)
}

/// The reference data as devices are served it (`refs`, the town's, with the registered crew
/// and operator keys) and its ETag: `GET /v1/reference` answers with both, and every sync
/// answer names the tag, so a device asks for the data only when it changed.
pub fn served_reference(
    sql: &mut dyn Sql,
    tenant: &str,
    mut refs: ReferenceData,
) -> Result<(Vec<u8>, String), AppError> {
    (refs.crew_keys, refs.operator_keys) = crate::custody::served_keys(sql, tenant)?;
    let body = serde_json::to_vec(&refs).map_err(|e| AppError::Internal(format!("reference data: {e}")))?;
    let etag = format!("\"{}\"", hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(&body)[..16]));
    Ok((body, etag))
}

/// The receipt signing key a device registered at enrollment, if it did.
pub fn device_key(sql: &mut dyn Sql, device: &str) -> Result<Option<wardbook::ledger::PublicKey>, AppError> {
    let row = sql.row("SELECT public_key FROM devices WHERE id = ?1", params![device])?;
    let Some(text) = row.map(|r| r.opt_text(0)).transpose()?.flatten() else { return Ok(None) };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&text)
        .map_err(|e| AppError::Internal(format!("stored key of device {device}: {e}")))?;
    wardbook::ledger::PublicKey::from_bytes(&bytes)
        .map(Some)
        .map_err(|e| AppError::Internal(format!("stored key of device {device}: {e}")))
}

/// A record's merged document, if the device's scope covers it; otherwise `NotFound`, the
/// same answer as for a record that does not exist (no probing across wards or towns).
/// Whether a record of the device's town that the device may see names the photo `sha256`.
pub fn blob_visible(sql: &mut dyn Sql, auth: &DeviceAuth, sha256: &str) -> Result<bool, AppError> {
    photo_visible(sql, &auth.scope, sha256)
}

/// Whether a record `scope` may see names the photo `sha256` (devices and the office alike).
pub fn photo_visible(sql: &mut dyn Sql, scope: &Scope, sha256: &str) -> Result<bool, AppError> {
    let rows = sql.rows(
        "SELECT r.kind, r.ward FROM record_blobs b JOIN records r ON r.tenant = b.tenant AND r.id = b.record
         WHERE b.tenant = ?1 AND b.sha256 = ?2",
        params![&scope.tenant, sha256],
    )?;
    for r in rows {
        let ward = r.opt_text(1)?;
        if r.text(0)?.parse().is_ok_and(|k| scope.can_see(k, ward.as_deref())) {
            return Ok(true);
        }
    }
    Ok(false)
}

pub fn record_doc(sql: &mut dyn Sql, auth: &DeviceAuth, id: RecordId) -> Result<Vec<u8>, AppError> {
    let row = sql.row(
        "SELECT kind, ward, doc FROM records WHERE tenant = ?1 AND id = ?2",
        params![&auth.scope.tenant, id.to_string()],
    )?;
    match row {
        Some(r) if r.text(0)?.parse().is_ok_and(|k| auth.scope.can_see(k, r.opt_text(1).ok().flatten().as_deref())) => {
            r.blob(2)
        }
        _ => Err(AppError::NotFound),
    }
}
