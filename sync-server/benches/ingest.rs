//! The server's ingest rate, measured on the server alone: the real `wardbook-server` binary in
//! its own process on 127.0.0.1, fed sync requests whose changes were all made beforehand.
//!
//! Before anything is timed, for each backend (SQLite file in a temporary directory; a fresh
//! PostgreSQL database) and each of its runs:
//! - a fresh database with the demo town (`db::tenant_add`) and one enrollment code per device
//!   (`db::device_enroll`, supervisors: they may write every kind of record);
//! - `wardbook-server serve --port 0` started on it; each device enrolls over HTTP with its
//!   signing key and asks for receipt number blocks with a sync request of its own;
//! - once, in the first run: each device (a real `Store` on its own SQLite file) records its
//!   work offline — new records of the realistic mix (`demo::mixed`; receipts issued with
//!   `Store::issue_receipt`, numbered from the blocks and signed), then one edit of each of its
//!   inspections and one signed workflow step of each of its desludging applications — and its
//!   changes are taken from `Store::outbox` and cut into requests of about
//!   `WARDBOOK_BENCH_REQUEST_BYTES`. Later runs and the other backend reuse these changes: a
//!   fresh database grants every device the same number blocks in the same order (checked).
//!
//! Timed: all devices at once, one HTTP connection each, each device's requests in order; every
//! ack must be `stored` (anything else fails the run). Each request carries the cursor of the
//! answer before it, as a device does, so the server also builds the page the device is owed
//! (`WARDBOOK_BENCH_PAGE_BYTES`); a fixed cursor would make it re-read the same stretch of the
//! log every time. The bodies are encoded (`wire::encode`) as they are sent, by this process.
//!
//! Reported per backend, medians of the runs: changes stored per second of wall time, CPU of
//! the server process per change (utime + stime from `/proc/<pid>/stat` before and after),
//! requests, p50/p99 request latency, and for context the CPU of this load process and of all
//! `postgres` processes on the machine (other work on PostgreSQL counts there too).
//!
//! `cargo bench -p wardbook-server --bench ingest`. Environment: `WARDBOOK_BENCH_CHANGES`
//! (about this many changes per run, default 3000), `WARDBOOK_BENCH_DEVICES` (8),
//! `WARDBOOK_BENCH_REQUEST_BYTES` (16384), `WARDBOOK_BENCH_PAGE_BYTES` (65536),
//! `WARDBOOK_BENCH_RUNS` (3), `WARDBOOK_BENCH_BACKENDS` (`sqlite,postgres`),
//! `WARDBOOK_TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres),
//! `WARDBOOK_BENCH_PERF=FILE` (records the server with `perf record --call-graph dwarf` during the timed phase
//! of the first run of each backend, into FILE.sqlite / FILE.postgres; perf's own overhead lands
//! on the server's CPU, so take the figures from a run without it).

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wardbook::demo;
use wardbook::domain::workflow::Actor;
use wardbook::domain::{Body, RecordKind, Role, Status};
use wardbook::ids::RecordId;
use wardbook::store::{Outbox, Store};
use wardbook::sync::client::SyncClient;
use wardbook::sync::wire::{
    self, CONTENT_TYPE, Cursor, NumberBlock, NumberRequest, Outcome, PROTOCOL_VERSION, RecordBytes, SyncRequest,
    SyncResponse,
};
use wardbook_server::cli::{database_path, demo_reference};
use wardbook_server::store::{Scope, ServerStore, transact};
use wardbook_server::{db, params};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");
const TOWN: &str = "pb.nabha";
/// The goal on 2 cores, SQLite.
const GOAL_RATE: f64 = 2500.0;
const GOAL_CPU_US: f64 = 400.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

fn now() -> i64 {
    wardbook::sync::client::now_millis()
}

struct Config {
    devices: usize,
    /// New records per device (each inspection and desludging application is also edited once).
    records: usize,
    request_bytes: usize,
    page_bytes: u32,
    runs: usize,
    backends: Vec<String>,
    perf: Option<String>,
}

impl Config {
    fn from_env() -> Config {
        let devices: usize = env_or("WARDBOOK_BENCH_DEVICES", 8);
        let changes: usize = env_or("WARDBOOK_BENCH_CHANGES", 3000);
        // Half of the mix is inspections and applications, each with one later change.
        let records = (changes as f64 / devices as f64 / 1.5).ceil().max(1.0) as usize;
        Config {
            devices,
            records,
            request_bytes: env_or("WARDBOOK_BENCH_REQUEST_BYTES", 16 * 1024),
            page_bytes: env_or("WARDBOOK_BENCH_PAGE_BYTES", 64 * 1024),
            runs: env_or("WARDBOOK_BENCH_RUNS", 3),
            backends: std::env::var("WARDBOOK_BENCH_BACKENDS")
                .unwrap_or_else(|_| "sqlite,postgres".into())
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            perf: std::env::var("WARDBOOK_BENCH_PERF").ok().filter(|s| !s.is_empty()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Databases

fn admin_url() -> String {
    std::env::var("WARDBOOK_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    format!("{}/{name}{query}", &base[..base.rfind('/').expect("a database URL has a path")])
}

/// Where one run's server keeps its data: the arguments `wardbook-server` takes for it.
struct Database {
    dir: tempfile::TempDir,
    url: Option<String>,
    pg_name: Option<String>,
}

impl Database {
    fn fresh(backend: &str, run: usize) -> Database {
        let dir = tempfile::TempDir::new().unwrap();
        match backend {
            "sqlite" => Database { dir, url: None, pg_name: None },
            "postgres" => {
                let name = format!("wardbook_bench_ingest_{}_{run}", std::process::id());
                let mut admin =
                    postgres::Client::connect(&admin_url(), postgres::NoTls).expect("PostgreSQL for the benchmark");
                admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
                admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                Database { dir, url: Some(with_database(&admin_url(), &name)), pg_name: Some(name) }
            }
            other => panic!("unknown backend {other}: sqlite or postgres"),
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_string(), self.dir.path().display().to_string()];
        if let Some(url) = &self.url {
            args.extend(["--database".to_string(), url.clone()]);
        }
        args
    }

    fn open(&self) -> Arc<dyn ServerStore> {
        wardbook_server::store::open(self.url.as_deref(), &database_path(self.dir.path())).unwrap()
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut admin) = postgres::Client::connect(&admin_url(), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server process and CPU times

/// One `wardbook-server serve` process (killed when dropped).
struct Server {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn start(db: &Database) -> Server {
        let log = std::fs::File::create(db.dir.path().join("server.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(db.args())
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("starting wardbook-server");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let log = std::fs::read_to_string(db.dir.path().join("server.log")).unwrap_or_default();
            panic!("wardbook-server said {line:?} instead of `listening on`; its log:\n{log}");
        };
        Server { url: addr.to_string(), child, _stdout: stdout }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process, in clock ticks (`None` once it is gone).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields after it start past its closing parenthesis.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// CPU ticks of every process named `postgres` on the machine.
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0 };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(|pid| cpu_ticks(&pid))
        .sum()
}

/// Busy and total jiffies of the whole machine (`/proc/stat`).
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<u64> =
        stat.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: u64 = cpu.iter().take(8).sum();
    let idle = cpu.get(3).copied().unwrap_or(0) + cpu.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

struct CpuSample {
    server: u64,
    load: u64,
    postgres: u64,
    machine: (u64, u64),
}

fn sample(server_pid: &str) -> CpuSample {
    CpuSample {
        server: cpu_ticks(server_pid).expect("the server process is running"),
        load: cpu_ticks("self").unwrap_or(0),
        postgres: postgres_ticks(),
        machine: machine_ticks(),
    }
}

// ---------------------------------------------------------------------------------------------
// Devices and their prepared changes

/// One request's changes and their records (acks answer them in order).
#[derive(Clone)]
struct Prepared {
    changes: Vec<RecordBytes>,
    records: Vec<RecordId>,
}

fn change_hash(change: &RecordBytes) -> automerge::ChangeHash {
    automerge::Change::from_bytes(change.bytes.clone()).expect("the store made a readable change").hash()
}

impl Prepared {
    fn new(changes: Vec<RecordBytes>) -> Prepared {
        let records = changes.iter().map(|c| c.record).collect();
        Prepared { changes, records }
    }
}

/// A device: a real store, its changes cut into requests, and what its receipts were numbered from.
struct Device {
    store: Store,
    requests: Vec<Prepared>,
    /// The blocks the first run's server granted, in order; every later fresh database must
    /// grant the same, or the receipts' numbers would not be this device's.
    blocks: Vec<NumberBlock>,
    _dir: tempfile::TempDir,
}

fn open_devices(n: usize) -> Vec<Device> {
    (0..n)
        .map(|_| {
            let dir = tempfile::TempDir::new().unwrap();
            let store = Store::open(dir.path().join("device.sqlite3")).unwrap();
            Device { store, requests: vec![], blocks: vec![], _dir: dir }
        })
        .collect()
}

/// How many receipts `records` of the mix hold.
fn receipts_in(records: usize, device: usize) -> u64 {
    (0..records).filter(|k| matches!(mix_n(device, *k) % 10, 4..=6)).count() as u64
}

fn mix_n(device: usize, k: usize) -> u32 {
    (device * 100_000 + k) as u32
}

/// Records the device's work offline and cuts its changes into requests.
fn record_work(device: &mut Device, index: usize, records: usize, request_bytes: usize) {
    let store = &mut device.store;
    let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
    let mut edits = Vec::new();
    for k in 0..records {
        let t = now();
        let record = demo::mixed(RecordId::new(), t, mix_n(index, k));
        match record.kind() {
            RecordKind::Receipt => {
                store.issue_receipt(record, t).unwrap();
            }
            kind => {
                store.create(&record, t).unwrap();
                if matches!(kind, RecordKind::Inspection | RecordKind::FsmJob) {
                    edits.push((record.id, kind));
                }
            }
        }
    }
    // What a first sync would send: every new record.
    let first = store.outbox(usize::MAX).unwrap().changes;
    for (id, kind) in edits {
        let t = now();
        match kind {
            RecordKind::Inspection => {
                store
                    .update(id, t, |r| {
                        if let Body::Inspection(i) = &mut r.body {
                            i.subject.push_str(" (rechecked)");
                        }
                        Ok(())
                    })
                    .unwrap();
            }
            _ => {
                // A signed workflow step: the application now waits for its fee.
                store.transition(id, supervisor, Status::PendingApplFeePayment, t, None).unwrap();
            }
        }
    }
    // The next sync sends the edits: the outbox again, less what the first one held (no
    // answer was applied to the store, so it offers every change since it was last pushed).
    let sent: HashSet<_> = first.iter().map(change_hash).collect();
    let second: Vec<RecordBytes> =
        store.outbox(usize::MAX).unwrap().changes.into_iter().filter(|c| !sent.contains(&change_hash(c))).collect();
    let mut requests = Vec::new();
    let mut current: Vec<RecordBytes> = Vec::new();
    let mut size = 0;
    for change in first.into_iter().chain(second) {
        size += change.bytes.len();
        current.push(change);
        if size >= request_bytes {
            requests.push(Prepared::new(std::mem::take(&mut current)));
            size = 0;
        }
    }
    if !current.is_empty() {
        requests.push(Prepared::new(current));
    }
    device.requests = requests;
}

// ---------------------------------------------------------------------------------------------
// HTTP

fn http() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(1).timeout(Duration::from_secs(300)).build().unwrap()
}

async fn post_sync(client: &reqwest::Client, url: &str, token: &str, body: Vec<u8>) -> SyncResponse {
    let response = client
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .header("content-type", CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let bytes = response.bytes().await.expect("the answer's body arrives");
    assert!(status.is_success(), "POST /v1/sync answered {status}: {}", String::from_utf8_lossy(&bytes));
    wire::decode(&bytes).expect("the answer decodes")
}

fn request(cursor: Cursor, changes: Vec<RecordBytes>, page_bytes: u32, want: Option<NumberRequest>) -> Vec<u8> {
    wire::encode(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor,
        changes,
        max_page_bytes: Some(page_bytes),
        want_numbers: want,
    })
}

/// One enrolled device of one run: its token and where its cursor stands.
struct Session {
    token: String,
    cursor: Cursor,
}

/// Enrolls every device with its signing key and asks, device by device, for the receipt
/// numbers its work needs. On the first run the blocks go into the device's store (as a sync
/// would put them); later runs must be granted the same ones.
async fn enroll_all(url: &str, codes: &[String], devices: &mut [Device], cfg: &Config, first: bool) -> Vec<Session> {
    let client = http();
    let fy = wardbook::calendar::financial_year(now());
    let mut sessions = Vec::new();
    for (i, (device, code)) in devices.iter_mut().zip(codes).enumerate() {
        let key = device.store.device_key().unwrap().public_key();
        let enrollment = SyncClient::enroll(url, code, &format!("bench device {i}"), Some(&key)).await.unwrap();
        let mut cursor = Cursor::default();
        let mut granted = Vec::new();
        let mut needed = receipts_in(cfg.records, i);
        // At most 1,000 numbers per grant and 2,000 unused per device: receipts past that are
        // numbered from the device's own series, which the server also accepts.
        for _ in 0..2 {
            if needed == 0 {
                break;
            }
            let want = NumberRequest { fy: fy.clone(), count: needed.min(1000) as u32 };
            let body = request(cursor.clone(), vec![], cfg.page_bytes, Some(want));
            let response = post_sync(&client, url, &enrollment.token, body).await;
            cursor = response.cursor.clone();
            let got: u64 = response.number_blocks.iter().map(|b| b.last - b.first + 1).sum();
            assert!(got > 0, "device {i} was granted no receipt numbers");
            needed = needed.saturating_sub(got);
            granted.extend(response.number_blocks.iter().cloned());
            if first {
                device.store.apply_sync(&Outbox::default(), &response, now()).unwrap();
            }
        }
        if first {
            SyncClient::new(url, &enrollment.token).refresh_reference(&mut device.store).await.unwrap();
            device.blocks = granted;
        } else {
            assert_eq!(granted, device.blocks, "device {i}: a fresh database granted other receipt numbers");
        }
        if cursor == Cursor::default() {
            // No numbers asked for: bootstrap (an empty town) to a cursor of this database.
            let response =
                post_sync(&client, url, &enrollment.token, request(cursor, vec![], cfg.page_bytes, None)).await;
            cursor = response.cursor;
        }
        sessions.push(Session { token: enrollment.token, cursor });
    }
    sessions
}

/// What the load of one device saw.
#[derive(Default)]
struct DeviceResult {
    stored: usize,
    requests: usize,
    latencies: Vec<Duration>,
    items_received: usize,
    bytes_sent: usize,
}

async fn drive(url: String, session: Session, requests: Vec<Prepared>, page_bytes: u32, i: usize) -> DeviceResult {
    let client = http();
    let mut cursor = session.cursor;
    let mut result = DeviceResult::default();
    for Prepared { changes, records } in requests {
        let n = changes.len();
        let body = request(cursor.clone(), changes, page_bytes, None);
        result.bytes_sent += body.len();
        let started = Instant::now();
        let response = post_sync(&client, &url, &session.token, body).await;
        result.latencies.push(started.elapsed());
        assert_eq!(response.acks.len(), n, "device {i}: {n} changes sent, {} acks", response.acks.len());
        for (ack, record) in response.acks.iter().zip(&records) {
            match ack {
                Outcome::Stored { .. } => result.stored += 1,
                other => panic!("device {i}: a change of record {record} was not stored: {other:?}"),
            }
        }
        result.items_received += response.items.len();
        result.requests += 1;
        cursor = response.cursor;
    }
    result
}

// ---------------------------------------------------------------------------------------------
// One run

struct RunResult {
    stored: usize,
    requests: usize,
    wall: f64,
    rate: f64,
    server_us: f64,
    load_us: f64,
    postgres_us: f64,
    machine_busy: f64,
    p50_ms: f64,
    p99_ms: f64,
    items_received: usize,
    body_kib: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn start_perf(file: &str, pid: u32) -> (Child, String) {
    let log = std::fs::File::create(format!("{file}.log")).unwrap();
    let child = Command::new("perf")
        .args(["record", "-F", "999", "--call-graph", "dwarf,65528", "-o", file, "-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starting perf");
    std::thread::sleep(Duration::from_millis(500));
    (child, file.to_string())
}

/// Stops perf and says whether it wrote a profile (once, one run wrote an empty file).
fn stop_perf((mut perf, file): (Child, String)) {
    let _ = Command::new("kill").args(["-INT", &perf.id().to_string()]).status();
    let status = perf.wait();
    let size = std::fs::metadata(&file).map_or(0, |m| m.len());
    eprintln!("perf {status:?}: {file} holds {size} bytes (its messages: {file}.log)");
    if size < 100_000 {
        eprintln!("perf wrote no usable profile; run again");
    }
}

fn run_once(
    runtime: &tokio::runtime::Runtime,
    backend: &str,
    run: usize,
    devices: &mut [Device],
    cfg: &Config,
    first: bool,
) -> RunResult {
    let db = Database::fresh(backend, run);
    let codes: Vec<String> = {
        let store = db.open();
        transact(&*store, &Scope::Admin, |sql| db::tenant_add(sql, TOWN, "Nabha", &demo_reference(TOWN, "Nabha")))
            .unwrap();
        (0..devices.len())
            .map(|_| {
                transact(&*store, &Scope::Admin, |sql| db::device_enroll(sql, TOWN, demo::user_id(Role::Supervisor)))
                    .unwrap()
                    .1
            })
            .collect()
    };
    let server = Server::start(&db);
    let sessions = runtime.block_on(enroll_all(&server.url, &codes, devices, cfg, first));
    if first {
        let started = Instant::now();
        for (i, d) in devices.iter_mut().enumerate() {
            record_work(d, i, cfg.records, cfg.request_bytes);
        }
        let changes: usize = devices.iter().flat_map(|d| &d.requests).map(|r| r.changes.len()).sum();
        let requests: usize = devices.iter().map(|d| d.requests.len()).sum();
        eprintln!(
            "prepared {changes} changes in {requests} requests on {} devices in {:.1} s",
            devices.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let pid = server.pid().to_string();
    let perf = match (&cfg.perf, run) {
        (Some(file), 0) => Some(start_perf(&format!("{file}.{backend}"), server.pid())),
        _ => None,
    };
    let loads: Vec<_> = sessions
        .into_iter()
        .zip(devices.iter())
        .enumerate()
        .map(|(i, (session, d))| drive(server.url.clone(), session, d.requests.clone(), cfg.page_bytes, i))
        .collect();
    let before = sample(&pid);
    let started = Instant::now();
    let results: Vec<DeviceResult> = runtime.block_on(async {
        let tasks: Vec<_> = loads.into_iter().map(tokio::spawn).collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("a device's load failed"));
        }
        results
    });
    let wall = started.elapsed().as_secs_f64();
    let after = sample(&pid);
    if let Some(perf) = perf {
        stop_perf(perf);
    }
    drop(server);
    let counted = {
        let store = db.open();
        transact(&*store, &Scope::Admin, |sql| {
            sql.row("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN])?.unwrap().int(0)
        })
        .unwrap() as usize
    };
    let stored: usize = results.iter().map(|r| r.stored).sum();
    assert_eq!(counted, stored, "the server's log holds {counted} changes, its acks said {stored}");
    let mut latencies: Vec<Duration> = results.iter().flat_map(|r| r.latencies.iter().copied()).collect();
    latencies.sort();
    let tick_us = 1e6 / clock_ticks();
    let per_change = |a: u64, b: u64| (b.saturating_sub(a)) as f64 * tick_us / stored as f64;
    let (busy, total) = (after.machine.0 - before.machine.0, after.machine.1 - before.machine.1);
    let requests: usize = results.iter().map(|r| r.requests).sum();
    RunResult {
        stored,
        requests,
        wall,
        rate: stored as f64 / wall,
        server_us: per_change(before.server, after.server),
        load_us: per_change(before.load, after.load),
        postgres_us: per_change(before.postgres, after.postgres),
        machine_busy: busy as f64 / total.max(1) as f64,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        items_received: results.iter().map(|r| r.items_received).sum(),
        body_kib: results.iter().map(|r| r.bytes_sent).sum::<usize>() as f64 / requests as f64 / 1024.0,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

fn main() {
    let cfg = Config::from_env();
    assert!(Path::new(BIN).exists(), "{BIN} is not built");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if cfg.perf.is_some() {
        eprintln!("WARDBOOK_BENCH_PERF: perf's overhead counts as the server's CPU in the first run of each backend");
    }
    let mut devices = open_devices(cfg.devices);
    eprintln!(
        "server {BIN}; {} devices, {} new records each, requests of ~{} KiB, pages of {} KiB, {} runs per backend, {} cores",
        cfg.devices,
        cfg.records,
        cfg.request_bytes / 1024,
        cfg.page_bytes / 1024,
        cfg.runs,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut table = Vec::new();
    let mut first = true;
    for backend in &cfg.backends {
        let mut runs = Vec::new();
        for run in 0..cfg.runs {
            let r = run_once(&runtime, backend, run, &mut devices, &cfg, first);
            first = false;
            eprintln!(
                "{backend} run {}: {} changes stored in {:.2} s = {:.0}/s; server {:.0} µs/change, load {:.0} µs/change, \
                 postgres {:.0} µs/change, machine {:.0} % busy; {} requests ({:.1} KiB), p50 {:.1} ms, p99 {:.1} ms; \
                 {} items received",
                run + 1,
                r.stored,
                r.wall,
                r.rate,
                r.server_us,
                r.load_us,
                r.postgres_us,
                r.machine_busy * 100.0,
                r.requests,
                r.body_kib,
                r.p50_ms,
                r.p99_ms,
                r.items_received
            );
            runs.push(r);
        }
        table.push((backend.clone(), runs));
    }
    println!();
    println!(
        "| Backend | Changes stored | Requests | Changes/request | Changes/s (wall) | Server CPU µs/change | \
         p50 ms | p99 ms | Load CPU µs/change | postgres CPU µs/change | Machine busy |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (backend, runs) in &table {
        let m = |f: &dyn Fn(&RunResult) -> f64| median(runs.iter().map(f).collect());
        let stored = m(&|r| r.stored as f64);
        let requests = m(&|r| r.requests as f64);
        println!(
            "| {} | {stored:.0} | {requests:.0} | {:.1} | {:.0} | {:.0} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} % |",
            if backend == "sqlite" { "SQLite" } else { "PostgreSQL" },
            stored / requests,
            m(&|r| r.rate),
            m(&|r| r.server_us),
            m(&|r| r.p50_ms),
            m(&|r| r.p99_ms),
            m(&|r| r.load_us),
            m(&|r| r.postgres_us),
            m(&|r| r.machine_busy * 100.0),
        );
    }
    println!();
    if let Some((_, runs)) = table.iter().find(|(b, _)| b == "sqlite") {
        let rate = median(runs.iter().map(|r| r.rate).collect());
        let cpu = median(runs.iter().map(|r| r.server_us).collect());
        let verdict = |ok: bool| if ok { "pass" } else { "FAIL" };
        println!(
            "goal (SQLite, 2 cores): ≥ {GOAL_RATE:.0} changes/s: {rate:.0} → {}; server CPU ≤ {GOAL_CPU_US:.0} µs/change: {cpu:.0} → {}",
            verdict(rate >= GOAL_RATE),
            verdict(cpu <= GOAL_CPU_US)
        );
    }
}
