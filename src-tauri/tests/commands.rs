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
    thread: Option<std::thread::JoinHandle<()>>,
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
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum_serve(listener, app, stopped).await;
            });
        });
        Server { addr, store, _dir: dir, stop: Some(stop), thread: Some(thread) }
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
        // Gone means gone: the port closed before the server's files are removed (a request
        // racing the shutdown once met a deleted database and came back "server_error"
        // instead of "unreachable").
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
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
        call_on(&self.webview, cmd, args)
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

/// A command called in `webview` as the UI calls it (from any thread).
fn call_on(webview: &tauri::WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        webview,
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

    // Its author corrects it in its form (the right place) and it is sent again and accepted.
    let view = app.ok("record", json!({"id": id}));
    assert_eq!(view["editable"], true, "a refused record opens in its form: {view}");
    draft["location"] = json!({"lat": 30.3745, "lon": 76.1462, "accuracy_m": 6.0});
    let saved = app.ok("edit_inspection", json!({"id": id, "draft": draft}));
    assert_eq!(saved["badge"], "saved");
    let row = app.ok("record", json!({"id": id}))["row"].clone();
    assert_eq!((row["ward"].as_str(), row["status"].as_str()), (Some("W02"), Some("SUBMITTED")), "{row}");
    assert_eq!(row["rejection"], Value::Null, "{row}");
    app.ok("sync_now", json!({}));
    let row = app.ok("record", json!({"id": id}))["row"].clone();
    assert_eq!(row["badge"], "on_server", "{row}");
    assert!(server.changes_of(&id) > 0, "the corrected inspection is on the server");
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
    assert_eq!(second.ok("review_list", json!({}))["waiting"].as_array().unwrap().len(), 0);

    // Both offices act on the same job before either syncs.
    first.ok("step", json!({"id": id, "to": "ASSIGN_DSO", "note": null}));
    second.ok("step", json!({"id": id, "to": "CANCELLED", "note": "applicant withdrew"}));
    first.ok("sync_now", json!({}));
    second.ok("sync_now", json!({}));
    first.ok("sync_now", json!({}));

    for office in [&first, &second] {
        let review = office.ok("review_list", json!({}));
        let items = review["waiting"].as_array().unwrap();
        let item = items.iter().find(|i| i["row"]["id"] == id.as_str()).unwrap_or_else(|| panic!("{review}"));
        assert_eq!(item["row"]["badge"], "needs_review");
        let mut settle: Vec<&str> = item["settle"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
        settle.sort();
        assert_eq!(settle, ["ASSIGN_DSO", "CANCELLED"], "its status now, or the competing one");
    }
    // The first office settles it from the queue, with a reason; the record leaves the queue.
    let refused = first.call("settle", json!({"id": id, "to": "CANCELLED", "note": " "})).unwrap_err();
    assert_eq!((refused["code"].as_str(), refused["fields"][0]["field"].as_str()), (Some("invalid"), Some("note")));
    first.ok("settle", json!({"id": id, "to": "CANCELLED", "note": "the applicant withdrew by phone"}));
    assert_eq!(first.ok("record", json!({"id": id}))["row"]["status"], "CANCELLED");
    assert!(first.ok("review_list", json!({}))["waiting"].as_array().unwrap().is_empty());
    assert_eq!(first.ok("sync_now", json!({}))["waiting"], 0, "the server took the settling step");
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
    // A photo this device does not hold, and no server that has it: none to show (the screen
    // shows its "not on this device" mark).
    let missing = app.ok("photo_thumbnail", json!({"sha256": "0".repeat(64)}));
    assert_eq!(missing, Value::Null);
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

/// A photo of a phone's screen showing `code`'s QR code, as base64 (what the UI sends).
fn photo_of(code: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(wardbook::scan::sample::qr_png(code, 5, 30))
}

#[test]
fn crew_and_plant_scan_each_others_codes_offline_and_the_trip_is_disposed() {
    let server = Server::start();
    let (crew, trip) = job_in_progress(&server);
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    // Each phone learns the other's key with the town's reference data when it syncs.
    crew.ok("sync_now", json!({}));
    drop(server); // From here on nobody has a network.

    let handover = crew.ok("handover_code", json!({"tripId": trip}));
    let code = handover["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("WBH1|"), "{code}");
    assert!(handover["qr_svg"].as_str().unwrap().starts_with("<svg"), "a QR code to scan");

    // The plant's phone scans the crew's screen and checks the code before anything is typed.
    let read = plant.ok("read_code", json!({"base64": photo_of(&code)}));
    assert_eq!(read, json!(code));
    let checked = plant.ok("check_handover", json!({"code": code}));
    assert_eq!(
        (&checked["trip"], &checked["litres"], &checked["vehicle"]),
        (&json!(trip), &json!(2500), &json!("PB11AB1234"))
    );
    let err = plant.call("read_code", json!({"base64": photo_of("")[..40].to_string()})).unwrap_err();
    assert_eq!((&err["fields"][0]["field"], &err["fields"][0]["code"]), (&json!("custody"), &json!("not_an_image")));

    let at_plant = json!({"lat": 30.3601, "lon": 76.1602, "accuracy_m": 5.0});
    let err = plant.call("countersign", json!({"code": code, "volumeLitres": null, "location": at_plant})).unwrap_err();
    assert_eq!(err["fields"][0]["field"], "volume_litres");
    let cut = &code[..code.len() / 2];
    let err = plant.call("countersign", json!({"code": cut, "volumeLitres": 2400.0, "location": at_plant}));
    assert_eq!(err.unwrap_err()["fields"][0]["field"], "custody", "a code cut short is refused");
    let back = plant.ok("countersign", json!({"code": code, "volumeLitres": "2400", "location": at_plant}));
    let back = back["code"].as_str().unwrap().to_string();
    assert!(back.starts_with("WBC1|"), "{back}");

    let scanned = crew.ok("read_code", json!({"base64": photo_of(&back)}));
    let saved = crew.ok("record_countersigned", json!({"tripId": trip, "code": scanned, "location": at_plant}));
    assert_eq!(saved["warnings"].as_array().unwrap().len(), 0, "inside the plant, volumes agree: {saved}");
    let view = crew.ok("record", json!({"id": trip}));
    assert_eq!(view["row"]["status"], "DISPOSED", "not left waiting for disposal");
    assert_eq!(line(&view, "disposal.volume_litres"), json!({"type": "number", "value": 2400.0}));
    assert_eq!(line(&view, "custody.received_litres"), json!({"type": "number", "value": 2400.0}), "countersigned");
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
    // The crew's phone enrolled before the plant's: it does not know that key until it syncs.
    let err = crew.call("record_countersigned", json!({"tripId": trip, "code": back["code"], "location": at_plant}));
    assert_eq!(err.unwrap_err()["fields"][0]["code"], "unknown_key");
    crew.ok("sync_now", json!({}));
    crew.ok("record_countersigned", json!({"tripId": trip, "code": back["code"], "location": at_plant}));
    let status = crew.ok("sync_now", json!({}));
    assert_eq!(status["waiting"], 0, "{status}");
    let row = crew.ok("record", json!({"id": trip}))["row"].clone();
    assert_eq!((&row["badge"], &row["status"]), (&json!("on_server"), &json!("DISPOSED")), "accepted: {row}");
}

#[test]
fn a_handover_code_with_one_character_changed_is_refused_on_the_plants_phone() {
    let server = Server::start();
    let (crew, trip) = job_in_progress(&server);
    let plant = App::start();
    plant.enroll_and_sign_in(&server, Role::FstpOperator);
    let code = crew.ok("handover_code", json!({"tripId": trip}))["code"].as_str().unwrap().to_string();
    // One character inside the signature changes (not the last one, whose spare bits must stay
    // zero for the code to read at all); and the litres.
    let mut altered = code.clone().into_bytes();
    let at = altered.len() - 10;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    let at_plant = json!({"lat": 30.3601, "lon": 76.1602, "accuracy_m": 5.0});
    for wrong in [altered, code.replacen("|2500|", "|2900|", 1)] {
        let err = plant.call("check_handover", json!({"code": wrong})).unwrap_err();
        assert_eq!(
            (&err["fields"][0]["field"], &err["fields"][0]["code"]),
            (&json!("custody"), &json!("bad_handover_signature"))
        );
        let err = plant.call("countersign", json!({"code": wrong, "volumeLitres": 2450.0, "location": at_plant}));
        assert_eq!(err.unwrap_err()["fields"][0]["code"], "bad_handover_signature", "nothing countersigned");
    }
    let view = crew.ok("record", json!({"id": trip}));
    assert_eq!(view["row"]["status"], "WAITING_FOR_DISPOSAL");
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
    assert_eq!(line(&view, "pickup.volume_litres"), json!({"type": "number", "value": 2400.0}), "{view}");
}

/// The value of the record screen's line about `key` (null when it has none).
fn line(view: &Value, key: &str) -> Value {
    let lines = view["details"].as_array().expect("a record view has its lines");
    lines.iter().find(|l| l["label"]["key"] == key).map_or(Value::Null, |l| l["value"].clone())
}

/// The server's stored status of a record, if it holds it.
fn server_status(server: &Server, id: &str) -> Option<String> {
    transact(&*server.store, &Scope::Admin, |sql| {
        sql.row("SELECT status FROM records WHERE id = ?1", &[id.into()])?.map(|r| r.text(0)).transpose()
    })
    .unwrap()
}

#[test]
fn a_collector_closes_the_day_and_the_supervisor_takes_the_cash_and_decides_the_cancellation() {
    let server = Server::start();
    let collector = App::start();
    collector.enroll_and_sign_in(&server, Role::Collector);
    let fee = |amount: &str, mode: &str, payer: &str| {
        json!({"draft": {"fee_head": "WS", "amount": amount, "payment_mode": mode, "payer_name": payer,
                         "mobile_number": null, "instrument_number": null}})
    };
    let cash = collector.ok("collect_fee", fee("1,250", "CASH", "Kamla Devi"));
    let upi = collector.ok("collect_fee", fee("300", "UPI", "Mohan Lal"));
    let wrong = collector.ok("collect_fee", fee("500", "CASH", "Mohan Lal"));

    let day = collector.ok("day_end", json!({"day": null}));
    let modes: Vec<(String, i64, i64)> = day["by_mode"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (m["mode"].as_str().unwrap().into(), m["count"].as_i64().unwrap(), m["amount_paise"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(modes, [("CASH".into(), 2, 175_000), ("UPI".into(), 1, 30_000)], "{day}");
    assert_eq!(day["cash_expected_paise"], 175_000);

    let print = collector.ok("reprint_receipt", json!({"id": cash["id"]}));
    assert!(print["html"].as_str().unwrap().contains("DUPLICATE"));

    let err = collector.call("request_cancellation", json!({"id": wrong["id"], "reason": " "})).unwrap_err();
    assert_eq!((&err["fields"][0]["field"], &err["fields"][0]["code"]), (&json!("reason"), &json!("required")));
    let line = collector.ok("request_cancellation", json!({"id": wrong["id"], "reason": "entered twice"}));
    assert_eq!(line["cancellation"], "REQUESTED");

    let draft = |amount: &str| json!({"draft": {"day": day["day"], "amount": amount, "note": null}});
    let err = collector.call("hand_over_cash", draft("1,750.50")).unwrap_err();
    assert_eq!(
        (&err["fields"][0]["field"], &err["fields"][0]["code"]),
        (&json!("amount"), &json!("more_than_collected"))
    );
    let handed = collector.ok("hand_over_cash", draft("1,750"));
    assert_eq!((&handed["expected_paise"], &handed["handed_over_paise"]), (&json!(175_000), &json!(175_000)));
    assert_eq!(collector.call("hand_over_cash", draft("1,750")).unwrap_err()["code"], "handover_exists");

    let status = collector.ok("sync_now", json!({}));
    assert_eq!((&status["online"], &status["waiting"]), (&json!(true), &json!(0)), "{status}");
    let handover_id = handed["id"].as_str().unwrap();
    assert_eq!(server_status(&server, handover_id).as_deref(), Some("DRAFT"), "the server holds the handover");
    assert_eq!(collector.ok("day_end", json!({"day": null}))["handover"]["badge"], "on_server");

    // The supervisor's device: the handover and the cancellation wait for her.
    let supervisor = App::start();
    supervisor.enroll_and_sign_in(&server, Role::Supervisor);
    supervisor.ok("sync_now", json!({}));
    let queue = supervisor.ok("cash_queue", json!({}));
    assert_eq!(ids(&queue["handovers"]), [handover_id], "{queue}");
    let cancellation = queue["cancellations"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(queue["cancellations"][0]["receipt"], wrong["id"]);
    assert_eq!(collector.call("cash_queue", json!({})).unwrap_err()["code"], "not_allowed");
    let ack = supervisor.ok("acknowledge_handover", json!({"id": handover_id, "note": null}));
    assert_eq!(ack["acknowledged"], true);
    let err = supervisor.call("decide_cancellation", json!({"id": cancellation, "approve": false, "note": null}));
    assert_eq!(err.unwrap_err()["fields"][0]["field"], "note");
    supervisor.ok("decide_cancellation", json!({"id": cancellation, "approve": true, "note": null}));
    let status = supervisor.ok("sync_now", json!({}));
    assert_eq!(status["waiting"], 0, "{status}");
    assert_eq!(server_status(&server, handover_id).as_deref(), Some("RECONCILED"));
    assert_eq!(server_status(&server, &cancellation).as_deref(), Some("APPROVED"));

    // Back on the collector's phone: acknowledged, and the receipt stays in the list, cancelled.
    collector.ok("sync_now", json!({}));
    let day = collector.ok("day_end", json!({"day": null}));
    assert_eq!(day["handover"]["acknowledged"], true);
    let marked = day["receipt_list"].as_array().unwrap().iter().find(|r| r["id"] == wrong["id"]).unwrap().clone();
    assert_eq!(marked["cancellation"], "APPROVED");
    assert_eq!(day["receipt_list"].as_array().unwrap().len(), 3);
    assert_eq!(day["cash_expected_paise"], 125_000);
    let _ = upi;
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

#[test]
fn sent_back_with_a_note_the_inspector_edits_and_resubmits_and_the_supervisor_approves_from_her_queue() {
    use base64::Engine;
    let server = Server::start();
    let field = App::start();
    field.enroll_and_sign_in(&server, Role::Inspector);
    let office = App::start();
    office.enroll_and_sign_in(&server, Role::Supervisor);

    // One inspection without a photo, one with; and a draft, edited before it is submitted.
    let plain = field.ok("save_inspection", json!({"draft": inspection_draft("Toilet block, bus stand", true)}));
    let jpeg = wardbook::photo::sample::jpeg(640, 480, 3, None);
    let photo = field.ok("add_photo", json!({"base64": base64::engine::general_purpose::STANDARD.encode(&jpeg)}));
    let mut with_photo = inspection_draft("Toilet block, grain market", true);
    with_photo["photos"] = json!([photo]);
    let pictured = field.ok("save_inspection", json!({"draft": with_photo}));
    let (plain, pictured) = (plain["id"].as_str().unwrap().to_string(), pictured["id"].as_str().unwrap().to_string());
    let draft = field.ok("save_inspection", json!({"draft": inspection_draft("Toilet, old court", false)}));
    let draft = draft["id"].as_str().unwrap().to_string();
    assert_eq!(field.ok("record", json!({"id": draft}))["editable"], true);
    assert_eq!(field.ok("record", json!({"id": plain}))["editable"], false, "submitted: with the supervisor");
    let refused =
        field.call("edit_inspection", json!({"id": plain, "draft": inspection_draft("x", true)})).unwrap_err();
    assert_eq!(refused["code"], "not_editable");
    field.ok("edit_inspection", json!({"id": draft, "draft": inspection_draft("Toilet, old court (east)", false)}));
    assert_eq!(field.ok("record", json!({"id": draft}))["row"]["title"], "Toilet, old court (east)");
    let thumb = field.ok("photo_thumbnail", json!({"sha256": photo["sha256"]}));
    assert!(thumb.as_str().unwrap().starts_with("data:image/jpeg;base64,/9j/"), "the inspector's phone has it");
    field.ok("sync_now", json!({}));

    // The supervisor's queue: both submitted inspections, author, the time of the work, photo.
    office.ok("sync_now", json!({}));
    let queue = office.ok("review_list", json!({}))["waiting"].clone();
    let item = |id: &str| queue.as_array().unwrap().iter().find(|i| i["row"]["id"] == id).cloned();
    let (a, b) = (item(&plain).expect("the plain one waits"), item(&pictured).expect("the pictured one waits"));
    assert!(item(&draft).is_none(), "a draft is not hers");
    for i in [&a, &b] {
        assert_eq!(i["row"]["author"], "Harpreet Kaur");
        assert_eq!(i["actions"], json!(["SENT_BACK", "APPROVED", "REJECTED"]));
        assert!(i["row"]["work_at"].as_i64().unwrap() < i["row"]["updated_at"].as_i64().unwrap(), "{i}");
    }
    assert_eq!(a["row"]["photo"], Value::Null);
    assert_eq!(b["row"]["photo"], photo["sha256"]);
    let home = office.ok("home", json!({}));
    let all: Vec<&str> = ["todo", "drafts", "waiting", "sent_today"].iter().flat_map(|k| ids(&home[*k])).collect();
    let mut once = all.clone();
    once.sort();
    once.dedup();
    assert_eq!(all.len(), once.len(), "Home lists each record once: {home}");
    assert!(ids(&home["todo"]).contains(&plain.as_str()), "her Home shows her queue");

    // Sending back needs a reason; the reason travels to the inspector.
    let bare = office.call("step", json!({"id": plain, "to": "SENT_BACK", "note": "  "})).unwrap_err();
    assert_eq!((bare["code"].as_str(), bare["fields"][0]["field"].as_str()), (Some("invalid"), Some("note")));
    office.ok("step", json!({"id": plain, "to": "SENT_BACK", "note": "Photograph the water tap"}));
    office.ok("sync_now", json!({}));
    field.ok("sync_now", json!({}));
    let home = field.ok("home", json!({}));
    let back = home["todo"].as_array().unwrap().iter().find(|r| r["id"] == plain.as_str()).expect("on Home").clone();
    assert_eq!((back["status"].as_str(), back["note"].as_str()), (Some("SENT_BACK"), Some("Photograph the water tap")));
    let view = field.ok("record", json!({"id": plain}));
    assert_eq!(view["editable"], true);
    let last = view["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["by"].as_str(), last["note"].as_str()), (Some("Meena Sharma"), Some("Photograph the water tap")));

    // Edited and submitted again: a new step after the two that were; the server takes it.
    let mut fixed = inspection_draft("Toilet block, bus stand", true);
    fixed["photos"] = json!([photo]);
    field.ok("edit_inspection", json!({"id": plain, "draft": fixed}));
    let view = field.ok("record", json!({"id": plain}));
    let steps: Vec<&str> = view["history"].as_array().unwrap().iter().map(|s| s["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["SUBMITTED", "SENT_BACK", "SUBMITTED"]);
    assert_eq!(field.ok("sync_now", json!({}))["waiting"], 0, "the server accepted the resubmission");
    assert_eq!(server_status(&server, &plain).as_deref(), Some("SUBMITTED"));

    // Back in her queue with the photo, whose thumbnail her phone gets from the server once
    // the inspector's phone has uploaded it; she approves it there.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while field.ok("sync_status", json!({}))["photos_waiting"] != 0 {
        assert!(std::time::Instant::now() < deadline, "the photo never reached the server");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    office.ok("sync_now", json!({}));
    let thumb = office.ok("photo_thumbnail", json!({"sha256": photo["sha256"]}));
    assert!(thumb.as_str().unwrap().starts_with("data:image/jpeg;base64,/9j/"), "from the server: {thumb}");
    let queue = office.ok("review_list", json!({}))["waiting"].clone();
    let again = queue.as_array().unwrap().iter().find(|i| i["row"]["id"] == plain.as_str()).expect("waits again");
    assert_eq!(again["row"]["photo"], photo["sha256"]);
    assert_eq!(again["row"]["note"], Value::Null, "the old reason is not the news any more");
    office.ok("step", json!({"id": plain, "to": "APPROVED", "note": null}));
    office.ok("step", json!({"id": pictured, "to": "REJECTED", "note": "Wrong premises"}));
    assert_eq!(office.ok("sync_now", json!({}))["waiting"], 0);
    assert_eq!(server_status(&server, &plain).as_deref(), Some("APPROVED"));
    assert_eq!(server_status(&server, &pictured).as_deref(), Some("REJECTED"));
    field.ok("sync_now", json!({}));
    assert_eq!(field.ok("record", json!({"id": plain}))["editable"], false, "approved: closed");
}

/// A large photo (a 12-megapixel camera file: read, turned upright, scaled to the upload copy and
/// the thumbnail) keeps no other command waiting: Home answers while the photo is still being
/// read. Each command runs off the window's thread, and the photo's pixels are read without
/// holding the session.
#[test]
fn a_slow_command_does_not_hold_up_a_quick_one() {
    use base64::Engine;
    use std::time::{Duration, Instant};
    let server = Server::start();
    let app = App::start();
    app.enroll_and_sign_in(&server, Role::Inspector);
    let camera = wardbook::photo::sample::jpeg(4000, 3000, 11, None);
    let base64 = base64::engine::general_purpose::STANDARD.encode(&camera);
    let webview = &app.webview;
    std::thread::scope(|s| {
        let slow = s.spawn(|| {
            let started = Instant::now();
            let photo = call_on(webview, "add_photo", json!({ "base64": base64 }));
            (photo, started.elapsed())
        });
        // Long enough for the photo command to have started and taken whatever it holds.
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        let home = app.ok("home", json!({}));
        let quick = started.elapsed();
        let photo_still_running = !slow.is_finished();
        let (photo, slow) = slow.join().unwrap();
        eprintln!("Home answered in {quick:?} while the photo took {slow:?}");
        let photo = photo.expect("the photo is kept");
        assert_eq!(photo["sha256"].as_str().map(str::len), Some(64));
        assert!(home["todo"].is_array(), "Home answered: {home}");
        assert!(
            photo_still_running,
            "Home answered after {quick:?}, but only once the photo ({slow:?}) was done: it waited for it"
        );
    });
}
