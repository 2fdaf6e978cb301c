//! The device schema: numbered migrations from `migrations/device`, embedded at build time and
//! applied in order. `PRAGMA user_version` holds how many have run.

use rusqlite::Connection;

use crate::{Error, Result};

/// Every migration, in order. Append only.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/device/0001_records.sql"),
    include_str!("../../migrations/device/0002_sync.sql"),
    include_str!("../../migrations/device/0003_lean_rows.sql"),
    include_str!("../../migrations/device/0004_money.sql"),
    include_str!("../../migrations/device/0005_photos.sql"),
    include_str!("../../migrations/device/0006_custody.sql"),
    include_str!("../../migrations/device/0007_refused.sql"),
    include_str!("../../migrations/device/0008_list_columns.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], refusing one written by a newer app.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let behavior = rusqlite::TransactionBehavior::Immediate;
    crate::schema::migrate::<_, Error>(&mut crate::schema::Sqlite { conn, behavior }, MIGRATIONS)
}

impl From<crate::schema::Newer> for Error {
    fn from(n: crate::schema::Newer) -> Error {
        Error::NewerDatabase { found: n.found, supported: n.supported }
    }
}
