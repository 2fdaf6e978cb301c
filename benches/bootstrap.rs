//! A new device's bootstrap, on the device alone: N records of the demo mix arrive as the
//! server sends them (each record as its Automerge changes, in pages of about 1 MiB, each page
//! a zstd-compressed CBOR `SyncResponse`) and are applied to a fresh store on a real SQLite
//! file, one page per transaction, as `SyncClient` does. Reports the wall time and the
//! process's CPU (all threads: the new records of a page are read on up to four), and how that
//! CPU splits between reading the pages off the wire and applying them.
//!
//! Three runs, each on a fresh store; the median by CPU is reported with the spread.
//!
//! Run: `cargo bench --bench bootstrap` (release profile). Goal: 50,000 records applied in
//! ≤ 10 s of device CPU.
//!
//! Environment (optional):
//! - `WARDBOOK_BENCH_RECORDS`: records (default 50,000).
//! - `WARDBOOK_BENCH_PAGE_BYTES`: page size before compression (default 1 MiB, the server's
//!   largest).
//! - `WARDBOOK_BENCH_DIR`: directory for the store (default: the system temp dir; a real disk).

use std::time::Instant;

use wardbook::demo;
use wardbook::document::RecordDoc;
use wardbook::ids::RecordId;
use wardbook::store::{Outbox, Store};
use wardbook::wire::{self, Cursor, PROTOCOL_VERSION, RecordBytes, SyncResponse};

const GOAL_CPU_SECS_PER_50K: f64 = 10.0;
const RUNS: usize = 3;

/// One bootstrap's figures.
struct Run {
    wall: f64,
    cpu: f64,
    reading: f64,
}

/// Applies every page to a fresh store on a real file.
fn bootstrap(pages: &[Vec<u8>], records: usize, now: i64) -> Run {
    // The previous run's files written out first, so their writeback does not land in this one.
    let _ = std::process::Command::new("sync").status();
    let dir = match std::env::var_os("WARDBOOK_BENCH_DIR") {
        Some(d) => tempfile::TempDir::new_in(d).unwrap(),
        None => tempfile::TempDir::new().unwrap(),
    };
    let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
    let nothing_sent = Outbox::default();
    let (wall, cpu) = (Instant::now(), process_cpu_secs());
    let mut reading = 0.0;
    let mut received = 0;
    for page in pages {
        let read = thread_cpu_secs();
        let response: SyncResponse = wire::decode(page).expect("a page reads");
        reading += thread_cpu_secs() - read;
        let applied = store.apply_sync(&nothing_sent, &response, now).expect("a page applies");
        assert!(applied.unreadable.is_empty(), "unreadable items: {:?}", applied.unreadable);
        received += applied.received;
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), process_cpu_secs() - cpu);
    assert_eq!(received, records, "every record was applied");
    assert_eq!(store.count().unwrap() as usize, records, "the store holds every record");
    Run { wall, cpu, reading }
}

/// The CPU seconds this process has used so far, every thread (a page's new records are read
/// on several), from `/proc/self/stat` (utime + stime, in clock ticks of 1/100 s).
fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')').expect("a stat line").1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The CPU seconds this thread has used so far.
fn thread_cpu_secs() -> f64 {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux schedstat");
    let nanos: f64 = schedstat.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a CPU time");
    nanos / 1e9
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let records = env_or("WARDBOOK_BENCH_RECORDS", 50_000);
    let page_bytes = env_or("WARDBOOK_BENCH_PAGE_BYTES", 1024 * 1024);
    let now = 1_780_000_000_000;

    // Untimed: the pages, as a server holding records written on other devices sends them.
    let made = Instant::now();
    let mut pages: Vec<Vec<u8>> = Vec::new();
    let mut items: Vec<RecordBytes> = Vec::new();
    let mut size = 0;
    let mut seq = 0u64;
    let flush = |items: &mut Vec<RecordBytes>, seq: u64, more: bool, pages: &mut Vec<Vec<u8>>| {
        let last = items.last().map(|i| i.record);
        let response = SyncResponse {
            protocol: PROTOCOL_VERSION,
            acks: vec![],
            items: std::mem::take(items),
            cursor: Cursor { seq, bootstrapped: !more, snapshot_after: last, epoch: "bench".into() },
            more,
            reset: false,
            number_blocks: vec![],
            reference: None,
        };
        pages.push(wire::encode(&response));
    };
    for n in 0..records as u32 {
        let actor = [1 + (n % 8) as u8; 16];
        let record = demo::mixed(RecordId::new(), now, n);
        let mut doc = RecordDoc::new(&actor, &record).expect("a demo record is written");
        let bytes: Vec<u8> = doc.changes_since(&[]).iter().flat_map(|c| c.raw_bytes().to_vec()).collect();
        size += bytes.len();
        seq += 1;
        items.push(RecordBytes { record: record.id, bytes });
        if size >= page_bytes {
            flush(&mut items, seq, true, &mut pages);
            size = 0;
        }
    }
    flush(&mut items, seq, false, &mut pages);
    let wire_bytes: usize = pages.iter().map(Vec::len).sum();
    eprintln!(
        "bootstrap: {records} records in {} pages ({:.1} MB on the wire), made in {:.1} s",
        pages.len(),
        wire_bytes as f64 / 1e6,
        made.elapsed().as_secs_f64()
    );

    // Timed, three times on a fresh store each (the machine is noisy; the median is reported):
    // read each page off the wire and apply it, as the sync client does.
    let runs: Vec<Run> = (0..RUNS).map(|_| bootstrap(&pages, records, now)).collect();
    let mut by_cpu: Vec<&Run> = runs.iter().collect();
    by_cpu.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    let median = by_cpu[RUNS / 2];
    let (wall, cpu, reading) = (median.wall, median.cpu, median.reading);
    let spread: Vec<String> = runs.iter().map(|r| format!("{:.2}", r.cpu)).collect();
    let per_record_us = cpu / records as f64 * 1e6;
    let goal = GOAL_CPU_SECS_PER_50K * records as f64 / 50_000.0;
    println!("| Figure | Value |");
    println!("|---|---:|");
    println!("| Records | {records} |");
    println!("| Pages (≤ {page_bytes} B before compression) | {} |", pages.len());
    println!("| Wall time | {wall:.2} s |");
    println!("| Device CPU (median of {RUNS} runs: {} s) | {cpu:.2} s |", spread.join(", "));
    println!("| of which reading pages (zstd + CBOR) | {reading:.2} s |");
    println!("| of which applying them to the store | {:.2} s |", cpu - reading);
    println!("| Device CPU per record | {per_record_us:.0} µs |");
    println!(
        "\ngoal: ≤ {goal:.1} s of device CPU for {records} records: {cpu:.2} s → {}",
        if cpu <= goal { "pass" } else { "FAIL" }
    );
}
