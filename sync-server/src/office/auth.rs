//! Office sign-in, apart from device tokens: logins with an Argon2id password, a lockout whose
//! delay doubles with every failure past the free ones, sessions kept by the SHA-256 of their
//! token (any instance on the database accepts them), a CSRF token derived from the session,
//! and the `Origin` check every form post passes.
//!
//! The usual flow: `wardbook-server user password` sets a login ([`set_password`]); the sign-in
//! form counts the attempt as a failure and reads the hash ([`begin_sign_in`]), the password is
//! checked off the database transaction ([`check_password`]), and [`finish_sign_in`] opens a
//! session for a right one; each page then finds its [`OfficeAuth`] by the cookie ([`authenticate`]) and asks it
//! for the [`Scope`] of a town ([`OfficeAuth::scope_for`]) — the same scope devices are judged
//! by, so an office page shows what a device of that user would receive, never more.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use wardbook::domain::Role;
use wardbook::domain::access::Scope;
use wardbook::ids::{UserId, WardCode};

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// How long a session lasts from sign-in.
pub const SESSION_LIFETIME_MS: i64 = 12 * 3600 * 1000;
/// The longest a lockout lasts, however many failures.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(3600);
/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "wb_session";
/// The cookie that carries the sign-in form's CSRF token (before there is a session).
pub const SIGN_IN_COOKIE: &str = "wb_signin";

/// What an office login may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfficeRole {
    /// A town's supervisor: their town, their wards.
    Supervisor,
    /// A town's admin: the whole town.
    Admin,
    /// A state official: every town of the state, read only.
    State,
}

impl OfficeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeRole::Supervisor => "supervisor",
            OfficeRole::Admin => "admin",
            OfficeRole::State => "state",
        }
    }
}

impl std::str::FromStr for OfficeRole {
    type Err = AppError;
    fn from_str(s: &str) -> Result<OfficeRole, AppError> {
        match s {
            "supervisor" => Ok(OfficeRole::Supervisor),
            "admin" => Ok(OfficeRole::Admin),
            "state" => Ok(OfficeRole::State),
            other => Err(AppError::BadRequest(format!("an office role is supervisor, admin or state, not {other:?}"))),
        }
    }
}

/// Who a login is: a user of a town, or an official of a state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    Town { tenant: String, user: UserId },
    State { state: String },
}

/// The delays of failed sign-ins: `free` failures cost nothing, the next locks the login for
/// `base`, and each further failure doubles it, up to [`MAX_LOCKOUT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lockout {
    pub free: u32,
    pub base: Duration,
}

impl Lockout {
    /// How long the login stays locked after its `failures`-th failure in a row.
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        let doublings = failures.checked_sub(self.free)?.checked_sub(1)?;
        Some(self.base.saturating_mul(1u32 << doublings.min(20)).min(MAX_LOCKOUT))
    }
}

fn sha256(text: &str) -> Vec<u8> {
    Sha256::digest(text.as_bytes()).to_vec()
}

fn random_token(prefix: &str) -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret))
}

/// A login name as typed: trimmed, lower case; 3 to 64 of `a-z 0-9 . _ -`.
pub fn clean_login(login: &str) -> Result<String, AppError> {
    let login = login.trim().to_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(login)
    } else {
        Err(AppError::BadRequest(format!(
            "a login name has 3 to 64 letters, digits, dots, dashes or underscores, not {login:?}"
        )))
    }
}

/// The rules a new password keeps: 10 to 256 characters.
pub fn check_new_password(password: &str) -> Result<(), AppError> {
    match password.chars().count() {
        0..10 => Err(AppError::BadRequest("a password needs at least 10 characters".into())),
        257.. => Err(AppError::BadRequest("a password may have at most 256 characters".into())),
        _ => Ok(()),
    }
}

/// An Argon2id PHC string of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches the PHC string `stored` (`None`: no such login; a hash is still
/// computed so that an unknown login takes as long as a wrong password).
pub fn check_password(stored: Option<&str>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
    let known = stored.is_some();
    let Ok(hash) = PasswordHash::new(stored.unwrap_or(dummy)) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &hash).is_ok() && known
}

/// Sets (or replaces) the password of `login`, held by `holder` in `role`; every session of
/// the login ends. A town's supervisor or admin must be a user of the town with that role.
pub fn set_password(
    sql: &mut dyn Sql,
    login: &str,
    role: OfficeRole,
    holder: &Holder,
    password: &str,
) -> Result<(), AppError> {
    let login = clean_login(login)?;
    check_new_password(password)?;
    let (tenant, user, state) = match (role, holder) {
        (OfficeRole::State, Holder::State { state }) => {
            let ok = !state.is_empty() && state.len() <= 16 && state.bytes().all(|b| b.is_ascii_lowercase());
            if !ok {
                return Err(AppError::BadRequest(format!(
                    "a state is the lower-case letters before the dot of its towns' ids (pb for pb.nabha), not {state:?}"
                )));
            }
            (None, None, Some(state.clone()))
        }
        (OfficeRole::Supervisor | OfficeRole::Admin, Holder::Town { tenant, user }) => {
            let row = sql
                .row("SELECT roles FROM users WHERE tenant = ?1 AND id = ?2", params![tenant, user.to_string()])?
                .ok_or_else(|| AppError::UnknownUser { tenant: tenant.clone(), user: user.to_string() })?;
            let roles: Vec<Role> = serde_json::from_str(&row.text(0)?)
                .map_err(|e| AppError::Internal(format!("stored roles are unreadable: {e}")))?;
            let needed = if role == OfficeRole::Admin { Role::Admin } else { Role::Supervisor };
            if !roles.contains(&needed) {
                return Err(AppError::BadRequest(format!(
                    "user {user} of {tenant} does not hold the {needed} role; add it with `user add --role {needed}` first"
                )));
            }
            (Some(tenant.clone()), Some(user.to_string()), None)
        }
        (OfficeRole::State, Holder::Town { .. }) => {
            return Err(AppError::BadRequest(
                "the state role belongs to a state (--state), not to a town's user".into(),
            ));
        }
        (_, Holder::State { .. }) => {
            return Err(AppError::BadRequest(format!(
                "the {} role belongs to a town's user (--tenant, --user)",
                role.as_str()
            )));
        }
    };
    sql.exec(
        "INSERT INTO office_logins (login, role, tenant, user_id, state, password_hash, failures, locked_until, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7)
         ON CONFLICT (login) DO UPDATE SET role = excluded.role, tenant = excluded.tenant, user_id = excluded.user_id,
             state = excluded.state, password_hash = excluded.password_hash, failures = 0, locked_until = 0,
             updated_at = excluded.updated_at",
        params![&login, role.as_str(), tenant, user, state, hash_password(password)?, crate::db::now_ms()],
    )?;
    sql.exec("DELETE FROM office_sessions WHERE login = ?1", params![&login])?;
    Ok(())
}

/// A login as the sign-in form finds it.
#[derive(Clone, Debug)]
pub struct Found {
    pub login: String,
    /// The PHC string; `None` when there is no such login.
    pub hash: Option<String>,
    /// Milliseconds until the login may try again (0: now).
    pub locked_for: i64,
}

/// Step one of a sign-in: unless the login is locked, the attempt is counted as a failure now
/// (locking the login as `lockout` says) and the hash returned; a right password undoes it in
/// [`finish_sign_in`]. So guesses sent in parallel cannot outrun the lockout: each takes its
/// turn at the login's row before any password is checked.
pub fn begin_sign_in(sql: &mut dyn Sql, login: &str, lockout: Lockout, now: i64) -> Result<Found, AppError> {
    let login = login.trim().to_lowercase();
    let counted = sql.exec(
        "UPDATE office_logins SET failures = failures + 1 WHERE login = ?1 AND locked_until <= ?2",
        params![&login, now],
    )?;
    let row =
        sql.row("SELECT password_hash, failures, locked_until FROM office_logins WHERE login = ?1", params![&login])?;
    let Some(row) = row else { return Ok(Found { login, hash: None, locked_for: 0 }) };
    if counted == 0 {
        return Ok(Found { login, hash: None, locked_for: (row.int(2)? - now).max(1) });
    }
    let failures = u32::try_from(row.int(1)?).unwrap_or(u32::MAX);
    if let Some(delay) = lockout.delay_after(failures) {
        sql.exec(
            "UPDATE office_logins SET locked_until = ?2 WHERE login = ?1",
            params![&login, now + delay.as_millis() as i64],
        )?;
    }
    Ok(Found { login, hash: Some(row.text(0)?), locked_for: 0 })
}

/// How a sign-in ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    /// A new session: its token goes into the cookie, never into the database.
    Session { token: String },
    /// Wrong login or password; the login (if it exists) counted one more failure.
    Refused,
    /// The login is locked for this many more seconds (rounded up).
    Locked { retry_after: u64 },
}

/// Step three, once the password was checked off the transaction: a wrong one stays counted;
/// a right one clears the failures and opens a session.
pub fn finish_sign_in(sql: &mut dyn Sql, found: &Found, matched: bool, now: i64) -> Result<SignIn, AppError> {
    if found.hash.is_none() || !matched {
        return Ok(SignIn::Refused);
    }
    sql.exec("UPDATE office_logins SET failures = 0, locked_until = 0 WHERE login = ?1", params![&found.login])?;
    sql.exec("DELETE FROM office_sessions WHERE login = ?1 AND expires_at <= ?2", params![&found.login, now])?;
    let token = random_token("wbs_");
    sql.exec(
        "INSERT INTO office_sessions (token_hash, login, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![sha256(&token), &found.login, now, now + SESSION_LIFETIME_MS],
    )?;
    Ok(SignIn::Session { token })
}

/// A signed-in member of the office.
#[derive(Clone, Debug)]
pub struct OfficeAuth {
    pub login: String,
    pub role: OfficeRole,
    pub holder: Holder,
    /// The town user's name (the login for a state official).
    pub name: String,
    /// The town user's wards (empty: the whole town).
    pub wards: Vec<WardCode>,
    /// The session's CSRF token, for the forms of its pages.
    pub csrf: String,
}

/// The CSRF token of a session: derived from its token, so the database never holds it.
pub fn csrf_of(token: &str) -> String {
    hex::encode(&Sha256::digest(format!("wardbook office csrf\0{token}").as_bytes())[..20])
}

/// Whether two tokens are equal, comparing every byte.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The member of the office behind a session token; a town's user must still hold the role
/// the login was given (a supervisor demoted in `user add` is signed out).
pub fn authenticate(sql: &mut dyn Sql, token: &str, now: i64) -> Result<OfficeAuth, AppError> {
    let row = sql
        .row(
            "SELECT l.login, l.role, l.tenant, l.user_id, l.state, u.name, u.roles, u.wards
             FROM office_sessions s JOIN office_logins l ON l.login = s.login
             LEFT JOIN users u ON u.tenant = l.tenant AND u.id = l.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            params![sha256(token), now],
        )?
        .ok_or(AppError::SignInRequired)?;
    let login = row.text(0)?;
    let role: OfficeRole = row.text(1)?.parse()?;
    let json = |i: usize| -> Result<String, AppError> { Ok(row.opt_text(i)?.unwrap_or_else(|| "[]".into())) };
    let roles: Vec<Role> =
        serde_json::from_str(&json(6)?).map_err(|e| AppError::Internal(format!("stored roles: {e}")))?;
    let wards: Vec<WardCode> =
        serde_json::from_str(&json(7)?).map_err(|e| AppError::Internal(format!("stored wards: {e}")))?;
    let holder = match role {
        OfficeRole::State => Holder::State { state: row.text(4)? },
        OfficeRole::Supervisor | OfficeRole::Admin => {
            let needed = if role == OfficeRole::Admin { Role::Admin } else { Role::Supervisor };
            if !roles.contains(&needed) {
                return Err(AppError::SignInRequired);
            }
            let user = row.text(3)?.parse().map_err(|e| AppError::Internal(format!("stored user id: {e}")))?;
            Holder::Town { tenant: row.text(2)?, user }
        }
    };
    let name = row.opt_text(5)?.unwrap_or_else(|| login.clone());
    Ok(OfficeAuth { login, role, holder, name, wards, csrf: csrf_of(token) })
}

/// Ends a session.
pub fn sign_out(sql: &mut dyn Sql, token: &str) -> Result<(), AppError> {
    sql.exec("DELETE FROM office_sessions WHERE token_hash = ?1", params![sha256(token)])?;
    Ok(())
}

impl OfficeAuth {
    /// The town a page is about when it names none: the holder's own (a state official's first
    /// town, found by the caller).
    pub fn home_town(&self) -> Option<&str> {
        match &self.holder {
            Holder::Town { tenant, .. } => Some(tenant),
            Holder::State { .. } => None,
        }
    }

    /// What this member of the office sees of `town`: the core's device [`Scope`] of the town's
    /// user as a supervisor (in their wards), the whole town for an admin and for an official
    /// of the town's state. Another town answers `NotFound`, as a record out of scope does.
    pub fn scope_for(&self, town: &str) -> Result<Scope, AppError> {
        let (user, wards) = match &self.holder {
            Holder::Town { tenant, user } if tenant == town => {
                let wards = if self.role == OfficeRole::Supervisor { self.wards.clone() } else { vec![] };
                (*user, wards)
            }
            Holder::State { state } if town.split_once('.').is_some_and(|(s, _)| s == state) => {
                (UserId(uuid::Uuid::nil()), vec![])
            }
            _ => return Err(AppError::NotFound),
        };
        Ok(Scope { tenant: town.to_string(), user, roles: vec![Role::Supervisor], wards })
    }
}

/// Refuses a form post whose `Origin` is not this server: the origin must be given, and its
/// host (with port) must be the request's `Host`.
pub fn check_origin(origin: Option<&str>, host: Option<&str>) -> Result<(), AppError> {
    let (Some(origin), Some(host)) = (origin, host) else { return Err(AppError::BadOrigin) };
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    match authority {
        Some(a) if a.eq_ignore_ascii_case(host.trim()) => Ok(()),
        _ => Err(AppError::BadOrigin),
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// A `Set-Cookie` value for the office: `HttpOnly; Secure; SameSite=Strict`, path `/office`.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/office; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Strict")
}

/// A fresh token for the sign-in form.
pub fn new_sign_in_token() -> String {
    random_token("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lockout_doubles_after_the_free_failures() {
        let l = Lockout { free: 3, base: Duration::from_secs(30) };
        let delays: Vec<Option<u64>> = (1..=7).map(|n| l.delay_after(n).map(|d| d.as_secs())).collect();
        assert_eq!(delays, [None, None, None, Some(30), Some(60), Some(120), Some(240)]);
        assert_eq!(l.delay_after(40), Some(MAX_LOCKOUT));
    }

    #[test]
    fn the_origin_must_be_this_server() {
        assert!(check_origin(Some("http://127.0.0.1:8480"), Some("127.0.0.1:8480")).is_ok());
        assert!(check_origin(Some("https://office.nabha.gov.in"), Some("office.nabha.gov.in")).is_ok());
        assert!(check_origin(Some("https://evil.example"), Some("office.nabha.gov.in")).is_err());
        assert!(check_origin(Some("null"), Some("office.nabha.gov.in")).is_err());
        assert!(check_origin(None, Some("office.nabha.gov.in")).is_err());
    }

    #[test]
    fn passwords_are_argon2id_and_checked() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(check_password(Some(&hash), "correct horse battery"));
        assert!(!check_password(Some(&hash), "correct horse batter"));
        assert!(!check_password(None, "not a password of anyone"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let header = Some("a=1; wb_session=wbs_x; wb_lang=hi");
        assert_eq!(cookie(header, SESSION_COOKIE), Some("wbs_x"));
        assert_eq!(cookie(header, "wb_lang"), Some("hi"));
        assert_eq!(cookie(header, "b"), None);
    }
}
