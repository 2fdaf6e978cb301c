//! Device store benchmark: a real SQLite file filled with 50,000 records of the demo mix, then
//! save latency (receipts with `synchronous=FULL`, inspections with `NORMAL`), one ward's list,
//! bytes per record on disk and the process's memory. Prints a markdown table.
//!
//! Run: `cargo bench --bench store` (release profile).
//!
//! Environment (optional):
//! - `WARDBOOK_BENCH_RECORDS`: records to fill (default 50,000).
//! - `WARDBOOK_BENCH_DIR`: directory for the temporary store (default: the system temp dir).
//!   It must be a real disk for the fsync figures to mean anything (not tmpfs).
//! - `WARDBOOK_BENCH_KEEP=1`: keep the store file afterwards (its path is printed), to inspect it.

use std::path::Path;
use std::time::{Duration, Instant};

use wardbook::demo;
use wardbook::domain::{Answer, Body, RecordKind, UnixMillis};
use wardbook::ids::RecordId;
use wardbook::store::{Query, Store};

const DEFAULT_RECORDS: u32 = 50_000;
const RECEIPT_SAVES: u32 = 500;
const INSPECTION_CREATES: u32 = 500;
const INSPECTION_UPDATES: u32 = 500;
const SAME_RECORD_UPDATES: u32 = 200;
const LISTS: u32 = 200;
const WARMUP: u32 = 20;

/// Latency samples of one operation.
struct Samples(Vec<Duration>);

impl Samples {
    fn new() -> Self {
        Samples(Vec::new())
    }

    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0.push(start.elapsed());
        out
    }

    /// The `p`th percentile (nearest rank), in milliseconds.
    fn pct(&self, p: f64) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        ms(sorted[rank.clamp(1, sorted.len()) - 1])
    }

    fn max(&self) -> f64 {
        ms(self.0.iter().copied().max().unwrap_or_default())
    }

    fn mean(&self) -> f64 {
        ms(self.0.iter().sum::<Duration>()) / self.0.len() as f64
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One line of the result table.
struct Row {
    figure: String,
    value: String,
    goal: String,
    verdict: &'static str,
}

fn row(figure: impl Into<String>, value: impl Into<String>, goal: Option<(&str, bool)>) -> Row {
    let (goal, verdict) = match goal {
        Some((goal, true)) => (goal.to_string(), "pass"),
        Some((goal, false)) => (goal.to_string(), "**FAIL**"),
        None => ("–".to_string(), "info"),
    };
    Row { figure: figure.into(), value: value.into(), goal, verdict }
}

/// `VmRSS` and `VmHWM` from /proc/self/status, in MiB.
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn toggle_clean(record: &mut wardbook::domain::Record) -> wardbook::Result<()> {
    if let Body::Inspection(i) = &mut record.body {
        let clean = matches!(i.answers.get("clean"), Some(Answer::YesNo(true)));
        i.answers.insert("clean".into(), Answer::YesNo(!clean));
    }
    Ok(())
}

fn main() {
    let records: u32 =
        std::env::var("WARDBOOK_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_RECORDS);
    let dir = match std::env::var_os("WARDBOOK_BENCH_DIR") {
        Some(base) => tempfile::tempdir_in(base),
        None => tempfile::tempdir(),
    }
    .expect("temporary directory");
    let path = dir.path().join("device.db");
    let wal = dir.path().join("device.db-wal");
    let started = Instant::now();
    let mut clock: UnixMillis = 1_780_000_000_000;
    let mut tick = || {
        clock += 1_000;
        clock
    };

    let mut store = Store::open(&path).expect("open store");
    store.put_reference(&demo::reference()).expect("reference data");

    // Fill with the realistic mix, one create (one transaction) per record, as the app would.
    eprintln!("filling {records} records into {} ...", path.display());
    let fill_start = Instant::now();
    let mut inspections = Vec::new();
    let mut fill = Samples::new();
    for n in 0..records {
        let record = demo::mixed(RecordId::new(), tick(), n);
        if record.kind() == RecordKind::Inspection {
            inspections.push(record.id);
        }
        fill.time(|| store.create(&record, record.created_at)).expect("create while filling");
    }
    let fill_time = fill_start.elapsed();
    eprintln!("filled in {:.1} s", fill_time.as_secs_f64());
    // Between phases the app would have had idle moments, where it checkpoints (after a sync).
    store.checkpoint().expect("checkpoint");
    let mut n = records;

    // 1. Receipts: the `synchronous=FULL` path.
    let mut receipts = Samples::new();
    for i in 0..WARMUP + RECEIPT_SAVES {
        n += 1;
        let record = demo::receipt(RecordId::new(), tick(), "W02", n);
        if i < WARMUP {
            store.create(&record, record.created_at).expect("warm-up receipt");
        } else {
            receipts.time(|| store.create(&record, record.created_at)).expect("receipt");
        }
    }

    store.checkpoint().expect("checkpoint");
    // 2a. Inspections created (`NORMAL`).
    let mut creates = Samples::new();
    for i in 0..WARMUP + INSPECTION_CREATES {
        n += 1;
        let record = demo::inspection(RecordId::new(), tick(), "W02", n);
        if i < WARMUP {
            store.create(&record, record.created_at).expect("warm-up inspection");
        } else {
            creates.time(|| store.create(&record, record.created_at)).expect("inspection");
        }
    }

    store.checkpoint().expect("checkpoint");
    // 2b. One answer of an existing inspection changed, each a different record spread over
    // the filled ones (the first increment of each).
    let mut updates = Samples::new();
    let stride = (inspections.len() / (INSPECTION_UPDATES + WARMUP) as usize).max(1);
    for (i, id) in inspections.iter().step_by(stride).take((WARMUP + INSPECTION_UPDATES) as usize).enumerate() {
        let now = tick();
        if i < WARMUP as usize {
            store.update(*id, now, toggle_clean).expect("warm-up update");
        } else {
            updates.time(|| store.update(*id, now, toggle_clean)).expect("update");
        }
    }

    store.checkpoint().expect("checkpoint");
    // 2c. The same inspection edited again and again (increments pile up, then compaction).
    let mut same = Samples::new();
    let target = inspections[inspections.len() / 2];
    for _ in 0..SAME_RECORD_UPDATES {
        let now = tick();
        same.time(|| store.update(target, now, toggle_clean)).expect("repeated update");
    }

    store.checkpoint().expect("checkpoint");
    // 3. One ward's open inspections.
    let query = Query::open(RecordKind::Inspection).in_ward("W02");
    let mut lists = Samples::new();
    let mut listed = 0;
    for i in 0..WARMUP + LISTS {
        if i < WARMUP {
            store.list(&query).expect("warm-up list");
        } else {
            listed = lists.time(|| store.list(&query)).expect("list").len();
        }
    }
    // 5. Memory, right after the listing loop.
    let (rss, hwm) = memory_mib();

    // 4. Bytes on disk after a checkpoint.
    let total = store.count().expect("count");
    let (avg_snapshot, avg_search): (f64, f64) = {
        let conn = rusqlite::Connection::open(&path).expect("second connection");
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0)).expect("checkpoint");
        conn.query_row(
            "SELECT (SELECT avg(length(snapshot)) FROM record_docs), avg(length(search_text)) FROM records",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("average sizes")
    };
    let (db_bytes, wal_bytes) = (file_len(&path), file_len(&wal));
    let per_record = (db_bytes + wal_bytes) as f64 / total as f64;

    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mut table = vec![
        row(
            format!("fill: create (mixed kinds, {records} records)"),
            format!(
                "{:.1} s total; {:.2} ms mean, p50 {:.2} / p99 {:.2} ms",
                fill_time.as_secs_f64(),
                fill.mean(),
                fill.pct(50.0),
                fill.pct(99.0)
            ),
            None,
        ),
        row(
            format!("save receipt, create, `FULL` (n={RECEIPT_SAVES})"),
            format!("p50 {:.2} / p99 {:.2} / max {:.2} ms", receipts.pct(50.0), receipts.pct(99.0), receipts.max()),
            Some(("p99 ≤ 5 ms", receipts.pct(99.0) <= 5.0)),
        ),
        row(
            format!("save inspection, create, `NORMAL` (n={INSPECTION_CREATES})"),
            format!("p50 {:.2} / p99 {:.2} / max {:.2} ms", creates.pct(50.0), creates.pct(99.0), creates.max()),
            Some(("p99 ≤ 2 ms", creates.pct(99.0) <= 2.0)),
        ),
        row(
            format!("save inspection, update one answer, `NORMAL` (n={INSPECTION_UPDATES} records)"),
            format!("p50 {:.2} / p99 {:.2} / max {:.2} ms", updates.pct(50.0), updates.pct(99.0), updates.max()),
            Some(("p99 ≤ 2 ms", updates.pct(99.0) <= 2.0)),
        ),
        row(
            format!("save inspection, same record updated {SAME_RECORD_UPDATES}×"),
            format!("p50 {:.2} / p99 {:.2} / max {:.2} ms", same.pct(50.0), same.pct(99.0), same.max()),
            Some(("p99 ≤ 2 ms", same.pct(99.0) <= 2.0)),
        ),
        row(
            format!("list open inspections of W02 ({listed} rows, n={LISTS})"),
            format!("p50 {:.2} / p99 {:.2} / max {:.2} ms", lists.pct(50.0), lists.pct(99.0), lists.max()),
            Some(("p99 ≤ 10 ms", lists.pct(99.0) <= 10.0)),
        ),
        row(
            format!("bytes per record on disk ({total} records, db+wal after checkpoint)"),
            format!(
                "{per_record:.0} B ({:.1} MiB db + {:.1} MiB wal)",
                db_bytes as f64 / 1048576.0,
                wal_bytes as f64 / 1048576.0
            ),
            None,
        ),
        row("average snapshot (Automerge document) size", format!("{avg_snapshot:.0} B"), None),
        row("average search_text size", format!("{avg_search:.0} B"), None),
        row("RSS after listing loop (VmRSS)", format!("{rss:.1} MiB"), Some(("≤ 150 MB", rss * 1.048576 <= 150.0))),
        row("peak RSS of the whole run (VmHWM)", format!("{hwm:.1} MiB"), Some(("≤ 150 MB", hwm * 1.048576 <= 150.0))),
    ];
    table.push(row("whole benchmark run", format!("{:.1} s", started.elapsed().as_secs_f64()), None));

    if std::env::var_os("WARDBOOK_BENCH_KEEP").is_some() {
        drop(store);
        let kept = dir.keep();
        eprintln!("kept {}", kept.display());
    }

    println!();
    println!("Machine: {nproc} CPUs (available_parallelism), {}", std::env::consts::ARCH);
    println!("Store file: {}", path.display());
    println!();
    println!("| Figure | Value | Goal | Result |");
    println!("|---|---|---|---|");
    for r in &table {
        println!("| {} | {} | {} | {} |", r.figure, r.value, r.goal, r.verdict);
    }
}
