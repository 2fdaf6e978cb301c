//! Quotas and expiry: what a device can leave on the server is bounded and eventually goes.
//!
//! - Parked changes (waiting for dependencies that may never come) are at most
//!   [`parked_per_device`] per device — beyond it a change is refused `parked_limit` — and are
//!   deleted once older than `Settings::parked_max_age`.
//! - A blob is kept for good only once a stored record names it: `record_blobs` holds the
//!   (town, SHA-256) names of every stored record, written in the record's own transaction
//!   ([`name_blobs`]). A complete blob nobody names is deleted after `Settings::blob_grace`, a
//!   partial upload untouched for `Settings::partial_max_age`.
//!
//! [`collect`] runs one collection; `wardbook-server gc` runs it once, `serve` periodically.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use wardbook::domain::Record;
use wardbook::sync::wire::Outcome;

use crate::blobs::check_name;
use crate::error::AppError;
use crate::params;
use crate::routes::AppState;
use crate::store::{Scope, ServerStore, Sql, transact};

/// The bound on parked changes per device for this process (`serve --parked-per-device`).
static PARKED_PER_DEVICE: AtomicU64 = AtomicU64::new(1000);

/// Sets the bound on parked changes per device for this process.
pub fn set_parked_per_device(limit: u64) {
    PARKED_PER_DEVICE.store(limit, Ordering::Relaxed);
}

/// The bound on parked changes per device.
pub fn parked_per_device() -> u64 {
    PARKED_PER_DEVICE.load(Ordering::Relaxed)
}

/// The refusal of a change that would park beyond its device's bound, if it would.
pub fn parked_refusal(sql: &mut dyn Sql, tenant: &str, device: &str) -> Result<Option<Outcome>, AppError> {
    let limit = parked_per_device();
    let parked = sql
        .row("SELECT COUNT(*) FROM parked WHERE tenant = ?1 AND device = ?2", params![tenant, device])?
        .map_or(Ok(0), |r| r.int(0))?;
    if (parked as u64) < limit {
        return Ok(None);
    }
    Ok(Some(Outcome::Rejected {
        code: "parked_limit".into(),
        reason: format!(
            "this device already has {parked} changes waiting for their dependencies (at most {limit}); send the \
             changes they depend on first"
        ),
    }))
}

/// Writes the photos `record` names as its rows of `record_blobs`, in the caller's transaction
/// (the one that stores the record).
pub fn name_blobs(sql: &mut dyn Sql, tenant: &str, record: &Record) -> Result<(), AppError> {
    let id = record.id.to_string();
    sql.exec("DELETE FROM record_blobs WHERE tenant = ?1 AND record = ?2", params![tenant, &id])?;
    for photo in record.photos() {
        sql.exec(
            "INSERT INTO record_blobs (tenant, record, sha256) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![tenant, &id, &photo.sha256],
        )?;
    }
    Ok(())
}

const NAMES_FILLED: &str = "record_blobs_filled";

/// Fills `record_blobs` once for records stored before it existed; returns how many records
/// were read. Runs in batches, one transaction each.
pub fn backfill_names(store: &dyn ServerStore) -> Result<u64, AppError> {
    let done = transact(store, &Scope::Admin, |sql| {
        sql.exists("SELECT 1 FROM gc_state WHERE key = ?1", params![NAMES_FILLED])
    })?;
    if done {
        return Ok(0);
    }
    let (mut after, mut read) = ((String::new(), String::new()), 0u64);
    loop {
        let from = after.clone();
        let batch = transact(store, &Scope::Admin, move |sql| {
            let rows = sql.rows(
                "SELECT tenant, id, doc FROM records WHERE tenant > ?1 OR (tenant = ?1 AND id > ?2)
                 ORDER BY tenant, id LIMIT 200",
                params![&from.0, &from.1],
            )?;
            let mut last = None;
            for row in &rows {
                let (tenant, id) = (row.text(0)?, row.text(1)?);
                let record = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(2)?, &[]).and_then(|d| d.record());
                if let Ok(record) = record {
                    name_blobs(sql, &tenant, &record)?;
                }
                last = Some((tenant, id));
            }
            if last.is_none() {
                sql.exec(
                    "INSERT INTO gc_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                    params![NAMES_FILLED, crate::db::now_ms()],
                )?;
            }
            Ok((rows.len() as u64, last))
        })?;
        read += batch.0;
        match batch.1 {
            Some(last) => after = last,
            None => return Ok(read),
        }
    }
}

/// What one collection removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    pub parked_expired: u64,
    pub blobs_deleted: u64,
    pub partials_deleted: u64,
    pub bytes_freed: u64,
    pub records_named: u64,
}

impl std::fmt::Display for Collected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "expired {} parked changes; deleted {} unnamed blobs and {} stale partial uploads ({} bytes)",
            self.parked_expired, self.blobs_deleted, self.partials_deleted, self.bytes_freed
        )?;
        if self.records_named > 0 {
            write!(f, "; read the photo names of {} records stored before this version", self.records_named)?;
        }
        Ok(())
    }
}

/// A file in the blob directory that may be collected.
struct Candidate {
    tenant: String,
    sha256: String,
    path: PathBuf,
    partial: bool,
}

fn age(path: &Path) -> Option<Duration> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(SystemTime::now().duration_since(modified).unwrap_or_default())
}

/// The town a blob directory belongs to (see `blobs::tenant_dir`).
fn town_of(dir_name: &str) -> Option<String> {
    match dir_name.strip_prefix('_') {
        Some(hexed) => String::from_utf8(hex::decode(hexed).ok()?).ok(),
        None => Some(dir_name.to_string()),
    }
}

/// Every blob file past its age: complete ones past `grace`, partial ones past `partial_age`.
fn candidates(dir: &Path, grace: Duration, partial_age: Duration) -> Vec<Candidate> {
    let mut out = Vec::new();
    let entries = |d: &Path| std::fs::read_dir(d).into_iter().flatten().flatten();
    for town in entries(dir) {
        let Some(tenant) = town.file_name().to_str().and_then(town_of) else { continue };
        for prefix in entries(&town.path()) {
            let Some(prefix_name) = prefix.file_name().to_str().map(str::to_string) else { continue };
            for file in entries(&prefix.path()) {
                let Some(name) = file.file_name().to_str().map(str::to_string) else { continue };
                let (rest, partial) = match name.strip_suffix(".part") {
                    Some(rest) => (rest.to_string(), true),
                    None => (name, false),
                };
                let sha256 = format!("{prefix_name}{rest}");
                if check_name(&sha256).is_err() {
                    continue;
                }
                let path = file.path();
                let limit = if partial { partial_age } else { grace };
                if age(&path).is_some_and(|a| a >= limit) {
                    out.push(Candidate { tenant: tenant.clone(), sha256, path, partial });
                }
            }
        }
    }
    out
}

/// Runs one collection with the state's settings; counts what it removed in its metrics.
pub async fn collect(state: &AppState) -> Result<Collected, AppError> {
    let settings = state.settings.clone();
    let store = state.store.clone();
    let mut done = Collected {
        records_named: tokio::task::spawn_blocking(move || backfill_names(&*store)).await??,
        ..Collected::default()
    };
    let cutoff = crate::db::now_ms().saturating_sub(settings.parked_max_age.as_millis() as i64);
    done.parked_expired = state
        .run(Scope::Admin, move |sql| sql.exec("DELETE FROM parked WHERE received_at < ?1", params![cutoff]))
        .await?;
    state.metrics.parked_expired.inc_by(done.parked_expired);

    let dir = state.blobs.dir().to_path_buf();
    let (grace, partial_age) = (settings.blob_grace, settings.partial_max_age);
    let found = tokio::task::spawn_blocking(move || candidates(&dir, grace, partial_age)).await?;
    for c in found {
        // Under the blob's lock: no upload of it runs while it is judged and removed.
        let _held = state.blobs.hold(&c.sha256).await?;
        let limit = if c.partial { partial_age } else { grace };
        let Some(size) = std::fs::metadata(&c.path).ok().filter(|_| age(&c.path).is_some_and(|a| a >= limit)) else {
            continue;
        };
        let (tenant, sha256, path, partial) = (c.tenant.clone(), c.sha256.clone(), c.path.clone(), c.partial);
        let removed = state
            .run(Scope::Admin, move |sql| {
                if !partial {
                    // Every push that stores a record locks its town's row first: holding it
                    // here, no record naming this blob can commit between the check and the
                    // removal.
                    sql.exec("UPDATE tenants SET next_seq = next_seq WHERE id = ?1", params![&tenant])?;
                    let named = sql.exists(
                        "SELECT 1 FROM record_blobs WHERE tenant = ?1 AND sha256 = ?2",
                        params![&tenant, &sha256],
                    )?;
                    if named {
                        return Ok(false);
                    }
                }
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(AppError::Internal(format!("removing {}: {e}", path.display()))),
                }
            })
            .await?;
        if !removed {
            continue;
        }
        tracing::info!(tenant = %c.tenant, sha256 = %c.sha256, partial = c.partial, "blob collected");
        done.bytes_freed += size.len();
        if c.partial {
            done.partials_deleted += 1;
            state.metrics.partials_collected.inc();
        } else {
            done.blobs_deleted += 1;
            state.metrics.blobs_collected.inc();
        }
    }
    Ok(done)
}

/// Runs [`collect`] now and then every `Settings::gc_interval`, logging what it removed.
pub fn spawn_periodic(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.settings.gc_interval.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match collect(&state).await {
                Ok(done) => tracing::info!(%done, "gc"),
                Err(e) => tracing::error!(error = ?e, "gc failed"),
            }
        }
    })
}
