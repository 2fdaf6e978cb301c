//! The server's one error type and its one status table. Handlers return `Result<_, AppError>`
//! and use `?`; the client gets `{ "code", "message" }`, internal details go to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("a device token is required (Authorization: Bearer ...)")]
    MissingToken,
    #[error("this device token is not known")]
    UnknownToken,
    #[error("this device has been revoked by an administrator")]
    DeviceRevoked,
    #[error("this enrollment code is unknown, used or expired")]
    InvalidEnrollmentCode,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Wire(#[from] wardbook::sync::wire::WireError),
    #[error("no town {0}; add it with `wardbook-server tenant add`")]
    UnknownTenant(String),
    #[error("town {0} already exists")]
    TenantExists(String),
    #[error("no user {user} in {tenant}")]
    UnknownUser { tenant: String, user: String },
    #[error("no device {0}")]
    UnknownDevice(String),
    #[error(
        "the database has schema version {found}, newer than this server knows ({supported}); run a newer wardbook-server"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("the blob's bytes do not hash to its name; the upload is discarded, send it again")]
    HashMismatch,
    #[error("the server has {have} bytes of this blob; continue at byte {have}")]
    UploadOffset { have: u64 },
    #[error("a blob may have at most {limit} bytes")]
    BlobTooLarge { limit: u64 },
    #[error("{0}")]
    Unwritable(String),
    #[error("{0}")]
    Unhealthy(String),
    #[error("the server's database is unavailable: {0}")]
    Unavailable(String),
    #[error("invalid town id: {0}")]
    InvalidTenantId(String),
    #[error("invalid device name: {0}")]
    InvalidDeviceName(String),
    #[error("a collector's device must register its receipt signing key (public_key) at enrollment")]
    SigningKeyRequired,
    #[error("too many failed enrollments from this address; try again in {retry_after} s")]
    TooManyAttempts { retry_after: u64 },
    #[error("sign in to the office pages first")]
    SignInRequired,
    #[error("the login name or password is wrong")]
    BadCredentials,
    #[error("too many wrong passwords for this login; try again in {retry_after} s")]
    LockedOut { retry_after: u64 },
    #[error("the form is stale or not from this server (CSRF token); open the page again")]
    CsrfMismatch,
    #[error("the form was not sent from this server's own pages (Origin)")]
    BadOrigin,
    #[error("this login may only read the office pages")]
    ReadOnly,
    #[error("the server refused the decision ({code}): {reason}")]
    Refused { code: String, reason: String },
    #[error("the server's database failed: {0}")]
    Database(String),
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// The one table from error to HTTP status and machine-readable code.
    /// The `Retry-After` seconds of a refusal that ends by itself.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyAttempts { retry_after } | AppError::LockedOut { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    pub fn status_code(&self) -> (StatusCode, &'static str) {
        use wardbook::sync::wire::WireError;
        match self {
            AppError::MissingToken => (StatusCode::UNAUTHORIZED, "missing_token"),
            AppError::UnknownToken => (StatusCode::UNAUTHORIZED, "unknown_token"),
            AppError::DeviceRevoked => (StatusCode::UNAUTHORIZED, "device_revoked"),
            AppError::InvalidEnrollmentCode => (StatusCode::UNAUTHORIZED, "invalid_enrollment_code"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Wire(WireError::Malformed(_)) => (StatusCode::BAD_REQUEST, "malformed_body"),
            AppError::Wire(WireError::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            AppError::Wire(WireError::UnsupportedVersion(_)) => (StatusCode::BAD_REQUEST, "unsupported_protocol"),
            AppError::UnknownTenant(_) | AppError::UnknownUser { .. } | AppError::UnknownDevice(_) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            AppError::TenantExists(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::HashMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch"),
            AppError::UploadOffset { .. } => (StatusCode::CONFLICT, "offset_mismatch"),
            AppError::BlobTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            AppError::InvalidTenantId(_) => (StatusCode::BAD_REQUEST, "invalid_tenant_id"),
            AppError::InvalidDeviceName(_) => (StatusCode::BAD_REQUEST, "invalid_device_name"),
            AppError::SigningKeyRequired => (StatusCode::BAD_REQUEST, "signing_key_required"),
            AppError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            AppError::SignInRequired => (StatusCode::UNAUTHORIZED, "sign_in_required"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::LockedOut { .. } => (StatusCode::TOO_MANY_REQUESTS, "locked_out"),
            AppError::CsrfMismatch => (StatusCode::FORBIDDEN, "csrf_mismatch"),
            AppError::BadOrigin => (StatusCode::FORBIDDEN, "bad_origin"),
            AppError::ReadOnly => (StatusCode::FORBIDDEN, "read_only"),
            AppError::Refused { .. } => (StatusCode::CONFLICT, "refused"),
            AppError::Unhealthy(_) => (StatusCode::SERVICE_UNAVAILABLE, "unhealthy"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            AppError::Unwritable(_) | AppError::NewerSchema { .. } | AppError::Database(_) | AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// The JSON body of every error (the type the device reads it with).
pub use wardbook::wire::ErrorBody;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        // Internal details stay in the log; the client gets a stable sentence. A health
        // reason is for the operator's monitoring and names no path or secret.
        let message = match &self {
            AppError::Unhealthy(reason) => reason.clone(),
            _ if status.is_server_error() => "the server failed; the error is logged".into(),
            _ => self.to_string(),
        };
        let retry_after = self.retry_after();
        let mut response = (status, Json(ErrorBody { code: code.into(), message })).into_response();
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<wardbook::schema::Newer> for AppError {
    fn from(n: wardbook::schema::Newer) -> AppError {
        AppError::NewerSchema { found: n.found, supported: n.supported }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::Database(e.to_string())
    }
}

impl From<postgres::Error> for AppError {
    fn from(e: postgres::Error) -> Self {
        // The driver's own Display says only "db error"; the server's message is in the detail.
        AppError::Database(e.as_db_error().map_or_else(|| e.to_string(), |db| db.to_string()))
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Database(format!("no database connection: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(e.to_string())
    }
}
