//! PostgreSQL-only guarantees, run against a throwaway PostgreSQL database whatever backend the
//! rest of the suite tests: row-level security between towns, and a dump restored into a new
//! database that devices keep syncing with.

use std::process::Command;

use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook::sync::client::SyncClient;
use wardbook_server::error::AppError;
use wardbook_server::params;
use wardbook_server::store::{PgStore, Scope, Sql, transact};

use crate::support::{TOWN_A, TOWN_B, TestDb, TestServer, create_database, drop_database, now, off_runtime};

fn insert_record(tenant: &str, id: &str) -> impl FnOnce(&mut dyn Sql) -> Result<u64, AppError> {
    let (tenant, id) = (tenant.to_string(), id.to_string());
    move |sql| {
        sql.exec(
            "INSERT INTO records (tenant, id, kind, status, ward, assignee, title, needs_review, conflicts, updated_at, doc)
             VALUES (?1, ?2, 'receipt', 'NEW', 'W01', NULL, 'probe', ?3, 0, 0, ?4)",
            params![tenant, id, false, vec![0u8]],
        )
    }
}

/// Work run inside one town's transaction.
type TownWork = Box<dyn FnOnce(&mut dyn Sql) -> Result<i64, AppError> + Send>;

#[test]
fn row_level_security_keeps_each_town_to_its_own_rows() {
    let db = TestDb::postgres().add_towns();
    db.admin(insert_record(TOWN_A, "a-1"));
    db.admin(insert_record(TOWN_B, "b-1"));
    db.admin(insert_record(TOWN_B, "b-2"));
    let in_nabha = |work: TownWork| off_runtime(|| transact(&*db.store, &Scope::Tenant(TOWN_A.into()), work));
    // Queries that forget (or lie about) the tenant still see only Nabha.
    assert_eq!(in_nabha(Box::new(|sql| sql.row("SELECT COUNT(*) FROM records", &[])?.unwrap().int(0))).unwrap(), 1);
    let patiala = in_nabha(Box::new(|sql| {
        sql.row("SELECT COUNT(*) FROM records WHERE tenant = ?1", params![TOWN_B])?.unwrap().int(0)
    }));
    assert_eq!(patiala.unwrap(), 0);
    assert_eq!(in_nabha(Box::new(|sql| sql.row("SELECT COUNT(*) FROM tenants", &[])?.unwrap().int(0))).unwrap(), 1);
    let changed = in_nabha(Box::new(|sql| {
        Ok(sql.exec("UPDATE records SET title = 'defaced' WHERE tenant = ?1", params![TOWN_B])? as i64)
    }));
    assert_eq!(changed.unwrap(), 0, "another town's rows cannot be updated");
    let deleted = in_nabha(Box::new(|sql| Ok(sql.exec("DELETE FROM records", &[])? as i64)));
    assert_eq!(deleted.unwrap(), 1, "only Nabha's own row is reachable");
    // Writing a row for another town is refused by the database itself.
    let forged = in_nabha(Box::new(|sql| insert_record(TOWN_B, "b-3")(sql).map(|n| n as i64)));
    let err = forged.unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    assert_eq!(db.count("SELECT COUNT(*) FROM records WHERE tenant = ?1", params![TOWN_B]), 2);
    assert_eq!(db.count("SELECT COUNT(*) FROM records WHERE title = 'defaced'", &[]), 0);
}

/// A server on the database at `url`: its store, its address, its task.
async fn serve_on(url: &str) -> (std::sync::Arc<PgStore>, String, tokio::task::JoinHandle<()>) {
    let store = std::sync::Arc::new(off_runtime(|| PgStore::open(url)).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = wardbook_server::router(wardbook_server::AppState::new(store.clone()));
    (store, address, tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }))
}

/// `pg_dump -Fc` of the database at `url`, as an operator's nightly backup.
fn dump(url: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    run(Command::new("pg_dump").args(["-Fc", "-f"]).arg(file.path()).arg(format!("--dbname={url}")));
    file
}

/// A backup restored into a new, empty database; returns its name and URL.
fn restore(backup: &tempfile::NamedTempFile) -> (String, String) {
    let (name, url) = create_database("wardbook_restore");
    run(Command::new("pg_restore").arg(format!("--dbname={url}")).arg(backup.path()));
    (name, url)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn a_dump_restored_into_a_new_database_carries_on_without_resending_or_losing() {
    let server = TestServer::on(TestDb::postgres().add_towns()).await;
    let mut field = server.device(TOWN_A, Role::Supervisor).await;
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    for n in 0..25 {
        field.create(wardbook::demo::mixed(RecordId::new(), now(), n));
    }
    field.sync().await.unwrap();
    office.sync().await.unwrap();
    assert_eq!(office.store.count().unwrap(), 25);

    // Nightly backup, then the server moves to a new database restored from it.
    let backup = dump(server.db.url.as_deref().unwrap());
    let (new_name, new_url) = restore(&backup);
    drop(server);
    let (restored, url, task) = serve_on(&new_url).await;

    // The same tokens work; nothing is sent again; new work flows both ways.
    field.client = SyncClient::new(&url, field.client.token());
    office.client = SyncClient::new(&url, office.client.token());
    let again = field.sync().await.unwrap();
    assert_eq!((again.requests, again.pushed, again.received), (1, 0, 0), "{again:?}");
    let id = RecordId::new();
    field.store.create(&wardbook::demo::inspection(id, now(), "W01", 99), now()).unwrap();
    let after = field.sync().await.unwrap();
    assert_eq!((after.pushed, after.confirmed), (1, 1));
    assert_eq!(office.sync().await.unwrap().received, 1);
    assert_eq!(office.store.get(id).unwrap(), field.store.get(id).unwrap());
    let seq = off_runtime(|| {
        transact(&*restored, &Scope::Admin, |sql| {
            sql.row("SELECT seq FROM changes WHERE tenant = ?1 ORDER BY seq DESC LIMIT 1", params![TOWN_A])?
                .unwrap()
                .int(0)
        })
    })
    .unwrap();
    assert_eq!(seq, 26, "the log continues where the backup ended");
    task.abort();
    drop(restored);
    drop_database(&new_name);
}

#[tokio::test]
async fn changes_confirmed_after_the_backup_come_back_from_the_devices_after_a_restore() {
    let server = TestServer::on(TestDb::postgres().add_towns()).await;
    let mut field = server.device(TOWN_A, Role::Supervisor).await;
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    for n in 0..10 {
        field.create(wardbook::demo::mixed(RecordId::new(), now(), n));
    }
    field.sync().await.unwrap();
    let backup = dump(server.db.url.as_deref().unwrap());
    // After the backup: five more records, confirmed by the server that is about to be lost.
    let late: Vec<RecordId> = (0..5).map(|_| RecordId::new()).collect();
    for (n, id) in late.iter().enumerate() {
        field.create(wardbook::demo::mixed(*id, now(), 50 + n as u32));
    }
    assert_eq!(field.sync().await.unwrap().confirmed, 5);

    let (new_name, new_url) = restore(&backup);
    let out = Command::new(env!("CARGO_BIN_EXE_wardbook-server"))
        .args(["--database", &new_url, "restored"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 towns start a new log epoch"));
    drop(server);
    let (restored, url, task) = serve_on(&new_url).await;

    field.client = SyncClient::new(&url, field.client.token());
    office.client = SyncClient::new(&url, office.client.token());
    let report = field.sync().await.unwrap();
    assert_eq!(report.pushed, 15, "the field device sends all it made again: {report:?}");
    assert_eq!(field.store.waiting_count().unwrap(), 0);
    let stored = off_runtime(|| {
        transact(&*restored, &Scope::Admin, |sql| {
            sql.row("SELECT COUNT(*) FROM records WHERE tenant = ?1", params![TOWN_A])?.unwrap().int(0)
        })
    })
    .unwrap();
    assert_eq!(stored, 15, "the five records lost with the old database are back");
    office.sync().await.unwrap();
    for id in &late {
        assert_eq!(office.store.get(*id).unwrap(), field.store.get(*id).unwrap());
    }
    task.abort();
    drop(restored);
    drop_database(&new_name);
}
