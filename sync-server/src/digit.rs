//! `wardbook-server digit export`: a town's payments, FSM applications or vehicle trips of a
//! date range as DIGIT create requests for DIGIT-OSS or UPYOG, made by the core's
//! `wardbook::ledger::digit`. The requests go to a file (or standard output) as one JSON array;
//! what was written and every refused record with its reason are printed.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::{Value, json};
use wardbook::calendar::CivilDate;
use wardbook::domain::RecordKind;
use wardbook::ledger::Payment;
use wardbook::ledger::digit::{self, Export, Platform, Refusal};

use crate::error::AppError;
use crate::store::{Scope, ServerStore, transact};

/// What `digit export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Payments,
    Fsm,
    Trips,
}

impl Kind {
    fn record_kind(self) -> RecordKind {
        match self {
            Kind::Payments => RecordKind::Receipt,
            Kind::Fsm => RecordKind::FsmJob,
            Kind::Trips => RecordKind::Trip,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Payments => "payment",
            Kind::Fsm => "FSM application",
            Kind::Trips => "vehicle trip",
        }
    }
}

/// The arguments of `digit export`, as typed.
#[derive(clap::Args, Clone, Debug)]
pub struct ExportArgs {
    /// The town (`state.city`).
    #[arg(long)]
    pub town: String,
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// The first IST day, yyyy-mm-dd (a receipt's date, an application's creation, a trip's pickup).
    #[arg(long, value_parser = parse_date)]
    pub from: CivilDate,
    /// The last IST day, yyyy-mm-dd, included.
    #[arg(long, value_parser = parse_date)]
    pub to: CivilDate,
    /// digit-oss or upyog.
    #[arg(long)]
    pub platform: Platform,
    /// The RequestInfo every request carries (a JSON file: apiId, userInfo with the office
    /// employee's uuid and type EMPLOYEE, ...).
    #[arg(long)]
    pub request_info: Option<PathBuf>,
    /// Where the JSON array of requests goes (default: standard output, the summary then going
    /// to standard error).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn parse_date(text: &str) -> Result<CivilDate, String> {
    CivilDate::parse(text).ok_or_else(|| format!("{text:?} is not a date written yyyy-mm-dd"))
}

/// The RequestInfo used without --request-info: no user, so DIGIT would refuse it (the
/// summary says so); the file names the office's employee.
fn default_request_info() -> Value {
    json!({ "apiId": "wardbook", "ver": "1.0", "action": "_create", "msgId": "wardbook-digit-export" })
}

/// The town's records of the export's kind and range, made into requests.
pub fn export(sql: &mut dyn crate::store::Sql, args: &ExportArgs, request_info: &Value) -> Result<Export, AppError> {
    let records: Vec<_> = crate::export::records(sql, &args.town, args.kind.record_kind())?
        .into_iter()
        .filter(|(record, _)| digit::in_range(record, args.from, args.to))
        .collect();
    Ok(match args.kind {
        Kind::Payments => records
            .iter()
            .map(|(record, cancelled)| {
                let payment = Payment::new(record, *cancelled).map_err(|e| Refusal {
                    record: record.id,
                    reference: record.id.to_string(),
                    reasons: vec![e.to_string()],
                })?;
                digit::payment_request(&payment, args.platform, request_info)
            })
            .collect(),
        Kind::Fsm | Kind::Trips => {
            let refs = crate::db::reference(sql, &args.town)?;
            let records: Vec<_> = records.into_iter().map(|(r, _)| r).collect();
            if args.kind == Kind::Fsm {
                digit::fsm_requests(&records, &refs, request_info)
            } else {
                digit::trip_requests(&records, &refs, request_info)
            }
        }
    })
}

/// Runs `digit export`: writes the requests, prints the summary.
pub fn run(store: &dyn ServerStore, args: &ExportArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.from <= args.to, "--from {} is after --to {}", args.from, args.to);
    let request_info = match &args.request_info {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?
        }
        None => default_request_info(),
    };
    let exists = transact(store, &Scope::Admin, |sql| {
        sql.exists("SELECT 1 FROM tenants WHERE id = ?1", crate::params![&args.town])
    })?;
    anyhow::ensure!(exists, AppError::UnknownTenant(args.town.clone()));
    let done = transact(store, &Scope::Tenant(args.town.clone()), |sql| export(sql, args, &request_info))?;
    let json = format!("{:#}\n", Value::Array(done.requests.clone()));
    let summary = summary(args, &done, &digit::request_info_problems(&request_info));
    match &args.out {
        Some(path) => {
            std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
            print!("{summary}");
        }
        None => {
            print!("{json}");
            eprint!("{summary}");
        }
    }
    Ok(())
}

/// What a person reads after an export: how many requests, then each refusal and why.
fn summary(args: &ExportArgs, done: &Export, request_info_problems: &[String]) -> String {
    let mut out = format!(
        "{} {} create request(s) written for {} of {}, {} to {}; {} refused\n",
        done.requests.len(),
        args.kind.noun(),
        args.platform,
        args.town,
        args.from,
        args.to,
        done.refused.len()
    );
    for refusal in &done.refused {
        // A payer's name or a number comes from a device: never print it raw.
        out.push_str(&format!("refused {}\n", crate::guard::escape(&refusal.to_string())));
    }
    for problem in request_info_problems {
        out.push_str(&format!("warning: {problem}; pass --request-info with the office employee's RequestInfo\n"));
    }
    out
}
