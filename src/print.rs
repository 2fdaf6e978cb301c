//! Printing a page to PDF with a browser engine on this machine (Debian's Chromium, headless).
//!
//! The `ledger` module writes the bilingual receipt page and does no I/O; this module runs the
//! browser that shapes the Hindi and prints it. The app prints the same page with its WebView.
//! Chromium runs with a fresh profile in a temporary directory, no network services, and is
//! given a minute.
//!
//! Architecture invariant: this is the only part of the core that starts another program.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Why a page could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("{0}")]
    Io(String),
    #[error("{browser} did not print the page within {CHROMIUM_TIMEOUT:?}")]
    TimedOut { browser: String },
    #[error("{browser} did not print the page ({status}): {complaints}")]
    Failed { browser: String, status: String, complaints: String },
}

fn io(what: impl std::fmt::Display) -> impl FnOnce(std::io::Error) -> PrintError {
    move |e| PrintError::Io(format!("{what}: {e}"))
}

/// How long Chromium may take to print one page.
pub const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// Browsers tried, in order, by [`find_browser`].
const BROWSERS: &[&str] = &["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/// The first Chromium-like browser on `PATH`.
pub fn find_browser() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    BROWSERS
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Prints `html` to a PDF at `out` with the browser at `browser`.
pub fn html_to_pdf(browser: &Path, html: &str, out: &Path) -> Result<(), PrintError> {
    let work = TempDir::new()?;
    let page = work.0.join("receipt.html");
    std::fs::write(&page, html).map_err(io(format!("writing {}", page.display())))?;
    let out = std::path::absolute(out).map_err(io(format!("resolving {}", out.display())))?;
    let _ = std::fs::remove_file(&out);

    let mut print_to = OsString::from("--print-to-pdf=");
    print_to.push(&out);
    let mut profile = OsString::from("--user-data-dir=");
    profile.push(work.0.join("profile"));
    // Chromium's complaints go to a file: a pipe nobody reads while it prints could fill.
    let log = work.0.join("chromium.log");
    let stderr = std::fs::File::create(&log).map_err(io(format!("creating {}", log.display())))?;
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
        .map_err(io(format!("starting {}", browser.display())))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(io("waiting for the browser"))? {
            break status;
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PrintError::TimedOut { browser: browser.display().to_string() });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let printed = std::fs::read(&out).is_ok_and(|bytes| bytes.starts_with(b"%PDF-"));
    if !status.success() || !printed {
        let complaints = std::fs::read_to_string(&log).unwrap_or_default().trim().to_string();
        return Err(PrintError::Failed {
            browser: browser.display().to_string(),
            status: status.to_string(),
            complaints,
        });
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
    fn new() -> Result<TempDir, PrintError> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("wardbook-print-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(io(format!("creating {}", dir.display())))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
