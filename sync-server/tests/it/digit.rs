//! `digit export` on a town whose records came through the real server from real devices:
//! every request written is valid against the JSON Schemas in docs/digit/schemas (read with
//! the `jsonschema` crate), every record DIGIT would refuse is listed with its reason, and the
//! schemas themselves refuse broken requests. `digit push` against a contract server written
//! here (the schema and DIGIT's checks, DIGIT's error answers) posts each payment once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jsonschema::{Registry, Validator};
use serde_json::{Value, json};
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::{Body, GeoPoint, Paise, Record, Role, Status};
use wardbook::ids::RecordId;

use crate::support::{Device, TOWN_A, TestServer, now};

const SCHEMA_BASE: &str = "https://wardbook.in/schemas/digit/";
const DAY: i64 = 86_400_000;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/digit/schemas")
}

/// Every schema file, by the `$id` it declares.
fn registry() -> Registry<'static> {
    let mut builder = Registry::new();
    for entry in std::fs::read_dir(schema_dir()).unwrap() {
        let path = entry.unwrap().path();
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = schema["$id"].as_str().unwrap().to_string();
        assert_eq!(id, format!("{SCHEMA_BASE}{}", path.file_name().unwrap().to_str().unwrap()), "{path:?}");
        builder = builder.add(id, schema).unwrap();
    }
    builder.prepare().unwrap()
}

/// A validator for `file` (with an optional `#/$defs/...` pointer into it).
fn validator(registry: &Registry<'static>, reference: &str) -> Validator {
    let schema = json!({ "$ref": format!("{SCHEMA_BASE}{reference}") });
    jsonschema::options().with_draft(jsonschema::Draft::Draft202012).with_registry(registry).build(&schema).unwrap()
}

fn errors(validator: &Validator, item: &Value) -> Vec<String> {
    validator.iter_errors(item).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

fn assert_valid(validator: &Validator, items: &[Value]) {
    for item in items {
        let errors = errors(validator, item);
        assert!(errors.is_empty(), "{errors:#?}\n{item:#}");
    }
}

fn set_receipt(mut record: Record, change: impl FnOnce(&mut wardbook::domain::Receipt)) -> Record {
    let Body::Receipt(r) = &mut record.body else { unreachable!("a receipt") };
    change(r);
    record
}

/// What a collector takes in a day: cash from Baldev Singh and from सुरेश कुमार, UPI, a
/// cheque, a card payment against a bill, and a fractional amount.
fn collect(phone: &mut Device) {
    let receipt = |n: u32| wardbook::demo::receipt(RecordId::new(), now(), "W02", n);
    let day = [
        receipt(4),
        receipt(3),
        set_receipt(receipt(5), |r| {
            r.payment_mode = PaymentMode::Upi;
            r.transaction_number = Some("412345678901".into());
        }),
        set_receipt(receipt(6), |r| {
            r.payment_mode = PaymentMode::Cheque;
            r.instrument_number = Some("004512".into());
        }),
        set_receipt(receipt(8), |r| {
            r.payment_mode = PaymentMode::Card;
            r.instrument_number = Some("XXXX-XXXX-XXXX-4242".into());
            r.transaction_number = Some("AUTH-889120".into());
            r.bill_id = Some("WS-BILL-2026-0042".into());
        }),
        set_receipt(receipt(9), |r| r.lines[0].amount = Paise(15_450)),
    ];
    for record in day {
        phone.create(record);
    }
}

/// A disposed trip (countersigned at the plant by the operator) and one still on its way.
async fn desludge(server: &TestServer) {
    let mut crew = server.device(TOWN_A, Role::SanitationCrew).await;
    let mut operator = server.device(TOWN_A, Role::FstpOperator).await;
    let t0 = now();
    for n in [1, 2] {
        let trip = wardbook::demo::trip(RecordId::new(), t0, "W01", n);
        crew.store.create(&trip, t0).unwrap();
        crew.store.transition(trip.id, crew.actor, Status::WaitingForDisposal, t0 + 1, None).unwrap();
        if n == 1 {
            crew.sync().await.unwrap();
            let code = crew.store.handover_code(trip.id, t0 + 30 * 60_000).unwrap();
            let plant = GeoPoint { lat: 30.3601, lon: 76.1601, accuracy_m: Some(5.0) };
            let back = operator.store.countersign_handover(&code, 2400.0, &plant, t0 + 40 * 60_000).unwrap();
            crew.sync().await.unwrap(); // the operator's key arrives with the reference data
            let done = crew
                .store
                .record_countersigned(trip.id, &back, plant, vec![], Some(crew.actor), t0 + 41 * 60_000)
                .unwrap();
            assert_eq!(done.workflow().status, Status::Disposed);
        }
    }
    let report = crew.sync().await.unwrap();
    assert_eq!(report.rejected, 0);
}

/// Two applications registered at the office: one DIGIT takes, one with a Hindi name.
async fn register(server: &TestServer) {
    let mut office = server.device(TOWN_A, Role::Supervisor).await;
    for (n, name) in [(1, "Kamla Devi"), (2, "कमला देवी")] {
        let mut job = wardbook::demo::fsm_job(RecordId::new(), now(), "W01", n);
        if let Body::FsmJob(j) = &mut job.body {
            j.applicant_name = name.into();
        }
        office.create(job);
    }
    let report = office.sync().await.unwrap();
    assert_eq!(report.rejected, 0);
}

struct Run {
    requests: Vec<Value>,
    summary: String,
}

/// The office employee's RequestInfo, written to a file in `dir`.
fn request_info_file(dir: &Path) -> (PathBuf, Value) {
    let request_info = dir.join("request-info.json");
    let template = json!({
        "apiId": "Rainmaker",
        "ver": "1.0",
        "action": "_create",
        "msgId": "20260514103000|en_IN",
        "authToken": "token-of-the-office",
        "userInfo": {
            "uuid": "5f0c3c51-5d3c-4a5e-9d3a-1b2c3d4e5f60",
            "userName": "EMP-NBH-001",
            "name": "Harjit Kaur",
            "type": "EMPLOYEE",
            "tenantId": TOWN_A,
            "roles": [{ "code": "COLL_OPERATOR", "tenantId": TOWN_A }, { "code": "FSM_CREATOR_EMP", "tenantId": TOWN_A }],
        },
    });
    std::fs::write(&request_info, template.to_string()).unwrap();
    (request_info, template)
}

/// The days around now, as `--from` and `--to`.
fn range() -> [String; 4] {
    let (from, to) = (wardbook::calendar::ist_date(now() - DAY), wardbook::calendar::ist_date(now() + DAY));
    ["--from".into(), from.to_string(), "--to".into(), to.to_string()]
}

fn export(server: &TestServer, dir: &Path, kind: &str, platform: &str) -> Run {
    let (request_info, template) = request_info_file(dir);
    let out_file = dir.join(format!("{kind}-{platform}.json"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wardbook-server"))
        .args(server.db.args())
        .args(["digit", "export", "--town", TOWN_A, "--kind", kind, "--platform", platform])
        .args(range())
        .arg("--request-info")
        .arg(&request_info)
        .arg("--out")
        .arg(&out_file)
        .output()
        .unwrap();
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{summary}{}", String::from_utf8_lossy(&out.stderr));
    let requests: Value = serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
    let requests = requests.as_array().unwrap().clone();
    for request in &requests {
        assert_eq!(request["RequestInfo"], template, "every request carries the template");
    }
    Run { requests, summary }
}

fn refused_lines(summary: &str) -> Vec<&str> {
    summary.lines().filter(|l| l.starts_with("refused ")).collect()
}

#[tokio::test]
async fn digit_exports_of_real_records_pass_the_schemas_and_name_every_refusal() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    collect(&mut phone);
    assert_eq!(phone.sync().await.unwrap().rejected, 0);
    desludge(&server).await;
    register(&server).await;
    let dir = tempfile::TempDir::new().unwrap();
    let registry = registry();

    // Payments for DIGIT-OSS: cash and card pass; Hindi name, UPI, cheque, fraction refused.
    let oss = export(&server, dir.path(), "payments", "digit-oss");
    assert_valid(&validator(&registry, "payment-create.schema.json"), &oss.requests);
    assert_eq!(oss.requests.len(), 2, "{}", oss.summary);
    assert!(
        oss.summary.starts_with("2 payment create request(s) written for digit-oss of pb.nabha"),
        "{}",
        oss.summary
    );
    let refused = refused_lines(&oss.summary);
    assert_eq!(refused.len(), 4, "{}", oss.summary);
    let says = |what: &str| refused.iter().any(|l| l.contains(what));
    assert!(says("\"सुरेश कुमार\" is not written in Latin letters"), "{}", oss.summary);
    assert!(says("DIGIT-OSS has no payment mode for UPI"), "{}", oss.summary);
    assert!(says("a CHEQUE payment needs its instrument date"), "{}", oss.summary);
    assert!(says("Rs. 154.50 is not a whole number of rupees"), "{}", oss.summary);
    let manual: Vec<&Value> =
        oss.requests.iter().filter(|r| r["Payment"]["paymentDetails"][0].get("billId").is_none()).collect();
    assert_eq!(manual.len(), 1, "the cash receipt has no bill");
    assert_eq!(manual[0]["Payment"]["paidBy"], "Baldev Singh");
    assert!(manual[0]["Payment"]["paymentDetails"][0]["manualReceiptNumber"].as_str().unwrap().starts_with("NBH/"));

    // For UPYOG: the Hindi name and UPI (as QR_CODE) pass too.
    let upyog = export(&server, dir.path(), "payments", "upyog");
    let upyog_payment = validator(&registry, "payment-create.schema.json#/$defs/UpyogPaymentRequest");
    assert_valid(&upyog_payment, &upyog.requests);
    assert_eq!(upyog.requests.len(), 4, "{}", upyog.summary);
    assert_eq!(refused_lines(&upyog.summary).len(), 2, "{}", upyog.summary);
    let modes: Vec<&str> = upyog.requests.iter().map(|r| r["Payment"]["paymentMode"].as_str().unwrap()).collect();
    assert!(modes.contains(&"QR_CODE") && modes.contains(&"CARD"), "{modes:?}");
    assert!(upyog.requests.iter().any(|r| r["Payment"]["payerName"] == "सुरेश कुमार"));
    // A UPYOG request is not a DIGIT-OSS one: QR_CODE and the Hindi name fail DIGIT-OSS's schema.
    let oss_payment = validator(&registry, "payment-create.schema.json");
    assert_eq!(upyog.requests.iter().filter(|r| !oss_payment.is_valid(r)).count(), 2);

    // FSM applications: the Hindi applicant is refused, the other passes.
    let fsm = export(&server, dir.path(), "fsm", "digit-oss");
    let fsm_schema = validator(&registry, "fsm-create.schema.json");
    assert_valid(&fsm_schema, &fsm.requests);
    assert_eq!(fsm.requests.len(), 1, "{}", fsm.summary);
    assert_eq!(fsm.requests[0]["fsm"]["citizen"]["name"], "Kamla Devi");
    let refused = refused_lines(&fsm.summary);
    assert!(
        refused.len() == 1 && refused[0].contains("\"कमला देवी\" is not written in Latin letters"),
        "{}",
        fsm.summary
    );

    // Trips: the disposed one passes with the litres the operator countersigned.
    let trips = export(&server, dir.path(), "trips", "upyog");
    let trip_schema = validator(&registry, "vehicle-trip-create.schema.json");
    assert_valid(&trip_schema, &trips.requests);
    assert_eq!(trips.requests.len(), 1, "{}", trips.summary);
    assert_eq!(trips.requests[0]["vehicleTrip"][0]["volumeCarried"], 2400.0);
    let refused = refused_lines(&trips.summary);
    assert!(
        refused.len() == 1 && refused[0].contains("the trip is WAITING_FOR_DISPOSAL, not DISPOSED"),
        "{}",
        trips.summary
    );

    // The schemas refuse what DIGIT refuses.
    let cash = manual[0].clone();
    let broken = |change: &dyn Fn(&mut Value)| {
        let mut request = cash.clone();
        change(&mut request);
        request
    };
    for (why, request) in [
        ("fractional", broken(&|r| r["Payment"]["totalAmountPaid"] = json!(154.5))),
        ("UPI mode", broken(&|r| r["Payment"]["paymentMode"] = json!("UPI"))),
        ("Hindi payer", broken(&|r| r["Payment"]["paidBy"] = json!("बलदेव सिंह"))),
        ("mobile 5", broken(&|r| r["Payment"]["mobileNumber"] = json!("5800000004"))),
        ("no RequestInfo", broken(&|r| drop(r.as_object_mut().unwrap().remove("RequestInfo")))),
        ("no user uuid", broken(&|r| drop(r["RequestInfo"]["userInfo"].as_object_mut().unwrap().remove("uuid")))),
        ("tenant", broken(&|r| r["Payment"]["tenantId"] = json!("nabha"))),
        (
            "manual without number",
            broken(&|r| drop(r["Payment"]["paymentDetails"][0].as_object_mut().unwrap().remove("manualReceiptNumber"))),
        ),
        (
            "undated cheque",
            broken(&|r| {
                r["Payment"]["paymentMode"] = json!("CHEQUE");
                r["Payment"]["instrumentNumber"] = json!("004512");
            }),
        ),
        (
            "card without transaction",
            broken(&|r| {
                r["Payment"]["paymentMode"] = json!("CARD");
                r["Payment"]["instrumentNumber"] = json!("XXXX-4242");
            }),
        ),
    ] {
        assert!(!oss_payment.is_valid(&request), "{why} passed the schema:\n{request:#}");
    }
    let dated_cheque = broken(&|r| {
        r["Payment"]["paymentMode"] = json!("CHEQUE");
        r["Payment"]["instrumentNumber"] = json!("004512");
        r["Payment"]["instrumentDate"] = json!(now() - DAY);
    });
    assert_eq!(errors(&oss_payment, &dated_cheque), Vec::<String>::new(), "a dated cheque is what DIGIT takes");
    assert!(upyog_payment.is_valid(&broken(&|r| r["Payment"]["paymentMode"] = json!("QR_CODE"))));

    let mut fsm_request = fsm.requests[0].clone();
    fsm_request["fsm"]["paymentPreference"] = json!("PRE_PAY");
    assert!(!fsm_schema.is_valid(&fsm_request), "DIGIT refuses any payment preference on create");
    let mut trip_request = trips.requests[0].clone();
    trip_request["vehicleTrip"][0]["volumeCarried"] = json!(0);
    assert!(!trip_schema.is_valid(&trip_request), "INVALID_VOLUME");
}

#[test]
fn the_echallan_and_asset_schemas_take_a_real_request_and_refuse_a_broken_one() {
    let registry = registry();
    let request_info = json!({ "apiId": "Rainmaker", "userInfo": { "uuid": "u-1", "type": "EMPLOYEE" } });
    let challan = json!({
        "RequestInfo": request_info,
        "Challan": {
            "tenantId": TOWN_A,
            "businessService": "ADVT.Hoardings",
            "citizen": { "name": "Baldev Singh", "mobileNumber": "9800000004" },
            "taxPeriodFrom": 1_775_001_600_000_i64,
            "taxPeriodTo": 1_806_451_199_000_i64,
            "amount": [{ "taxHeadCode": "ADVT_HOARDINGS_FEE", "amount": 500 }],
            "address": { "locality": { "code": "SUN04" }, "latitude": 30.37, "longitude": 76.15 },
        },
    });
    let challans = validator(&registry, "echallan-create.schema.json");
    assert_eq!(errors(&challans, &challan), Vec::<String>::new());
    let mut zero = challan.clone();
    zero["Challan"]["amount"][0]["amount"] = json!(0);
    assert!(!challans.is_valid(&zero), "Zero amount");
    let mut no_mobile = challan.clone();
    no_mobile["Challan"]["citizen"].as_object_mut().unwrap().remove("mobileNumber");
    assert!(!challans.is_valid(&no_mobile), "NULL_Mobile Number");

    let asset = json!({
        "RequestInfo": request_info,
        "Asset": {
            "tenantId": TOWN_A,
            "assetName": "Streetlight pole 114",
            "assetClassification": "MOVABLE",
            "assetParentCategory": "STREET_LIGHTING",
            "assetCategory": "LED_POLE",
            "department": "ELECTRICAL",
            "addressDetails": { "latitude": 30.37, "longitude": 76.15, "locality": { "code": "SUN04" } },
        },
    });
    let assets = validator(&registry, "asset-create.schema.json");
    assert_eq!(errors(&assets, &asset), Vec::<String>::new());
    let mut nowhere = asset.clone();
    nowhere["Asset"]["addressDetails"]["latitude"] = json!(91.0);
    assert!(!assets.is_valid(&nowhere));
}

/// A DIGIT collection service as small as the contract: `_create` takes a payment that passes
/// the schema and DIGIT's checks, and answers anything else the way DIGIT does (HTTP 400,
/// `ResponseInfo` and `Errors[].code`/`message`). It counts every POST it receives.
struct Contract {
    validator: Validator,
    token: String,
    /// The bills DIGIT has live; a payment naming another is `BILL_EXPIRED`.
    live_bills: HashSet<&'static str>,
    posts: AtomicUsize,
    /// Transaction numbers of the payments taken (`DUPLICATE_TXN` for a second one).
    transactions: Mutex<HashSet<String>>,
    taken: AtomicUsize,
}

impl Contract {
    fn check(&self, body: &Value) -> Result<(), (&'static str, String)> {
        let schema_errors = errors(&self.validator, body);
        if !schema_errors.is_empty() {
            return Err(("INVALID_PAYMENT_REQUEST", schema_errors.join("; ")));
        }
        if body["RequestInfo"]["authToken"] != self.token.as_str() {
            return Err(("INVALID_ACCESS_TOKEN", "The access token is not valid".into()));
        }
        let payment = &body["Payment"];
        let details: i64 =
            payment["paymentDetails"].as_array().unwrap().iter().map(|d| d["totalAmountPaid"].as_i64().unwrap()).sum();
        if payment["totalAmountPaid"].as_i64() != Some(details) {
            return Err(("INVALID_AMOUNT", "Total amount paid does not match the payment details".into()));
        }
        for detail in payment["paymentDetails"].as_array().unwrap() {
            if let Some(bill) = detail["billId"].as_str()
                && !self.live_bills.contains(bill)
            {
                return Err(("BILL_EXPIRED", format!("The bill {bill} is expired or does not exist")));
            }
        }
        if let Some(txn) = payment["transactionNumber"].as_str()
            && !self.transactions.lock().unwrap().insert(txn.to_string())
        {
            return Err(("DUPLICATE_TXN", format!("Transaction number {txn} already exists")));
        }
        Ok(())
    }
}

async fn payment_create(
    axum::extract::State(contract): axum::extract::State<Arc<Contract>>,
    axum::Json(body): axum::Json<Value>,
) -> (axum::http::StatusCode, axum::Json<Value>) {
    contract.posts.fetch_add(1, Ordering::SeqCst);
    let info =
        |status: &str| json!({ "apiId": body["RequestInfo"]["apiId"], "ver": "1.0", "ts": now(), "status": status });
    match contract.check(&body) {
        Ok(()) => {
            let n = contract.taken.fetch_add(1, Ordering::SeqCst) + 1;
            let mut payment = body["Payment"].clone();
            payment["id"] = json!(format!("digit-payment-{n}"));
            payment["paymentStatus"] = json!("NEW");
            (
                axum::http::StatusCode::OK,
                axum::Json(json!({ "ResponseInfo": info("successful"), "Payments": [payment] })),
            )
        }
        Err((code, message)) => (
            axum::http::StatusCode::BAD_REQUEST,
            axum::Json(json!({
                "ResponseInfo": info("failed"),
                "Errors": [{ "code": code, "message": message, "description": null, "params": null }],
            })),
        ),
    }
}

/// Serves the contract on 127.0.0.1; its base URL.
async fn contract_server(contract: Arc<Contract>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/collection-services/payments/_create", axum::routing::post(payment_create))
        .with_state(contract);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/")
}

/// `digit push` run by the real binary: whether it succeeded, and what it printed.
async fn push(server: &TestServer, dir: &Path, base_url: &str) -> (bool, String) {
    let (request_info, _) = request_info_file(dir);
    let token = dir.join("digit-token");
    std::fs::write(&token, "token-from-the-file\n").unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_wardbook-server"));
    command
        .args(server.db.args())
        .args(["digit", "push", "--town", TOWN_A, "--kind", "payments", "--platform", "digit-oss"])
        .args(range())
        .arg("--base-url")
        .arg(base_url)
        .arg("--token-file")
        .arg(&token)
        .arg("--request-info")
        .arg(&request_info);
    let out = command.output().await.unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap() + &String::from_utf8_lossy(&out.stderr))
}

fn card(record: Record, bill: &str, transaction: &str) -> Record {
    set_receipt(record, |r| {
        r.payment_mode = PaymentMode::Card;
        r.instrument_number = Some("XXXX-XXXX-XXXX-4242".into());
        r.transaction_number = Some(transaction.into());
        r.bill_id = Some(bill.into());
    })
}

/// The stored attempts of one outcome: (receipt number, DIGIT's code, DIGIT's message or why).
fn attempts(server: &TestServer, outcome: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let query = format!(
        "SELECT reference, error_code, error_message FROM digit_pushes WHERE tenant = '{TOWN_A}' AND outcome = '{outcome}' \
         ORDER BY reference, pushed_at"
    );
    server
        .db
        .admin(|sql| sql.rows(&query, &[])?.iter().map(|r| Ok((r.text(0)?, r.opt_text(1)?, r.opt_text(2)?))).collect())
}

#[tokio::test]
async fn digit_push_posts_each_payment_once_and_shows_what_digit_refused() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Collector).await;
    let receipt = |n: u32| wardbook::demo::receipt(RecordId::new(), now(), "W02", n);
    let number = |record: Record| match record.body {
        Body::Receipt(r) => r.receipt_number,
        _ => unreachable!("a receipt"),
    };
    let taken = [
        number(phone.create(receipt(4))),
        number(phone.create(receipt(5))),
        number(phone.create(card(receipt(6), "WS-BILL-2026-0042", "AUTH-889120"))),
    ];
    assert_eq!(phone.sync().await.unwrap().rejected, 0);
    let contract = Arc::new(Contract {
        validator: validator(&registry(), "payment-create.schema.json"),
        token: "token-from-the-file".into(),
        live_bills: HashSet::from(["WS-BILL-2026-0042"]),
        posts: AtomicUsize::new(0),
        transactions: Mutex::new(HashSet::new()),
        taken: AtomicUsize::new(0),
    });
    let digit = contract_server(contract.clone()).await;
    let dir = tempfile::TempDir::new().unwrap();
    let posts = || contract.posts.load(Ordering::SeqCst);

    // Push: the three payments DIGIT takes, one POST each.
    let (ok, said) = push(&server, dir.path(), &digit).await;
    assert!(ok, "{said}");
    assert_eq!(posts(), 3, "{said}");
    assert_eq!(contract.taken.load(Ordering::SeqCst), 3, "{said}");
    for n in &taken {
        assert!(said.contains(&format!("pushed {n}: DIGIT payment digit-payment-")), "{said}");
    }
    assert!(said.contains("3 of 3 payment(s) of pb.nabha"), "{said}");
    assert_eq!(attempts(&server, "pushed").len(), 3);

    // Re-push: nothing is posted again.
    let (ok, said) = push(&server, dir.path(), &digit).await;
    assert!(ok, "{said}");
    assert_eq!(posts(), 3, "a second push posts nothing: {said}");
    assert_eq!(said.lines().filter(|l| l.starts_with("already pushed NBH/")).count(), 3, "{said}");
    assert!(said.contains("0 of 3 payment(s)") && said.contains("3 already pushed"), "{said}");

    // Two more card payments DIGIT refuses: an unknown bill, a transaction number it has.
    let expired = number(phone.create(card(receipt(8), "WS-BILL-2025-0001", "AUTH-100001")));
    let duplicate = number(phone.create(card(receipt(9), "WS-BILL-2026-0042", "AUTH-889120")));
    assert_eq!(phone.sync().await.unwrap().rejected, 0);
    let (ok, said) = push(&server, dir.path(), &digit).await;
    assert!(!ok, "a refused payment fails the push: {said}");
    assert_eq!(posts(), 5, "{said}");
    assert!(
        said.contains(&format!("refused by DIGIT {expired}: BILL_EXPIRED: The bill WS-BILL-2025-0001 is expired")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "refused by DIGIT {duplicate}: DUPLICATE_TXN: Transaction number AUTH-889120 already exists"
        )),
        "{said}"
    );
    assert!(said.contains("0 of 5 payment(s)") && said.contains("3 already pushed, 2 refused by DIGIT"), "{said}");
    let refused = attempts(&server, "refused");
    assert_eq!(
        refused.iter().map(|(r, c, _)| (r.as_str(), c.as_deref().unwrap())).collect::<Vec<_>>(),
        [(expired.as_str(), "BILL_EXPIRED"), (duplicate.as_str(), "DUPLICATE_TXN")]
    );
    assert!(refused[0].2.as_deref().unwrap().contains("WS-BILL-2025-0001"));

    // DIGIT unreachable: the refused two are tried again, kept as failed with why; the run goes on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (ok, said) = push(&server, dir.path(), &gone).await;
    assert!(!ok, "{said}");
    assert_eq!(said.lines().filter(|l| l.starts_with("failed NBH/")).count(), 2, "{said}");
    assert!(said.contains("3 already pushed, 0 refused by DIGIT, 2 failed"), "{said}");
    let failed = attempts(&server, "failed");
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|(_, code, why)| code.is_none() && !why.as_deref().unwrap().is_empty()), "{failed:?}");
    assert_eq!(posts(), 5);
    assert_eq!(attempts(&server, "pushed").len(), 3, "DIGIT still has each payment once");
}
