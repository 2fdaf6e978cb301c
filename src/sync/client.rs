//! The device's sync engine over HTTP: one request per sync when little has changed, pages
//! when a device has been away for long, and retries with exponential backoff and jitter.
//!
//! ```text
//! SyncSession::poll_request ──► POST /v1/sync ──► SyncSession::handle_response ──► Done?
//!        ▲                                                                         │ no
//!        └─────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! What to send, how an answer is applied and when to stop are the [`super::session`]'s; this
//! module carries its bytes and the clock. A dropped connection at any point leaves the store
//! as it was before that request (the server's acks and page are applied together or not at
//! all), so the next attempt resumes from the stored cursor and re-sends only unconfirmed
//! changes; the server treats a change it already has as a duplicate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;

use super::session::{SessionConfig, SyncSession};
use super::wire::CONTENT_TYPE;
use crate::domain::ReferenceData;
use crate::store::Store;
use crate::{Error, Result};

/// The setting that keeps the ETag of the stored reference data.
const REFERENCE_ETAG: &str = "reference_etag";

/// The device clock, in Unix milliseconds.
pub fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

pub use super::session::SyncReport;
pub use crate::wire::{EnrollRequest, Enrollment, ErrorBody};

/// A device's connection to its server.
#[derive(Clone, Debug)]
pub struct SyncClient {
    http: reqwest::Client,
    server: String,
    token: String,
    /// What each sync asks for (page size, receipt number blocks).
    session: SessionConfig,
}

/// The error and its causes in one sentence ("... dns error: failed to lookup ...", "...
/// Connection refused ..."), so the screens can say which it was.
fn offline(e: reqwest::Error) -> Error {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    Error::Offline(text)
}

async fn error_of(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let body: ErrorBody = match response.bytes().await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(ErrorBody {
            code: "unknown".into(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
        }),
        Err(e) => return offline(e),
    };
    if status == 401 || status == 403 {
        Error::Unauthorized { code: body.code, message: body.message }
    } else {
        Error::Server { status, code: body.code, message: body.message }
    }
}

/// The body of a successful answer, or the server's error.
async fn body_of(response: reqwest::Response) -> Result<Vec<u8>> {
    if !response.status().is_success() {
        return Err(error_of(response).await);
    }
    Ok(response.bytes().await.map_err(offline)?.to_vec())
}

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Server {
        status: 200,
        code: "bad_response".into(),
        message: e.to_string(),
    })
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(20))
        .timeout(Duration::from_secs(120))
        .build()
        .expect("the HTTP client builds with fixed settings")
}

impl SyncClient {
    /// A client for `server` (e.g. `http://127.0.0.1:8480`) with this device's token.
    pub fn new(server: &str, token: &str) -> SyncClient {
        SyncClient {
            http: http_client(),
            server: server.trim_end_matches('/').to_string(),
            token: token.to_string(),
            session: SessionConfig::default(),
        }
    }

    /// Ask for `block` receipt numbers whenever fewer than `low_water` are left.
    pub fn with_number_blocks(mut self, low_water: u64, block: u32) -> SyncClient {
        self.session.low_water = low_water;
        self.session.number_block = block;
        self
    }

    /// This device's bearer token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Smaller pages (tests of resumption, very slow links).
    pub fn with_page_bytes(mut self, bytes: u32) -> SyncClient {
        self.session.page_bytes = bytes;
        self
    }

    /// Enrolls this device with a one-time code an admin issued, registering its receipt
    /// signing key (devices that never issue receipts may pass `None`).
    pub async fn enroll(
        server: &str,
        code: &str,
        device_name: &str,
        signing_key: Option<&crate::ledger::PublicKey>,
    ) -> Result<Enrollment> {
        let url = format!("{}/v1/enroll", server.trim_end_matches('/'));
        let public_key = signing_key.map(|k| crate::ledger::encode_signature(&k.to_bytes()));
        let body =
            serde_json::to_vec(&EnrollRequest { code: code.into(), device_name: device_name.into(), public_key })
                .expect("an enroll request serializes");
        let response = http_client()
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(offline)?;
        json(&body_of(response).await?)
    }

    /// The town's reference data (wards, users, templates, fee heads, vehicles, plants).
    pub async fn reference(&self) -> Result<ReferenceData> {
        let response = self
            .http
            .get(format!("{}/v1/reference", self.server))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(offline)?;
        json(&body_of(response).await?)
    }

    /// The town's reference data if it changed since the copy named by `etag`: `None` when the
    /// server answers 304 Not Modified; else the data and its new ETag.
    pub async fn reference_since(&self, etag: Option<&str>) -> Result<Option<(ReferenceData, Option<String>)>> {
        let mut request = self.http.get(format!("{}/v1/reference", self.server)).bearer_auth(&self.token);
        if let Some(etag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(offline)?;
        if response.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        let etag = response.headers().get(reqwest::header::ETAG).and_then(|v| v.to_str().ok()).map(String::from);
        Ok(Some((json(&body_of(response).await?)?, etag)))
    }

    /// Brings the device's reference data up to date (new users, vehicles, plants, and the keys
    /// of devices enrolled since, which the plant gate checks signatures against). Asked after
    /// every sync; an unchanged copy costs a 304.
    pub async fn refresh_reference(&self, store: &mut Store) -> Result<bool> {
        let etag = store.setting(REFERENCE_ETAG)?;
        let Some((refs, etag)) = self.reference_since(etag.as_deref()).await? else { return Ok(false) };
        store.put_reference(&refs)?;
        store.set_setting(REFERENCE_ETAG, etag.as_deref().unwrap_or(""))?;
        Ok(true)
    }

    /// One exchange: posts a request's bytes, returns the answer's bytes.
    async fn exchange(&self, body: Vec<u8>) -> Result<Vec<u8>> {
        let response = self
            .http
            .post(format!("{}/v1/sync", self.server))
            .bearer_auth(&self.token)
            .header("content-type", CONTENT_TYPE)
            .body(body)
            .send()
            .await
            .map_err(offline)?;
        body_of(response).await
    }

    /// Syncs until the server has every change of this device and the device has every page:
    /// one request when little changed. Runs a [`SyncSession`] over HTTP, then refreshes the
    /// reference data.
    pub async fn sync(&self, store: &mut Store) -> Result<SyncReport> {
        let mut session = SyncSession::new(self.session.clone());
        while let Some(request) = session.poll_request(store, now_millis())? {
            let answer = self.exchange(request).await?;
            session.handle_response(store, &answer, now_millis())?;
        }
        // The records are in. The reference data is fetched when the server's tag differs from
        // the copy's (or it named none); data that cannot be fetched now is fetched at the next
        // sync (a failure here does not undo this one).
        let current = store.setting(REFERENCE_ETAG)?;
        let fresh = session.reference_tag().is_some_and(|tag| current.as_deref() == Some(tag));
        if !fresh && let Err(e) = self.refresh_reference(store).await {
            tracing::warn!(error = %e, "reference data not refreshed");
        }
        Ok(session.report().clone())
    }
}

/// Exponential backoff with full jitter: the n-th retry waits a random time up to
/// `base * 2^n`, capped at `max`, so a town's devices do not all retry at once.
#[derive(Clone, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max, attempt: 0 }
    }

    /// The wait before the next retry.
    pub fn next_delay(&mut self, rng: &mut impl Rng) -> Duration {
        let ceiling = self.base.saturating_mul(2u32.saturating_pow(self.attempt)).min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        ceiling.mul_f64(rng.random_range(0.0..=1.0))
    }

    /// After a success: start again from the base.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Why the background loop syncs now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A person pressed "sync now".
    Now,
    /// The device found a network again.
    ConnectivityBack,
}

/// What the background loop reports after each attempt.
#[derive(Clone, Debug)]
pub enum LoopEvent {
    Synced(SyncReport),
    /// `code` is [`Error::code`] of the failure (`unreachable`, `device_revoked`...).
    Failed {
        error: String,
        code: &'static str,
        retry_in: Duration,
    },
}

/// The background sync task: syncs on a trigger, every `period`, and retries failures with
/// backoff. Returns when the trigger channel closes, or when the server refuses the device.
pub async fn run(
    client: SyncClient,
    store: std::sync::Arc<tokio::sync::Mutex<Store>>,
    mut triggers: tokio::sync::mpsc::Receiver<Trigger>,
    period: Duration,
    events: tokio::sync::mpsc::Sender<LoopEvent>,
) -> Result<()> {
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));
    let mut wait = Duration::ZERO;
    loop {
        tokio::select! {
            trigger = triggers.recv() => {
                if trigger.is_none() {
                    return Ok(());
                }
                backoff.reset();
            }
            () = tokio::time::sleep(wait) => {}
        }
        let result = {
            let mut store = store.lock().await;
            let result = client.sync(&mut store).await;
            // A quiet moment: fold the write-ahead log back so the next saves stay quick.
            if let Err(e) = store.checkpoint() {
                tracing::warn!(error = %e, "checkpoint after sync failed");
            }
            result
        };
        match result {
            Ok(report) => {
                backoff.reset();
                wait = period;
                let _ = events.send(LoopEvent::Synced(report)).await;
            }
            Err(e @ Error::Unauthorized { .. }) => {
                let _ = events
                    .send(LoopEvent::Failed { error: e.to_string(), code: e.code(), retry_in: Duration::MAX })
                    .await;
                return Err(e);
            }
            Err(e) => {
                wait = backoff.next_delay(&mut rand::rng());
                let _ = events.send(LoopEvent::Failed { error: e.to_string(), code: e.code(), retry_in: wait }).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_and_resets() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let waits: Vec<Duration> = (0..10).map(|_| b.next_delay(&mut rng)).collect();
        for (n, w) in waits.iter().enumerate() {
            let ceiling = Duration::from_secs(1 << n.min(6)).min(Duration::from_secs(60));
            assert!(*w <= ceiling, "retry {n} waited {w:?}, more than {ceiling:?}");
        }
        assert!(waits.windows(2).any(|w| w[0] != w[1]), "jitter spreads retries");
        assert!(waits[6..].iter().any(|w| *w > Duration::from_secs(8)), "later retries wait longer");
        b.reset();
        assert!(b.next_delay(&mut rng) <= Duration::from_secs(1));
    }
}
