//! Server throughput: changes taken in per second with SQLite, PostgreSQL with one instance and
//! PostgreSQL with two instances, same workload, same run.
//!
//! Workload: 8 supervisor devices in one town; each round every device records 5 new records
//! and edits one it received (untimed, on its own SQLite store), then all 8 sync at once (timed),
//! alternating between instances where there are two. The figure is changes stored by the
//! server per second of sync time; devices also pull every page they are owed.
//!
//! `cargo bench -p wardbook-server --bench throughput` (needs PostgreSQL: `WARDBOOK_TEST_DATABASE_URL`,
//! default postgres://postgres@127.0.0.1:5432/postgres).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wardbook::demo;
use wardbook::domain::{Body, Role};
use wardbook::ids::RecordId;
use wardbook::store::{Query, Store};
use wardbook::sync::client::SyncClient;
use wardbook_server::cli::demo_reference;
use wardbook_server::store::{PgStore, Scope, ServerStore, SqliteStore, transact};
use wardbook_server::{AppState, db, params, router};

const DEVICES: usize = 8;
const ROUNDS: usize = 12;
const TOWN: &str = "pb.nabha";

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn admin_url() -> String {
    std::env::var("WARDBOOK_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    format!("{}/{name}", &base[..base.rfind('/').unwrap()])
}

/// The `postgres` client may neither run nor be dropped on the async runtime.
fn blocking<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(work).join().unwrap())
}

async fn serve(store: Arc<dyn ServerStore>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(AppState::new(store));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

struct Device {
    store: Store,
    clients: Vec<SyncClient>,
    _dir: tempfile::TempDir,
}

/// Runs the workload against `stores` (one per instance, all on one database) and returns
/// (changes stored, seconds of sync time, requests).
async fn run(stores: Vec<Arc<dyn ServerStore>>) -> (i64, f64, usize) {
    let admin = stores[0].clone();
    blocking(|| {
        transact(&*admin, &Scope::Admin, |sql| db::tenant_add(sql, TOWN, "Nabha", &demo_reference(TOWN, "Nabha")))
    })
    .unwrap();
    let mut urls = Vec::new();
    for s in &stores {
        urls.push(serve(s.clone()).await);
    }
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        let (_, code) = blocking(|| {
            transact(&*admin, &Scope::Admin, |sql| db::device_enroll(sql, TOWN, demo::user_id(Role::Supervisor)))
        })
        .unwrap();
        let enrollment = SyncClient::enroll(&urls[i % urls.len()], &code, "bench", None).await.unwrap();
        let clients = urls.iter().map(|u| SyncClient::new(u, &enrollment.token)).collect();
        let dir = tempfile::TempDir::new().unwrap();
        let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
        store.put_reference(&demo_reference(TOWN, "Nabha")).unwrap();
        devices.push(Device { store, clients, _dir: dir });
    }
    let mut timed = Duration::ZERO;
    let mut requests = 0;
    for round in 0..ROUNDS {
        for (i, d) in devices.iter_mut().enumerate() {
            for k in 0..5 {
                let n = (round * 100 + i * 5 + k) as u32;
                d.store.create(&demo::mixed(RecordId::new(), now(), n), now()).unwrap();
            }
            let received = d.store.list(&Query { limit: Some(1), ..Query::default() }).unwrap();
            if let Some(row) = received.first() {
                let _ = d.store.update(row.id, now(), |r| {
                    if let Body::Inspection(i) = &mut r.body {
                        i.subject = format!("checked in round {round}");
                    }
                    Ok(())
                });
            }
        }
        let started = Instant::now();
        let mut handles = Vec::new();
        for (i, mut d) in devices.drain(..).enumerate() {
            let client = d.clients[(i + round) % d.clients.len()].clone();
            handles.push(tokio::spawn(async move {
                let report = client.sync(&mut d.store).await.unwrap();
                (d, report.requests)
            }));
        }
        for h in handles {
            let (d, n) = h.await.unwrap();
            requests += n;
            devices.push(d);
        }
        timed += started.elapsed();
    }
    let stored = blocking(|| {
        transact(&*admin, &Scope::Admin, |sql| {
            sql.row("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN])?.unwrap().int(0)
        })
    })
    .unwrap();
    (stored, timed.as_secs_f64(), requests)
}

fn fresh_postgres(label: &str) -> (String, String) {
    let name = format!("wardbook_bench_{label}_{}", std::process::id());
    blocking(|| {
        let mut admin = postgres::Client::connect(&admin_url(), postgres::NoTls).expect("PostgreSQL for the benchmark");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    });
    (name.clone(), with_database(&admin_url(), &name))
}

fn drop_postgres(name: &str) {
    blocking(|| {
        let mut admin = postgres::Client::connect(&admin_url(), postgres::NoTls).unwrap();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    });
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut lines = Vec::new();
    let dir = tempfile::TempDir::new().unwrap();
    let sqlite: Arc<dyn ServerStore> = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap());
    lines.push(("SQLite, 1 instance", runtime.block_on(run(vec![sqlite]))));
    for instances in [1, 2] {
        let (name, url) = fresh_postgres(&format!("{instances}"));
        let stores: Vec<Arc<dyn ServerStore>> = (0..instances)
            .map(|_| Arc::new(blocking(|| PgStore::open(&url)).unwrap()) as Arc<dyn ServerStore>)
            .collect();
        let label = if instances == 1 { "PostgreSQL, 1 instance" } else { "PostgreSQL, 2 instances" };
        lines.push((label, runtime.block_on(run(stores))));
        drop_postgres(&name);
    }
    println!("| backend | changes stored | sync time (s) | requests | changes/s | ratio to SQLite |");
    println!("|---|---:|---:|---:|---:|---:|");
    let base = lines[0].1.0 as f64 / lines[0].1.1;
    for (label, (stored, secs, requests)) in &lines {
        let rate = *stored as f64 / secs;
        println!("| {label} | {stored} | {secs:.2} | {requests} | {rate:.0} | {:.2} |", rate / base);
    }
    runtime.shutdown_background();
}
