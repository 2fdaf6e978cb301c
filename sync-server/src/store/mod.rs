//! Storage behind one trait, one implementation per backend: SQLite (one file, zero set-up,
//! the default for a town) and PostgreSQL (a state's towns, several server instances).
//!
//! The server's logic (`db`, `ingest`, `feed`) is written once against [`Sql`]: statements
//! with `?1`-style parameters and rows of [`Val`]. A backend only runs statements and opens
//! transactions. Each unit of work runs in one transaction scoped to one tenant
//! ([`Scope::Tenant`]) or to the whole server ([`Scope::Admin`]: enrollment, tokens, admin
//! commands). PostgreSQL also enforces the tenant scope with row-level security.

mod pg;
mod sqlite;

use crate::error::AppError;

pub use pg::{PgStore, SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION};
pub use sqlite::{SCHEMA_VERSION as SQLITE_SCHEMA_VERSION, SqliteStore};

/// A value bound to, or read from, a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Bool(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Val {
        Val::Text(v)
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Val {
        Val::Blob(v)
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Val {
        Val::Blob(v.to_vec())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// Parameters of a statement: `params![a, b]`.
#[macro_export]
macro_rules! params {
    ($($v:expr),* $(,)?) => { &[$($crate::store::Val::from($v)),*][..] };
}

fn wrong(i: usize, want: &str, got: &Val) -> AppError {
    AppError::Internal(format!("column {i}: expected {want}, found {got:?}"))
}

/// One row of a result.
#[derive(Clone, Debug)]
pub struct Row(pub Vec<Val>);

impl Row {
    fn get(&self, i: usize) -> &Val {
        self.0.get(i).unwrap_or(&Val::Null)
    }
    pub fn int(&self, i: usize) -> Result<i64, AppError> {
        match self.get(i) {
            Val::Int(v) => Ok(*v),
            Val::Bool(b) => Ok(i64::from(*b)),
            other => Err(wrong(i, "an integer", other)),
        }
    }
    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, AppError> {
        if self.get(i) == &Val::Null { Ok(None) } else { self.int(i).map(Some) }
    }
    pub fn bool(&self, i: usize) -> Result<bool, AppError> {
        match self.get(i) {
            Val::Bool(b) => Ok(*b),
            Val::Int(v) => Ok(*v != 0),
            other => Err(wrong(i, "a boolean", other)),
        }
    }
    pub fn text(&self, i: usize) -> Result<String, AppError> {
        match self.get(i) {
            Val::Text(s) => Ok(s.clone()),
            other => Err(wrong(i, "text", other)),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>, AppError> {
        if self.get(i) == &Val::Null { Ok(None) } else { self.text(i).map(Some) }
    }
    pub fn blob(&self, i: usize) -> Result<Vec<u8>, AppError> {
        match self.get(i) {
            Val::Blob(b) => Ok(b.clone()),
            other => Err(wrong(i, "bytes", other)),
        }
    }
}

/// Running statements inside one transaction.
pub trait Sql {
    /// Runs a statement; returns the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, AppError>;
    /// Runs a query and returns every row.
    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, AppError>;
}

impl dyn Sql + '_ {
    /// The first row, if any.
    pub fn row(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>, AppError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
    /// Whether the query returns any row.
    pub fn exists(&mut self, sql: &str, params: &[Val]) -> Result<bool, AppError> {
        Ok(!self.rows(sql, params)?.is_empty())
    }
}

/// What a transaction may reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Server-wide work: admin commands, enrollment, token checks.
    Admin,
    /// One town's rows only.
    Tenant(String),
}

/// A backend: opens transactions and runs work in them.
pub trait ServerStore: Send + Sync {
    /// Runs `work` in one transaction (committed if it returns `Ok`, rolled back otherwise).
    fn transact(
        &self,
        scope: &Scope,
        work: &mut dyn FnMut(&mut dyn Sql) -> Result<(), AppError>,
    ) -> Result<(), AppError>;
    /// Whether a write can commit now, answered within `within`: takes the write lock (or a
    /// pooled connection), writes and rolls back. `Err(AppError::Unhealthy(reason))` if not.
    fn probe(&self, within: std::time::Duration) -> Result<(), AppError>;
    /// The schema version the database is at.
    fn schema_version(&self) -> Result<i64, AppError>;
    /// `sqlite` or `postgres`, for logs and health.
    fn backend(&self) -> &'static str;
}

/// Runs `work` in one transaction of `store` and returns what it returns.
pub fn transact<T>(
    store: &dyn ServerStore,
    scope: &Scope,
    work: impl FnOnce(&mut dyn Sql) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut work = Some(work);
    let mut out = None;
    store.transact(scope, &mut |sql| {
        let work = work.take().ok_or_else(|| AppError::Internal("a transaction ran its work twice".into()))?;
        out = Some(work(sql)?);
        Ok(())
    })?;
    out.ok_or_else(|| AppError::Internal("a transaction finished without running its work".into()))
}

/// Opens the store a server is configured for: a PostgreSQL URL, or a SQLite file.
pub fn open(
    database: Option<&str>,
    sqlite_file: &std::path::Path,
) -> Result<std::sync::Arc<dyn ServerStore>, AppError> {
    match database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(std::sync::Arc::new(PgStore::open(url)?))
        }
        Some(other) => Err(AppError::BadRequest(format!("--database must be a postgres:// URL, not {other}"))),
        None => Ok(std::sync::Arc::new(SqliteStore::open(sqlite_file)?)),
    }
}
