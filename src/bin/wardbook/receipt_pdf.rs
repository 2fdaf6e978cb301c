//! `wardbook receipt-pdf`: a receipt from the store as a PDF, printed by headless Chromium.
//!
//! The ledger writes the bilingual page ([`ledger::receipt_html`]); a browser engine shapes
//! the Hindi and prints it. This is the office machine's way (Debian: `apt install chromium
//! fonts-noto-core`, which `scripts/setup` does); the app prints the same page with its
//! WebView. The QR code carries the signature the device stored when it issued the receipt;
//! only the issuing install holds the public key it names, so a receipt is printed there.
//! Chromium runs with a fresh profile in a temporary directory, no network services, and is
//! given a minute.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use wardbook::domain::Body;
use wardbook::ids::RecordId;
use wardbook::ledger::{self, PaperSize, QrReceipt};
use wardbook::store::Store;

/// How long Chromium may take to print one page.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// Browsers tried, in order, when `--chromium` is not given.
const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// Writes receipt `id` from the store at `db` as a PDF at `out`.
pub fn run(db: &Path, id: RecordId, out: &Path, paper: PaperSize, chromium: Option<PathBuf>) -> anyhow::Result<()> {
    let store = Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    let record = store.get(id).with_context(|| format!("reading record {id}"))?;
    let qr = stored_qr(&store, &record)?;
    let html = ledger::receipt_html(&record, store.reference(), &qr, paper)?;
    let browser = match chromium {
        Some(path) => path,
        None => find_browser().context(
            "Chromium was not found: install it (Debian: apt install chromium fonts-noto-core, or run \
             scripts/setup) or pass --chromium PATH",
        )?,
    };
    print_pdf(&browser, &html, out)?;
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

fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    BROWSERS
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Prints `html` to a PDF at `out` with the browser at `browser`.
fn print_pdf(browser: &Path, html: &str, out: &Path) -> anyhow::Result<()> {
    let work = TempDir::new()?;
    let page = work.0.join("receipt.html");
    std::fs::write(&page, html).with_context(|| format!("writing {}", page.display()))?;
    let out = std::path::absolute(out).with_context(|| format!("resolving {}", out.display()))?;
    let _ = std::fs::remove_file(&out);

    let mut print_to = OsString::from("--print-to-pdf=");
    print_to.push(&out);
    let mut profile = OsString::from("--user-data-dir=");
    profile.push(work.0.join("profile"));
    // Chromium's complaints go to a file: a pipe nobody reads while it prints could fill.
    let log = work.0.join("chromium.log");
    let stderr = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(profile)
        .arg(print_to)
        .arg(file_url(&page))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{} did not print the receipt within {CHROMIUM_TIMEOUT:?}", browser.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let printed = std::fs::read(&out).is_ok_and(|bytes| bytes.starts_with(b"%PDF-"));
    if !status.success() || !printed {
        let complaints = std::fs::read_to_string(&log).unwrap_or_default();
        bail!("{} did not print the receipt ({status}): {}", browser.display(), complaints.trim());
    }
    Ok(())
}

/// A `file://` URL for an absolute path, bytes other than unreserved ones and `/`
/// percent-encoded.
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

/// A directory of our own under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> anyhow::Result<TempDir> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("wardbook-receipt-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
