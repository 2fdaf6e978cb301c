//! Photos on the device, by SHA-256: the upload copy and thumbnail [`crate::photo::prepare`]
//! makes, the EXIF place and time, and whether the server has confirmed the bytes.
//!
//! A photo's name (the `sha256` of its [`PhotoRef`]) is the SHA-256 of its **upload copy** —
//! the downscaled JPEG — because that is what the server receives and verifies: the name a
//! record carries is the name the server checks. The camera's own bytes are hashed too, only to
//! find a photo added twice.
//!
//! "Photo waiting": a photo a record names that this device holds and the server has not yet
//! confirmed. Photos that arrived in other devices' records are not on this device and are not
//! counted (their own device shows them waiting). Record sync never looks at this table.

use crate::store::exec;
use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use crate::domain::{GeoPoint, PhotoRef, Record, UnixMillis};
use crate::ids::RecordId;
use crate::photo::sha256_hex;
use crate::{Error, Result};

impl Store {
    /// Takes a photo (JPEG or PNG bytes from the camera or gallery): reads its EXIF place and
    /// time, makes the upload copy (longest side ≤ 1600 px) and the thumbnail, and keeps both
    /// under the upload copy's SHA-256. Bytes that are not a usable image are refused
    /// ([`Error::Photo`]) and nothing is stored. Adding the same file again returns the photo
    /// already kept. Attach the returned [`PhotoRef`] to a record to have it uploaded.
    pub fn add_photo(&mut self, bytes: &[u8], now: UnixMillis) -> Result<PhotoRef> {
        // Looked up first: a photo added again is not read and scaled again.
        if let Some(found) = self.photo_by_original(&sha256_hex(bytes))? {
            return Ok(found);
        }
        self.insert_photo(crate::photo::take(bytes)?, now)
    }

    /// Keeps a photo read by [`crate::photo::take`] (which needs no store, so the app reads the
    /// pixels without holding the session); a photo whose file was added before is returned as
    /// it was kept.
    pub fn keep_photo(&mut self, photo: crate::photo::TakenPhoto, now: UnixMillis) -> Result<PhotoRef> {
        if let Some(found) = self.photo_by_original(&photo.original)? {
            return Ok(found);
        }
        self.insert_photo(photo, now)
    }

    fn insert_photo(&mut self, photo: crate::photo::TakenPhoto, now: UnixMillis) -> Result<PhotoRef> {
        let crate::photo::TakenPhoto { original, prepared } = photo;
        let sha256 = sha256_hex(&prepared.upload);
        let location = prepared.exif.location.clone();
        exec(
            &self.conn,
            "INSERT INTO photos (sha256, original_sha256, taken_at, lat, lon, accuracy_m, width, height, upload,
                                 thumbnail, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (sha256) DO NOTHING",
            params![
                sha256,
                original,
                prepared.exif.taken_at,
                location.as_ref().map(|p| p.lat),
                location.as_ref().map(|p| p.lon),
                location.as_ref().and_then(|p| p.accuracy_m),
                prepared.width,
                prepared.height,
                prepared.upload,
                prepared.thumbnail,
                now
            ],
        )?;
        Ok(PhotoRef { sha256, taken_at: prepared.exif.taken_at, location })
    }

    fn photo_by_original(&self, original: &str) -> Result<Option<PhotoRef>> {
        let row = self
            .conn
            .query_row(
                "SELECT sha256, taken_at, lat, lon, accuracy_m FROM photos WHERE original_sha256 = ?1 LIMIT 1",
                [original],
                |r| {
                    let location = match (r.get::<_, Option<f64>>(2)?, r.get::<_, Option<f64>>(3)?) {
                        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon, accuracy_m: r.get(4)? }),
                        _ => None,
                    };
                    Ok(PhotoRef { sha256: r.get(0)?, taken_at: r.get(1)?, location })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// The thumbnail (JPEG, longest side ≤ 256 px) of a photo kept on this device.
    pub fn photo_thumbnail(&self, sha256: &str) -> Result<Vec<u8>> {
        self.photo_blob("thumbnail", sha256)
    }

    /// The upload copy of a photo kept on this device: the bytes its SHA-256 names.
    pub fn photo_bytes(&self, sha256: &str) -> Result<Vec<u8>> {
        self.photo_blob("upload", sha256)
    }

    fn photo_blob(&self, column: &str, sha256: &str) -> Result<Vec<u8>> {
        let sql = format!("SELECT {column} FROM photos WHERE sha256 = ?1");
        self.conn
            .query_row(&sql, [sha256], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::PhotoNotFound(sha256.to_string()))
    }

    /// Photos named by `record` (or by any record, for `None`) that are kept on this device and
    /// not yet confirmed by the server: the "photo waiting" badge.
    pub fn photos_waiting(&self, record: Option<RecordId>) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(DISTINCT p.sha256) FROM record_photos rp JOIN photos p ON p.sha256 = rp.sha256
             WHERE p.uploaded_at IS NULL AND (?1 IS NULL OR rp.record_id = ?1)",
            [record.map(|r| r.to_string())],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Photos still to upload, the ones records name first, oldest first.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT p.sha256 FROM photos p WHERE p.uploaded_at IS NULL
             ORDER BY NOT EXISTS (SELECT 1 FROM record_photos rp WHERE rp.sha256 = p.sha256), p.added_at, p.sha256",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(rows)
    }

    /// Records that the server confirmed it holds the photo `sha256` (its hash verified).
    pub fn mark_photo_uploaded(&mut self, sha256: &str, now: UnixMillis) -> Result<()> {
        let n = exec(
            &self.conn,
            "UPDATE photos SET uploaded_at = COALESCE(uploaded_at, ?2) WHERE sha256 = ?1",
            params![sha256, now],
        )?;
        if n == 0 {
            return Err(Error::PhotoNotFound(sha256.to_string()));
        }
        Ok(())
    }
}

/// Rewrites which photos `record` names, inside the transaction that writes its columns.
pub(crate) fn index_record_photos(conn: &Connection, key: &str, record: &Record) -> Result<()> {
    exec(conn, "DELETE FROM record_photos WHERE record_id = ?1", [key])?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO record_photos (record_id, sha256) VALUES (?1, ?2)")?;
    for photo in record.photos() {
        insert.execute(params![key, photo.sha256])?;
    }
    Ok(())
}
