//! The server process killed (SIGKILL) and restarted on the same port and data directory,
//! again and again, while a device keeps creating records and pushing them: no change the
//! server acknowledged is lost, none is stored twice, and the change log stays dense.
//!
//! This runs the real `wardbook-server` binary. `WARDBOOK_SERVER_KILLS` sets the number of
//! kills (default 100, what CI runs), `WARDBOOK_SERVER_SEED` replays a run (the seed is printed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};
use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook::store::{Store, SyncState};
use wardbook_server::params;

use crate::support::{Device, TOWN_A, TestDb, now};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn server_log(data: &Path) -> String {
    let log = std::fs::read_to_string(data.join("server.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// Where the server's database is (`--data-dir DIR` or `--database URL`) and its log.
#[derive(Clone)]
struct Target {
    args: Vec<String>,
    logs: PathBuf,
}

/// One running `wardbook-server serve` process.
struct Server {
    child: Child,
    port: u16,
    /// Kept open so the server's stdout never turns into a broken pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl Server {
    /// Starts the binary on `port` (0: any free port) and waits for its `listening on` line.
    async fn start(target: &Target, port: u16) -> Result<Server, String> {
        let data = target.logs.as_path();
        let log = std::fs::OpenOptions::new().create(true).append(true).open(data.join("server.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(&target.args)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("spawning {BIN}: {e}"))?;
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        let port = match &line {
            Ok(Ok(Some(line))) => {
                line.strip_prefix("listening on http://127.0.0.1:").and_then(|p| p.trim().parse().ok())
            }
            _ => None,
        };
        match port {
            Some(port) => Ok(Server { child, port, _stdout: lines }),
            None => {
                let _ = child.kill().await;
                Err(format!("no `listening on` line (got {line:?}); log:\n{}", server_log(data)))
            }
        }
    }

    /// Starts the binary again on the same port, retrying while the port is not free yet.
    async fn restart(target: &Target, port: u16) -> Server {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match Server::start(target, port).await {
                Ok(server) => return server,
                Err(e) if Instant::now() > deadline => {
                    panic!("could not restart on port {port}: {e}")
                }
                Err(_) => tokio::time::sleep(ms(50)).await,
            }
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Kills the server at random moments and starts it again, `kills` times; returns it running.
async fn killer(mut server: Server, target: Target, kills: usize, seed: u64) -> Server {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6b69_6c6c);
    for n in 0..kills {
        tokio::time::sleep(ms(rng.random_range(30..400))).await;
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!(
                "seed {seed}: the server exited on its own ({status}) before kill {n}; log:\n{}",
                server_log(&target.logs)
            );
        }
        server.child.kill().await.unwrap(); // SIGKILL, then reap.
        tokio::time::sleep(ms(rng.random_range(0..120))).await;
        server = Server::restart(&target, server.port).await;
    }
    server
}

/// The server's log holds a change of this record.
fn stored_on_server(server: &TestDb, id: RecordId) -> bool {
    server.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1 AND record = ?2", params![TOWN_A, id.to_string()]) > 0
}

/// Records whose badge says the server has them.
fn note_acknowledged(store: &Store, pending: &mut Vec<RecordId>, acknowledged: &mut BTreeSet<RecordId>) {
    pending.retain(|id| {
        let on_server = store.sync_state(*id).unwrap().0 == SyncState::OnServer;
        if on_server {
            acknowledged.insert(*id);
        }
        !on_server
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_and_restarted_during_pushes_loses_no_acknowledged_change() {
    let started = Instant::now();
    let kills: usize = std::env::var("WARDBOOK_SERVER_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(100);
    let seed: u64 = std::env::var("WARDBOOK_SERVER_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    println!("server_crash: seed {seed} (WARDBOOK_SERVER_SEED={seed} replays it), {kills} kills");
    let mut rng = StdRng::seed_from_u64(seed);

    // The admin prepares the town with the real binary.
    let server_db = TestDb::new();
    let target = Target { args: server_db.args(), logs: server_db.dir.path().to_path_buf() };
    let out = std::process::Command::new(BIN)
        .args(&target.args)
        .args(["tenant", "add", TOWN_A, "--name", "Nabha", "--demo"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "tenant add failed: {}", String::from_utf8_lossy(&out.stderr));
    let supervisor = wardbook::demo::user_id(Role::Supervisor);
    assert!(stdout.contains(&format!("user {supervisor} ")), "tenant add printed no supervisor:\n{stdout}");

    let server = Server::start(&target, 0).await.unwrap();
    let url = server.url();
    // Enrolled while the server runs, on the same database (admin side), then over HTTP.
    let mut device = Device::enroll(&url, &server_db, TOWN_A, Role::Supervisor).await;

    let killer = tokio::spawn(killer(server, target.clone(), kills, seed));
    let mut created: Vec<RecordId> = Vec::new();
    let mut pending: Vec<RecordId> = Vec::new();
    let mut acknowledged = BTreeSet::new();
    let mut cut_after_commit = BTreeSet::new();
    let (mut synced, mut offline) = (0u32, 0u32);
    let mut n = 0u32;
    while !killer.is_finished() {
        for _ in 0..rng.random_range(1..=4) {
            let id = RecordId::new();
            device.create(wardbook::demo::mixed(id, now(), n));
            n += 1;
            created.push(id);
            pending.push(id);
        }
        match device.sync().await {
            Ok(_) => synced += 1,
            Err(wardbook::Error::Offline(_)) => {
                offline += 1;
                tokio::time::sleep(ms(rng.random_range(2..25))).await;
            }
            Err(e) => {
                panic!("seed {seed}: a sync failed other than by the server being away: {e:?}")
            }
        }
        // A sync that failed half-way may still have settled its first requests.
        note_acknowledged(&device.store, &mut pending, &mut acknowledged);
        // Stored by the server, but the answer died with it: must be acknowledged later, once.
        for id in &pending {
            if stored_on_server(&server_db, *id) {
                cut_after_commit.insert(*id);
            }
        }
    }
    let server = killer.await.unwrap();
    let acknowledged_during_kills = acknowledged.len();

    // The server is up again: one more sync (a few tries, the last restart may be fresh).
    let mut tries = 0;
    loop {
        match device.sync().await {
            Ok(_) => break,
            Err(wardbook::Error::Offline(_)) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(ms(100)).await;
            }
            Err(e) => panic!("seed {seed}: the final sync failed: {e:?}"),
        }
    }
    note_acknowledged(&device.store, &mut pending, &mut acknowledged);
    println!(
        "server_crash: {kills} kills, {} records, {acknowledged_during_kills} acknowledged while killing, \
         {synced} syncs through, {offline} offline, {} stored but unanswered when killed, {:.1?}",
        created.len(),
        cut_after_commit.len(),
        started.elapsed()
    );
    assert!(synced > 0 && acknowledged_during_kills > 0, "seed {seed}: no sync got through while killing");
    assert_eq!(device.store.waiting_count().unwrap(), 0, "seed {seed}: the device still has changes waiting");
    assert!(pending.is_empty(), "seed {seed}: {} records never reached the server", pending.len());
    assert_eq!(acknowledged.len(), created.len());

    // The server's file, read as it is: every acknowledged record, with the device's content.
    for id in &acknowledged {
        let doc = server_db.admin(|sql| {
            sql.row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![TOWN_A, id.to_string()])?
                .map(|r| r.blob(0))
                .transpose()
        });
        let doc = doc.unwrap_or_else(|| panic!("seed {seed}: acknowledged record {id} is not on the server"));
        let on_server = wardbook::document::RecordDoc::load(&[1; 16], &doc, &[]).unwrap().record().unwrap();
        assert_eq!(on_server, device.store.get(*id).unwrap(), "seed {seed}: record {id} differs on the server");
    }
    // The change log: one change per record, none twice, sequence numbers 1..N without a gap.
    let count = server_db.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    let distinct = server_db.count("SELECT COUNT(DISTINCT hash) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    assert_eq!(count, distinct, "seed {seed}: a change is in the log twice");
    let seqs: Vec<i64> = server_db.admin(|sql| {
        sql.rows("SELECT seq FROM changes WHERE tenant = ?1 ORDER BY seq", params![TOWN_A])?
            .iter()
            .map(|r| r.int(0))
            .collect()
    });
    assert_eq!(seqs, (1..=count).collect::<Vec<_>>(), "seed {seed}: sequence numbers have gaps");
    let next = server_db.count("SELECT next_seq FROM tenants WHERE id = ?1", params![TOWN_A]);
    assert_eq!(next, count + 1, "seed {seed}: next_seq does not follow the log");
    assert_eq!(count, created.len() as i64, "seed {seed}: one change per created record");
    assert_eq!(server_db.count("SELECT COUNT(*) FROM parked", params![]), 0, "seed {seed}: changes left parked");

    // A second, fresh device bootstraps from the restarted server and holds every one of them.
    let mut fresh = Device::enroll(&url, &server_db, TOWN_A, Role::Supervisor).await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.store.count().unwrap(), created.len() as u64, "seed {seed}: the fresh device got another count");
    for id in &acknowledged {
        assert_eq!(fresh.store.get(*id).unwrap(), device.store.get(*id).unwrap(), "seed {seed}: record {id}");
    }
    assert_eq!(device.sync().await.unwrap().received, 0, "seed {seed}: nothing new for the first device");
    assert_eq!(device.store.waiting_count().unwrap(), 0);

    let mut child = server.child;
    child.kill().await.unwrap();
    println!("server_crash: done in {:.1?}", started.elapsed());
}
