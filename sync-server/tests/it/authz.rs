//! The authorization matrix: every HTTP operation of `ROUTES` asked by every role of a town
//! (Nabha), by no token, by a revoked device and by a made-up token, about resources of its own
//! town and of another (Patiala). The expected answers are written out below as tables, not
//! computed from the rules they check:
//!
//! - [`STATUS`]: the HTTP status of each request, per principal;
//! - [`READ`]: which records each role receives in its sync feed and may fetch by id;
//! - [`WRITE`]: what the server answers when each role pushes a new record of each kind.
//!
//! Afterwards: no device of Nabha holds, received, or could fetch a row of Patiala (feed,
//! record fetch, blobs, the public verify page), and Patiala's rows are as they were.

use std::collections::BTreeSet;

use wardbook::domain::{Record, Role};
use wardbook::ids::RecordId;
use wardbook::store::{Query, SyncState};
use wardbook::sync::photos::sha256_hex;
use wardbook::sync::wire::{self, CONTENT_TYPE, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use wardbook_server::db;
use wardbook_server::routes::ROUTES;

use crate::support::{Device, TOWN_A, TOWN_B, TestServer, call, now, raw_sync};

/// Who asks. The first seven are devices of Nabha's demo users, one per role.
const PRINCIPALS: [&str; 10] = [
    "inspector",
    "surveyor",
    "collector",
    "sanitation_crew",
    "fstp_operator",
    "supervisor",
    "admin",
    "no_token",
    "revoked",
    "unknown_token",
];
const ROLES: [Role; 7] = [
    Role::Inspector,
    Role::Surveyor,
    Role::Collector,
    Role::SanitationCrew,
    Role::FstpOperator,
    Role::Supervisor,
    Role::Admin,
];

/// One request of the matrix: the operation as `ROUTES` names it, what it is about, and the
/// expected status for each principal (in the order of [`PRINCIPALS`]). "own" is Nabha's,
/// "other" Patiala's.
struct Row {
    method: &'static str,
    route: &'static str,
    target: Target,
    expect: [u16; 10],
}

#[derive(Clone, Copy, Debug)]
enum Target {
    /// A fresh one-time enrollment code (the token, if any, plays no part).
    FreshCode,
    /// An enrollment code that was already exchanged.
    UsedCode,
    /// No resource: the device's own town is implied by its token.
    Implied,
    /// Nabha's inspection in ward W02.
    OwnInspection,
    /// Patiala's inspection in ward W02.
    OtherInspection,
    /// An id no town has.
    UnknownRecord,
    /// The QR code of Nabha's receipt / of Patiala's receipt.
    OwnReceiptCode,
    OtherReceiptCode,
    /// A blob no town has yet (a different one per principal).
    NewBlob,
    /// A blob Nabha has complete / Patiala has complete.
    OwnBlob,
    OtherBlob,
    /// A complete photo of Nabha that its inspection in W02 names.
    OwnPhoto,
    /// An office page or form: a device's token is no office session.
    OfficePage,
    OfficeForm,
}

/// Rows run in this order (the HEAD of the other town's blob comes before pieces are sent
/// under its name).
#[rustfmt::skip]
const STATUS: &[Row] = &[
    //                                                                     insp surv coll crew fstp supv admn none revk unkn
    Row { method: "POST", route: "/v1/enroll", target: Target::FreshCode,        expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/v1/enroll", target: Target::UsedCode,         expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/reference", target: Target::Implied,       expect: [200, 200, 200, 200, 200, 200, 200, 401, 401, 401] },
    Row { method: "POST", route: "/v1/sync", target: Target::Implied,            expect: [200, 200, 200, 200, 200, 200, 200, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/records/{id}", target: Target::OwnInspection,   expect: [200, 404, 404, 404, 404, 200, 404, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/records/{id}", target: Target::OtherInspection, expect: [404, 404, 404, 404, 404, 404, 404, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/records/{id}", target: Target::UnknownRecord,   expect: [404, 404, 404, 404, 404, 404, 404, 401, 401, 401] },
    Row { method: "GET",  route: "/healthz", target: Target::Implied,            expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET",  route: "/metrics", target: Target::Implied,            expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET",  route: "/openapi.json", target: Target::Implied,       expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET",  route: "/verify", target: Target::OwnReceiptCode,      expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "GET",  route: "/verify", target: Target::OtherReceiptCode,    expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "PUT",  route: "/v1/blobs/{sha256}", target: Target::NewBlob,  expect: [200, 200, 200, 200, 200, 200, 200, 401, 401, 401] },
    Row { method: "HEAD", route: "/v1/blobs/{sha256}", target: Target::OwnBlob,  expect: [200, 200, 200, 200, 200, 200, 200, 401, 401, 401] },
    Row { method: "HEAD", route: "/v1/blobs/{sha256}", target: Target::OtherBlob, expect: [404, 404, 404, 404, 404, 404, 404, 401, 401, 401] },
    Row { method: "PUT",  route: "/v1/blobs/{sha256}", target: Target::OtherBlob, expect: [200, 200, 200, 200, 200, 200, 200, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/blobs/{sha256}/thumbnail", target: Target::OwnPhoto,  expect: [200, 404, 404, 404, 404, 200, 404, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/blobs/{sha256}/thumbnail", target: Target::OwnBlob,   expect: [404, 404, 404, 404, 404, 404, 404, 401, 401, 401] },
    Row { method: "GET",  route: "/v1/blobs/{sha256}/thumbnail", target: Target::OtherBlob, expect: [404, 404, 404, 404, 404, 404, 404, 401, 401, 401] },
    // The office console: a device token opens nothing (the sign-in form answers 401), and a
    // form posted as a device posts it (no Origin) is refused before anything is read.
    Row { method: "GET",  route: "/office", target: Target::OfficePage,          expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/records", target: Target::OfficePage,  expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/export.csv", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/export.geojson", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/export.xlsx", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/receipts", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/devices", target: Target::OfficePage,  expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/review", target: Target::OfficePage,   expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/record/{id}", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/photo/{sha256}", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/photo/{sha256}/thumbnail", target: Target::OfficePage, expect: [401, 401, 401, 401, 401, 401, 401, 401, 401, 401] },
    Row { method: "GET",  route: "/office/sign-in", target: Target::OfficePage,  expect: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200] },
    Row { method: "POST", route: "/office/sign-in", target: Target::OfficeForm,  expect: [403, 403, 403, 403, 403, 403, 403, 403, 403, 403] },
    Row { method: "POST", route: "/office/sign-out", target: Target::OfficeForm, expect: [403, 403, 403, 403, 403, 403, 403, 403, 403, 403] },
    Row { method: "POST", route: "/office/devices/revoke", target: Target::OfficeForm, expect: [403, 403, 403, 403, 403, 403, 403, 403, 403, 403] },
    Row { method: "POST", route: "/office/review/decide", target: Target::OfficeForm, expect: [403, 403, 403, 403, 403, 403, 403, 403, 403, 403] },
    Row { method: "POST", route: "/office/review/resolve", target: Target::OfficeForm, expect: [403, 403, 403, 403, 403, 403, 403, 403, 403, 403] },
];

/// Who signs in to the office pages: Nabha's supervisor of ward W01 only, Nabha's supervisor
/// of the whole town, Nabha's admin, Punjab's state official (both demo towns are `pb.`),
/// Himachal's, Patiala's supervisor, and a browser with no session.
const OFFICE: [&str; 7] = ["supervisor_w01", "supervisor", "admin", "state_pb", "state_hp", "patiala", "none"];

/// Which town an office request names (`?town=`), or none (the login's own).
#[derive(Clone, Copy, Debug)]
enum Town {
    Implied,
    Nabha,
    Patiala,
}

/// The status of each office page for each office principal, about each town.
#[rustfmt::skip]
const OFFICE_STATUS: &[(&str, Town, [u16; 7])] = &[
    //                                      w01  supv admn stpb sthp pati none
    ("/office",          Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office",          Town::Nabha,   [200, 200, 200, 200, 404, 404, 401]),
    ("/office",          Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/records",  Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/records",  Town::Nabha,   [200, 200, 200, 200, 404, 404, 401]),
    ("/office/records",  Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/export.csv", Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/export.csv", Town::Nabha, [200, 200, 200, 200, 404, 404, 401]),
    ("/office/export.csv", Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/export.geojson", Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/export.geojson", Town::Nabha, [200, 200, 200, 200, 404, 404, 401]),
    ("/office/export.geojson", Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/export.xlsx", Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/export.xlsx", Town::Nabha, [200, 200, 200, 200, 404, 404, 401]),
    ("/office/export.xlsx", Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/receipts", Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/receipts", Town::Nabha,   [200, 200, 200, 200, 404, 404, 401]),
    ("/office/receipts", Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/devices",  Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/devices",  Town::Nabha,   [200, 200, 200, 200, 404, 404, 401]),
    ("/office/devices",  Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
    ("/office/review",   Town::Implied, [200, 200, 200, 200, 404, 200, 401]),
    ("/office/review",   Town::Nabha,   [200, 200, 200, 200, 404, 404, 401]),
    ("/office/review",   Town::Patiala, [404, 404, 404, 200, 404, 200, 401]),
];

/// What a decision on Nabha's W03 inspection (a draft) answers each office principal: the
/// W01 supervisor and Patiala's do not find it, Nabha's admin and Punjab's official only read,
/// Himachal's official has no page and so no CSRF token, a browser without a session signs in
/// first, and the whole-town supervisor reaches the workflow, which refuses approving a draft.
#[rustfmt::skip]
const OFFICE_RECORD: [u16; 7] = [404, 200, 200, 200, 404, 404, 401];

/// What a decision answers (see [`OFFICE_RECORD`] for the record page of the W02 inspection
/// with its photo, and the photo itself: the W01 supervisor does not find it).
#[rustfmt::skip]
const OFFICE_DECIDE: [u16; 7] = [404, 409, 403, 403, 403, 404, 401];

/// The fixture records of [`READ`] each office principal finds in Nabha's records list (the
/// W01 supervisor: only the receipt in W01; nothing of W02 or W03).
#[rustfmt::skip]
const OFFICE_READ: [[u8; 7]; 7] = [
    // w01 supv admn stpb sthp pati none
    [0,   1,   1,   1,   0,   0,   0],   // Inspection W02
    [0,   1,   1,   1,   0,   0,   0],   // Inspection W03
    [0,   1,   1,   1,   0,   0,   0],   // AssetSurvey W02
    [0,   1,   1,   1,   0,   0,   0],   // Receipt W02
    [1,   1,   1,   1,   0,   0,   0],   // Receipt W01
    [0,   1,   1,   1,   0,   0,   0],   // FsmJob W02
    [0,   1,   1,   1,   0,   0,   0],   // Trip W02
];

/// The fixture records, one per line of [`READ`] and [`WRITE`]: kind, ward, demo number.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Inspection,
    AssetSurvey,
    Receipt,
    FsmJob,
    Trip,
}

fn build(kind: Kind, ward: &str, n: u32, tenant: &str) -> Record {
    let (id, at) = (RecordId::new(), now());
    let mut record = match kind {
        Kind::Inspection => wardbook::demo::inspection(id, at, ward, n),
        Kind::AssetSurvey => wardbook::demo::asset_survey(id, at, ward, n),
        Kind::Receipt => wardbook::demo::receipt(id, at, ward, n),
        Kind::FsmJob => wardbook::demo::fsm_job(id, at, ward, n),
        Kind::Trip => wardbook::demo::trip(id, at, ward, n),
    };
    record.tenant = tenant.to_string();
    record
}

/// Records of the town (created by its supervisor) that each role receives in its feed and may
/// fetch with `GET /v1/records/{id}` (1) or not (0; the fetch answers 404). Demo wards: the
/// inspector works in W01–W02, the surveyor in W01–W03, the collector in W02 only, everyone
/// else in the whole town. The same records of the other town: never, for anyone.
#[rustfmt::skip]
const READ: &[(Kind, &str, [u8; 7])] = &[
    //                              insp surv coll crew fstp supv admn
    (Kind::Inspection,  "W02", [1,   0,   0,   0,   0,   1,   0]),
    (Kind::Inspection,  "W03", [0,   0,   0,   0,   0,   1,   0]),
    (Kind::AssetSurvey, "W02", [0,   1,   0,   0,   0,   1,   0]),
    (Kind::Receipt,     "W02", [0,   0,   1,   0,   0,   1,   0]),
    (Kind::Receipt,     "W01", [0,   0,   0,   0,   0,   1,   0]),
    (Kind::FsmJob,      "W02", [0,   0,   1,   1,   0,   1,   0]),
    (Kind::Trip,        "W02", [0,   0,   0,   1,   1,   1,   0]),
];

/// What the server answers when a device of each role pushes a new record it made: `stored`,
/// or the rejection code. `other town` is the same record claiming to be Patiala's.
#[rustfmt::skip]
const WRITE: &[(Kind, &str, bool, [&str; 7])] = &[
    //                                  insp                 surv                 coll                 crew                 fstp                 supv                 admn
    (Kind::Inspection,  "W02", false, ["stored",            "kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::Inspection,  "W03", false, ["ward_out_of_scope", "kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::AssetSurvey, "W02", false, ["kind_not_allowed",  "stored",            "kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::Receipt,     "W02", false, ["kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::Receipt,     "W01", false, ["kind_not_allowed",  "kind_not_allowed",  "ward_out_of_scope", "kind_not_allowed",  "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::FsmJob,      "W02", false, ["kind_not_allowed",  "kind_not_allowed",  "stored",            "stored",            "kind_not_allowed",  "stored",            "kind_not_allowed"]),
    (Kind::Trip,        "W02", false, ["kind_not_allowed",  "kind_not_allowed",  "kind_not_allowed",  "stored",            "stored",            "stored",            "kind_not_allowed"]),
    (Kind::Inspection,  "W02", true,  ["tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch"]),
    (Kind::Receipt,     "W02", true,  ["tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch",   "tenant_mismatch"]),
];

/// The verdict the public page gives (`data-verdict`).
fn verdict(page: &[u8]) -> String {
    let page = String::from_utf8_lossy(page);
    let at = page.find("data-verdict=\"").map(|i| i + "data-verdict=\"".len()).expect("a verdict");
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// A blob piece or question, with `Content-Range` when bytes are sent.
async fn blob(
    server: &TestServer,
    method: &str,
    sha: &str,
    token: Option<&str>,
    piece: Option<(String, Vec<u8>)>,
) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, format!("{}/v1/blobs/{sha}", server.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((range, bytes)) = piece {
        request = request.header("content-range", range).body(bytes);
    }
    request.send().await.unwrap().status().as_u16()
}

fn whole(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    Some((format!("bytes 0-{}/{}", bytes.len() - 1, bytes.len()), bytes.to_vec()))
}

/// Both towns' fixtures.
struct World {
    server: TestServer,
    /// Nabha's devices, one per role, in the order of [`ROLES`].
    devices: Vec<Device>,
    revoked: String,
    /// Nabha's and Patiala's fixture records, in the order of [`READ`].
    own: Vec<RecordId>,
    other: Vec<RecordId>,
    own_code: String,
    other_code: String,
    own_blob: String,
    other_blob: String,
    /// The photo Nabha's inspection in W02 names (complete on the server).
    own_photo: String,
    used_code: String,
}

/// The QR code of a stored, signed receipt.
fn receipt_code(device: &Device, id: RecordId) -> String {
    let receipt = device.store.get(id).unwrap();
    let wardbook::domain::Body::Receipt(r) = &receipt.body else { panic!("{id} is not a receipt") };
    let signature = wardbook::ledger::decode_signature(r.signature.as_deref().unwrap()).unwrap();
    let key = device.store.device_key().unwrap().public_key();
    wardbook::ledger::QrReceipt::new(&receipt, signature, &key).unwrap().to_string()
}

impl World {
    async fn new() -> World {
        // Every principal fails to enroll with a used code, all from 127.0.0.1: this table is
        // about authorization, so the enrollment throttle (hardening.rs) is set out of reach.
        let settings = wardbook_server::settings::Settings { enroll_failures: 10_000, ..Default::default() };
        let server = TestServer::with_settings(crate::support::TestDb::with_towns(), settings).await;
        let mut devices = Vec::new();
        for role in ROLES {
            devices.push(server.device(TOWN_A, role).await);
        }
        let revoked = server.device(TOWN_A, Role::Supervisor).await;
        server.db.admin(|sql| db::device_revoke(sql, &revoked.device_id));
        let (_, used_code) =
            server.db.admin(|sql| db::device_enroll(sql, TOWN_A, wardbook::demo::user_id(Role::Inspector)));
        wardbook::sync::client::SyncClient::enroll(&server.url(), &used_code, "first use", None).await.unwrap();

        // Each town's supervisor records the same fixtures (receipts with the same numbers in
        // both towns, so a code of one town can be replayed against the other).
        let mut office_a = server.device(TOWN_A, Role::Supervisor).await;
        let mut office_b = server.device(TOWN_B, Role::Supervisor).await;
        let (mut own, mut other) = (Vec::new(), Vec::new());
        // The first fixture (an inspection in W02) names a photo, uploaded below in Nabha only.
        let jpeg = wardbook::photo::sample::jpeg(320, 240, 5, None);
        let photo_name = sha256_hex(&jpeg);
        for (n, (kind, ward, _)) in READ.iter().enumerate() {
            for (office, ids, town) in [(&mut office_a, &mut own, TOWN_A), (&mut office_b, &mut other, TOWN_B)] {
                let mut record = build(*kind, ward, 900 + n as u32, town);
                if let (0, wardbook::domain::Body::Inspection(i)) = (n, &mut record.body) {
                    i.photos.push(wardbook::domain::PhotoRef {
                        sha256: photo_name.clone(),
                        taken_at: None,
                        location: None,
                    });
                }
                let record = office.create(record);
                ids.push(record.id);
            }
        }
        for office in [&mut office_a, &mut office_b] {
            let report = office.sync().await.unwrap();
            assert_eq!((report.confirmed, report.rejected), (READ.len(), 0), "{report:?}");
        }
        let own_code = receipt_code(&office_a, own[3]);
        let other_code = receipt_code(&office_b, other[3]);

        // A complete photo in each town.
        let (own_photo, other_photo) = (b"Nabha's photo".to_vec(), b"Patiala's photo".to_vec());
        let (own_blob, other_blob) = (sha256_hex(&own_photo), sha256_hex(&other_photo));
        assert_eq!(blob(&server, "PUT", &own_blob, Some(office_a.client.token()), whole(&own_photo)).await, 200);
        assert_eq!(blob(&server, "PUT", &other_blob, Some(office_b.client.token()), whole(&other_photo)).await, 200);
        assert_eq!(blob(&server, "PUT", &photo_name, Some(office_a.client.token()), whole(&jpeg)).await, 200);
        World {
            server,
            devices,
            revoked: revoked.client.token().to_string(),
            own,
            other,
            own_code,
            other_code,
            own_blob,
            other_blob,
            own_photo: photo_name,
            used_code,
        }
    }

    fn token(&self, principal: usize) -> Option<String> {
        match PRINCIPALS[principal] {
            "no_token" => None,
            "revoked" => Some(self.revoked.clone()),
            "unknown_token" => Some("wbk_this_token_was_never_issued".into()),
            _ => Some(self.devices[principal].client.token().to_string()),
        }
    }

    /// Sends one request of the matrix; returns its status and body.
    async fn ask(&self, row: &Row, principal: usize) -> (u16, Vec<u8>) {
        let server = &self.server;
        let token = self.token(principal);
        let token = token.as_deref();
        let json = |code: &str| {
            let body = serde_json::json!({ "code": code, "device_name": "authz" }).to_string();
            Some(("application/json", body.into_bytes()))
        };
        let get = |path: String| async move {
            let (status, _, body) = call(server, "GET", &path, token, None).await;
            (status, body)
        };
        match (row.method, row.target) {
            ("POST", Target::FreshCode) => {
                let user = wardbook::demo::user_id(Role::Surveyor);
                let (_, code) = server.db.admin(|sql| db::device_enroll(sql, TOWN_A, user));
                let (status, _, body) = call(server, "POST", row.route, token, json(&code)).await;
                (status, body)
            }
            ("POST", Target::UsedCode) => {
                let (status, _, body) = call(server, "POST", row.route, token, json(&self.used_code)).await;
                (status, body)
            }
            ("POST", Target::Implied) => {
                let request = SyncRequest {
                    protocol: PROTOCOL_VERSION,
                    cursor: Default::default(),
                    changes: vec![],
                    max_page_bytes: None,
                    want_numbers: None,
                };
                let body = Some((CONTENT_TYPE, wire::encode(&request)));
                let (status, _, body) = call(server, "POST", row.route, token, body).await;
                (status, body)
            }
            ("GET", Target::OwnInspection) => get(format!("/v1/records/{}", self.own[0])).await,
            ("GET", Target::OtherInspection) => get(format!("/v1/records/{}", self.other[0])).await,
            ("GET", Target::UnknownRecord) => get(format!("/v1/records/{}", RecordId::new())).await,
            ("GET", Target::OwnReceiptCode) => get(format!("/verify?code={}", urlencode(&self.own_code))).await,
            ("GET", Target::OtherReceiptCode) => get(format!("/verify?code={}", urlencode(&self.other_code))).await,
            ("GET", Target::Implied) => get(row.route.to_string()).await,
            ("PUT", Target::NewBlob) => {
                let photo = format!("a photo taken by {}", PRINCIPALS[principal]).into_bytes();
                (blob(server, "PUT", &sha256_hex(&photo), token, whole(&photo)).await, vec![])
            }
            ("PUT", Target::OtherBlob) => {
                // The first ten bytes of something else under Patiala's photo's name.
                let piece = Some((format!("bytes 0-9/{}", "Patiala's photo".len()), b"0123456789".to_vec()));
                (blob(server, "PUT", &self.other_blob, token, piece).await, vec![])
            }
            ("HEAD", Target::OwnBlob) => (blob(server, "HEAD", &self.own_blob, token, None).await, vec![]),
            ("HEAD", Target::OtherBlob) => (blob(server, "HEAD", &self.other_blob, token, None).await, vec![]),
            ("GET", Target::OwnPhoto) => get(format!("/v1/blobs/{}/thumbnail", self.own_photo)).await,
            ("GET", Target::OwnBlob) => get(format!("/v1/blobs/{}/thumbnail", self.own_blob)).await,
            ("GET", Target::OtherBlob) => get(format!("/v1/blobs/{}/thumbnail", self.other_blob)).await,
            ("GET", Target::OfficePage) => get(row.route.to_string()).await,
            ("POST", Target::OfficeForm) => {
                let body = Some(("application/x-www-form-urlencoded", b"csrf=x&login=supervisor&password=x".to_vec()));
                let (status, _, body) = call(server, "POST", row.route, token, body).await;
                (status, body)
            }
            (method, target) => panic!("no request for {method} {} {target:?}", row.route),
        }
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn the_status_table_covers_every_route() {
    let covered: BTreeSet<(&str, &str)> = STATUS.iter().map(|r| (r.method, r.route)).collect();
    let routes: BTreeSet<(&str, &str)> = ROUTES.iter().copied().collect();
    assert_eq!(covered, routes, "STATUS and ROUTES differ: add a row for every new operation");
}

#[tokio::test]
async fn every_route_answers_every_principal_as_the_table_says() {
    let world = World::new().await;
    let mut wrong = Vec::new();
    for row in STATUS {
        for (p, name) in PRINCIPALS.iter().enumerate() {
            let (status, body) = world.ask(row, p).await;
            if status != row.expect[p] {
                wrong.push(format!(
                    "{} {} {:?} as {name}: expected {}, got {status} {}",
                    row.method,
                    row.route,
                    row.target,
                    row.expect[p],
                    String::from_utf8_lossy(&body)
                ));
            }
            // What the 200s say: each device gets its own town's reference data and only
            // its own town's verdicts are about its receipts.
            match (row.route, row.target, status) {
                ("/v1/reference", _, 200) => {
                    let refs: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(refs["tenant"]["id"], TOWN_A, "{name} got another town's reference data");
                }
                ("/v1/enroll", Target::FreshCode, 200) => {
                    let e: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    assert_eq!(e["tenant"], TOWN_A, "the code decides the town, never the caller's token");
                }
                ("/verify", _, 200) => assert_eq!(verdict(&body), "genuine", "{name}: {:?}", row.target),
                ("/v1/blobs/{sha256}/thumbnail", _, 200) => {
                    assert_eq!(&body[..3], [0xff, 0xd8, 0xff], "{name}: a JPEG");
                    assert!(body.len() < 64 * 1024, "{name}: a thumbnail, {} bytes", body.len());
                }
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));

    // Patiala's photo is untouched by the pieces Nabha's devices sent under its name; those
    // stayed in Nabha (a partial blob of Nabha's own).
    let patiala = world.server.device(TOWN_B, Role::Inspector).await;
    let head = reqwest::Client::new()
        .head(format!("{}/v1/blobs/{}", world.server.url(), world.other_blob))
        .bearer_auth(patiala.client.token())
        .send()
        .await
        .unwrap();
    assert_eq!(head.headers()["wardbook-blob"], "complete");
    let nabha = world.devices[0].client.token();
    let head = reqwest::Client::new()
        .head(format!("{}/v1/blobs/{}", world.server.url(), world.other_blob))
        .bearer_auth(nabha)
        .send()
        .await
        .unwrap();
    assert_eq!((head.status().as_u16(), head.headers()["wardbook-blob"].to_str().unwrap()), (200, "partial"));
    // A revoked device's and a stranger's pieces left nothing anywhere.
    let stranger = |who: &str| sha256_hex(format!("a photo taken by {who}").as_bytes());
    for who in ["no_token", "revoked", "unknown_token"] {
        assert_eq!(blob(&world.server, "HEAD", &stranger(who), Some(nabha), None).await, 404);
        assert_eq!(blob(&world.server, "HEAD", &stranger(who), Some(patiala.client.token()), None).await, 404);
    }

    // The public page: Patiala's code replayed with Nabha's name (a receipt with the same
    // number exists in Nabha) is unknown; a code is only ever checked against its own town.
    let forged = world.other_code.replacen(TOWN_B, TOWN_A, 1);
    let (status, _, page) =
        call(&world.server, "GET", &format!("/verify?code={}", urlencode(&forged)), None, None).await;
    assert_eq!((status, verdict(&page).as_str()), (200, "unknown"));
}

#[tokio::test]
async fn each_role_receives_and_fetches_exactly_its_rows_of_its_own_town() {
    let mut world = World::new().await;
    let url = world.server.url();
    for (r, role) in ROLES.iter().enumerate() {
        let expected: BTreeSet<RecordId> =
            READ.iter().zip(&world.own).filter(|((_, _, seen), _)| seen[r] == 1).map(|(_, id)| *id).collect();
        // The feed, read raw from the start: only expected records, only Nabha's.
        let token = world.devices[r].client.token().to_string();
        let (status, body) = raw_sync(&url, &token, vec![]).await;
        assert_eq!(status, 200);
        let page: SyncResponse = wire::decode(&body).unwrap();
        assert!(!page.more, "{role}: the fixtures fit one page");
        let mut fed = BTreeSet::new();
        for item in &page.items {
            let record = wardbook::document::RecordDoc::load(&[1; 16], &item.bytes, &[]).unwrap().record().unwrap();
            assert_eq!(record.tenant, TOWN_A, "{role} was sent a record of {}", record.tenant);
            assert_eq!(record.id, item.record);
            fed.insert(item.record);
        }
        assert_eq!(fed, expected, "{role}: the feed differs from READ");
        // The device, synced through its client: the same, nothing of Patiala.
        let device = &mut world.devices[r];
        device.sync().await.unwrap();
        let held: BTreeSet<RecordId> = device
            .store
            .list(&Query { limit: Some(1000), ..Query::default() })
            .unwrap()
            .iter()
            .map(|row| row.id)
            .collect();
        assert_eq!(held, expected, "{role}: the device holds other records than READ says");
        // Fetching by id: 200 exactly for the expected ones; Patiala's twins are never found.
        for (((kind, ward, seen), own), other) in READ.iter().zip(&world.own).zip(&world.other) {
            let (status, _, body) = call(&world.server, "GET", &format!("/v1/records/{own}"), Some(&token), None).await;
            let want = if seen[r] == 1 { 200 } else { 404 };
            assert_eq!(status, want, "{role} fetching Nabha's {kind:?} in {ward}");
            if status == 200 {
                let record: Record = serde_json::from_slice(&body).unwrap();
                assert_eq!((record.id, record.tenant.as_str()), (*own, TOWN_A));
            }
            let (status, _, _) = call(&world.server, "GET", &format!("/v1/records/{other}"), Some(&token), None).await;
            assert_eq!(status, 404, "{role} fetching Patiala's {kind:?} in {ward}");
        }
    }
}

#[tokio::test]
async fn each_role_may_write_exactly_what_the_table_says() {
    let mut world = World::new().await;
    let patiala_rows = |world: &World| {
        world.server.db.count("SELECT COUNT(*) FROM records WHERE tenant = ?1", wardbook_server::params![TOWN_B])
    };
    let patiala_before = patiala_rows(&world);
    let mut wrong = Vec::new();
    for (r, role) in ROLES.iter().enumerate() {
        let device = &mut world.devices[r];
        let mut made = Vec::new();
        for (w, (kind, ward, other_town, _)) in WRITE.iter().enumerate() {
            let town = if *other_town { TOWN_B } else { TOWN_A };
            let record = device.create(build(*kind, ward, 100 * r as u32 + w as u32, town));
            made.push(record.id);
        }
        device.sync().await.unwrap();
        for ((kind, ward, other_town, expect), id) in WRITE.iter().zip(&made) {
            let (state, reason) = device.store.sync_state(*id).unwrap();
            let got = match state {
                SyncState::OnServer => "stored".to_string(),
                SyncState::Rejected => reason.unwrap_or_default().split(':').next().unwrap_or_default().to_string(),
                other => format!("{other:?}"),
            };
            if got != expect[r] {
                wrong.push(format!(
                    "{role} writing {kind:?} in {ward} (other town: {other_town}): expected {}, got {got}",
                    expect[r]
                ));
            }
            let on_server = world
                .server
                .db
                .count("SELECT COUNT(*) FROM records WHERE id = ?1", wardbook_server::params![id.to_string()]);
            assert_eq!(on_server, i64::from(expect[r] == "stored"), "{role}: {kind:?} in {ward} on the server");
        }
    }
    assert!(wrong.is_empty(), "{} outcomes differ from the table:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(patiala_rows(&world), patiala_before, "a device of Nabha changed Patiala's rows");
}

/// Office logins of both towns and two states, on `world`'s server.
fn office_logins(world: &World) -> Vec<Option<crate::office::Office>> {
    use wardbook_server::office::auth::{Holder, OfficeRole};
    let db = &world.server.db;
    let w01 = wardbook::domain::reference::User {
        id: wardbook::ids::UserId::new(),
        name: "Harpreet Kaur".into(),
        roles: vec![Role::Supervisor],
        wards: vec!["W01".into()],
    };
    db.admin(|sql| db::user_add(sql, TOWN_A, &w01));
    let logins = [
        ("supervisor_w01", OfficeRole::Supervisor, Holder::Town { tenant: TOWN_A.into(), user: w01.id }),
        ("supervisor", OfficeRole::Supervisor, crate::office::town_user(TOWN_A, Role::Supervisor)),
        ("admin", OfficeRole::Admin, crate::office::town_user(TOWN_A, Role::Admin)),
        ("state_pb", OfficeRole::State, Holder::State { state: "pb".into() }),
        ("state_hp", OfficeRole::State, Holder::State { state: "hp".into() }),
        ("patiala", OfficeRole::Supervisor, crate::office::town_user(TOWN_B, Role::Supervisor)),
    ];
    for (login, role, holder) in logins {
        crate::office::set_login(db, login, role, holder);
    }
    OFFICE.iter().map(|login| (*login != "none").then(|| crate::office::Office::new(&world.server.url()))).collect()
}

#[tokio::test]
async fn every_office_page_answers_every_office_principal_as_the_table_says() {
    let world = World::new().await;
    let url = world.server.url();
    let mut offices = office_logins(&world);
    for (p, office) in offices.iter_mut().enumerate() {
        if let Some(office) = office {
            *office = crate::office::Office::signed_in(&url, OFFICE[p]).await;
        }
    }
    let browser =
        |p: usize| offices[p].as_ref().map_or_else(|| crate::office::Office::new(&url), |o| o.clone_session());
    let mut wrong = Vec::new();
    for (path, town, expect) in OFFICE_STATUS {
        let query = match town {
            Town::Implied => String::new(),
            Town::Nabha => format!("?town={TOWN_A}"),
            Town::Patiala => format!("?town={TOWN_B}"),
        };
        for (p, name) in OFFICE.iter().enumerate() {
            let (status, page) = browser(p).get(&format!("{path}{query}")).await;
            if status != expect[p] {
                wrong.push(format!("{path}{query} as {name}: expected {}, got {status}", expect[p]));
            }
            let want = match (town, *name) {
                (Town::Patiala, _) | (Town::Implied, "patiala") => TOWN_B,
                _ => TOWN_A,
            };
            if status == 200 && path.starts_with("/office/export") {
                // An export (CSV and GeoJSON name their records' ids) holds no other town's record.
                let others = if want == TOWN_A { &world.other } else { &world.own };
                let leaked: Vec<String> =
                    others.iter().map(RecordId::to_string).filter(|id| page.contains(id.as_str())).collect();
                assert!(leaked.is_empty(), "{path}{query} as {name} holds another town's records {leaked:?}");
                continue;
            }
            if status == 200 {
                // The page is about the town asked for, or the login's own.
                let shown = if page.contains(" · Nabha</h1>") {
                    TOWN_A
                } else if page.contains(" · Patiala</h1>") {
                    TOWN_B
                } else {
                    "?"
                };
                assert_eq!(shown, want, "{path}{query} as {name} shows another town");
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers differ from the table:\n{}", wrong.len(), wrong.join("\n"));

    // The records each sees of Nabha and of Patiala: exactly OFFICE_READ, never the other town's.
    for (p, name) in OFFICE.iter().enumerate() {
        let expected: BTreeSet<String> =
            world.own.iter().zip(OFFICE_READ).filter(|(_, seen)| seen[p] == 1).map(|(id, _)| id.to_string()).collect();
        let (_, page) = browser(p).get(&format!("/office/records?town={TOWN_A}")).await;
        assert_eq!(crate::office::rows_on(&page, "data-record"), expected, "{name} in Nabha's records");
        // The CSV export of the same list holds the same records (nothing for a 401 or 404).
        let (_, csv) = browser(p).get(&format!("/office/export.csv?town={TOWN_A}")).await;
        let exported: BTreeSet<String> = match csv.strip_prefix('\u{feff}') {
            Some(rows) => {
                csv::Reader::from_reader(rows.as_bytes()).records().map(|r| r.unwrap()[0].to_string()).collect()
            }
            None => BTreeSet::new(),
        };
        assert_eq!(exported, expected, "{name} in Nabha's CSV export");
        let (_, page) = browser(p).get("/office/records").await;
        let seen = crate::office::rows_on(&page, "data-record");
        let patiala: BTreeSet<String> = world.other.iter().map(RecordId::to_string).collect();
        let expected_other = if matches!(*name, "patiala") { patiala.clone() } else { BTreeSet::new() };
        assert_eq!(
            seen.intersection(&patiala).cloned().collect::<BTreeSet<_>>(),
            expected_other,
            "{name}: Patiala's rows"
        );
        // A ward outside the viewer's scope is not found, not empty.
        let want = match *name {
            "supervisor" | "admin" | "state_pb" => 200,
            "none" => 401,
            _ => 404,
        };
        for list in ["records", "review"] {
            let (status, _) = browser(p).get(&format!("/office/{list}?town={TOWN_A}&ward=W03")).await;
            assert_eq!(status, want, "{name} asking for W03's {list}");
        }
        // A decision on a record out of scope is not found; one in scope reaches the workflow.
        // The session's CSRF token, from any page the principal may open (Himachal's official
        // opens none, so has no token to send).
        let (_, home) = browser(p).get("/office").await;
        let csrf = if home.contains("name=\"csrf\"") { crate::office::csrf_field(&home) } else { String::new() };
        let w03 = world.own[1].to_string();
        let (status, _, body) = browser(p)
            .post_form(
                &format!("/office/review/decide?town={TOWN_A}"),
                &[("csrf", &csrf), ("record", &w03), ("to", "APPROVED")],
            )
            .await;
        assert_eq!(status, OFFICE_DECIDE[p], "{name} deciding on W03's inspection: {body}");
        // The W02 inspection's page and its photo, whole and small.
        let w02 = world.own[0].to_string();
        let (status, page) = browser(p).get(&format!("/office/record/{w02}?town={TOWN_A}")).await;
        assert_eq!(status, OFFICE_RECORD[p], "{name} opening W02's inspection");
        if status == 200 {
            assert!(page.contains(&format!("data-photo=\"{}\"", world.own_photo)), "{name} sees the photo's link");
        }
        for tail in ["", "/thumbnail"] {
            let (status, _) = browser(p).get(&format!("/office/photo/{}{tail}?town={TOWN_A}", world.own_photo)).await;
            assert_eq!(status, OFFICE_RECORD[p], "{name} fetching the photo{tail}");
        }
    }

    // A state official chooses among the state's towns, and only those; nobody else is offered any.
    let (_, page) = browser(3).get("/office").await;
    for town in [TOWN_A, TOWN_B] {
        assert!(page.contains(&format!("href=\"/office?town={town}\"")), "state_pb is offered {town}");
    }
    for p in [0, 1, 2, 5] {
        assert!(!browser(p).get("/office").await.1.contains("/office?town="), "{} is offered towns", OFFICE[p]);
    }

    // Today of the W01 supervisor counts nothing of W02 and W03: of the fixtures, only the W01
    // receipt; the whole-town supervisor counts all.
    let (_, page) = browser(0).get("/office").await;
    assert_eq!(crate::office::figure(&page, "receipts"), Some(1));
    assert_eq!(crate::office::figure(&page, "inspections_DRAFT"), None);
    let (_, page) = browser(1).get("/office").await;
    assert_eq!(crate::office::figure(&page, "receipts"), Some(2));
    assert_eq!(crate::office::figure(&page, "inspections_DRAFT"), Some(2));
}
