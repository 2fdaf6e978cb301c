//! The HTTP API as documented: `/openapi.json`, `ROUTES` and the router name the same
//! operations; errors are JSON `{code, message}` with the documented status and code; health
//! and metrics answer as monitoring expects.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use wardbook::domain::Role;
use wardbook::ids::RecordId;
use wardbook::sync::wire::{
    self, CONTENT_TYPE, MAX_BODY_BYTES, PROTOCOL_VERSION, RecordBytes, SyncRequest, SyncResponse,
};
use wardbook_server::db;
use wardbook_server::error::AppError;
use wardbook_server::routes::{OPENAPI, ROUTES};
use wardbook_server::{AppState, router};

use crate::support::{TOWN_A, TestServer, call, now};

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn openapi() -> Value {
    serde_json::from_str(OPENAPI).expect("openapi.json is valid JSON")
}

/// Every (METHOD, path) the description lists.
fn documented(api: &Value) -> BTreeSet<(String, String)> {
    let paths = api["paths"].as_object().expect("openapi.json has paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item is an object");
            item.keys().filter(|k| METHODS.contains(&k.as_str())).map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

fn sync_body(protocol: u32, changes: Vec<RecordBytes>) -> Vec<u8> {
    wire::encode(&SyncRequest {
        protocol,
        cursor: Default::default(),
        changes,
        max_page_bytes: None,
        want_numbers: None,
    })
}

/// Checks an error answer: the status, JSON with exactly `code` and `message`, this code.
fn assert_error(answer: &(u16, String, Vec<u8>), status: u16, code: &str) {
    let (got, content_type, body) = answer;
    let text = String::from_utf8_lossy(body);
    assert_eq!(*got, status, "expected {status} {code}, got {got}: {text}");
    assert!(content_type.starts_with("application/json"), "{code}: content type {content_type:?}");
    let json: Value = serde_json::from_slice(body).unwrap_or_else(|e| panic!("{code}: not JSON ({e}): {text}"));
    let keys: BTreeSet<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["code", "message"]), "{text}");
    assert_eq!(json["code"], code, "{text}");
    assert!(!json["message"].as_str().unwrap().is_empty(), "{text}");
}

async fn assert_healthy(server: &TestServer) {
    let (status, _, body) = call(server, "GET", "/healthz", None, None).await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()), "the server is not healthy any more");
}

/// One `PUT` of a whole blob.
async fn blob_put(server: &TestServer, path: &str, token: Option<&str>, bytes: Vec<u8>) -> (u16, String, Vec<u8>) {
    let mut request = reqwest::Client::new()
        .put(format!("{}{path}", server.url()))
        .header("content-range", format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()))
        .body(bytes);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}

/// An inspection naming a small photo (the thumbnail route's valid call uploads it).
fn photographed(id: RecordId) -> wardbook::domain::Record {
    let mut record = wardbook::demo::inspection(id, now(), "W01", 1);
    if let wardbook::domain::Body::Inspection(i) = &mut record.body {
        let name = wardbook::sync::photos::sha256_hex(&wardbook::photo::sample::jpeg(64, 48, 9, None));
        i.photos.push(wardbook::domain::PhotoRef { sha256: name, taken_at: None, location: None });
    }
    record
}

/// A request that `path` answers with success (a fresh enrollment code, a real record...).
async fn valid_call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    record: RecordId,
) -> (u16, String, Vec<u8>) {
    match (method, path) {
        ("POST", "/v1/enroll") => {
            let (_, code) =
                server.db.admin(|sql| db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Collector)));
            let key = wardbook::ledger::DeviceKey::from_seed([5; 32]).public_key();
            let public_key = wardbook::ledger::encode_signature(&key.to_bytes());
            let body = serde_json::json!({ "code": code, "device_name": "route walk", "public_key": public_key });
            let body = body.to_string();
            call(server, method, path, token, Some(("application/json", body.into_bytes()))).await
        }
        ("POST", "/v1/sync") => {
            call(server, method, path, token, Some((CONTENT_TYPE, sync_body(PROTOCOL_VERSION, vec![])))).await
        }
        ("GET", "/v1/records/{id}") => call(server, method, &format!("/v1/records/{record}"), token, None).await,
        ("GET", "/verify") => call(server, method, "/verify?code=WBR1", token, None).await,
        ("PUT" | "HEAD", "/v1/blobs/{sha256}") => {
            let photo = b"a very small photo".to_vec();
            let path = format!("/v1/blobs/{}", wardbook::sync::photos::sha256_hex(&photo));
            if method == "HEAD" {
                let (status, _, body) = blob_put(server, &path, token, photo).await;
                if token.is_some() {
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                }
                return call(server, method, &path, token, None).await;
            }
            blob_put(server, &path, token, photo).await
        }
        ("GET", "/v1/blobs/{sha256}/thumbnail") => {
            // The photo the test's inspection names (see `photographed`), uploaded whole.
            let photo = wardbook::photo::sample::jpeg(64, 48, 9, None);
            let name = wardbook::sync::photos::sha256_hex(&photo);
            if token.is_some() {
                let (status, _, body) = blob_put(server, &format!("/v1/blobs/{name}"), token, photo).await;
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            }
            call(server, method, &format!("/v1/blobs/{name}/thumbnail"), token, None).await
        }
        ("GET", "/v1/reference" | "/healthz" | "/metrics" | "/openapi.json") => {
            call(server, method, path, token, None).await
        }
        _ => panic!("{method} {path} is new: teach this test a valid call for it"),
    }
}

#[tokio::test]
async fn openapi_lists_exactly_the_routes_and_every_route_answers() {
    let api = openapi();
    assert!(api["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "not an OpenAPI 3 document");
    let routes: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(routes.len(), ROUTES.len(), "ROUTES lists an operation twice");
    let listed = documented(&api);
    let undocumented: Vec<_> = routes.difference(&listed).collect();
    let unrouted: Vec<_> = listed.difference(&routes).collect();
    assert!(undocumented.is_empty(), "in ROUTES but not in openapi.json: {undocumented:?}");
    assert!(unrouted.is_empty(), "in openapi.json but not in ROUTES: {unrouted:?}");

    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Supervisor).await;
    let record = RecordId::new();
    phone.store.create(&photographed(record), now()).unwrap();
    phone.sync().await.unwrap();
    let token = phone.client.token().to_string();

    for (method, path) in ROUTES {
        let op = &api["paths"][*path][method.to_lowercase()];
        if path.starts_with("/office") {
            // The office console signs in with a cookie, not a token (office.rs signs in and
            // reads every page); asked as a device asks, it answers a documented HTML status.
            let (status, content_type, _) = call(&server, method, path, Some(&token), None).await;
            let expected = match (*method, *path) {
                ("GET", "/office/sign-in") => 200,
                ("GET", _) => 401,
                _ => 403,
            };
            assert_eq!(status, expected, "{method} {path} asked with a device token");
            assert!(op["responses"][status.to_string()].is_object(), "{method} {path}: {status} not documented");
            assert!(content_type.starts_with("text/html"), "{method} {path}: {content_type:?}");
            continue;
        }
        // With a token: success, so neither "no such route" (404) nor "no such method" (405).
        let (status, content_type, body) = valid_call(&server, method, path, Some(&token), record).await;
        assert!(status != 404 && status != 405, "{method} {path} is not routed: {status}");
        assert_eq!(status, 200, "{method} {path}: {}", String::from_utf8_lossy(&body));
        let documented_type = op["responses"]["200"]["content"].as_object().and_then(|c| c.keys().next().cloned());
        let documented_type =
            documented_type.unwrap_or_else(|| panic!("{method} {path}: no 200 content in openapi.json"));
        assert!(
            content_type.starts_with(&documented_type),
            "{method} {path}: {content_type:?}, documented {documented_type:?}"
        );
        // Without one: refused exactly where the description asks for a token.
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        let answer = valid_call(&server, method, path, None, record).await;
        if secured && *method == "HEAD" {
            // A HEAD answer has no body to carry the code.
            assert_eq!(answer.0, 401, "{method} {path} without a token");
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401 not documented");
        } else if secured {
            assert_error(&answer, 401, "missing_token");
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401 not documented");
        } else {
            assert_eq!(answer.0, 200, "{method} {path} needs no token: {}", String::from_utf8_lossy(&answer.2));
        }
    }

    // Methods the description does not list for a path are refused as such.
    for (_, path) in ROUTES {
        let path = path.replace("{id}", &record.to_string());
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let template = ROUTES.iter().find(|(_, p)| p.replace("{id}", &record.to_string()) == path).unwrap().1;
            if routes.contains(&(method.to_string(), template.to_string())) {
                continue;
            }
            let (status, _, _) = call(&server, method, &path, Some(&token), None).await;
            assert_eq!(status, 405, "{method} {path} answers although openapi.json does not list it");
        }
    }
    assert_eq!(call(&server, "GET", "/v1/nothing-here", Some(&token), None).await.0, 404);

    // The served description is the file.
    let (status, _, body) = call(&server, "GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), api);
}

#[tokio::test]
async fn sync_errors_are_documented_json_and_leave_the_server_serving() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Supervisor).await;
    let token = phone.client.token().to_string();
    let post = |token: Option<&str>, body: Vec<u8>| {
        let token = token.map(str::to_string);
        let server = &server;
        async move { call(server, "POST", "/v1/sync", token.as_deref(), Some((CONTENT_TYPE, body))).await }
    };

    assert_error(&post(Some(&token), b"this is not zstd or CBOR".to_vec()).await, 400, "malformed_body");
    assert_error(&post(Some(&token), vec![]).await, 400, "malformed_body");
    // Valid zstd, but CBOR of something else.
    assert_error(&post(Some(&token), wire::encode(&vec![1u32, 2, 3])).await, 400, "malformed_body");
    assert_error(&post(Some(&token), sync_body(99, vec![])).await, 400, "unsupported_protocol");
    // Small on the wire, larger than the limit once inflated.
    let bomb =
        sync_body(PROTOCOL_VERSION, vec![RecordBytes { record: RecordId::new(), bytes: vec![0; MAX_BODY_BYTES + 1] }]);
    assert!(bomb.len() < MAX_BODY_BYTES / 100);
    assert_error(&post(Some(&token), bomb).await, 413, "body_too_large");
    // Larger than the limit on the wire.
    assert_error(&post(Some(&token), vec![0; MAX_BODY_BYTES + 1]).await, 413, "body_too_large");
    // No token, a token of another scheme, a made-up token.
    assert_error(&post(None, sync_body(PROTOCOL_VERSION, vec![])).await, 401, "missing_token");
    let basic = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url()))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .body(sync_body(PROTOCOL_VERSION, vec![]))
        .send()
        .await
        .unwrap();
    let basic = (
        basic.status().as_u16(),
        basic.headers()["content-type"].to_str().unwrap().to_string(),
        basic.bytes().await.unwrap().to_vec(),
    );
    assert_error(&basic, 401, "missing_token");
    assert_error(&post(Some("wbk_made_up"), sync_body(PROTOCOL_VERSION, vec![])).await, 401, "unknown_token");
    assert_healthy(&server).await;
    // The same limit through the router itself, and a body exactly at the limit is read.
    let app = router(AppState::new(server.db.store.clone()));
    let big = Request::post("/v1/sync")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", CONTENT_TYPE)
        .body(Body::from(vec![0u8; MAX_BODY_BYTES + 1]))
        .unwrap();
    let response = app.clone().oneshot(big).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_error(&(status.as_u16(), "application/json".into(), body.to_vec()), 413, "body_too_large");
    let just_fits = Request::post("/v1/sync")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(vec![0u8; MAX_BODY_BYTES]))
        .unwrap();
    let response = app.clone().oneshot(just_fits).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "a body at the limit is read (and found malformed)");
    let health = app.oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // After all that, the same device still syncs.
    assert_healthy(&server).await;
    phone.store.create(&wardbook::demo::inspection(RecordId::new(), now(), "W02", 2), now()).unwrap();
    assert_eq!(phone.sync().await.unwrap().confirmed, 1);
}

#[tokio::test]
async fn enroll_with_a_bad_body_is_a_bad_request() {
    let server = TestServer::start().await;
    let enroll =
        |body: &'static [u8]| call(&server, "POST", "/v1/enroll", None, Some(("application/json", body.to_vec())));
    assert_error(&enroll(b"{not json").await, 400, "bad_request");
    assert_error(&enroll(b"").await, 400, "bad_request");
    assert_error(&enroll(br#"{"device_name": "no code"}"#).await, 400, "bad_request");
    assert_error(&enroll(br#"[1, 2]"#).await, 400, "bad_request");
    assert_error(&enroll(br#"{"code": "AAAA-BBBB-CC", "device_name": "guess"}"#).await, 401, "invalid_enrollment_code");
    assert_healthy(&server).await;
}

/// The value of one sample in OpenMetrics text.
fn sample(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
}

#[tokio::test]
async fn healthz_and_metrics_answer_for_monitoring() {
    let server = TestServer::start().await;
    let (status, content_type, body) = call(&server, "GET", "/healthz", None, None).await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    assert!(content_type.starts_with("text/plain"), "{content_type}");

    let metrics = || async {
        let (status, content_type, body) = call(&server, "GET", "/metrics", None, None).await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("application/openmetrics-text"), "{content_type}");
        let text = String::from_utf8(body).unwrap();
        assert!(text.trim_end().ends_with("# EOF"), "OpenMetrics text ends with # EOF:\n{text}");
        assert!(text.contains("# TYPE wardbook_sync_requests counter"), "{text}");
        assert!(text.contains("# TYPE wardbook_changes_stored counter"), "{text}");
        text
    };
    let before = metrics().await;
    let (requests, stored) =
        (sample(&before, "wardbook_sync_requests_total"), sample(&before, "wardbook_changes_stored_total"));

    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    phone.store.create(&wardbook::demo::inspection(RecordId::new(), now(), "W01", 1), now()).unwrap();
    let report = phone.sync().await.unwrap();
    assert_eq!(report.confirmed, 1);
    let after = metrics().await;
    assert_eq!(sample(&after, "wardbook_changes_stored_total"), stored + 1.0, "{after}");
    assert_eq!(sample(&after, "wardbook_sync_requests_total"), requests + report.requests as f64, "{after}");
    assert!(sample(&after, "wardbook_enrollments_total") >= 1.0);
    // A replay of a stored change is a duplicate, not another stored change.
    let record = phone.store.list(&Default::default()).unwrap()[0].id;
    let change = phone.store.document(record).unwrap().changes_since(&[]).remove(0);
    let replay = sync_body(PROTOCOL_VERSION, vec![RecordBytes { record, bytes: change.raw_bytes().to_vec() }]);
    let (status, _, body) =
        call(&server, "POST", "/v1/sync", Some(phone.client.token()), Some((CONTENT_TYPE, replay))).await;
    assert_eq!(status, 200);
    let response: SyncResponse = wire::decode(&body).unwrap();
    assert_eq!(response.acks[0], wire::Outcome::Duplicate);
    // A device still speaking version 1 is answered in version 1's shape: each ack names the
    // record and the hash of its change.
    let old = sync_body(1, vec![RecordBytes { record, bytes: change.raw_bytes().to_vec() }]);
    let (status, _, body) =
        call(&server, "POST", "/v1/sync", Some(phone.client.token()), Some((CONTENT_TYPE, old))).await;
    assert_eq!(status, 200);
    let response: wire::v1::SyncResponse = wire::decode(&body).unwrap();
    assert_eq!(response.protocol, 1);
    assert_eq!(
        response.acks,
        vec![wire::v1::Ack { record, hash: change.hash().0.to_vec(), outcome: wire::Outcome::Duplicate }]
    );
    let last = metrics().await;
    assert_eq!(sample(&last, "wardbook_changes_stored_total"), stored + 1.0);
    assert_eq!(sample(&last, "wardbook_changes_duplicate_total"), 2.0);
}

/// Every code the server can answer with, and its status. The match has no catch-all arm:
/// a new error variant does not compile until it is listed here (and so checked below).
fn every_error() -> Vec<AppError> {
    use wardbook::sync::wire::WireError;
    let all = vec![
        AppError::MissingToken,
        AppError::UnknownToken,
        AppError::DeviceRevoked,
        AppError::InvalidEnrollmentCode,
        AppError::NotFound,
        AppError::BadRequest(String::new()),
        AppError::Wire(WireError::Malformed(String::new())),
        AppError::Wire(WireError::TooLarge),
        AppError::Wire(WireError::UnsupportedVersion(99)),
        AppError::UnknownTenant(String::new()),
        AppError::TenantExists(String::new()),
        AppError::UnknownUser { tenant: String::new(), user: String::new() },
        AppError::UnknownDevice(String::new()),
        AppError::NewerSchema { found: 2, supported: 1 },
        AppError::HashMismatch,
        AppError::UploadOffset { have: 0 },
        AppError::BlobTooLarge { limit: 1 },
        AppError::Unwritable(String::new()),
        AppError::Unhealthy(String::new()),
        AppError::Unavailable(String::new()),
        AppError::InvalidTenantId(String::new()),
        AppError::InvalidDeviceName(String::new()),
        AppError::SigningKeyRequired,
        AppError::TooManyAttempts { retry_after: 1 },
        AppError::SignInRequired,
        AppError::BadCredentials,
        AppError::LockedOut { retry_after: 1 },
        AppError::CsrfMismatch,
        AppError::BadOrigin,
        AppError::ReadOnly,
        AppError::Refused { code: String::new(), reason: String::new() },
        AppError::Database(String::new()),
        AppError::Internal(String::new()),
    ];
    for e in &all {
        match e {
            AppError::MissingToken
            | AppError::UnknownToken
            | AppError::DeviceRevoked
            | AppError::InvalidEnrollmentCode
            | AppError::NotFound
            | AppError::BadRequest(_)
            | AppError::UnknownTenant(_)
            | AppError::TenantExists(_)
            | AppError::UnknownUser { .. }
            | AppError::UnknownDevice(_)
            | AppError::NewerSchema { .. }
            | AppError::HashMismatch
            | AppError::UploadOffset { .. }
            | AppError::BlobTooLarge { .. }
            | AppError::Unwritable(_)
            | AppError::Unhealthy(_)
            | AppError::Unavailable(_)
            | AppError::InvalidTenantId(_)
            | AppError::InvalidDeviceName(_)
            | AppError::SigningKeyRequired
            | AppError::TooManyAttempts { .. }
            | AppError::SignInRequired
            | AppError::BadCredentials
            | AppError::LockedOut { .. }
            | AppError::CsrfMismatch
            | AppError::BadOrigin
            | AppError::ReadOnly
            | AppError::Refused { .. }
            | AppError::Database(_)
            | AppError::Internal(_) => {}
            AppError::Wire(w) => match w {
                WireError::Malformed(_) | WireError::TooLarge | WireError::UnsupportedVersion(_) => {}
            },
        }
    }
    all
}

/// The codes the Error schema's description lists.
fn listed_codes(api: &Value) -> BTreeSet<String> {
    let description = api["components"]["schemas"]["Error"]["properties"]["code"]["description"].as_str().unwrap();
    let (_, list) = description.split_once(':').expect("the description lists codes after a colon");
    list.split(',').map(|c| c.trim().trim_end_matches('.').to_string()).filter(|c| !c.is_empty()).collect()
}

/// A response object, following a `$ref` into `components/responses`.
fn resolve<'a>(api: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/responses/").expect("a response $ref points to components");
            &api["components"]["responses"][name]
        }
        None => response,
    }
}

#[test]
fn the_error_schema_lists_every_code_and_every_documented_sync_error_is_in_it() {
    let api = openapi();
    let listed = listed_codes(&api);
    let codes: BTreeSet<String> = every_error().iter().map(|e| e.status_code().1.to_string()).collect();
    assert_eq!(listed, codes, "the Error schema's list of codes and AppError differ");

    let sync = &api["paths"]["/v1/sync"]["post"]["responses"];
    let statuses: BTreeSet<u16> =
        sync.as_object().unwrap().keys().filter_map(|k| k.parse().ok()).filter(|s| *s >= 400).collect();
    assert_eq!(statuses, BTreeSet::from([400, 401, 413, 503]), "the error statuses documented for /v1/sync");
    for status in statuses {
        let response = resolve(&api, &sync[status.to_string()]);
        assert_eq!(
            response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
            "/v1/sync {status} is not an Error"
        );
        // The codes the server sends with this status: all listed in the Error schema.
        let with_status: Vec<String> = every_error()
            .iter()
            .map(|e| e.status_code())
            .filter(|(s, _)| s.as_u16() == status)
            .map(|(_, c)| c.to_string())
            .collect();
        assert!(!with_status.is_empty(), "the server never answers {status}");
        for code in &with_status {
            assert!(listed.contains(code), "{code} ({status}) is not in the Error schema");
        }
        // And a code the description of this status names is a real code with this status.
        let description = response["description"].as_str().unwrap();
        for word in description.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| w.contains('_')) {
            assert!(with_status.iter().any(|c| c == word), "/v1/sync {status} names {word}, not a {status} code");
        }
    }
    // The statuses a sync request really met in the test above, by code.
    for (status, code) in
        [(400, "malformed_body"), (400, "unsupported_protocol"), (413, "body_too_large"), (401, "missing_token")]
    {
        let response = resolve(&api, &sync[status.to_string()]);
        assert!(response.is_object(), "{status} is not documented for /v1/sync");
        assert!(listed.contains(code));
    }
}

/// Every sync answer names the reference data's tag: a device fetches the data only when its
/// copy's tag differs (an ordinary sync is then one request), and a new user still arrives.
#[tokio::test]
async fn a_sync_fetches_the_reference_data_only_when_its_tag_changed() {
    let server = TestServer::start().await;
    let mut phone = server.device(TOWN_A, Role::Inspector).await;
    let tag = reqwest::Client::new()
        .get(format!("{}/v1/reference", server.url()))
        .bearer_auth(phone.client.token())
        .send()
        .await
        .unwrap()
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    // Enrollment stored the data without its tag: the first sync fetches it and keeps the tag
    // the sync answer named.
    phone.sync().await.unwrap();
    assert_eq!(phone.store.setting("reference_etag").unwrap().as_deref(), Some(tag.as_str()));
    // Unchanged data: the tag stays (the side-by-side benchmark counts the requests: one).
    assert_eq!(phone.sync().await.unwrap().requests, 1);
    assert_eq!(phone.store.setting("reference_etag").unwrap().as_deref(), Some(tag.as_str()));
    // A user added at the office reaches the phone at its next sync.
    let user = wardbook::domain::reference::User {
        id: wardbook::ids::UserId::new(),
        name: "Naya Inspector".into(),
        roles: vec![Role::Inspector],
        wards: vec!["W01".into()],
    };
    server.db.admin(|sql| wardbook_server::db::user_add(sql, TOWN_A, &user));
    phone.sync().await.unwrap();
    assert!(phone.store.reference().users.iter().any(|u| u.id == user.id), "the new user arrived");
    assert_ne!(phone.store.setting("reference_etag").unwrap().as_deref(), Some(tag.as_str()));
}
