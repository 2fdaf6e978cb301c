//! The sync protocol on the wire, version 1. The one place that knows how requests and
//! responses are encoded: CBOR, then zstd.
//!
//! ```text
//! POST /v1/sync                       Authorization: Bearer <device token>
//! Content-Type: application/x-wardbook-sync   (zstd-compressed CBOR of SyncRequest)
//!
//! SyncRequest  { protocol: 2, cursor, changes: [{ record, bytes }], max_page_bytes }
//! SyncResponse { protocol: 2, acks: [{ outcome }], items: [{ record, bytes }], cursor, more }
//! ```
//!
//! - `changes` are raw Automerge changes the device made, oldest first, each with its record.
//! - `acks` answer every change, in the order of `changes` (the device knows which change it
//!   sent where; version 1 repeated each change's record and 32-byte hash): `stored` (with its log sequence), `duplicate` (the server
//!   already had it: a retried request is a no-op), `parked` (kept until the changes it depends
//!   on arrive) or `rejected` (with a machine-readable `code` and a human `reason`).
//! - `items` are what the device may see since its cursor: Automerge changes, or whole record
//!   documents while a new device bootstraps. Either kind is merged the same way.
//! - `cursor` is opaque to the device: it stores it with the page in one transaction and sends
//!   it back next time. `more` says another page is waiting.
//! - `want_numbers` / `number_blocks`: a collector's device running low on receipt numbers asks
//!   for a block of its town's series for the financial year; the server never hands out a
//!   number twice.
//! - `reset` says the server's log is not the one the cursor came from (restored from a backup,
//!   or the cursor is past the log's end): the device marks every record to be sent again
//!   (the server answers `duplicate` for what it has) and reads its scope from the start.
//! - Errors are JSON `{ "code": ..., "message": ... }` with a 4xx/5xx status; see the server's
//!   `/openapi.json`.
//!
//! Architecture invariant: no I/O here; bytes in, bytes out.

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;

// The JSON of the HTTP side (errors, enrollment): the same types on both ends.

/// The server's error body: a stable code and a sentence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// What the server gives a device at enrollment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Enrollment {
    pub device_id: String,
    pub token: String,
    pub tenant: String,
    pub user_id: String,
    pub user_name: String,
}

/// The request a device makes to enroll.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub device_name: String,
    /// The device's receipt signing key (ed25519, base64url), registered with the device.
    #[serde(default)]
    pub public_key: Option<String>,
}

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 2;
/// The oldest version a server still answers (in that version's shape: see [`v1`]).
pub const OLDEST_PROTOCOL_VERSION: u32 = 1;
/// The media type of sync bodies.
pub const CONTENT_TYPE: &str = "application/x-wardbook-sync";
/// A page of items is cut once it holds this many bytes (at least one item always goes).
pub const DEFAULT_PAGE_BYTES: u32 = 64 * 1024;
/// The largest body either side accepts, compressed or not.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Where a device stands in its town's change log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The last log sequence number the device has seen (or skipped as out of scope).
    pub seq: u64,
    /// `false` until the device has received the snapshot of its scope.
    pub bootstrapped: bool,
    /// While bootstrapping: the last record sent, records go in id order.
    pub snapshot_after: Option<RecordId>,
    /// Which life of the town's log the cursor belongs to; a restore from a backup starts a
    /// new one. Empty before the first answer.
    #[serde(default)]
    pub epoch: String,
}

/// One Automerge change (or whole document) and the record it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordBytes {
    pub record: RecordId,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// A range of receipt numbers the server hands one device, for one financial year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberBlock {
    /// Financial year, e.g. `2026-27`.
    pub fy: String,
    pub first: u64,
    pub last: u64,
}

/// A device running low on receipt numbers asks for more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRequest {
    pub fy: String,
    pub count: u32,
}

/// What a device sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub protocol: u32,
    pub cursor: Cursor,
    pub changes: Vec<RecordBytes>,
    pub max_page_bytes: Option<u32>,
    /// Receipt numbers wanted (collectors' devices, when their blocks run low).
    #[serde(default)]
    pub want_numbers: Option<NumberRequest>,
}

/// The server's answer to one pushed change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Stored { seq: u64 },
    Duplicate,
    Parked,
    Rejected { code: String, reason: String },
}

impl Outcome {
    /// The server holds the change (now or already): the device need not send it again.
    pub fn is_kept(&self) -> bool {
        !matches!(self, Outcome::Rejected { .. })
    }
}

/// What the server sends back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u32,
    /// One per pushed change, in the order the request carried them.
    pub acks: Vec<Outcome>,
    pub items: Vec<RecordBytes>,
    pub cursor: Cursor,
    pub more: bool,
    /// The server's log is not the one the device's cursor was in (it was restored from a
    /// backup): the device sends again every change it made and reads its scope afresh.
    #[serde(default)]
    pub reset: bool,
    /// Receipt numbers granted to this device (answering `want_numbers`).
    #[serde(default)]
    pub number_blocks: Vec<NumberBlock>,
    /// The ETag of the town's reference data now (as `GET /v1/reference` gives it): the device
    /// fetches the data only when its copy's tag differs.
    #[serde(default)]
    pub reference: Option<String>,
}

/// Why a body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("the body is not zstd-compressed CBOR of a sync message: {0}")]
    Malformed(String),
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("protocol version {0} is not supported; this side speaks version {PROTOCOL_VERSION}")]
    UnsupportedVersion(u32),
}

/// Bodies at least this large (pages of records, bulk pushes) are compressed harder.
const LARGE_BODY_BYTES: usize = 64 * 1024;

/// CBOR, then zstd: level 3 (a good ratio for a phone's CPU), and level 9 for a large body,
/// where the bytes saved on a slow link outweigh the milliseconds (decompressing costs the
/// same at any level).
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    let mut cbor = Vec::new();
    ciborium::into_writer(message, &mut cbor).expect("writing CBOR to memory cannot fail");
    let level = if cbor.len() >= LARGE_BODY_BYTES { 9 } else { 3 };
    zstd::bulk::compress(&cbor, level).expect("compressing in memory cannot fail")
}

/// The reverse of [`encode`], refusing bodies that inflate past [`MAX_BODY_BYTES`].
pub fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, WireError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(WireError::TooLarge);
    }
    let mut cbor = Vec::new();
    let mut decoder = zstd::stream::read::Decoder::new(body).map_err(|e| WireError::Malformed(e.to_string()))?;
    let read = std::io::Read::read_to_end(&mut std::io::Read::take(&mut decoder, MAX_BODY_BYTES as u64 + 1), &mut cbor)
        .map_err(|e| WireError::Malformed(e.to_string()))?;
    if read > MAX_BODY_BYTES {
        return Err(WireError::TooLarge);
    }
    ciborium::from_reader(cbor.as_slice()).map_err(|e| WireError::Malformed(e.to_string()))
}

const SUPPORTED: std::ops::RangeInclusive<u32> = OLDEST_PROTOCOL_VERSION..=PROTOCOL_VERSION;

/// Version 1 of the answer, for devices not yet updated: each ack names its change's record
/// and hash. Requests are the same in both versions.
pub mod v1 {
    use serde::{Deserialize, Serialize};

    use super::{Cursor, NumberBlock, Outcome, RecordBytes};
    use crate::ids::RecordId;

    /// The acknowledgement of one pushed change, by its hash.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct Ack {
        pub record: RecordId,
        #[serde(with = "serde_bytes")]
        pub hash: Vec<u8>,
        #[serde(flatten)]
        pub outcome: Outcome,
    }

    /// What a version-1 device reads.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct SyncResponse {
        pub protocol: u32,
        pub acks: Vec<Ack>,
        pub items: Vec<RecordBytes>,
        pub cursor: Cursor,
        pub more: bool,
        #[serde(default)]
        pub reset: bool,
        #[serde(default)]
        pub number_blocks: Vec<NumberBlock>,
    }

    /// The version-1 shape of `response`, whose acks answer `changes` with these `hashes`
    /// (empty for a change that did not decode).
    pub fn from_v2(response: super::SyncResponse, changes: &[RecordBytes], hashes: Vec<Vec<u8>>) -> SyncResponse {
        let acks = response
            .acks
            .into_iter()
            .zip(changes.iter().zip(hashes))
            .map(|(outcome, (change, hash))| Ack { record: change.record, hash, outcome })
            .collect();
        SyncResponse {
            protocol: 1,
            acks,
            items: response.items,
            cursor: response.cursor,
            more: response.more,
            reset: response.reset,
            number_blocks: response.number_blocks,
        }
    }
}

/// Decodes a request and checks its protocol version (this one or an older one still served).
pub fn decode_request(body: &[u8]) -> Result<SyncRequest, WireError> {
    #[derive(Deserialize)]
    struct Version {
        protocol: u32,
    }
    let request: Result<SyncRequest, _> = decode(body);
    match request {
        Ok(r) if SUPPORTED.contains(&r.protocol) => Ok(r),
        Ok(r) => Err(WireError::UnsupportedVersion(r.protocol)),
        // A future version may change the shape: report its version rather than "malformed".
        Err(e) => match decode::<Version>(body) {
            Ok(v) if !SUPPORTED.contains(&v.protocol) => Err(WireError::UnsupportedVersion(v.protocol)),
            _ => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SyncRequest {
        SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: Cursor { seq: 41, bootstrapped: true, snapshot_after: None, epoch: "e1".into() },
            changes: vec![RecordBytes { record: RecordId::new(), bytes: vec![1, 2, 3] }],
            max_page_bytes: None,
            want_numbers: Some(NumberRequest { fy: "2026-27".into(), count: 100 }),
        }
    }

    #[test]
    fn a_request_survives_the_wire() {
        let r = request();
        assert_eq!(decode_request(&encode(&r)), Ok(r));
    }

    #[test]
    fn a_response_with_every_outcome_survives_the_wire() {
        let id = RecordId::new();
        let response = SyncResponse {
            protocol: PROTOCOL_VERSION,
            acks: vec![
                Outcome::Stored { seq: 9 },
                Outcome::Duplicate,
                Outcome::Parked,
                Outcome::Rejected { code: "ward_out_of_scope".into(), reason: "W09 is not your ward".into() },
            ],
            items: vec![RecordBytes { record: id, bytes: vec![0; 100] }],
            cursor: Cursor::default(),
            more: true,
            reset: false,
            number_blocks: vec![NumberBlock { fy: "2026-27".into(), first: 101, last: 200 }],
            reference: Some("\"5d41402abc4b2a76b9719d911017c592\"".into()),
        };
        assert_eq!(decode::<SyncResponse>(&encode(&response)), Ok(response));
    }

    #[test]
    fn bytes_travel_as_bytes_not_as_lists_of_numbers() {
        let mut r = request();
        r.changes[0].bytes = vec![0xab; 4000];
        let mut cbor = Vec::new();
        ciborium::into_writer(&r, &mut cbor).unwrap();
        assert!(cbor.len() < 4200, "CBOR of 4000 bytes took {}", cbor.len());
    }

    #[test]
    fn a_version_1_request_is_still_read_and_answered_in_its_own_shape() {
        let mut r = request();
        r.protocol = 1;
        assert_eq!(decode_request(&encode(&r)), Ok(r.clone()));
        let answer = SyncResponse {
            protocol: PROTOCOL_VERSION,
            acks: vec![Outcome::Stored { seq: 3 }],
            items: vec![],
            cursor: Cursor::default(),
            more: false,
            reset: false,
            number_blocks: vec![],
            reference: None,
        };
        let old = v1::from_v2(answer, &r.changes, vec![vec![5; 32]]);
        assert_eq!(old.protocol, 1);
        assert_eq!(
            old.acks,
            vec![v1::Ack { record: r.changes[0].record, hash: vec![5; 32], outcome: Outcome::Stored { seq: 3 } }]
        );
        assert_eq!(decode::<v1::SyncResponse>(&encode(&old)), Ok(old));
    }

    #[test]
    fn another_protocol_version_is_named_in_the_error() {
        let mut r = request();
        r.protocol = 7;
        assert_eq!(decode_request(&encode(&r)), Err(WireError::UnsupportedVersion(7)));
        #[derive(Serialize)]
        struct Future {
            protocol: u32,
            shape: &'static str,
        }
        assert_eq!(
            decode_request(&encode(&Future { protocol: 3, shape: "new" })),
            Err(WireError::UnsupportedVersion(3))
        );
    }

    #[test]
    fn garbage_and_bombs_are_refused_without_panicking() {
        assert!(matches!(decode_request(b"hello"), Err(WireError::Malformed(_))));
        assert!(matches!(decode_request(&[]), Err(WireError::Malformed(_))));
        let bomb = zstd::bulk::compress(&vec![0u8; MAX_BODY_BYTES + 10], 19).unwrap();
        assert_eq!(decode_request(&bomb), Err(WireError::TooLarge));
    }
}
