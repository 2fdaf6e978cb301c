//! The office's exports over real HTTP against a real server: records synced from several
//! devices, downloaded by signed-in supervisors as CSV, GeoJSON and XLSX and read back with
//! standard parsers (the csv crate, serde_json, calamine). Each export holds exactly the
//! records the records list shows its viewer: a W01 supervisor gets no W03 row, another
//! town's supervisor none of Nabha's, a browser without a session the sign-in form.

use std::collections::BTreeSet;

use wardbook::domain::{Body, Role};
use wardbook::ids::{RecordId, UserId};
use wardbook_server::office::auth::{Holder, OfficeRole};

use crate::office::{Office, field_day, rows_on, set_login, town_user};
use crate::support::{Device, TOWN_A, TOWN_B, TestServer, now};

const PAYER_HI: &str = "सुरेश कुमार";

/// A download: status, headers and bytes.
struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

async fn download(office: &Office, path: &str) -> Download {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut request = http.get(format!("{}{path}", office.url));
    if let Some(session) = &office.session {
        request = request.header("cookie", format!("wb_session={session}"));
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    Download { status, headers, bytes: response.bytes().await.unwrap().to_vec() }
}

/// The CSV's header and rows, the byte-order mark required.
fn read_csv(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let text = bytes.strip_prefix("\u{feff}".as_bytes()).expect("the CSV starts with a UTF-8 byte-order mark");
    let mut reader = csv::Reader::from_reader(text);
    let header = reader.headers().unwrap().iter().map(str::to_string).collect();
    (header, reader.records().map(Result::unwrap).collect())
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// What the records list shows `office` (every record: the fixture has fewer than 500).
async fn listed(office: &Office, query: &str) -> BTreeSet<String> {
    let (status, page) = office.get(&format!("/office/records{query}")).await;
    assert_eq!(status, 200, "{page}");
    rows_on(&page, "data-record")
}

/// Nabha's field day, plus a collector of ward W03 (a receipt to a payer named in Hindi) and a
/// surveyor (an asset in W03), and a surveyor of Patiala: five devices of two towns, synced.
async fn fixture(server: &TestServer) -> (RecordId, RecordId, RecordId) {
    let url = server.url();
    field_day(&url, &server.db).await;
    let w03_collector = wardbook::domain::reference::User {
        id: UserId::new(),
        name: "Pooja Rani".into(),
        roles: vec![Role::Collector],
        wards: vec!["W03".into()],
    };
    let mut collector = Device::enroll_as(&url, &server.db, TOWN_A, &w03_collector).await;
    // Demo receipt 3 is paid by सुरेश कुमार.
    let receipt = collector.create(wardbook::demo::receipt(RecordId::new(), now(), "W03", 3));
    let report = collector.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 0), "{report:?}");
    let mut surveyor = Device::enroll(&url, &server.db, TOWN_A, Role::Surveyor).await;
    let asset = surveyor.create(wardbook::demo::asset_survey(RecordId::new(), now(), "W03", 4));
    let report = surveyor.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 0), "{report:?}");
    let mut patiala = Device::enroll(&url, &server.db, TOWN_B, Role::Surveyor).await;
    let mut record = wardbook::demo::asset_survey(RecordId::new(), now(), "W01", 5);
    record.tenant = TOWN_B.into();
    let theirs = patiala.create(record);
    let report = patiala.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (1, 0), "{report:?}");
    (receipt.id, asset.id, theirs.id)
}

/// Logins: Nabha's supervisor of the whole town, one of W01 only, and Patiala's supervisor.
fn logins(server: &TestServer) {
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let w01 = wardbook::domain::reference::User {
        id: UserId::new(),
        name: "Harpreet Kaur".into(),
        roles: vec![Role::Supervisor],
        wards: vec!["W01".into()],
    };
    server.db.admin(|sql| wardbook_server::db::user_add(sql, TOWN_A, &w01));
    set_login(&server.db, "harpreet", OfficeRole::Supervisor, Holder::Town { tenant: TOWN_A.into(), user: w01.id });
    set_login(&server.db, "patiala", OfficeRole::Supervisor, town_user(TOWN_B, Role::Supervisor));
}

#[tokio::test]
async fn the_csv_export_holds_every_record_the_viewer_sees_with_hindi_intact() {
    let server = TestServer::start().await;
    let (receipt, asset, theirs) = fixture(&server).await;
    logins(&server);
    let url = server.url();
    let meena = Office::signed_in(&url, "meena").await;

    let got = download(&meena, "/office/export.csv").await;
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.bytes));
    assert_eq!(got.headers["content-type"], "text/csv; charset=utf-8");
    let disposition = got.headers["content-disposition"].to_str().unwrap().to_string();
    let day = wardbook::calendar::ist_date(now()).to_string();
    assert_eq!(disposition, format!("attachment; filename=\"records-pb-nabha-{day}.csv\""));
    let (header, rows) = read_csv(&got.bytes);
    assert_eq!(header, wardbook_server::office::export::COLUMNS.map(str::to_string).to_vec());
    let id = column(&header, "record_id");
    let ids: BTreeSet<String> = rows.iter().map(|r| r[id].to_string()).collect();
    assert_eq!(ids.len(), rows.len(), "one row per record");
    let in_town = server.db.count("SELECT COUNT(*) FROM records WHERE tenant = ?1", wardbook_server::params![TOWN_A]);
    assert_eq!(rows.len() as i64, in_town, "the whole-town supervisor gets every record of Nabha");
    assert_eq!(ids, listed(&meena, "").await, "the export holds what the records list shows");
    assert!(!ids.contains(&theirs.to_string()), "no record of Patiala");

    // The W03 receipt: its number, payer in Hindi, amount in rupees, ward and place.
    let row = rows.iter().find(|r| r[id] == receipt.to_string()).expect("the W03 receipt");
    assert_eq!(&row[column(&header, "kind")], "receipt");
    assert_eq!(&row[column(&header, "ward")], "W03");
    assert_eq!(&row[column(&header, "payer")], PAYER_HI);
    let record = server.db.admin(|sql| {
        sql.row("SELECT number FROM records WHERE id = ?1", wardbook_server::params![receipt.to_string()])
            .map(|r| r.unwrap().opt_text(0).unwrap())
    });
    assert_eq!(Some(row[column(&header, "number")].to_string()), record, "the receipt's number");
    let demo = wardbook::demo::receipt(RecordId::new(), now(), "W03", 3);
    let Body::Receipt(r) = &demo.body else { unreachable!() };
    let total = r.total().0;
    assert_eq!(row[column(&header, "amount_rupees")], format!("{}.{:02}", total / 100, total % 100));
    assert_eq!(&row[column(&header, "mobile")], r.mobile_number.as_deref().unwrap());
    let lat: f64 = row[column(&header, "latitude")].parse().unwrap();
    let lon: f64 = row[column(&header, "longitude")].parse().unwrap();
    assert!((30.0..31.0).contains(&lat) && (76.0..77.0).contains(&lon), "{lat}, {lon}");
    assert!(rows.iter().any(|r| r[id] == asset.to_string()));

    // The list's filters apply: only receipts; only W03.
    let (_, receipts) = read_csv(&download(&meena, "/office/export.csv?kind=receipt").await.bytes);
    assert_eq!(
        receipts.iter().map(|r| r[id].to_string()).collect::<BTreeSet<_>>(),
        listed(&meena, "?kind=receipt").await
    );
    assert!(receipts.iter().all(|r| &r[column(&header, "kind")] == "receipt") && receipts.len() >= 4);
    let (_, w03) = read_csv(&download(&meena, "/office/export.csv?ward=W03").await.bytes);
    assert_eq!(
        w03.iter().map(|r| r[id].to_string()).collect::<BTreeSet<_>>(),
        BTreeSet::from([receipt.to_string(), asset.to_string()])
    );
    let today = download(&meena, &format!("/office/export.csv?from={day}&to={day}")).await;
    assert_eq!(read_csv(&today.bytes).1.len(), rows.len(), "everything changed today");
    let (_, none) = read_csv(&download(&meena, "/office/export.csv?to=2020-01-01").await.bytes);
    assert!(none.is_empty(), "nothing changed before 2020");

    // A supervisor of W01 gets W01's records only: no W03 (nor W02) row.
    let harpreet = Office::signed_in(&url, "harpreet").await;
    let (_, mine) = read_csv(&download(&harpreet, "/office/export.csv").await.bytes);
    let ward = column(&header, "ward");
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|r| &r[ward] != "W03" && &r[ward] != "W02"), "{mine:?}");
    assert_eq!(mine.iter().map(|r| r[id].to_string()).collect::<BTreeSet<_>>(), listed(&harpreet, "").await);
    let refused = download(&harpreet, "/office/export.csv?ward=W03").await;
    assert_eq!(refused.status, 404, "a ward out of scope is not found");

    // Patiala's supervisor: Patiala's record only; Nabha is not found.
    let patiala = Office::signed_in(&url, "patiala").await;
    let (_, theirs_rows) = read_csv(&download(&patiala, "/office/export.csv").await.bytes);
    assert_eq!(theirs_rows.iter().map(|r| r[id].to_string()).collect::<Vec<_>>(), vec![theirs.to_string()]);
    assert_eq!(download(&patiala, &format!("/office/export.csv?town={TOWN_A}")).await.status, 404);

    // Signed out: the sign-in form, no data.
    for path in ["/office/export.csv", "/office/export.geojson", "/office/export.xlsx"] {
        let got = download(&Office::new(&url), path).await;
        let text = String::from_utf8_lossy(&got.bytes);
        assert_eq!(got.status, 401, "{path}");
        assert!(text.contains("name=\"password\"") && !text.contains(&receipt.to_string()), "{path}: {text}");
    }
}

#[tokio::test]
async fn the_geojson_export_is_a_feature_collection_of_the_located_records() {
    let server = TestServer::start().await;
    let (receipt, asset, _) = fixture(&server).await;
    logins(&server);
    let meena = Office::signed_in(&server.url(), "meena").await;
    let got = download(&meena, "/office/export.geojson").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.headers["content-type"], "application/geo+json");
    let collection: serde_json::Value = serde_json::from_slice(&got.bytes).expect("GeoJSON is JSON");
    assert_eq!(collection["type"], "FeatureCollection");
    let features = collection["features"].as_array().unwrap();
    let (_, rows) = read_csv(&download(&meena, "/office/export.csv").await.bytes);
    let located = rows.iter().filter(|r| !r[11].is_empty()).count();
    assert_eq!(features.len(), located, "one feature per record with a location");
    assert!(features.len() < rows.len(), "records without a place (a handover) are left out");
    for f in features {
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "Point");
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((76.0..77.0).contains(&lon) && (30.0..31.0).contains(&lat), "[lon, lat]: {c:?}");
        assert!(f["properties"].is_object());
    }
    let of = |id: RecordId| features.iter().find(|f| f["id"] == id.to_string()).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(of(receipt)["properties"]["payer"], PAYER_HI);
    assert!(of(receipt)["properties"]["amount_rupees"].as_f64().unwrap() > 0.0);
    assert_eq!(of(asset)["properties"]["ward"], "W03");

    let harpreet = Office::signed_in(&server.url(), "harpreet").await;
    let mine: serde_json::Value =
        serde_json::from_slice(&download(&harpreet, "/office/export.geojson").await.bytes).unwrap();
    assert!(
        mine["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["ward"] != "W02" && f["properties"]["ward"] != "W03"),
        "{mine}"
    );
}

#[tokio::test]
async fn the_xlsx_export_keeps_numbers_as_text_and_amounts_as_numbers() {
    use calamine::{Data, Reader, Xlsx};
    let server = TestServer::start().await;
    let (receipt, _, _) = fixture(&server).await;
    logins(&server);
    let meena = Office::signed_in(&server.url(), "meena").await;
    let got = download(&meena, "/office/export.xlsx").await;
    assert_eq!(got.status, 200, "{}", String::from_utf8_lossy(&got.bytes));
    assert_eq!(got.headers["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(got.bytes)).expect("an XLSX file");
    let sheet = book.worksheet_range("records").expect("a records sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, wardbook_server::office::export::COLUMNS.map(str::to_string).to_vec());
    let (_, csv_rows) = read_csv(&download(&meena, "/office/export.csv").await.bytes);
    assert_eq!(rows.len() - 1, csv_rows.len(), "one row per record, as the CSV");
    let row = rows.iter().find(|r| r[0] == Data::String(receipt.to_string())).expect("the W03 receipt");
    let at = |name: &str| &row[column(&header, name)];
    assert!(matches!(at("number"), Data::String(n) if !n.is_empty()), "{:?}", at("number"));
    assert!(matches!(at("mobile"), Data::String(m) if m.starts_with("98")), "{:?}", at("mobile"));
    assert!(matches!(at("amount_rupees"), Data::Float(a) if *a > 0.0), "{:?}", at("amount_rupees"));
    assert_eq!(at("payer"), &Data::String(PAYER_HI.into()));
    assert!(matches!(at("latitude"), Data::Float(_)));
}

#[tokio::test]
async fn the_records_list_links_to_its_exports_with_its_filters_in_both_languages() {
    let server = TestServer::start().await;
    logins(&server);
    let meena = Office::signed_in(&server.url(), "meena").await;
    let (_, page) = meena.get("/office/records?kind=receipt&ward=W03").await;
    for ext in ["csv", "xlsx", "geojson"] {
        let href = format!("href=\"/office/export.{ext}?kind=receipt&amp;ward=W03&amp;town={TOWN_A}\"");
        assert!(page.contains(&href), "{href} on {page}");
    }
    assert!(page.contains("Download these records"));
    let (_, page) = meena.get("/office/records?lang=hi").await;
    assert!(page.contains("ये रिकॉर्ड डाउनलोड करें") && page.contains("एक्सेल वर्कबुक"), "{page}");
}

#[tokio::test]
async fn an_export_longer_than_a_page_holds_every_record_once() {
    // 1,100 inspections made at the same instant: three pages of the walk, every page boundary
    // inside a run of equal `updated_at` (the id breaks the tie).
    let server = TestServer::start().await;
    let url = server.url();
    let mut inspector = Device::enroll(&url, &server.db, TOWN_A, Role::Inspector).await;
    let t0 = now();
    for n in 0..1_100 {
        inspector.store.create(&wardbook::demo::inspection(RecordId::new(), t0, "W01", n), t0).unwrap();
    }
    let report = inspector.sync().await.unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    let in_town = server.db.count("SELECT COUNT(*) FROM records WHERE tenant = ?1", wardbook_server::params![TOWN_A]);
    assert_eq!(in_town, 1_100);
    logins(&server);
    let meena = Office::signed_in(&url, "meena").await;
    let (_, rows) = read_csv(&download(&meena, "/office/export.csv").await.bytes);
    let ids: BTreeSet<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!((rows.len(), ids.len()), (1_100, 1_100), "every record once");
    let collection: serde_json::Value =
        serde_json::from_slice(&download(&meena, "/office/export.geojson").await.bytes).unwrap();
    assert_eq!(collection["features"].as_array().unwrap().len(), 1_100);
}
