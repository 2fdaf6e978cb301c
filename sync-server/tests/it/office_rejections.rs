//! Rejected changes in the office's review queue: a tampered phone's crafted changes go
//! through the real `POST /v1/sync`, are refused there, and are kept (once per change) for the
//! supervisors who oversee the phone's user or the stored record, not for another ward's.

use automerge::{ActorId, AutoCommit};
use wardbook::domain::{Role, Status};
use wardbook::ids::{RecordId, UserId};
use wardbook::sync::wire::{Outcome, RecordBytes};
use wardbook_server::db;
use wardbook_server::office::auth::{Holder, OfficeRole};
use wardbook_server::params;

use crate::hostile::record_change;
use crate::office::{Office, figure, rows_on, set_login};
use crate::support::{Device, TOWN_A, TestServer, now, push};

/// A supervisor of these wards of Nabha, signed in to the office as `login`.
async fn ward_supervisor(server: &TestServer, login: &str, wards: &[&str]) -> Office {
    let user = wardbook::domain::reference::User {
        id: UserId::new(),
        name: format!("Supervisor {login}"),
        roles: vec![Role::Supervisor],
        wards: wards.iter().map(|w| w.to_string()).collect(),
    };
    server.db.admin(|sql| db::user_add(sql, TOWN_A, &user));
    set_login(&server.db, login, OfficeRole::Supervisor, Holder::Town { tenant: TOWN_A.into(), user: user.id });
    Office::signed_in(&server.url(), login).await
}

fn rejected_code(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Rejected { code, .. } => code,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rejected_change_waits_in_the_queue_of_its_wards_supervisor_and_not_another_wards() {
    let server = TestServer::start().await;
    let url = server.url();
    // The demo inspector works in W01 and W02.
    let mut inspector = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let t0 = now();
    let inspection = wardbook::demo::inspection(RecordId::new(), t0, "W01", 1);
    inspector.store.create(&inspection, t0).unwrap();
    inspector.store.transition(inspection.id, inspector.actor, Status::Submitted, t0 + 1, None).unwrap();
    assert_eq!(inspector.sync().await.unwrap().rejected, 0);

    // The tampered phone moves the submitted inspection to W03, twice (a retry), and sends
    // bytes that are no change at all for a record the server never saw.
    let stored = server.db.admin(|sql| {
        sql.row("SELECT doc FROM records WHERE tenant = ?1 AND id = ?2", params![TOWN_A, inspection.id.to_string()])?
            .unwrap()
            .blob(0)
    });
    let moved = record_change(AutoCommit::load(&stored).unwrap().with_actor(ActorId::random()), |r| {
        r.ward = Some("W03".into())
    });
    let garbage = RecordId::new();
    let token = inspector.client.token().to_string();
    let changes = vec![
        RecordBytes { record: inspection.id, bytes: moved.clone() },
        RecordBytes { record: garbage, bytes: b"not an automerge change".to_vec() },
    ];
    let answer = push(&url, &token, changes).await;
    assert_eq!(answer.acks.iter().map(rejected_code).collect::<Vec<_>>(), ["ward_out_of_scope", "malformed_change"]);
    let again = push(&url, &token, vec![RecordBytes { record: inspection.id, bytes: moved }]).await;
    assert_eq!(rejected_code(&again.acks[0]), "ward_out_of_scope");
    let kept = |record: RecordId| {
        server.db.count("SELECT COUNT(*) FROM rejections WHERE record = ?1", params![record.to_string()])
    };
    assert_eq!((kept(inspection.id), kept(garbage)), (1, 1), "one row per change, a retry adds none");
    let row = server.db.admin(|sql| {
        let r = sql
            .row(
                "SELECT device, user_id, kind, ward FROM rejections WHERE record = ?1",
                params![inspection.id.to_string()],
            )?
            .unwrap();
        Ok((r.text(0)?, r.text(1)?, r.opt_text(2)?, r.opt_text(3)?))
    });
    assert_eq!(
        row,
        (inspector.device_id.clone(), inspector.actor.user.to_string(), Some("inspection".into()), Some("W01".into())),
        "kept with the device, its user and the stored record's kind and ward (not the change's W03)"
    );

    let w01 = ward_supervisor(&server, "supervisor_w01", &["W01"]).await;
    let w03 = ward_supervisor(&server, "supervisor_w03", &["W03"]).await;
    let queue = format!("/office/review?town={TOWN_A}");
    let (status, page) = w01.get(&queue).await;
    assert_eq!(status, 200, "{page}");
    let both: std::collections::BTreeSet<String> = [inspection.id, garbage].iter().map(RecordId::to_string).collect();
    assert_eq!(rows_on(&page, "data-rejection"), both, "the W01 supervisor oversees the inspector");
    assert!(page.contains("A ward the user does not work in"), "the code in the reader's language");
    assert!(page.contains("ward W03 is not yours"), "and the server's reason");
    let (_, today) = w01.get(&format!("/office?town={TOWN_A}")).await;
    assert_eq!(figure(&today, "rejected_today"), Some(2), "counted on Today");

    // Filtered like the rest of the queue.
    let only = |extra: &str| format!("{queue}&{extra}");
    let (_, page) = w01.get(&only("flag=rejected")).await;
    assert_eq!(rows_on(&page, "data-rejection"), both);
    assert!(rows_on(&page, "data-record").is_empty(), "flag=rejected shows rejected changes only");
    assert!(rows_on(&w01.get(&queue).await.1, "data-record").contains(&inspection.id.to_string()));
    let (_, page) = w01.get(&only("flag=geo_outside_fence")).await;
    assert!(rows_on(&page, "data-rejection").is_empty(), "another flag is not a rejection");
    let (_, page) = w01.get(&only("kind=inspection")).await;
    assert_eq!(rows_on(&page, "data-rejection"), [inspection.id.to_string()].into());
    let (_, page) = w01.get(&only("kind=receipt")).await;
    assert!(rows_on(&page, "data-rejection").is_empty());
    let (_, page) = w01.get(&only(&format!("user={}", inspector.actor.user))).await;
    assert_eq!(rows_on(&page, "data-rejection"), both);
    let (_, page) = w01.get(&only(&format!("user={}", UserId::new()))).await;
    assert!(rows_on(&page, "data-rejection").is_empty());
    let day = wardbook::calendar::ist_date(now()).to_string();
    let (_, page) = w01.get(&only(&format!("from={day}&to={day}"))).await;
    assert_eq!(rows_on(&page, "data-rejection"), both);
    let (_, page) = w01.get(&only("to=2026-01-01")).await;
    assert!(rows_on(&page, "data-rejection").is_empty(), "rejected after that day");
    let (_, page) = w01.get(&only("ward=W01&lang=hi")).await;
    assert_eq!(rows_on(&page, "data-rejection"), both);
    assert!(page.contains("ऐसा वार्ड जिसमें उपयोगकर्ता काम नहीं करता"), "the code in Hindi");
    assert!(page.contains("पढ़ने योग्य परिवर्तन नहीं"));

    // Another ward's supervisor sees none of it, on the queue or on Today.
    let (status, page) = w03.get(&queue).await;
    assert_eq!(status, 200, "{page}");
    assert!(rows_on(&page, "data-rejection").is_empty(), "the W03 supervisor oversees nobody involved");
    assert!(!page.contains(&inspection.id.to_string()) && !page.contains(&garbage.to_string()));
    let (_, today) = w03.get(&format!("/office?town={TOWN_A}")).await;
    assert_eq!(figure(&today, "rejected_today"), Some(0));
}
