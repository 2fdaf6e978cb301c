//! Receipts across devices and the server: numbers never collide, issued receipts never change.

use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wardbook::domain::{Body, Record, RecordKind, Role, Status};
use wardbook::ids::RecordId;
use wardbook::store::Query;
use wardbook::sync::wire::{Outcome, RecordBytes};

use crate::support::{Device, TOWN_A, TestServer, now, push};

fn numbers_on(device: &Device) -> Vec<String> {
    let rows = device.store.list(&Query { kind: Some(RecordKind::Receipt), ..Query::default() }).unwrap();
    rows.iter()
        .map(|row| match device.store.get(row.id).unwrap().body {
            Body::Receipt(r) => r.receipt_number,
            _ => unreachable!("receipts only"),
        })
        .collect()
}

fn reversal_of(receipt: &Record) -> Record {
    let Body::Receipt(r) = &receipt.body else { unreachable!("a receipt") };
    let body = Body::Reversal(wardbook::domain::Reversal {
        receipt: receipt.id,
        receipt_number: r.receipt_number.clone(),
        amount: r.total(),
        reason: "paid twice".into(),
    });
    let mut record = Record::new(RecordId::new(), TOWN_A, receipt.created_by, now(), body);
    record.ward = receipt.ward.clone();
    record
}

fn new_receipt(n: u32) -> Record {
    wardbook::demo::receipt(RecordId::new(), now(), "W02", n)
}

#[tokio::test]
async fn numbers_come_from_server_blocks_and_an_own_series_when_offline() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    phone.client = phone.client.clone().with_number_blocks(2, 3);
    let fy = wardbook::ledger::financial_year(now());
    // Offline from the start: the device's own series.
    let first = phone.store.issue_receipt(new_receipt(1), now()).unwrap();
    let Body::Receipt(r) = &first.body else { unreachable!() };
    let own_series = format!("NBH/{fy}/D{}/000001", &phone.store.actor_id().to_uppercase()[..11]);
    assert_eq!(r.receipt_number, own_series);
    // A sync brings a block of the town's series.
    phone.sync().await.unwrap();
    assert_eq!(phone.store.numbers_left(&fy).unwrap(), 3);
    let issued: Vec<String> = (0..4)
        .map(|n| match phone.store.issue_receipt(new_receipt(10 + n), now()).unwrap().body {
            Body::Receipt(r) => r.receipt_number,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        issued,
        [
            format!("NBH/{fy}/T/000001"),
            format!("NBH/{fy}/T/000002"),
            format!("NBH/{fy}/T/000003"),
            format!("NBH/{fy}/D{}/000002", &phone.store.actor_id().to_uppercase()[..11]),
        ]
    );
    // The next sync pushes them and, running low, gets the next block: 4..=6.
    phone.sync().await.unwrap();
    assert_eq!(phone.store.numbers_left(&fy).unwrap(), 3);
    let next = phone.store.issue_receipt(new_receipt(20), now()).unwrap();
    assert!(matches!(&next.body, Body::Receipt(r) if r.receipt_number == format!("NBH/{fy}/T/000004")));
    // An inspector's device is never given receipt numbers.
    let mut inspector = server.device(TOWN_A, Role::Inspector).await;
    inspector.sync().await.unwrap();
    assert_eq!(inspector.store.numbers_left(&fy).unwrap(), 0);
}

#[tokio::test]
async fn many_collectors_offline_and_online_never_issue_a_number_twice() {
    let mut approved_reversals = 0;
    for seed in 0..4u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let server = TestServer::start().await;
        let mut phones = Vec::new();
        for _ in 0..3 {
            let mut d = server.device(TOWN_A, Role::Collector).await;
            d.client = d.client.clone().with_number_blocks(rng.random_range(1..4), rng.random_range(1..6));
            phones.push(d);
        }
        let mut office = server.device(TOWN_A, Role::Supervisor).await;
        let mut issued: Vec<String> = Vec::new();
        let mut mine: Vec<Vec<Record>> = vec![vec![]; phones.len()];
        for step in 0..60u32 {
            let i = rng.random_range(0..phones.len());
            if rng.random_bool(0.1) && !mine[i].is_empty() {
                // The collector asks to cancel one of their receipts (if not asked already).
                let pick = rng.random_range(0..mine[i].len());
                let receipt = mine[i].remove(pick);
                phones[i].store.create(&reversal_of(&receipt), now()).unwrap();
            } else if rng.random_bool(0.15) {
                // The office syncs and decides on what waits.
                office.sync().await.unwrap();
                let waiting = office.store.list(&Query {
                    kind: Some(RecordKind::Reversal),
                    statuses: vec![Status::Requested],
                    ..Query::default()
                });
                for row in waiting.unwrap() {
                    let to = if rng.random_bool(0.7) { Status::Approved } else { Status::Rejected };
                    let note = (to == Status::Rejected).then(|| "paid once only".to_string());
                    office.store.transition(row.id, office.actor, to, now(), note).unwrap();
                }
                office.sync().await.unwrap();
            } else if rng.random_bool(0.3) {
                // Back in coverage for a moment.
                phones[i].sync().await.unwrap();
            } else {
                for _ in 0..rng.random_range(1..4) {
                    let receipt = phones[i].store.issue_receipt(new_receipt(step), now()).unwrap();
                    match &receipt.body {
                        Body::Receipt(r) => issued.push(r.receipt_number.clone()),
                        _ => unreachable!(),
                    }
                    mine[i].push(receipt);
                }
            }
        }
        // Two rounds: the first pushes everything, the second brings everyone everything.
        for _ in 0..2 {
            for d in &mut phones {
                d.sync().await.unwrap();
            }
            office.sync().await.unwrap();
        }
        let unique: BTreeSet<&String> = issued.iter().collect();
        assert_eq!(unique.len(), issued.len(), "seed {seed}: a number was issued twice");
        let stored = server.db.count(
            "SELECT COUNT(DISTINCT number) FROM records WHERE tenant = ?1 AND kind = 'receipt'",
            wardbook_server::params![TOWN_A],
        );
        assert_eq!(stored, issued.len() as i64, "seed {seed}: every receipt reached the server, none refused");
        // Every collector's device ends with the whole town's receipts, the same numbers.
        for d in &phones {
            let seen: BTreeSet<String> = numbers_on(d).into_iter().collect();
            assert_eq!(seen, unique.iter().map(|n| n.to_string()).collect(), "seed {seed}");
        }
        for d in &phones {
            assert_eq!(d.store.waiting_count().unwrap(), 0, "seed {seed}");
        }
        // Receipts minus approved reversals, as the office's device adds them up, equals the
        // balance of the server's ledger; and the ledger is intact.
        let rows = office.store.list(&Query::default()).unwrap();
        let receipts: i64 = rows.iter().filter(|r| r.kind == RecordKind::Receipt).filter_map(|r| r.amount_paise).sum();
        let reversed: i64 = rows
            .iter()
            .filter(|r| r.kind == RecordKind::Reversal && r.status == Status::Approved)
            .filter_map(|r| r.amount_paise)
            .sum();
        approved_reversals +=
            rows.iter().filter(|r| r.kind == RecordKind::Reversal && r.status == Status::Approved).count();
        let ledger = server.db.admin(|sql| wardbook_server::ledger::balance(sql, TOWN_A));
        assert_eq!(receipts + reversed, ledger, "seed {seed}: the ledger's balance");
        let verified = server.db.admin(|sql| wardbook_server::ledger::verify(sql, TOWN_A));
        assert!(matches!(verified, wardbook_server::ledger::Verification::Intact { .. }), "seed {seed}: {verified:?}");
    }
    assert!(approved_reversals > 0, "the runs approved some reversals");
}

#[tokio::test]
async fn the_server_refuses_a_change_to_an_issued_receipt_and_a_reused_number() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    let receipt = phone.store.issue_receipt(new_receipt(5), now()).unwrap();
    phone.sync().await.unwrap();
    // A tampered app edits the amount in the document behind the store's back.
    let mut doc = phone.store.document(receipt.id).unwrap();
    let before = doc.heads();
    let mut altered = receipt.clone();
    if let Body::Receipt(r) = &mut altered.body {
        r.lines[0].amount.0 = 1;
    }
    doc.update(&altered).unwrap();
    let change = doc.changes_since(&before).remove(0);
    let token = phone.client.token().to_string();
    let answer =
        push(&server.url(), &token, vec![RecordBytes { record: receipt.id, bytes: change.raw_bytes().to_vec() }]).await;
    assert!(
        matches!(&answer.acks[0], Outcome::Rejected { code, .. } if code == "receipt_immutable"),
        "{:?}",
        answer.acks
    );
    // Another receipt carrying the same number is refused too.
    let mut copy = new_receipt(6);
    if let (Body::Receipt(c), Body::Receipt(r)) = (&mut copy.body, &receipt.body) {
        c.receipt_number = r.receipt_number.clone();
    }
    // Properly signed by the device, so only the number is wrong with it.
    let signature = wardbook::ledger::sign(&phone.store.device_key().unwrap(), &copy).unwrap();
    if let Body::Receipt(c) = &mut copy.body {
        c.signature = Some(wardbook::ledger::encode_signature(&signature));
    }
    let mut other = wardbook::document::RecordDoc::new(&[7; 16], &copy).unwrap();
    let change = other.changes_since(&[]).remove(0);
    let answer =
        push(&server.url(), &token, vec![RecordBytes { record: copy.id, bytes: change.raw_bytes().to_vec() }]).await;
    assert!(
        matches!(&answer.acks[0], Outcome::Rejected { code, .. } if code == "duplicate_receipt_number"),
        "{:?}",
        answer.acks
    );
    // What the office sees is the receipt as issued.
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    office.sync().await.unwrap();
    assert_eq!(office.store.get(receipt.id).unwrap(), receipt);
}

async fn verify_page(url: &str, code: &str) -> String {
    let response = reqwest::Client::new().get(format!("{url}/verify")).query(&[("code", code)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn verdict(page: &str) -> &str {
    let at = page.find("data-verdict=\"").expect("a verdict") + "data-verdict=\"".len();
    &page[at..at + page[at..].find('"').unwrap()]
}

#[tokio::test]
async fn a_receipts_qr_code_checks_out_at_the_public_verify_page() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    let receipt = phone.store.issue_receipt(new_receipt(8), now()).unwrap();
    phone.sync().await.unwrap();
    let key = phone.store.device_key().unwrap();
    let Body::Receipt(r) = &receipt.body else { unreachable!() };
    let signature = wardbook::ledger::decode_signature(r.signature.as_deref().unwrap()).unwrap();
    let code = wardbook::ledger::QrReceipt::new(&receipt, signature, &key.public_key()).unwrap().to_string();

    let page = verify_page(&server.url(), &code).await;
    assert_eq!(verdict(&page), "genuine", "{page}");
    let amount = r.total().rupees_text();
    assert!(page.contains(&r.receipt_number) && page.contains(&amount) && page.contains("असली रसीद"), "{page}");
    assert!(!page.contains(&r.payer_name), "the page repeats nothing the code does not carry");
    // A code with the amount changed, a made-up code, or none at all: unknown.
    let forged = code.replace(&format!("|{}|", r.total().0), "|95200|");
    assert_ne!(forged, code);
    assert_eq!(verdict(&verify_page(&server.url(), &forged).await), "unknown");
    assert_eq!(
        verdict(&verify_page(&server.url(), "WBR1|pb.nabha|NBH/2026-27/T/999999|1|2026-11-25|x|y").await),
        "unknown"
    );
    assert_eq!(verdict(&verify_page(&server.url(), "").await), "unknown");

    // Cancelled once a supervisor approves its reversal.
    phone.store.create(&reversal_of(&receipt), now()).unwrap();
    phone.sync().await.unwrap();
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    office.sync().await.unwrap();
    let rows = office.store.list(&Query { kind: Some(RecordKind::Reversal), ..Query::default() }).unwrap();
    office.store.transition(rows[0].id, office.actor, Status::Approved, now(), None).unwrap();
    office.sync().await.unwrap();
    let page = verify_page(&server.url(), &code).await;
    assert_eq!(verdict(&page), "cancelled", "{page}");
}

#[tokio::test]
async fn a_receipt_not_signed_by_its_device_is_refused() {
    let server = TestServer::start().await;
    let phone = server.device(TOWN_A, Role::Collector).await;
    // Signed with some other key than the one the device registered.
    let mut receipt = new_receipt(9);
    let stranger = wardbook::ledger::DeviceKey::from_seed([42; 32]);
    let signature = wardbook::ledger::sign(&stranger, &receipt).unwrap();
    if let Body::Receipt(r) = &mut receipt.body {
        r.signature = Some(wardbook::ledger::encode_signature(&signature));
    }
    let mut doc = wardbook::document::RecordDoc::new(&[3; 16], &receipt).unwrap();
    let change = doc.changes_since(&[]).remove(0);
    let answer = push(
        &server.url(),
        phone.client.token(),
        vec![RecordBytes { record: receipt.id, bytes: change.raw_bytes().to_vec() }],
    )
    .await;
    assert!(matches!(&answer.acks[0], Outcome::Rejected { code, .. } if code == "bad_signature"), "{:?}", answer.acks);
}

#[tokio::test]
async fn the_accounts_office_exports_the_towns_payments_as_csv_and_digit_json() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    let kept = phone.store.issue_receipt(new_receipt(3), now()).unwrap(); // payer "सुरेश कुमार"
    let cancelled = phone.store.issue_receipt(new_receipt(4), now()).unwrap();
    phone.store.create(&reversal_of(&cancelled), now()).unwrap();
    phone.sync().await.unwrap();
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    office.sync().await.unwrap();
    let pending = office.store.list(&Query { kind: Some(RecordKind::Reversal), ..Query::default() }).unwrap();
    office.store.transition(pending[0].id, office.actor, Status::Approved, now(), None).unwrap();
    office.sync().await.unwrap();

    let export = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wardbook-server"))
            .args(server.db.args())
            .args(["ledger", "export", "--tenant", TOWN_A, "--format", format])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let number = |r: &Record| match &r.body {
        Body::Receipt(b) => b.receipt_number.clone(),
        _ => unreachable!(),
    };
    let csv = export("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and one row per receipt:\n{csv}");
    let row_of = |n: &str| lines.iter().find(|l| l.contains(n)).copied().unwrap();
    assert!(row_of(&number(&kept)).contains("सुरेश कुमार") && row_of(&number(&kept)).contains("NEW"), "{csv}");
    assert!(row_of(&number(&cancelled)).contains("CANCELLED"), "{csv}");
    let json: serde_json::Value = serde_json::from_str(&export("json")).unwrap();
    let payments = json["Payments"].as_array().unwrap();
    assert_eq!(payments.len(), 2);
    let statuses: Vec<&str> = payments.iter().map(|p| p["paymentStatus"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"NEW") && statuses.contains(&"CANCELLED"), "{json:#}");
    assert!(payments.iter().all(|p| p["tenantId"] == TOWN_A && p["paymentMode"] == "CASH"), "{json:#}");
}
