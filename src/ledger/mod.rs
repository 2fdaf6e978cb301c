//! The ledger: what makes a receipt written offline something a citizen, an auditor and the
//! accounts office can trust — a device signature over the receipt's money fields, a QR code
//! that carries it, the slip a thermal printer prints, the export in DIGIT's shape and the
//! Indian financial year a receipt belongs to.
//!
//! The usual flow:
//!
//! 1. When a device is enrolled, the caller draws 32 random bytes and makes its
//!    [`DeviceKey`] with [`DeviceKey::from_seed`]; the store keeps the seed, the server keeps
//!    the [`PublicKey`] under its [`PublicKey::key_id`].
//! 2. A collector issues a receipt (a [`Record`] with a [`Receipt`] body). [`sign`] signs its
//!    [`canonical_bytes`]; [`QrReceipt::new`] makes the QR payload
//!    (`WBR1|tenant|number|paise|date|signature|key id`) and [`escpos_receipt`] the bytes for
//!    a 58 mm or 80 mm printer, or [`receipt_html`] the page in English and Hindi that a
//!    browser engine prints as a PDF (A6 or an 80 mm roll).
//! 3. Whoever scans the QR code calls [`parse_qr`], finds the receipt by town and number, and
//!    [`check_qr`] tells whether the printed slip, the record and the device key agree.
//! 4. The office exports receipts with [`Payment::new`] and [`payments_json`] (DIGIT's
//!    collection-service payment) or [`payments_csv`] (one row per receipt), grouped by
//!    [`FinancialYear`]; for DIGIT's own services, [`digit`] makes create requests (payments,
//!    FSM applications, vehicle trips) and says why it refuses a record.
//!
//! ```
//! use wardbook::{demo, ids::RecordId, ledger};
//!
//! let key = ledger::DeviceKey::from_seed([7; 32]); // the caller's random bytes
//! let record = demo::receipt(RecordId::new(), 1_778_734_800_000, "W02", 4);
//! let signature = ledger::sign(&key, &record)?;
//! assert!(ledger::verify(&key.public_key(), &record, &signature));
//!
//! let qr = ledger::QrReceipt::new(&record, signature, &key.public_key())?;
//! let scanned = ledger::parse_qr(&qr.to_string())?;
//! ledger::check_qr(&scanned, &record, &key.public_key())?;
//!
//! let slip = ledger::escpos_receipt(&record, &demo::reference(), &qr, ledger::Paper::Mm58)?;
//! assert_eq!(&slip[..2], b"\x1b@");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Architecture invariant: the ledger does no I/O. Keys come from seed bytes the caller drew,
//! instants from the caller's clock, and the results are bytes and strings for the caller to
//! print, show or write.

pub mod digit;
pub mod escpos;
pub mod export;
pub mod receipt_html;
pub mod signing;
pub mod translit;

use crate::domain::{Body, Paise, Receipt, Record, RecordKind};

/// The Indian financial year and IST dates, kept below the domain in [`crate::calendar`].
pub use crate::calendar as fy;
pub use crate::calendar::{CivilDate, FinancialYear, IstDateTime, financial_year, ist_date};
pub use escpos::{Paper, escpos_receipt, escpos_receipt_copy};
pub use export::{CSV_HEADER, Payment, payment_json, payments_csv, payments_json};
pub use receipt_html::{PaperSize, qr_svg, receipt_html, receipt_html_copy};
pub use signing::{
    BadPublicKey, DeviceKey, PublicKey, QrError, QrReceipt, SIGNATURE_LEN, canonical_bytes, check_qr,
    decode_public_key, decode_signature, encode_signature, parse_qr, sign, sign_statement, sign_steps, step_bytes,
    verify, verify_statement, verify_step,
};
pub use translit::printable_text;

/// What the ledger refuses, named by cause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The record is not a receipt.
    #[error("a record of kind {kind} is not a receipt")]
    NotAReceipt { kind: RecordKind },
    /// A total that overflows, is negative where a payment cannot be, or is too large to
    /// write exactly as a JSON number.
    #[error("the amount of receipt {receipt_number} is out of range")]
    AmountOutOfRange { receipt_number: String },
    /// A value that cannot go into the QR payload (empty, too long, `|` or non-ASCII).
    #[error("{field} {value:?} cannot be written in a receipt QR code")]
    NotQrSafe { field: &'static str, value: String },
    /// A scanned QR code names a different receipt, amount, date or device than the record.
    #[error("the QR code's {field} does not match the receipt")]
    QrMismatch { field: &'static str },
    /// The signature does not verify for this record and key.
    #[error("the receipt's signature does not verify")]
    BadSignature,
}

/// Which copy of a receipt is printed: the one handed over when it was issued, or a duplicate
/// printed later, which says so on the paper with the time it was reprinted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrintCopy {
    Original,
    Duplicate { reprinted_at: crate::domain::UnixMillis },
}

/// The receipt body of a record.
fn receipt_of(record: &Record) -> Result<&Receipt, LedgerError> {
    match &record.body {
        Body::Receipt(receipt) => Ok(receipt),
        _ => Err(LedgerError::NotAReceipt { kind: record.kind() }),
    }
}

/// The sum of a receipt's lines, refusing overflow (records arrive from other devices).
fn checked_total(receipt: &Receipt) -> Result<Paise, LedgerError> {
    receipt
        .lines
        .iter()
        .try_fold(0i64, |sum, line| sum.checked_add(line.amount.0))
        .map(Paise)
        .ok_or_else(|| LedgerError::AmountOutOfRange { receipt_number: receipt.receipt_number.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use crate::domain::receipt::AmountLine;
    use crate::ids::RecordId;

    #[test]
    fn only_receipts_are_ledger_entries() {
        let inspection = demo::inspection(RecordId::new(), 0, "W01", 1);
        assert_eq!(receipt_of(&inspection), Err(LedgerError::NotAReceipt { kind: RecordKind::Inspection }));
        assert_eq!(
            LedgerError::NotAReceipt { kind: RecordKind::Inspection }.to_string(),
            "a record of kind inspection is not a receipt"
        );
    }

    #[test]
    fn a_total_that_overflows_is_refused_not_wrapped() {
        let mut record = demo::receipt(RecordId::new(), 0, "W01", 1);
        let Body::Receipt(receipt) = &mut record.body else { unreachable!() };
        receipt.lines.push(AmountLine { tax_head: "X".into(), amount: Paise(i64::MAX) });
        assert_eq!(
            checked_total(receipt),
            Err(LedgerError::AmountOutOfRange { receipt_number: "NBH/2026-27/D1/000001".into() })
        );
    }
}
