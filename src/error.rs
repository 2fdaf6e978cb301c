//! The one error type of the core crate, named by cause.

use crate::domain::validate::FieldErrors;
use crate::domain::{Role, Status};
use crate::ids::RecordId;

/// Everything the core can refuse or fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The record breaks validation rules; each entry names the field.
    #[error("invalid record: {0}")]
    Invalid(FieldErrors),
    /// The workflow table does not allow this step for this role from the current status.
    #[error("transition from {from} to {to} is not allowed for role {role}")]
    InvalidTransition { from: Status, to: Status, role: Role },
    /// An issued receipt (or reversal) was about to change; money records only grow history.
    #[error("{kind} {id} is issued and cannot be changed ({field}); cancel a receipt with a reversal")]
    Immutable { id: RecordId, kind: crate::domain::RecordKind, field: &'static str },
    /// A record whose work is over (approved, rejected, disposed...) was about to change.
    #[error("{kind} {id} is {status} and cannot be changed; a supervisor must reopen it first")]
    Closed { id: RecordId, kind: crate::domain::RecordKind, status: Status },
    /// A reversal that does not match a receipt on this device.
    #[error("cannot reverse receipt {receipt}: {reason}")]
    BadReversal { receipt: RecordId, reason: String },
    /// An inspection names a checklist template (or version) the device does not have.
    #[error("unknown checklist template {code} version {version}")]
    UnknownTemplate { code: String, version: u32 },
    /// A stored or received value is not part of a known vocabulary.
    #[error("unknown {vocabulary} value {value:?}")]
    UnknownValue { vocabulary: &'static str, value: String },
    /// No record with this id in the store.
    #[error("record {0} not found")]
    NotFound(RecordId),
    /// The record's stored document cannot be read; the rest of the store is unaffected.
    #[error("record {id} is damaged and cannot be opened: {reason}")]
    DamagedRecord { id: RecordId, reason: String },
    /// Bytes that are not a valid Automerge document or change.
    #[error("not a valid record document: {0}")]
    BadDocument(String),
    /// A merge would combine two different records.
    #[error("cannot merge record {theirs} into record {ours}")]
    DifferentRecords { ours: RecordId, theirs: RecordId },
    /// A stored reference item (ward, template...) cannot be read.
    #[error("reference data {kind} {key} is unreadable: {reason}")]
    BadReference { kind: String, key: String, reason: String },
    /// The database was written by a newer Wardbook than this one.
    #[error(
        "this database was written by a newer Wardbook (schema version {found}, this app knows up to {supported}); update the app to open it"
    )]
    NewerDatabase { found: i64, supported: i64 },
    /// The server could not be reached (no network, server down, connection dropped).
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The server no longer accepts this device (revoked, unknown token, used code).
    #[error("the server refused this device ({code}): {message}")]
    Unauthorized { code: String, message: String },
    /// The server answered with an error.
    #[error("the server answered {status} ({code}): {message}")]
    Server { status: u16, code: String, message: String },
    /// A sync message that could not be read.
    #[error(transparent)]
    Protocol(#[from] crate::sync::wire::WireError),
    /// A receipt could not be signed, printed or exported.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// Bytes offered as a photo that the device cannot take (not a JPEG or PNG, or damaged).
    #[error("not a usable photo: {0}")]
    Photo(#[from] crate::photo::PhotoError),
    /// No photo with this SHA-256 on the device.
    #[error("photo {0} is not on this device")]
    PhotoNotFound(String),
    /// A file on the device (a photo) cannot be read.
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    /// A collector's cash for this day was already handed over (once per collector and day).
    #[error("the cash of {day} was already handed over")]
    HandedOver { day: String },
    /// A receipt printed on an install that did not issue it (only the issuer holds its key).
    #[error(
        "receipt {receipt_number} was issued by device key {key_id}, not this install's ({this_key}); print it on the device that issued it"
    )]
    NotIssuedHere { receipt_number: String, key_id: String, this_key: String },
    /// The local database failed (disk full, file locked, corrupted file).
    #[error("device storage failed: {0}")]
    Storage(#[from] rusqlite::Error),
}

impl Error {
    /// A stable, machine-readable code for the screens (they translate by it) and the sync bar.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::InvalidTransition { .. } => "not_allowed",
            Error::Immutable { .. } => "immutable",
            Error::Closed { .. } => "record_final",
            Error::BadReversal { .. } => "bad_reversal",
            Error::HandedOver { .. } => "handover_exists",
            Error::NotIssuedHere { .. } => "not_issued_here",
            Error::UnknownTemplate { .. } => "unknown_template",
            Error::UnknownValue { .. } => "unknown_value",
            Error::NotFound(_) | Error::PhotoNotFound(_) => "not_found",
            Error::DamagedRecord { .. } => "damaged_record",
            Error::Offline(_) => "unreachable",
            Error::Unauthorized { code, .. } => match code.as_str() {
                "device_revoked" => "device_revoked",
                "invalid_enrollment_code" => "bad_code",
                _ => "not_enrolled",
            },
            Error::Server { .. } => "server_error",
            Error::NewerDatabase { .. } => "newer_database",
            Error::File { .. } | Error::Photo(_) => "bad_file",
            Error::BadDocument(_) => "damaged_record",
            Error::DifferentRecords { .. } => "internal",
            Error::BadReference { .. } => "bad_reference",
            Error::Protocol(_) => "protocol",
            Error::Ledger(_) => "ledger",
            Error::Storage(_) => "storage",
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
