//! The receipt slip as an ESC/POS byte stream for a 58 mm (32 columns) or 80 mm (48 columns)
//! thermal printer: the bytes a Bluetooth or USB printer takes as they are.
//!
//! Layout: the town's name centred in bold, the receipt number, IST date and time, payer and
//! head of account, one line per tax head with its amount right-aligned, the total in double
//! height, the payment mode (and cheque/DD or transaction number), the QR code of the
//! [`QrReceipt`] payload, a "Thank you / dhanyavaad" footer, a paper feed and a partial cut.
//!
//! Printers' built-in code pages have no Devanagari and no rupee sign, so only printable ASCII
//! is sent: [`printable_text`] writes `₹` as `Rs.`, transliterates Hindi (Devanagari) to Latin
//! letters and replaces anything else with `?`. A Hindi name in its own script belongs on the
//! PDF receipt; printing Devanagari (as a raster image) is out of scope here.

use super::fy::IstDateTime;
use super::signing::QrReceipt;
use super::translit::printable_text;
use super::{LedgerError, PrintCopy, checked_total, receipt_of};
use crate::domain::{Paise, Record, ReferenceData};

/// The paper a printer takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    /// 58 mm roll, 32 columns of Font A.
    Mm58,
    /// 80 mm roll, 48 columns of Font A.
    Mm80,
}

impl Paper {
    /// Characters per line in the printer's default font.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }

    /// QR module size in dots: the largest that keeps the longest payload a [`QrReceipt`] can
    /// have (261 bytes: a version-12 symbol at level M, 65 modules plus a quiet zone of 8)
    /// inside the printable width (384 dots on 58 mm, 576 on 80 mm). Usual payloads (about
    /// 150 bytes, version 8) print smaller.
    fn qr_module_dots(self) -> u8 {
        match self {
            Paper::Mm58 => 5,
            Paper::Mm80 => 7,
        }
    }
}

const ESC: u8 = 0x1b;
const GS: u8 = 0x1d;

/// One piece of the slip: a printer command or a line of text (printed followed by LF).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Command(Vec<u8>),
    Line(String),
}

fn init() -> Piece {
    Piece::Command(vec![ESC, b'@'])
}

/// ESC a n: 0 left, 1 centre.
fn align(centre: bool) -> Piece {
    Piece::Command(vec![ESC, b'a', u8::from(centre)])
}

/// ESC E n: emphasis (bold) on or off.
fn bold(on: bool) -> Piece {
    Piece::Command(vec![ESC, b'E', u8::from(on)])
}

/// ESC ! n: print mode; 0x10 is double height, 0 the normal mode.
fn double_height(on: bool) -> Piece {
    Piece::Command(vec![ESC, b'!', if on { 0x10 } else { 0 }])
}

/// GS ( k: select model 2 (fn 165), module size (fn 167), error correction M (fn 169), store
/// the data (fn 180), print the symbol (fn 181).
fn qr_code(payload: &[u8], module_dots: u8) -> Piece {
    // pL pH: the length of what follows them (cn fn m + data), little-endian. A payload is
    // at most a few hundred bytes (QrReceipt's fields are bounded).
    let [p_l, p_h] = u16::try_from(payload.len() + 3).unwrap_or(u16::MAX).to_le_bytes();
    let gs_k = |args: &[u8]| [&[GS, b'(', b'k'][..], args].concat();
    Piece::Command(
        [
            gs_k(&[4, 0, 49, 65, 50, 0]),                               // fn 165: model 2
            gs_k(&[3, 0, 49, 67, module_dots]),                         // fn 167: module size
            gs_k(&[3, 0, 49, 69, 49]),                                  // fn 169: error correction M
            [gs_k(&[p_l, p_h, 49, 80, 48]), payload.to_vec()].concat(), // fn 180: store
            gs_k(&[3, 0, 49, 81, 48]),                                  // fn 181: print
        ]
        .concat(),
    )
}

/// ESC d n: feed n lines; GS V 66 0: feed to the cutter and cut partially.
fn feed_and_cut() -> Piece {
    Piece::Command(vec![ESC, b'd', 3, GS, b'V', 66, 0])
}

/// The slip for a receipt record: town and head names come from `refs` (falling back to the
/// record's codes), the QR code from `qr`, which must name this receipt.
pub fn escpos_receipt(
    record: &Record,
    refs: &ReferenceData,
    qr: &QrReceipt,
    paper: Paper,
) -> Result<Vec<u8>, LedgerError> {
    escpos_receipt_copy(record, refs, qr, paper, PrintCopy::Original)
}

/// [`escpos_receipt`] for one copy: a duplicate prints "*** DUPLICATE ***" under the title
/// and the IST time it was reprinted.
pub fn escpos_receipt_copy(
    record: &Record,
    refs: &ReferenceData,
    qr: &QrReceipt,
    paper: Paper,
    copy: PrintCopy,
) -> Result<Vec<u8>, LedgerError> {
    Ok(encode(&layout(record, refs, qr, paper, copy)?))
}

fn layout(
    record: &Record,
    refs: &ReferenceData,
    qr: &QrReceipt,
    paper: Paper,
    copy: PrintCopy,
) -> Result<Vec<Piece>, LedgerError> {
    let receipt = receipt_of(record)?;
    if qr.tenant() != record.tenant {
        return Err(LedgerError::QrMismatch { field: "tenant" });
    }
    if qr.receipt_number() != receipt.receipt_number {
        return Err(LedgerError::QrMismatch { field: "receipt_number" });
    }
    let total = checked_total(receipt)?;
    let width = paper.columns();
    let town = match &refs.tenant {
        Some(t) if t.id == record.tenant => t.name.as_str(),
        _ => record.tenant.as_str(),
    };
    let head = match refs.fee_heads.iter().find(|h| h.code == receipt.business_service) {
        Some(h) => format!("{} ({})", h.name, h.code),
        None => receipt.business_service.clone(),
    };
    let text = |s: &str| wrap(&printable_text(s), width).into_iter().map(Piece::Line);
    let rule = || Piece::Line("-".repeat(width));

    let mut out = vec![init(), align(true), bold(true)];
    out.extend(text(town));
    out.push(bold(false));
    out.extend(text("Fee receipt"));
    if let PrintCopy::Duplicate { reprinted_at } = copy {
        out.push(bold(true));
        out.extend(text("*** DUPLICATE ***"));
        out.push(bold(false));
        out.extend(text(&format!("Reprinted: {}", IstDateTime::of(reprinted_at))));
    }
    out.push(align(false));
    out.extend(text(&format!("Receipt: {}", receipt.receipt_number)));
    out.extend(text(&format!("Date: {}", IstDateTime::of(receipt.receipt_date))));
    out.extend(text(&format!("Payer: {}", receipt.payer_name)));
    out.extend(text(&format!("Head: {head}")));
    out.push(rule());
    for line in &receipt.lines {
        out.extend(
            two_columns(&printable_text(&line.tax_head), &rupees(line.amount), width).into_iter().map(Piece::Line),
        );
    }
    out.push(rule());
    out.push(double_height(true));
    out.extend(two_columns("TOTAL", &rupees(total), width).into_iter().map(Piece::Line));
    out.push(double_height(false));
    out.extend(text(&format!("Mode: {}", receipt.payment_mode)));
    if let Some(n) = receipt.instrument_number.as_deref().filter(|n| !n.trim().is_empty()) {
        out.extend(text(&format!("Instrument: {n}")));
    }
    if let Some(n) = receipt.transaction_number.as_deref().filter(|n| !n.trim().is_empty()) {
        out.extend(text(&format!("Transaction: {n}")));
    }
    out.push(align(true));
    out.push(qr_code(qr.to_string().as_bytes(), paper.qr_module_dots()));
    out.push(Piece::Line(String::new()));
    out.extend(text("Thank you / dhanyavaad"));
    out.push(align(false));
    out.push(feed_and_cut());
    Ok(out)
}

fn encode(pieces: &[Piece]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Command(c) => bytes.extend_from_slice(c),
            Piece::Line(l) => {
                bytes.extend_from_slice(l.as_bytes());
                bytes.push(b'\n');
            }
        }
    }
    bytes
}

fn rupees(amount: Paise) -> String {
    format!("Rs. {}", amount.rupees_text())
}

/// `left` and `right` on one line of `width`, `right` flush right; when they do not fit,
/// `left` wraps and `right` goes on the last line or a line of its own.
fn two_columns(left: &str, right: &str, width: usize) -> Vec<String> {
    let mut lines = wrap(left, width);
    let last = lines.pop().unwrap_or_default();
    if last.len() + 1 + right.len() <= width {
        lines.push(format!("{last}{right:>pad$}", pad = width - last.len()));
    } else {
        if !last.is_empty() {
            lines.push(last);
        }
        lines.extend(wrap(right, width).into_iter().map(|r| format!("{r:>width$}")));
    }
    lines
}

/// Greedy word wrap of ASCII text to `width` columns; words longer than a line are cut.
/// Runs of whitespace become one space. Always at least one (possibly empty) line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: &str = word;
        loop {
            let room = if line.is_empty() { width } else { width.saturating_sub(line.len() + 1) };
            if word.len() <= room {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            if line.is_empty() {
                // A word longer than a whole line: cut it (text here is ASCII).
                let cut = word.char_indices().nth(width).map_or(word.len(), |(i, _)| i);
                lines.push(word[..cut].to_string());
                word = &word[cut..];
                if word.is_empty() {
                    break;
                }
            } else {
                lines.push(std::mem::take(&mut line));
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::demo;
    use crate::domain::Body;
    use crate::domain::receipt::{AmountLine, PaymentMode, Receipt};
    use crate::ids::RecordId;
    use crate::ledger::parse_qr;

    /// 2026-05-14 10:30 IST.
    const NOW: i64 = 1_778_734_800_000;

    /// A QR payload written out by hand (its all-zero signature is "A" x 86 in base64url).
    const PAYLOAD: &str = "WBR1|pb.nabha|NBH/2026-27/D1/000004|15400|2026-05-14|\
        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|1a2b3c4d";

    /// Demo receipt 4: Baldev Singh, water charges WS_CHARGE Rs. 154.00, cash.
    fn record() -> Record {
        demo::receipt(RecordId(Uuid::from_u128(42)), NOW, "W02", 4)
    }

    fn receipt_mut(record: &mut Record) -> &mut Receipt {
        match &mut record.body {
            Body::Receipt(r) => r,
            _ => unreachable!("demo::receipt makes receipts"),
        }
    }

    fn qr_for(record: &Record) -> QrReceipt {
        let Body::Receipt(r) = &record.body else { unreachable!() };
        parse_qr(&PAYLOAD.replace("NBH/2026-27/D1/000004", &r.receipt_number)).unwrap()
    }

    fn text_lines(record: &Record, paper: Paper) -> Vec<String> {
        layout(record, &demo::reference(), &qr_for(record), paper, PrintCopy::Original)
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Piece::Line(l) => Some(l),
                Piece::Command(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_reprinted_slip_says_duplicate_and_when() {
        let record = record();
        let copy = PrintCopy::Duplicate { reprinted_at: NOW + 3_600_000 };
        let bytes = escpos_receipt_copy(&record, &demo::reference(), &qr_for(&record), Paper::Mm58, copy).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("*** DUPLICATE ***\n"), "{text}");
        assert!(text.contains("Reprinted: 2026-05-14 11:30 IST\n"), "{text}");
        let original = escpos_receipt(&record, &demo::reference(), &qr_for(&record), Paper::Mm58).unwrap();
        assert!(!String::from_utf8_lossy(&original).contains("DUPLICATE"));
    }

    #[test]
    fn the_demo_receipt_prints_exactly_these_bytes_on_58mm() {
        let bytes = escpos_receipt(&record(), &demo::reference(), &parse_qr(PAYLOAD).unwrap(), Paper::Mm58).unwrap();

        let mut expected: Vec<u8> = Vec::new();
        let mut put = |b: &[u8]| expected.extend_from_slice(b);
        put(b"\x1b\x40"); // ESC @: initialise
        put(b"\x1b\x61\x01"); // ESC a 1: centre
        put(b"\x1b\x45\x01"); // ESC E 1: bold
        put(b"Nabha Municipal Council\n");
        put(b"\x1b\x45\x00"); // ESC E 0
        put(b"Fee receipt\n");
        put(b"\x1b\x61\x00"); // ESC a 0: left
        put(b"Receipt: NBH/2026-27/D1/000004\n");
        put(b"Date: 2026-05-14 10:30 IST\n");
        put(b"Payer: Baldev Singh\n");
        put(b"Head: Water charges (WS)\n");
        put(b"--------------------------------\n");
        put(b"WS_CHARGE             Rs. 154.00\n");
        put(b"--------------------------------\n");
        put(b"\x1b\x21\x10"); // ESC ! 0x10: double height
        put(b"TOTAL                 Rs. 154.00\n");
        put(b"\x1b\x21\x00"); // ESC ! 0: normal
        put(b"Mode: CASH\n");
        put(b"\x1b\x61\x01"); // centre
        put(b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00"); // GS ( k fn 165: model 2
        put(b"\x1d\x28\x6b\x03\x00\x31\x43\x05"); // fn 167: module size 5 dots
        put(b"\x1d\x28\x6b\x03\x00\x31\x45\x31"); // fn 169: error correction M
        let store_len = PAYLOAD.len() + 3; // 148 + 3 = 151 = 0x97: pL 0x97, pH 0x00
        assert_eq!(store_len, 0x97);
        put(b"\x1d\x28\x6b\x97\x00\x31\x50\x30"); // fn 180: store
        put(PAYLOAD.as_bytes());
        put(b"\x1d\x28\x6b\x03\x00\x31\x51\x30"); // fn 181: print
        put(b"\n");
        put(b"Thank you / dhanyavaad\n");
        put(b"\x1b\x61\x00"); // left
        put(b"\x1b\x64\x03"); // ESC d 3: feed three lines
        put(b"\x1d\x56\x42\x00"); // GS V 66 0: partial cut

        assert_eq!(
            bytes,
            expected,
            "\n got: {:?}\nwant: {:?}",
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&expected)
        );
    }

    #[test]
    fn on_80mm_amounts_align_to_48_columns_and_the_qr_modules_are_larger() {
        let bytes = escpos_receipt(&record(), &demo::reference(), &parse_qr(PAYLOAD).unwrap(), Paper::Mm80).unwrap();
        let line = format!("WS_CHARGE{}Rs. 154.00\n", " ".repeat(48 - 9 - 10));
        assert!(bytes.windows(line.len()).any(|w| w == line.as_bytes()));
        let total = format!("\x1b\x21\x10TOTAL{}Rs. 154.00\n\x1b\x21\x00", " ".repeat(48 - 5 - 10));
        assert!(bytes.windows(total.len()).any(|w| w == total.as_bytes()));
        assert!(bytes.windows(8).any(|w| w == b"\x1d\x28\x6b\x03\x00\x31\x43\x07"));
        assert!(bytes.ends_with(b"\x1b\x64\x03\x1d\x56\x42\x00"));
    }

    #[test]
    fn the_qr_store_length_bytes_count_the_payload_and_three() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let qr = parse_qr(PAYLOAD).unwrap();
            let bytes = escpos_receipt(&record(), &demo::reference(), &qr, paper).unwrap();
            let store = bytes.windows(3).position(|w| w == b"\x31\x50\x30").unwrap();
            let (p_l, p_h) = (bytes[store - 2], bytes[store - 1]);
            assert_eq!(&bytes[store - 5..store - 2], b"\x1d\x28\x6b");
            let len = usize::from(p_l) + 256 * usize::from(p_h) - 3;
            assert_eq!(len, PAYLOAD.len());
            assert_eq!(&bytes[store + 3..store + 3 + len], PAYLOAD.as_bytes());
            assert_eq!(&bytes[store + 3 + len..store + 3 + len + 8], b"\x1d\x28\x6b\x03\x00\x31\x51\x30");
        }
        // A payload longer than 252 bytes needs the high byte.
        let Piece::Command(c) = qr_code(&[b'x'; 300], 4) else { unreachable!() };
        assert_eq!(&c[25..33], &[0x1d, 0x28, 0x6b, 0x2f, 0x01, 0x31, 0x50, 0x30]); // 303 = 0x012f
    }

    #[test]
    fn no_line_is_wider_than_the_paper_and_every_byte_is_printable_ascii() {
        let mut record = record();
        let r = receipt_mut(&mut record);
        r.payer_name = "Shri Venkataramanasubramaniam Ramaswamy Iyer, s/o Late Shri Ramaswamy Iyer".into();
        r.lines = vec![
            AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(15000) },
            AmountLine {
                tax_head: "WATER_CONNECTION_REGULARISATION_PENALTY_ARREARS".into(),
                amount: Paise(123_456_789),
            },
            AmountLine { tax_head: "ROUND OFF".into(), amount: Paise(1) },
        ];
        r.payment_mode = PaymentMode::Cheque;
        r.instrument_number = Some("000123456789012345678901234567890123".into());
        r.transaction_number = Some("UTR\tSBIN\n26051400001".into());
        for paper in [Paper::Mm58, Paper::Mm80] {
            let lines = text_lines(&record, paper);
            for line in &lines {
                assert!(line.len() <= paper.columns(), "{line:?} is wider than {} columns", paper.columns());
                assert!(line.bytes().all(|b| (0x20..=0x7e).contains(&b)), "{line:?} has non-printable bytes");
            }
            assert!(lines.iter().any(|l| l.ends_with("Rs. 1234567.89")), "{lines:#?}");
            assert!(lines.iter().any(|l| l.contains("Instrument:")));
        }
        assert_eq!(
            text_lines(&record, Paper::Mm58)[4..7],
            ["Payer: Shri", "Venkataramanasubramaniam", "Ramaswamy Iyer, s/o Late Shri"]
        );
    }

    #[test]
    fn a_long_tax_head_wraps_and_its_amount_stays_right_aligned() {
        assert_eq!(
            two_columns("WATER CONNECTION REGULARISATION FEE", "Rs. 1500.00", 32),
            ["WATER CONNECTION REGULARISATION", "FEE                  Rs. 1500.00"]
        );
        assert_eq!(
            two_columns("WATER_CONNECTION_REGULARISATION_FEE", "Rs. 1500.00", 32),
            ["WATER_CONNECTION_REGULARISATION_", "FEE                  Rs. 1500.00"]
        );
        assert_eq!(
            two_columns("A LABEL THAT FILLS THE LINE XXXX", "Rs. 1.00", 32),
            ["A LABEL THAT FILLS THE LINE XXXX", "                        Rs. 1.00"]
        );
    }

    #[test]
    fn wrapping_keeps_words_whole_and_cuts_only_longer_ones() {
        assert_eq!(wrap("one two  three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 32), [""]);
        assert_eq!(wrap("a b", 0), ["a", "b"]);
    }

    #[test]
    fn a_hindi_payer_is_transliterated_not_sent_raw() {
        let mut record = record();
        receipt_mut(&mut record).payer_name = "सुरेश कुमार".into();
        let bytes = escpos_receipt(&record, &demo::reference(), &qr_for(&record), Paper::Mm58).unwrap();
        assert!(bytes.windows(20).any(|w| w == b"Payer: Suresh Kumar\n"));
        let text_bytes: Vec<u8> = text_lines(&record, Paper::Mm58).concat().into_bytes();
        assert!(text_bytes.iter().all(u8::is_ascii));
    }

    #[test]
    fn a_qr_code_for_another_receipt_is_refused() {
        let mut record = record();
        receipt_mut(&mut record).receipt_number = "NBH/2026-27/D1/000005".into();
        assert_eq!(
            escpos_receipt(&record, &demo::reference(), &parse_qr(PAYLOAD).unwrap(), Paper::Mm58),
            Err(LedgerError::QrMismatch { field: "receipt_number" })
        );
    }
}
