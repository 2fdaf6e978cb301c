//! Photos and other attachments: blobs named by the SHA-256 of their bytes, uploaded in pieces
//! that survive a dropped connection.
//!
//! On disk: `<blob dir>/<town>/ab/cdef…` once complete and verified, `…​.part` while bytes are
//! still arriving. A town's blobs live under its own directory, so a device can only ever ask
//! about (or add to) its own town's blobs.
//!
//! Protocol (`HEAD` / `PUT /v1/blobs/{sha256}`, see `routes.rs`): the device asks how many
//! bytes the server has, then sends the rest with `Content-Range: bytes START-END/TOTAL`
//! starting exactly there. The server keeps every byte that arrives, also of a request that is
//! cut half-way, so a retry never sends again what the server already has. When the last byte
//! arrives the server hashes the file: a match makes it complete, a mismatch discards it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use sha2::{Digest, Sha256};
use std::io::Write;

use crate::error::AppError;

/// The largest blob a device may upload (a photo, downscaled on the device).
pub const MAX_BLOB_BYTES: u64 = 20 * 1024 * 1024;

/// How long the server waits for the next piece of a request body before treating the
/// connection as dropped (and keeping what arrived).
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a blob stands on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobState {
    /// Nothing received yet.
    Missing,
    /// This many bytes received, not yet verified.
    Partial(u64),
    /// All bytes received and their SHA-256 matches the name; the size.
    Complete(u64),
}

/// The bytes of one `PUT`: where they start, where they end (exclusive) and the blob's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: u64,
    pub total: u64,
}

impl Range {
    /// `bytes START-END/TOTAL` (END inclusive, as in HTTP).
    pub fn parse_content_range(value: &str) -> Result<Range, AppError> {
        let bad = || AppError::BadRequest(format!("Content-Range {value:?} is not bytes START-END/TOTAL"));
        let rest = value.trim().strip_prefix("bytes ").ok_or_else(bad)?;
        let (span, total) = rest.split_once('/').ok_or_else(bad)?;
        let (start, last) = span.split_once('-').ok_or_else(bad)?;
        let (start, last, total): (u64, u64, u64) = (
            start.trim().parse().map_err(|_| bad())?,
            last.trim().parse().map_err(|_| bad())?,
            total.trim().parse().map_err(|_| bad())?,
        );
        if last < start || last >= total {
            return Err(bad());
        }
        Ok(Range { start, end: last + 1, total })
    }
}

/// The blob directory of a server and the locks that keep two requests for one blob apart.
///
/// A request takes its blob's lock ([`BlobStore::hold`]) as soon as it arrives, before the
/// device's token is checked: a request that is cut right after its headers still holds the
/// lock when the device's retry asks how much the server has, so the answer counts the bytes
/// the cut request delivered. (Keyed by name only: two towns uploading the same bytes at the
/// same moment merely wait for each other.)
/// A blob's lock, held (see [`BlobStore::hold`]).
pub struct Held(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);

#[derive(Debug)]
pub struct BlobStore {
    dir: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A SHA-256 in lowercase hex, or a bad request.
pub fn check_name(sha256: &str) -> Result<(), AppError> {
    if sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(AppError::BadRequest("a blob is named by its SHA-256 in 64 lowercase hex digits".into()))
    }
}

impl BlobStore {
    pub fn new(dir: impl Into<PathBuf>) -> BlobStore {
        BlobStore { dir: dir.into(), locks: Mutex::new(HashMap::new()) }
    }

    /// The directory holding every town's blobs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a complete blob of `tenant` (whether or not it exists).
    pub fn path(&self, tenant: &str, sha256: &str) -> PathBuf {
        self.dir.join(tenant_dir(tenant)).join(&sha256[..2]).join(&sha256[2..])
    }

    fn part_path(&self, tenant: &str, sha256: &str) -> PathBuf {
        let mut path = self.path(tenant, sha256).into_os_string();
        path.push(".part");
        path.into()
    }

    /// Waits for and takes the lock of the blob `sha256`; `state` and `append` need it held.
    pub async fn hold(&self, sha256: &str) -> Result<Held, AppError> {
        check_name(sha256)?;
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            // Forget locks nobody holds or waits for, so the map does not grow with every blob.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            locks.entry(sha256.to_string()).or_default().clone()
        };
        Ok(Held(lock.lock_owned().await))
    }

    /// File work here is plain `std::fs`: small appends of a piece already in memory.
    async fn state_unlocked(&self, tenant: &str, sha256: &str) -> Result<BlobState, AppError> {
        if let Ok(meta) = std::fs::metadata(self.path(tenant, sha256)) {
            return Ok(BlobState::Complete(meta.len()));
        }
        match std::fs::metadata(self.part_path(tenant, sha256)) {
            Ok(meta) => Ok(BlobState::Partial(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BlobState::Missing),
            Err(e) => Err(io(e)),
        }
    }

    /// How much of a blob the server has. Waits for a request still writing to it, so the
    /// answer counts every byte of a request that was just cut.
    pub async fn state(&self, _held: &Held, tenant: &str, sha256: &str) -> Result<BlobState, AppError> {
        check_name(sha256)?;
        self.state_unlocked(tenant, sha256).await
    }

    /// Appends the body from `range.start`, which must not be past the bytes the server has
    /// (bytes it already has are skipped).
    /// Keeps what arrives even when the body is cut; verifies the hash after the last byte.
    pub async fn append(
        &self,
        _held: &Held,
        tenant: &str,
        sha256: &str,
        range: Range,
        body: Body,
    ) -> Result<BlobState, AppError> {
        check_name(sha256)?;
        if range.total > MAX_BLOB_BYTES {
            return Err(AppError::BlobTooLarge { limit: MAX_BLOB_BYTES });
        }
        let have = match admit(self.state_unlocked(tenant, sha256).await?, range)? {
            Admit::Answer(state) => return Ok(state),
            Admit::AppendAfter(have) => have,
        };
        let part = self.part_path(tenant, sha256);
        if let Some(parent) = part.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&part).map_err(io)?;
        let mut body = body;
        let mut piece = Piece::new(range, have);
        while piece.wants_more() {
            let frame =
                tokio::time::timeout(READ_TIMEOUT, std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)));
            let data = match frame.await {
                Ok(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => data,
                    Err(_) => continue,
                },
                // The end of the body, a dropped connection or silence: keep what arrived.
                Ok(None) | Ok(Some(Err(_))) | Err(_) => break,
            };
            let keep = piece.take(&data);
            if !keep.is_empty() {
                file.write_all(keep).map_err(io)?;
            }
        }
        file.flush().map_err(io)?;
        drop(file);
        let at = piece.file_len();
        if at < range.total {
            return Ok(BlobState::Partial(at));
        }
        // The last byte is here: the name must be the hash of the whole file.
        let (done, name) = (self.path(tenant, sha256), sha256.to_string());
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&part).map_err(io)?;
            if !verified(&bytes, range.total, &name) {
                std::fs::remove_file(&part).map_err(io)?;
                return Err(AppError::HashMismatch);
            }
            std::fs::File::open(&part).and_then(|f| f.sync_all()).map_err(io)?;
            std::fs::rename(&part, &done).map_err(io)?;
            Ok(BlobState::Complete(range.total))
        })
        .await?
    }
}

/// What a piece may do given what the server has: answer at once, or append after `have`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Nothing to write: the blob is complete, or the piece holds only bytes the server has.
    Answer(BlobState),
    /// Append the piece's bytes after the `have` bytes the server has.
    AppendAfter(u64),
}

/// Decides what a piece covering `range` does when the server's blob is in `state`. A piece
/// may start before what the server has (a retry that raced the end of a cut request): those
/// bytes are skipped. A piece starting after it would leave a gap: refused.
pub fn admit(state: BlobState, range: Range) -> Result<Admit, AppError> {
    let have = match state {
        BlobState::Complete(size) => return Ok(Admit::Answer(BlobState::Complete(size))),
        BlobState::Partial(n) => n,
        BlobState::Missing => 0,
    };
    if range.start > have {
        return Err(AppError::UploadOffset { have });
    }
    if range.end <= have {
        return Ok(Admit::Answer(BlobState::Partial(have)));
    }
    Ok(Admit::AppendAfter(have))
}

/// The body of one admitted piece arriving frame by frame, without I/O: which bytes of each
/// frame go to the end of the file so that the file stays the blob's first bytes.
#[derive(Clone, Copy, Debug)]
pub struct Piece {
    /// The blob offset of the next body byte.
    pos: u64,
    /// How many bytes the file has.
    at: u64,
    /// The piece's end (exclusive).
    end: u64,
}

impl Piece {
    pub fn new(range: Range, have: u64) -> Piece {
        Piece { pos: range.start, at: have, end: range.end }
    }

    /// The file does not yet hold the piece's last byte.
    pub fn wants_more(&self) -> bool {
        self.at < self.end
    }

    /// The part of the next frame to append (empty when the frame holds only bytes the file
    /// has, or only bytes past the piece's end).
    pub fn take<'a>(&mut self, frame: &'a [u8]) -> &'a [u8] {
        let from = (self.at.saturating_sub(self.pos)).min(frame.len() as u64) as usize;
        let to = (frame.len() as u64).min(self.end.saturating_sub(self.pos)) as usize;
        self.pos = self.pos.saturating_add(frame.len() as u64);
        if from < to {
            self.at += (to - from) as u64;
            &frame[from..to]
        } else {
            &[]
        }
    }

    /// How many bytes the file holds after the frames taken so far.
    pub fn file_len(&self) -> u64 {
        self.at
    }
}

/// The last byte is here: the file is the blob only if it has `total` bytes hashing to `name`.
pub fn verified(bytes: &[u8], total: u64, name: &str) -> bool {
    bytes.len() as u64 == total && hex::encode(Sha256::digest(bytes)) == name
}

/// A town's directory name: its id, which `tenant add` keeps to letters, digits and dots;
/// anything else is escaped so no id can climb out of the blob directory.
fn tenant_dir(tenant: &str) -> String {
    let safe = !tenant.is_empty()
        && !tenant.starts_with('.')
        && tenant.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if safe { tenant.to_string() } else { format!("_{}", hex::encode(tenant)) }
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("blob storage: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_parsed_and_checked() {
        assert_eq!(Range::parse_content_range("bytes 0-9/100").unwrap(), Range { start: 0, end: 10, total: 100 });
        assert_eq!(Range::parse_content_range("bytes 90-99/100").unwrap(), Range { start: 90, end: 100, total: 100 });
        for bad in ["bytes 0-100/100", "bytes 5-4/100", "0-9/100", "bytes 0-9", "bytes a-9/100", "bytes */100"] {
            assert!(Range::parse_content_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_hex_sha256_and_towns_stay_in_their_directory() {
        assert!(check_name(&"ab".repeat(32)).is_ok());
        assert!(check_name(&"AB".repeat(32)).is_err());
        assert!(check_name("../../etc/passwd").is_err());
        assert_eq!(tenant_dir("pb.nabha"), "pb.nabha");
        assert!(tenant_dir("..").starts_with('_'));
        assert!(tenant_dir("a/b").starts_with('_'));
    }
}
