//! What a device can leave on the server is bounded and eventually goes: parked changes expire
//! and are bounded per device; a blob stays only once a stored record names it; partial uploads
//! expire. Collected by `gc` (the command, or `serve` periodically).

use std::process::Command;
use std::time::{Duration, SystemTime};

use automerge::transaction::Transactable;
use wardbook::domain::{Body, PhotoRef, Role};
use wardbook::ids::RecordId;
use wardbook::sync::photos::sha256_hex;
use wardbook::sync::wire::{Outcome, RecordBytes};
use wardbook_server::params;

use crate::support::{TOWN_A, TestDb, TestServer, call, now, push};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");
const DAY_MS: i64 = 24 * 3600 * 1000;

/// `n` changes of one document, each depending on the one before; the first is left out, so
/// every one sent parks.
fn orphan_changes(record: RecordId, n: usize) -> Vec<RecordBytes> {
    let mut doc = automerge::AutoCommit::new();
    for i in 0..=n {
        doc.put(automerge::ROOT, "n", i as i64).unwrap();
        doc.commit();
    }
    doc.get_changes(&[]).iter().skip(1).map(|c| RecordBytes { record, bytes: c.raw_bytes().to_vec() }).collect()
}

fn parked(server: &TestServer) -> i64 {
    server.db.count("SELECT COUNT(*) FROM parked WHERE tenant = ?1", params![TOWN_A])
}

async fn metric(server: &TestServer, name: &str) -> f64 {
    let (_, _, body) = call(server, "GET", "/metrics", None, None).await;
    let text = String::from_utf8(body).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

#[tokio::test]
async fn a_parked_change_past_its_age_is_deleted_by_gc_and_counted() {
    let server = TestServer::start().await;
    let phone = server.device(TOWN_A, Role::Inspector).await;
    let (old, fresh) = (RecordId::new(), RecordId::new());
    let mut changes = orphan_changes(old, 1);
    changes.extend(orphan_changes(fresh, 1));
    let answer = push(&server.url(), phone.client.token(), changes).await;
    assert!(answer.acks.iter().all(|a| *a == Outcome::Parked), "{:?}", answer.acks);
    assert_eq!(parked(&server), 2);
    // One waited eight days for a dependency that never came (the default age is seven).
    server.db.admin(|sql| {
        sql.exec("UPDATE parked SET received_at = ?2 WHERE record = ?1", params![old.to_string(), now() - 8 * DAY_MS])
    });
    let done = server.gc().await;
    assert_eq!(done.parked_expired, 1, "{done}");
    assert_eq!(parked(&server), 1, "the fresh one waits on");
    assert_eq!(metric(&server, "wardbook_parked_expired_total").await, 1.0);
    assert_eq!(server.gc().await.parked_expired, 0);
}

#[tokio::test]
async fn a_device_cannot_park_more_than_its_bound() {
    let server = TestServer::start().await;
    let phone = server.device(TOWN_A, Role::Inspector).await;
    let limit = wardbook_server::gc::parked_per_device() as usize;
    assert_eq!(limit, 1000, "the default bound");
    let answer = push(&server.url(), phone.client.token(), orphan_changes(RecordId::new(), limit + 2)).await;
    let outcomes: Vec<_> = answer.acks.iter().collect();
    assert!(outcomes[..limit].iter().all(|o| **o == Outcome::Parked));
    for refused in &outcomes[limit..] {
        assert!(matches!(refused, Outcome::Rejected { code, .. } if code == "parked_limit"), "{refused:?}");
    }
    assert_eq!(parked(&server), limit as i64);
    // The bound is per device: another device of the town still parks.
    let other = server.device(TOWN_A, Role::Inspector).await;
    let answer = push(&server.url(), other.client.token(), orphan_changes(RecordId::new(), 1)).await;
    assert_eq!(answer.acks[0], Outcome::Parked);
}

async fn put_blob(server: &TestServer, token: &str, bytes: &[u8], upto: usize) -> u16 {
    let sha = sha256_hex(bytes);
    reqwest::Client::new()
        .put(format!("{}/v1/blobs/{sha}", server.url()))
        .bearer_auth(token)
        .header("content-range", format!("bytes 0-{}/{}", upto - 1, bytes.len()))
        .body(bytes[..upto].to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn head_blob(server: &TestServer, token: &str, sha: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .head(format!("{}/v1/blobs/{sha}", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let word = response.headers().get("wardbook-blob").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (response.status().as_u16(), word)
}

fn age_file(path: &std::path::Path, by: Duration) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn an_unnamed_blob_past_the_grace_window_is_deleted_and_a_named_one_kept() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    let (named, unnamed) = (b"a photo an inspection names".repeat(100), b"a photo nobody names".repeat(100));
    let (named_sha, unnamed_sha) = (sha256_hex(&named), sha256_hex(&unnamed));
    let mut inspection = wardbook::demo::inspection(RecordId::new(), now(), "W01", 1);
    if let Body::Inspection(i) = &mut inspection.body {
        i.photos = vec![PhotoRef { sha256: named_sha.clone(), taken_at: None, location: None }];
    }
    phone.store.create(&inspection, now()).unwrap();
    assert_eq!(phone.sync().await.unwrap().confirmed, 1);
    let token = phone.client.token().to_string();
    assert_eq!(put_blob(&server, &token, &named, named.len()).await, 200);
    assert_eq!(put_blob(&server, &token, &unnamed, unnamed.len()).await, 200);

    // Within the grace window both stay.
    assert_eq!(server.gc().await.blobs_deleted, 0);
    assert_eq!(head_blob(&server, &token, &unnamed_sha).await, (200, "complete".into()));

    // Two days later (the default grace is a day) the unnamed one goes, the named one stays.
    for sha in [&named_sha, &unnamed_sha] {
        age_file(&server.state.blobs.path(TOWN_A, sha), Duration::from_secs(2 * 86400));
    }
    let done = server.gc().await;
    assert_eq!((done.blobs_deleted, done.bytes_freed), (1, unnamed.len() as u64), "{done}");
    assert_eq!(head_blob(&server, &token, &named_sha).await, (200, "complete".into()));
    assert_eq!(head_blob(&server, &token, &unnamed_sha).await.0, 404);
    assert_eq!(metric(&server, "wardbook_blobs_collected_total").await, 1.0);
}

#[tokio::test]
async fn photos_named_by_records_stored_before_the_names_table_are_kept() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Surveyor).await;
    let photo = b"a streetlight photo from last year".repeat(50);
    let sha = sha256_hex(&photo);
    let mut survey = wardbook::demo::asset_survey(RecordId::new(), now(), "W01", 1);
    if let Body::AssetSurvey(a) = &mut survey.body {
        a.photos = vec![PhotoRef { sha256: sha.clone(), taken_at: None, location: None }];
    }
    phone.store.create(&survey, now()).unwrap();
    assert_eq!(phone.sync().await.unwrap().confirmed, 1);
    assert_eq!(put_blob(&server, phone.client.token(), &photo, photo.len()).await, 200);
    // As a database upgraded from schema version 6: the record is there, its names are not.
    server.db.admin(|sql| {
        sql.exec("DELETE FROM record_blobs", &[])?;
        sql.exec("DELETE FROM gc_state", &[])
    });
    age_file(&server.state.blobs.path(TOWN_A, &sha), Duration::from_secs(30 * 86400));
    let done = server.gc().await;
    assert_eq!((done.records_named, done.blobs_deleted), (1, 0), "{done}");
    assert!(done.to_string().contains("read the photo names of 1 records"), "{done}");
    assert_eq!(head_blob(&server, phone.client.token(), &sha).await, (200, "complete".into()));
    assert_eq!(server.gc().await.records_named, 0, "read once");
}

#[tokio::test]
async fn a_partial_upload_past_its_expiry_is_deleted() {
    let server = TestServer::start().await;
    let phone = server.device(TOWN_A, Role::Inspector).await;
    let token = phone.client.token().to_string();
    let (stale, recent) = (b"half of a photo".repeat(200), b"another half photo".repeat(200));
    for bytes in [&stale, &recent] {
        assert_eq!(put_blob(&server, &token, bytes, bytes.len() / 2).await, 200);
    }
    let sha = sha256_hex(&stale);
    assert_eq!(head_blob(&server, &token, &sha).await, (200, "partial".into()));
    let mut part = server.state.blobs.path(TOWN_A, &sha).into_os_string();
    part.push(".part");
    age_file(std::path::Path::new(&part), Duration::from_secs(4 * 86400));
    let done = server.gc().await;
    assert_eq!((done.partials_deleted, done.blobs_deleted), (1, 0), "{done}");
    assert_eq!(head_blob(&server, &token, &sha).await.0, 404);
    assert_eq!(head_blob(&server, &token, &sha256_hex(&recent)).await, (200, "partial".into()));
    assert_eq!(metric(&server, "wardbook_partial_uploads_collected_total").await, 1.0);
}

/// A parked change of an inspector's device that arrived `age` ago (its hash: 32 × `byte`).
fn park_old(db: &TestDb, byte: u8, age: i64) {
    let (device, _) =
        db.admin(|sql| wardbook_server::db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Inspector)));
    db.admin(|sql| {
        sql.exec(
            "INSERT INTO parked (tenant, record, hash, device, bytes, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![TOWN_A, RecordId::new().to_string(), vec![byte; 32], device.to_string(), vec![0u8], now() - age],
        )
    });
}

#[test]
fn the_gc_command_prints_what_it_removed() {
    let db = TestDb::with_towns();
    let blobs = db.dir.path().join("blobs");
    park_old(&db, 1, 30 * DAY_MS);
    let out = Command::new(BIN)
        .args(db.args())
        .args(["gc", "--blob-dir", &blobs.display().to_string(), "--parked-max-age", "29d"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("expired 1 parked changes"), "{stdout}");
    assert_eq!(db.count("SELECT COUNT(*) FROM parked", &[]), 0);
    let bad = Command::new(BIN).args(db.args()).args(["gc", "--parked-max-age", "soon"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a duration"));
}

#[tokio::test]
async fn serve_runs_gc_by_itself_and_counts_what_it_expired() {
    use tokio::io::AsyncBufReadExt;
    let db = TestDb::with_towns();
    park_old(&db, 2, 8 * DAY_MS);
    let blobs = db.dir.path().join("served-blobs").display().to_string();
    let mut child = tokio::process::Command::new(BIN)
        .args(db.args())
        .args(["serve", "--port", "0", "--blob-dir", &blobs, "--gc-interval", "1s"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().unwrap();
    let url = line.strip_prefix("listening on ").expect("the server prints its address").trim().to_string();
    let mut expired = 0.0;
    for _ in 0..100 {
        let text = reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap();
        expired = text
            .lines()
            .find_map(|l| l.strip_prefix("wardbook_parked_expired_total").and_then(|v| v.trim().parse().ok()))
            .unwrap_or(0.0);
        if expired > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(expired, 1.0, "serve did not expire the parked change within 10 s");
    assert_eq!(db.count("SELECT COUNT(*) FROM parked", &[]), 0);
    child.kill().await.unwrap();
}
