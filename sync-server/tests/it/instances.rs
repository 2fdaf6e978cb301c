//! Two server processes on one database, ten devices pushing and pulling through both at once:
//! every device ends with every change it may see, nothing is stored twice, no cursor skips.
//! Runs on the backend under test (PostgreSQL in CI's second pass; SQLite shares the file).

use std::process::Stdio;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use wardbook::domain::{Body, RecordKind, Role};
use wardbook::ids::RecordId;
use wardbook::store::{Query, SyncState};
use wardbook::sync::client::SyncClient;
use wardbook_server::cli::demo_reference;
use wardbook_server::{db, params};

use crate::support::{Device, TOWN_A, TestDb, now};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

/// A real `wardbook-server serve` process on a free port.
pub struct Instance {
    child: Child,
    pub url: String,
}

impl Instance {
    pub async fn start(db: &TestDb) -> Instance {
        let mut child = Command::new(BIN)
            .args(db.args())
            .args(["serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().unwrap();
        let url = line.strip_prefix("listening on ").expect("the server prints its address").trim().to_string();
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Instance { child, url }
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// What one device did, for the checks at the end.
struct Worker {
    device: Device,
    clients: [SyncClient; 2],
    cursors: Vec<u64>,
}

async fn work(mut w: Worker, seed: u64, rounds: u32) -> Worker {
    let mut rng = StdRng::seed_from_u64(seed);
    for round in 0..rounds {
        for _ in 0..rng.random_range(1..=3) {
            let n = rng.random_range(0..10_000);
            let ward = ["W01", "W02"][rng.random_range(0..2)];
            // What each role makes in the demo town, within its wards.
            let id = RecordId::new();
            let record = match w.device.actor.role {
                Role::Inspector => wardbook::demo::inspection(id, now(), ward, n),
                Role::Collector => wardbook::demo::receipt(id, now(), "W02", n),
                Role::Surveyor => wardbook::demo::asset_survey(id, now(), ward, n),
                Role::SanitationCrew => wardbook::demo::trip(id, now(), ward, n),
                _ => wardbook::demo::mixed(id, now(), n),
            };
            w.device.create(record);
        }
        // Edit something received from others, so changes cross devices and instances.
        let rows = w.device.store.list(&Query { kind: Some(RecordKind::Inspection), ..Query::default() }).unwrap();
        if !rows.is_empty() && matches!(w.device.actor.role, Role::Inspector | Role::Supervisor) {
            let id = rows[rng.random_range(0..rows.len())].id;
            let text = format!("seen by {} in round {round}", w.device.device_id);
            let _ = w.device.store.update(id, now(), |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.subject = text;
                }
                Ok(())
            });
        }
        let client = &w.clients[rng.random_range(0..2)];
        client.sync(&mut w.device.store).await.unwrap();
        w.cursors.push(w.device.store.cursor().unwrap().seq);
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_serve_ten_devices_at_once() {
    let db = TestDb::new();
    db.admin(|sql| db::tenant_add(sql, TOWN_A, "Nabha", &demo_reference(TOWN_A, "Nabha")));
    let (a, b) = (Instance::start(&db).await, Instance::start(&db).await);
    let roles = [
        Role::Supervisor,
        Role::Supervisor,
        Role::Supervisor,
        Role::Inspector,
        Role::Inspector,
        Role::Inspector,
        Role::Collector,
        Role::Collector,
        Role::Surveyor,
        Role::SanitationCrew,
    ];
    let mut handles = Vec::new();
    for (i, role) in roles.into_iter().enumerate() {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        let device = Device::enroll(url, &db, TOWN_A, role).await;
        let token = device.client.token().to_string();
        let clients = [SyncClient::new(&a.url, &token), SyncClient::new(&b.url, &token)];
        handles.push(tokio::spawn(work(Worker { device, clients, cursors: vec![] }, i as u64, 8)));
    }
    let mut workers = Vec::new();
    for h in handles {
        workers.push(h.await.unwrap());
    }
    // Quiet: two more rounds each, alternating instances, so everyone has everything.
    for _ in 0..2 {
        for w in &mut workers {
            for c in &w.clients {
                c.sync(&mut w.device.store).await.unwrap();
                w.cursors.push(w.device.store.cursor().unwrap().seq);
            }
        }
    }

    let count = db.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    let distinct = db.count("SELECT COUNT(DISTINCT hash) FROM changes WHERE tenant = ?1", params![TOWN_A]);
    assert_eq!(count, distinct, "a change is in the log twice");
    let seqs: Vec<i64> = db.admin(|sql| {
        sql.rows("SELECT seq FROM changes WHERE tenant = ?1 ORDER BY seq", params![TOWN_A])?
            .iter()
            .map(|r| r.int(0))
            .collect()
    });
    assert_eq!(seqs, (1..=count).collect::<Vec<_>>(), "sequence numbers are dense across both instances");
    let server: Vec<(String, String, Option<String>, Vec<u8>)> = db.admin(|sql| {
        let rows = sql.rows("SELECT id, kind, ward, doc FROM records WHERE tenant = ?1", params![TOWN_A])?;
        rows.iter().map(|r| Ok((r.text(0)?, r.text(1)?, r.opt_text(2)?, r.blob(3)?))).collect()
    });
    assert!(server.len() >= 100, "the workload made {} records", server.len());
    for w in &workers {
        assert!(w.cursors.windows(2).all(|c| c[0] <= c[1]), "{}: a cursor went backwards", w.device.device_id);
        assert_eq!(
            w.cursors.last().copied(),
            Some(count as u64),
            "{}: the cursor reached the log's head",
            w.device.device_id
        );
        assert_eq!(w.device.store.waiting_count().unwrap(), 0);
        let rows = w.device.store.list(&Query::default()).unwrap();
        assert!(
            rows.iter().all(|r| r.sync_state == SyncState::OnServer),
            "{}: something was not taken",
            w.device.device_id
        );
        let scope = wardbook::domain::access::Scope {
            tenant: TOWN_A.into(),
            user: w.device.actor.user,
            roles: vec![w.device.actor.role],
            wards: demo_reference(TOWN_A, "Nabha").user(w.device.actor.user).unwrap().wards.clone(),
        };
        let mut visible = 0;
        for (id, kind, ward, doc) in &server {
            let own = rows.iter().any(|r| r.id.to_string() == *id);
            if !scope.can_see(kind.parse().unwrap(), ward.as_deref()) {
                assert!(!own || w.device.store.get(id.parse().unwrap()).unwrap().created_by == w.device.actor.user);
                continue;
            }
            visible += 1;
            let on_server = wardbook::document::RecordDoc::load(&[1; 16], doc, &[]).unwrap().record().unwrap();
            let on_device = w.device.store.get(id.parse().unwrap());
            assert_eq!(on_device.ok(), Some(on_server), "{} is missing or stale on {}", id, w.device.device_id);
        }
        assert!(visible > 0);
    }
    a.stop().await;
    b.stop().await;
}
