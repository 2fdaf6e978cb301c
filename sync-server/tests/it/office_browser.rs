//! The office console in a real browser: the real `wardbook-server` binary (on this run's
//! backend) with a day of records synced from four real devices, a login set with
//! `wardbook-server user password`, and `sync-server/tests/office/today.mjs` driving Debian's
//! headless Chromium through playwright-core: it signs in, reads Today's figures against what
//! this test computed from the devices, follows a figure to its list, checks the page at 360
//! and 1280 px, in English and Hindi, with axe-core, and keeps screenshots in
//! `target/office-artifacts/`.
//!
//! Needs `chromium` (scripts/setup) and `ui/node_modules` (scripts/ui installs playwright-core
//! and axe-core from the UI's lock file); without them it fails saying so.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use wardbook::domain::Role;

use crate::office::{PASSWORD, field_day};
use crate::support::{TOWN_A, TestDb};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[tokio::test]
async fn the_office_signs_in_and_reads_today_in_chromium() {
    let repo = repo();
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "no Chromium at {chromium}: run scripts/setup (apt chromium)");
    let modules = repo.join("ui/node_modules");
    assert!(
        modules.join("playwright-core").is_dir() && modules.join("axe-core").is_dir(),
        "no playwright-core and axe-core in {}: run `scripts/ui build` (npm ci in ui/) first",
        modules.display()
    );

    let db = TestDb::with_towns();
    let log = std::fs::File::create(db.dir.path().join("server.log")).unwrap();
    let mut server = Command::new(BIN)
        .args(db.args())
        .args(["serve", "--host", "127.0.0.1", "--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await.unwrap().unwrap().unwrap();
    let url = line.strip_prefix("listening on ").expect("the server says where it listens").trim().to_string();

    let day = field_day(&url, &db).await;

    // The office login, through the CLI an admin uses.
    let mut cli = Command::new(BIN)
        .args(db.args())
        .args(["user", "password", "--login", "meena", "--role", "supervisor", "--tenant", TOWN_A])
        .args(["--user", &wardbook::demo::user_id(Role::Supervisor).to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    cli.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).await.unwrap();
    let out = cli.wait_with_output().await.unwrap();
    assert!(out.status.success(), "user password: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "password set for meena");

    let expected = serde_json::json!({
        "url": url,
        "login": "meena",
        "password": PASSWORD,
        "figures": {
            "receipts_CASH": day.cash.0,
            "receipts_UPI": day.upi.0,
            "receipts": day.cash.0 + day.upi.0,
            "cash_expected": day.cash.1,
            "cash_handed_over": day.handed_over,
            "reversals_waiting": 1,
            "review": 3,
            "devices_quiet_24h": 2,
            "devices_quiet_72h": 1,
            "photos_missing": 1,
            "trips_waiting": 1,
            "disposals_flagged": 1,
            "inspections_DRAFT": 2,
            "inspections_SUBMITTED": 1,
        },
        "submitted_inspection": day.submitted_inspection.to_string(),
        "artifacts": repo.join("target/office-artifacts").display().to_string(),
        "chromium": chromium,
    });
    let input = db.dir.path().join("expected.json");
    std::fs::write(&input, expected.to_string()).unwrap();
    let run = Command::new("node")
        .arg(repo.join("sync-server/tests/office/today.mjs"))
        .arg(&input)
        .current_dir(&repo)
        .output();
    let run = tokio::time::timeout(Duration::from_secs(120), run).await.expect("the browser test took over 2 min");
    let run = run.expect("node: install Node.js 20 (scripts/setup says how)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let log = std::fs::read_to_string(db.dir.path().join("server.log")).unwrap_or_default();
    assert!(run.status.success(), "the browser test failed:\n{stdout}\n{stderr}\nserver log:\n{log}");
    assert!(stdout.contains("office browser test: ok"), "{stdout}");
    server.kill().await.unwrap();
}
