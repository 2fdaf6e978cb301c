//! The crash test: the real `wardbook write-load` process is killed (SIGKILL) at random
//! moments; every record it reported saved before dying must be in the store afterwards, whole,
//! and the file must pass SQLite's integrity check.
//!
//! - `WARDBOOK_CRASH_KILLS` sets how many kills (default 200; never fewer than 200 when `CI` is
//!   set).
//! - `WARDBOOK_CRASH_SEED` replays a run's choices (when to kill, when to start a fresh file);
//!   every run prints its seed. The exact moment a kill lands still depends on timing.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wardbook::domain::RecordKind;
use wardbook::ids::RecordId;
use wardbook::store::Store;

const DEFAULT_KILLS: u32 = 200;

fn kills_wanted() -> u32 {
    let asked = std::env::var("WARDBOOK_CRASH_KILLS")
        .ok()
        .map(|v| v.trim().parse::<u32>().unwrap_or_else(|_| panic!("WARDBOOK_CRASH_KILLS={v:?} is not a number")));
    let kills = asked.unwrap_or(DEFAULT_KILLS);
    if std::env::var_os("CI").is_some() { kills.max(DEFAULT_KILLS) } else { kills }
}

fn seed() -> u64 {
    match std::env::var("WARDBOOK_CRASH_SEED") {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("WARDBOOK_CRASH_SEED={v:?} is not a number")),
        Err(_) => rand::random(),
    }
}

/// What one `write-load` run printed: `saved <id> <kind>` per committed record.
type Reported = Vec<(RecordId, RecordKind)>;

/// Reads the child's stdout line by line until it closes, forwarding each complete line.
fn read_lines(child: &mut Child) -> (mpsc::Receiver<String>, thread::JoinHandle<()>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match stdout.read_line(&mut line) {
                // A line cut short by the kill was never fully reported; only whole lines count.
                Ok(0) | Err(_) => break,
                Ok(_) if line.ends_with('\n') => {
                    if tx.send(line.trim_end().to_string()).is_err() {
                        break;
                    }
                }
                Ok(_) => break,
            }
        }
    });
    (rx, reader)
}

fn parse(line: &str) -> (RecordId, RecordKind) {
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("saved"), Some(id), Some(kind), None) => (
            id.parse().unwrap_or_else(|e| panic!("bad id in {line:?}: {e}")),
            kind.parse().unwrap_or_else(|e| panic!("bad kind in {line:?}: {e}")),
        ),
        _ => panic!("write-load printed an unexpected line: {line:?}"),
    }
}

/// Starts `write-load` on `db` and kills it at a moment `rng` picks: a delay after start
/// (landing anywhere from process start-up and migration to steady writing) or right after
/// the n-th reported commit.
fn run_and_kill(db: &Path, stderr: &Path, rng: &mut StdRng) -> Reported {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wardbook"))
        .arg("write-load")
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(stderr).expect("stderr file"))
        .spawn()
        .expect("start wardbook write-load");
    let started = Instant::now();
    let (lines, reader) = read_lines(&mut child);
    let mut saved = Vec::new();

    if rng.random_bool(0.5) {
        thread::sleep(Duration::from_millis(rng.random_range(0..=60)));
    } else {
        let after = rng.random_range(1..=25);
        while saved.len() < after && started.elapsed() < Duration::from_secs(10) {
            if let Ok(line) = lines.recv_timeout(Duration::from_millis(50)) {
                saved.push(parse(&line));
            }
        }
        // Sometimes a little later, so the kill lands inside the next commit.
        if rng.random_bool(0.5) {
            thread::sleep(Duration::from_micros(rng.random_range(0..4000)));
        }
    }
    if let Some(status) = child.try_wait().expect("poll write-load") {
        let err = std::fs::read_to_string(stderr).unwrap_or_default();
        panic!("write-load stopped on its own ({status}) before the kill:\n{err}");
    }
    child.kill().expect("kill write-load");
    child.wait().expect("reap write-load");
    reader.join().expect("stdout reader");
    saved.extend(lines.try_iter().map(|line| parse(&line)));
    saved
}

/// Opens the store as the app would after the crash and checks the reported records; returns
/// how many records the file holds.
fn verify(db: &Path, saved: &[(RecordId, RecordKind)], context: &str) -> u64 {
    let store = Store::open(db).unwrap_or_else(|e| panic!("{context}: the store does not open after a kill: {e}"));
    assert_eq!(store.integrity_check().unwrap(), "ok", "{context}: integrity check");
    for (id, kind) in saved {
        match store.get(*id) {
            Ok(record) => assert_eq!(record.kind(), *kind, "{context}: record {id} has the kind reported"),
            Err(e) => {
                panic!("{context}: record {id} ({kind}) was reported saved but reads as: {e}")
            }
        }
    }
    let count = store.count().unwrap();
    assert!(count >= saved.len() as u64, "{context}: {count} records stored, {} reported", saved.len());
    count
}

#[test]
fn every_record_reported_saved_survives_the_app_being_killed_at_any_moment() {
    let kills = kills_wanted();
    let seed = seed();
    println!("crash test: {kills} kills, seed {seed} (replay with WARDBOOK_CRASH_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::TempDir::new().unwrap();
    let stderr = dir.path().join("write-load.stderr");
    let started = Instant::now();

    // Mostly one growing file, so kills land in every phase of a busy store; now and then a
    // fresh file, so some land in creating and migrating it.
    let mut files: BTreeMap<PathBuf, Vec<(RecordId, RecordKind)>> = BTreeMap::new();
    let mut db = dir.path().join("device-0.sqlite3");
    let mut verified = 0usize;
    let mut empty_runs = 0u32;
    // Commits that reached the file but were not yet reported when the kill came.
    let mut unreported = 0u64;
    let mut last_count: BTreeMap<PathBuf, u64> = BTreeMap::new();
    for kill in 0..kills {
        if kill > 0 && rng.random_ratio(1, 20) {
            db = dir.path().join(format!("device-{kill}.sqlite3"));
        }
        let reported = run_and_kill(&db, &stderr, &mut rng);
        let context = format!("seed {seed}, kill {kill}, {}", db.display());
        let count = verify(&db, &reported, &context);
        let before = last_count.insert(db.clone(), count).unwrap_or(0);
        let expected = before + reported.len() as u64;
        assert!(count >= expected, "{context}: {count} records stored, at least {expected} were saved before");
        unreported += count - expected;
        verified += reported.len();
        empty_runs += u32::from(reported.is_empty());
        files.entry(db.clone()).or_default().extend(reported);
    }

    // At the end, everything ever reported on each file is still there.
    for (file, saved) in &files {
        verify(file, saved, &format!("seed {seed}, final check of {}", file.display()));
    }
    let total: usize = files.values().map(Vec::len).sum();
    if kills >= 10 {
        assert!(total >= kills as usize, "seed {seed}: the runs had time to save records ({total} in {kills} runs)");
    }
    println!(
        "crash test: {kills} kills ({empty_runs} before the first report, {unreported} just after a commit it \
         had not reported yet), {verified} reported records verified after their kill and again at the end \
         across {} files, in {:.1} s, seed {seed}",
        files.len(),
        started.elapsed().as_secs_f64()
    );
}
