//! `wardbook receipt-pdf`: a receipt from the store as a PDF, printed by headless Chromium.
//!
//! The ledger writes the bilingual page ([`ledger::receipt_html`]); a browser engine shapes
//! the Hindi and prints it. This is the office machine's way (Debian: `apt install chromium
//! fonts-noto-core`, which `scripts/setup` does); the app prints the same page with its
//! WebView. The QR code carries the signature the device stored when it issued the receipt;
//! only the issuing install holds the public key it names, so a receipt is printed there.
//! The printing itself is `wardbook::print`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use wardbook::domain::Body;
use wardbook::ids::RecordId;
use wardbook::ledger::{self, PaperSize, QrReceipt};
use wardbook::store::Store;

/// Writes receipt `id` from the store at `db` as a PDF at `out`.
pub fn run(db: &Path, id: RecordId, out: &Path, paper: PaperSize, chromium: Option<PathBuf>) -> anyhow::Result<()> {
    let store = Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    let record = store.get(id).with_context(|| format!("reading record {id}"))?;
    let qr = stored_qr(&store, &record)?;
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

/// The QR code of a receipt this install issued, from the signature stored with it (checked
/// against the install's key before it is printed).
fn stored_qr(store: &Store, record: &wardbook::domain::Record) -> anyhow::Result<QrReceipt> {
    let Body::Receipt(receipt) = &record.body else {
        bail!("record {} is a {}, not a receipt", record.id, record.kind());
    };
    let number = &receipt.receipt_number;
    let (Some(signature), Some(key_id)) = (&receipt.signature, &receipt.key_id) else {
        bail!("receipt {number} carries no signature, so it has no QR code to print");
    };
    let signature =
        ledger::decode_signature(signature).with_context(|| format!("receipt {number} has a malformed signature"))?;
    let key = store.device_key()?.public_key();
    if key.key_id() != *key_id {
        bail!(
            "receipt {number} was issued by device key {key_id}, not this install's ({}); print it on the \
             device that issued it",
            key.key_id()
        );
    }
    if !ledger::verify(&key, record, &signature) {
        bail!("the stored signature of receipt {number} does not verify with this install's key");
    }
    Ok(QrReceipt::new(record, signature, &key)?)
}
