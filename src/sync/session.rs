//! One sync of a device as a state machine without I/O: it says which bytes to send, takes the
//! bytes that came back, and says when the sync is over. No network, no clock and no randomness
//! inside — the caller passes `now` (Unix milliseconds) and carries the bytes: over HTTP in
//! [`super::client::SyncClient::sync`], over a simulated network in the server's deterministic
//! simulation (`sync-server/tests/it/simulation.rs`). Both run this one loop.
//!
//! ```text
//!          ┌──────────── Again ◄──────────────────────────────┐
//!          ▼                                                  │
//! poll_request(store, now) ── request bytes ──► server ──► handle_response(store, bytes, now)
//!          ▲                        │ lost (timeout, dropped)                     │
//!          └────────────────────────┘                    Done: `last_sync_at` = now
//! ```
//!
//! - What goes out: the outbox cut to [`SessionConfig::outbox_bytes`], the stored cursor, the
//!   largest page wanted (it starts at [`FIRST_PAGE_BYTES`] and doubles while answers come back
//!   within [`FAST_ANSWER_MS`], up to [`SessionConfig::page_bytes`]; it halves when one takes
//!   longer than [`SLOW_ANSWER_MS`]: big pages on a LAN, small ones a dropped 2G link loses
//!   little of), and a request for a block of receipt numbers when fewer than
//!   [`SessionConfig::low_water`] are left for the financial year of `now`.
//! - An answer is applied with [`Store::apply_sync`]: acks, page and cursor in one transaction.
//! - The one stop rule: the server has no more pages and the outbox was whole — or it was cut
//!   and this answer settled none of it (the rest would not fare better now).
//! - A request whose answer never comes ([`SyncSession::lost`]) leaves the store as it was; the
//!   next request reads the outbox and the cursor from the store again, and the server answers
//!   `duplicate` for the changes it already took.

use super::wire::{self, NumberRequest, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use crate::Result;
use crate::domain::UnixMillis;
use crate::store::{Outbox, Store};

/// How much of a device's outbox goes in one request, by default.
pub const OUTBOX_BYTES: usize = 256 * 1024;

/// The largest page a session asks for, by default (the server's limit).
pub const PAGE_BYTES: u32 = 1024 * 1024;
/// The page a session asks for first; the smallest it asks for is a quarter of it.
pub const FIRST_PAGE_BYTES: u32 = 64 * 1024;
/// An answer this quick (milliseconds from request to answer) lets the next page double.
pub const FAST_ANSWER_MS: i64 = 1_500;
/// An answer this slow halves the next page.
pub const SLOW_ANSWER_MS: i64 = 6_000;

/// Receipt numbers, by default: ask for a block of `NUMBER_BLOCK` when fewer than `LOW_WATER`
/// are left.
pub const NUMBER_BLOCK: u32 = 100;
pub const LOW_WATER: u64 = 50;

/// The setting that keeps when the device last finished a sync (Unix milliseconds).
pub const LAST_SYNC_AT: &str = "last_sync_at";

/// What a session asks the server for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// About how many bytes of changes one request carries (at least one record's changes).
    pub outbox_bytes: usize,
    /// The largest page of received changes wanted in one answer (the server keeps it within
    /// its bounds); the session starts smaller and grows while answers come quickly.
    pub page_bytes: u32,
    /// Ask for receipt numbers when fewer than this many are left; 0 never asks.
    pub low_water: u64,
    /// How many receipt numbers to ask for at a time.
    pub number_block: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            outbox_bytes: OUTBOX_BYTES,
            page_bytes: PAGE_BYTES,
            low_water: LOW_WATER,
            number_block: NUMBER_BLOCK,
        }
    }
}

/// Totals of one sync, for the sync bar and logs: the exchanges that were answered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub requests: usize,
    pub pushed: usize,
    pub confirmed: usize,
    pub rejected: usize,
    pub received: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
}

/// What the caller does after an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Ask [`SyncSession::poll_request`] for the next request.
    Again,
    /// The sync is over: the server has this device's changes and the device has every page.
    Done,
}

/// The request waiting for its answer.
#[derive(Debug)]
struct InFlight {
    outbox: Outbox,
    bytes_sent: usize,
    asked_at: UnixMillis,
}

/// One sync of a device: requests out, answers in, until the stop rule says it is over.
#[derive(Debug)]
pub struct SyncSession {
    config: SessionConfig,
    in_flight: Option<InFlight>,
    report: SyncReport,
    done: bool,
    /// The page size the next request asks for.
    page_bytes: u32,
    /// The reference data's tag as the last answer gave it.
    reference: Option<String>,
}

impl SyncSession {
    pub fn new(config: SessionConfig) -> SyncSession {
        let page_bytes = FIRST_PAGE_BYTES.min(config.page_bytes);
        SyncSession { config, in_flight: None, report: SyncReport::default(), done: false, page_bytes, reference: None }
    }

    /// The next request's bytes (`wire::encode` of a [`SyncRequest`]), or `None` once the
    /// session has finished. Reads the outbox and the cursor from `store`, and marks the
    /// records sent as waiting. Asking again before an answer came gives the request in
    /// flight up, as [`SyncSession::lost`] does.
    pub fn poll_request(&mut self, store: &mut Store, now: UnixMillis) -> Result<Option<Vec<u8>>> {
        self.in_flight = None;
        if self.done {
            return Ok(None);
        }
        let mut outbox = store.outbox(self.config.outbox_bytes)?;
        let want_numbers = self.numbers_wanted(store, now)?;
        let request = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: store.cursor()?,
            changes: std::mem::take(&mut outbox.changes),
            max_page_bytes: Some(self.page_bytes),
            want_numbers,
        };
        let bytes = wire::encode(&request);
        outbox.changes = request.changes;
        self.in_flight = Some(InFlight { outbox, bytes_sent: bytes.len(), asked_at: now });
        Ok(Some(bytes))
    }

    /// A block of receipt numbers when fewer than the low-water mark are left for the
    /// financial year of `now`.
    fn numbers_wanted(&self, store: &Store, now: UnixMillis) -> Result<Option<NumberRequest>> {
        let fy = crate::calendar::financial_year(now);
        let low = store.numbers_left(&fy)? < self.config.low_water;
        Ok(low.then_some(NumberRequest { fy, count: self.config.number_block }))
    }

    /// Applies the server's answer to the request in flight and says whether to go on. When
    /// the sync is over it records `now` as [`LAST_SYNC_AT`].
    ///
    /// An answer with no request in flight (it came after [`SyncSession::lost`] or a newer
    /// request) is late and is not applied: the store may have moved on since it was asked
    /// for, and its cursor would take the device back.
    ///
    /// Bytes that are not an answer are an error, and the request counts as lost.
    pub fn handle_response(&mut self, store: &mut Store, bytes: &[u8], now: UnixMillis) -> Result<Progress> {
        let Some(InFlight { outbox, bytes_sent, asked_at }) = self.in_flight.take() else {
            return Ok(self.progress());
        };
        let response: SyncResponse = wire::decode(bytes)?;
        let applied = store.apply_sync(&outbox, &response, now)?;
        self.pace(now - asked_at);
        if response.reference.is_some() {
            self.reference = response.reference.clone();
        }
        let report = &mut self.report;
        report.requests += 1;
        report.pushed += outbox.changes.len();
        report.confirmed += applied.confirmed;
        report.rejected += applied.rejected;
        report.received += applied.received;
        report.bytes_sent += bytes_sent;
        report.bytes_received += bytes.len();
        let progressed = applied.confirmed + applied.rejected > 0 || outbox.changes.is_empty();
        if !response.more && (outbox.complete || !progressed) {
            store.set_setting(LAST_SYNC_AT, &now.to_string())?;
            self.done = true;
        }
        Ok(self.progress())
    }

    /// The next page's size after an answer that took `answer_ms`.
    fn pace(&mut self, answer_ms: i64) {
        let floor = (FIRST_PAGE_BYTES / 4).min(self.config.page_bytes);
        if answer_ms <= FAST_ANSWER_MS {
            self.page_bytes = self.page_bytes.saturating_mul(2).min(self.config.page_bytes);
        } else if answer_ms > SLOW_ANSWER_MS {
            self.page_bytes = (self.page_bytes / 2).max(floor);
        }
    }

    /// The ETag of the town's reference data as the server last named it (`None` from a server
    /// that does not say): the caller fetches the data when its copy's tag differs.
    pub fn reference_tag(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// The page size the next request asks for.
    pub fn page_bytes(&self) -> u32 {
        self.page_bytes
    }

    /// The request in flight will not be answered (a timeout, a dropped connection): nothing
    /// of it was applied, and the next request starts again from the store.
    pub fn lost(&mut self) {
        self.in_flight = None;
    }

    fn progress(&self) -> Progress {
        if self.done { Progress::Done } else { Progress::Again }
    }

    /// Whether the sync is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The totals so far.
    pub fn report(&self) -> &SyncReport {
        &self.report
    }
}
