//! The server's SQLite store: one file in the data directory, created on first start.
//! Tenants, users and devices (admin), tokens (auth), and the change log (see `ingest` and
//! `feed`). Every query names its tenant.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine;
use rand::RngCore;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use wardbook::domain::access::Scope;
use wardbook::domain::reference::User;
use wardbook::domain::{ReferenceData, Role};
use wardbook::ids::{DeviceId, UserId};
use wardbook::sync::client::Enrollment;

use crate::error::AppError;

const MIGRATIONS: &[&str] = &[include_str!("../../migrations/server-sqlite/0001_init.sql")];
/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long an enrollment code stays valid.
const CODE_LIFETIME_MS: i64 = 7 * 24 * 3600 * 1000;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

/// Errors of admin commands, worded for the engineer at the terminal.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("no town {0}; add it with `wardbook-server tenant add`")]
    UnknownTenant(String),
    #[error("town {0} already exists")]
    TenantExists(String),
    #[error("no user {user} in {tenant}")]
    UnknownUser { tenant: String, user: String },
    #[error("no device {0}")]
    UnknownDevice(String),
    #[error(
        "the database {path} has schema version {found}, newer than this server knows ({supported}); run a newer wardbook-server"
    )]
    NewerSchema { path: String, found: i64, supported: i64 },
    #[error(transparent)]
    Database(#[from] rusqlite::Error),
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

/// The shared handle on the server's database.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database file.
    pub fn open(path: &Path) -> Result<Db, AdminError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The server is the system of record: an acknowledged change survives a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn, &path.display().to_string())?;
        Ok(Db { conn: Arc::new(Mutex::new(conn)) })
    }

    /// The connection, for one unit of work. Writers are serialized here, which is also what
    /// keeps log sequence numbers gap-free and committed in order.
    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs blocking database work off the async runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&mut db.lock())).await?
    }
}

/// Applies pending migrations; refuses a database newer than this build.
pub fn migrate(conn: &mut Connection, path: &str) -> Result<(), AdminError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(AdminError::NewerSchema { path: path.into(), found, supported: SCHEMA_VERSION });
    }
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Adds a town with its reference data; the users in `refs` are added too.
pub fn tenant_add(conn: &mut Connection, id: &str, name: &str, refs: &ReferenceData) -> Result<(), AdminError> {
    let tx = conn.transaction()?;
    let exists: bool = tx.query_row("SELECT COUNT(*) > 0 FROM tenants WHERE id = ?1", [id], |r| r.get(0))?;
    if exists {
        return Err(AdminError::TenantExists(id.into()));
    }
    let mut stored = refs.clone();
    stored.users.clear();
    tx.execute(
        "INSERT INTO tenants (id, name, reference) VALUES (?1, ?2, ?3)",
        params![id, name, serde_json::to_string(&stored).expect("reference data serializes")],
    )?;
    for user in &refs.users {
        insert_user(&tx, id, user)?;
    }
    tx.commit()?;
    Ok(())
}

fn insert_user(conn: &Connection, tenant: &str, user: &User) -> Result<(), AdminError> {
    let known: bool = conn.query_row("SELECT COUNT(*) > 0 FROM tenants WHERE id = ?1", [tenant], |r| r.get(0))?;
    if !known {
        return Err(AdminError::UnknownTenant(tenant.into()));
    }
    conn.execute(
        "INSERT INTO users (tenant, id, name, roles, wards) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, roles = excluded.roles, wards = excluded.wards",
        params![
            tenant,
            user.id.to_string(),
            user.name,
            serde_json::to_string(&user.roles).expect("roles serialize"),
            serde_json::to_string(&user.wards).expect("wards serialize"),
        ],
    )?;
    Ok(())
}

/// Adds (or updates) a member of staff.
pub fn user_add(conn: &mut Connection, tenant: &str, user: &User) -> Result<(), AdminError> {
    insert_user(conn, tenant, user)
}

/// Registers a device for a user and returns its id and one-time enrollment code.
pub fn device_enroll(conn: &mut Connection, tenant: &str, user: UserId) -> Result<(DeviceId, String), AdminError> {
    let known: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM users WHERE tenant = ?1 AND id = ?2",
        params![tenant, user.to_string()],
        |r| r.get(0),
    )?;
    if !known {
        return Err(AdminError::UnknownUser { tenant: tenant.into(), user: user.to_string() });
    }
    let code = new_code();
    let device = DeviceId::new();
    conn.execute(
        "INSERT INTO devices (id, tenant, user_id, code_hash, code_expires, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![device.to_string(), tenant, user.to_string(), sha256(&normalize_code(&code)), now_ms() + CODE_LIFETIME_MS, now_ms()],
    )?;
    Ok((device, code))
}

/// Revokes a device: its next request is refused.
pub fn device_revoke(conn: &mut Connection, device: &str) -> Result<(), AdminError> {
    let n = conn.execute(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2), code_hash = NULL WHERE id = ?1",
        params![device, now_ms()],
    )?;
    if n == 0 { Err(AdminError::UnknownDevice(device.into())) } else { Ok(()) }
}

pub fn device_list(conn: &Connection, tenant: Option<&str>) -> Result<Vec<DeviceInfo>, AdminError> {
    let mut stmt = conn.prepare(
        "SELECT id, tenant, user_id, name, token_hash IS NOT NULL, revoked_at IS NOT NULL, last_seen_at
         FROM devices WHERE ?1 IS NULL OR tenant = ?1 ORDER BY tenant, created_at",
    )?;
    let rows = stmt.query_map([tenant], |r| {
        Ok(DeviceInfo {
            id: r.get(0)?,
            tenant: r.get(1)?,
            user_id: r.get(2)?,
            name: r.get(3)?,
            enrolled: r.get(4)?,
            revoked: r.get(5)?,
            last_seen_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
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
pub fn enroll(conn: &mut Connection, code: &str, device_name: &str) -> Result<Enrollment, AppError> {
    let tx = conn.transaction()?;
    let found: Option<(String, String, String, i64)> = tx
        .query_row(
            "SELECT id, tenant, user_id, code_expires FROM devices WHERE code_hash = ?1 AND revoked_at IS NULL",
            [sha256(&normalize_code(code))],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((device, tenant, user_id, expires)) = found else {
        return Err(AppError::InvalidEnrollmentCode);
    };
    if expires < now_ms() {
        return Err(AppError::InvalidEnrollmentCode);
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("wbk_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    tx.execute(
        "UPDATE devices SET code_hash = NULL, token_hash = ?2, name = ?3, enrolled_at = ?4 WHERE id = ?1",
        params![device, sha256(&token), device_name, now_ms()],
    )?;
    let user_name: String =
        tx.query_row("SELECT name FROM users WHERE tenant = ?1 AND id = ?2", params![tenant, user_id], |r| r.get(0))?;
    tx.commit()?;
    Ok(Enrollment { device_id: device, token, tenant, user_id, user_name })
}

/// The device behind a bearer token, checked on every request (so revocation is immediate).
pub fn authenticate(conn: &Connection, token: &str) -> Result<DeviceAuth, AppError> {
    let found: Option<(String, String, String, Option<i64>, String, String)> = conn
        .query_row(
            "SELECT d.id, d.tenant, d.user_id, d.revoked_at, u.roles, u.wards
             FROM devices d JOIN users u ON u.tenant = d.tenant AND u.id = d.user_id
             WHERE d.token_hash = ?1",
            [sha256(token)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    let (device, tenant, user, revoked, roles, wards) = found.ok_or(AppError::UnknownToken)?;
    if revoked.is_some() {
        return Err(AppError::DeviceRevoked);
    }
    conn.execute("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", params![device, now_ms()])?;
    let bad = |e: String| AppError::Internal(format!("device {device}: {e}"));
    let roles: Vec<Role> = serde_json::from_str(&roles).map_err(|e| bad(e.to_string()))?;
    Ok(DeviceAuth {
        device: device.parse().map_err(|e: uuid::Error| bad(e.to_string()))?,
        scope: Scope {
            tenant,
            user: user.parse().map_err(|e: uuid::Error| bad(e.to_string()))?,
            roles,
            wards: serde_json::from_str(&wards).map_err(|e| bad(e.to_string()))?,
        },
    })
}

/// A town's reference data, with its users, as devices download it.
pub fn reference(conn: &Connection, tenant: &str) -> Result<ReferenceData, AppError> {
    let json: String = conn
        .query_row("SELECT reference FROM tenants WHERE id = ?1", [tenant], |r| r.get(0))
        .optional()?
        .ok_or(AppError::NotFound)?;
    let mut refs: ReferenceData = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut stmt = conn.prepare("SELECT id, name, roles, wards FROM users WHERE tenant = ?1 ORDER BY name")?;
    let rows = stmt.query_map([tenant], |r| {
        Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    for row in rows {
        let (id, name, roles, wards) = row?;
        let bad = |e: &dyn std::fmt::Display| AppError::Internal(format!("user {id}: {e}"));
        refs.users.push(User {
            id: id.parse().map_err(|e| bad(&e))?,
            name,
            roles: serde_json::from_str(&roles).map_err(|e| bad(&e))?,
            wards: serde_json::from_str(&wards).map_err(|e| bad(&e))?,
        });
    }
    Ok(refs)
}

/// A record's merged document, if the device's scope covers it; otherwise `NotFound`, the
/// same answer as for a record that does not exist (no probing across wards or towns).
pub fn record_doc(conn: &Connection, auth: &DeviceAuth, id: wardbook::ids::RecordId) -> Result<Vec<u8>, AppError> {
    let row: Option<(String, Option<String>, Vec<u8>)> = conn
        .query_row(
            "SELECT kind, ward, doc FROM records WHERE tenant = ?1 AND id = ?2",
            params![auth.scope.tenant, id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    match row {
        Some((kind, ward, doc)) if kind.parse().is_ok_and(|k| auth.scope.can_see(k, ward.as_deref())) => Ok(doc),
        _ => Err(AppError::NotFound),
    }
}
