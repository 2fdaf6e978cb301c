//! The UI contract, generated from Rust: the types the screens receive and send (`src/field/`
//! views, day-end, `ApiError`, and the domain and reference types they hold) and the codes the
//! Rust side can send a field worker, written as TypeScript to `ui/src/contract.ts`.
//!
//! The committed file must be exactly what this version generates: change a view type or add
//! an error code without regenerating, and this test fails, naming the first line that differs.
//! `WARDBOOK_BLESS=1 cargo test --test it contract` (or `scripts/contract`) rewrites the file;
//! then `scripts/ui test` type-checks the screens and the test backend against it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use ts_rs::{Config, TS};
use wardbook::domain::asset::{AssetType, Condition};
use wardbook::domain::inspection::Answer;
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::reference::{
    AnswerType, ChecklistTemplate, ChoiceOption, FeeHead, Fstp, Geofence, Question, Tenant, Vehicle, Ward,
};
use wardbook::domain::validate::FieldError;
use wardbook::domain::{GeoPoint, Paise, PhotoRef, RecordKind, Role};
use wardbook::field::*;

const PATH: &str = "ui/src/contract.ts";

/// One declaration: its TypeScript name, its text, and the names it refers to.
struct Decl {
    name: String,
    text: String,
    uses: Vec<String>,
}

fn decl<T: TS + 'static>(cfg: &Config) -> Decl {
    let docs = T::docs().map(|d| format!("{}\n", d.trim_end())).unwrap_or_default();
    Decl {
        name: T::ident(cfg),
        text: format!("{docs}export {}", T::decl(cfg)),
        uses: T::dependencies(cfg).into_iter().map(|d| d.ts_name).collect(),
    }
}

/// Every type of the contract, in the order the file lists them.
fn declarations(cfg: &Config) -> Vec<Decl> {
    macro_rules! all {
        ($($t:ty),+ $(,)?) => { vec![$(decl::<$t>(cfg)),+] };
    }
    all![
        // What the domain and the reference data contribute.
        Role,
        RecordKind,
        Paise,
        GeoPoint,
        PhotoRef,
        Answer,
        AnswerType,
        AssetType,
        Condition,
        PaymentMode,
        Tenant,
        Ward,
        ChoiceOption,
        Question,
        ChecklistTemplate,
        FeeHead,
        Vehicle,
        Geofence,
        Fstp,
        FieldError,
        // The errors, states, lists and records the screens receive.
        ApiError,
        Lang,
        UserView,
        AppState,
        SyncStatus,
        ReferenceView,
        Badge,
        Rejection,
        RowView,
        StepView,
        QueueItem,
        ConflictView,
        WarningView,
        DetailLabel,
        DetailValue,
        DetailLine,
        RecordView,
        Home,
        ReviewList,
        Saved,
        ReceiptIssued,
        CodeView,
        TripHandoverView,
        // The forms the screens send.
        Typed,
        PlaceDraft,
        InspectionDraft,
        AssetDraft,
        ReceiptDraft,
        FsmJobDraft,
        TripStepDraft,
        FormDraft,
        // Day-end and the supervisor's cash.
        ModeTotal,
        HandoverView,
        ReceiptLine,
        DayEnd,
        HandoverDraft,
        PrintView,
        CancellationView,
        CashQueue,
    ]
}

/// A list of codes as a constant array and its union type.
fn code_list(name: &str, what: &str, codes: &BTreeSet<String>) -> String {
    let items: Vec<String> = codes.iter().map(|c| format!("  '{c}',")).collect();
    format!(
        "/** {what} */\nexport const {const_name} = [\n{}\n] as const;\nexport type {name} = (typeof {const_name})[number];",
        items.join("\n"),
        const_name = name.chars().fold(String::new(), |mut s, c| {
            if c.is_uppercase() && !s.is_empty() {
                s.push('_');
            }
            s.push(c.to_ascii_uppercase());
            s
        }) + "S",
    )
}

fn config() -> Config {
    Config::new().with_large_int("number")
}

/// The whole file, from `decls`.
fn generate(decls: Vec<Decl>) -> String {
    let declared: BTreeSet<&str> = decls.iter().map(|d| d.name.as_str()).collect();
    for d in &decls {
        for used in &d.uses {
            assert!(declared.contains(used.as_str()), "{} uses {used}, which the contract does not declare", d.name);
        }
    }
    let codes = crate::codes::codes();
    let set = |prefix: &str| -> BTreeSet<String> { codes[prefix].keys().cloned().collect() };
    let mut out = String::from(
        "// GENERATED from the Rust types by tests/it/contract.rs: do not edit.\n\
         // Regenerate with `scripts/contract`; CI fails when this file differs from what Rust generates.\n\n",
    );
    for d in &decls {
        out.push_str(&d.text);
        out.push_str("\n\n");
    }
    out.push_str(&code_list(
        "ErrorCode",
        "Codes of whole-call errors (`ApiError.code`; catalog `err.<code>`).",
        &set("err"),
    ));
    out.push_str("\n\n");
    out.push_str(&code_list(
        "FieldErrorCode",
        "Codes of a form field's error (`FieldError.code`; catalog `ferr.<code>`).",
        &set("ferr"),
    ));
    out.push_str("\n\n");
    out.push_str(&code_list(
        "RejectCode",
        "Codes of the server's refusals (`Rejection.code`; catalog `reject.<code>`).",
        &set("reject"),
    ));
    out.push('\n');
    out
}

/// Where `committed` first differs from `fresh`, if it does.
fn drift(committed: &str, fresh: &str) -> Result<(), String> {
    if committed == fresh {
        return Ok(());
    }
    let line = committed
        .lines()
        .zip(fresh.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(fresh.lines().count()));
    let (was, now) = (committed.lines().nth(line).unwrap_or("<end>"), fresh.lines().nth(line).unwrap_or("<end>"));
    Err(format!(
        "{PATH} is not what the Rust types generate (line {}):\n  committed: {was}\n  generated: {now}\n\
         Run scripts/contract and commit the file.",
        line + 1
    ))
}

fn committed() -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(PATH)).unwrap_or_default()
}

#[test]
fn the_committed_ui_contract_is_what_the_rust_types_generate() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(PATH);
    let fresh = generate(declarations(&config()));
    // The generator sees the types it must (an empty or partial file cannot pass).
    for needle in ["export type RowView = {", "suction_type: string", "export type Role = \"inspector\"", "'storage',"]
    {
        assert!(fresh.contains(needle), "the generated contract lacks {needle:?}");
    }
    if std::env::var_os("WARDBOOK_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    if let Err(e) = drift(&committed(), &fresh) {
        panic!("{e}");
    }
}

/// A view type changed on the Rust side (a field added), or a code added, without
/// regenerating: the check above fails and says where.
#[test]
fn a_view_changed_without_regenerating_fails_the_check() {
    #[derive(serde::Serialize, ts_rs::TS)]
    #[allow(dead_code)]
    struct SyncStatus {
        online: bool,
        syncing: bool,
        last_sync_at: Option<i64>,
        waiting: u64,
        photos_waiting: u64,
        last_error: Option<String>,
        battery_low: bool,
    }
    let cfg = config();
    let mut changed = declarations(&cfg);
    let at = changed.iter().position(|d| d.name == "SyncStatus").unwrap();
    changed[at] = decl::<SyncStatus>(&cfg);
    let err = drift(&committed(), &generate(changed)).unwrap_err();
    assert!(err.contains("battery_low"), "{err}");

    let mut fresh = generate(declarations(&cfg));
    fresh = fresh.replace("  'storage',", "  'storage',\n  'storage_full',");
    let err = drift(&committed(), &fresh).unwrap_err();
    assert!(err.contains("storage_full"), "{err}");
}
