//! One way to bring a database's schema up to date, for the device store and both server
//! backends: numbered migrations embedded at build time, applied in order, each with its record
//! of having run; a database written by a newer build is refused, never downgraded. Each
//! database says how it counts and applies them ([`Migrate`]); the order and the refusal are
//! here.

/// A database brought up to date by numbered migrations.
pub trait Migrate {
    type Error;
    /// How many migrations have run.
    fn applied(&mut self) -> Result<i64, Self::Error>;
    /// Runs migration number `version` (from 1) and records that it ran, all or nothing.
    fn apply(&mut self, version: i64, sql: &str) -> Result<(), Self::Error>;
}

/// A database written by a newer build: it ran `found` migrations, this build knows `supported`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Newer {
    pub found: i64,
    pub supported: i64,
}

/// Runs, in order, the migrations of `migrations` that `db` has not run yet.
pub fn migrate<M, E>(db: &mut M, migrations: &[&str]) -> Result<(), E>
where
    M: Migrate,
    E: From<M::Error> + From<Newer>,
{
    let supported = migrations.len() as i64;
    let found = db.applied()?;
    if found > supported {
        return Err(Newer { found, supported }.into());
    }
    for (n, sql) in migrations.iter().enumerate().skip(found.max(0) as usize) {
        db.apply(n as i64 + 1, sql)?;
    }
    Ok(())
}

/// A SQLite database counting its migrations in `PRAGMA user_version`, each run in its own
/// transaction of `behavior` (the server takes the write lock up front: `Immediate`).
pub struct Sqlite<'a> {
    pub conn: &'a mut rusqlite::Connection,
    pub behavior: rusqlite::TransactionBehavior,
}

impl Migrate for Sqlite<'_> {
    type Error = rusqlite::Error;

    fn applied(&mut self) -> Result<i64, rusqlite::Error> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0))
    }

    fn apply(&mut self, version: i64, sql: &str) -> Result<(), rusqlite::Error> {
        let tx = self.conn.transaction_with_behavior(self.behavior)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    enum Failed {
        Db(rusqlite::Error),
        Newer(Newer),
    }
    impl From<rusqlite::Error> for Failed {
        fn from(e: rusqlite::Error) -> Self {
            Failed::Db(e)
        }
    }
    impl From<Newer> for Failed {
        fn from(e: Newer) -> Self {
            Failed::Newer(e)
        }
    }

    const STEPS: &[&str] = &["CREATE TABLE a (x INTEGER);", "ALTER TABLE a ADD COLUMN y TEXT;"];

    #[test]
    fn migrations_run_once_in_order_and_a_newer_database_is_refused() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let behavior = rusqlite::TransactionBehavior::Deferred;
        migrate::<_, Failed>(&mut Sqlite { conn: &mut conn, behavior }, &STEPS[..1]).unwrap();
        migrate::<_, Failed>(&mut Sqlite { conn: &mut conn, behavior }, STEPS).unwrap();
        migrate::<_, Failed>(&mut Sqlite { conn: &mut conn, behavior }, STEPS).unwrap();
        conn.execute("INSERT INTO a (x, y) VALUES (1, 'one')", []).unwrap();
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 2);
        let refused = migrate::<_, Failed>(&mut Sqlite { conn: &mut conn, behavior }, &STEPS[..1]);
        assert_eq!(refused, Err(Failed::Newer(Newer { found: 2, supported: 1 })));
    }

    #[test]
    fn a_failing_migration_leaves_the_database_as_it_was() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let behavior = rusqlite::TransactionBehavior::Deferred;
        let bad = ["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (y INTEGER); SELECT * FROM nowhere;"];
        assert!(matches!(migrate::<_, Failed>(&mut Sqlite { conn: &mut conn, behavior }, &bad), Err(Failed::Db(_))));
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 1);
        let b: i64 = conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'", [], |r| r.get(0)).unwrap();
        assert_eq!(b, 0, "the failed migration's table is not there");
    }
}
