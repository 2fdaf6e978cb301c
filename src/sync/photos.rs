//! Uploading photos over a link that drops: blobs named by their SHA-256, sent in pieces the
//! server keeps, resumed from where the server is after any failure.
//!
//! ```text
//! HEAD /v1/blobs/{sha256} ──► have N (or 404: none, or complete)
//! PUT  /v1/blobs/{sha256}  Content-Range: bytes N-(N+chunk-1)/TOTAL ──► have N+chunk ... complete
//!   └─ cut half-way? ──► HEAD again (the server kept what arrived) ──► PUT from there
//! ```
//!
//! The server verifies the hash when the last byte arrives; nothing already on the server is
//! sent again, so a photo costs its size plus the headers of a few requests, however often the
//! connection drops.

use std::path::Path;
use std::time::Duration;

use super::client::Backoff;
use crate::wire::ErrorBody;
use crate::{Error, Result};

/// The piece of a photo one `PUT` carries.
pub const DEFAULT_CHUNK_BYTES: usize = 16 * 1024;

pub use crate::photo::sha256_hex;

/// What one upload cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UploadReport {
    /// Body bytes handed to the network (a piece cut half-way counts in full).
    pub sent_bytes: u64,
    /// HTTP requests made (`HEAD` and `PUT`), failed ones included.
    pub requests: usize,
    /// Failed requests (dropped connections, timeouts, server errors) that were retried.
    pub retries: usize,
    /// True when the server already had the whole photo.
    pub already_there: bool,
}

/// Where the server is with a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Have {
    Bytes(u64),
    Complete,
}

/// Uploads blobs of this device's town to its server.
#[derive(Clone, Debug)]
pub struct PhotoUploader {
    http: reqwest::Client,
    server: String,
    token: String,
    /// Bytes per `PUT`.
    pub chunk_bytes: usize,
    /// Failed requests in a row, without the server gaining a byte, before giving up.
    pub max_failures: u32,
    /// First wait after a failure (doubling, with jitter, up to `retry_max`).
    pub retry_base: Duration,
    pub retry_max: Duration,
}

fn offline(e: reqwest::Error) -> Error {
    Error::Offline(e.to_string())
}

async fn error_of(response: reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    let body: ErrorBody = serde_json::from_slice(&bytes).unwrap_or(ErrorBody {
        code: if status == 404 { "not_found".into() } else { "unknown".into() },
        message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
    });
    if status == 401 || status == 403 {
        Error::Unauthorized { code: body.code, message: body.message }
    } else {
        Error::Server { status, code: body.code, message: body.message }
    }
}

/// The most bytes a thumbnail from the server may have (it makes them ≤ 256 px on a side).
pub const MAX_THUMBNAIL_BYTES: usize = 256 * 1024;

/// The server's thumbnail of a photo another device took (`GET /v1/blobs/{sha256}/thumbnail`):
/// JPEG bytes, or `None` when the server has none this device may see (not uploaded yet, or
/// not named by a record in its scope). Anything but a small JPEG is refused.
pub async fn fetch_thumbnail(server: &str, token: &str, sha256: &str) -> Result<Option<Vec<u8>>> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("the HTTP client builds with fixed settings");
    let url = format!("{}/v1/blobs/{sha256}/thumbnail", server.trim_end_matches('/'));
    let response = http.get(url).bearer_auth(token).send().await.map_err(offline)?;
    if response.status().as_u16() == 404 {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(error_of(response).await);
    }
    let bytes = response.bytes().await.map_err(offline)?;
    if bytes.len() > MAX_THUMBNAIL_BYTES || !bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Err(Error::Photo(crate::photo::PhotoError::UnsupportedFormat));
    }
    Ok(Some(bytes.to_vec()))
}

/// Worth trying again: the link, a timeout, or a server that failed or moved on meanwhile.
fn retryable(e: &Error) -> bool {
    match e {
        Error::Offline(_) => true,
        Error::Server { status, .. } => *status == 409 || *status == 408 || *status >= 500,
        _ => false,
    }
}

impl PhotoUploader {
    /// An uploader for `server` (e.g. `http://127.0.0.1:8480`) with this device's token.
    pub fn new(server: &str, token: &str) -> PhotoUploader {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(120))
            .build()
            .expect("the HTTP client builds with fixed settings");
        PhotoUploader {
            http,
            server: server.trim_end_matches('/').to_string(),
            token: token.to_string(),
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            max_failures: 8,
            retry_base: Duration::from_millis(500),
            retry_max: Duration::from_secs(60),
        }
    }

    fn url(&self, sha256: &str) -> String {
        format!("{}/v1/blobs/{sha256}", self.server)
    }

    /// How many bytes of the blob the server has.
    async fn have(&self, sha256: &str) -> Result<Have> {
        let response = self.http.head(self.url(sha256)).bearer_auth(&self.token).send().await.map_err(offline)?;
        if response.status().as_u16() == 404 {
            return Ok(Have::Bytes(0));
        }
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        Ok(have_of(response.headers()))
    }

    /// Sends `bytes[start..end]` of a blob of `total` bytes.
    async fn put(&self, sha256: &str, bytes: &[u8], start: usize, end: usize) -> Result<Have> {
        let range = format!("bytes {start}-{}/{}", end - 1, bytes.len());
        let response = self
            .http
            .put(self.url(sha256))
            .bearer_auth(&self.token)
            .header("content-range", range)
            .header("content-type", "application/octet-stream")
            .body(bytes[start..end].to_vec())
            .send()
            .await
            .map_err(offline)?;
        if !response.status().is_success() {
            return Err(error_of(response).await);
        }
        Ok(have_of(response.headers()))
    }

    /// Reads a photo file and uploads it under its SHA-256 (which the caller names).
    pub async fn upload_file(&self, path: &Path, sha256: &str) -> Result<UploadReport> {
        let bytes =
            std::fs::read(path).map_err(|e| Error::File { path: path.display().to_string(), reason: e.to_string() })?;
        self.upload(&bytes, sha256).await
    }

    /// Uploads `bytes` as the blob `sha256` until the server has verified all of it: asks
    /// the server how much it has, sends the rest in pieces, and after any failure asks again
    /// and goes on from there. Gives up after `max_failures` failures in a row that brought no
    /// progress, or at once on an error that retrying cannot mend (a wrong hash, a refused
    /// token, too large).
    pub async fn upload(&self, bytes: &[u8], sha256: &str) -> Result<UploadReport> {
        let mut report = UploadReport::default();
        let mut backoff = Backoff::new(self.retry_base, self.retry_max);
        let mut failures = 0u32;
        let mut first = true;
        let chunk = self.chunk_bytes.max(1);
        let total = bytes.len();
        loop {
            report.requests += 1;
            let mut at = match self.have(sha256).await {
                Ok(Have::Complete) => {
                    report.already_there = first;
                    return Ok(report);
                }
                Ok(Have::Bytes(n)) => (n as usize).min(total),
                Err(e) if retryable(&e) => {
                    self.failed(&mut report, &mut failures, &mut backoff, e).await?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            first = false;
            loop {
                let end = (at + chunk).min(total);
                report.requests += 1;
                report.sent_bytes += (end - at) as u64;
                match self.put(sha256, bytes, at, end).await {
                    Ok(Have::Complete) => return Ok(report),
                    Ok(Have::Bytes(n)) => {
                        if n as usize > at {
                            failures = 0;
                            backoff.reset();
                        }
                        at = n as usize;
                        if at >= total {
                            // Every byte sent and not complete: the server lost track; ask.
                            break;
                        }
                    }
                    Err(e) if retryable(&e) => {
                        self.failed(&mut report, &mut failures, &mut backoff, e).await?;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Counts a failure, gives up after too many in a row, otherwise waits before the retry.
    async fn failed(
        &self,
        report: &mut UploadReport,
        failures: &mut u32,
        backoff: &mut Backoff,
        e: Error,
    ) -> Result<()> {
        report.retries += 1;
        *failures += 1;
        if *failures > self.max_failures {
            return Err(e);
        }
        tracing::debug!(error = %e, failures = *failures, "photo upload interrupted; resuming");
        let delay = backoff.next_delay(&mut rand::rng());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        Ok(())
    }
}

/// What [`upload_pending`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingReport {
    /// Photos the server confirmed (hash verified) in this run, now marked on the device.
    pub uploaded: Vec<String>,
    /// Of those, photos the server already had whole (nothing sent).
    pub already_there: usize,
    /// Photos that failed, with the reason; they stay waiting for the next run.
    pub failed: Vec<(String, String)>,
    /// Photos still waiting on the device after this run.
    pub still_waiting: usize,
    /// Body bytes sent and requests made, over all photos.
    pub sent_bytes: u64,
    pub requests: usize,
}

/// Uploads every photo the device holds and the server has not confirmed — those records
/// name first — each with [`PhotoUploader::upload`], and marks each one uploaded when the
/// server confirms its hash. Record sync never waits for this: run it on its own, whenever
/// there is a connection. A photo that fails stays waiting; a refused token stops the run
/// (`Err`), as does a link that stays down (the photos after it are not tried).
pub async fn upload_pending(store: &mut crate::store::Store, server: &str, token: &str) -> Result<PendingReport> {
    upload_pending_with(store, &PhotoUploader::new(server, token)).await
}

/// [`upload_pending`] with a configured uploader (chunk size, retries).
pub async fn upload_pending_with(store: &mut crate::store::Store, uploader: &PhotoUploader) -> Result<PendingReport> {
    let mut report = PendingReport::default();
    for sha256 in store.photos_to_upload()? {
        let bytes = store.photo_bytes(&sha256)?;
        match uploader.upload(&bytes, &sha256).await {
            Ok(one) => {
                report.sent_bytes += one.sent_bytes;
                report.requests += one.requests;
                report.already_there += usize::from(one.already_there);
                store.mark_photo_uploaded(&sha256, super::client::now_millis())?;
                report.uploaded.push(sha256);
            }
            Err(e @ Error::Unauthorized { .. }) => return Err(e),
            Err(e @ Error::Offline(_)) => {
                report.failed.push((sha256, e.to_string()));
                break;
            }
            Err(e) => report.failed.push((sha256, e.to_string())),
        }
    }
    report.still_waiting = store.photos_to_upload()?.len();
    Ok(report)
}

/// `Wardbook-Blob: complete`, or the bytes the server has (`Upload-Offset`, `Content-Length`).
fn have_of(headers: &reqwest::header::HeaderMap) -> Have {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("wardbook-blob") == Some("complete") {
        return Have::Complete;
    }
    let n = text("upload-offset").or_else(|| text("content-length")).and_then(|v| v.trim().parse().ok());
    Have::Bytes(n.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_hex_sha256() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn what_the_server_has_is_read_from_its_headers() {
        let mut headers = reqwest::header::HeaderMap::new();
        assert_eq!(have_of(&headers), Have::Bytes(0));
        headers.insert("content-length", "10".parse().unwrap());
        assert_eq!(have_of(&headers), Have::Bytes(10));
        headers.insert("upload-offset", "12".parse().unwrap());
        assert_eq!(have_of(&headers), Have::Bytes(12));
        headers.insert("wardbook-blob", "complete".parse().unwrap());
        assert_eq!(have_of(&headers), Have::Complete);
    }
}
