//! The PostgreSQL backend: a pool of connections shared by one server process; several
//! processes may share one database. A tenant-scoped transaction runs as the role
//! `wardbook_tenant` with `wardbook.tenant` set, so row-level security hides every other town.

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use super::{Row, Scope, ServerStore, Sql, Val};
use crate::error::AppError;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/server-postgres/0001_init.sql"),
    include_str!("../../../migrations/server-postgres/0002_epoch.sql"),
    include_str!("../../../migrations/server-postgres/0003_ledger.sql"),
    include_str!("../../../migrations/server-postgres/0004_numbers.sql"),
    include_str!("../../../migrations/server-postgres/0005_signing.sql"),
    include_str!("../../../migrations/server-postgres/0006_flags.sql"),
    include_str!("../../../migrations/server-postgres/0007_hygiene.sql"),
    include_str!("../../../migrations/server-postgres/0008_trust.sql"),
    include_str!("../../../migrations/server-postgres/0009_sync_speed.sql"),
    include_str!("../../../migrations/server-postgres/0010_office.sql"),
    include_str!("../../../migrations/server-postgres/0011_office_review.sql"),
    include_str!("../../../migrations/server-postgres/0012_digit_pushes.sql"),
    include_str!("../../../migrations/server-postgres/0013_rejections.sql"),
];

/// The schema version this build of the PostgreSQL backend writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Any two server processes that migrate at once take turns on this advisory lock.
const MIGRATION_LOCK: i64 = 0x5761_7264_626f_6f6b;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// A server database in PostgreSQL.
///
/// The `postgres` client runs a small runtime per connection, which may not be dropped inside
/// an async context; the pool is therefore always dropped on a plain thread of its own.
pub struct PgStore {
    pool: Option<Pool>,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl ToSql for Val {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) if *ty == Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
            Val::Int(v) if *ty == Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
            Val::Int(v) if *ty == Type::BOOL => (*v != 0).to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::Bool(b) if *ty == Type::INT8 => i64::from(*b).to_sql(ty, out),
            Val::Bool(b) => b.to_sql(ty, out),
            Val::Text(s) => s.to_sql(ty, out),
            Val::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn column(row: &postgres::Row, i: usize) -> Result<Val, AppError> {
    let ty = row.columns()[i].type_().clone();
    let v = match ty {
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(Val::Bool),
        Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(|v| Val::Int(v.into())),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(|v| Val::Int(v.into())),
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Val::Int),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row.try_get::<_, Option<String>>(i)?.map(Val::Text),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Blob),
        other => return Err(AppError::Internal(format!("column {i} has unsupported type {other}"))),
    };
    Ok(v.unwrap_or(Val::Null))
}

/// `?1` → `$1`: the statements are written once for both backends.
fn dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

struct Tx<'a, 'b>(&'a mut Transaction<'b>);

fn refs(params: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Sql for Tx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64, AppError> {
        Ok(self.0.execute(dollar(sql).as_str(), &refs(params))?)
    }

    fn rows(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>, AppError> {
        let rows = self.0.query(dollar(sql).as_str(), &refs(params))?;
        rows.iter().map(|r| Ok(Row((0..r.len()).map(|i| column(r, i)).collect::<Result<_, _>>()?))).collect()
    }
}

/// The PostgreSQL schema's migrations, counted in `wardbook_schema`, all run in the one
/// transaction that holds the migration lock.
struct PgSchema<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl wardbook::schema::Migrate for PgSchema<'_, '_> {
    type Error = postgres::Error;

    fn applied(&mut self) -> Result<i64, postgres::Error> {
        Ok(self.0.query_one("SELECT COALESCE(MAX(version), 0) FROM wardbook_schema", &[])?.get(0))
    }

    fn apply(&mut self, version: i64, sql: &str) -> Result<(), postgres::Error> {
        self.0.batch_execute(sql)?;
        self.0.execute("INSERT INTO wardbook_schema (version) VALUES ($1)", &[&version])?;
        Ok(())
    }
}

impl PgStore {
    /// Connects, migrates (one process at a time) and refuses a schema newer than this build.
    pub fn open(url: &str) -> Result<PgStore, AppError> {
        let config: postgres::Config =
            url.parse().map_err(|e| AppError::BadRequest(format!("bad --database URL: {e}")))?;
        let manager = PostgresConnectionManager::new(config, NoTls);
        let pool =
            r2d2::Pool::builder().max_size(8).connection_timeout(std::time::Duration::from_secs(15)).build(manager)?;
        let mut client = pool.get()?;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS wardbook_schema (version BIGINT NOT NULL)")?;
        wardbook::schema::migrate::<_, AppError>(&mut PgSchema(&mut tx), MIGRATIONS)?;
        tx.commit()?;
        drop(client);
        let store = PgStore { pool: Some(pool) };
        // A server that cannot commit (a read-only replica, a database in read-only mode)
        // must not start and look healthy.
        store.probe(std::time::Duration::from_secs(5)).map_err(|e| match e {
            AppError::Unhealthy(reason) => AppError::Unwritable(format!("the PostgreSQL database: {reason}")),
            other => other,
        })?;
        Ok(store)
    }

    fn pool(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, AppError> {
        Ok(self.pool.as_ref().ok_or_else(|| AppError::Internal("the pool is closed".into()))?.get()?)
    }
}

impl ServerStore for PgStore {
    fn transact(
        &self,
        scope: &Scope,
        work: &mut dyn FnMut(&mut dyn Sql) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let mut client = self.pool()?;
        let mut tx = client.transaction()?;
        if let Scope::Tenant(tenant) = scope {
            tx.batch_execute("SET LOCAL ROLE wardbook_tenant")?;
            tx.execute("SELECT set_config('wardbook.tenant', $1, true)", &[tenant])?;
        }
        work(&mut Tx(&mut tx))?;
        tx.commit()?;
        Ok(())
    }

    fn probe(&self, within: std::time::Duration) -> Result<(), AppError> {
        let pool = self.pool.as_ref().ok_or_else(|| AppError::Unhealthy("the pool is closed".into()))?;
        let mut client = pool.get_timeout(within).map_err(|e| {
            AppError::Unhealthy(format!("no database connection free within {} ms: {e}", within.as_millis()))
        })?;
        let unhealthy = |e: postgres::Error| {
            let e = AppError::from(e);
            AppError::Unhealthy(format!("a write to the database failed: {e}"))
        };
        let mut tx = client.transaction().map_err(unhealthy)?;
        tx.batch_execute(&format!("SET LOCAL statement_timeout = {}", within.as_millis().max(1))).map_err(unhealthy)?;
        tx.execute(
            "INSERT INTO health (id, checked_at) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
            &[&crate::db::now_ms()],
        )
        .map_err(unhealthy)?;
        tx.rollback().map_err(unhealthy)
    }

    fn schema_version(&self) -> Result<i64, AppError> {
        let mut client = self.pool()?;
        Ok(client.query_one("SELECT COALESCE(MAX(version), 0) FROM wardbook_schema", &[])?.get(0))
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}
