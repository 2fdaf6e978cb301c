//! The office console over real HTTP against a real server and database: signing in and out,
//! the cookie's flags, the lockout's growing delay, CSRF and `Origin` refusals, and Today's
//! figures against what real devices synced (the same fixture the browser test reads).
//! Who sees which page of which town is in `authz.rs`, with the rest of the matrix.

use std::collections::BTreeSet;
use std::time::Duration;

use wardbook::domain::fsm::{GeofenceCheck, TripStep};
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::{Body, GeoPoint, Paise, PhotoRef, Record, Role, Status};
use wardbook::ids::RecordId;
use wardbook_server::office::auth::{Holder, OfficeRole, set_password};
use wardbook_server::settings::Settings;

use crate::support::{Device, TOWN_A, TestDb, TestServer, now};

/// Every test login's password.
pub const PASSWORD: &str = "nabha-office-2026";

/// Gives `login` the password [`PASSWORD`], as `wardbook-server user password` does.
pub fn set_login(db: &TestDb, login: &str, role: OfficeRole, holder: Holder) {
    db.admin(|sql| set_password(sql, login, role, &holder, PASSWORD));
}

/// A town's user as an office login's holder.
pub fn town_user(tenant: &str, role: Role) -> Holder {
    Holder::Town { tenant: tenant.into(), user: wardbook::demo::user_id(role) }
}

/// A browser without a cookie jar: the cookies are kept by hand, so each test says which it sends.
pub struct Office {
    pub url: String,
    http: reqwest::Client,
    pub session: Option<String>,
}

/// The value of cookie `name` among a response's `Set-Cookie` headers, with the whole header.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        let value = header.split(';').next()?.trim().strip_prefix(&format!("{name}="))?;
        Some((value.to_string(), header.to_string()))
    })
}

/// The value of the hidden `csrf` field of a page's first form that has one.
pub fn csrf_field(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a form with a CSRF field") + "name=\"csrf\" value=\"".len();
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

/// The `data-value` of the figure `name` on a page.
pub fn figure(page: &str, name: &str) -> Option<i64> {
    let at = page.find(&format!("data-figure=\"{name}\""))?;
    let rest = &page[at..];
    let v = rest.find("data-value=\"")? + "data-value=\"".len();
    rest[v..v + rest[v..].find('"')?].parse().ok()
}

/// The ids of the rows (`data-record` or `data-device`) a list page shows.
pub fn rows_on(page: &str, attribute: &str) -> BTreeSet<String> {
    let needle = format!("{attribute}=\"");
    page.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &page[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The stable code of an office error page.
pub fn error_code(page: &str) -> Option<String> {
    let at = page.find("data-code=\"")? + "data-code=\"".len();
    Some(page[at..at + page[at..].find('"')?].to_string())
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Office {
    pub fn new(url: &str) -> Office {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Office { url: url.to_string(), http, session: None }
    }

    /// The same browser (its session) for another request.
    pub fn clone_session(&self) -> Office {
        Office { url: self.url.clone(), http: self.http.clone(), session: self.session.clone() }
    }

    /// Opens the sign-in form: its cookie's token and the form's CSRF field (the same).
    pub async fn sign_in_form(&self) -> (String, String) {
        let response = self.http.get(format!("{}/office/sign-in", self.url)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let (cookie, _) = set_cookie(&response, "wb_signin").expect("the sign-in form sets its CSRF cookie");
        let page = response.text().await.unwrap();
        (cookie, csrf_field(&page))
    }

    /// Posts the sign-in form as given (`origin` None: no Origin header).
    pub async fn post_sign_in(
        &self,
        cookie: Option<&str>,
        csrf: &str,
        login: &str,
        password: &str,
        origin: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/office/sign-in", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", csrf), ("login", login), ("password", password), ("next", "/office")]));
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("wb_signin={cookie}"));
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap()
    }

    /// Signs in through the form as a browser does; returns the answer's status.
    pub async fn try_sign_in(&mut self, login: &str, password: &str) -> reqwest::Response {
        let (cookie, csrf) = self.sign_in_form().await;
        let response = self.post_sign_in(Some(&cookie), &csrf, login, password, Some(&self.url.clone())).await;
        if let Some((session, _)) = set_cookie(&response, "wb_session") {
            self.session = Some(session);
        }
        response
    }

    /// Signs in and must succeed.
    pub async fn signed_in(url: &str, login: &str) -> Office {
        let mut office = Office::new(url);
        let response = office.try_sign_in(login, PASSWORD).await;
        assert_eq!(response.status().as_u16(), 303, "{login} signs in: {}", response.text().await.unwrap());
        office
    }

    /// GETs an office page with the session (and any other cookie): status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let mut request = self.http.get(format!("{}{path}", self.url));
        if let Some(session) = &self.session {
            request = request.header("cookie", format!("wb_session={session}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Posts the sign-out form with this CSRF token and Origin.
    pub async fn post_sign_out(&self, csrf: &str, origin: Option<&str>) -> u16 {
        let mut request = self
            .http
            .post(format!("{}/office/sign-out", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("csrf", csrf)]));
        if let Some(session) = &self.session {
            request = request.header("cookie", format!("wb_session={session}"));
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

/// What the devices of Nabha synced in [`field_day`], as Today must count it for a viewer of
/// the whole town and for a supervisor of ward W01.
#[derive(Debug)]
pub struct FieldDay {
    pub cash: (i64, i64),
    pub upi: (i64, i64),
    pub handed_over: i64,
    pub submitted_inspection: RecordId,
    pub inspection_with_photo: RecordId,
    pub waiting_trip: RecordId,
    pub dumped_trip: RecordId,
    pub reversal: RecordId,
    pub quiet_devices: [String; 2],
    pub cash_receipts: BTreeSet<String>,
}

fn amount(record: &Record) -> i64 {
    match &record.body {
        Body::Receipt(r) => r.total().0,
        _ => unreachable!("a receipt"),
    }
}

/// A day of field work in Nabha from four real devices, synced: a collector in W02 (two cash
/// receipts, one UPI, one cancellation asked for, the day's cash handed over), an inspector
/// (two inspections in W01, one submitted; one in W02 naming a photo never uploaded), a crew
/// (a trip waiting for disposal, another "disposed" in a field 2.4 km from the plant) and a
/// supervisor's device that syncs nothing. The collector's phone was last seen 30 hours ago
/// and the crew's 80 (the server's `last_seen_at`, moved back as time would).
pub async fn field_day(url: &str, db: &TestDb) -> FieldDay {
    let t0 = now();
    let mut collector = Device::enroll(url, db, TOWN_A, Role::Collector).await;
    let mut receipts = Vec::new();
    for (n, mode) in [(1, PaymentMode::Cash), (2, PaymentMode::Cash), (3, PaymentMode::Upi)] {
        let mut record = wardbook::demo::receipt(RecordId::new(), t0, "W02", 800 + n);
        if let Body::Receipt(r) = &mut record.body {
            r.payment_mode = mode;
            if mode != PaymentMode::Cash {
                r.transaction_number = Some(format!("UPI{n:08}"));
            }
        }
        receipts.push(collector.create(record));
    }
    let first = &receipts[0];
    let Body::Receipt(r) = &first.body else { unreachable!() };
    let mut reversal = Record::new(
        RecordId::new(),
        TOWN_A,
        first.created_by,
        now(),
        Body::Reversal(wardbook::domain::Reversal {
            receipt: first.id,
            receipt_number: r.receipt_number.clone(),
            amount: r.total(),
            reason: "paid twice".into(),
        }),
    );
    reversal.ward = first.ward.clone();
    collector.store.create(&reversal, now()).unwrap();
    let day = wardbook::calendar::ist_date(now()).to_string();
    let collector_id = wardbook::demo::user_id(Role::Collector);
    let expected = collector.store.day_summary(collector_id, &day).unwrap().cash();
    let mut handover = collector.store.new_handover(collector_id, collector_id, &day, expected, None, now()).unwrap();
    handover.ward = Some("W02".into());
    collector.store.create(&handover, now()).unwrap();
    let report = collector.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (5, 0), "{report:?}");

    let mut inspector = Device::enroll(url, db, TOWN_A, Role::Inspector).await;
    let submitted = wardbook::demo::inspection(RecordId::new(), t0, "W01", 1);
    let draft = wardbook::demo::inspection(RecordId::new(), t0, "W01", 2);
    let mut with_photo = wardbook::demo::inspection(RecordId::new(), t0, "W02", 3);
    if let Body::Inspection(i) = &mut with_photo.body {
        let name = wardbook::sync::photos::sha256_hex(b"a photo still on the inspector's phone");
        i.photos.push(PhotoRef { sha256: name, taken_at: Some(t0), location: None });
    }
    for record in [&submitted, &draft, &with_photo] {
        inspector.store.create(record, t0).unwrap();
    }
    inspector.store.transition(submitted.id, inspector.actor, Status::Submitted, t0 + 1, None).unwrap();
    let report = inspector.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (3, 0), "{report:?}");

    let mut crew = Device::enroll(url, db, TOWN_A, Role::SanitationCrew).await;
    let waiting = wardbook::demo::trip(RecordId::new(), t0, "W01", 1);
    let dumped = wardbook::demo::trip(RecordId::new(), t0, "W01", 2);
    for t in [&waiting, &dumped] {
        crew.store.create(t, t0).unwrap();
    }
    crew.store.transition(waiting.id, crew.actor, Status::WaitingForDisposal, t0 + 1, None).unwrap();
    crew.store
        .update(dumped.id, t0 + 2, |r| {
            if let Body::Trip(t) = &mut r.body {
                t.disposal = Some(TripStep {
                    at: t0 + 2,
                    location: Some(GeoPoint { lat: 30.36, lon: 76.135, accuracy_m: Some(5.0) }),
                    volume_litres: Some(2500.0),
                    photos: vec![],
                    geofence: Some(GeofenceCheck { fstp: Some("FSTP-NBH-1".into()), inside: true, distance_m: 0.0 }),
                });
            }
            Ok(())
        })
        .unwrap();
    let report = crew.sync().await.unwrap();
    assert_eq!((report.confirmed, report.rejected), (2, 0), "{report:?}");

    let mut supervisor = Device::enroll(url, db, TOWN_A, Role::Supervisor).await;
    supervisor.sync().await.unwrap();

    for (device, hours) in [(&collector.device_id, 30), (&crew.device_id, 80)] {
        let at = now() - hours * 3_600_000;
        db.admin(|sql| {
            sql.exec("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", wardbook_server::params![device, at])
        });
    }
    let sum = |mode: PaymentMode| {
        let of: Vec<&Record> =
            receipts.iter().filter(|r| matches!(&r.body, Body::Receipt(x) if x.payment_mode == mode)).collect();
        (of.len() as i64, of.iter().map(|r| amount(r)).sum::<i64>())
    };
    FieldDay {
        cash: sum(PaymentMode::Cash),
        upi: sum(PaymentMode::Upi),
        handed_over: expected.0,
        submitted_inspection: submitted.id,
        inspection_with_photo: with_photo.id,
        waiting_trip: waiting.id,
        dumped_trip: dumped.id,
        reversal: reversal.id,
        quiet_devices: [collector.device_id.clone(), crew.device_id.clone()],
        cash_receipts: receipts[..2].iter().map(|r| r.id.to_string()).collect(),
    }
}

#[tokio::test]
async fn signing_in_sets_a_strict_session_cookie_and_a_wrong_password_is_refused() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let url = server.url();

    let (status, page) = Office::new(&url).get("/office").await;
    assert_eq!(status, 401, "no session: the sign-in form");
    assert!(page.contains("action=\"/office/sign-in\""), "{page}");

    let mut office = Office::new(&url);
    let wrong = office.try_sign_in("meena", "not her password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(set_cookie(&wrong, "wb_session").is_none());
    assert!(wrong.text().await.unwrap().contains("The login name or password is wrong."));
    let unknown = office.try_sign_in("nobody", PASSWORD).await;
    assert_eq!(unknown.status().as_u16(), 401, "an unknown login is refused as a wrong password is");

    let ok = office.try_sign_in("  Meena ", PASSWORD).await;
    assert_eq!(ok.status().as_u16(), 303);
    assert_eq!(ok.headers()["location"], "/office");
    let (token, header) = set_cookie(&ok, "wb_session").expect("a session cookie");
    assert!(token.starts_with("wbs_") && token.len() > 40, "{token}");
    let flags: BTreeSet<String> = header.split(';').skip(1).map(|f| f.trim().to_string()).collect();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/office"] {
        assert!(flags.contains(flag), "the session cookie lacks {flag}: {header}");
    }
    // The database keeps only the token's hash.
    let raw = server.db.count(
        "SELECT COUNT(*) FROM office_sessions WHERE token_hash = ?1",
        wardbook_server::params![token.as_bytes().to_vec()],
    );
    let hashed = server
        .db
        .count("SELECT COUNT(*) FROM office_sessions WHERE token_hash = ?1", wardbook_server::params![sha2_of(&token)]);
    assert_eq!((raw, hashed), (0, 1));

    let (status, page) = office.get("/office").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("data-login=\"meena\""), "{page}");
    // A new password ends every session of the login.
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    assert_eq!(office.get("/office").await.0, 401);
}

fn sha2_of(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}

#[tokio::test]
async fn wrong_passwords_lock_the_login_for_a_delay_that_doubles() {
    let settings =
        Settings { office_free_failures: 2, office_lockout_base: Duration::from_secs(1), ..Settings::default() };
    let server = TestServer::with_settings(TestDb::with_towns(), settings).await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let mut office = Office::new(&server.url());
    let status = |r: &reqwest::Response| r.status().as_u16();
    let retry = |r: &reqwest::Response| r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());

    // Two free failures, the third locks for 1 s: even the right password waits.
    for _ in 0..3 {
        assert_eq!(status(&office.try_sign_in("meena", "guess").await), 401);
    }
    let locked = office.try_sign_in("meena", PASSWORD).await;
    assert_eq!((status(&locked), retry(&locked).as_deref()), (429, Some("1")));
    assert!(office.session.is_none());
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The fourth failure locks for 2 s.
    assert_eq!(status(&office.try_sign_in("meena", "guess").await), 401);
    let locked = office.try_sign_in("meena", PASSWORD).await;
    assert_eq!((status(&locked), retry(&locked).as_deref()), (429, Some("2")));
    assert!(locked.text().await.unwrap().contains("Try again in 2 seconds"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&office.try_sign_in("meena", PASSWORD).await), 429, "still locked after 1 of its 2 s");
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // The right password after the delay signs in and forgives the failures.
    assert_eq!(status(&office.try_sign_in("meena", PASSWORD).await), 303);
    let failures = server.db.count("SELECT failures FROM office_logins WHERE login = 'meena'", &[]);
    assert_eq!(failures, 0);
    assert_eq!(status(&office.try_sign_in("meena", "guess").await), 401, "a new failure is free again");
}

#[tokio::test]
async fn guesses_sent_at_once_cannot_outrun_the_lockout() {
    let settings =
        Settings { office_free_failures: 2, office_lockout_base: Duration::from_secs(60), ..Settings::default() };
    let server = TestServer::with_settings(TestDb::with_towns(), settings).await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let url = server.url();
    // Twelve browsers, each with its form open, send their guesses together.
    let mut forms = Vec::new();
    for _ in 0..12 {
        let office = Office::new(&url);
        let (cookie, csrf) = office.sign_in_form().await;
        forms.push((office, cookie, csrf));
    }
    let guesses = forms.into_iter().enumerate().map(|(n, (office, cookie, csrf))| {
        let (guess, origin) = (format!("guess number {n}"), url.clone());
        async move { office.post_sign_in(Some(&cookie), &csrf, "meena", &guess, Some(&origin)).await.status().as_u16() }
    });
    let mut statuses = futures_join(guesses).await;
    statuses.sort();
    // Two free failures and the one that locks; the other nine are refused as locked (their
    // passwords never reach Argon2: the attempt is counted before the hash is read).
    assert_eq!(statuses, [[401; 3].as_slice(), [429; 9].as_slice()].concat());
    assert_eq!(server.db.count("SELECT failures FROM office_logins WHERE login = 'meena'", &[]), 3);
}

/// Runs the futures at once on the test's runtime and collects their outputs in order.
async fn futures_join<F: std::future::Future<Output = u16> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<u16> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_form_without_the_right_csrf_token_is_refused() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let url = server.url();
    let office = Office::new(&url);
    let (cookie, csrf) = office.sign_in_form().await;
    assert_eq!(cookie, csrf);

    for (cookie, field) in [(None, csrf.as_str()), (Some(cookie.as_str()), "forged"), (Some(cookie.as_str()), "")] {
        let response = office.post_sign_in(cookie, field, "meena", PASSWORD, Some(&url)).await;
        assert_eq!(response.status().as_u16(), 403);
        assert!(set_cookie(&response, "wb_session").is_none());
        assert_eq!(error_code(&response.text().await.unwrap()).as_deref(), Some("csrf_mismatch"));
    }

    let office = Office::signed_in(&url, "meena").await;
    let (_, page) = office.get("/office").await;
    let csrf = csrf_field(&page);
    let other = Office::signed_in(&url, "meena").await;
    let other_csrf = csrf_field(&other.get("/office").await.1);
    assert_ne!(csrf, other_csrf, "each session has its own token");
    assert_eq!(office.post_sign_out(&other_csrf, Some(&url)).await, 403, "another session's token");
    assert_eq!(office.post_sign_out("", Some(&url)).await, 403);
    assert_eq!(office.get("/office").await.0, 200, "still signed in");
    assert_eq!(office.post_sign_out(&csrf, Some(&url)).await, 303);
    assert_eq!(office.get("/office").await.0, 401, "signed out");
    assert_eq!(other.get("/office").await.0, 200, "the other session is its own");
}

#[tokio::test]
async fn a_form_from_another_origin_is_refused() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let url = server.url();
    let office = Office::new(&url);
    let (cookie, csrf) = office.sign_in_form().await;
    let other_port = format!("http://127.0.0.1:{}", server.addr.port() + 1);
    for origin in [Some("https://evil.example"), Some("null"), Some(other_port.as_str()), None] {
        let response = office.post_sign_in(Some(&cookie), &csrf, "meena", PASSWORD, origin).await;
        assert_eq!(response.status().as_u16(), 403, "{origin:?}");
        assert!(set_cookie(&response, "wb_session").is_none());
        assert_eq!(error_code(&response.text().await.unwrap()).as_deref(), Some("bad_origin"), "{origin:?}");
    }
    let office = Office::signed_in(&url, "meena").await;
    let csrf = csrf_field(&office.get("/office").await.1);
    assert_eq!(office.post_sign_out(&csrf, Some("https://evil.example")).await, 403);
    assert_eq!(office.post_sign_out(&csrf, None).await, 403);
    assert_eq!(office.get("/office").await.0, 200, "still signed in");
}

#[tokio::test]
async fn today_counts_what_the_devices_synced_and_links_to_the_same_records() {
    let server = TestServer::start().await;
    let day = field_day(&server.url(), &server.db).await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let w01 = wardbook::domain::reference::User {
        id: wardbook::ids::UserId::new(),
        name: "Harpreet Kaur".into(),
        roles: vec![Role::Supervisor],
        wards: vec!["W01".into()],
    };
    server.db.admin(|sql| wardbook_server::db::user_add(sql, TOWN_A, &w01));
    set_login(&server.db, "harpreet", OfficeRole::Supervisor, Holder::Town { tenant: TOWN_A.into(), user: w01.id });
    let url = server.url();

    let office = Office::signed_in(&url, "meena").await;
    let (status, page) = office.get("/office").await;
    assert_eq!(status, 200, "{page}");
    let got = |name: &str| figure(&page, name).unwrap_or_else(|| panic!("no figure {name} on Today"));
    assert_eq!(got("receipts_CASH"), day.cash.0);
    assert_eq!(got("receipts_UPI"), day.upi.0);
    assert_eq!(got("receipts"), day.cash.0 + day.upi.0);
    assert_eq!(got("cash_expected"), day.cash.1, "a cancellation not yet approved still counts");
    assert_eq!(got("cash_handed_over"), day.handed_over);
    assert_eq!(got("reversals_waiting"), 1);
    // The submitted inspection, the cancellation and the handover wait for the supervisor.
    assert_eq!(got("review"), 3);
    assert!((0..5 * 60_000).contains(&got("review_oldest")), "{}", got("review_oldest"));
    assert_eq!((got("devices_quiet_24h"), got("devices_quiet_72h")), (2, 1));
    assert_eq!(got("photos_missing"), 1);
    assert_eq!((got("trips_waiting"), got("disposals_flagged")), (1, 1));
    assert_eq!((got("inspections_DRAFT"), got("inspections_SUBMITTED")), (2, 1));
    assert!(page.contains(&wardbook_server::office::text::rupees(Paise(day.cash.1))), "{page}");

    // Each figure's link lists exactly the records it counts.
    let list = |path: String| {
        let office = &office;
        async move {
            let (status, page) = office.get(&path).await;
            assert_eq!(status, 200, "{path}: {page}");
            page
        }
    };
    let href = |name: &str| {
        let at = page.find(&format!("data-figure=\"{name}\"")).unwrap();
        let start = page[..at].rfind("href=\"").unwrap() + 6;
        page[start..start + page[start..].find('"').unwrap()].replace("&amp;", "&")
    };
    let one = |id: RecordId| BTreeSet::from([id.to_string()]);
    assert_eq!(rows_on(&list(href("inspections_SUBMITTED")).await, "data-record"), one(day.submitted_inspection));
    assert_eq!(rows_on(&list(href("photos_missing")).await, "data-record"), one(day.inspection_with_photo));
    assert_eq!(rows_on(&list(href("trips_waiting")).await, "data-record"), one(day.waiting_trip));
    assert_eq!(rows_on(&list(href("disposals_flagged")).await, "data-record"), one(day.dumped_trip));
    assert_eq!(rows_on(&list(href("reversals_waiting")).await, "data-record"), one(day.reversal));
    assert_eq!(rows_on(&list(href("review")).await, "data-record").len(), 3);
    assert_eq!(rows_on(&list(href("receipts_CASH")).await, "data-record"), day.cash_receipts);
    assert_eq!(
        rows_on(&list(href("devices_quiet_24h")).await, "data-device"),
        day.quiet_devices.iter().cloned().collect()
    );
    assert_eq!(
        rows_on(&list(href("devices_quiet_72h")).await, "data-device"),
        BTreeSet::from([day.quiet_devices[1].clone()])
    );

    // A supervisor of W01 counts W01 only: the two inspections and the trips (all in W01); no
    // receipt, handover or cancellation (W02), and only devices of staff working in W01.
    let harpreet = Office::signed_in(&url, "harpreet").await;
    let (_, mine) = harpreet.get("/office").await;
    let got = |name: &str| figure(&mine, name).unwrap_or_else(|| panic!("no figure {name}"));
    assert_eq!((got("cash_expected"), got("cash_handed_over"), got("reversals_waiting")), (0, 0, 0));
    assert_eq!(figure(&mine, "receipts_CASH"), None);
    assert_eq!((got("inspections_DRAFT"), got("inspections_SUBMITTED"), got("review")), (1, 1, 1));
    assert_eq!((got("photos_missing"), got("trips_waiting"), got("disposals_flagged")), (0, 1, 1));
    assert_eq!(got("devices_quiet_24h"), 0, "the collector works in W02, the crew in the whole town");
    let (status, page) = harpreet.get("/office/records?kind=inspection&ward=W02").await;
    assert_eq!((status, error_code(&page).as_deref()), (404, Some("not_found")));
    let (status, page) = harpreet.get("/office/records?ward=W01").await;
    assert_eq!(status, 200);
    assert!(!rows_on(&page, "data-record").contains(&day.inspection_with_photo.to_string()));
}

#[tokio::test]
async fn pages_speak_hindi_when_asked_and_bad_filters_say_what_is_wrong() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let office = Office::signed_in(&server.url(), "meena").await;

    let (status, page) = office.get_with("/office", &[("accept-language", "hi-IN,hi;q=0.9,en;q=0.5")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"hi\">") && page.contains("आज की रसीदें"), "{page}");
    let (_, page) = office.get("/office?lang=hi").await;
    assert!(page.contains("<html lang=\"hi\">"), "?lang=hi");
    let (_, page) = office.get_with("/office", &[("cookie", "wb_lang=hi")]).await;
    assert!(page.contains("<html lang=\"hi\">"), "the language cookie");
    let (_, page) = office.get("/office").await;
    assert!(page.contains("<html lang=\"en\">") && page.contains("Receipts today"));

    for (path, says) in [
        ("/office/records?kind=tractor", "kind \"tractor\" is not a kind of record"),
        ("/office/records?status=DONE", "status \"DONE\" is not a workflow status"),
        ("/office/records?ward=W99", "the town has no ward \"W99\""),
        ("/office/records?review=yes", "review \"yes\" is not 1 or 0"),
        ("/office/receipts?day=2026-02-30", "day \"2026-02-30\" is not a date like 2026-12-03"),
        ("/office/receipts?mode=BARTER", "mode \"BARTER\" is not a payment mode"),
        ("/office/devices?quiet=0", "quiet \"0\" is not a number of hours from 1 to 8760"),
    ] {
        let (status, page) = office.get(path).await;
        assert_eq!((status, error_code(&page).as_deref()), (400, Some("bad_request")), "{path}");
        assert!(page.contains(&says.replace('"', "&quot;")), "{path} should say {says:?}: {page}");
    }
}

#[tokio::test]
async fn a_session_made_on_one_instance_is_good_on_another() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let office = Office::signed_in(&server.url(), "meena").await;
    // A second server process on the same database, as behind a load balancer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let app =
        wardbook_server::router(wardbook_server::AppState::with_blobs(server.db.store.clone(), server.blob_dir()));
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let there = Office { url: second, session: office.session.clone(), ..Office::new("") };
    assert_eq!(there.get("/office").await.0, 200);
    task.abort();
}

#[tokio::test]
async fn a_session_ends_when_it_expires_or_its_user_loses_the_role() {
    let server = TestServer::start().await;
    set_login(&server.db, "meena", OfficeRole::Supervisor, town_user(TOWN_A, Role::Supervisor));
    let url = server.url();
    let office = Office::signed_in(&url, "meena").await;
    let expire = |db: &TestDb| {
        db.admin(|sql| sql.exec("UPDATE office_sessions SET expires_at = ?1", wardbook_server::params![now() - 1]))
    };
    expire(&server.db);
    assert_eq!(office.get("/office").await.0, 401, "an expired session");

    let office = Office::signed_in(&url, "meena").await;
    assert_eq!(office.get("/office").await.0, 200);
    let mut demoted =
        wardbook::demo::reference().users.into_iter().find(|u| u.roles.contains(&Role::Supervisor)).unwrap();
    demoted.roles = vec![Role::Inspector];
    server.db.admin(|sql| wardbook_server::db::user_add(sql, TOWN_A, &demoted));
    assert_eq!(office.get("/office").await.0, 401, "no longer a supervisor: signed out");
}

#[test]
fn setting_a_password_refuses_bad_input_with_a_clear_message() {
    let db = TestDb::with_towns();
    let supervisor = town_user(TOWN_A, Role::Supervisor);
    let try_set = |login: &str, role: OfficeRole, holder: &Holder, password: &str| {
        crate::support::off_runtime(|| {
            wardbook_server::store::transact(&*db.store, &wardbook_server::store::Scope::Admin, |sql| {
                set_password(sql, login, role, holder, password)
            })
        })
        .map_err(|e| e.to_string())
    };
    let cases: [(&str, OfficeRole, Holder, &str, &str); 7] = [
        ("meena", OfficeRole::Supervisor, supervisor.clone(), "short", "a password needs at least 10 characters"),
        ("me", OfficeRole::Supervisor, supervisor.clone(), PASSWORD, "a login name has 3 to 64 letters"),
        ("meena sharma", OfficeRole::Supervisor, supervisor.clone(), PASSWORD, "a login name has 3 to 64 letters"),
        ("meena", OfficeRole::Admin, supervisor.clone(), PASSWORD, "does not hold the admin role"),
        ("meena", OfficeRole::State, supervisor.clone(), PASSWORD, "the state role belongs to a state"),
        (
            "punjab",
            OfficeRole::State,
            Holder::State { state: "PB.".into() },
            PASSWORD,
            "a state is the lower-case letters",
        ),
        (
            "meena",
            OfficeRole::Supervisor,
            Holder::Town { tenant: "pb.nowhere".into(), user: wardbook::demo::user_id(Role::Supervisor) },
            PASSWORD,
            "no user",
        ),
    ];
    for (login, role, holder, password, says) in cases {
        let error = try_set(login, role, &holder, password).expect_err(login);
        assert!(error.contains(says), "{login} as {role:?}: {error:?} should say {says:?}");
    }
    assert_eq!(db.count("SELECT COUNT(*) FROM office_logins", &[]), 0, "nothing was kept");
    try_set("Meena", OfficeRole::Supervisor, &supervisor, PASSWORD).unwrap();
    let stored =
        db.admin(|sql| sql.row("SELECT password_hash FROM office_logins WHERE login = 'meena'", &[])?.unwrap().text(0));
    assert!(stored.starts_with("$argon2id$") && !stored.contains(PASSWORD), "{stored}");
}
