//! Fixtures: a real server on 127.0.0.1:0 over real HTTP, its real database — a SQLite file, or
//! a throwaway PostgreSQL database when `WARDBOOK_TEST_BACKEND=postgres` (created from the admin
//! URL in `WARDBOOK_TEST_DATABASE_URL`, dropped afterwards) — and devices with real store files
//! that enroll the way a field device does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tempfile::TempDir;
use wardbook::domain::Role;
use wardbook::domain::workflow::Actor;
use wardbook::ids::UserId;
use wardbook::store::Store;
use wardbook::sync::client::SyncClient;
use wardbook_server::cli::{database_path, demo_reference};
use wardbook_server::db;
use wardbook_server::error::AppError;
use wardbook_server::settings::Settings;
use wardbook_server::store::{PgStore, Scope, ServerStore, Sql, SqliteStore, transact};
use wardbook_server::{AppState, router};

pub const TOWN_A: &str = "pb.nabha";
pub const TOWN_B: &str = "pb.patiala";

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Which backend this run tests.
pub fn postgres() -> bool {
    std::env::var("WARDBOOK_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// The admin URL of the PostgreSQL server tests may create databases on.
pub fn admin_url() -> String {
    std::env::var("WARDBOOK_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `postgres://u@h:p/admin?x` with another database name.
pub fn url_with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let slash = base.rfind('/').filter(|i| base[..*i].contains("//") && *i > base.find("//").unwrap() + 1);
    let base = slash.map_or(base, |i| &base[..i]);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs blocking database work on a plain thread: the PostgreSQL client may not run (or be
/// dropped) inside the tests' async runtime.
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(work).join().expect("database work panicked"))
}

/// Creates an empty PostgreSQL database and returns its URL.
pub fn create_database(prefix: &str) -> (String, String) {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!("{prefix}_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst), now() % 1_000_000);
    off_runtime(|| {
        let mut admin = postgres::Client::connect(&admin_url(), postgres::NoTls).expect("PostgreSQL for the tests");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    });
    (name.clone(), url_with_database(&admin_url(), &name))
}

pub fn drop_database(name: &str) {
    off_runtime(|| {
        if let Ok(mut admin) = postgres::Client::connect(&admin_url(), postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    })
}

/// A server database for one test, of the backend under test.
pub struct TestDb {
    pub store: Arc<dyn ServerStore>,
    pub dir: TempDir,
    pub url: Option<String>,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = TempDir::new().unwrap();
        if postgres() {
            let (name, url) = create_database("wardbook_test");
            let store = Arc::new(off_runtime(|| PgStore::open(&url)).unwrap());
            TestDb { store, dir, url: Some(url), pg_name: Some(name) }
        } else {
            let store = Arc::new(SqliteStore::open(&database_path(dir.path())).unwrap());
            TestDb { store, dir, url: None, pg_name: None }
        }
    }

    /// A SQLite file, whatever backend this run tests (for what only SQLite has: a file).
    pub fn sqlite() -> TestDb {
        let dir = TempDir::new().unwrap();
        let store = Arc::new(SqliteStore::open(&database_path(dir.path())).unwrap());
        TestDb { store, dir, url: None, pg_name: None }
    }

    /// A throwaway PostgreSQL database, whatever backend this run tests.
    pub fn postgres() -> TestDb {
        let (name, url) = create_database("wardbook_test");
        let store = Arc::new(off_runtime(|| PgStore::open(&url)).unwrap());
        TestDb { store, dir: TempDir::new().unwrap(), url: Some(url), pg_name: Some(name) }
    }

    /// With the two demo towns.
    pub fn with_towns() -> TestDb {
        TestDb::new().add_towns()
    }

    /// Adds the two demo towns.
    pub fn add_towns(self) -> TestDb {
        let db = self;
        for (id, name) in [(TOWN_A, "Nabha"), (TOWN_B, "Patiala")] {
            db.admin(|sql| db::tenant_add(sql, id, name, &demo_reference(id, name)));
        }
        db
    }

    /// The arguments that point the real binary at this database.
    pub fn args(&self) -> Vec<String> {
        match &self.url {
            Some(url) => vec!["--database".into(), url.clone()],
            None => vec!["--data-dir".into(), self.dir.path().display().to_string()],
        }
    }

    /// Runs server-wide work in one transaction; panics on failure (it is a test).
    pub fn admin<T: Send>(&self, work: impl FnOnce(&mut dyn Sql) -> Result<T, AppError> + Send) -> T {
        off_runtime(|| transact(&*self.store, &Scope::Admin, work)).unwrap()
    }

    /// One count from the server's database.
    pub fn count(&self, query: &str, params: &[wardbook_server::store::Val]) -> i64 {
        self.admin(|sql| sql.row(query, params)?.expect("a count").int(0))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            drop_database(name);
        }
    }
}

/// A server with two demo towns, serving from a task of the test's runtime the way `serve`
/// does (client addresses, header read timeout).
pub struct TestServer {
    pub db: TestDb,
    pub addr: SocketAddr,
    /// The state the server's handlers share (its metrics, settings; gc runs on it).
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::on(TestDb::with_towns()).await
    }

    /// Serves an existing database.
    pub async fn on(db: TestDb) -> TestServer {
        TestServer::with_settings(db, Settings::default()).await
    }

    /// Serves an existing database with these limits.
    pub async fn with_settings(db: TestDb, settings: Settings) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let timeout = settings.header_read_timeout;
        let state = AppState::with_settings(db.store.clone(), db.dir.path().join("blobs"), settings);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            wardbook_server::serve::serve(listener, app, timeout, std::future::pending()).await.unwrap();
        });
        TestServer { db, addr, state, task }
    }

    /// Runs one gc collection on this server's state.
    pub async fn gc(&self) -> wardbook_server::gc::Collected {
        wardbook_server::gc::collect(&self.state).await.unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where this server keeps photos and other blobs.
    pub fn blob_dir(&self) -> std::path::PathBuf {
        self.db.dir.path().join("blobs")
    }

    /// Issues a code for the demo user with `role` in `tenant` and enrolls a new device.
    pub async fn device(&self, tenant: &str, role: Role) -> Device {
        Device::enroll(&self.url(), &self.db, tenant, role).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A field device: its own store file and its token.
pub struct Device {
    /// Holds the device's store file for as long as the device lives.
    _dir: TempDir,
    pub store: Store,
    pub client: SyncClient,
    pub actor: Actor,
    pub device_id: String,
    pub tenant: String,
}

impl Device {
    pub async fn enroll(url: &str, db: &TestDb, tenant: &str, role: Role) -> Device {
        let user = wardbook::demo::user_id(role);
        let (_, code) = db.admin(|sql| db::device_enroll(sql, tenant, user));
        Device::enroll_with_key(url, &code, tenant, role, true).await
    }

    /// A device of a member of staff added to the town now (`user`, in their first role).
    pub async fn enroll_as(url: &str, db: &TestDb, tenant: &str, user: &wardbook::domain::reference::User) -> Device {
        db.admin(|sql| db::user_add(sql, tenant, user));
        let (_, code) = db.admin(|sql| db::device_enroll(sql, tenant, user.id));
        Device::enroll_user(url, &code, tenant, user.id, user.roles[0], true).await
    }

    /// Enrolls with an enrollment code, registering the device's signing key or not.
    pub async fn enroll_with_key(url: &str, code: &str, tenant: &str, role: Role, with_key: bool) -> Device {
        Device::enroll_user(url, code, tenant, wardbook::demo::user_id(role), role, with_key).await
    }

    async fn enroll_user(url: &str, code: &str, tenant: &str, user: UserId, role: Role, with_key: bool) -> Device {
        let dir = TempDir::new().unwrap();
        let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
        let key = store.device_key().unwrap().public_key();
        let key = with_key.then_some(&key);
        let enrollment = SyncClient::enroll(url, code, &format!("{role} phone"), key).await.unwrap();
        let client = SyncClient::new(url, &enrollment.token);
        store.put_reference(&client.reference().await.unwrap()).unwrap();
        Device {
            _dir: dir,
            store,
            client,
            actor: Actor { user, role },
            device_id: enrollment.device_id,
            tenant: tenant.to_string(),
        }
    }

    /// Saves a new record the way the app does: a receipt is issued (numbered from the
    /// device's blocks or its own series, and signed), anything else is created.
    pub fn create(&mut self, record: wardbook::domain::Record) -> wardbook::domain::Record {
        if record.kind() == wardbook::domain::RecordKind::Receipt {
            self.store.issue_receipt(record, now()).unwrap()
        } else {
            self.store.create(&record, now()).unwrap();
            record
        }
    }

    pub async fn sync(&mut self) -> wardbook::Result<wardbook::sync::client::SyncReport> {
        self.client.sync(&mut self.store).await
    }
}

/// Sends one sync request with these changes and an empty cursor, as a device would (or a
/// tampered one); returns the status and the raw body.
pub async fn raw_sync(url: &str, token: &str, changes: Vec<wardbook::sync::wire::RecordBytes>) -> (u16, Vec<u8>) {
    use wardbook::sync::wire::{self, CONTENT_TYPE, PROTOCOL_VERSION, SyncRequest};
    let request = SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: Default::default(),
        changes,
        max_page_bytes: None,
        want_numbers: None,
    };
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .header("content-type", CONTENT_TYPE)
        .body(wire::encode(&request))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

/// [`raw_sync`] that must succeed, decoded.
pub async fn push(
    url: &str,
    token: &str,
    changes: Vec<wardbook::sync::wire::RecordBytes>,
) -> wardbook::sync::wire::SyncResponse {
    let (status, body) = raw_sync(url, token, changes).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    wardbook::sync::wire::decode(&body).unwrap()
}

/// Status, content type and body of one request to the real server.
pub async fn call(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
) -> (u16, String, Vec<u8>) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, content_type, response.bytes().await.unwrap().to_vec())
}
