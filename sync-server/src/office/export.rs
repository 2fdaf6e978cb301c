//! Exports of the records list: `GET /office/export.{csv,geojson,xlsx}` with the list's own
//! filters ([`RecordFilter`]) and scope, walked with [`lists::each_record`] page by page (each
//! page in its own transaction), so no filtering of its own and never the whole result in
//! memory. CSV and GeoJSON rows go to the client as their page is read; the XLSX workbook is
//! written in rust_xlsxwriter's constant-memory mode (rows to a temporary file) and its bytes
//! streamed as the zip is written.
//!
//! Every format has the same columns: record id, kind, receipt number, ward, status, title,
//! assignee, last change (IST), amount in rupees (receipts), payer, mobile, latitude, longitude.

use std::collections::HashMap;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use automerge::AutoCommit;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use wardbook::document::read_record;
use wardbook::domain::access::Scope;
use wardbook::domain::{Body as RecordBody, GeoPoint, Paise};

use super::lists::{self, Cursor, FoundRecord, RecordFilter};
use super::{Request, office_auth, photo_check, town_scope};
use crate::error::AppError;
use crate::routes::AppState;
use crate::store::{ServerStore, transact};

/// Rows of the records table read per transaction.
const PAGE: usize = 500;
/// Bytes gathered before they go to the client.
const CHUNK: usize = 64 * 1024;

/// The columns of every export, in order.
pub const COLUMNS: [&str; 13] = [
    "record_id",
    "kind",
    "number",
    "ward",
    "status",
    "title",
    "assignee",
    "updated_ist",
    "amount_rupees",
    "payer",
    "mobile",
    "latitude",
    "longitude",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    GeoJson,
    Xlsx,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::GeoJson => "geojson",
            Format::Xlsx => "xlsx",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::GeoJson => "application/geo+json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One exported record.
struct Line {
    id: String,
    kind: &'static str,
    number: Option<String>,
    ward: Option<String>,
    status: &'static str,
    title: String,
    assignee: Option<String>,
    updated: String,
    amount: Option<Paise>,
    payer: Option<String>,
    mobile: Option<String>,
    location: Option<GeoPoint>,
}

impl Line {
    fn of(found: FoundRecord, names: &HashMap<String, String>) -> Result<Line, AppError> {
        let FoundRecord { line, assignee, number, doc } = found;
        let record = match doc {
            Some(bytes) => {
                let doc = AutoCommit::load(&bytes)
                    .map_err(|e| AppError::Internal(format!("stored record {}: {e}", line.id)))?;
                Some(read_record(&doc).map_err(|e| AppError::Internal(format!("stored record {}: {e}", line.id)))?)
            }
            None => None,
        };
        let body = record.as_ref().map(|r| &r.body);
        let (amount, payer, mobile) = match body {
            Some(RecordBody::Receipt(r)) => (Some(r.total()), Some(r.payer_name.clone()), r.mobile_number.clone()),
            Some(RecordBody::FsmJob(j)) => (None, None, j.mobile_number.clone()),
            _ => (None, None, None),
        };
        Ok(Line {
            kind: line.kind.as_str(),
            number,
            ward: line.ward,
            status: line.status.as_str(),
            title: line.title,
            assignee: assignee.map(|a| names.get(&a).cloned().unwrap_or(a)),
            updated: super::pages::ist_time(line.updated_at),
            amount,
            payer,
            mobile,
            location: body.and_then(location),
            id: line.id,
        })
    }

    /// The text of each column (empty where there is none).
    fn cells(&self) -> [String; 13] {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.id.clone(),
            self.kind.to_string(),
            text(&self.number),
            text(&self.ward),
            self.status.to_string(),
            self.title.clone(),
            text(&self.assignee),
            self.updated.clone(),
            self.amount.map(rupees_plain).unwrap_or_default(),
            text(&self.payer),
            text(&self.mobile),
            self.location.as_ref().map(|p| p.lat.to_string()).unwrap_or_default(),
            self.location.as_ref().map(|p| p.lon.to_string()).unwrap_or_default(),
        ]
    }
}

/// Where a record was made: its own point, else its address's, else a trip's pickup.
fn location(body: &RecordBody) -> Option<GeoPoint> {
    match body {
        RecordBody::Inspection(i) => i.location.clone().or_else(|| i.address.location.clone()),
        RecordBody::AssetSurvey(a) => Some(a.location.clone()),
        RecordBody::Receipt(r) => r.location.clone(),
        RecordBody::FsmJob(j) => j.address.location.clone(),
        RecordBody::Trip(t) => t.pickup.as_ref().and_then(|s| s.location.clone()),
        RecordBody::Reversal(_) | RecordBody::Handover(_) => None,
    }
}

/// Rupees with two decimals and no grouping (`1234.50`), as a spreadsheet reads a number.
fn rupees_plain(amount: Paise) -> String {
    let sign = if amount.0 < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", amount.0.unsigned_abs() / 100, amount.0.unsigned_abs() % 100)
}

/// The body's bytes on their way to the client: a channel a blocking task fills.
struct Channel(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for Channel {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// What a blocking task writes: gathered into chunks of [`CHUNK`] and sent to the client; an
/// error once the client has gone (the export stops).
struct Sink {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

impl Sink {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buffer));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::other("the client went away"))
    }
}

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(format!("writing an export: {e}"))
}

/// What a walk over the records needs, sent into the blocking task.
struct Walk {
    store: Arc<dyn ServerStore>,
    scope: Scope,
    filter: RecordFilter,
    has_photo: Box<dyn Fn(&str) -> bool + Send>,
    names: HashMap<String, String>,
}

impl Walk {
    /// Gives every matching record to `each`, a page of [`PAGE`] rows per transaction.
    fn run(&self, each: &mut dyn FnMut(Line) -> Result<(), AppError>) -> Result<(), AppError> {
        let tenant = crate::store::Scope::Tenant(self.scope.tenant.clone());
        let marks = transact(&*self.store, &tenant, |sql| lists::Marks::load(sql, &self.scope, &*self.has_photo))?;
        let mut after: Option<Cursor> = None;
        loop {
            let (lines, next) = transact(&*self.store, &tenant, |sql| {
                let mut lines = Vec::new();
                let next = lists::each_record(
                    sql,
                    &self.scope,
                    &self.filter,
                    &marks,
                    after.as_ref(),
                    PAGE,
                    true,
                    &mut |found| {
                        lines.push(Line::of(found, &self.names)?);
                        Ok(())
                    },
                )?;
                Ok((lines, next))
            })?;
            for line in lines {
                each(line)?;
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => return Ok(()),
            }
        }
    }
}

fn write_csv(walk: &Walk, sink: &mut Sink) -> Result<(), AppError> {
    // The byte-order mark: Excel then reads the file as UTF-8 (Hindi names intact).
    sink.write_all("\u{feff}".as_bytes()).map_err(io)?;
    let mut out = csv::Writer::from_writer(sink);
    let bad = |e: csv::Error| AppError::Internal(format!("writing an export: {e}"));
    out.write_record(COLUMNS).map_err(bad)?;
    walk.run(&mut |line| out.write_record(line.cells()).map_err(bad))?;
    out.flush().map_err(io)
}

fn write_geojson(walk: &Walk, sink: &mut Sink) -> Result<(), AppError> {
    sink.write_all(br#"{"type":"FeatureCollection","features":["#).map_err(io)?;
    let mut first = true;
    walk.run(&mut |line| {
        let Some(point) = line.location.clone() else { return Ok(()) };
        let mut properties = serde_json::Map::new();
        for (name, value) in COLUMNS.iter().zip(line.cells()) {
            if matches!(*name, "latitude" | "longitude") {
                continue;
            }
            let value = match (*name, line.amount) {
                ("amount_rupees", Some(a)) => serde_json::json!(a.0 as f64 / 100.0),
                (_, _) if value.is_empty() => serde_json::Value::Null,
                _ => serde_json::Value::String(value),
            };
            properties.insert((*name).to_string(), value);
        }
        let feature = serde_json::json!({
            "type": "Feature",
            "id": line.id,
            // RFC 7946: longitude first.
            "geometry": { "type": "Point", "coordinates": [point.lon, point.lat] },
            "properties": properties,
        });
        if !first {
            sink.write_all(b",").map_err(io)?;
        }
        first = false;
        serde_json::to_writer(&mut *sink, &feature).map_err(|e| AppError::Internal(format!("writing an export: {e}")))
    })?;
    sink.write_all(b"]}").map_err(io)?;
    sink.flush().map_err(io)
}

/// Indian digit grouping: crores, lakhs, then thousands.
const INDIAN_RUPEES: &str = r"[>=10000000]##\,##\,##\,##0.00;[>=100000]##\,##\,##0.00;##,##0.00";

fn write_xlsx(walk: &Walk, sink: &mut Sink) -> Result<(), AppError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let bad = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("writing an export: {e}"));
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let money = CellFormat::new().set_num_format(INDIAN_RUPEES);
    let sheet = book.add_worksheet_with_constant_memory().map_err(bad)?;
    sheet.set_name("records").map_err(bad)?;
    for (c, name) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold).map_err(bad)?;
    }
    let mut row: u32 = 0;
    walk.run(&mut |line| {
        row += 1;
        for (c, (name, text)) in COLUMNS.iter().zip(line.cells()).enumerate() {
            let c = c as u16;
            match (*name, line.amount, &line.location) {
                ("amount_rupees", Some(a), _) => {
                    sheet.write_number_with_format(row, c, a.0 as f64 / 100.0, &money).map_err(bad)?;
                }
                ("latitude", _, Some(p)) => {
                    sheet.write_number(row, c, p.lat).map_err(bad)?;
                }
                ("longitude", _, Some(p)) => {
                    sheet.write_number(row, c, p.lon).map_err(bad)?;
                }
                // Receipt and phone numbers stay text: no lost leading zeros, no 9.8E+09.
                _ if !text.is_empty() => {
                    sheet.write_string(row, c, text).map_err(bad)?;
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    book.save_to_writer(&mut *sink).map_err(bad)?;
    sink.flush().map_err(io)
}

async fn export(state: &AppState, request: &Request, format: Format) -> Result<Response, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, _) = town_scope(state, &auth, request).await?;
    let filter = RecordFilter::parse(&request.query)?;
    // Refusals (a ward out of scope, a town that does not exist) come before any byte is sent.
    let (s, f, t) = (scope.clone(), filter.clone(), town.clone());
    let names = state
        .run(crate::store::Scope::Tenant(town.clone()), move |sql| {
            lists::check_ward(sql, &s, f.ward.as_deref())?;
            lists::user_names(sql, &t)
        })
        .await?;
    let walk =
        Walk { store: state.store.clone(), scope, filter, has_photo: Box::new(photo_check(state, &town)), names };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut sink = Sink { tx: tx.clone(), buffer: Vec::new() };
        let written = match format {
            Format::Csv => write_csv(&walk, &mut sink),
            Format::GeoJson => write_geojson(&walk, &mut sink),
            Format::Xlsx => write_xlsx(&walk, &mut sink),
        };
        if let Err(e) = written {
            tracing::warn!(error = ?e, "an export stopped");
            // The body ends with an error: the client sees a broken download, not a short file.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let day = wardbook::calendar::ist_date(crate::db::now_ms());
    let file =
        format!("records-{}-{day}.{}", town.replace(|c: char| !c.is_ascii_alphanumeric(), "-"), format.extension());
    let mut response = (StatusCode::OK, Body::from_stream(Channel(rx))).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    tracing::info!(login = %auth.login, %town, format = format.extension(), "office export");
    Ok(response)
}

macro_rules! export_handler {
    ($name:ident, $format:expr) => {
        pub(super) async fn $name(
            State(state): State<AppState>,
            uri: Uri,
            headers: HeaderMap,
            Query(query): Query<HashMap<String, String>>,
        ) -> Response {
            let request = Request::new(&uri, &headers, query);
            export(&state, &request, $format).await.unwrap_or_else(|e| request.error(e))
        }
    };
}

export_handler!(export_csv, Format::Csv);
export_handler!(export_geojson, Format::GeoJson);
export_handler!(export_xlsx, Format::Xlsx);
