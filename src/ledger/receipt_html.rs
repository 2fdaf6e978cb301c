//! The printable receipt: one self-contained HTML page in English and Hindi, for a browser
//! engine to print as PDF (A6, or an 80 mm roll).
//!
//! Hindi needs real text shaping (conjuncts, vowel signs that sit before their consonant),
//! which Rust PDF writers do not do and browser engines do, so the ledger writes HTML and a
//! browser prints it: the app's WebView on a device, headless Chromium on an office machine
//! (`wardbook receipt-pdf`). The page needs nothing from outside: styles are inline, the QR
//! code is an inline SVG, and the fonts are the system's Noto Sans and Noto Sans Devanagari
//! (Debian's `fonts-noto-core`; Android ships both).
//!
//! Every label reads "English / हिन्दी". The page shows the town, the receipt number, the IST
//! date and time, the payer, the head of account (its English and Hindi names from the
//! reference data), the ward, the payment mode (and cheque/DD or transaction number), the
//! collector, one row per tax head, the total as `₹ 1,52,000.00` (Indian digit grouping), and
//! the QR code of the [`QrReceipt`] payload with the signing key's id. Every text that comes
//! from a record or the reference data is HTML-escaped.

use std::fmt::Write;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::fy::IstDateTime;
use super::signing::QrReceipt;
use super::{LedgerError, PrintCopy, checked_total, receipt_of};
use crate::domain::receipt::{AmountLine, PaymentMode};
use crate::domain::{Paise, Record, ReferenceData};

/// The paper a receipt page is laid out for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaperSize {
    /// A6 sheet, 105 × 148 mm: labels beside their values.
    A6,
    /// 80 mm roll (72 mm printable): labels above their values, the page as long as the
    /// receipt needs.
    Roll80mm,
}

impl PaperSize {
    /// The CSS `@page` size and margin; `length_mm` is the roll's estimated length.
    fn page_css(self, length_mm: u32) -> String {
        match self {
            PaperSize::A6 => "size: 105mm 148mm; margin: 6mm".to_string(),
            PaperSize::Roll80mm => format!("size: 80mm {length_mm}mm; margin: 4mm"),
        }
    }

    fn class(self) -> &'static str {
        match self {
            PaperSize::A6 => "a6",
            PaperSize::Roll80mm => "roll80",
        }
    }
}

/// Label pairs: what the page says in English and in Hindi.
const TITLE: (&str, &str) = ("Fee receipt", "शुल्क रसीद");
const RECEIPT_NO: (&str, &str) = ("Receipt No.", "रसीद संख्या");
const DATE: (&str, &str) = ("Date", "दिनांक");
const RECEIVED_FROM: (&str, &str) = ("Received from", "भुगतानकर्ता");
const HEAD: (&str, &str) = ("Head of account", "लेखा शीर्ष");
const WARD: (&str, &str) = ("Ward", "वार्ड");
const MODE: (&str, &str) = ("Payment mode", "भुगतान का तरीका");
const INSTRUMENT: (&str, &str) = ("Cheque/DD No.", "चेक/डीडी संख्या");
const TRANSACTION: (&str, &str) = ("Transaction No.", "लेनदेन संख्या");
const COLLECTOR: (&str, &str) = ("Collected by", "संग्रहकर्ता");
const TAX_HEAD: (&str, &str) = ("Tax head", "कर शीर्ष");
const AMOUNT: (&str, &str) = ("Amount", "राशि");
const TOTAL: (&str, &str) = ("Total", "कुल");
const VERIFY: (&str, &str) = ("Scan to verify this receipt", "इस रसीद की जाँच के लिए स्कैन करें");
const KEY: (&str, &str) = ("Device key", "डिवाइस कुंजी");
const THANKS: (&str, &str) = ("Thank you", "धन्यवाद");
const DUPLICATE: (&str, &str) = ("DUPLICATE", "प्रतिलिपि");
const REPRINTED: (&str, &str) = ("Reprinted", "पुनः मुद्रित");

/// A payment mode in English and Hindi.
fn mode_names(mode: PaymentMode) -> (&'static str, &'static str) {
    match mode {
        PaymentMode::Cash => ("Cash", "नकद"),
        PaymentMode::Upi => ("UPI", "यूपीआई"),
        PaymentMode::Cheque => ("Cheque", "चेक"),
        PaymentMode::Dd => ("Demand draft", "डिमांड ड्राफ्ट"),
        PaymentMode::Online => ("Online", "ऑनलाइन"),
        PaymentMode::OfflineNeft => ("NEFT", "एनईएफटी"),
        PaymentMode::OfflineRtgs => ("RTGS", "आरटीजीएस"),
        PaymentMode::Card => ("Card", "कार्ड"),
        PaymentMode::PostalOrder => ("Postal order", "पोस्टल ऑर्डर"),
    }
}

const STYLE: &str = r#"
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "Noto Sans", "Noto Sans Devanagari", sans-serif; color: #000; line-height: 1.3; }
body.a6 { font-size: 9pt; }
body.roll80 { font-size: 8pt; }
header { text-align: center; border-bottom: 0.4mm solid #000; padding-bottom: 1.5mm; margin-bottom: 2mm; }
h1 { font-size: 1.35em; margin: 0; }
h2 { font-size: 1.2em; margin: 0; font-weight: 700; }
.title { margin: 1mm 0 0; font-weight: 700; }
.label { color: #333; font-size: 0.9em; }
.value { font-weight: 700; overflow-wrap: anywhere; margin-bottom: 1.2mm; }
body.a6 .fields { display: grid; grid-template-columns: max-content 1fr; column-gap: 3mm; align-items: baseline; }
.nowrap { white-space: nowrap; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 1mm; }
th, td { text-align: left; padding: 0.6mm 0; vertical-align: top; }
th { font-weight: 400; font-size: 0.9em; color: #333; border-bottom: 0.2mm solid #000; }
td { overflow-wrap: anywhere; }
.num { text-align: right; white-space: nowrap; padding-left: 2mm; }
tr.total td { border-top: 0.4mm solid #000; font-weight: 700; font-size: 1.3em; padding-top: 1mm; }
p { margin: 0 0 1mm; }
tr, .qr, .notes { break-inside: avoid; }
body.a6 .bottom { display: grid; grid-template-columns: 1fr auto; grid-template-areas: "money qr" "notes qr"; column-gap: 4mm; align-items: start; }
body.a6 .money { grid-area: money; }
body.a6 .qr { grid-area: qr; margin-top: 2mm; }
body.a6 .notes { grid-area: notes; }
body.roll80 .qr { margin: 3mm auto; width: 34mm; }
body.roll80 .notes { text-align: center; }
.qr svg { display: block; width: 32mm; height: 32mm; }
body.roll80 .qr svg { width: 34mm; height: 34mm; }
.small { font-size: 0.85em; }
.duplicate { margin: 1mm 0 0; font-weight: 700; font-size: 1.2em; letter-spacing: 0.1em; border: 0.4mm solid #000; display: inline-block; padding: 0.5mm 2mm; }
"#;

/// The receipt page for a receipt record: town, fee head and ward names come from `refs`
/// (falling back to the record's codes), the QR code from `qr`, which must name this receipt
/// and its amount.
pub fn receipt_html(
    record: &Record,
    refs: &ReferenceData,
    qr: &QrReceipt,
    paper: PaperSize,
) -> Result<String, LedgerError> {
    receipt_html_copy(record, refs, qr, paper, PrintCopy::Original)
}

/// [`receipt_html`] for one copy: a duplicate says "DUPLICATE / प्रतिलिपि" under the title and
/// in the page title, with the IST time it was reprinted.
pub fn receipt_html_copy(
    record: &Record,
    refs: &ReferenceData,
    qr: &QrReceipt,
    paper: PaperSize,
    copy: PrintCopy,
) -> Result<String, LedgerError> {
    let receipt = receipt_of(record)?;
    let total = checked_total(receipt)?;
    if qr.tenant() != record.tenant {
        return Err(LedgerError::QrMismatch { field: "tenant" });
    }
    if qr.receipt_number() != receipt.receipt_number {
        return Err(LedgerError::QrMismatch { field: "receipt_number" });
    }
    if qr.amount() != total {
        return Err(LedgerError::QrMismatch { field: "amount" });
    }
    let qr_svg = qr_svg(&qr.to_string())?;

    let (town, town_hi) = match &refs.tenant {
        Some(t) if t.id == record.tenant => (t.name.as_str(), t.name_hi.as_str()),
        _ => (record.tenant.as_str(), ""),
    };
    let head = match refs.fee_heads.iter().find(|h| h.code == receipt.business_service) {
        Some(h) => both(&format!("{} ({})", h.name, h.code), &h.name_hi),
        None => escape(&receipt.business_service),
    };
    let ward = record.ward.as_deref().map(|code| match refs.wards.iter().find(|w| w.code == code) {
        Some(w) => both(&w.name, &w.name_hi),
        None => escape(code),
    });
    let collector = refs.user(record.created_by).map(|u| escape(&u.name));
    let non_empty = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(escape);

    let mut fields = vec![
        (RECEIPT_NO, nowrap(&receipt.receipt_number)),
        (DATE, escape(&date_time(receipt.receipt_date))),
        (RECEIVED_FROM, escape(&receipt.payer_name)),
        (HEAD, head),
    ];
    fields.extend(ward.map(|w| (WARD, w)));
    let (mode, mode_hi) = mode_names(receipt.payment_mode);
    fields.push((MODE, both(mode, mode_hi)));
    fields.extend(non_empty(&receipt.instrument_number).map(|n| (INSTRUMENT, n)));
    fields.extend(non_empty(&receipt.transaction_number).map(|n| (TRANSACTION, n)));
    fields.extend(collector.map(|c| (COLLECTOR, c)));

    let mut html = String::with_capacity(8 * 1024);
    let h = &mut html;
    // Writing to a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} {number}{dup}</title>\n<style>@page {{ {page}; }}{STYLE}</style>\n</head>\n\
         <body class=\"{class}\">\n<header>\n<h1>{town}</h1>\n",
        title = TITLE.0,
        number = escape(&receipt.receipt_number),
        dup = if copy == PrintCopy::Original { "" } else { " (duplicate)" },
        page = paper.page_css(roll_length_mm(&fields, &receipt.lines)),
        class = paper.class(),
        town = escape(town),
    );
    if !town_hi.is_empty() {
        let _ = writeln!(h, "<h2 lang=\"hi\">{}</h2>", escape(town_hi));
    }
    let _ = writeln!(h, "<p class=\"title\">{}</p>", label(TITLE));
    if let PrintCopy::Duplicate { reprinted_at } = copy {
        let _ = writeln!(
            h,
            "<p class=\"duplicate\" data-copy=\"duplicate\">{}</p>\n<p class=\"small\">{}: {}</p>",
            label(DUPLICATE),
            label(REPRINTED),
            escape(&date_time(reprinted_at))
        );
    }
    let _ = writeln!(h, "</header>");
    let _ = writeln!(h, "<div class=\"fields\">");
    for (name, value) in &fields {
        let _ = writeln!(h, "<div class=\"label\">{}</div><div class=\"value\">{value}</div>", label(*name));
    }
    let _ = writeln!(h, "</div>");
    let _ = writeln!(
        h,
        "<div class=\"bottom\">\n<table class=\"money\">\n<tr><th>{}</th><th class=\"num\">{}</th></tr>",
        label(TAX_HEAD),
        label(AMOUNT)
    );
    for line in &receipt.lines {
        let _ =
            writeln!(h, "<tr><td>{}</td><td class=\"num\">{}</td></tr>", escape(&line.tax_head), rupees(line.amount));
    }
    let _ = writeln!(
        h,
        "<tr class=\"total\"><td>{}</td><td class=\"num\">{}</td></tr>\n</table>",
        label(TOTAL),
        rupees(total)
    );
    let _ = write!(
        h,
        "<div class=\"qr\">{qr_svg}</div>\n<div class=\"notes\">\n<p class=\"small\">{verify}</p>\n\
         <p class=\"small\">{key}: <span class=\"nowrap\">{key_id}</span></p>\n<p>{thanks}</p>\n</div>\n</div>\n\
         </body>\n</html>\n",
        verify = label(VERIFY),
        key = label(KEY),
        key_id = escape(qr.key_id()),
        thanks = label(THANKS),
    );
    Ok(html)
}

/// How long the roll must be for the page to fit on one page: Chromium prints `size: 80mm
/// auto` on Letter, so the length is estimated (generously: a roll printer feeds the rest as
/// blank paper, while an underestimate would print a second page). The constants were measured
/// on Chromium's print of this page with Noto Sans (`tests/it/receipt_pdf.rs` checks that
/// long receipts stay on one page): the fixed part (margins, town, title, table header,
/// total, QR code, footer) is 93 mm; a field label is 4 mm and each line of its value 4 mm
/// (about 36 bold characters fit a line); a tax head row 5 mm (about 28 characters).
fn roll_length_mm(fields: &[((&str, &str), String)], lines: &[AmountLine]) -> u32 {
    let wrapped = |chars: usize, per_line: usize| u32::try_from(chars.div_ceil(per_line).max(1)).unwrap_or(u32::MAX);
    let fields =
        fields.iter().map(|(_, value)| 4u32.saturating_add(wrapped(visible_chars(value), 36).saturating_mul(4)));
    let lines = lines.iter().map(|l| wrapped(l.tax_head.chars().count(), 28).saturating_mul(5));
    fields.chain(lines).fold(93, u32::saturating_add)
}

/// The characters of an HTML fragment a reader sees: text outside tags, an entity as one.
fn visible_chars(html: &str) -> usize {
    let (mut count, mut in_tag, mut in_entity) = (0, false, false);
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            ';' if in_entity => in_entity = false,
            _ if in_entity => {}
            '&' => {
                in_entity = true;
                count += 1;
            }
            _ => count += 1,
        }
    }
    count
}

/// `English / हिन्दी`, the Hindi marked as such (for the shaper and screen readers).
fn label((en, hi): (&str, &str)) -> String {
    both(en, hi)
}

/// Escaped English text and, when there is one, its escaped Hindi counterpart.
fn both(en: &str, hi: &str) -> String {
    if hi.trim().is_empty() { escape(en) } else { format!("{} / <span lang=\"hi\">{}</span>", escape(en), escape(hi)) }
}

fn nowrap(text: &str) -> String {
    format!("<span class=\"nowrap\">{}</span>", escape(text))
}

/// Text made safe for HTML element content and quoted attribute values (the receipt page and
/// the server's public check page).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `14/05/2026 10:30 IST`: the day first, as Indian offices write dates.
fn date_time(at: i64) -> String {
    let t = IstDateTime::of(at);
    format!("{:02}/{:02}/{:04} {:02}:{:02} IST", t.date.day, t.date.month, t.date.year, t.hour, t.minute)
}

/// `₹ 1,52,000.00`: rupees with two decimals, digits grouped the Indian way (the last three,
/// then pairs), in a span that does not wrap.
fn rupees(amount: Paise) -> String {
    format!("<span class=\"nowrap\">{}</span>", rupees_text(amount))
}

fn rupees_text(amount: Paise) -> String {
    let text = amount.rupees_text();
    let (sign, unsigned) = text.strip_prefix('-').map_or(("", text.as_str()), |rest| ("-", rest));
    let (whole, paise) = unsigned.split_once('.').unwrap_or((unsigned, "00"));
    let mut grouped = String::new();
    let (head, last3) = whole.split_at(whole.len().saturating_sub(3));
    let first = head.len() % 2;
    for (i, c) in head.chars().enumerate() {
        if i > 0 && (i + 2 - first) % 2 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if !head.is_empty() {
        grouped.push(',');
    }
    grouped.push_str(last3);
    format!("{sign}₹ {grouped}.{paise}")
}

/// The QR code of `payload` as an inline SVG element (error correction M, as on the thermal
/// slip; one unit per module with the 4-module quiet zone; the page's CSS sizes it).
pub fn qr_svg(payload: &str) -> Result<String, LedgerError> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M)
        .map_err(|_| LedgerError::NotQrSafe { field: "qr_payload", value: payload.to_string() })?;
    let svg = code.render::<svg::Color>().module_dimensions(1, 1).quiet_zone(true).build();
    // The renderer writes a standalone document; inside HTML only the element belongs.
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].to_string())
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;
    use crate::demo;
    use crate::domain::Body;
    use crate::domain::receipt::Receipt;
    use crate::ids::RecordId;
    use crate::ledger::{DeviceKey, parse_qr, sign};

    /// 2026-05-14 10:30 IST.
    const NOW: i64 = 1_778_734_800_000;

    /// Demo receipt `n`, signed by a fixed key, and its QR code.
    fn signed(n: u32, edit: impl FnOnce(&mut Receipt)) -> (Record, QrReceipt) {
        let mut record = demo::receipt(RecordId(Uuid::from_u128(42)), NOW, "W02", n);
        let Body::Receipt(r) = &mut record.body else { unreachable!("demo::receipt makes receipts") };
        edit(r);
        let key = DeviceKey::from_seed([9; 32]);
        let qr = QrReceipt::new(&record, sign(&key, &record).unwrap(), &key.public_key()).unwrap();
        (record, qr)
    }

    fn page(n: u32, edit: impl FnOnce(&mut Receipt)) -> String {
        let (record, qr) = signed(n, edit);
        receipt_html(&record, &demo::reference(), &qr, PaperSize::A6).unwrap()
    }

    #[test]
    fn a_reprint_says_duplicate_in_both_languages_with_when_and_the_original_does_not() {
        let (record, qr) = signed(2, |_| ());
        let original = receipt_html(&record, &demo::reference(), &qr, PaperSize::A6).unwrap();
        assert!(
            !original.contains("DUPLICATE") && !original.contains("data-copy") && !original.contains("(duplicate)")
        );
        let later = NOW + 2 * 86_400_000 + 3_600_000;
        let copy = PrintCopy::Duplicate { reprinted_at: later };
        let dup = receipt_html_copy(&record, &demo::reference(), &qr, PaperSize::A6, copy).unwrap();
        assert!(dup.contains("DUPLICATE / <span lang=\"hi\">प्रतिलिपि</span>"), "{dup}");
        assert!(dup.contains("16/05/2026 11:30 IST"), "the reprint time is on the page");
        assert!(dup.contains("(duplicate)</title>"));
        // Everything else of the original is there.
        assert!(dup.contains(&qr_svg(&qr.to_string()).unwrap()));
    }

    #[test]
    fn every_label_is_in_english_and_hindi() {
        let html = page(2, |_| ());
        for (en, hi) in [
            TITLE,
            RECEIPT_NO,
            DATE,
            RECEIVED_FROM,
            HEAD,
            WARD,
            MODE,
            COLLECTOR,
            TAX_HEAD,
            AMOUNT,
            TOTAL,
            VERIFY,
            KEY,
            THANKS,
        ] {
            let both = format!("{en} / <span lang=\"hi\">{hi}</span>");
            assert!(html.contains(&both), "{both} missing from\n{html}");
        }
        assert!(html.contains("<h1>Nabha Municipal Council</h1>\n<h2 lang=\"hi\">नाभा नगर परिषद</h2>"));
    }

    #[test]
    fn the_fields_show_the_receipt_and_the_names_from_the_reference_data() {
        let html = page(2, |_| ());
        let field =
            |name: (&str, &str), value: &str| format!("{}</div><div class=\"value\">{value}</div>", label(name));
        for expected in [
            field(RECEIPT_NO, "<span class=\"nowrap\">NBH/2026-27/D1/000002</span>"),
            field(DATE, "14/05/2026 10:30 IST"),
            field(RECEIVED_FROM, "Mohammad Iqbal"),
            field(HEAD, "Water charges (WS) / <span lang=\"hi\">जल शुल्क</span>"),
            field(WARD, "Ward 2 Bouran Gate / <span lang=\"hi\">वार्ड 2 बौड़ां गेट</span>"),
            field(MODE, "Cash / <span lang=\"hi\">नकद</span>"),
            field(COLLECTOR, "Ravi Kumar"),
        ] {
            assert!(html.contains(&expected), "{expected} missing from\n{html}");
        }
        assert!(
            html.contains("<tr><td>WS_CHARGE</td><td class=\"num\"><span class=\"nowrap\">₹ 152.00</span></td></tr>")
        );
        assert!(html.contains("<tr class=\"total\"><td>Total / <span lang=\"hi\">कुल</span></td><td class=\"num\"><span class=\"nowrap\">₹ 152.00</span></td></tr>"));
        assert!(!html.contains(INSTRUMENT.0) && !html.contains(TRANSACTION.0), "no cheque, no transaction");
    }

    #[test]
    fn a_hindi_payer_is_written_in_devanagari() {
        let html = page(3, |_| ());
        assert!(html.contains("<div class=\"value\">सुरेश कुमार</div>"), "{html}");
    }

    #[test]
    fn whatever_a_record_holds_is_escaped() {
        let nasty = r#"<script>alert("x")</script> & Sons' <b>"#;
        let html = page(2, |r| {
            r.payer_name = nasty.into();
            r.lines[0].tax_head = "<img src=x onerror=alert(1)>".into();
            r.payment_mode = PaymentMode::Cheque;
            r.instrument_number = Some("12\"><i>".into());
            r.transaction_number = Some("T&T".into());
            r.business_service = "<HEAD>".into();
        });
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons&#39; &lt;b&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("12&quot;&gt;&lt;i&gt;") && html.contains("T&amp;T") && html.contains("&lt;HEAD&gt;"));
        for raw in ["<script", "<img", "<i>", "<b>", "<HEAD>", "T&T"] {
            assert!(!html.contains(raw), "{raw} reached the page unescaped");
        }
    }

    #[test]
    fn names_from_the_reference_data_are_escaped_too() {
        let (record, qr) = signed(2, |_| ());
        let mut refs = demo::reference();
        let town = refs.tenant.as_mut().unwrap();
        town.name = "A&B <Council>".into();
        town.name_hi = "<नगर>".into();
        refs.fee_heads[1].name = "Water \"charges\"".into();
        refs.wards[1].name_hi = "<वार्ड>".into();
        let html = receipt_html(&record, &refs, &qr, PaperSize::A6).unwrap();
        assert!(html.contains("<title>Fee receipt NBH/2026-27/D1/000002</title>"));
        assert!(html.contains("<h1>A&amp;B &lt;Council&gt;</h1>\n<h2 lang=\"hi\">&lt;नगर&gt;</h2>"));
        assert!(html.contains("Water &quot;charges&quot; (WS)") && html.contains("&lt;वार्ड&gt;"));
    }

    #[test]
    fn without_reference_data_the_page_falls_back_to_codes() {
        let (record, qr) = signed(2, |_| ());
        let html = receipt_html(&record, &ReferenceData::default(), &qr, PaperSize::A6).unwrap();
        assert!(html.contains("<h1>pb.nabha</h1>\n<p class=\"title\">"));
        assert!(html.contains(&format!("{}</div><div class=\"value\">WS</div>", label(HEAD))));
        assert!(html.contains(&format!("{}</div><div class=\"value\">W02</div>", label(WARD))));
        assert!(!html.contains(COLLECTOR.0));
    }

    #[test]
    fn amounts_have_the_rupee_sign_two_decimals_and_indian_grouping() {
        let cases = [
            (0, "₹ 0.00"),
            (5, "₹ 0.05"),
            (15200, "₹ 152.00"),
            (99_999, "₹ 999.99"),
            (100_000, "₹ 1,000.00"),
            (1_234_567, "₹ 12,345.67"),
            (12_000_000, "₹ 1,20,000.00"),
            (12_345_678_900, "₹ 12,34,56,789.00"),
            (-150_050, "-₹ 1,500.50"),
            (i64::MAX, "₹ 92,23,37,20,36,85,47,758.07"),
        ];
        for (paise, text) in cases {
            assert_eq!(rupees_text(Paise(paise)), text, "{paise} paise");
        }
    }

    #[test]
    fn a_receipt_with_several_heads_lists_each_and_totals_them() {
        let html = page(2, |r| {
            r.lines.push(AmountLine { tax_head: "WS_PENALTY".into(), amount: Paise(1_000_050) });
        });
        assert!(
            html.contains(
                "<tr><td>WS_PENALTY</td><td class=\"num\"><span class=\"nowrap\">₹ 10,000.50</span></td></tr>"
            )
        );
        assert!(html.contains("<span class=\"nowrap\">₹ 10,152.50</span></td></tr>\n</table>"));
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_of_the_payload() {
        let (record, qr) = signed(2, |_| ());
        let html = receipt_html(&record, &demo::reference(), &qr, PaperSize::A6).unwrap();
        assert!(!html.contains("<?xml"), "no XML prolog inside HTML");
        let svg = &html[html.find("<div class=\"qr\"><svg xmlns=\"http://www.w3.org/2000/svg\"").unwrap()..];
        assert!(svg.contains("shape-rendering=\"crispEdges\"") && svg.contains("<path fill=\"#000\" d=\"M"));
        assert_eq!(html.matches("<svg").count(), 1);

        // The SVG draws exactly the modules of the payload's QR code (version and level M as
        // the thermal slip prints it), with a quiet zone of 4.
        let code = QrCode::with_error_correction_level(qr.to_string().as_bytes(), EcLevel::M).unwrap();
        let side = code.width() + 8;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")), "{svg}");
        assert_eq!(qr_svg(&qr.to_string()).unwrap(), &svg[svg.find("<svg").unwrap()..svg.find("</svg>").unwrap() + 6]);
        assert_eq!(parse_qr(&qr.to_string()).unwrap(), qr);
        assert!(html.contains(&format!("<span class=\"nowrap\">{}</span>", qr.key_id())));
    }

    #[test]
    fn the_page_is_sized_for_its_paper() {
        let (record, qr) = signed(2, |_| ());
        let a6 = receipt_html(&record, &demo::reference(), &qr, PaperSize::A6).unwrap();
        assert!(a6.contains("@page { size: 105mm 148mm; margin: 6mm; }") && a6.contains("<body class=\"a6\">"));
        let roll = receipt_html(&record, &demo::reference(), &qr, PaperSize::Roll80mm).unwrap();
        assert!(roll.contains("<body class=\"roll80\">"));
        assert!(roll.contains("@page { size: 80mm ") && roll.contains("mm; margin: 4mm; }"));
        assert!(roll.contains(r#"font-family: "Noto Sans", "Noto Sans Devanagari", sans-serif;"#));
    }

    #[test]
    fn the_roll_grows_with_what_wraps() {
        assert_eq!(visible_chars("<span class=\"nowrap\">A&amp;B &lt;C&gt;</span>"), 7);
        let length = |payer: &str, lines: usize| {
            let (record, qr) = signed(2, |r| {
                r.payer_name = payer.into();
                r.lines = vec![AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(100) }; lines];
            });
            let html = receipt_html(&record, &demo::reference(), &qr, PaperSize::Roll80mm).unwrap();
            let at = html.find("size: 80mm ").unwrap() + "size: 80mm ".len();
            html[at..at + html[at..].find("mm;").unwrap()].parse::<u32>().unwrap()
        };
        // 93 fixed, 7 fields of one line (8 mm each) and the ward's second (its 38 characters
        // are counted as two lines), one tax head (5 mm).
        assert_eq!(length("Mohammad Iqbal", 1), 93 + 7 * 8 + 4 + 5);
        assert_eq!(length(&"x".repeat(37), 1), 93 + 7 * 8 + 4 + 4 + 5, "a second line of the payer");
        assert_eq!(length("Mohammad Iqbal", 3), 93 + 7 * 8 + 4 + 3 * 5);
    }

    #[test]
    fn a_qr_code_of_another_receipt_or_amount_is_refused() {
        let (record, _) = signed(2, |_| ());
        let (_, other) = signed(3, |_| ());
        assert_eq!(
            receipt_html(&record, &demo::reference(), &other, PaperSize::A6),
            Err(LedgerError::QrMismatch { field: "receipt_number" })
        );
        let payload = parse_qr(&other.to_string().replace("000003|15300", "000002|15300")).unwrap();
        assert_eq!(
            receipt_html(&record, &demo::reference(), &payload, PaperSize::A6),
            Err(LedgerError::QrMismatch { field: "amount" })
        );
        let payload =
            parse_qr(&other.to_string().replace("pb.nabha|NBH/2026-27/D1/000003", "pb.patiala|NBH/2026-27/D1/000002"))
                .unwrap();
        assert_eq!(
            receipt_html(&record, &demo::reference(), &payload, PaperSize::A6),
            Err(LedgerError::QrMismatch { field: "tenant" })
        );
        let inspection = demo::inspection(RecordId::new(), NOW, "W01", 1);
        assert!(matches!(
            receipt_html(&inspection, &demo::reference(), &other, PaperSize::A6),
            Err(LedgerError::NotAReceipt { .. })
        ));
    }
}
