//! `wardbook-server digit export` and `digit push`: a town's payments, FSM applications or
//! vehicle trips of a date range as DIGIT create requests for DIGIT-OSS or UPYOG, made by the
//! core's `wardbook::ledger::digit`. `export` writes the requests to a file (or standard output)
//! as one JSON array; `push` posts each payment to the town's DIGIT collection service, once:
//! every attempt and DIGIT's answer is kept in `digit_pushes`, and a payment DIGIT took is never
//! posted again. Both print what was written (or pushed) and every refused record with why.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use wardbook::calendar::CivilDate;
use wardbook::domain::{Body, Record, RecordKind};
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

    /// The kind as `digit_pushes` keeps it (and `--kind` takes it).
    fn as_str(self) -> &'static str {
        match self {
            Kind::Payments => "payments",
            Kind::Fsm => "fsm",
            Kind::Trips => "trips",
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

/// Which records `digit export` and `digit push` read and how they are written.
#[derive(clap::Args, Clone, Debug)]
pub struct Selection {
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
}

/// The arguments of `digit export`, as typed.
#[derive(clap::Args, Clone, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub selection: Selection,
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

/// A record and its create request, or why it has none.
type Item = (Record, Result<Value, Refusal>);

/// The town's records of the selection's kind and range, each with its request or why none.
fn items(sql: &mut dyn crate::store::Sql, selection: &Selection, request_info: &Value) -> Result<Vec<Item>, AppError> {
    let records: Vec<_> = crate::export::records(sql, &selection.town, selection.kind.record_kind())?
        .into_iter()
        .filter(|(record, _)| digit::in_range(record, selection.from, selection.to))
        .collect();
    let refs = match selection.kind {
        Kind::Payments => None,
        Kind::Fsm | Kind::Trips => Some(crate::db::reference(sql, &selection.town)?),
    };
    Ok(records
        .into_iter()
        .map(|(record, cancelled)| {
            let request = match (selection.kind, &refs) {
                (Kind::Fsm, Some(refs)) => digit::fsm_request(&record, refs, request_info),
                (Kind::Trips, Some(refs)) => digit::trip_request(&record, refs, request_info),
                _ => Payment::new(&record, cancelled)
                    .map_err(|e| Refusal {
                        record: record.id,
                        reference: record.id.to_string(),
                        reasons: vec![e.to_string()],
                    })
                    .and_then(|payment| digit::payment_request(&payment, selection.platform, request_info)),
            };
            (record, request)
        })
        .collect())
}

/// The town's records of the export's kind and range, made into requests.
pub fn export(
    sql: &mut dyn crate::store::Sql,
    selection: &Selection,
    request_info: &Value,
) -> Result<Export, AppError> {
    Ok(items(sql, selection, request_info)?.into_iter().map(|(_, request)| request).collect())
}

/// The RequestInfo file's template, or the default one.
fn request_info(selection: &Selection) -> anyhow::Result<Value> {
    Ok(match &selection.request_info {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?
        }
        None => default_request_info(),
    })
}

/// Refuses a reversed range or a town the server does not have.
fn check(store: &dyn ServerStore, selection: &Selection) -> anyhow::Result<()> {
    anyhow::ensure!(selection.from <= selection.to, "--from {} is after --to {}", selection.from, selection.to);
    let exists = transact(store, &Scope::Admin, |sql| {
        sql.exists("SELECT 1 FROM tenants WHERE id = ?1", crate::params![&selection.town])
    })?;
    anyhow::ensure!(exists, AppError::UnknownTenant(selection.town.clone()));
    Ok(())
}

/// Runs `digit export`: writes the requests, prints the summary.
pub fn run(store: &dyn ServerStore, args: &ExportArgs) -> anyhow::Result<()> {
    let selection = &args.selection;
    check(store, selection)?;
    let request_info = request_info(selection)?;
    let done = transact(store, &Scope::Tenant(selection.town.clone()), |sql| export(sql, selection, &request_info))?;
    let json = format!("{:#}\n", Value::Array(done.requests.clone()));
    let summary = summary(selection, &done, &digit::request_info_problems(&request_info));
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
fn summary(args: &Selection, done: &Export, request_info_problems: &[String]) -> String {
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
    warn(&mut out, request_info_problems);
    out
}

fn warn(out: &mut String, request_info_problems: &[String]) {
    for problem in request_info_problems {
        out.push_str(&format!("warning: {problem}; pass --request-info with the office employee's RequestInfo\n"));
    }
}

/// The arguments of `digit push`, as typed.
#[derive(clap::Args, Clone, Debug)]
pub struct PushArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// The town's DIGIT / UPYOG address, e.g. https://upyog.example.gov.in (payments go to
    /// `<base>/collection-services/payments/_create`).
    #[arg(long)]
    pub base_url: String,
    /// A file holding the DIGIT access token (RequestInfo.authToken) of the office employee.
    #[arg(long)]
    pub token_file: PathBuf,
}

/// How long one payment's POST may take before it counts as failed.
const PUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// What came of posting one payment.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// DIGIT took it; the id it gave the payment, if it said.
    Pushed { id: Option<String> },
    /// DIGIT answered with its `Errors`: the codes and the messages.
    Refused { code: String, message: String },
    /// No usable answer (no connection, a timeout, a server error): why.
    Failed { reason: String },
}

impl Outcome {
    fn word(&self) -> &'static str {
        match self {
            Outcome::Pushed { .. } => "pushed",
            Outcome::Refused { .. } => "refused",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// DIGIT's answer as an outcome: 2xx is taken; otherwise its `Errors[]` are a refusal, and an
/// answer without them (a proxy's 502, a crash page) is a failure.
fn outcome(status: reqwest::StatusCode, body: &str) -> Outcome {
    let json: Option<Value> = serde_json::from_str(body).ok();
    if status.is_success() {
        let id = json.as_ref().and_then(|v| v["Payments"][0]["id"].as_str()).map(str::to_string);
        return Outcome::Pushed { id };
    }
    let errors: Vec<&Value> = json.as_ref().and_then(|v| v["Errors"].as_array()).into_iter().flatten().collect();
    if errors.is_empty() {
        let start: String = body.chars().take(200).collect();
        return Outcome::Failed { reason: format!("HTTP {status} without DIGIT's Errors: {start}") };
    }
    let text = |key: &str| errors.iter().map(|e| e[key].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    Outcome::Refused { code: text("code").join(", "), message: text("message").join("; ") }
}

/// Posts one create request.
async fn post(client: &reqwest::Client, url: &str, request: &Value) -> Outcome {
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(request.to_string())
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(e) => return Outcome::Failed { reason: error_chain(&e) },
    };
    let status = response.status();
    match response.text().await {
        Ok(body) => outcome(status, &body),
        Err(e) => Outcome::Failed { reason: format!("HTTP {status}, then {}", error_chain(&e)) },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    out
}

/// Keeps one attempt in `digit_pushes`.
fn record_attempt(
    sql: &mut dyn crate::store::Sql,
    selection: &Selection,
    record: &Record,
    reference: &str,
    outcome: &Outcome,
) -> Result<(), AppError> {
    let (code, message, id) = match outcome {
        Outcome::Pushed { id } => (None, None, id.clone()),
        Outcome::Refused { code, message } => (Some(code.clone()), Some(message.clone()), None),
        Outcome::Failed { reason } => (None, Some(reason.clone()), None),
    };
    sql.exec(
        "INSERT INTO digit_pushes (attempt, tenant, kind, record, reference, outcome, error_code, error_message, \
         response_id, pushed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        crate::params![
            uuid::Uuid::new_v4().simple().to_string(),
            &selection.town,
            selection.kind.as_str(),
            record.id.to_string(),
            reference,
            outcome.word(),
            code,
            message,
            id,
            crate::db::now_ms()
        ],
    )?;
    Ok(())
}

/// The records of the town and kind DIGIT already took.
fn already_pushed(sql: &mut dyn crate::store::Sql, selection: &Selection) -> Result<HashSet<String>, AppError> {
    sql.rows(
        "SELECT record FROM digit_pushes WHERE tenant = ?1 AND kind = ?2 AND outcome = 'pushed'",
        crate::params![&selection.town, selection.kind.as_str()],
    )?
    .iter()
    .map(|row| row.text(0))
    .collect()
}

/// Runs `digit push`: posts each payment of the range DIGIT has not taken yet, keeps every
/// answer, prints one line per payment and the counts. Fails (after pushing all it could) when
/// a payment was refused, by Wardbook or by DIGIT, or could not be sent.
pub fn push(store: &dyn ServerStore, args: &PushArgs) -> anyhow::Result<()> {
    let selection = &args.selection;
    anyhow::ensure!(
        selection.kind == Kind::Payments,
        "digit push sends payments only (--kind payments); export the {} and file them by hand",
        selection.kind.noun()
    );
    check(store, selection)?;
    let base = args.base_url.trim_end_matches('/');
    anyhow::ensure!(
        base.starts_with("http://") || base.starts_with("https://"),
        "--base-url must be an http:// or https:// address, not {base:?}"
    );
    let url = format!("{base}/collection-services/payments/_create");
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("reading {}", args.token_file.display()))?
        .trim()
        .to_string();
    anyhow::ensure!(!token.is_empty(), "{} holds no token", args.token_file.display());
    let mut request_info = request_info(selection)?;
    anyhow::ensure!(request_info.is_object(), "the RequestInfo must be a JSON object");
    request_info["authToken"] = json!(token);
    let scope = Scope::Tenant(selection.town.clone());
    let (items, done) =
        transact(store, &scope, |sql| Ok((items(sql, selection, &request_info)?, already_pushed(sql, selection)?)))?;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let client = reqwest::Client::builder().timeout(PUSH_TIMEOUT).build()?;
    let mut out = String::new();
    warn(&mut out, &digit::request_info_problems(&request_info));
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for (record, request) in &items {
        let reference = match &record.body {
            Body::Receipt(r) => r.receipt_number.clone(),
            _ => record.id.to_string(),
        };
        let reference = crate::guard::escape(&reference);
        let request = match request {
            Err(refusal) => {
                *counts.entry("not sent").or_default() += 1;
                out.push_str(&format!("not sent {}\n", crate::guard::escape(&refusal.to_string())));
                continue;
            }
            Ok(_) if done.contains(&record.id.to_string()) => {
                *counts.entry("already pushed").or_default() += 1;
                out.push_str(&format!("already pushed {reference}\n"));
                continue;
            }
            Ok(request) => request,
        };
        let outcome = runtime.block_on(post(&client, &url, request));
        transact(store, &scope, |sql| record_attempt(sql, selection, record, &reference, &outcome))?;
        *counts.entry(outcome.word()).or_default() += 1;
        // DIGIT's words come from another server: printed escaped, like a device's.
        out.push_str(&match &outcome {
            Outcome::Pushed { id } => {
                format!(
                    "pushed {reference}: DIGIT payment {}\n",
                    crate::guard::escape(id.as_deref().unwrap_or("(no id)"))
                )
            }
            Outcome::Refused { code, message } => format!(
                "refused by DIGIT {reference}: {}: {}\n",
                crate::guard::escape(code),
                crate::guard::escape(message)
            ),
            Outcome::Failed { reason } => {
                format!("failed {reference}: {}; push again later\n", crate::guard::escape(reason))
            }
        });
    }
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    out.push_str(&format!(
        "{} of {} payment(s) of {}, {} to {}, pushed to {url}: {} already pushed, {} refused by DIGIT, {} failed, {} \
         not sent (refused by Wardbook)\n",
        count("pushed"),
        items.len(),
        selection.town,
        selection.from,
        selection.to,
        count("already pushed"),
        count("refused"),
        count("failed"),
        count("not sent"),
    ));
    print!("{out}");
    let unpushed = count("refused") + count("failed") + count("not sent");
    anyhow::ensure!(unpushed == 0, "{unpushed} payment(s) are not in DIGIT; see above");
    Ok(())
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::*;

    #[test]
    fn digit_answers_are_taken_refused_or_failed() {
        let taken = r#"{"ResponseInfo":{"status":"successful"},"Payments":[{"id":"p-1","paymentStatus":"NEW"}]}"#;
        assert_eq!(outcome(StatusCode::OK, taken), Outcome::Pushed { id: Some("p-1".into()) });
        assert_eq!(outcome(StatusCode::CREATED, "{}"), Outcome::Pushed { id: None });
        let refused = r#"{"ResponseInfo":null,"Errors":[{"code":"BILL_EXPIRED","message":"Bill expired"},
            {"code":"INVALID_USER_ID","message":"No user"}]}"#;
        assert_eq!(
            outcome(StatusCode::BAD_REQUEST, refused),
            Outcome::Refused { code: "BILL_EXPIRED, INVALID_USER_ID".into(), message: "Bill expired; No user".into() }
        );
        let Outcome::Failed { reason } = outcome(StatusCode::BAD_GATEWAY, "<html>Bad Gateway</html>") else {
            panic!("a proxy's page is no answer from DIGIT")
        };
        assert!(reason.starts_with("HTTP 502 Bad Gateway without DIGIT's Errors: <html>"), "{reason}");
        assert!(matches!(outcome(StatusCode::BAD_REQUEST, r#"{"Errors":[]}"#), Outcome::Failed { .. }));
    }
}
