//! Device keys, the canonical bytes of a receipt, its ed25519 signature and the QR payload
//! that carries the signature on the printed slip.
//!
//! # Canonical bytes (version 1)
//!
//! A signature covers exactly these fields of a receipt record, in this order, and nothing
//! else (adding or reordering a field is a new version, with a new context string):
//!
//! | # | field                               | encoding |
//! |---|-------------------------------------|----------|
//! | 0 | context `wardbook/receipt/v1`       | str      |
//! | 1 | tenant (`pb.nabha`)                 | str      |
//! | 2 | receipt number                      | str      |
//! | 3 | receipt date (unix millis)          | i64      |
//! | 4 | amount: the sum of the lines, paise | i64      |
//! | 5 | number of lines                     | u64      |
//! |   | then per line: tax head, amount     | str, i64 |
//! | 6 | payment mode (DIGIT spelling)       | str      |
//! | 7 | payer name                          | str      |
//! | 8 | business service (head of account)  | str      |
//! | 9 | record id (hyphenated lowercase)    | str      |
//!
//! `str` is the UTF-8 bytes as stored (no normalisation) preceded by their length as a
//! big-endian u64; `i64`/`u64` are 8 bytes big-endian (two's complement). Length prefixes make
//! the encoding unambiguous whatever a field contains.
//!
//! Signatures are ed25519 (RFC 8032) by the issuing device's key; a device key is the RFC 8032
//! secret key, i.e. 32 seed bytes the caller draws from its own random source.
//!
//! # QR payload
//!
//! `WBR1|<tenant>|<receipt number>|<amount paise>|<receipt date yyyy-mm-dd, IST>|<signature,
//! base64url without padding>|<key id>`, where the key id is the first 8 lowercase hex digits
//! of SHA-256 of the 32-byte public key. The QR code does not carry everything the signature
//! covers: a verifier finds the receipt by town and number and checks it with [`check_qr`].

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use crate::keys::{
    BadPublicKey, DeviceKey, PublicKey, SIGNATURE_LEN, decode_public_key, decode_signature, encode_signature,
    sign_statement, verify_statement,
};

use super::fy::{CivilDate, ist_date};
use super::{LedgerError, checked_total, receipt_of};
use crate::domain::{Paise, Record};

/// The context string that opens the canonical bytes (field 0).
pub const CANONICAL_CONTEXT: &str = "wardbook/receipt/v1";
/// The first field of a QR payload.
pub const QR_PREFIX: &str = "WBR1";
/// QR payloads longer than this are refused before they are split.
pub const QR_MAX_LEN: usize = 512;
/// Longest tenant or receipt number a QR payload carries.
pub const QR_MAX_FIELD_LEN: usize = 64;

/// The context that opens a workflow step's signed bytes.
pub const STEP_CONTEXT: &str = "wardbook/step/v1";

/// The bytes a workflow step's signature covers: the context, the town and record it belongs
/// to, and every field of the step but the signature, each length-prefixed or fixed-width.
pub fn step_bytes(tenant: &str, record: crate::ids::RecordId, step: &crate::domain::Transition) -> Vec<u8> {
    fn str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = Vec::with_capacity(192);
    str(&mut out, STEP_CONTEXT);
    str(&mut out, tenant);
    str(&mut out, &record.to_string());
    str(&mut out, &step.id.to_string());
    out.extend_from_slice(&step.at.to_be_bytes());
    str(&mut out, &step.by.to_string());
    str(&mut out, step.role.as_str());
    str(&mut out, step.from.as_str());
    str(&mut out, step.to.as_str());
    match &step.note {
        Some(note) => {
            out.push(1);
            str(&mut out, note);
        }
        None => out.push(0),
    }
    out.push(u8::from(step.resolves_review));
    out
}

/// Signs every step of `record` that has no signature and is not among `stored` (the steps
/// this device just took; steps stored before signing began stay as they were).
pub fn sign_steps(key: &DeviceKey, record: &mut Record, stored: &[crate::domain::Transition]) {
    let (tenant, id) = (record.tenant.clone(), record.id);
    for step in record.transitions.iter_mut().filter(|t| t.signature.is_none() && !stored.contains(t)) {
        step.signature = Some(encode_signature(&sign_statement(key, &step_bytes(&tenant, id, step))));
    }
}

/// Whether `step` of `record` carries `public`'s signature.
pub fn verify_step(public: &PublicKey, record: &Record, step: &crate::domain::Transition) -> bool {
    let signature = step.signature.as_deref().and_then(decode_signature);
    signature.is_some_and(|s| verify_statement(public, &step_bytes(&record.tenant, record.id, step), &s))
}

/// The bytes a receipt's signature covers (see the module docs for the layout).
pub fn canonical_bytes(record: &Record) -> Result<Vec<u8>, LedgerError> {
    fn str(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&(s.len() as u64).to_be_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    let receipt = receipt_of(record)?;
    let total = checked_total(receipt)?;
    let mut out = Vec::with_capacity(256);
    str(&mut out, CANONICAL_CONTEXT);
    str(&mut out, &record.tenant);
    str(&mut out, &receipt.receipt_number);
    out.extend_from_slice(&receipt.receipt_date.to_be_bytes());
    out.extend_from_slice(&total.0.to_be_bytes());
    out.extend_from_slice(&(receipt.lines.len() as u64).to_be_bytes());
    for line in &receipt.lines {
        str(&mut out, &line.tax_head);
        out.extend_from_slice(&line.amount.0.to_be_bytes());
    }
    str(&mut out, receipt.payment_mode.as_str());
    str(&mut out, &receipt.payer_name);
    str(&mut out, &receipt.business_service);
    str(&mut out, &record.id.to_string());
    Ok(out)
}

/// The device's signature of a receipt record. Deterministic: the same key and record give
/// the same bytes.
pub fn sign(key: &DeviceKey, record: &Record) -> Result<[u8; SIGNATURE_LEN], LedgerError> {
    Ok(sign_statement(key, &canonical_bytes(record)?))
}

/// Whether `signature` is `public`'s signature of this receipt record. False for anything
/// else: another record or key, a changed field, a signature of the wrong length, a
/// non-canonical signature, a record that is not a receipt.
pub fn verify(public: &PublicKey, record: &Record, signature: &[u8]) -> bool {
    canonical_bytes(record).is_ok_and(|bytes| verify_statement(public, &bytes, signature))
}

/// What a receipt's QR code says. Made from a signed record ([`QrReceipt::new`]) or read from
/// a scan ([`parse_qr`]); either way its `Display` is a payload [`parse_qr`] reads back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrReceipt {
    tenant: String,
    receipt_number: String,
    amount: Paise,
    date: CivilDate,
    signature: [u8; SIGNATURE_LEN],
    key_id: String,
}

impl QrReceipt {
    /// The QR code of a receipt record signed by `public`'s device. Refuses a tenant or receipt
    /// number the payload cannot carry (see [`LedgerError::NotQrSafe`]) and a negative total.
    pub fn new(record: &Record, signature: [u8; SIGNATURE_LEN], public: &PublicKey) -> Result<QrReceipt, LedgerError> {
        let receipt = receipt_of(record)?;
        let amount = checked_total(receipt)?;
        if amount.0 < 0 {
            return Err(LedgerError::AmountOutOfRange { receipt_number: receipt.receipt_number.clone() });
        }
        for (field, value) in [("tenant", &record.tenant), ("receipt_number", &receipt.receipt_number)] {
            if qr_text_problem(value).is_some() {
                return Err(LedgerError::NotQrSafe { field, value: value.clone() });
            }
        }
        Ok(QrReceipt {
            tenant: record.tenant.clone(),
            receipt_number: receipt.receipt_number.clone(),
            amount,
            date: ist_date(receipt.receipt_date),
            signature,
            key_id: public.key_id(),
        })
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn receipt_number(&self) -> &str {
        &self.receipt_number
    }

    pub fn amount(&self) -> Paise {
        self.amount
    }

    /// The receipt's date in IST.
    pub fn date(&self) -> CivilDate {
        self.date
    }

    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

impl fmt::Display for QrReceipt {
    /// The payload: `WBR1|tenant|number|paise|yyyy-mm-dd|signature|key id`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{QR_PREFIX}|{}|{}|{}|{}|{}|{}",
            self.tenant,
            self.receipt_number,
            self.amount.0,
            self.date,
            URL_SAFE_NO_PAD.encode(self.signature),
            self.key_id
        )
    }
}

/// Why a scanned text is not a receipt QR code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("the code is empty")]
    Empty,
    #[error("the code is {len} bytes long; a receipt code is at most {QR_MAX_LEN}")]
    TooLong { len: usize },
    #[error("not a Wardbook receipt code")]
    NotAReceiptCode,
    #[error("receipt code version {0:?} is not supported; this app reads {QR_PREFIX}")]
    UnsupportedVersion(String),
    #[error("a receipt code has 7 fields separated by '|', this one has {found}")]
    FieldCount { found: usize },
    #[error("the {field} field {reason}")]
    BadField { field: &'static str, reason: &'static str },
}

/// Reads a scanned QR payload, refusing anything malformed with the reason (never panics).
pub fn parse_qr(text: &str) -> Result<QrReceipt, QrError> {
    if text.is_empty() {
        return Err(QrError::Empty);
    }
    if text.len() > QR_MAX_LEN {
        return Err(QrError::TooLong { len: text.len() });
    }
    let fields: Vec<&str> = text.split('|').collect();
    match fields[0] {
        QR_PREFIX => {}
        v if v.len() > 3 && v.starts_with("WBR") && v[3..].bytes().all(|b| b.is_ascii_digit()) => {
            return Err(QrError::UnsupportedVersion(v.to_string()));
        }
        _ => return Err(QrError::NotAReceiptCode),
    }
    let [_, tenant, number, amount, date, signature, key_id] = fields[..] else {
        return Err(QrError::FieldCount { found: fields.len() });
    };
    let bad = |field, reason| QrError::BadField { field, reason };
    if let Some(reason) = qr_text_problem(tenant) {
        return Err(bad("tenant", reason));
    }
    if let Some(reason) = qr_text_problem(number) {
        return Err(bad("receipt_number", reason));
    }
    Ok(QrReceipt {
        tenant: tenant.to_string(),
        receipt_number: number.to_string(),
        amount: parse_paise(amount).map_err(|reason| bad("amount", reason))?,
        date: parse_date(date).ok_or(bad("date", "is not a date written yyyy-mm-dd"))?,
        signature: URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|bytes| <[u8; SIGNATURE_LEN]>::try_from(bytes).ok())
            .ok_or(bad("signature", "is not 64 bytes in unpadded base64url"))?,
        key_id: parse_key_id(key_id).ok_or(bad("key_id", "is not 8 lowercase hex digits"))?,
    })
}

/// Checks a scanned QR code against the receipt record it names and the public key of the
/// device that issued it: same key, town, number, amount and IST date, and a signature that
/// verifies. The first disagreement is the error.
pub fn check_qr(qr: &QrReceipt, record: &Record, public: &PublicKey) -> Result<(), LedgerError> {
    let receipt = receipt_of(record)?;
    let mismatch = |field| Err(LedgerError::QrMismatch { field });
    if qr.key_id != public.key_id() {
        return mismatch("key_id");
    }
    if qr.tenant != record.tenant {
        return mismatch("tenant");
    }
    if qr.receipt_number != receipt.receipt_number {
        return mismatch("receipt_number");
    }
    if qr.amount != checked_total(receipt)? {
        return mismatch("amount");
    }
    if qr.date != ist_date(receipt.receipt_date) {
        return mismatch("date");
    }
    if !verify(public, record, &qr.signature) {
        return Err(LedgerError::BadSignature);
    }
    Ok(())
}

/// Why a tenant or receipt number cannot sit in a QR payload, if it cannot.
fn qr_text_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        Some("is empty")
    } else if text.len() > QR_MAX_FIELD_LEN {
        Some("is too long")
    } else if !text.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'|') {
        Some("has characters other than printable ASCII (or a '|')")
    } else {
        None
    }
}

/// Paise as plain decimal digits: no sign, no leading zeros, fits an `i64`.
fn parse_paise(text: &str) -> Result<Paise, &'static str> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a whole number of paise");
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err("has leading zeros");
    }
    text.parse().map(Paise).map_err(|_| "is too large")
}

/// Exactly `yyyy-mm-dd`, a date that exists.
fn parse_date(text: &str) -> Option<CivilDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r.clone()].iter().all(u8::is_ascii_digit).then(|| &text[r]);
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?.parse().ok()?;
    let month = digits(5..7)?.parse().ok()?;
    let day = digits(8..10)?.parse().ok()?;
    CivilDate::new(year, month, day)
}

fn parse_key_id(text: &str) -> Option<String> {
    (text.len() == 8 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::demo;
    use crate::domain::Body;
    use crate::domain::receipt::{AmountLine, PaymentMode, Receipt};
    use crate::ids::RecordId;

    /// 2026-05-14 10:30 IST.
    const NOW: i64 = 1_778_734_800_000;

    fn key() -> DeviceKey {
        DeviceKey::from_seed([7; 32])
    }

    /// Demo receipt 4: Baldev Singh, water charges, Rs. 154.00 cash.
    fn record() -> Record {
        demo::receipt(RecordId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0042)), NOW, "W02", 4)
    }

    fn receipt_mut(record: &mut Record) -> &mut Receipt {
        match &mut record.body {
            Body::Receipt(r) => r,
            _ => unreachable!("demo::receipt makes receipts"),
        }
    }

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_seed_is_the_rfc8032_secret_key() {
        // RFC 8032, section 7.1, test 1.
        let seed: [u8; 32] =
            unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").try_into().unwrap();
        let key = DeviceKey::from_seed(seed);
        assert_eq!(
            hex(&key.public_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        // sha256 of that public key starts 21fe31df (checked with Python's hashlib).
        assert_eq!(key.public_key().key_id(), "21fe31df");
        assert_eq!(key.seed(), seed);
        assert_eq!(format!("{key:?}"), "DeviceKey { key_id: \"21fe31df\", .. }");
    }

    #[test]
    fn public_keys_of_the_wrong_size_or_shape_are_refused() {
        let good = key().public_key().to_bytes();
        assert_eq!(PublicKey::from_bytes(&good), Ok(key().public_key()));
        assert_eq!(PublicKey::from_bytes(&good[..31]), Err(BadPublicKey("expected 32 bytes, got 31".into())));
        // The identity point has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(BadPublicKey("a weak (small-order) key".into())));
    }

    #[test]
    fn canonical_bytes_follow_the_documented_layout() {
        let mut record = record();
        record.tenant = "pb.x".into();
        record.id = RecordId(Uuid::from_u128(1));
        let r = receipt_mut(&mut record);
        r.receipt_number = "N1".into();
        r.receipt_date = 258; // 0x0102
        r.lines = vec![
            AmountLine { tax_head: "A".into(), amount: Paise(100) },
            AmountLine { tax_head: "BC".into(), amount: Paise(5) },
        ];
        r.payment_mode = PaymentMode::Upi;
        r.payer_name = "सु".into(); // 6 bytes of UTF-8
        r.business_service = "WS".into();

        let str = |s: &str| [(s.len() as u64).to_be_bytes().to_vec(), s.as_bytes().to_vec()].concat();
        let expected = [
            str("wardbook/receipt/v1"),
            str("pb.x"),
            str("N1"),
            vec![0, 0, 0, 0, 0, 0, 1, 2],
            vec![0, 0, 0, 0, 0, 0, 0, 105], // 100 + 5 paise
            vec![0, 0, 0, 0, 0, 0, 0, 2],   // two lines
            str("A"),
            vec![0, 0, 0, 0, 0, 0, 0, 100],
            str("BC"),
            vec![0, 0, 0, 0, 0, 0, 0, 5],
            str("UPI"),
            vec![0, 0, 0, 0, 0, 0, 0, 6, 0xe0, 0xa4, 0xb8, 0xe0, 0xa5, 0x81],
            str("WS"),
            str("00000000-0000-0000-0000-000000000001"),
        ]
        .concat();
        assert_eq!(canonical_bytes(&record).unwrap(), expected);
    }

    #[test]
    fn length_prefixes_keep_neighbouring_fields_apart() {
        let mut a = record();
        let mut b = record();
        receipt_mut(&mut a).payer_name = "Ram Lal".into();
        receipt_mut(&mut a).business_service = "WS".into();
        receipt_mut(&mut b).payer_name = "Ram".into();
        receipt_mut(&mut b).business_service = " LalWS".into();
        assert_ne!(canonical_bytes(&a).unwrap(), canonical_bytes(&b).unwrap());
    }

    #[test]
    fn a_signed_receipt_verifies_with_its_device_key() {
        let record = record();
        let signature = sign(&key(), &record).unwrap();
        assert!(verify(&key().public_key(), &record, &signature));
        assert_eq!(sign(&key(), &record).unwrap(), signature, "ed25519 signing is deterministic");
    }

    #[test]
    fn another_device_key_does_not_verify() {
        let record = record();
        let signature = sign(&key(), &record).unwrap();
        assert!(!verify(&DeviceKey::from_seed([8; 32]).public_key(), &record, &signature));
    }

    #[test]
    fn any_changed_signed_field_breaks_the_signature() {
        let original = record();
        let signature = sign(&key(), &original).unwrap();
        type Change = (&'static str, fn(&mut Record));
        let changes: Vec<Change> = vec![
            ("amount", |r| receipt_mut(r).lines[0].amount = Paise(15401)),
            ("payer", |r| receipt_mut(r).payer_name = "Baldev Singh ".into()),
            ("number", |r| receipt_mut(r).receipt_number = "NBH/2026-27/D1/000005".into()),
            ("date", |r| receipt_mut(r).receipt_date += 1),
            ("tenant", |r| r.tenant = "pb.patiala".into()),
            ("tax head", |r| receipt_mut(r).lines[0].tax_head = "WS_PENALTY".into()),
            ("mode", |r| receipt_mut(r).payment_mode = PaymentMode::Upi),
            ("head", |r| receipt_mut(r).business_service = "PT".into()),
            ("record id", |r| r.id = RecordId(Uuid::from_u128(7))),
            ("split line", |r| {
                receipt_mut(r).lines = vec![
                    AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(15000) },
                    AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(400) },
                ]
            }),
        ];
        for (what, change) in changes {
            let mut changed = original.clone();
            change(&mut changed);
            assert!(!verify(&key().public_key(), &changed, &signature), "changing the {what} must break the signature");
        }
    }

    #[test]
    fn fields_outside_the_signature_do_not_break_it() {
        let original = record();
        let signature = sign(&key(), &original).unwrap();
        let mut changed = original.clone();
        receipt_mut(&mut changed).location = None;
        changed.ward = Some("W03".into());
        assert!(verify(&key().public_key(), &changed, &signature));
    }

    #[test]
    fn bad_signature_bytes_and_non_receipts_never_verify() {
        let record = record();
        let signature = sign(&key(), &record).unwrap();
        let public = key().public_key();
        assert!(!verify(&public, &record, &[]));
        assert!(!verify(&public, &record, &signature[..63]));
        assert!(!verify(&public, &record, &[0; 64]));
        let mut flipped = signature;
        flipped[10] ^= 1;
        assert!(!verify(&public, &record, &flipped));
        let inspection = demo::inspection(record.id, NOW, "W01", 1);
        assert!(!verify(&public, &inspection, &signature));
        assert_eq!(
            sign(&key(), &inspection),
            Err(LedgerError::NotAReceipt { kind: crate::domain::RecordKind::Inspection })
        );
    }

    #[test]
    fn the_qr_payload_has_the_documented_fields() {
        let record = record();
        let signature = sign(&key(), &record).unwrap();
        let qr = QrReceipt::new(&record, signature, &key().public_key()).unwrap();
        let payload = qr.to_string();
        let fields: Vec<&str> = payload.split('|').collect();
        assert_eq!(fields.len(), 7);
        assert_eq!(fields[..5], ["WBR1", "pb.nabha", "NBH/2026-27/D1/000004", "15400", "2026-05-14"]);
        assert_eq!(fields[5].len(), 86, "64 bytes in unpadded base64");
        assert!(fields[5].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(fields[6], key().public_key().key_id());
        assert_eq!(fields[6].len(), 8);
    }

    #[test]
    fn the_qr_date_is_the_indian_date() {
        let mut record = record();
        receipt_mut(&mut record).receipt_date = 1_806_519_600_000; // 2027-03-31T19:00Z = 1 April IST
        let qr = QrReceipt::new(&record, [0; 64], &key().public_key()).unwrap();
        assert_eq!(qr.date().to_string(), "2027-04-01");
    }

    #[test]
    fn a_qr_payload_reads_back_and_checks_against_its_record() {
        let record = record();
        let public = key().public_key();
        let qr = QrReceipt::new(&record, sign(&key(), &record).unwrap(), &public).unwrap();
        let scanned = parse_qr(&qr.to_string()).unwrap();
        assert_eq!(scanned, qr);
        assert_eq!(scanned.amount(), Paise(15400));
        assert_eq!(check_qr(&scanned, &record, &public), Ok(()));
    }

    #[test]
    fn a_qr_code_that_disagrees_with_the_record_is_named() {
        let record = record();
        let public = key().public_key();
        let signature = sign(&key(), &record).unwrap();
        let payload = QrReceipt::new(&record, signature, &public).unwrap().to_string();
        let check = |payload: &str| check_qr(&parse_qr(payload).unwrap(), &record, &public);
        let mismatch = |field| Err(LedgerError::QrMismatch { field });

        assert_eq!(check(&payload.replace("|15400|", "|15500|")), mismatch("amount"));
        assert_eq!(check(&payload.replace("|2026-05-14|", "|2026-05-15|")), mismatch("date"));
        assert_eq!(check(&payload.replace("000004", "000005")), mismatch("receipt_number"));
        assert_eq!(check(&payload.replace("pb.nabha", "pb.patiala")), mismatch("tenant"));
        let other_key = DeviceKey::from_seed([8; 32]).public_key().key_id();
        assert_eq!(check(&payload.replace(&public.key_id(), &other_key)), mismatch("key_id"));

        let forged = QrReceipt { signature: [0; 64], ..parse_qr(&payload).unwrap() };
        assert_eq!(check_qr(&forged, &record, &public), Err(LedgerError::BadSignature));

        let mut edited = record.clone();
        receipt_mut(&mut edited).payer_name = "Someone Else".into();
        assert_eq!(check_qr(&parse_qr(&payload).unwrap(), &edited, &public), Err(LedgerError::BadSignature));
    }

    #[test]
    fn receipts_the_qr_payload_cannot_carry_are_refused() {
        let public = key().public_key();
        let mut record = record();
        receipt_mut(&mut record).receipt_number = "A|B".into();
        assert_eq!(
            QrReceipt::new(&record, [0; 64], &public),
            Err(LedgerError::NotQrSafe { field: "receipt_number", value: "A|B".into() })
        );
        receipt_mut(&mut record).receipt_number = "रसीद-1".into();
        assert!(matches!(QrReceipt::new(&record, [0; 64], &public), Err(LedgerError::NotQrSafe { .. })));
        let mut record = self::record();
        receipt_mut(&mut record).lines[0].amount = Paise(-1);
        assert!(matches!(QrReceipt::new(&record, [0; 64], &public), Err(LedgerError::AmountOutOfRange { .. })));
    }

    #[test]
    fn the_longest_qr_payload_is_261_bytes() {
        let mut record = record();
        record.tenant = "t".repeat(QR_MAX_FIELD_LEN);
        receipt_mut(&mut record).receipt_number = "n".repeat(QR_MAX_FIELD_LEN);
        receipt_mut(&mut record).lines = vec![AmountLine { tax_head: "X".into(), amount: Paise(i64::MAX) }];
        let payload = QrReceipt::new(&record, [0xff; 64], &key().public_key()).unwrap().to_string();
        assert_eq!(payload.len(), 261);
        assert!(parse_qr(&payload).is_ok());
        record.tenant.push('t');
        assert!(matches!(QrReceipt::new(&record, [0; 64], &key().public_key()), Err(LedgerError::NotQrSafe { .. })));
    }

    const SIG: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn payload_with(tenant: &str, number: &str, amount: &str, date: &str, signature: &str, key_id: &str) -> String {
        format!("WBR1|{tenant}|{number}|{amount}|{date}|{signature}|{key_id}")
    }

    #[test]
    fn malformed_qr_codes_are_refused_with_the_reason() {
        let ok = payload_with("pb.nabha", "N/1", "15400", "2026-05-14", SIG, "1a2b3c4d");
        assert!(parse_qr(&ok).is_ok());
        let bad = |field, reason| Err(QrError::BadField { field, reason });
        let cases: Vec<(String, Result<QrReceipt, QrError>)> = vec![
            (String::new(), Err(QrError::Empty)),
            ("x".repeat(513), Err(QrError::TooLong { len: 513 })),
            ("https://example.com/".into(), Err(QrError::NotAReceiptCode)),
            ("wbr1|a|b|1|2026-05-14|x|1a2b3c4d".into(), Err(QrError::NotAReceiptCode)),
            (ok.replacen("WBR1", "WBR2", 1), Err(QrError::UnsupportedVersion("WBR2".into()))),
            ("WBR1|pb.nabha|N/1".into(), Err(QrError::FieldCount { found: 3 })),
            (format!("{ok}|extra"), Err(QrError::FieldCount { found: 8 })),
            (payload_with("", "N/1", "1", "2026-05-14", SIG, "1a2b3c4d"), bad("tenant", "is empty")),
            (
                payload_with("pb.nabha", "नं1", "1", "2026-05-14", SIG, "1a2b3c4d"),
                bad("receipt_number", "has characters other than printable ASCII (or a '|')"),
            ),
            (
                payload_with("pb.nabha", &"9".repeat(65), "1", "2026-05-14", SIG, "1a2b3c4d"),
                bad("receipt_number", "is too long"),
            ),
            (
                payload_with("pb.nabha", "N/1", "-5", "2026-05-14", SIG, "1a2b3c4d"),
                bad("amount", "is not a whole number of paise"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1.50", "2026-05-14", SIG, "1a2b3c4d"),
                bad("amount", "is not a whole number of paise"),
            ),
            (
                payload_with("pb.nabha", "N/1", "", "2026-05-14", SIG, "1a2b3c4d"),
                bad("amount", "is not a whole number of paise"),
            ),
            (
                payload_with("pb.nabha", "N/1", "015400", "2026-05-14", SIG, "1a2b3c4d"),
                bad("amount", "has leading zeros"),
            ),
            (
                payload_with("pb.nabha", "N/1", "99999999999999999999", "2026-05-14", SIG, "1a2b3c4d"),
                bad("amount", "is too large"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-02-30", SIG, "1a2b3c4d"),
                bad("date", "is not a date written yyyy-mm-dd"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "14-05-2026", SIG, "1a2b3c4d"),
                bad("date", "is not a date written yyyy-mm-dd"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-5-14", SIG, "1a2b3c4d"),
                bad("date", "is not a date written yyyy-mm-dd"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "२०२६-05-14", SIG, "1a2b3c4d"),
                bad("date", "is not a date written yyyy-mm-dd"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-05-14", &SIG[1..], "1a2b3c4d"),
                bad("signature", "is not 64 bytes in unpadded base64url"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-05-14", &format!("{SIG}=="), "1a2b3c4d"),
                bad("signature", "is not 64 bytes in unpadded base64url"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-05-14", &SIG.replacen('A', "+", 1), "1a2b3c4d"),
                bad("signature", "is not 64 bytes in unpadded base64url"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-05-14", SIG, "1A2B3C4D"),
                bad("key_id", "is not 8 lowercase hex digits"),
            ),
            (
                payload_with("pb.nabha", "N/1", "1", "2026-05-14", SIG, "1a2b3c4"),
                bad("key_id", "is not 8 lowercase hex digits"),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_qr(&input), expected, "input {input:?}");
        }
        assert_eq!(
            QrError::BadField { field: "amount", reason: "has leading zeros" }.to_string(),
            "the amount field has leading zeros"
        );
    }

    #[test]
    fn garbage_never_panics_the_qr_reader() {
        let ok = payload_with("pb.nabha", "N/1", "15400", "2026-05-14", SIG, "1a2b3c4d");
        let mut inputs: Vec<String> = vec![
            "|".into(),
            "||||||".into(),
            "WBR1||||||".into(),
            "WBR1|||||||||||||".into(),
            "WBR".into(),
            "WBR1".into(),
            "\u{0}\u{1}\u{ffff}".into(),
            "WBR1|€|€|€|€|€|€".into(),
            "WBR1|a|b|1|2026-0€-14|x|1a2b3c4d".into(),
            "WBR1|a|b|1|20€6-01-14|x|1a2b3c4d".into(),
            "WBR1|a|b|1|€€€€€€€€€€|x|1a2b3c4d".into(),
            "WBR1|a|b|1|2026-05-14|x|€€€€€€€€".into(),
            "WBR1|a|b|1|2026-05-1€|x|1a2b3c4d".into(),
        ];
        // Every prefix and every single-byte corruption of a good payload (a small
        // deterministic fuzz: a linear congruential sequence picks the replacement bytes).
        let mut seed: u32 = 12345;
        for i in 0..=ok.len() {
            inputs.push(ok[..i].to_string());
            for _ in 0..8 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let mut bytes = ok.as_bytes().to_vec();
                if i < bytes.len() {
                    bytes[i] = (seed >> 16) as u8;
                }
                inputs.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        let mut accepted = 0;
        for input in &inputs {
            if let Ok(qr) = parse_qr(input) {
                accepted += 1;
                assert_eq!(&qr.to_string(), input, "whatever is accepted prints back as itself");
            }
        }
        assert!(accepted > 0 && accepted < inputs.len());
    }
}
