//! Wardbook's side of the PouchDB comparison (`bench/versus/`, run by `scripts/versus`).
//!
//! `versus export --records N --out DIR` makes the records both sides sync: N records of the
//! realistic mix (`demo::mixed`, receipts issued and signed as the app issues them) on a scratch
//! device store, written as JSON lines (`records.jsonl`), 20 more (`new.jsonl`), two rounds of
//! 20 inspection edits (`edits.json`), and prints the size of the JSON lines and of their zstd
//! (level 3).
//!
//! `versus run --data DIR --proxy URL --control URL` is one Wardbook run: a real server
//! (in-process axum on 127.0.0.1, its own runtime, a SQLite file in a temporary directory) that
//! the counting proxy forwards to, and real device stores in temporary directories that sync
//! through the proxy with `SyncClient`. It prints one JSON line with, for each phase, the
//! seconds inside the client and the proxy's counts. Only public APIs: `Store`, `SyncClient`,
//! `demo`, the server's router and admin functions.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wardbook::demo;
use wardbook::domain::{Body, Record, RecordKind, Role};
use wardbook::ids::RecordId;
use wardbook::store::{Store, SyncState};
use wardbook::sync::client::{SyncClient, now_millis};
use wardbook_server::cli::demo_reference;
use wardbook_server::store::{Scope, ServerStore, SqliteStore, transact};
use wardbook_server::{AppState, db, router};

const TOWN: &str = "pb.nabha";
/// Records each edit round changes, and new records of the slow-link phase.
const EDITS: usize = 20;

fn arg(args: &[String], name: &str) -> String {
    let at = args.iter().position(|a| a == name).unwrap_or_else(|| panic!("missing {name}"));
    args[at + 1].clone()
}

/// Saves a record the way the app does: receipts are issued (numbered and signed), the rest
/// created.
fn save(store: &mut Store, record: Record) -> Record {
    if record.kind() == RecordKind::Receipt {
        store.issue_receipt(record, now_millis()).unwrap()
    } else {
        store.create(&record, now_millis()).unwrap();
        record
    }
}

fn set_subject(record: &mut Record, text: &str) {
    match &mut record.body {
        Body::Inspection(i) => i.subject = text.to_string(),
        _ => panic!("edits are of inspections"),
    }
}

fn write_lines(path: &Path, records: &[Record]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for r in records {
        bytes.extend(serde_json::to_vec(r).unwrap());
        bytes.push(b'\n');
    }
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn read_lines(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn export(records: usize, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let mut store = Store::open(dir.path().join("export.sqlite3")).unwrap();
    store.put_reference(&demo_reference(TOWN, "Nabha")).unwrap();
    let mut saved = Vec::with_capacity(records + EDITS);
    for n in 0..records + EDITS {
        let record = save(&mut store, demo::mixed(RecordId::new(), now_millis(), n as u32));
        saved.push(store.get(record.id).unwrap());
    }
    let (old, new) = saved.split_at(records);
    let lines = write_lines(&out.join("records.jsonl"), old);
    write_lines(&out.join("new.jsonl"), new);
    // Two rounds of edits, each of EDITS different inspections spread over the records.
    let inspections: Vec<RecordId> = old.iter().filter(|r| r.kind() == RecordKind::Inspection).map(|r| r.id).collect();
    assert!(inspections.len() >= 2 * EDITS, "too few inspections for two edit rounds");
    let step = inspections.len() / (2 * EDITS);
    let rounds: Vec<Value> = (0..2)
        .map(|round| {
            let edits: Vec<Value> = (0..EDITS)
                .map(|k| {
                    let id = inspections[(2 * k + round) * step];
                    json!({ "id": id.to_string(), "subject": format!("Rechecked in round {} ({k})", round + 1) })
                })
                .collect();
            Value::Array(edits)
        })
        .collect();
    std::fs::write(out.join("edits.json"), serde_json::to_vec(&rounds).unwrap()).unwrap();
    let zstd3 = zstd::encode_all(&lines[..], 3).unwrap();
    println!("{}", json!({ "records": records, "json_bytes": lines.len(), "zstd3_bytes": zstd3.len(), "dir": out }));
}

/// The proxy's control port.
struct Control {
    http: reqwest::Client,
    url: String,
}

impl Control {
    async fn get(&self, path: &str) -> Value {
        let response = self.http.get(format!("{}{path}", self.url)).send().await.unwrap();
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
    }
}

struct Device {
    store: Store,
    client: SyncClient,
    _dir: tempfile::TempDir,
}

impl Device {
    async fn enroll(server: &Arc<dyn ServerStore>, proxy: &str, name: &str) -> Device {
        let (_, code) =
            transact(&**server, &Scope::Admin, |sql| db::device_enroll(sql, TOWN, demo::user_id(Role::Supervisor)))
                .unwrap();
        let dir = tempfile::TempDir::new().unwrap();
        let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
        let key = store.device_key().unwrap().public_key();
        let enrollment = SyncClient::enroll(proxy, &code, name, Some(&key)).await.unwrap();
        let client = SyncClient::new(proxy, &enrollment.token);
        client.refresh_reference(&mut store).await.unwrap();
        Device { store, client, _dir: dir }
    }

    async fn sync(&mut self) -> wardbook::sync::client::SyncReport {
        let report = self.client.sync(&mut self.store).await.unwrap();
        assert_eq!(report.rejected, 0, "the server refused changes: {report:?}");
        report
    }

    fn all_on_server(&self, ids: impl IntoIterator<Item = RecordId>) {
        for id in ids {
            let (state, why) = self.store.sync_state(id).unwrap();
            assert_eq!(state, SyncState::OnServer, "{id} is {state:?} ({why:?})");
        }
    }

    fn edit(&mut self, edits: &Value) {
        for e in edits.as_array().unwrap() {
            let id: RecordId = e["id"].as_str().unwrap().parse().unwrap();
            let text = e["subject"].as_str().unwrap().to_string();
            self.store
                .update(id, now_millis(), |r| {
                    set_subject(r, &text);
                    Ok(())
                })
                .unwrap();
        }
    }

    fn has_edits(&self, edits: &Value) {
        for e in edits.as_array().unwrap() {
            let id: RecordId = e["id"].as_str().unwrap().parse().unwrap();
            match self.store.get(id).unwrap().body {
                Body::Inspection(i) => assert_eq!(i.subject, e["subject"].as_str().unwrap(), "{id}"),
                _ => unreachable!(),
            }
        }
    }
}

/// The proxy's counts since the last reset, with the seconds measured.
async fn phase(control: &Control, secs: f64) -> Value {
    let mut stats = control.get("/stats").await;
    stats["secs"] = json!(secs);
    stats
}

/// The CPU seconds this thread has used. The devices run on this one thread (a current-thread
/// runtime) and the server on its own, so the difference over a phase is the devices' CPU.
fn device_cpu_secs() -> f64 {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let nanos: f64 = schedstat.split_whitespace().next().unwrap().parse().unwrap();
    nanos / 1e9
}

async fn run(data: PathBuf, proxy: String, control: Control, server: Arc<dyn ServerStore>) -> Value {
    let records = read_lines(&data.join("records.jsonl"));
    let new = read_lines(&data.join("new.jsonl"));
    let edits: Value = serde_json::from_slice(&std::fs::read(data.join("edits.json")).unwrap()).unwrap();
    let ids: Vec<RecordId> = records.iter().map(|r| r.id).collect();
    let mut out = json!({ "side": "wardbook", "records": records.len() });

    // 1. Push: device A made N records offline; the server is empty.
    let mut a = Device::enroll(&server, &proxy, "device A").await;
    for r in records {
        save(&mut a.store, r);
    }
    a.store.checkpoint().unwrap();
    control.get("/reset").await;
    let (started, cpu) = (Instant::now(), device_cpu_secs());
    let report = a.sync().await;
    out["push"] = phase(&control, started.elapsed().as_secs_f64()).await;
    out["push"]["device_cpu"] = json!(device_cpu_secs() - cpu);
    out["push"]["report_requests"] = json!(report.requests);
    a.all_on_server(ids.iter().copied());

    // 2. Cold bootstrap: a new device B pulls everything.
    let mut b = Device::enroll(&server, &proxy, "device B").await;
    control.get("/reset").await;
    let (started, cpu) = (Instant::now(), device_cpu_secs());
    let report = b.sync().await;
    out["bootstrap"] = phase(&control, started.elapsed().as_secs_f64()).await;
    out["bootstrap"]["device_cpu"] = json!(device_cpu_secs() - cpu);
    out["bootstrap"]["report_requests"] = json!(report.requests);
    assert_eq!(b.store.count().unwrap() as usize, ids.len(), "device B has not every record");

    // Both devices settle (number blocks, cursors) before the resync is measured.
    a.sync().await;
    b.sync().await;
    a.store.checkpoint().unwrap();
    b.store.checkpoint().unwrap();

    // 3. Resync: A edits one field of 20 records and syncs, then B syncs.
    a.edit(&edits[0]);
    control.get("/reset").await;
    let started = Instant::now();
    a.sync().await;
    b.sync().await;
    out["resync"] = phase(&control, started.elapsed().as_secs_f64()).await;
    b.has_edits(&edits[0]);

    // 4. Over 64 kbit/s each way with 100 ms per request.
    control.get("/throttle?rate=8000&latency=100").await;
    a.edit(&edits[1]);
    control.get("/reset").await;
    let started = Instant::now();
    a.sync().await;
    b.sync().await;
    out["slow_resync"] = phase(&control, started.elapsed().as_secs_f64()).await;
    b.has_edits(&edits[1]);

    let new_ids: Vec<RecordId> = new.iter().map(|r| r.id).collect();
    for r in new {
        save(&mut a.store, r);
    }
    control.get("/reset").await;
    let started = Instant::now();
    a.sync().await;
    out["slow_new"] = phase(&control, started.elapsed().as_secs_f64()).await;
    a.all_on_server(new_ids);
    control.get("/throttle?rate=0&latency=0").await;
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; the command is the first argument that is not a flag.
    let Some(command) = args.iter().skip(1).find(|a| !a.starts_with("--")) else {
        eprintln!("usage: versus export --records N --out DIR | versus run --data DIR --proxy URL --control URL");
        return;
    };
    match command.as_str() {
        "export" => export(arg(&args, "--records").parse().unwrap(), Path::new(&arg(&args, "--out"))),
        "run" => {
            let dir = tempfile::TempDir::new().unwrap();
            let server: Arc<dyn ServerStore> = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite3")).unwrap());
            transact(&*server, &Scope::Admin, |sql| db::tenant_add(sql, TOWN, "Nabha", &demo_reference(TOWN, "Nabha")))
                .unwrap();
            // The server has its own runtime (two workers), as its own process would.
            let serving = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let listener = serving.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            let port = listener.local_addr().unwrap().port();
            let app = router(AppState::new(server.clone()));
            serving.spawn(async move {
                wardbook_server::serve::serve(listener, app, Duration::from_secs(10), std::future::pending())
                    .await
                    .unwrap();
            });
            let device = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let control = Control {
                http: reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap(),
                url: arg(&args, "--control"),
            };
            let result = device.block_on(async {
                control.get(&format!("/upstream?port={port}")).await;
                run(PathBuf::from(arg(&args, "--data")), arg(&args, "--proxy"), control, server).await
            });
            println!("{result}");
            serving.shutdown_background();
        }
        other => panic!("unknown command {other}"),
    }
}
