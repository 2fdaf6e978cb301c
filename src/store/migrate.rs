//! The device schema: numbered migrations from `migrations/device`, embedded at build time and
//! applied in order. `PRAGMA user_version` holds how many have run.

use rusqlite::Connection;

use crate::{Error, Result};

/// Every migration, in order. Append only.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_records", include_str!("../../migrations/device/0001_records.sql")),
    ("0002_sync", include_str!("../../migrations/device/0002_sync.sql")),
    ("0003_lean_rows", include_str!("../../migrations/device/0003_lean_rows.sql")),
    ("0004_money", include_str!("../../migrations/device/0004_money.sql")),
    ("0005_photos", include_str!("../../migrations/device/0005_photos.sql")),
    ("0006_custody", include_str!("../../migrations/device/0006_custody.sql")),
    ("0007_refused", include_str!("../../migrations/device/0007_refused.sql")),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`SCHEMA_VERSION`], refusing one written by a newer app.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::NewerDatabase { found, supported: SCHEMA_VERSION });
    }
    for (n, (_name, sql)) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", n as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
