//! `wardbook receipt-pdf`: a receipt from the store as a PDF, printed by headless Chromium.
//!
//! The ledger writes the bilingual page ([`ledger::receipt_html`]); a browser engine shapes
//! the Hindi and prints it. This is the office machine's way (Debian: `apt install chromium
//! fonts-noto-core`, which `scripts/setup` does); the app prints the same page with its
//! WebView. The QR code carries the signature the device stored when it issued the receipt;
//! only the issuing install holds the public key it names, so a receipt is printed there.
//! The printing itself is `wardbook::print`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use wardbook::ids::RecordId;
use wardbook::ledger::{self, PaperSize};
use wardbook::store::Store;

/// Writes receipt `id` from the store at `db` as a PDF at `out`.
pub fn run(db: &Path, id: RecordId, out: &Path, paper: PaperSize, chromium: Option<PathBuf>) -> anyhow::Result<()> {
    let store = Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    let record = store.get(id).with_context(|| format!("reading record {id}"))?;
    let qr = store.receipt_qr(&record)?;
    let html = ledger::receipt_html(&record, store.reference(), &qr, paper)?;
    let browser = match chromium {
        Some(path) => path,
        None => wardbook::print::find_browser().context(
            "Chromium was not found: install it (Debian: apt install chromium fonts-noto-core, or run \
             scripts/setup) or pass --chromium PATH",
        )?,
    };
    wardbook::print::html_to_pdf(&browser, &html, out)?;
    println!("{}", out.display());
    Ok(())
}
