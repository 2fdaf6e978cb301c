//! The ledger: every receipt a town takes in enters its hash chain once, and
//! `wardbook-server ledger verify` names the exact entry where a changed byte breaks it.

use std::process::Command;

use wardbook::domain::{Role, Status};
use wardbook::ids::RecordId;
use wardbook_server::ledger::{self, Verification};
use wardbook_server::params;
use wardbook_server::store::{Scope, transact};

use crate::support::{Device, TOWN_A, TOWN_B, TestDb, TestServer, now, off_runtime};

const BIN: &str = env!("CARGO_BIN_EXE_wardbook-server");

/// The library's verdict, in the town's own transaction (row-level security on PostgreSQL).
fn verify(db: &TestDb, town: &str) -> Verification {
    off_runtime(|| transact(&*db.store, &Scope::Tenant(town.into()), |sql| ledger::verify(sql, town))).unwrap()
}

/// The real binary's verdict: whether it succeeded, its stdout and its stderr.
fn verify_cli(db: &TestDb, town: &str) -> (bool, String, String) {
    let out = Command::new(BIN).args(db.args()).args(["ledger", "verify", "--tenant", town]).output().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// `(n, kind, record, entry)` of a town's chain, in order.
fn chain(db: &TestDb, town: &str) -> Vec<(i64, String, String, Vec<u8>)> {
    let town = town.to_string();
    db.admin(move |sql| {
        sql.rows("SELECT n, kind, record, entry FROM ledger WHERE tenant = ?1 ORDER BY n", params![&town])?
            .iter()
            .map(|r| Ok((r.int(0)?, r.text(1)?, r.text(2)?, r.blob(3)?)))
            .collect()
    })
}

/// Flips one bit of one byte of a stored column (`entry` or `hash`) of entry `n`; returns the
/// bytes it had, to put back.
fn flip(db: &TestDb, town: &str, n: i64, column: &str) -> Vec<u8> {
    let (town, column) = (town.to_string(), column.to_string());
    db.admin(move |sql| {
        let before = sql
            .row(&format!("SELECT {column} FROM ledger WHERE tenant = ?1 AND n = ?2"), params![&town, n])?
            .expect("the entry")
            .blob(0)?;
        let mut after = before.clone();
        let i = after.len() / 2;
        after[i] ^= 0x01;
        sql.exec(&format!("UPDATE ledger SET {column} = ?3 WHERE tenant = ?1 AND n = ?2"), params![&town, n, after])?;
        Ok(before)
    })
}

fn put_back(db: &TestDb, town: &str, n: i64, column: &str, bytes: Vec<u8>) {
    let (town, column) = (town.to_string(), column.to_string());
    db.admin(move |sql| {
        sql.exec(&format!("UPDATE ledger SET {column} = ?3 WHERE tenant = ?1 AND n = ?2"), params![&town, n, bytes])
    });
}

fn intact(entries: i64) -> impl Fn(&Verification) -> bool {
    move |v| matches!(v, Verification::Intact { entries: e, .. } if *e == entries)
}

/// A collector of W02 issues `count` receipts (numbered from `first`) and syncs them.
async fn issue(collector: &mut Device, first: u32, count: u32) -> Vec<RecordId> {
    let mut ids = Vec::new();
    for n in first..first + count {
        let id = RecordId::new();
        let mut receipt = wardbook::demo::receipt(id, now(), "W02", n);
        receipt.tenant = collector.tenant.clone();
        collector.create(receipt);
        ids.push(id);
    }
    let report = collector.sync().await.unwrap();
    assert_eq!(report.confirmed, count as usize, "{report:?}");
    ids
}

#[tokio::test]
async fn each_receipt_enters_the_chain_once_and_the_chain_verifies() {
    let server = TestServer::start().await;
    let mut collector = server.device(TOWN_A, Role::Collector).await;
    let receipts = issue(&mut collector, 1, 5).await;

    let stored = chain(&server.db, TOWN_A);
    assert_eq!(stored.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    for (n, kind, record, entry) in &stored {
        assert_eq!(kind, "receipt");
        assert!(receipts.iter().any(|id| id.to_string() == *record), "entry {n} names an unknown record {record}");
        let entry: serde_json::Value = serde_json::from_slice(entry).unwrap();
        let receipt = collector.store.get(record.parse().unwrap()).unwrap();
        assert_eq!(entry["amount_paise"], receipt.amount().unwrap().0);
        assert_eq!(entry["device"], collector.device_id.as_str());
        assert_eq!(entry["kind"], "receipt");
    }
    assert!(intact(5)(&verify(&server.db, TOWN_A)));
    let (ok, stdout, stderr) = verify_cli(&server.db, TOWN_A);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("ledger of pb.nabha: 5 entries, intact"), "{stdout}");

    // A later change to a receipt (a workflow step) enters the log, not the ledger.
    let first = receipts[0];
    collector.store.transition(first, collector.actor, Status::Deposited, now(), None).unwrap();
    assert_eq!(collector.sync().await.unwrap().confirmed, 1);
    let changes = server
        .db
        .count("SELECT COUNT(*) FROM changes WHERE tenant = ?1 AND record = ?2", params![TOWN_A, first.to_string()]);
    assert_eq!(changes, 2, "the creation and the step are both stored");
    // Inspections are not money: they add nothing.
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    for n in 0..3 {
        inspector.store.create(&wardbook::demo::inspection(RecordId::new(), now(), "W01", n), now()).unwrap();
    }
    assert_eq!(inspector.sync().await.unwrap().confirmed, 3);
    assert_eq!(chain(&server.db, TOWN_A), stored, "the chain is as it was");
    assert!(intact(5)(&verify(&server.db, TOWN_A)));

    // New receipts carry the chain on.
    issue(&mut collector, 6, 2).await;
    assert!(intact(7)(&verify(&server.db, TOWN_A)));
}

#[tokio::test]
async fn verify_names_the_entry_whose_byte_was_flipped_or_the_gap_where_one_was_removed() {
    let server = TestServer::start().await;
    let mut collector = server.device(TOWN_A, Role::Collector).await;
    issue(&mut collector, 1, 6).await;
    let db = &server.db;
    let record_of = |n: i64| chain(db, TOWN_A).into_iter().find(|e| e.0 == n).unwrap().2;
    assert!(intact(6)(&verify(db, TOWN_A)));

    // One byte of entry 3's stored content.
    let r3 = record_of(3);
    let original = flip(db, TOWN_A, 3, "entry");
    match verify(db, TOWN_A) {
        Verification::Broken { n, record, reason } => {
            assert_eq!((n, record.as_deref()), (3, Some(r3.as_str())), "{reason}");
            assert!(reason.contains("stored hash"), "{reason}");
        }
        other => panic!("a flipped byte went unnoticed: {other:?}"),
    }
    let (ok, _, stderr) = verify_cli(db, TOWN_A);
    assert!(!ok, "the binary called a tampered ledger intact");
    assert!(stderr.contains(&format!("ledger of pb.nabha is broken at entry 3 (record {r3}): ")), "{stderr}");
    put_back(db, TOWN_A, 3, "entry", original);
    assert!(intact(6)(&verify(db, TOWN_A)));

    // One byte of entry 5's stored hash.
    let r5 = record_of(5);
    let original = flip(db, TOWN_A, 5, "hash");
    assert!(
        matches!(verify(db, TOWN_A), Verification::Broken { n: 5, record: Some(r), .. } if r == r5),
        "{:?}",
        verify(db, TOWN_A)
    );
    let (ok, _, stderr) = verify_cli(db, TOWN_A);
    assert!(!ok);
    assert!(stderr.contains(&format!("ledger of pb.nabha is broken at entry 5 (record {r5}): ")), "{stderr}");
    put_back(db, TOWN_A, 5, "hash", original);
    assert!(intact(6)(&verify(db, TOWN_A)));

    // An entry rewritten whole, with a hash that fits its new content: it no longer matches the
    // receipt it describes (and the next entry's link would break too).
    let (entry2, hash2) = db.admin(|sql| {
        let row = sql.row("SELECT entry, hash FROM ledger WHERE tenant = ?1 AND n = 2", params![TOWN_A])?.unwrap();
        Ok((row.blob(0)?, row.blob(1)?))
    });
    let prev2 = db.admin(|sql| {
        sql.row("SELECT prev_hash FROM ledger WHERE tenant = ?1 AND n = 2", params![TOWN_A])?.unwrap().blob(0)
    });
    let forged = String::from_utf8(entry2.clone()).unwrap().replace("\"amount_paise\":", "\"amount_paise\":1");
    put_back(db, TOWN_A, 2, "hash", ledger::chain_hash(&prev2, forged.as_bytes()));
    put_back(db, TOWN_A, 2, "entry", forged.into_bytes());
    match verify(db, TOWN_A) {
        Verification::Broken { n: 2, reason, .. } => assert!(reason.contains("changed outside the server"), "{reason}"),
        other => panic!("a re-hashed entry went unnoticed: {other:?}"),
    }
    put_back(db, TOWN_A, 2, "entry", entry2);
    put_back(db, TOWN_A, 2, "hash", hash2);
    assert!(intact(6)(&verify(db, TOWN_A)));

    // Entry 4 removed.
    db.admin(|sql| sql.exec("DELETE FROM ledger WHERE tenant = ?1 AND n = 4", params![TOWN_A]));
    match verify(db, TOWN_A) {
        Verification::Broken { n, record, reason } => {
            assert_eq!((n, record), (4, None));
            assert!(reason.contains("entry 4 is missing"), "{reason}");
        }
        other => panic!("a removed entry went unnoticed: {other:?}"),
    }
    let (ok, _, stderr) = verify_cli(db, TOWN_A);
    assert!(!ok);
    assert!(stderr.contains("ledger of pb.nabha is broken at entry 4: entry 4 is missing"), "{stderr}");
}

#[tokio::test]
async fn two_towns_keep_two_independent_chains() {
    let server = TestServer::start().await;
    let mut nabha = server.device(TOWN_A, Role::Collector).await;
    let mut patiala = server.device(TOWN_B, Role::Collector).await;
    issue(&mut nabha, 1, 3).await;
    issue(&mut patiala, 1, 2).await;
    issue(&mut nabha, 4, 1).await;
    issue(&mut patiala, 3, 2).await;

    let a = chain(&server.db, TOWN_A);
    let b = chain(&server.db, TOWN_B);
    assert_eq!(a.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(b.iter().map(|e| e.0).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    for (_, _, _, entry) in &b {
        assert_eq!(serde_json::from_slice::<serde_json::Value>(entry).unwrap()["tenant"], TOWN_B);
    }
    // Each chain starts from zero: the first entry of one town does not depend on the other.
    let first_prev = |town: &str| {
        let town = town.to_string();
        server.db.admin(move |sql| {
            sql.row("SELECT prev_hash FROM ledger WHERE tenant = ?1 AND n = 1", params![&town])?.unwrap().blob(0)
        })
    };
    assert_eq!(first_prev(TOWN_A), vec![0u8; 32]);
    assert_eq!(first_prev(TOWN_B), vec![0u8; 32]);
    assert!(intact(4)(&verify(&server.db, TOWN_A)));
    assert!(intact(4)(&verify(&server.db, TOWN_B)));

    // Tampering in one town breaks only that town's chain.
    flip(&server.db, TOWN_B, 1, "entry");
    assert!(matches!(verify(&server.db, TOWN_B), Verification::Broken { n: 1, .. }));
    assert!(intact(4)(&verify(&server.db, TOWN_A)));
    let (ok, stdout, _) = verify_cli(&server.db, TOWN_A);
    assert!(ok && stdout.contains("ledger of pb.nabha: 4 entries, intact"), "{stdout}");
    let (ok, _, stderr) = verify_cli(&server.db, TOWN_B);
    assert!(!ok && stderr.contains("ledger of pb.patiala is broken at entry 1 (record "), "{stderr}");
}

#[test]
fn an_empty_ledger_is_intact_and_an_unknown_town_is_an_error() {
    let db = TestDb::with_towns();
    assert_eq!(verify(&db, TOWN_A), Verification::Intact { entries: 0, head: vec![0; 32] });
    let (ok, stdout, _) = verify_cli(&db, TOWN_A);
    assert!(ok && stdout.contains("ledger of pb.nabha: 0 entries, intact"), "{stdout}");
    let (ok, _, stderr) = verify_cli(&db, "pb.nowhere");
    assert!(!ok);
    assert!(stderr.contains("no town pb.nowhere"), "{stderr}");
}

#[test]
fn on_postgres_a_town_can_append_to_its_own_ledger_only() {
    let db = TestDb::postgres().add_towns();
    let in_town = |town: &'static str, sql: &'static str| {
        off_runtime(|| transact(&*db.store, &Scope::Tenant(town.into()), |tx| tx.exec(sql, &[])))
    };
    let record = wardbook::demo::receipt(RecordId::new(), now(), "W02", 1);
    let device = wardbook::ids::DeviceId::new();
    let appended = off_runtime(|| {
        transact(&*db.store, &Scope::Tenant(TOWN_A.into()), |sql| ledger::append_receipt(sql, TOWN_A, &record, device))
    });
    assert_eq!(appended.unwrap(), Some(1));
    let again = off_runtime(|| {
        transact(&*db.store, &Scope::Tenant(TOWN_A.into()), |sql| ledger::append_receipt(sql, TOWN_A, &record, device))
    });
    assert_eq!(again.unwrap(), Some(1), "a receipt has one entry, however often it is appended");
    // The server's tenant role may not rewrite or remove entries, and sees no other town's.
    let err = in_town(TOWN_A, "UPDATE ledger SET entry = hash").unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    let err = in_town(TOWN_A, "DELETE FROM ledger").unwrap_err();
    assert!(err.to_string().contains("permission denied"), "{err}");
    let seen = off_runtime(|| {
        transact(&*db.store, &Scope::Tenant(TOWN_B.into()), |sql| {
            sql.row("SELECT COUNT(*) FROM ledger", &[])?.unwrap().int(0)
        })
    });
    assert_eq!(seen.unwrap(), 0);
    assert!(intact(0)(&verify(&db, TOWN_B)));
    // The chain links, but an entry for a receipt the server never stored is itself a finding.
    match verify(&db, TOWN_A) {
        Verification::Broken { n: 1, reason, .. } => assert!(reason.contains("missing from the records"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_receipt_altered_by_direct_sql_on_the_server_is_caught_at_its_entry() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    let mut ids = Vec::new();
    for n in 0..4 {
        let receipt =
            phone.store.issue_receipt(wardbook::demo::receipt(RecordId::new(), now(), "W02", n), now()).unwrap();
        ids.push(receipt.id);
    }
    phone.sync().await.unwrap();
    assert!(matches!(verify(&server.db, TOWN_A), Verification::Intact { entries: 4, .. }));
    // Someone with database access rewrites the third receipt's amount in its stored document.
    let victim = ids[2];
    let mut altered = phone.store.get(victim).unwrap();
    if let wardbook::domain::Body::Receipt(r) = &mut altered.body {
        r.lines[0].amount.0 = 100;
    }
    let mut doc = wardbook::document::RecordDoc::new(&[9; 16], &altered).unwrap();
    let bytes = doc.save();
    server.db.admin(|sql| {
        sql.exec(
            "UPDATE records SET doc = ?3 WHERE tenant = ?1 AND id = ?2",
            params![TOWN_A, victim.to_string(), bytes],
        )
    });
    let n = chain(&server.db, TOWN_A).iter().find(|e| e.2 == victim.to_string()).unwrap().0;
    match verify(&server.db, TOWN_A) {
        Verification::Broken { n: at, record, reason } => {
            assert_eq!((at, record), (n, Some(victim.to_string())));
            assert!(reason.contains("changed outside the server"), "{reason}");
        }
        intact => panic!("the altered receipt went unnoticed: {intact:?}"),
    }
    let (ok, _, stderr) = verify_cli(&server.db, TOWN_A);
    assert!(!ok && stderr.contains(&format!("broken at entry {n} (record {victim})")), "{stderr}");
}
