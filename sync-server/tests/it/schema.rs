//! Migrations: `wardbook-server migrate` brings an empty database to the current schema, and a
//! server refuses, with a clear message, a database whose schema is newer than it knows.

use std::process::Command;

use wardbook_server::params;

use crate::support::{TestDb, postgres};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

/// The schema version this build writes: one per migration file of the backend under test.
fn latest() -> usize {
    let dir = if postgres() { "server-postgres" } else { "server-sqlite" };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(dir);
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .filter(|f| f.as_ref().is_ok_and(|f| f.path().extension().is_some_and(|x| x == "sql")))
        .count()
}

#[test]
fn migrate_reports_the_schema_version_of_an_empty_database() {
    let db = TestDb::new();
    let out = Command::new(BIN).args(db.args()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let backend = if postgres() { "postgres" } else { "sqlite" };
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{backend} database is at schema version {}", latest())
    );
}

#[test]
fn a_database_from_a_newer_server_is_refused_with_a_clear_message() {
    let db = TestDb::new();
    if postgres() {
        db.admin(|sql| sql.exec("INSERT INTO wardbook_schema (version) VALUES (?1)", params![99i64]));
    } else {
        let file = wardbook_server::cli::database_path(db.dir.path());
        rusqlite::Connection::open(file).unwrap().pragma_update(None, "user_version", 99).unwrap();
    }
    let out = Command::new(BIN).args(db.args()).args(["serve", "--port", "0"]).output().unwrap();
    assert!(!out.status.success(), "the server started on a newer schema");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let refusal = format!("schema version 99, newer than this server knows ({})", latest());
    assert!(stderr.contains(&refusal), "{stderr}");
    assert!(stderr.contains("run a newer wardbook-server"), "{stderr}");
}
