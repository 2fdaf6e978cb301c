//! `wardbook`: the core's command line, until the app replaces it.
//!
//! - `wardbook demo [--db PATH]` sets up the demo town in a store, records a day's work and
//!   prints what a supervisor would see.
//! - `wardbook write-load --db PATH` writes records forever and prints `saved <id>` after each
//!   commit; the crash test kills it at random moments and checks every printed id survived.
//! - `wardbook receipt-pdf --db PATH --id RECORD_ID --out FILE [--paper a6|80mm]` prints a
//!   receipt as a bilingual PDF with headless Chromium (`wardbook/receipt_pdf.rs`).

#[path = "wardbook/receipt_pdf.rs"]
mod receipt_pdf;

use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use wardbook::domain::workflow::Actor;
use wardbook::domain::{Role, Status};
use wardbook::ids::RecordId;
use wardbook::store::{Query, Store};
use wardbook::{demo, domain};

#[derive(Parser)]
#[command(name = "wardbook", about = "Wardbook field records, on this device")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Record a demo day in the demo town and show the office's view of it.
    Demo {
        /// Store file (default: wardbook-demo.sqlite3 in the current directory).
        #[arg(long, default_value = "wardbook-demo.sqlite3")]
        db: PathBuf,
    },
    /// Print the id of the demo town's user with this role (inspector, collector...).
    DemoUser { role: Role },
    /// Write records until killed, printing `saved <id>` after each commit (crash tests).
    WriteLoad {
        #[arg(long)]
        db: PathBuf,
        /// Stop after this many records (default: never).
        #[arg(long)]
        count: Option<u32>,
    },
    /// Print a receipt as a PDF in English and Hindi (needs Chromium and the Noto fonts).
    ReceiptPdf {
        /// Store file of the device that issued the receipt.
        #[arg(long)]
        db: PathBuf,
        /// The receipt's record id.
        #[arg(long)]
        id: RecordId,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t = PaperArg::A6)]
        paper: PaperArg,
        /// The Chromium (or Chrome) executable (default: the first of chromium,
        /// chromium-browser, google-chrome on PATH).
        #[arg(long, env = "WARDBOOK_CHROMIUM")]
        chromium: Option<PathBuf>,
    },
}

/// The paper of `receipt-pdf`.
#[derive(Clone, Copy, ValueEnum)]
enum PaperArg {
    /// A6 sheet, 105 × 148 mm.
    A6,
    /// 80 mm thermal roll.
    #[value(name = "80mm")]
    Roll80mm,
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Demo { db } => run_demo(&db),
        Command::DemoUser { role } => {
            println!("{}", demo::user_id(role));
            Ok(())
        }
        Command::WriteLoad { db, count } => write_load(&db, count),
        Command::ReceiptPdf { db, id, out, paper, chromium } => {
            let paper = match paper {
                PaperArg::A6 => wardbook::ledger::PaperSize::A6,
                PaperArg::Roll80mm => wardbook::ledger::PaperSize::Roll80mm,
            };
            receipt_pdf::run(&db, id, &out, paper, chromium)
        }
    }
}

fn run_demo(db: &PathBuf) -> anyhow::Result<()> {
    let mut store = Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    store.put_reference(&demo::reference())?;
    let start = store.count()?;
    let inspector = Actor { user: demo::user_id(Role::Inspector), role: Role::Inspector };
    let supervisor = Actor { user: demo::user_id(Role::Supervisor), role: Role::Supervisor };
    for n in 0..20 {
        let record = demo::mixed(RecordId::new(), now(), start as u32 + n);
        store.create(&record, now())?;
        if record.kind() == domain::RecordKind::Inspection && n % 3 == 0 {
            store.transition(record.id, inspector, Status::Submitted, now(), None)?;
            store.transition(record.id, supervisor, Status::Approved, now(), Some("verified on site".into()))?;
        }
    }
    println!("Wardbook demo — {} ({} records in {})", demo::TENANT, store.count()?, db.display());
    println!("device actor id: {}", store.actor_id());
    for ward in ["W01", "W02", "W03"] {
        let open = store.list(&Query::open(domain::RecordKind::Inspection).in_ward(ward))?;
        println!("\n{ward}: {} open inspections", open.len());
        for row in open.iter().take(5) {
            println!("  {:<12} {:<40} {}", row.status, row.title, row.id);
        }
    }
    let found = store.search("Kamla")?;
    println!("\nsearch \"Kamla\": {} receipts", found.len());
    for row in found.iter().take(5) {
        let amount = wardbook::domain::Paise(row.amount_paise.unwrap_or(0)).rupees_text();
        println!("  {:<40} ₹{amount}", row.title);
    }
    Ok(())
}

fn write_load(db: &PathBuf, count: Option<u32>) -> anyhow::Result<()> {
    let mut store = Store::open(db).with_context(|| format!("opening {}", db.display()))?;
    store.put_reference(&demo::reference())?;
    let mut out = std::io::stdout().lock();
    let mut n: u32 = 0;
    while count.is_none_or(|c| n < c) {
        let record = demo::mixed(RecordId::new(), now(), n);
        store.create(&record, now())?;
        if n % 4 == 1 {
            // an edit too, so increments and compaction are exercised under the kill
            store.update(record.id, now(), |r| {
                r.ward = Some("W03".into());
                Ok(())
            })?;
        }
        writeln!(out, "saved {} {}", record.id, record.kind())?;
        out.flush()?;
        n += 1;
    }
    Ok(())
}
