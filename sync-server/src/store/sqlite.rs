//! The SQLite backend: one file, one writer at a time. Every transaction takes the write lock
//! up front (`BEGIN IMMEDIATE`), which also serializes log sequence numbers across the server
//! and admin commands running on the same file.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, TryLockError};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, TransactionBehavior, params_from_iter};

use super::{Row, Scope, ServerStore, Sql, Val};
use crate::error::AppError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/server-sqlite/0001_init.sql"),
    include_str!("../../../migrations/server-sqlite/0002_epoch.sql"),
    include_str!("../../../migrations/server-sqlite/0003_ledger.sql"),
    include_str!("../../../migrations/server-sqlite/0004_numbers.sql"),
    include_str!("../../../migrations/server-sqlite/0005_signing.sql"),
    include_str!("../../../migrations/server-sqlite/0006_flags.sql"),
    include_str!("../../../migrations/server-sqlite/0007_hygiene.sql"),
    include_str!("../../../migrations/server-sqlite/0008_trust.sql"),
    include_str!("../../../migrations/server-sqlite/0009_sync_speed.sql"),
    include_str!("../../../migrations/server-sqlite/0010_office.sql"),
    include_str!("../../../migrations/server-sqlite/0011_office_review.sql"),
    include_str!("../../../migrations/server-sqlite/0012_digit_pushes.sql"),
    include_str!("../../../migrations/server-sqlite/0013_rejections.sql"),
];

/// The schema version this build of the SQLite backend writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a transaction waits for another process (an admin command) holding the file's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A server database in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// The file's path and the (device, inode) it had when opened: if the path later names
    /// another file, or none, the server is writing into a file nobody will ever read again.
    path: PathBuf,
    /// `None` for an in-memory database (the fuzz targets), which has no file.
    identity: Option<(u64, u64)>,
}

/// Why a path is not somewhere the server can keep its database, if it is not.
fn unwritable(path: &Path) -> Option<String> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Permission bits, not access(2): a server run as root could write a file an operator
    // marked read-only, and that is exactly what the operator meant to prevent.
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().readonly() => {
            return Some(format!("the database file {} is read-only", path.display()));
        }
        _ => {}
    }
    match std::fs::metadata(dir) {
        Ok(meta) if meta.permissions().readonly() => Some(format!(
            "the directory {} of the database is read-only (SQLite needs to create its journal there)",
            dir.display()
        )),
        _ => None,
    }
}

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Val::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Val::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Blob(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        })
    }
}

fn val(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(f) => Val::Int(f as i64),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Blob(b.to_vec()),
    }
}

struct Tx<'a>(&'a rusqlite::Transaction<'a>);

impl Sql for Tx<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, AppError> {
        Ok(self.0.prepare_cached(sql)?.execute(params_from_iter(params))? as u64)
    }

    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, AppError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Row((0..width).map(|i| r.get_ref(i).map(val)).collect::<Result<_, _>>()?));
        }
        Ok(out)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the file; refuses one written by a newer server.
    /// A file or directory that cannot be written is refused: a server that cannot commit
    /// must not start and look healthy.
    pub fn open(path: &Path) -> Result<SqliteStore, AppError> {
        let in_memory = path.as_os_str() == ":memory:";
        if let Some(reason) = unwritable(path).filter(|_| !in_memory) {
            return Err(AppError::Unwritable(reason));
        }
        let unwritable_db = |e: rusqlite::Error| {
            AppError::Unwritable(format!("the database {} cannot be written: {e}", path.display()))
        };
        let mut conn = Connection::open(path).map_err(unwritable_db)?;
        if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
            return Err(AppError::Unwritable(format!("the database {} opened read-only", path.display())));
        }
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The server is the system of record: an acknowledged change survives a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every statement of one sync exchange stays prepared (rusqlite keeps 16; an exchange
        // runs about forty distinct ones, so with 16 most were parsed again each time).
        conn.set_prepared_statement_cache_capacity(256);
        let behavior = TransactionBehavior::Immediate;
        wardbook::schema::migrate::<_, AppError>(
            &mut wardbook::schema::Sqlite { conn: &mut conn, behavior },
            MIGRATIONS,
        )?;
        let identity = if in_memory {
            None
        } else {
            let meta = std::fs::metadata(path).map_err(|e| AppError::Unwritable(format!("{}: {e}", path.display())))?;
            Some((meta.dev(), meta.ino()))
        };
        let store = SqliteStore { conn: Mutex::new(conn), path: path.to_path_buf(), identity };
        store.probe(Duration::from_secs(5)).map_err(|e| match e {
            AppError::Unhealthy(reason) => AppError::Unwritable(format!("{}: {reason}", path.display())),
            other => other,
        })?;
        Ok(store)
    }

    /// Whether the path still names the file this store opened, writable.
    fn check_file(&self) -> Result<(), String> {
        let Some(identity) = self.identity else { return Ok(()) };
        match std::fs::metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err("the database file was deleted while the server had it open; nothing written now would be kept"
                    .into())
            }
            Err(e) => Err(format!("the database file cannot be read: {e}")),
            Ok(meta) if (meta.dev(), meta.ino()) != identity => {
                Err("the database file was replaced by another file while the server had it open; restart the server"
                    .into())
            }
            Ok(meta) if meta.permissions().readonly() => Err("the database file was made read-only".into()),
            Ok(_) => Ok(()),
        }
    }
}

impl ServerStore for SqliteStore {
    fn transact(
        &self,
        _scope: &Scope,
        work: &mut dyn FnMut(&mut dyn Sql) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        // Tenant scope is enforced by every query naming its tenant; SQLite has no row security.
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        work(&mut Tx(&tx))?;
        // Never acknowledge a write into a file that is no longer the database.
        self.check_file().map_err(AppError::Unavailable)?;
        tx.commit()?;
        Ok(())
    }

    fn probe(&self, within: Duration) -> Result<(), AppError> {
        let deadline = Instant::now() + within;
        let mut conn = loop {
            match self.conn.try_lock() {
                Ok(conn) => break conn,
                Err(TryLockError::Poisoned(p)) => break p.into_inner(),
                Err(TryLockError::WouldBlock) if Instant::now() >= deadline => {
                    return Err(AppError::Unhealthy(format!(
                        "the database connection stayed busy for {} ms",
                        within.as_millis()
                    )));
                }
                Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        self.check_file().map_err(AppError::Unhealthy)?;
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        conn.busy_timeout(left)?;
        // BEGIN IMMEDIATE takes the write lock; the write proves the file accepts one.
        let result = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO health (id, checked_at) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                [crate::db::now_ms()],
            )?;
            tx.rollback()
        })();
        conn.busy_timeout(BUSY_TIMEOUT)?;
        result.map_err(|e: rusqlite::Error| AppError::Unhealthy(format!("a write to the database failed: {e}")))
    }

    fn schema_version(&self) -> Result<i64, AppError> {
        let conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
