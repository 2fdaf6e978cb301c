//! The public receipt check behind a receipt's QR code: anyone holding a receipt can ask
//! whether it is genuine, unknown or cancelled. The answer is about that receipt only and
//! repeats nothing the QR code does not already carry, so no other receipt is exposed.

use wardbook::ledger::{PublicKey, QrReceipt, check_qr, parse_qr};

use crate::error::AppError;
use crate::params;
use crate::store::Sql;

/// What the page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Issued by a device of the town, signed by its key, every printed field as recorded.
    Genuine,
    /// Genuine, but cancelled by an approved reversal.
    Cancelled,
    /// The server has no such receipt, or the code does not match what it has.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Genuine => "genuine",
            Verdict::Cancelled => "cancelled",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Checks a scanned code against the town's records, inside that town's transaction.
pub fn check(sql: &mut dyn Sql, qr: &QrReceipt) -> Result<Verdict, AppError> {
    let row = sql.row(
        "SELECT doc, cancelled FROM records WHERE tenant = ?1 AND number = ?2 AND kind = 'receipt'",
        params![qr.tenant(), qr.receipt_number()],
    )?;
    let Some(row) = row else { return Ok(Verdict::Unknown) };
    let Ok(record) = wardbook::document::RecordDoc::load(&[0; 16], &row.blob(0)?, &[]).and_then(|d| d.record()) else {
        return Ok(Verdict::Unknown);
    };
    let key_row =
        sql.row("SELECT public_key FROM devices WHERE tenant = ?1 AND key_id = ?2", params![qr.tenant(), qr.key_id()])?;
    let key = key_row
        .and_then(|r| r.opt_text(0).ok().flatten())
        .and_then(|text| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text).ok()
        })
        .and_then(|bytes| PublicKey::from_bytes(&bytes).ok());
    let Some(key) = key else { return Ok(Verdict::Unknown) };
    if check_qr(qr, &record, &key).is_err() {
        return Ok(Verdict::Unknown);
    }
    Ok(if row.bool(1)? { Verdict::Cancelled } else { Verdict::Genuine })
}

/// The page loads nothing and runs nothing: its only style is inline, it cannot be framed.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Reads the code from a request; an unreadable code is simply unknown.
pub fn parse(code: &str) -> Option<QrReceipt> {
    parse_qr(code).ok()
}

use wardbook::ledger::receipt_html::escape;

/// The page, in English and Hindi.
pub fn page(verdict: Verdict, qr: Option<&QrReceipt>) -> String {
    let (title, hindi, colour) = match verdict {
        Verdict::Genuine => ("Genuine receipt", "असली रसीद", "#1b6e20"),
        Verdict::Cancelled => ("Cancelled receipt", "रद्द की गई रसीद", "#8a5a00"),
        Verdict::Unknown => ("Unknown receipt", "अज्ञात रसीद", "#a31515"),
    };
    let details = match (verdict, qr) {
        (Verdict::Genuine | Verdict::Cancelled, Some(qr)) => format!(
            "<p>{} · ₹ {} · {}</p>",
            escape(qr.receipt_number()),
            qr.amount().rupees_text(),
            escape(&qr.date().to_string())
        ),
        _ => "<p>This code does not match a receipt of the town. / यह कोड नगर की किसी रसीद से मेल नहीं खाता।</p>".into(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:30em;margin:2em auto\">\
         <h1 data-verdict=\"{v}\" style=\"color:{colour}\">{title} / <span lang=\"hi\">{hindi}</span></h1>{details}</body></html>",
        v = verdict.as_str()
    )
}
