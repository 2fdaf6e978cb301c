//! Fixtures: a real server on 127.0.0.1:0 over real HTTP, its real SQLite file, and devices
//! with real store files that enroll the way a field device does.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use tempfile::TempDir;
use wardbook::domain::Role;
use wardbook::domain::workflow::Actor;
use wardbook::store::Store;
use wardbook::sync::client::SyncClient;
use wardbook_server::cli::demo_reference;
use wardbook_server::db::{self, Db};
use wardbook_server::{AppState, router};

pub const TOWN_A: &str = "pb.nabha";
pub const TOWN_B: &str = "pb.patiala";

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// A server with two demo towns, serving from a task of the test's runtime.
pub struct TestServer {
    /// Holds the server's database file for as long as the server lives.
    _dir: TempDir,
    pub db: Db,
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        let dir = TempDir::new().unwrap();
        let db = Db::open(&dir.path().join("server.sqlite3")).unwrap();
        for (id, name) in [(TOWN_A, "Nabha"), (TOWN_B, "Patiala")] {
            db::tenant_add(&mut db.lock(), id, name, &demo_reference(id, name)).unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = router(AppState::new(db.clone()));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer { _dir: dir, db, addr, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
    pub async fn enroll(url: &str, db: &Db, tenant: &str, role: Role) -> Device {
        let user = wardbook::demo::user_id(role);
        let (_, code) = db::device_enroll(&mut db.lock(), tenant, user).unwrap();
        let enrollment = SyncClient::enroll(url, &code, &format!("{role} phone")).await.unwrap();
        let client = SyncClient::new(url, &enrollment.token);
        let dir = TempDir::new().unwrap();
        let mut store = Store::open(dir.path().join("device.sqlite3")).unwrap();
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

    pub async fn sync(&mut self) -> wardbook::Result<wardbook::sync::client::SyncReport> {
        self.client.sync(&mut self.store).await
    }
}
