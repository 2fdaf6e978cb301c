//! The one error shape the app's screens receive: a stable code to translate, an English
//! message for logs, and the bad fields of a form.

use crate::Error;
use crate::domain::validate::FieldError;

/// A failed use case, as the UI sees it (`ui/src/api.ts`, `ApiError`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ApiError {
    /// One of the contract's `ErrorCode`s (every code this build's Rust side sends).
    #[ts(type = "ErrorCode")]
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> ApiError {
        ApiError { code: code.into(), message: message.into(), fields: Vec::new() }
    }

    /// A form error on one field.
    pub fn field(field: &str, code: &str, message: &str) -> ApiError {
        ApiError::from(crate::domain::validate::field_error(field, code, message))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let message = e.to_string();
        let fields = match &e {
            Error::Invalid(fields) => fields.0.clone(),
            _ => Vec::new(),
        };
        ApiError { code: e.code().into(), message, fields }
    }
}

/// The result type of the app's use cases.
pub type ApiResult<T> = std::result::Result<T, ApiError>;
