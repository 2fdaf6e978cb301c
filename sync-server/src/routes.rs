//! The HTTP API: one router, handlers that call the database layer and return `AppError`.
//! `ROUTES` lists every operation; a test keeps it, the router and `/openapi.json` in step.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Extension, Json, Router};
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use wardbook::domain::Record;
use wardbook::ids::RecordId;
use wardbook::sync::wire::{self, CONTENT_TYPE, MAX_BODY_BYTES};
use wardbook::wire::EnrollRequest;

use crate::blobs::{BlobState, BlobStore, MAX_BLOB_BYTES, Range};
use crate::db::{self, DeviceAuth};
use crate::error::AppError;
use crate::guard::EnrollThrottle;
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::store::{Scope, ServerStore, Sql, transact};
use crate::verify;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn ServerStore>,
    pub metrics: Arc<Metrics>,
    /// Photos and other attachments (`/v1/blobs`).
    pub blobs: Arc<BlobStore>,
    /// Limits and housekeeping (gc ages, the enrollment throttle).
    pub settings: Arc<Settings>,
    /// Failed enrollments per client address.
    pub throttle: Arc<EnrollThrottle>,
}

impl AppState {
    /// Blobs go to a directory of this process under the system's temporary directory; a
    /// real server names its own with [`AppState::with_blobs`].
    pub fn new(store: Arc<dyn ServerStore>) -> AppState {
        let dir = std::env::temp_dir().join(format!("wardbook-server-blobs-{}", std::process::id()));
        AppState::with_blobs(store, dir)
    }

    /// Blobs kept in `blob_dir` (`<blob_dir>/<town>/ab/cdef…`).
    pub fn with_blobs(store: Arc<dyn ServerStore>, blob_dir: impl Into<std::path::PathBuf>) -> AppState {
        AppState::with_settings(store, blob_dir, Settings::default())
    }

    /// Blobs kept in `blob_dir`, with these limits.
    pub fn with_settings(
        store: Arc<dyn ServerStore>,
        blob_dir: impl Into<std::path::PathBuf>,
        settings: Settings,
    ) -> AppState {
        AppState {
            store,
            metrics: Arc::new(Metrics::new()),
            blobs: Arc::new(BlobStore::new(blob_dir)),
            throttle: Arc::new(EnrollThrottle::new(settings.enroll_failures, settings.enroll_window)),
            settings: Arc::new(settings),
        }
    }

    /// Runs blocking database work in one transaction, off the async runtime.
    pub async fn run<T: Send + 'static>(
        &self,
        scope: Scope,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || transact(&*store, &scope, work)).await?
    }

    /// The device behind the request's bearer token; checked on every request.
    async fn device(&self, headers: &HeaderMap) -> Result<DeviceAuth, AppError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer)
            .map(str::to_string)
            .ok_or(AppError::MissingToken);
        let result = match token {
            Ok(token) => self.run(Scope::Admin, move |sql| db::authenticate(sql, &token)).await,
            Err(e) => Err(e),
        };
        if result.is_err() {
            self.metrics.auth_failures.inc();
        }
        result
    }
}

/// The token of `Authorization: Bearer TOKEN`; the scheme in any case (RFC 9110).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The client's address: the peer's, or behind a local reverse proxy (a loopback peer) the
/// last address in the configured header (the one the proxy itself saw).
fn client_address(state: &AppState, peer: Option<std::net::IpAddr>, headers: &HeaderMap) -> Option<std::net::IpAddr> {
    let peer = peer?;
    let forwarded = state
        .settings
        .client_address_header
        .as_deref()
        .filter(|_| peer.is_loopback())
        .and_then(|name| headers.get(name))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}

/// How long `/healthz` may take before it answers 503 on its own.
const HEALTH_BUDGET: Duration = Duration::from_millis(800);

/// Headers every answer carries: no answer is ever sniffed into another content type.
async fn hardening(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    response
}

/// Every operation of the API: method and path, as in `/openapi.json`.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/enroll"),
    ("GET", "/v1/reference"),
    ("POST", "/v1/sync"),
    ("GET", "/v1/records/{id}"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/verify"),
    ("PUT", "/v1/blobs/{sha256}"),
    ("HEAD", "/v1/blobs/{sha256}"),
    ("GET", "/v1/blobs/{sha256}/thumbnail"),
    // The office console (`crate::office::router`).
    ("GET", "/office"),
    ("GET", "/office/records"),
    ("GET", "/office/export.csv"),
    ("GET", "/office/export.geojson"),
    ("GET", "/office/export.xlsx"),
    ("GET", "/office/receipts"),
    ("GET", "/office/devices"),
    ("POST", "/office/devices/revoke"),
    ("GET", "/office/review"),
    ("GET", "/office/record/{id}"),
    ("GET", "/office/photo/{sha256}"),
    ("GET", "/office/photo/{sha256}/thumbnail"),
    ("POST", "/office/review/decide"),
    ("POST", "/office/review/resolve"),
    ("GET", "/office/sign-in"),
    ("POST", "/office/sign-in"),
    ("POST", "/office/sign-out"),
];

/// The OpenAPI description served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// The whole HTTP API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .route("/v1/reference", get(reference))
        .route("/v1/sync", post(sync))
        .route("/v1/records/{id}", get(record))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/verify", get(verify_page))
        .route("/v1/blobs/{sha256}", put(blob_put).head(blob_head))
        .route("/v1/blobs/{sha256}/thumbnail", get(blob_thumbnail))
        .merge(crate::office::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(hardening))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(120)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Exchanges a one-time code for a token. A failure is counted and throttled per client
/// address; the answer (a token) is never cached.
#[tracing::instrument(skip_all)]
async fn enroll(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let addr = client_address(&state, peer.map(|Extension(ConnectInfo(addr))| addr.ip()), &headers);
    let result = async {
        state.throttle.check(addr)?;
        let request: EnrollRequest = serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("expected {{code, device_name}}: {e}")))?;
        state
            .run(Scope::Admin, move |sql| {
                db::enroll(sql, &request.code, &request.device_name, request.public_key.as_deref())
            })
            .await
    }
    .await;
    let enrollment = match result {
        Ok(enrollment) => enrollment,
        Err(e) => {
            state.metrics.enrollment_failures.inc();
            if !matches!(e, AppError::TooManyAttempts { .. }) {
                state.throttle.failed(addr);
            }
            tracing::warn!(client = ?addr, code = e.status_code().1, "enrollment refused");
            return Err(e);
        }
    };
    state.metrics.enrollments.inc();
    tracing::info!(device = %enrollment.device_id, tenant = %enrollment.tenant, "device enrolled");
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(enrollment)).into_response())
}

#[tracing::instrument(skip_all)]
async fn reference(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    let auth = state.device(&headers).await?;
    let tenant = Scope::Tenant(auth.scope.tenant.clone());
    let (body, etag) = state
        .run(tenant, move |sql| {
            let refs = db::reference(sql, &auth.scope.tenant)?;
            db::served_reference(sql, &auth.scope.tenant, refs)
        })
        .await?;
    // Devices of version 1 ask after every sync: an unchanged copy costs one short answer.
    let cached = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v == etag);
    if cached {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok(([(header::ETAG, etag.clone()), (header::CONTENT_TYPE, "application/json".to_string())], body).into_response())
}

#[tracing::instrument(skip_all, fields(device))]
async fn sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let auth = state.device(&headers).await?;
    tracing::Span::current().record("device", tracing::field::display(auth.device));
    let body = body.map_err(|_| AppError::Wire(wire::WireError::TooLarge))?;
    let request = wire::decode_request(&body)?;
    let tenant = Scope::Tenant(auth.scope.tenant.clone());
    // The document half of the pushed changes is worked out before the town's transaction,
    // from the records' bytes as stored now, on every core.
    let (request, prepared) = if request.changes.is_empty() {
        (request, None)
    } else {
        let town = auth.scope.tenant.clone();
        let records = crate::ingest::records_of(&request.changes);
        let stored = state.run(tenant.clone(), move |sql| crate::ingest::stored_bytes(sql, &town, &records)).await?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::task::spawn_blocking(move || {
            let prepared = crate::ingest::prepare(stored, &request.changes, threads);
            (request, Some(prepared))
        })
        .await?
    };
    let (request, response, hashes, tally) = state
        .run(tenant, move |sql| {
            crate::sync::exchange(sql, &auth, &request, prepared)
                .map(|(response, hashes, tally)| (request, response, hashes, tally))
        })
        .await?;
    let m = &state.metrics;
    m.sync_requests.inc();
    m.changes_stored.inc_by(tally.stored);
    m.changes_duplicate.inc_by(tally.duplicate);
    m.changes_parked.inc_by(tally.parked);
    m.changes_rejected.inc_by(tally.rejected);
    m.items_sent.inc_by(response.items.len() as u64);
    let body = if request.protocol == 1 {
        wire::encode(&wire::v1::from_v2(response, &request.changes, hashes))
    } else {
        wire::encode(&response)
    };
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}

/// One record as JSON, if the device's scope covers it (otherwise: not found).
#[tracing::instrument(skip_all)]
async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Record>, AppError> {
    let auth = state.device(&headers).await?;
    let id: RecordId = id.parse().map_err(|_| AppError::NotFound)?;
    let tenant = Scope::Tenant(auth.scope.tenant.clone());
    let doc = state.run(tenant, move |sql| db::record_doc(sql, &auth, id)).await?;
    let record = wardbook::document::RecordDoc::load(&[0; 16], &doc, &[]).and_then(|d| d.record());
    record.map(Json).map_err(|e| AppError::Internal(e.to_string()))
}

/// `ok` only if a write can commit now: the store takes its write lock (or a pooled
/// connection), writes and rolls back, and on SQLite the open file is still the one at its
/// path. Answers within a second, also when the store is busy or its pool exhausted.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, AppError> {
    let store = state.store.clone();
    let probe = tokio::task::spawn_blocking(move || store.probe(HEALTH_BUDGET));
    match tokio::time::timeout(HEALTH_BUDGET + Duration::from_millis(100), probe).await {
        Ok(Ok(Ok(()))) => Ok("ok"),
        Ok(Ok(Err(AppError::Unhealthy(reason)))) => Err(AppError::Unhealthy(reason)),
        Ok(Ok(Err(e))) => {
            tracing::error!(error = ?e, "health probe failed");
            Err(AppError::Unhealthy("the database failed a write probe; the error is logged".into()))
        }
        Ok(Err(e)) => Err(AppError::Unhealthy(format!("the health probe failed: {e}"))),
        Err(_) => Err(AppError::Unhealthy(format!(
            "the database did not answer within {} ms",
            (HEALTH_BUDGET + Duration::from_millis(100)).as_millis()
        ))),
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.render())
}

/// The public page a receipt's QR code points to: genuine, cancelled or unknown.
async fn verify_page(
    State(state): State<AppState>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let qr = query.get("code").and_then(|c| verify::parse(c));
    let verdict = match &qr {
        Some(qr) => {
            let (qr, town) = (qr.clone(), Scope::Tenant(qr.tenant().to_string()));
            state.run(town, move |sql| verify::check(sql, &qr)).await?
        }
        None => verify::Verdict::Unknown,
    };
    let html = verify::page(verdict, qr.as_ref());
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, verify::CONTENT_SECURITY_POLICY),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response())
}

/// The answer to a blob request: 200 with how many bytes the server has (`Content-Length` on
/// `HEAD`, `Upload-Offset` always) and `Wardbook-Blob: complete` once verified.
fn blob_answer(state: BlobState) -> Result<Response, AppError> {
    let (have, word) = match state {
        BlobState::Missing => return Err(AppError::NotFound),
        BlobState::Partial(n) => (n, "partial"),
        BlobState::Complete(n) => (n, "complete"),
    };
    let mut response = ([(header::CONTENT_TYPE, "application/octet-stream")], ()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, have.into());
    headers.insert("upload-offset", have.into());
    headers.insert("wardbook-blob", header::HeaderValue::from_static(word));
    Ok(response)
}

/// How much of a blob of the device's town the server has.
#[tracing::instrument(skip_all)]
async fn blob_head(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    let held = state.blobs.hold(&sha256).await?;
    let auth = state.device(&headers).await?;
    blob_answer(state.blobs.state(&held, &auth.scope.tenant, &sha256).await?)
}

/// A small JPEG of a complete photo of the device's town, when a record the device may see
/// names it: how a supervisor's phone shows a photo another phone took, without the photo.
#[tracing::instrument(skip_all)]
async fn blob_thumbnail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, AppError> {
    let held = state.blobs.hold(&sha256).await?;
    let auth = state.device(&headers).await?;
    let tenant = auth.scope.tenant.clone();
    let name = sha256.clone();
    let visible = state.run(Scope::Tenant(tenant.clone()), move |sql| db::blob_visible(sql, &auth, &name)).await?;
    if !visible || !matches!(state.blobs.state(&held, &tenant, &sha256).await?, BlobState::Complete(_)) {
        return Err(AppError::NotFound);
    }
    let bytes = std::fs::read(state.blobs.path(&tenant, &sha256)).map_err(|e| AppError::Internal(e.to_string()))?;
    drop(held);
    let jpeg = tokio::task::spawn_blocking(move || wardbook::photo::thumbnail(&bytes))
        .await?
        .map_err(|e| AppError::Internal(format!("the stored photo {sha256} has no thumbnail: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], jpeg)
        .into_response())
}

/// Appends a piece of a blob at exactly the number of bytes the server has.
#[tracing::instrument(skip_all)]
async fn blob_put(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
    body: axum::body::Body,
) -> Result<Response, AppError> {
    let held = state.blobs.hold(&sha256).await?;
    let auth = state.device(&headers).await?;
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let number = |name: &str| {
        text(name)
            .map(|v| v.trim().parse::<u64>().map_err(|_| AppError::BadRequest(format!("{name} is not a number"))))
            .transpose()
    };
    let range = match (text("content-range"), number("upload-offset")?) {
        (Some(range), _) => Range::parse_content_range(range)?,
        (None, Some(start)) => {
            let total = number("upload-length")?
                .ok_or_else(|| AppError::BadRequest("Upload-Offset needs Upload-Length".into()))?;
            let length = number("content-length")?.unwrap_or(total.saturating_sub(start));
            let end = start.saturating_add(length).min(total);
            if start >= end {
                return Err(AppError::BadRequest("Upload-Offset is past Upload-Length".into()));
            }
            Range { start, end, total }
        }
        (None, None) => {
            return Err(AppError::BadRequest("a blob piece needs Content-Range: bytes START-END/TOTAL".into()));
        }
    };
    if range.total > MAX_BLOB_BYTES {
        return Err(AppError::BlobTooLarge { limit: MAX_BLOB_BYTES });
    }
    blob_answer(state.blobs.append(&held, &auth.scope.tenant, &sha256, range, body).await?)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// Methods as axum names them, for tests that walk `ROUTES`.
pub fn method(name: &str) -> Method {
    name.parse().unwrap_or(Method::GET)
}
