//! The SQLite backend: one file, one writer at a time. Every transaction takes the write lock
//! up front (`BEGIN IMMEDIATE`), which also serializes log sequence numbers across the server
//! and admin commands running on the same file.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, TransactionBehavior, params_from_iter};

use super::{Migration, Row, Scope, ServerStore, Sql, Val};
use crate::error::AppError;

const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, sql: include_str!("../../../migrations/server-sqlite/0001_init.sql") },
    Migration { version: 2, sql: include_str!("../../../migrations/server-sqlite/0002_epoch.sql") },
    Migration { version: 3, sql: include_str!("../../../migrations/server-sqlite/0003_ledger.sql") },
    Migration { version: 4, sql: include_str!("../../../migrations/server-sqlite/0004_numbers.sql") },
    Migration { version: 5, sql: include_str!("../../../migrations/server-sqlite/0005_signing.sql") },
    Migration { version: 6, sql: include_str!("../../../migrations/server-sqlite/0006_flags.sql") },
    // Numbered 8 on disk: 7 is taken by a change landing alongside.
    Migration { version: 7, sql: include_str!("../../../migrations/server-sqlite/0008_trust.sql") },
];

/// The schema version this build of the SQLite backend writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A server database in one SQLite file.
pub struct SqliteStore {
    conn: Mutex<Connection>,
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
    pub fn open(path: &Path) -> Result<SqliteStore, AppError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // The server is the system of record: an acknowledged change survives a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if found > SCHEMA_VERSION {
            return Err(AppError::NewerSchema { found, supported: SCHEMA_VERSION });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > found) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(m.sql)?;
            tx.pragma_update(None, "user_version", m.version)?;
            tx.commit()?;
        }
        Ok(SqliteStore { conn: Mutex::new(conn) })
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
        tx.commit()?;
        Ok(())
    }

    fn schema_version(&self) -> Result<i64, AppError> {
        let conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}
