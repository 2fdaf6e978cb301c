//! A change whose dependencies have not arrived is parked, not lost and not applied out of
//! order; it enters the log as soon as what it depends on does.

use wardbook::domain::{Body, Role};
use wardbook::ids::RecordId;
use wardbook::sync::wire::{Outcome, RecordBytes};
use wardbook_server::params;

use crate::support::{TOWN_A, TestServer, now, push};

#[tokio::test]
async fn a_change_that_arrives_before_its_dependency_waits_for_it() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    let id = RecordId::new();
    phone.store.create(&wardbook::demo::inspection(id, now(), "W01", 3), now()).unwrap();
    phone
        .store
        .update(id, now(), |r| {
            if let Body::Inspection(i) = &mut r.body {
                i.subject = "Toilet block behind the bus stand".into();
            }
            Ok(())
        })
        .unwrap();
    let mut changes = phone.store.document(id).unwrap().changes_since(&[]);
    assert_eq!(changes.len(), 2, "a creation and an edit");
    let (first, second) = (changes.remove(0), changes.remove(0));
    let item = |c: &automerge::Change| RecordBytes { record: id, bytes: c.raw_bytes().to_vec() };
    let token = phone.client.token().to_string();

    // The edit arrives alone (the creation was lost on the way): parked, not in the log.
    let answer = push(&server.url(), &token, vec![item(&second)]).await;
    assert_eq!(answer.acks[0], Outcome::Parked);
    assert_eq!(server.db.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN_A]), 0);
    assert_eq!(server.db.count("SELECT COUNT(*) FROM parked WHERE tenant = ?1", params![TOWN_A]), 1);
    // Sending it again changes nothing.
    assert_eq!(push(&server.url(), &token, vec![item(&second)]).await.acks[0], Outcome::Parked);

    // The creation arrives: both enter the log, in causal order.
    let answer = push(&server.url(), &token, vec![item(&first)]).await;
    assert_eq!(answer.acks[0], Outcome::Stored { seq: 1 });
    assert_eq!(server.db.count("SELECT COUNT(*) FROM changes WHERE tenant = ?1", params![TOWN_A]), 2);
    assert_eq!(server.db.count("SELECT COUNT(*) FROM parked WHERE tenant = ?1", params![TOWN_A]), 0);
    assert_eq!(push(&server.url(), &token, vec![item(&second)]).await.acks[0], Outcome::Duplicate);

    // Another device receives the record whole, with the edit.
    office.sync().await.unwrap();
    assert_eq!(office.store.get(id).unwrap(), phone.store.get(id).unwrap());
}
