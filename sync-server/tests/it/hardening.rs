//! A server that trusts no device and does not lie to its operator: honest health, checked
//! names and ids, throttled enrollment, hardened HTTP answers.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook_server::cli::database_path;
use wardbook_server::db;
use wardbook_server::error::AppError;
use wardbook_server::settings::Settings;
use wardbook_server::store::{Scope, SqliteStore, transact};

use crate::support::{TOWN_A, TestDb, TestServer, call, now, raw_sync};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

fn code_of(body: &[u8]) -> (String, String) {
    let json: Value = serde_json::from_slice(body).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(body)));
    (json["code"].as_str().unwrap().to_string(), json["message"].as_str().unwrap().to_string())
}

/// `serve` on `dir` with the real binary; its exit status and stderr (it must exit by itself).
fn serve_refused(dir: &std::path::Path) -> (bool, String) {
    let dir = dir.display().to_string();
    let mut child = Command::new(BIN)
        .args(["--data-dir", &dir, "serve", "--port", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("serve started on an unwritable store");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn serve_refuses_a_read_only_database_file_or_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    let file = database_path(dir.path());
    drop(SqliteStore::open(&file).unwrap());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (ok, stderr) = serve_refused(dir.path());
    assert!(!ok, "serve exited successfully on a read-only file: {stderr}");
    assert!(stderr.contains("read-only") && stderr.contains("wardbook-server.sqlite3"), "{stderr}");
    assert!(matches!(SqliteStore::open(&file), Err(AppError::Unwritable(_))));

    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let (ok, stderr) = serve_refused(dir.path());
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!ok, "serve exited successfully in a read-only directory: {stderr}");
    assert!(stderr.contains("read-only") && stderr.contains("directory"), "{stderr}");
    // Writable again: it opens.
    assert!(SqliteStore::open(&file).is_ok());
}

#[tokio::test]
async fn a_deleted_or_replaced_database_file_makes_health_503_and_writes_fail() {
    let server = TestServer::on(TestDb::sqlite().add_towns()).await;
    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));

    // Made read-only under the running server: health says so (the server runs as root in
    // CI, so the permission bits are what the server checks, not a failed write).
    let file = database_path(server.db.dir.path());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, message) = code_of(&body);
    assert_eq!((status, code.as_str()), (503, "unhealthy"), "{message}");
    assert!(message.contains("read-only"), "{message}");
    let (status, _, _) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200);

    // Replaced: a copy moved over the path is another file (another inode).
    let copy = file.with_extension("copy");
    std::fs::copy(&file, &copy).unwrap();
    std::fs::rename(&copy, &file).unwrap();
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    let (code, message) = code_of(&body);
    assert_eq!((status, code.as_str()), (503, "unhealthy"), "{message}");
    assert!(message.contains("replaced"), "{message}");

    // Deleted: health says so, and a sync is refused rather than acknowledged into the void.
    std::fs::remove_file(&file).unwrap();
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    let (code, message) = code_of(&body);
    assert_eq!((status, code.as_str()), (503, "unhealthy"), "{message}");
    assert!(message.contains("deleted"), "{message}");
    phone.store.create(&wardbook::demo::inspection(RecordId::new(), now(), "W01", 1), now()).unwrap();
    let err = phone.sync().await.unwrap_err();
    assert!(
        matches!(&err, wardbook::Error::Server { status: 503, code, .. } if code == "store_unavailable"),
        "got {err:?}"
    );
    let (status, body) = raw_sync(&server.url(), phone.client.token(), vec![]).await;
    assert_eq!((status, code_of(&body).0.as_str()), (503, "store_unavailable"));
}

#[tokio::test]
async fn health_answers_within_a_second_when_the_store_is_busy() {
    let server = TestServer::start().await;
    let (status, _, _) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200);
    // Eight long transactions: the SQLite connection is taken, the PostgreSQL pool (8) empty.
    let holders: Vec<_> = (0..8)
        .map(|_| {
            let store = server.db.store.clone();
            std::thread::spawn(move || {
                transact(&*store, &Scope::Admin, |_| {
                    std::thread::sleep(Duration::from_secs(3));
                    Ok(())
                })
                .unwrap();
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    let took = started.elapsed();
    let (code, message) = code_of(&body);
    assert_eq!((status, code.as_str()), (503, "unhealthy"), "{message}");
    assert!(took < Duration::from_secs(1), "health took {took:?}");
    assert!(message.contains("busy") || message.contains("no database connection"), "{message}");
    tokio::task::spawn_blocking(move || holders.into_iter().for_each(|h| h.join().unwrap())).await.unwrap();
    let (status, _, body) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
}

#[tokio::test]
async fn a_half_sent_request_is_disconnected_after_the_header_read_timeout() {
    let settings = Settings { header_read_timeout: Duration::from_secs(1), ..Settings::default() };
    let server = TestServer::with_settings(TestDb::with_towns(), settings).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: wardbook\r\n").await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let took = started.elapsed();
    assert!(read.is_ok(), "the connection was still open after 5 s");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "closed after {took:?}");
    let text = String::from_utf8_lossy(&answer);
    assert!(answer.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // A whole request on a fresh connection is answered.
    let (status, _, _) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!(status, 200);
}

async fn enroll_raw(server: &TestServer, body: Value) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/enroll", server.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.headers().clone(), response.bytes().await.unwrap().to_vec())
}

fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

#[tokio::test]
async fn enrollment_checks_names_counts_failures_and_throttles_an_address() {
    let settings = Settings { enroll_failures: 4, ..Settings::default() };
    let server = TestServer::with_settings(TestDb::with_towns(), settings).await;
    let user = wardbook::demo::user_id(Role::Inspector);
    let (_, code) = server.db.admin(|sql| db::device_enroll(sql, TOWN_A, user));
    for (name, why) in [("\u{1b}[2J\u{1b}[Hpwned", "control"), ("   ", "empty"), (&*"x".repeat(65), "64")] {
        let (status, _, body) = enroll_raw(&server, serde_json::json!({"code": code, "device_name": name})).await;
        let (got, message) = code_of(&body);
        assert_eq!((status, got.as_str()), (400, "invalid_device_name"), "{message}");
        assert!(message.contains(why), "{message}");
    }
    // The code was not used up by the refusals; a clean name is kept trimmed; never cached.
    let (status, headers, body) =
        enroll_raw(&server, serde_json::json!({"code": code, "device_name": "  Asha's phone  "})).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["cache-control"], "no-store");
    let devices = server.db.admin(|sql| db::device_list(sql, Some(TOWN_A)));
    assert!(devices.iter().any(|d| d.name.as_deref() == Some("Asha's phone")), "{devices:?}");

    // Three failures so far; the fourth (a guessed code) reaches the limit, then even a valid
    // code from this address waits.
    let guess = serde_json::json!({"code": "AAAA-BBBB-CC", "device_name": "guess"});
    let (status, _, body) = enroll_raw(&server, guess.clone()).await;
    assert_eq!((status, code_of(&body).0.as_str()), (401, "invalid_enrollment_code"));
    let (_, fresh) = server.db.admin(|sql| db::device_enroll(sql, TOWN_A, user));
    let (status, headers, body) =
        enroll_raw(&server, serde_json::json!({"code": fresh, "device_name": "honest"})).await;
    assert_eq!((status, code_of(&body).0.as_str()), (429, "too_many_attempts"));
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 15 * 60, "Retry-After {wait}");
    let (_, _, metrics) = call(&server, "GET", "/metrics", None, None).await;
    let metrics = String::from_utf8(metrics).unwrap();
    assert_eq!(sample(&metrics, "wardbook_enrollment_failures_total"), 5.0, "{metrics}");
}

#[tokio::test]
async fn behind_a_local_proxy_the_throttle_counts_the_forwarded_client_address() {
    let settings =
        Settings { enroll_failures: 2, client_address_header: Some("x-real-ip".into()), ..Settings::default() };
    let server = TestServer::with_settings(TestDb::with_towns(), settings).await;
    let guess = |from: &'static str| {
        let url = format!("{}/v1/enroll", server.url());
        async move {
            let body = serde_json::json!({"code": "AAAA-BBBB-CC", "device_name": "guess"}).to_string();
            let response = reqwest::Client::new()
                .post(url)
                .header("x-real-ip", from)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), code_of(&response.bytes().await.unwrap()).0)
        }
    };
    assert_eq!(guess("203.0.113.7").await, (401, "invalid_enrollment_code".into()));
    assert_eq!(guess("203.0.113.7").await, (401, "invalid_enrollment_code".into()));
    assert_eq!(guess("203.0.113.7").await, (429, "too_many_attempts".into()));
    // Another client behind the same proxy is not held back by the first one's failures.
    assert_eq!(guess("198.51.100.2").await, (401, "invalid_enrollment_code".into()));
}

#[tokio::test]
async fn a_collectors_device_must_register_a_signing_key() {
    let server = TestServer::start().await;
    let (_, code) = server.db.admin(|sql| db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Collector)));
    let (status, _, body) = enroll_raw(&server, serde_json::json!({"code": code, "device_name": "counter 1"})).await;
    let (got, message) = code_of(&body);
    assert_eq!((status, got.as_str()), (400, "signing_key_required"), "{message}");
    // With its key the same code works: the refusal did not use it up.
    let key = wardbook::ledger::DeviceKey::from_seed([3; 32]).public_key();
    wardbook::sync::client::SyncClient::enroll(&server.url(), &code, "counter 1", Some(&key)).await.unwrap();
}

#[tokio::test]
async fn town_ids_are_checked_and_stored_device_names_are_listed_escaped() {
    let db = TestDb::with_towns();
    let admin = |args: &[&str]| {
        let out = Command::new(BIN).args(db.args()).args(args).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        if out.status.success() { Ok(text(&out.stdout)) } else { Err(text(&out.stderr)) }
    };
    for bad in ["../etc", "PB.Nabha", ".pb", "pb..nabha", "x", "pb/nabha", "pb\u{1b}[31m"] {
        let err = admin(&["tenant", "add", bad, "--name", "Bad"]).unwrap_err();
        assert!(err.contains("invalid town id"), "{bad}: {err}");
        assert!(!err.contains('\u{1b}'), "the error echoes an escape raw: {err:?}");
    }
    admin(&["tenant", "add", "pb.sangrur-2", "--name", "Sangrur"]).unwrap();

    // A name an older server stored with a terminal escape is shown escaped.
    let (device, _) = db.admin(|sql| db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Inspector)));
    db.admin(|sql| {
        sql.exec(
            "UPDATE devices SET name = ?2 WHERE id = ?1",
            wardbook_server::params![device.to_string(), "evil\u{1b}]0;owned\u{7}\u{1b}[2J"],
        )
    });
    let listed = admin(&["device", "list", "--tenant", TOWN_A]).unwrap();
    assert!(!listed.chars().any(|c| c.is_control() && c != '\n'), "{listed:?}");
    assert!(listed.contains("evil\\u{1b}]0;owned\\u{7}\\u{1b}[2J"), "{listed}");
}

#[tokio::test]
async fn html_and_token_answers_carry_hardening_headers_and_any_bearer_case_works() {
    let server = TestServer::start().await;
    let response = reqwest::get(format!("{}/verify?code=nonsense", server.url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // The page needs nothing the policy forbids: no script, no external resource.
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("href="), "{page}");

    let phone = server.device(TOWN_A, Role::Inspector).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let response = reqwest::Client::new()
            .get(format!("{}/v1/reference", server.url()))
            .header("authorization", format!("{scheme} {}", phone.client.token()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{scheme}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let response = reqwest::Client::new()
        .get(format!("{}/v1/reference", server.url()))
        .header("authorization", format!("Basic {}", phone.client.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(code_of(&response.bytes().await.unwrap()).0, "missing_token");
}
