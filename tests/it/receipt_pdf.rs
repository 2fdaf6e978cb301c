//! The printed receipt: the ledger's bilingual page printed to PDF by headless Chromium (as
//! `wardbook receipt-pdf` does, and as the app's WebView will) and read back with poppler:
//! `pdftotext` finds the number, the amount and the payer in English and in Hindi, the QR code
//! on the rendered page scans back to a payload that verifies against the record, and an
//! 80 mm roll holds even a long receipt on one page.
//!
//! Needs `chromium`, `fonts-noto-core` and `poppler-utils` (installed by `scripts/setup`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use uuid::Uuid;
use wardbook::demo;
use wardbook::domain::receipt::{AmountLine, PaymentMode, Receipt};
use wardbook::domain::{Body, Paise, Record};
use wardbook::ids::RecordId;
use wardbook::ledger::{self, DeviceKey, PaperSize, QrReceipt};

use crate::{Device, T0};

/// The key of the device that issues the receipts printed straight from the ledger.
/// (`wardbook receipt-pdf` prints the signature a store's own key made when it issued the
/// receipt.)
fn key() -> DeviceKey {
    DeviceKey::from_seed([0x5a; 32])
}

/// Demo receipt `n` (2: Mohammad Iqbal, ₹ 152.00; 3: सुरेश कुमार, ₹ 153.00), edited, signed.
/// Its id is fixed, so the signature and the QR code are the same on every run.
fn signed_receipt(n: u32, edit: impl FnOnce(&mut Receipt)) -> (Record, QrReceipt) {
    let mut record = demo::receipt(
        RecordId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_1000 + u128::from(n))),
        T0,
        "W02",
        n,
    );
    let Body::Receipt(r) = &mut record.body else { unreachable!("demo::receipt makes receipts") };
    edit(r);
    let qr = QrReceipt::new(&record, ledger::sign(&key(), &record).unwrap(), &key().public_key()).unwrap();
    (record, qr)
}

/// A receipt printed to PDF in its own temporary directory.
struct Printed {
    dir: TempDir,
    pdf: PathBuf,
}

/// Reads the QR code off the printed page, as a scanner would. rqrr, a small decoder, misses
/// a code now and then at one resolution and reads it at the next (phone scanners try frame
/// after frame), so the page is rendered at three; every read must be the same payload, and
/// one read is required.
fn scan(printed: &Printed) -> QrReceipt {
    let mut reads = Vec::new();
    for dpi in [150, 200, 300] {
        let page = printed.grey(dpi);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(page.width, page.height, |x, y| page.at(x, y));
        let grids = image.detect_grids();
        assert!(grids.len() <= 1, "one QR code on the page");
        reads.extend(grids.iter().filter_map(|g| g.decode().ok()).map(|(_, payload)| payload));
    }
    assert!(!reads.is_empty(), "the QR code was not read at 150, 200 or 300 dpi");
    assert!(reads.iter().all(|r| *r == reads[0]), "{reads:?}");
    ledger::parse_qr(&reads[0]).unwrap()
}

impl Printed {
    /// Prints the receipt page of `record` on `paper`.
    fn new(record: &Record, qr: &QrReceipt, paper: PaperSize) -> Printed {
        let html = ledger::receipt_html(record, &demo::reference(), qr, paper).unwrap();
        let dir = TempDir::new().unwrap();
        let pdf = dir.path().join("receipt.pdf");
        let browser = wardbook::print::find_browser().expect("chromium (scripts/setup installs it)");
        wardbook::print::html_to_pdf(&browser, &html, &pdf).unwrap();
        assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"), "Chromium wrote no PDF");
        Printed { dir, pdf }
    }

    /// `pdftotext -layout`: the text in reading order, columns kept apart.
    fn text(&self) -> String {
        stdout(Command::new("pdftotext").arg("-layout").arg(&self.pdf).arg("-"))
    }

    fn pages(&self) -> usize {
        let info = stdout(Command::new("pdfinfo").arg(&self.pdf));
        let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).expect("pdfinfo names the page count");
        pages.trim().parse().unwrap()
    }

    /// The page rendered in shades of grey at `dpi` (`pdftoppm -gray`, read from its PGM).
    fn grey(&self, dpi: u32) -> Grey {
        let prefix = self.dir.path().join(format!("page-{dpi}"));
        stdout(
            Command::new("pdftoppm").args(["-gray", "-singlefile", "-r", &dpi.to_string()]).arg(&self.pdf).arg(&prefix),
        );
        Grey::read_pgm(&std::fs::read(prefix.with_extension("pgm")).unwrap(), dpi)
    }
}

/// Runs a tool to completion and returns its standard output, failing the test with the
/// tool's complaints if it fails or takes more than a minute.
fn stdout(command: &mut Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child =
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}): install chromium, fonts-noto-core and poppler-utils (scripts/setup)")
        });
    // Both pipes are drained on threads, so a chatty tool never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| String::from_utf8_lossy(&bytes).into_owned())
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("{program} took more than a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (out, err) = (out.join().unwrap().unwrap(), err.join().unwrap().unwrap());
    assert!(status.success(), "{program} failed ({status}): {err}");
    out
}

/// Whether `text` (from pdftotext) contains `wanted`, allowing only the one artefact poppler
/// adds to Devanagari.
///
/// Chromium wraps each Devanagari cluster whose glyphs are not one per character in an
/// `ActualText` span, so pdftotext gets the characters in logical order whatever the glyphs'
/// visual order (the vowel sign ि drawn before its consonant comes out after it). But poppler
/// ends a span at the advance of its *last glyph*: when that is a vowel sign or anusvara the
/// font places under or over the consonant (कु, कै, कुं in Noto Sans Devanagari), the span
/// ends short of the consonant's width, pdftotext sees a gap and writes a space there
/// ("सुरेश कुमार" comes out "सुरेश कु मार"). So after a Devanagari dependent sign in
/// `wanted` (a vowel sign, virama, candrabindu, anusvara or visarga) one space in `text` is
/// skipped; everything else must match exactly — every letter, sign and real space, in order.
fn contains_text(text: &str, wanted: &str) -> bool {
    let is_sign = |c: char| matches!(c, '\u{0900}'..='\u{0903}' | '\u{093a}'..='\u{094f}' | '\u{0955}'..='\u{0957}' | '\u{0962}'..='\u{0963}');
    let text: Vec<char> = text.chars().collect();
    let wanted: Vec<char> = wanted.chars().collect();
    (0..text.len()).any(|start| {
        let mut at = start;
        for (i, &c) in wanted.iter().enumerate() {
            if text.get(at) != Some(&c) {
                return false;
            }
            at += 1;
            let next_is_space = wanted.get(i + 1).is_some_and(|n| n.is_whitespace());
            if is_sign(c) && !next_is_space && text.get(at) == Some(&' ') {
                at += 1;
            }
        }
        true
    })
}

fn assert_text(printed: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(contains_text(printed, w), "{w:?} not found in the PDF's text:\n{printed}");
    }
}

#[test]
fn the_tolerance_for_pdftotext_covers_only_the_space_after_a_sign() {
    assert!(contains_text("Received from / भुगतानकर्ता        सुरेश कु मार", "सुरेश कुमार"));
    assert!(contains_text("स्कै न करें", "स्कैन करें"));
    assert!(contains_text("सुरेश कुमार", "सुरेश कुमार"));
    assert!(!contains_text("सुरेशकुमार", "सुरेश कुमार"), "a real space is required");
    assert!(contains_text("सुरे श कुमार", "सुरेश कुमार"), "after any sign, as poppler cannot tell");
    assert!(!contains_text("सुरेश क मार", "सुरेश कुमार"), "a missing vowel sign is missing");
    assert!(!contains_text("सुरेश कमुार", "सुरेश कुमार"), "signs out of logical order do not match");
    assert!(!contains_text("सुरेश क ुमार", "सुरेश कुमार"), "no space is tolerated after a letter");
    assert!(!contains_text("Receipt  No.", "Receipt No."), "nor in Latin text");
    assert!(!contains_text("सुरेश  कुमार", "सुरेश कुमार"), "spaces are not squeezed");
    assert!(!contains_text("", "रसीद"));
}

#[test]
fn a_hindi_payer_prints_in_devanagari_with_the_number_and_amount() {
    let (record, qr) = signed_receipt(3, |_| ());
    for paper in [PaperSize::A6, PaperSize::Roll80mm] {
        let printed = Printed::new(&record, &qr, paper);
        assert_eq!(printed.pages(), 1, "{paper:?}");
        let text = printed.text();
        assert_text(
            &text,
            &[
                "NBH/2026-27/D1/000003",
                "₹ 153.00",
                "सुरेश कुमार",
                "Nabha Municipal Council",
                "नाभा नगर परिषद",
                "Fee receipt / शुल्क रसीद",
                "Receipt No. / रसीद संख्या",
                "Received from / भुगतानकर्ता",
                "Water charges (WS) / जल शुल्क",
                "Cash / नकद",
                "Total / कुल",
                "01/01/2026 09:00 IST",
            ][..],
        );
        if paper == PaperSize::A6 {
            // Labels beside their values: the payer on the label's line.
            let line = text.lines().find(|l| l.contains("Received from")).unwrap();
            assert!(contains_text(line, "सुरेश कुमार"), "{line:?}");
        }
    }
}

#[test]
fn an_english_payer_prints_with_the_hindi_labels() {
    let (record, qr) = signed_receipt(2, |_| ());
    for paper in [PaperSize::A6, PaperSize::Roll80mm] {
        let text = Printed::new(&record, &qr, paper).text();
        assert_text(
            &text,
            &[
                "NBH/2026-27/D1/000002",
                "₹ 152.00",
                "Mohammad Iqbal",
                "रसीद",
                "नाभा नगर परिषद",
                "Payment mode / भुगतान का तरीका",
                "Head of account / लेखा शीर्ष",
                "Date / दिनांक",
                "Amount / राशि",
            ][..],
        );
    }
}

#[test]
fn the_printed_qr_code_scans_back_and_verifies() {
    let (record, qr) = signed_receipt(3, |_| ());
    for paper in [PaperSize::A6, PaperSize::Roll80mm] {
        let scanned = scan(&Printed::new(&record, &qr, paper));
        assert_eq!(scanned, qr, "{paper:?}");
        ledger::check_qr(&scanned, &record, &key().public_key()).unwrap();
    }
}

/// A cheque receipt with two heads and a long name still fits an A6 sheet.
#[test]
fn a_cheque_receipt_with_two_heads_fits_an_a6_sheet() {
    let (record, qr) = signed_receipt(3, |r| {
        r.payer_name = "श्रीमती सुशीला देवी पत्नी स्वर्गीय श्री रामचन्द्र शर्मा (Smt. Sushila Devi)".into();
        r.payment_mode = PaymentMode::Cheque;
        r.instrument_number = Some("004512 / State Bank of India, Nabha".into());
        r.transaction_number = Some("UTR SBIN 2605140000123456789".into());
        r.lines = vec![
            AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(15000) },
            AmountLine { tax_head: "WS_CONNECTION_FEE".into(), amount: Paise(250_000) },
        ];
    });
    let printed = Printed::new(&record, &qr, PaperSize::A6);
    assert_eq!(printed.pages(), 1, "{}", printed.text());
    assert_text(&printed.text(), &["₹ 2,650.00", "004512", "स्वर्गीय"]);
}

#[test]
fn a_long_receipt_stays_on_one_roll_page_without_much_blank_paper() {
    let (long, long_qr) = signed_receipt(3, |r| {
        r.payer_name = "श्रीमती सुशीला देवी पत्नी स्वर्गीय श्री रामचन्द्र शर्मा, मकान नंबर 1234, \
                        Shri Venkataramanasubramaniam Ramaswamy Iyer & Sons (Proprietors)"
            .into();
        r.payment_mode = PaymentMode::Cheque;
        r.instrument_number = Some("000123456789012345678901234567890123".into());
        r.transaction_number = Some("UTR SBIN 2605140000123456789".into());
        r.lines = vec![
            AmountLine { tax_head: "WS_CHARGE".into(), amount: Paise(15000) },
            AmountLine {
                tax_head: "WATER_CONNECTION_REGULARISATION_FEE_WITH_PENALTY".into(),
                amount: Paise(123_456_789),
            },
            AmountLine { tax_head: "ROUND OFF".into(), amount: Paise(1) },
        ];
    });
    let (short, short_qr) = signed_receipt(2, |_| ());
    for (record, qr) in [(&long, &long_qr), (&short, &short_qr)] {
        let printed = Printed::new(record, qr, PaperSize::Roll80mm);
        assert_eq!(printed.pages(), 1);
        let page = printed.grey(50);
        let blank_mm = page.blank_rows_at_bottom() as f64 * 25.4 / 50.0;
        assert!(blank_mm < 25.0, "{blank_mm:.0} mm of blank roll after the receipt");
    }
    assert_text(&Printed::new(&long, &long_qr, PaperSize::Roll80mm).text(), &["₹ 12,34,717.90"]);
}

/// Runs `wardbook receipt-pdf` on a device's store.
fn receipt_pdf(device: &Device, id: RecordId, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wardbook"))
        .arg("receipt-pdf")
        .arg("--db")
        .arg(&device.path)
        .args(["--id", &id.to_string(), "--paper", "80mm", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn wardbook_receipt_pdf_prints_a_receipt_with_the_signature_its_device_stored() {
    let mut device = Device::new();
    let record = demo::receipt(RecordId::new(), T0, "W02", 3);
    device.store.create(&record, T0).unwrap();
    let dir = TempDir::new().unwrap();
    let pdf = dir.path().join("receipt.pdf");
    let output = receipt_pdf(&device, record.id, &pdf);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), pdf.display().to_string());

    let printed = Printed { dir, pdf };
    assert_text(&printed.text(), &["NBH/2026-27/D1/000003", "₹ 153.00", "सुरेश कुमार", "रसीद"]);
    let stored = device.store.get(record.id).unwrap();
    let Body::Receipt(r) = &stored.body else { unreachable!("a receipt") };
    let key = device.store.device_key().unwrap().public_key();
    let scanned = scan(&printed);
    assert_eq!(Some(ledger::encode_signature(scanned.signature())), r.signature, "the stored signature");
    ledger::check_qr(&scanned, &stored, &key).unwrap();
}

#[test]
fn wardbook_receipt_pdf_prints_only_on_the_device_that_issued_the_receipt() {
    let mut issuer = Device::new();
    let record = demo::receipt(RecordId::new(), T0, "W02", 2);
    issuer.store.create(&record, T0).unwrap();
    let bytes = issuer.store.document(record.id).unwrap().save();
    let mut office = Device::new();
    office.store.merge_document(record.id, &bytes, T0).unwrap();

    let output = receipt_pdf(&office, record.id, &office.path.with_file_name("receipt.pdf"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let issuer_key = issuer.store.device_key().unwrap().public_key().key_id();
    assert!(stderr.contains(&format!("was issued by device key {issuer_key}, not this install's")), "{stderr}");
}

#[test]
fn wardbook_receipt_pdf_says_clearly_when_chromium_is_missing() {
    let mut device = Device::new();
    let record = demo::receipt(RecordId::new(), T0, "W02", 2);
    device.store.create(&record, T0).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_wardbook"))
        .arg("receipt-pdf")
        .arg("--db")
        .arg(&device.path)
        .args(["--id", &record.id.to_string(), "--out", "/nonexistent/receipt.pdf"])
        .env("PATH", "/nonexistent")
        .env_remove("WARDBOOK_CHROMIUM")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Chromium was not found"), "{stderr}");
}

/// A greyscale page (0 black, 255 white).
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    /// Reads a binary PGM (`P5`, 8-bit) as pdftoppm writes it.
    fn read_pgm(bytes: &[u8], dpi: u32) -> Grey {
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(std::str::from_utf8(&bytes[start..at]).unwrap().to_string());
        }
        assert_eq!((fields[0].as_str(), fields[3].as_str()), ("P5", "255"), "an 8-bit binary PGM at {dpi} dpi");
        let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
        let pixels = bytes[at + 1..].to_vec();
        assert_eq!(pixels.len(), width * height);
        Grey { width, height, pixels }
    }

    fn at(&self, x: usize, y: usize) -> u8 {
        self.pixels[y * self.width + x]
    }

    fn blank_rows_at_bottom(&self) -> usize {
        let inked = |y: usize| (0..self.width).any(|x| self.at(x, y) < 160);
        (0..self.height).rev().take_while(|&y| !inked(y)).count()
    }
}
