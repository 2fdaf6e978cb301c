//! The review queue over real HTTP against a real server: a supervisor approves a submitted
//! inspection and settles a field conflict in the office, and the decision reaches the real
//! device stores (the core's store and sync client) at their next sync, signed by the
//! supervisor's web device and taken in by the same ingest checks as any device's change.

use wardbook::domain::{Body, Role, Status};
use wardbook::ids::RecordId;
use wardbook_server::office::auth::OfficeRole;

use crate::office::{Office, csrf_field, error_code, form, rows_on, set_login, town_user};
use crate::support::{Device, TOWN_A, TestServer, now};

impl Office {
    /// Posts an office form (with the session, this server's Origin) and answers the status,
    /// the `Location` and the body.
    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, String, String) {
        let mut request = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &self.url)
            .body(form(pairs));
        if let Some(session) = &self.session {
            request = request.header("cookie", format!("wb_session={session}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }
}

fn subject(record: &wardbook::domain::Record) -> String {
    match &record.body {
        Body::Inspection(i) => i.subject.clone(),
        _ => unreachable!("an inspection"),
    }
}

#[tokio::test]
async fn approving_from_the_queue_reaches_the_inspectors_phone_at_its_next_sync() {
    let server = TestServer::start().await;
    let url = server.url();
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let mut inspector = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let t0 = now();
    let submitted = wardbook::demo::inspection(RecordId::new(), t0, "W01", 1);
    let draft = wardbook::demo::inspection(RecordId::new(), t0, "W01", 2);
    for r in [&submitted, &draft] {
        inspector.store.create(r, t0).unwrap();
    }
    inspector.store.transition(submitted.id, inspector.actor, Status::Submitted, t0 + 1, None).unwrap();
    assert_eq!(inspector.sync().await.unwrap().rejected, 0);

    let office = Office::signed_in(&url, "meena").await;
    let (status, page) = office.get(&format!("/office/review?town={TOWN_A}")).await;
    assert_eq!(status, 200, "{page}");
    let queued = rows_on(&page, "data-record");
    assert!(queued.contains(&submitted.id.to_string()), "the submitted inspection waits: {queued:?}");
    assert!(!queued.contains(&draft.id.to_string()), "a draft waits for nobody: {queued:?}");
    let csrf = csrf_field(&page);

    // A stale or foreign form is refused and nothing is written.
    let action = format!("/office/review/decide?town={TOWN_A}");
    let id = submitted.id.to_string();
    let (status, _, body) = office.post_form(&action, &[("csrf", "0"), ("record", &id), ("to", "APPROVED")]).await;
    assert_eq!((status, error_code(&body).as_deref()), (403, Some("csrf_mismatch")));
    // A step the workflow does not allow comes back with the refusal, nothing kept.
    let (status, _, body) = office.post_form(&action, &[("csrf", &csrf), ("record", &id), ("to", "DRAFT")]).await;
    assert_eq!((status, error_code(&body).as_deref()), (409, Some("refused")), "{body}");
    let web_changes = || {
        server.db.count(
            "SELECT COUNT(*) FROM changes c JOIN office_actors a ON a.device = c.device WHERE c.record = ?1",
            wardbook_server::params![&id],
        )
    };
    assert_eq!(web_changes(), 0, "a refused decision keeps nothing");

    let (status, location, body) = office
        .post_form(&action, &[("csrf", &csrf), ("record", &id), ("to", "APPROVED"), ("note", "all in order")])
        .await;
    assert_eq!(status, 303, "{body}");
    assert!(location.starts_with("/office/review"), "{location}");
    let (_, page) = office.get(&format!("/office/review?town={TOWN_A}")).await;
    assert!(!rows_on(&page, "data-record").contains(&id), "an approved inspection leaves the queue");

    // The step is a change of the web device, in the log the devices read.
    assert_eq!(web_changes(), 1);

    // The record page shows the step (who, signed) and the web device among the senders.
    let (status, page) = office.get(&format!("/office/record/{id}?town={TOWN_A}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("data-status=\"APPROVED\""), "{page}");
    assert!(page.contains("SUBMITTED → APPROVED ✓ signed"), "{page}");
    assert!(page.contains("office · meena"), "the web device sent the step: {page}");
    let (_, hindi) = office.get(&format!("/office/record/{id}?town={TOWN_A}&lang=hi")).await;
    assert!(hindi.contains("चरणों का इतिहास") && hindi.contains("विषय (subject)"), "{hindi}");

    let report = inspector.sync().await.unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    let on_phone = inspector.store.get(submitted.id).unwrap();
    assert_eq!(on_phone.workflow().status, Status::Approved);
    let step = on_phone.transitions.last().unwrap();
    assert_eq!(
        (step.by, step.role, step.from, step.to),
        (wardbook::demo::user_id(Role::Supervisor), Role::Supervisor, Status::Submitted, Status::Approved)
    );
    assert_eq!(step.note.as_deref(), Some("all in order"));
    assert!(step.signature.is_some(), "signed by the web device");
}

#[tokio::test]
async fn a_bulk_decision_is_for_one_kind_and_a_state_official_may_not_decide() {
    let server = TestServer::start().await;
    let url = server.url();
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    set_login(
        &server.db,
        "state",
        OfficeRole::State,
        wardbook_server::office::auth::Holder::State { state: TOWN_A.split('.').next().unwrap().into() },
    );
    let mut inspector = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let t0 = now();
    let a = wardbook::demo::inspection(RecordId::new(), t0, "W01", 1);
    let b = wardbook::demo::inspection(RecordId::new(), t0, "W02", 2);
    for r in [&a, &b] {
        inspector.store.create(r, t0).unwrap();
        inspector.store.transition(r.id, inspector.actor, Status::Submitted, t0 + 1, None).unwrap();
    }
    let mut crew = Device::enroll(&url, &server.db, TOWN_A, Role::SanitationCrew).await;
    let trip = wardbook::demo::trip(RecordId::new(), t0, "W01", 1);
    crew.store.create(&trip, t0).unwrap();
    inspector.sync().await.unwrap();
    crew.sync().await.unwrap();

    let office = Office::signed_in(&url, "meena").await;
    let (_, page) = office.get(&format!("/office/review?town={TOWN_A}&kind=inspection")).await;
    let csrf = csrf_field(&page);
    let action = format!("/office/review/decide?town={TOWN_A}");
    let (ia, ib, it) = (a.id.to_string(), b.id.to_string(), trip.id.to_string());
    let (status, _, body) =
        office.post_form(&action, &[("csrf", &csrf), ("record", &ia), ("record", &it), ("to", "APPROVED")]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("one kind"), "{body}");
    let (status, _, body) =
        office.post_form(&action, &[("csrf", &csrf), ("record", &ia), ("record", &ib), ("to", "APPROVED")]).await;
    assert_eq!(status, 303, "{body}");
    inspector.sync().await.unwrap();
    for id in [a.id, b.id] {
        assert_eq!(inspector.store.get(id).unwrap().workflow().status, Status::Approved);
    }

    let state = Office::signed_in(&url, "state").await;
    let (_, page) = state.get(&format!("/office/review?town={TOWN_A}")).await;
    let (status, _, body) = state
        .post_form(&action, &[("csrf", &csrf_field(&page)), ("record", &ia), ("to", "REJECTED"), ("note", "no")])
        .await;
    assert_eq!((status, error_code(&body).as_deref()), (403, Some("read_only")), "{body}");
}

#[tokio::test]
async fn a_conflict_is_shown_with_every_value_and_the_choice_reaches_both_phones() {
    let server = TestServer::start().await;
    let url = server.url();
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let mut one = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let mut two = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let t0 = now();
    let record = wardbook::demo::inspection(RecordId::new(), t0, "W01", 1);
    one.store.create(&record, t0).unwrap();
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    for (device, name) in [(&mut one, "Sharma Dhaba"), (&mut two, "शर्मा ढाबा")] {
        device
            .store
            .update(record.id, now(), |r| {
                if let Body::Inspection(i) = &mut r.body {
                    i.subject = name.into();
                }
                Ok(())
            })
            .unwrap();
    }
    one.sync().await.unwrap();
    two.sync().await.unwrap();
    assert!(!two.store.conflicts(Some(record.id)).unwrap().is_empty(), "the two edits conflict");

    let office = Office::signed_in(&url, "meena").await;
    let (status, page) = office.get(&format!("/office/review?town={TOWN_A}")).await;
    assert_eq!(status, 200, "{page}");
    let id = record.id.to_string();
    assert!(page.contains(&format!("data-conflicts=\"{id}\"")), "{page}");
    assert!(page.contains("Sharma Dhaba") && page.contains("शर्मा ढाबा"), "every value is shown: {page}");
    let field = "body.Inspection.subject";
    assert!(page.contains(&format!("data-field=\"{field}\"")), "{page}");

    let (_, record_page) = office.get(&format!("/office/record/{id}?town={TOWN_A}")).await;
    assert!(record_page.contains(&format!("data-conflicts=\"{id}\"")), "the record page offers the choice too");
    assert!(record_page.contains("Sharma Dhaba") && record_page.contains("शर्मा ढाबा"), "{record_page}");

    let chosen = serde_json::json!("शर्मा ढाबा").to_string();
    let action = format!("/office/review/resolve?town={TOWN_A}");
    let csrf = csrf_field(&page);
    let (status, _, body) = office
        .post_form(
            &action,
            &[("csrf", &csrf), ("record", &id), ("field", "body.Inspection.nothing"), ("value", &chosen)],
        )
        .await;
    assert_eq!(status, 400, "a field with no conflict: {body}");
    let (status, _, body) =
        office.post_form(&action, &[("csrf", &csrf), ("record", &id), ("field", field), ("value", &chosen)]).await;
    assert_eq!(status, 303, "{body}");
    let (_, page) = office.get(&format!("/office/review?town={TOWN_A}")).await;
    assert!(!page.contains(&format!("data-conflicts=\"{id}\"")), "settled: {page}");

    for device in [&mut one, &mut two] {
        assert_eq!(device.sync().await.unwrap().rejected, 0);
        assert_eq!(subject(&device.store.get(record.id).unwrap()), "शर्मा ढाबा");
        assert!(device.store.conflicts(Some(record.id)).unwrap().is_empty(), "no conflict left on the phone");
    }
}

#[tokio::test]
async fn a_supervisor_revokes_a_device_from_the_devices_page_and_its_next_sync_is_refused() {
    let server = TestServer::start().await;
    let url = server.url();
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let mut inspector = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let elsewhere = Device::enroll(&url, &server.db, crate::support::TOWN_B, Role::Inspector).await;
    assert_eq!(inspector.sync().await.unwrap().rejected, 0);

    let office = Office::signed_in(&url, "meena").await;
    let (status, page) = office.get(&format!("/office/devices?town={TOWN_A}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("data-device=\"{}\" data-revoked=\"false\"", inspector.device_id)), "{page}");
    assert!(!page.contains(&elsewhere.device_id), "another town's device is not listed");
    let csrf = csrf_field(&page);
    let action = format!("/office/devices/revoke?town={TOWN_A}");

    let (status, _, _) = office.post_form(&action, &[("csrf", &csrf), ("device", &elsewhere.device_id)]).await;
    assert_eq!(status, 404, "another town's device is not found");
    let (status, _, _) = office.post_form(&action, &[("csrf", "stale"), ("device", &inspector.device_id)]).await;
    assert_eq!(status, 403);
    assert_eq!(inspector.sync().await.unwrap().rejected, 0, "still enrolled after the refused posts");

    let (status, location, body) =
        office.post_form(&action, &[("csrf", &csrf), ("device", &inspector.device_id)]).await;
    assert_eq!((status, location.as_str()), (303, format!("/office/devices?town={TOWN_A}").as_str()), "{body}");
    let (_, page) = office.get(&format!("/office/devices?town={TOWN_A}")).await;
    assert!(page.contains(&format!("data-device=\"{}\" data-revoked=\"true\"", inspector.device_id)), "{page}");
    let refused = inspector.sync().await;
    assert!(refused.is_err(), "a revoked device's sync is refused: {refused:?}");
}
