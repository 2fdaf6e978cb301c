//! The app's commands through Tauri's IPC on the mock runtime (no window), against a real sync
//! server on 127.0.0.1 and a real device store file: what the UI sends and what it gets back.

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use tauri::Manager;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;
use tempfile::TempDir;
use wardbook::domain::Role;
use wardbook_app::AppCore;
use wardbook_server::cli::{database_path, demo_reference};
use wardbook_server::store::{Scope, ServerStore, SqliteStore, transact};
use wardbook_server::{AppState, db, router};

const TOWN: &str = "pb.nabha";

/// A real server on its own runtime thread; stops when dropped.
struct Server {
    addr: SocketAddr,
    store: Arc<dyn ServerStore>,
    _dir: TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    fn start() -> Server {
        let dir = TempDir::new().unwrap();
        let store: Arc<dyn ServerStore> = Arc::new(SqliteStore::open(&database_path(dir.path())).unwrap());
        transact(&*store, &Scope::Admin, |sql| db::tenant_add(sql, TOWN, "Nabha", &demo_reference(TOWN, "Nabha")))
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(AppState::with_blobs(store.clone(), dir.path().join("blobs")));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum_serve(listener, app, stopped).await;
            });
        });
        Server { addr, store, _dir: dir, stop: Some(stop) }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A one-time enrollment code for the demo user with `role`.
    fn code(&self, role: Role) -> String {
        let user = wardbook::demo::user_id(role);
        transact(&*self.store, &Scope::Admin, |sql| db::device_enroll(sql, TOWN, user)).unwrap().1
    }

    /// How many changes of `record` the server holds.
    fn changes_of(&self, record: &str) -> i64 {
        transact(&*self.store, &Scope::Admin, |sql| {
            sql.row("SELECT COUNT(*) FROM changes WHERE record = ?1", &[record.into()])?.expect("a count").int(0)
        })
        .unwrap()
    }
}

async fn axum_serve(listener: tokio::net::TcpListener, app: axum::Router, stopped: tokio::sync::oneshot::Receiver<()>) {
    axum::serve(listener, app).with_graceful_shutdown(async move { stopped.await.unwrap_or(()) }).await.unwrap();
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The app on the mock runtime with its store in a fresh directory.
struct App {
    _dir: TempDir,
    _app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
}

impl App {
    fn start() -> App {
        let dir = TempDir::new().unwrap();
        let app = wardbook_app::with_handlers(mock_builder()).build(mock_context(noop_assets())).unwrap();
        app.manage(AppCore::open(dir.path()).unwrap());
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
        App { _dir: dir, _app: app, webview }
    }

    /// Calls a command as the UI does; `Err` holds the error object the UI receives.
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn enroll_and_sign_in(&self, server: &Server, role: Role) {
        let state =
            self.ok("enroll", json!({"server": server.url(), "code": server.code(role), "deviceName": "tab 1"}));
        assert_eq!(state["enrolled"], true);
        assert_eq!(state["town"]["name"], "Nabha");
        let user = wardbook::demo::user_id(role).to_string();
        let state = self.ok("sign_in", json!({"userId": user, "pin": "4321"}));
        assert_eq!(state["user"]["id"], user);
    }
}

fn inspection_draft(subject: &str, submit: bool) -> Value {
    json!({
        "template_code": "PUBLIC_TOILET", "template_version": 1, "subject": subject,
        "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 8.0},
        "answers": {"water": {"type": "yes_no", "value": true}, "clean": {"type": "yes_no", "value": false},
                    "seats": {"type": "number", "value": 4.0}},
        "photos": [], "submit": submit
    })
}

#[test]
fn a_device_enrolls_saves_offline_and_sees_its_inspection_on_the_server() {
    let server = Server::start();
    let app = App::start();
    assert_eq!(app.ok("app_state", json!({}))["enrolled"], false);
    app.enroll_and_sign_in(&server, Role::Inspector);

    let saved = app.ok("save_inspection", json!({"draft": inspection_draft("Toilet block near bus stand", true)}));
    assert_eq!(saved["badge"], "saved", "a save returns at once, before any sync");
    let id = saved["id"].as_str().unwrap().to_string();
    let view = app.ok("record", json!({"id": id}));
    assert_eq!(view["row"]["status"], "SUBMITTED");
    assert_eq!(view["row"]["ward"], "W02", "the ward comes from the point (Bouran Gate)");

    let status = app.ok("sync_now", json!({}));
    assert_eq!(status["online"], true, "{status}");
    assert_eq!(status["waiting"], 0);
    assert!(status["last_sync_at"].as_i64().is_some());
    assert_eq!(app.ok("record", json!({"id": id}))["row"]["badge"], "on_server");
    assert!(server.changes_of(&id) > 0, "the server holds the inspection's changes");

    let home = app.ok("home", json!({}));
    assert!(home["sent_today"].as_array().unwrap().iter().any(|r| r["id"] == id.as_str()), "{home}");
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect()
}

#[test]
fn home_lists_the_users_own_records_whatever_their_ward() {
    let server = Server::start();
    let collector = App::start();
    collector.enroll_and_sign_in(&server, Role::Collector);
    let fee = |payer: &str| {
        json!({"draft": {"fee_head": "WS", "amount": "150", "payment_mode": "CASH", "payer_name": payer,
                         "mobile_number": null, "instrument_number": null}})
    };
    let a = collector.ok("collect_fee", fee("Kamla Devi"))["id"].as_str().unwrap().to_string();
    let b = collector.ok("collect_fee", fee("Mohan Lal"))["id"].as_str().unwrap().to_string();
    let home = collector.ok("home", json!({}));
    assert_eq!(ids(&home["waiting"]), vec![b.as_str(), a.as_str()], "receipts have no place: {home}");
    assert_eq!(home["waiting"][0]["ward"], "W02", "the collector's one ward");
    assert_eq!(home["drafts"], json!([]));
    collector.ok("sync_now", json!({}));
    let home = collector.ok("home", json!({}));
    assert_eq!(ids(&home["waiting"]), Vec::<&str>::new(), "{home}");
    assert_eq!(ids(&home["sent_today"]), vec![b.as_str(), a.as_str()], "{home}");

    let inspector = App::start();
    inspector.enroll_and_sign_in(&server, Role::Inspector);
    let mut draft = inspection_draft("Toilet block behind the bus stand", false);
    draft["location"] = Value::Null;
    // The inspector works in two wards: with no place, they choose which (nothing is saved until).
    let err = inspector.call("save_inspection", json!({"draft": draft})).unwrap_err();
    assert_eq!(
        err["fields"],
        json!([{"field": "ward", "code": "required", "message": "choose the ward: you work in several"}])
    );
    draft["ward"] = json!("W01");
    let id = inspector.ok("save_inspection", json!({"draft": draft}))["id"].as_str().unwrap().to_string();
    assert_eq!(inspector.ok("record", json!({"id": id}))["row"]["ward"], "W01");
    let home = inspector.ok("home", json!({}));
    assert_eq!(ids(&home["drafts"]), vec![id.as_str()], "a location-less draft comes back: {home}");
    assert!(!ids(&home["todo"]).contains(&id.as_str()), "listed once: {home}");
    inspector.ok("sync_now", json!({}));
    let home = inspector.ok("home", json!({}));
    assert_eq!(ids(&home["drafts"]), vec![id.as_str()], "still listed after the sync: {home}");
    assert_eq!(home["drafts"][0]["rejection"], Value::Null, "the server takes it in the chosen ward: {home}");
    assert_eq!(home["drafts"][0]["badge"], "on_server", "{home}");
}

#[test]
fn an_asset_picked_on_the_map_saves_with_a_warning_and_the_server_takes_it() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Surveyor);
    let draft = json!({"draft": {"asset_type": "STREETLIGHT", "asset_name": "SL-115", "condition": "POOR",
                                  "location": {"lat": 30.375, "lon": 76.145, "accuracy_m": null}, "photos": []}});
    let saved = app.ok("save_asset", draft);
    let codes: Vec<&str> = saved["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["accuracy_missing"], "{saved}");
    let id = saved["id"].as_str().unwrap().to_string();
    let view = app.ok("record", json!({"id": id}));
    assert_eq!(view["warnings"][0]["code"], "accuracy_missing", "{view}");
    assert_eq!(view["row"]["ward"], "W02");
    app.ok("sync_now", json!({}));
    assert_eq!(app.ok("record", json!({"id": id}))["row"]["badge"], "on_server", "the server accepts it too");

    let off = json!({"draft": {"asset_type": "STREETLIGHT", "asset_name": "SL-116", "condition": "GOOD",
                                "location": {"lat": 95.0, "lon": 76.145, "accuracy_m": null}, "photos": []}});
    let err = app.call("save_asset", off).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "location.lat", "{err}");
    assert_eq!(err["fields"][0]["code"], "out_of_range", "{err}");
}

#[test]
fn a_record_the_server_refuses_says_why_on_its_row_and_its_screen() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);
    // Ward 3 (Patiala Gate) is not one of the inspector's wards.
    let mut draft = inspection_draft("Toilet block, Patiala Gate", true);
    draft["location"] = json!({"lat": 30.385, "lon": 76.135, "accuracy_m": 6.0});
    let id = app.ok("save_inspection", json!({"draft": draft}))["id"].as_str().unwrap().to_string();
    assert_eq!(app.ok("record", json!({"id": id}))["row"]["rejection"], Value::Null, "not sent yet");
    app.ok("sync_now", json!({}));
    let row = app.ok("record", json!({"id": id}))["row"].clone();
    assert_eq!(row["badge"], "rejected", "{row}");
    assert_eq!(row["rejection"]["code"], "ward_out_of_scope", "{row}");
    assert!(!row["rejection"]["reason"].as_str().unwrap().is_empty(), "{row}");
    let listed = app.ok("list_records", json!({"kind": "inspection"}));
    let listed = listed.as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap().clone();
    assert_eq!(listed["rejection"], row["rejection"]);
    let home = app.ok("home", json!({}));
    assert_eq!(ids(&home["todo"])[0], id.as_str(), "a refused record comes first on Home: {home}");
    assert_eq!(server.changes_of(&id), 0, "nothing of it entered the server's log");
}

#[test]
fn saving_works_with_the_server_gone_and_the_sync_bar_says_offline() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);
    drop(server);

    let saved = app.ok("save_inspection", json!({"draft": inspection_draft("Toilet block, market", false)}));
    assert_eq!(saved["badge"], "saved");
    let status = app.ok("sync_now", json!({}));
    assert_eq!(status["online"], false);
    assert_eq!(status["last_error"], "unreachable");
    assert_eq!(status["waiting"], 1, "the record waits for the server");
}

#[test]
fn form_errors_name_their_fields_and_nothing_is_saved() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);

    let mut draft = inspection_draft("", true);
    draft["answers"]["seats"] = json!({"type": "number", "value": -3.0});
    let err = app.call("save_inspection", json!({"draft": draft})).unwrap_err();
    assert_eq!(err["code"], "invalid", "{err}");
    let fields: Vec<&str> = err["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"subject"), "{fields:?}");
    assert!(fields.iter().any(|f| f.starts_with("answers.seats")), "{fields:?}");
    assert_eq!(app.ok("list_records", json!({"kind": "inspection"})).as_array().unwrap().len(), 0);
}

#[test]
fn a_shared_device_keeps_one_pin_per_user() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);
    app.ok("sign_out", json!({}));
    let inspector = wardbook::demo::user_id(Role::Inspector).to_string();
    let err = app.call("sign_in", json!({"userId": inspector, "pin": "1111"})).unwrap_err();
    assert_eq!(err["fields"][0]["code"], "wrong_pin");
    let err = app.call("sign_in", json!({"userId": inspector, "pin": "12a"})).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "pin");
    assert_eq!(err["fields"][0]["code"], "pin_format");
    let users = app.ok("device_users", json!({}));
    let me = users.as_array().unwrap().iter().find(|u| u["id"] == inspector.as_str()).unwrap().clone();
    assert_eq!(me["has_pin"], true);
    assert_eq!(app.ok("set_language", json!({"lang": "hi"}))["lang"], "hi");
    assert_eq!(app.ok("app_state", json!({}))["user"], Value::Null, "signed out");
}

#[test]
fn a_collector_issues_a_numbered_receipt_and_a_bad_amount_is_refused() {
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Collector);
    let draft = |amount: &str| {
        json!({"draft": {"fee_head": "WS", "amount": amount, "payment_mode": "CASH", "payer_name": "Kamla Devi",
                         "mobile_number": "9876543210", "instrument_number": null}})
    };
    let err = app.call("collect_fee", draft("150.555")).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "amount");
    assert_eq!(err["fields"][0]["code"], "too_many_decimals");
    let issued = app.ok("collect_fee", draft("150.50"));
    assert_eq!(issued["amount_paise"], 15050);
    assert!(issued["receipt_number"].as_str().unwrap().starts_with("NBH/"), "{issued}");
}

#[test]
fn desludging_from_job_to_disposal_across_three_devices_flags_dumping_outside_the_plant() {
    let server = Server::start();
    let office = App::start();
    office.enroll_and_sign_in(&server, Role::Supervisor);
    let job = office.ok(
        "create_fsm_job",
        json!({"draft": {"applicant_name": "Baldev Singh", "mobile_number": null, "locality": "Bouran Gate",
               "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 10.0},
               "pit_length": 2.0, "pit_width": 1.5, "pit_height": 1.8, "post_pay": false}}),
    );
    let job_id = job["id"].as_str().unwrap().to_string();
    let view = office.ok("record", json!({"id": job_id}));
    assert_eq!(view["row"]["status"], "CREATED");
    assert!(view["actions"].as_array().unwrap().contains(&json!("PENDING_APPL_FEE_PAYMENT")), "{view}");
    office.ok("step", json!({"id": job_id, "to": "PENDING_APPL_FEE_PAYMENT", "note": null}));
    let err = office.call("step", json!({"id": job_id, "to": "COMPLETED", "note": null})).unwrap_err();
    assert_eq!(err["code"], "not_allowed", "a step the workflow does not allow is refused");
    let pickup = json!({"jobId": job_id, "step": {"volume_litres": 2500.0, "location": null, "photos": []}});
    assert_eq!(office.call("trip_pickup", pickup.clone()).unwrap_err()["code"], "not_allowed", "crew work only");
    for to in ["ASSIGN_DSO", "PENDING_DSO_APPROVAL"] {
        office.ok("step", json!({"id": job_id, "to": to, "note": null}));
    }
    assert_eq!(office.ok("sync_now", json!({}))["online"], true);

    // The crew's phone receives the job, accepts it and records the pickup.
    let crew = App::start();
    crew.enroll_and_sign_in(&server, Role::SanitationCrew);
    crew.ok("sync_now", json!({}));
    assert_eq!(crew.call("trip_pickup", pickup.clone()).unwrap_err()["code"], "not_allowed", "not accepted yet");
    crew.ok("step", json!({"id": job_id, "to": "DSO_INPROGRESS", "note": null}));
    let trip = crew.ok("trip_pickup", pickup);
    let trip_id = trip["id"].as_str().unwrap().to_string();
    assert_eq!(crew.ok("record", json!({"id": trip_id}))["row"]["status"], "WAITING_FOR_DISPOSAL");
    crew.ok("sync_now", json!({}));

    // The plant's operator records a disposal made far from the plant: kept, and flagged.
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    plant.ok("sync_now", json!({}));
    let disposal = json!({"tripId": trip_id, "step": {"volume_litres": 2400.0,
        "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 6.0}, "photos": []}});
    let saved = plant.ok("trip_disposal", disposal);
    let codes: Vec<&str> = saved["warnings"].as_array().unwrap().iter().map(|w| w["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"possible_illegal_dumping"), "{codes:?}");
    assert_eq!(plant.ok("record", json!({"id": trip_id}))["row"]["status"], "DISPOSED");
    assert_eq!(plant.ok("sync_now", json!({}))["waiting"], 0, "the server took the disposal");
}

#[test]
fn competing_steps_from_two_offices_put_the_job_in_the_review_list() {
    let server = Server::start();
    let first = App::start();
    first.enroll_and_sign_in(&server, Role::Supervisor);
    let job = first.ok(
        "create_fsm_job",
        json!({"draft": {"applicant_name": "Kamla Devi", "mobile_number": "9876500000", "locality": "Hira Mahal",
               "location": {"lat": 30.3745, "lon": 76.1362, "accuracy_m": 10.0},
               "pit_length": null, "pit_width": null, "pit_height": null, "post_pay": true}}),
    );
    let id = job["id"].as_str().unwrap().to_string();
    first.ok("sync_now", json!({}));
    let second = App::start();
    second.enroll_and_sign_in(&server, Role::Supervisor);
    second.ok("sync_now", json!({}));
    assert_eq!(second.ok("review_list", json!({}))["needs_review"].as_array().unwrap().len(), 0);

    // Both offices act on the same job before either syncs.
    first.ok("step", json!({"id": id, "to": "ASSIGN_DSO", "note": null}));
    second.ok("step", json!({"id": id, "to": "CANCELLED", "note": "applicant withdrew"}));
    first.ok("sync_now", json!({}));
    second.ok("sync_now", json!({}));
    first.ok("sync_now", json!({}));

    for office in [&first, &second] {
        let review = office.ok("review_list", json!({}));
        let rows = review["needs_review"].as_array().unwrap();
        assert!(rows.iter().any(|r| r["id"] == id.as_str() && r["badge"] == "needs_review"), "{review}");
    }
    let inspector = App::start();
    inspector.enroll_and_sign_in(&server, Role::Inspector);
    assert_eq!(inspector.call("review_list", json!({})).unwrap_err()["code"], "not_allowed", "supervisors only");
}

#[test]
fn a_photo_waits_on_the_device_then_goes_up_on_its_own_channel() {
    use base64::Engine;
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);
    let err = app.call("add_photo", json!({"base64": "bm90IGFuIGltYWdl"})).unwrap_err();
    assert_eq!(err["code"], "bad_file", "bytes that are not a picture are refused: {err}");
    let jpeg = wardbook::photo::sample::jpeg(640, 480, 7, None);
    let photo = app.ok("add_photo", json!({"base64": base64::engine::general_purpose::STANDARD.encode(&jpeg)}));
    let sha = photo["sha256"].as_str().unwrap().to_string();
    let url = app.ok("photo_thumbnail", json!({"sha256": sha}));
    let b64 = url.as_str().unwrap().strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL");
    let thumb = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    assert!(thumb.starts_with(&[0xFF, 0xD8]) && thumb.len() < jpeg.len(), "a small JPEG, not the photo");
    let missing = app.call("photo_thumbnail", json!({"sha256": "0".repeat(64)})).unwrap_err();
    assert_eq!(missing["code"], "not_found");
    let mut draft = inspection_draft("Toilet block with a photo", true);
    draft["photos"] = json!([photo]);
    let saved = app.ok("save_inspection", json!({"draft": draft}));
    let id = saved["id"].as_str().unwrap().to_string();
    assert_eq!(app.ok("record", json!({"id": id}))["row"]["photos_waiting"], 1, "photo waiting");
    assert_eq!(app.ok("sync_status", json!({}))["photos_waiting"], 1);

    app.ok("sync_now", json!({}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.ok("sync_status", json!({}))["photos_waiting"] != 0 {
        assert!(std::time::Instant::now() < deadline, "the photo never reached the server");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(app.ok("record", json!({"id": id}))["row"]["photos_waiting"], 0);
    let blob = wardbook_server::blobs::BlobStore::new(server._dir.path().join("blobs")).path(TOWN, &sha);
    let bytes = std::fs::read(&blob).unwrap_or_else(|e| panic!("blob {sha} on the server: {e}"));
    assert_eq!(wardbook::sync::photos::sha256_hex(&bytes), sha, "the server holds exactly the photo");
}

/// The office registers a job and hands it to a crew; the crew's phone accepts it and picks up.
/// A crew device signed in, with a desludging job in progress with it (created, paid, assigned
/// and accepted on the office's device, synced through the server).
fn crew_with_job(server: &Server) -> (App, String) {
    let office = App::start();
    office.enroll_and_sign_in(server, Role::Supervisor);
    let job = office.ok(
        "create_fsm_job",
        json!({"draft": {"applicant_name": "Gurmeet Kaur", "mobile_number": null, "locality": "Bouran Gate",
               "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 10.0},
               "pit_length": 2.0, "pit_width": 1.5, "pit_height": 1.8, "post_pay": false}}),
    );
    let job_id = job["id"].as_str().unwrap().to_string();
    for to in ["PENDING_APPL_FEE_PAYMENT", "ASSIGN_DSO", "PENDING_DSO_APPROVAL"] {
        office.ok("step", json!({"id": job_id, "to": to, "note": null}));
    }
    office.ok("sync_now", json!({}));
    let crew = App::start();
    crew.enroll_and_sign_in(server, Role::SanitationCrew);
    crew.ok("sync_now", json!({}));
    crew.ok("step", json!({"id": job_id, "to": "DSO_INPROGRESS", "note": null}));
    (crew, job_id)
}

fn job_in_progress(server: &Server) -> (App, String) {
    let (crew, job_id) = crew_with_job(server);
    let pickup = json!({"jobId": job_id, "step": {"volume_litres": 2500.0,
        "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 9.0}, "photos": []}});
    let trip = crew.ok("trip_pickup", pickup);
    (crew, trip["id"].as_str().unwrap().to_string())
}

#[test]
fn crew_and_plant_countersign_offline_and_the_server_accepts_the_pair() {
    let server = Server::start();
    let (crew, trip) = job_in_progress(&server);
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    drop(server); // From here on nobody has a network.

    let handover = crew.ok("handover_code", json!({"tripId": trip}));
    let code = handover["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("WBH1|"), "{code}");
    assert!(handover["qr_svg"].as_str().unwrap().starts_with("<svg"), "a QR code to scan");

    let at_plant = json!({"lat": 30.3601, "lon": 76.1602, "accuracy_m": 5.0});
    let err = plant.call("countersign", json!({"code": code, "volumeLitres": null, "location": at_plant})).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "volume_litres");
    // A code mistyped or cut short is refused next to the code field. (Whether the crew's
    // signature is genuine only the server can tell: it holds both devices' keys.)
    let cut = &code[..code.len() / 2];
    let err = plant.call("countersign", json!({"code": cut, "volumeLitres": 2400.0, "location": at_plant}));
    assert_eq!(err.unwrap_err()["fields"][0]["field"], "custody", "a code cut short is refused");
    let back = plant.ok("countersign", json!({"code": code, "volumeLitres": 2400.0, "location": at_plant}));
    let back = back["code"].as_str().unwrap().to_string();
    assert!(back.starts_with("WBC1|"), "{back}");

    let saved = crew.ok("record_countersigned", json!({"tripId": trip, "code": back, "location": at_plant}));
    assert_eq!(saved["warnings"].as_array().unwrap().len(), 0, "inside the plant, volumes agree: {saved}");
    let view = crew.ok("record", json!({"id": trip}));
    assert_eq!(view["record"]["body"]["disposal"]["volume_litres"], 2400.0);
    assert!(view["record"]["body"]["custody"]["countersign"].is_object());
}

#[test]
fn the_server_checks_the_countersigned_pair_when_the_crew_syncs() {
    let server = Server::start();
    let (crew, trip) = job_in_progress(&server);
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    let code = crew.ok("handover_code", json!({"tripId": trip}))["code"].as_str().unwrap().to_string();
    let at_plant = json!({"lat": 30.3601, "lon": 76.1602, "accuracy_m": 5.0});
    let back = plant.ok("countersign", json!({"code": code, "volumeLitres": 2450.0, "location": at_plant}));
    crew.ok("record_countersigned", json!({"tripId": trip, "code": back["code"], "location": at_plant}));
    let status = crew.ok("sync_now", json!({}));
    assert_eq!(status["waiting"], 0, "{status}");
    assert_eq!(crew.ok("record", json!({"id": trip}))["row"]["badge"], "on_server", "the server accepted the pair");
}

#[test]
fn a_countersign_over_an_altered_handover_is_rejected_by_the_server() {
    let server = Server::start();
    let (crew, trip) = job_in_progress(&server);
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    let code = crew.ok("handover_code", json!({"tripId": trip}))["code"].as_str().unwrap().to_string();
    // The code as the plant read it names another crew signature than the one the crew made.
    // One character inside the signature changes (not the last one, whose spare bits must stay
    // zero for the code to read at all).
    let mut altered = code.clone().into_bytes();
    let at = altered.len() - 10;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let at_plant = json!({"lat": 30.3601, "lon": 76.1602, "accuracy_m": 5.0});
    let back = plant.ok("countersign", json!({"code": altered, "volumeLitres": 2450.0, "location": at_plant}));
    crew.ok("record_countersigned", json!({"tripId": trip, "code": back["code"], "location": at_plant}));
    crew.ok("sync_now", json!({}));
    let row = crew.ok("record", json!({"id": trip}))["row"].clone();
    assert_eq!(row["badge"], "rejected", "the server refused the pair: {row}");
}

#[test]
fn amounts_and_litres_are_read_as_typed_and_more_than_the_tank_is_refused() {
    let server = Server::start();
    let collector = App::start();
    collector.enroll_and_sign_in(&server, Role::Collector);
    assert_eq!(collector.ok("read_amount", json!({"text": " 1,250 "})), 125_000);
    assert_eq!(collector.ok("read_amount", json!({"text": "१५०"})), 15_000);
    let err = collector.call("read_amount", json!({"text": "12,50"})).unwrap_err();
    assert_eq!((&err["fields"][0]["field"], &err["fields"][0]["code"]), (&json!("amount"), &json!("not_a_number")));
    let err = collector.call("read_amount", json!({"text": "0"})).unwrap_err();
    assert_eq!(err["fields"][0]["code"], "zero");
    let issued = collector.ok(
        "collect_fee",
        json!({"draft": {"fee_head": "PT", "amount": "1,25,000", "payment_mode": "CASH", "payer_name": "Kamla Devi",
                         "mobile_number": null, "instrument_number": null}}),
    );
    assert_eq!(issued["amount_paise"], 12_500_000);

    // The crew's pickup: the demo vehicle holds 3,000 litres.
    let (crew, _trip) = job_in_progress(&server);
    let jobs = crew.ok("list_records", json!({"kind": "fsm_job"}));
    let job = jobs[0]["id"].as_str().unwrap().to_string();
    let pickup = |litres: Value| {
        json!({"jobId": job, "step": {"volume_litres": litres,
            "location": {"lat": 30.3745, "lon": 76.1462, "accuracy_m": 9.0}, "photos": []}})
    };
    let err = crew.call("trip_pickup", pickup(json!("3,500"))).unwrap_err();
    assert_eq!((&err["fields"][0]["field"], &err["fields"][0]["code"]), (&json!("volume_litres"), &json!("too_large")));
    let err = crew.call("trip_pickup", pickup(json!("-20"))).unwrap_err();
    assert_eq!((&err["fields"][0]["field"], &err["fields"][0]["code"]), (&json!("volume_litres"), &json!("negative")));
    let trip = crew.ok("trip_pickup", pickup(json!("२,४००")));
    let view = crew.ok("record", json!({"id": trip["id"]}));
    assert_eq!(view["record"]["body"]["pickup"]["volume_litres"], 2400.0, "{view}");
}

/// What a call did, in the fixture's terms: `refused` (code and each field's code), `returns`
/// (the value) or `accepted` (any other success).
fn outcome(result: Result<Value, Value>, wants_value: bool) -> Value {
    match result {
        Err(e) => {
            let fields: serde_json::Map<String, Value> = e["fields"]
                .as_array()
                .map(|fs| fs.iter().map(|f| (f["field"].as_str().unwrap().to_string(), f["code"].clone())).collect())
                .unwrap_or_default();
            json!({"refused": {"code": e["code"], "fields": fields}})
        }
        Ok(v) if wants_value => json!({"returns": v}),
        Ok(_) => json!({"accepted": true}),
    }
}

/// Every form's refusals, as `tests/fixtures/ui-refusals.json` lists them, from the real core
/// through the IPC; the UI's fake backend answers the same cases in `ui/test/parity.test.mjs`
/// (with the demo town's reference data, `tests/fixtures/demo-reference.json`, checked here),
/// so the UI tests never pass on a rule the app does not have (or miss one it has).
/// `WARDBOOK_BLESS=1` writes what the core answered into the fixtures (review the diff).
#[test]
fn every_form_refuses_what_the_fixture_says_the_fake_backend_refuses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ui-refusals.json");
    let mut fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let server = Server::start();
    let (crew, job) = crew_with_job(&server);
    // The fake answers these cases with the demo town's reference data as a device receives it.
    let reference_path = path.with_file_name("demo-reference.json");
    let reference = crew.ok("reference", json!({}));
    if std::env::var_os("WARDBOOK_BLESS").is_some() {
        std::fs::write(&reference_path, serde_json::to_string_pretty(&reference).unwrap() + "\n").unwrap();
    }
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&reference_path).unwrap()).unwrap();
    assert_eq!(
        kept, reference,
        "tests/fixtures/demo-reference.json is not what the demo town sends (WARDBOOK_BLESS=1)"
    );
    let mut devices: std::collections::BTreeMap<String, App> = std::collections::BTreeMap::new();
    devices.insert("sanitation_crew".into(), crew);
    let mut wrong = vec![];
    for case in fixture["cases"].as_array_mut().unwrap() {
        let role_name = case["role"].as_str().unwrap().to_string();
        let role: Role = role_name.parse().unwrap();
        let app = devices.entry(role_name).or_insert_with(|| {
            let app = App::start();
            app.enroll_and_sign_in(&server, role);
            app
        });
        let args = serde_json::to_string(&case["args"])
            .unwrap()
            .replace("$job_in_progress", &job)
            .replace("$me", &wardbook::demo::user_id(role).to_string());
        let args: Value = serde_json::from_str(&args).unwrap();
        let got = outcome(app.call(case["cmd"].as_str().unwrap(), args), case.get("returns").is_some());
        let want: serde_json::Map<String, Value> = ["refused", "returns", "accepted"]
            .iter()
            .filter_map(|k| case.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        if Value::Object(want) != got {
            wrong.push(format!("{}: the core answers {got}", case["name"]));
            let obj = case.as_object_mut().unwrap();
            for k in ["refused", "returns", "accepted"] {
                obj.remove(k);
            }
            obj.extend(got.as_object().unwrap().clone());
        }
    }
    if std::env::var_os("WARDBOOK_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&fixture).unwrap() + "\n").unwrap();
    }
    assert!(wrong.is_empty(), "the core and tests/fixtures/ui-refusals.json differ:\n{}", wrong.join("\n"));
}
