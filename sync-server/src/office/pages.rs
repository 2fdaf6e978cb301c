//! The office pages as HTML (maud: the templates are Rust, checked when the server compiles).
//! One stylesheet, inlined and allowed by its hash in the Content-Security-Policy; no script,
//! no font, no image from anywhere else. A grid of figures that folds to one column at 360 px.
//!
//! Every figure is an `a.fig` with `data-figure` (its name) and `data-value` (the number), so
//! tests read what a person reads.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use wardbook::domain::receipt::PaymentMode;
use wardbook::domain::{Paise, RecordKind, Status};

use super::auth::{OfficeAuth, OfficeRole};
use super::lists::{LIMIT, RecordFilter, RecordLine};
use super::record::{RecordView, fields};
use super::review::{Rejection, ReviewFilter, ReviewItem};
use super::text::{Lang, Msg, age, field_label, kind_name, mode_name, rejection_name, rupees};
use super::today::{DeviceRow, LedgerReceipt, Today};

/// The stylesheet of every office page.
pub const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.45 'Noto Sans','Noto Sans Devanagari',system-ui,sans-serif;color:#1b1b1b;background:#f4f5f2}\
header{background:#1f4e3d;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}\
header h1{font-size:1.15rem;margin:0;flex:1 1 12rem}\
header a,header button{color:#fff}\
header form{margin:0}\
header button{background:none;border:1px solid #fff;border-radius:4px;padding:.3rem .7rem;font:inherit;cursor:pointer}\
nav.towns{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:.4rem 1rem;background:#e4ebe6}\
nav.towns a{color:#14532d}\
nav.towns a[aria-current]{font-weight:700}\
main{padding:1rem;max-width:80rem;margin:0 auto}\
h2{font-size:1.05rem;margin:1.2rem 0 .5rem}\
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.75rem}\
.card{background:#fff;border:1px solid #d5d8d0;border-radius:6px;padding:.75rem}\
.card h2{margin:0 0 .4rem}\
@media(min-width:40rem){.wide{grid-column:span 2}}\
a.fig{display:block;text-decoration:none;color:#14532d;padding:.2rem 0}\
a.fig b{font-size:1.5rem;display:block}\
a.fig:focus,a:focus,button:focus,input:focus{outline:3px solid #b45309;outline-offset:2px}\
.small{font-size:.9rem;color:#444}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%;background:#fff}\
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid #e2e4de;vertical-align:top}\
td.n,th.n{text-align:right;white-space:nowrap}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}\
input,select,textarea{font:inherit;padding:.5rem;width:100%;max-width:22rem;border:1px solid #767676;border-radius:4px}\
.primary{margin-top:1rem;background:#1f4e3d;color:#fff;border:0;border-radius:4px;padding:.6rem 1.4rem;font:inherit;cursor:pointer}\
.error{background:#fde8e8;border:1px solid #b91c1c;color:#7f1d1d;padding:.6rem;border-radius:4px}\
.flag{color:#7f1d1d;font-weight:600}\
form.filters{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}\
form.filters div{flex:1 1 10rem}\
form.inline{display:inline;margin:0}\
.choice{background:#fff;border:1px solid #1f4e3d;color:#14532d;border-radius:4px;padding:.3rem .6rem;font:inherit;cursor:pointer}\
";

/// The `style-src` source of [`CSS`]: its SHA-256, so no other style applies.
pub fn css_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        use base64::Engine;
        use sha2::Digest;
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(CSS.as_bytes())))
    })
}

/// What the header of a signed-in page shows.
pub struct Frame<'a> {
    pub lang: Lang,
    pub auth: Option<&'a OfficeAuth>,
    /// The town the page is about, and its name in the page's language.
    pub town: Option<(&'a str, String)>,
    /// The towns a state official may choose among (empty for a town's own staff).
    pub towns: &'a [String],
    /// This page's path and query without `lang`, for the language switch.
    pub here: String,
}

impl Frame<'_> {
    /// A link to an office page of the same town.
    fn link(&self, path: &str, query: &str) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !query.is_empty() {
            parts.push(query.to_string());
        }
        if let Some((town, _)) = &self.town {
            parts.push(format!("town={town}"));
        }
        if parts.is_empty() { path.to_string() } else { format!("{path}?{}", parts.join("&")) }
    }
}

fn other_lang_link(here: &str, lang: Lang) -> String {
    let other = if lang == Lang::En { "hi" } else { "en" };
    let sep = if here.contains('?') { '&' } else { '?' };
    format!("{here}{sep}lang={other}")
}

fn page(frame: &Frame, title: &str, body: Markup) -> String {
    let lang = frame.lang;
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (Msg::Office.text(lang)) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 {
                        (Msg::Office.text(lang))
                        @if let Some((_, name)) = &frame.town { " · " (name) }
                    }
                    a href=(other_lang_link(&frame.here, lang)) lang=(if lang == Lang::En { "hi" } else { "en" }) {
                        (Msg::Language.text(lang))
                    }
                    @if let Some(auth) = frame.auth {
                        span data-login=(auth.login) {
                            (auth.name)
                            @if auth.role == OfficeRole::State { " (" (Msg::ReadOnly.text(lang)) ")" }
                        }
                        form method="post" action="/office/sign-out" {
                            input type="hidden" name="csrf" value=(auth.csrf);
                            button type="submit" { (Msg::SignOut.text(lang)) }
                        }
                    }
                }
                @if !frame.towns.is_empty() {
                    nav.towns aria-label=(Msg::Towns.text(lang)) {
                        @for town in frame.towns {
                            @let current = frame.town.as_ref().is_some_and(|(t, _)| t == town);
                            a href=(format!("/office?town={town}")) aria-current=[current.then_some("page")] { (town) }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    markup.into_string()
}

/// The sign-in form; `problem` says why the last attempt failed.
pub fn sign_in(lang: Lang, here: &str, csrf: &str, next: &str, problem: Option<&str>) -> String {
    let frame = Frame { lang, auth: None, town: None, towns: &[], here: here.to_string() };
    let body = html! {
        h2 { (Msg::SignIn.text(lang)) }
        @if let Some(problem) = problem {
            p.error role="alert" { (problem) }
        } @else {
            p { (Msg::SignInFirst.text(lang)) }
        }
        form method="post" action="/office/sign-in" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            label for="login" { (Msg::Login.text(lang)) }
            input id="login" name="login" autocomplete="username" required autocapitalize="none";
            label for="password" { (Msg::Password.text(lang)) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button.primary type="submit" { (Msg::SignIn.text(lang)) }
        }
    };
    page(&frame, Msg::SignIn.text(lang), body)
}

/// A page that says what went wrong (`code` is the error's stable code).
pub fn error(lang: Lang, here: &str, code: &str, message: &str) -> String {
    let frame = Frame { lang, auth: None, town: None, towns: &[], here: here.to_string() };
    let body = html! {
        h2 { (Msg::Error.text(lang)) }
        p.error role="alert" data-code=(code) { (message) }
        p { a href="/office" { (Msg::Back.text(lang)) } }
    };
    page(&frame, Msg::Error.text(lang), body)
}

fn figure(href: &str, name: &str, value: impl std::fmt::Display, label: &str, shown: Option<String>) -> Markup {
    html! {
        a.fig href=(href) data-figure=(name) data-value=(value.to_string()) {
            b { (shown.unwrap_or_else(|| value.to_string())) }
            (label)
        }
    }
}

/// The Today page.
pub fn today(frame: &Frame, t: &Today) -> String {
    let lang = frame.lang;
    let receipts = |mode: Option<PaymentMode>| {
        let q = match mode {
            Some(m) => format!("day={}&mode={}", t.day, m.as_str()),
            None => format!("day={}", t.day),
        };
        frame.link("/office/receipts", &q)
    };
    let records = |f: RecordFilter| frame.link("/office/records", &f.query());
    let body = html! {
        p.small { (Msg::DayOf.text(lang)) ": " time datetime=(t.day) { (t.day) } }
        div.grid {
            section.card.wide aria-labelledby="receipts" {
                h2 #receipts { (Msg::Receipts.text(lang)) }
                @if t.by_mode.is_empty() {
                    p { (Msg::NoReceipts.text(lang)) }
                } @else {
                    div.scroll tabindex="0" role="region" aria-label=(Msg::Receipts.text(lang)) { table {
                        thead { tr { th scope="col" { (Msg::Mode.text(lang)) } th.n scope="col" { (Msg::Count.text(lang)) } th.n scope="col" { (Msg::Amount.text(lang)) } } }
                        tbody {
                            @for (mode, (count, amount)) in &t.by_mode {
                                tr {
                                    th scope="row" { (mode_name(*mode, lang)) }
                                    td.n { a.fig href=(receipts(Some(*mode))) data-figure=(format!("receipts_{}", mode.as_str())) data-value=(count) data-amount=(amount.0) { (count) } }
                                    td.n { (rupees(*amount)) }
                                }
                            }
                            tr {
                                th scope="row" { (Msg::Total.text(lang)) }
                                td.n { a.fig href=(receipts(None)) data-figure="receipts" data-value=(t.receipts) data-amount=(t.total.0) { (t.receipts) } }
                                td.n { (rupees(t.total)) }
                            }
                        }
                    } }
                }
            }
            section.card aria-labelledby="cash" {
                h2 #cash { (Msg::Cash.text(lang)) }
                (figure(&receipts(Some(PaymentMode::Cash)), "cash_expected", t.cash_expected.0, Msg::CashExpected.text(lang), Some(rupees(t.cash_expected))))
                (figure(&records(RecordFilter { kind: Some(RecordKind::Handover), ..Default::default() }), "cash_handed_over", t.cash_handed_over.0, Msg::CashHandedOver.text(lang), Some(format!("{} ({} {})", rupees(t.cash_handed_over), t.handovers, Msg::Handovers.text(lang)))))
            }
            section.card aria-labelledby="queue" {
                h2 #queue { (Msg::ReviewQueue.text(lang)) }
                (figure(&records(RecordFilter { review: true, ..Default::default() }), "review", t.review, Msg::ReviewQueue.text(lang), None))
                p.small data-figure="review_oldest" data-value=(t.review_oldest_ms.unwrap_or(0)) {
                    (Msg::OldestItem.text(lang)) ": "
                    @match t.review_oldest_ms { Some(ms) => (age(ms, lang)), None => (Msg::Empty.text(lang)) }
                }
                (figure(&records(RecordFilter { kind: Some(RecordKind::Reversal), status: Some(Status::Requested), ..Default::default() }), "reversals_waiting", t.reversals_waiting, Msg::ReversalsWaiting.text(lang), None))
                (figure(&frame.link("/office/review", &format!("flag={}&from={}&to={}", super::review::REJECTED, t.day, t.day)), "rejected_today", t.rejected_today, Msg::RejectedToday.text(lang), None))
            }
            section.card aria-labelledby="devices" {
                h2 #devices { (Msg::Devices.text(lang)) }
                (figure(&frame.link("/office/devices", "quiet=24"), "devices_quiet_24h", t.devices_quiet_24h, Msg::DevicesQuiet24.text(lang), None))
                (figure(&frame.link("/office/devices", "quiet=72"), "devices_quiet_72h", t.devices_quiet_72h, Msg::DevicesQuiet72.text(lang), None))
                (figure(&records(RecordFilter { photos_missing: true, ..Default::default() }), "photos_missing", t.photos_missing, Msg::PhotosMissing.text(lang), None))
            }
            section.card aria-labelledby="trips" {
                h2 #trips { (kind_name(RecordKind::Trip, lang)) }
                (figure(&records(RecordFilter { kind: Some(RecordKind::Trip), status: Some(Status::WaitingForDisposal), ..Default::default() }), "trips_waiting", t.trips_waiting, Msg::TripsWaiting.text(lang), None))
                (figure(&records(RecordFilter { kind: Some(RecordKind::Trip), flagged: true, ..Default::default() }), "disposals_flagged", t.disposals_flagged, Msg::DisposalsFlagged.text(lang), None))
            }
            section.card aria-labelledby="inspections" {
                h2 #inspections { (Msg::Inspections.text(lang)) }
                @if t.inspections.is_empty() { p { (Msg::NoInspections.text(lang)) } }
                @for (status, count) in &t.inspections {
                    (figure(&records(RecordFilter { kind: Some(RecordKind::Inspection), status: Some(*status), ..Default::default() }), &format!("inspections_{}", status.as_str()), count, status.as_str(), None))
                }
            }
        }
    };
    page(frame, Msg::Today.text(lang), body)
}

pub(super) fn ist_time(ms: i64) -> String {
    let t = wardbook::calendar::IstDateTime::of(ms);
    t.to_string()
}

/// A record line's kind, ward, status and time cells, as every list of records shows them.
fn line_cells(line: &RecordLine, lang: Lang) -> Markup {
    html! {
        td { (kind_name(line.kind, lang)) }
        td { (line.ward.as_deref().unwrap_or("—")) }
        td { (line.status.as_str()) }
        td { (ist_time(line.updated_at)) }
    }
}

fn back(frame: &Frame) -> Markup {
    html! { p { a href=(frame.link("/office", "")) { (Msg::Back.text(frame.lang)) } } }
}

fn shown(lang: Lang, shown: usize, total: usize) -> Markup {
    html! {
        p.small data-total=(total) {
            @if total > shown { (Msg::Shown.text(lang)) " " (shown) " / " (total) } @else { (total) " " (Msg::Matching.text(lang)) }
        }
    }
}

/// A column of a list: its heading, and whether it holds amounts (right-aligned).
struct Column(Msg, bool);

/// The frame every list page shares: back link, heading, how many are shown, and the table of
/// `rows` under `columns` (or `empty` when there is none), then `foot`.
fn list_page(
    frame: &Frame,
    heading: &str,
    (count, total): (usize, usize),
    empty: Msg,
    columns: &[Column],
    rows: Markup,
    foot: Markup,
) -> String {
    let lang = frame.lang;
    let body = html! {
        (back(frame))
        h2 { (heading) }
        (shown(lang, count, total))
        @if count == 0 {
            p { (empty.text(lang)) }
        } @else {
            div.scroll tabindex="0" role="region" aria-label=(heading) { table {
                thead { tr {
                    @for Column(name, amount) in columns {
                        @if *amount { th.n scope="col" { (name.text(lang)) } } @else { th scope="col" { (name.text(lang)) } }
                    }
                } }
                tbody { (rows) }
            } }
        }
        (foot)
    };
    page(frame, heading, body)
}

/// A list of records.
pub fn records(frame: &Frame, filter: &RecordFilter, lines: &[RecordLine], total: usize) -> String {
    let lang = frame.lang;
    let heading = match (filter.kind, filter.status) {
        (Some(k), Some(s)) => format!("{} · {}", kind_name(k, lang), s.as_str()),
        (Some(k), None) => kind_name(k, lang).to_string(),
        _ => Msg::Records.text(lang).to_string(),
    };
    let rows = html! {
        @for line in lines {
            tr data-record=(line.id) {
                td { (line.title) }
                (line_cells(line, lang))
                td.flag {
                    @for f in &line.flags { (f) " " }
                    @if line.photos_missing > 0 { "📷 " (line.photos_missing) }
                }
            }
        }
    };
    let columns = [Msg::Title, Msg::Kind, Msg::Ward, Msg::Status, Msg::Updated, Msg::Flags].map(|m| Column(m, false));
    // The exports of the same filter, every matching record (not only the rows shown).
    let query = filter.query();
    let exports = html! {
        p.exports data-exports="" {
            (Msg::Export.text(lang)) ": "
            a href=(frame.link("/office/export.csv", &query)) download="" { (Msg::ExportCsv.text(lang)) } " · "
            a href=(frame.link("/office/export.xlsx", &query)) download="" { (Msg::ExportXlsx.text(lang)) } " · "
            a href=(frame.link("/office/export.geojson", &query)) download="" { (Msg::ExportGeojson.text(lang)) }
        }
    };
    list_page(frame, &heading, (lines.len().min(LIMIT), total), Msg::NoRecords, &columns, rows, exports)
}

/// A day's receipts.
pub fn receipts(
    frame: &Frame,
    day: &str,
    mode: Option<PaymentMode>,
    list: &[LedgerReceipt],
    names: &std::collections::HashMap<String, String>,
) -> String {
    let lang = frame.lang;
    let heading = match mode {
        Some(m) => format!("{} · {} · {day}", Msg::Receipts.text(lang), mode_name(m, lang)),
        None => format!("{} · {day}", Msg::Receipts.text(lang)),
    };
    let total: i64 = list.iter().filter(|r| !r.taken.cancelled).map(|r| r.taken.amount.0).sum();
    let rows = html! {
        @for r in list {
            tr data-record=(r.record) {
                td { (r.number) @if r.taken.cancelled { " " span.flag { (Msg::Cancelled.text(lang)) } } }
                td { (mode_name(r.taken.mode, lang)) }
                td.n { (rupees(r.taken.amount)) }
                td { (r.payer) }
                td { (names.get(&r.taken.collector.to_string()).map_or("—", String::as_str)) }
                td { (r.ward.as_deref().unwrap_or("—")) }
            }
        }
        tr { th scope="row" colspan="2" { (Msg::Total.text(lang)) } td.n data-amount=(total) { (rupees(Paise(total))) } td colspan="3" {} }
    };
    let columns = [
        Column(Msg::Number, false),
        Column(Msg::Mode, false),
        Column(Msg::Amount, true),
        Column(Msg::Payer, false),
        Column(Msg::Collector, false),
        Column(Msg::Ward, false),
    ];
    list_page(frame, &heading, (list.len(), list.len()), Msg::NoReceipts, &columns, rows, html! {})
}

/// The devices list.
pub fn devices(frame: &Frame, quiet: Option<u32>, list: &[DeviceRow]) -> String {
    let lang = frame.lang;
    let town = frame.town.as_ref().map_or("", |(t, _)| *t);
    let heading = match quiet {
        Some(24) => Msg::DevicesQuiet24.text(lang).to_string(),
        Some(72) => Msg::DevicesQuiet72.text(lang).to_string(),
        Some(h) => format!("{} · > {h} {}", Msg::Devices.text(lang), Msg::Hours.text(lang)),
        None => Msg::Devices.text(lang).to_string(),
    };
    let rows = html! {
        @for d in list {
            tr data-device=(d.id) data-revoked=(d.revoked) {
                td { (d.name) }
                td { (d.user) }
                td { @match d.last_seen { Some(ms) => (ist_time(ms)), None => (Msg::Never.text(lang)) } }
                td {
                    @if d.revoked { span.flag { (Msg::Revoked.text(lang)) } } @else {
                        (Msg::Active.text(lang)) " "
                        @if let Some(auth) = frame.auth.filter(|a| a.role != OfficeRole::State) {
                            form.inline method="post" action=(format!("/office/devices/revoke?town={town}")) {
                                input type="hidden" name="csrf" value=(auth.csrf);
                                input type="hidden" name="device" value=(d.id);
                                button.choice type="submit" aria-label=(format!("{} {}", Msg::Revoke.text(lang), d.name)) { (Msg::Revoke.text(lang)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let columns = [Msg::Device, Msg::User, Msg::LastSync, Msg::Status].map(|m| Column(m, false));
    list_page(frame, &heading, (list.len(), list.len()), Msg::NoRecords, &columns, rows, html! {})
}

/// The review queue: filters, the items with a box each for a bulk decision, and each
/// conflicted field's values side by side, each with a button that keeps it.
pub fn review(
    frame: &Frame,
    filter: &ReviewFilter,
    items: &[ReviewItem],
    total: usize,
    (rejections, rejections_total): (&[Rejection], usize),
    names: &std::collections::HashMap<String, String>,
) -> String {
    let lang = frame.lang;
    let town = frame.town.as_ref().map_or("", |(t, _)| *t);
    let csrf = frame.auth.map_or("", |a| a.csrf.as_str());
    let here = frame.link("/office/review", &filter.query());
    let mut people: Vec<(&String, &String)> = names.iter().collect();
    people.sort_by(|a, b| a.1.cmp(b.1));
    let heading = Msg::ReviewQueue.text(lang);
    let body = html! {
        (back(frame))
        h2 { (heading) }
        form.filters method="get" action="/office/review" aria-label=(Msg::Filter.text(lang)) {
            input type="hidden" name="town" value=(town);
            div { label for="f-kind" { (Msg::Kind.text(lang)) }
                select #f-kind name="kind" {
                    option value="" { (Msg::AnyKind.text(lang)) }
                    @for k in RecordKind::ALL { option value=(k.as_str()) selected[filter.kind == Some(*k)] { (kind_name(*k, lang)) } }
                } }
            div { label for="f-ward" { (Msg::Ward.text(lang)) }
                input #f-ward name="ward" value=(filter.ward.as_deref().unwrap_or("")) placeholder=(Msg::AnyWard.text(lang)); }
            div { label for="f-user" { (Msg::User.text(lang)) }
                select #f-user name="user" {
                    option value="" { (Msg::AnyUser.text(lang)) }
                    @for (id, name) in &people { option value=(id) selected[filter.user.map(|u| u.to_string()).as_ref() == Some(*id)] { (name) } }
                } }
            div { label for="f-from" { (Msg::FromDay.text(lang)) }
                input #f-from type="date" name="from" value=(filter.from.as_deref().unwrap_or("")); }
            div { label for="f-to" { (Msg::ToDay.text(lang)) }
                input #f-to type="date" name="to" value=(filter.to.as_deref().unwrap_or("")); }
            div { label for="f-flag" { (Msg::FlagCode.text(lang)) }
                input #f-flag name="flag" value=(filter.flag.as_deref().unwrap_or("")) list="f-flags" aria-describedby="f-flag-hint";
                datalist #f-flags { option value=(super::review::REJECTED) {} }
                span.small #f-flag-hint { (Msg::FlagHint.text(lang)) } }
            div { button.primary type="submit" { (Msg::Filter.text(lang)) } }
        }
        (shown(lang, items.len(), total))
        @if items.is_empty() {
            p { (Msg::NothingToReview.text(lang)) }
        } @else {
            form #decide method="post" action=(format!("/office/review/decide?town={town}")) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="back" value=(here);
                div.scroll tabindex="0" role="region" aria-label=(heading) { table {
                    thead { tr {
                        th scope="col" { (Msg::Choose.text(lang)) }
                        @for m in [Msg::Title, Msg::Kind, Msg::Ward, Msg::Status, Msg::Updated, Msg::Flags] { th scope="col" { (m.text(lang)) } }
                    } }
                    tbody {
                        @for item in items {
                            @let line = &item.line;
                            tr data-record=(line.id) data-kind=(line.kind.as_str()) {
                                td { input type="checkbox" name="record" value=(line.id) aria-label=(format!("{} {}", Msg::Choose.text(lang), line.title)); }
                                td { a href=(frame.link(&format!("/office/record/{}", line.id), "")) { (line.title) } }
                                (line_cells(line, lang))
                                td.flag {
                                    @for f in &line.flags { (f) " " }
                                    @if !item.conflicts.is_empty() { (Msg::Conflict.text(lang)) ": " (item.conflicts.len()) }
                                }
                            }
                        }
                    }
                } }
                fieldset {
                    legend { (Msg::Decision.text(lang)) }
                    label for="d-to" { (Msg::NewStatus.text(lang)) }
                    select #d-to name="to" {
                        @for st in [Status::Approved, Status::Rejected, Status::SentBack] { option value=(st.as_str()) { (st.as_str()) } }
                    }
                    label for="d-note" { (Msg::Note.text(lang)) }
                    textarea #d-note name="note" rows="2" {}
                    button.primary type="submit" { (Msg::Decide.text(lang)) }
                }
            }
            @for item in items.iter().filter(|i| !i.conflicts.is_empty()) {
                section.card data-conflicts=(item.line.id) aria-label=(format!("{} · {}", Msg::Conflict.text(lang), item.line.title)) {
                    h2 { (Msg::Conflict.text(lang)) " · " (item.line.title) }
                    (conflict_table(frame, &item.line.id, &item.conflicts, &here))
                }
            }
        }
        section aria-labelledby="rejections" {
            h2 #rejections { (Msg::Rejections.text(lang)) }
            p.small data-rejections=(rejections_total) {
                @if rejections_total > rejections.len() { (Msg::Shown.text(lang)) " " (rejections.len()) " / " (rejections_total) } @else { (rejections_total) " " (Msg::Matching.text(lang)) }
            }
            @if rejections.is_empty() {
                p { (Msg::NoRejections.text(lang)) }
            } @else {
                div.scroll tabindex="0" role="region" aria-label=(Msg::Rejections.text(lang)) { table {
                    thead { tr {
                        @for m in [Msg::RejectedAt, Msg::User, Msg::Device, Msg::Title, Msg::Kind, Msg::Ward, Msg::Why] { th scope="col" { (m.text(lang)) } }
                    } }
                    tbody {
                        @for r in rejections {
                            tr data-rejection=(r.record) data-rejected-code=(r.code) {
                                td { (ist_time(r.rejected_at)) }
                                td { (names.get(&r.user).map_or(r.user.as_str(), String::as_str)) }
                                td { (r.device_name) }
                                td { @if r.kind.is_some() { a href=(frame.link(&format!("/office/record/{}", r.record), "")) { (r.record) } } @else { (r.record) } }
                                td { (r.kind.map_or("—", |k| kind_name(k, lang))) }
                                td { (r.ward.as_deref().unwrap_or("—")) }
                                td {
                                    @if let Some(name) = rejection_name(&r.code, lang) { span.flag { (name) } br; }
                                    code { (r.code) } ": " span lang="en" { (r.reason) }
                                }
                            }
                        }
                    }
                } }
            }
        }
    };
    page(frame, heading, body)
}

/// A record's conflicted fields, each value side by side with a button that keeps it.
pub fn conflict_table(
    frame: &Frame,
    record: &str,
    conflicts: &[wardbook::document::FieldConflict],
    back: &str,
) -> Markup {
    let lang = frame.lang;
    let town = frame.town.as_ref().map_or("", |(t, _)| *t);
    let csrf = frame.auth.map_or("", |a| a.csrf.as_str());
    html! {
        div.scroll tabindex="0" role="region" aria-label=(Msg::Conflict.text(lang)) { table {
            thead { tr { th scope="col" { (Msg::Field.text(lang)) } th scope="col" { (Msg::Conflict.text(lang)) } } }
            tbody {
                @for c in conflicts {
                    tr data-field=(c.field) {
                        th scope="row" { (c.field) }
                        td {
                            @for value in &c.values {
                                @let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                                form.inline method="post" action=(format!("/office/review/resolve?town={town}")) {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="back" value=(back);
                                    input type="hidden" name="record" value=(record);
                                    input type="hidden" name="field" value=(c.field);
                                    input type="hidden" name="value" value=(value.to_string());
                                    span data-value=(value.to_string()) { (shown) } " "
                                    button.choice type="submit" aria-label=(format!("{}: {shown}", Msg::KeepValue.text(lang))) { (Msg::KeepValue.text(lang)) }
                                }
                                " "
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// One record: fields under the reader's names, photos as thumbnails linking to the photo,
/// the steps (who, as what, when, signed), the changes each device sent, the conflicts.
pub fn record(frame: &Frame, view: &RecordView, names: &std::collections::HashMap<String, String>) -> String {
    let lang = frame.lang;
    let r = &view.record;
    let id = r.id.to_string();
    let here = frame.link(&format!("/office/record/{id}"), "");
    let heading = format!("{} · {}", kind_name(r.kind(), lang), r.title());
    let body = html! {
        p { a href=(frame.link("/office/review", "")) { (Msg::ReviewQueue.text(lang)) } }
        h2 data-record=(id) { (heading) }
        p {
            (Msg::Status.text(lang)) ": " b data-status=(r.workflow().status.as_str()) { (r.workflow().status.as_str()) }
            " · " (Msg::Ward.text(lang)) ": " (r.ward.as_deref().unwrap_or("—"))
            @for f in &view.flags { " · " span.flag data-flag=(f) { (f) } }
        }
        h2 { (Msg::Fields.text(lang)) }
        div.scroll tabindex="0" role="region" aria-label=(Msg::Fields.text(lang)) { table {
            thead { tr { th scope="col" { (Msg::Field.text(lang)) } th scope="col" { (Msg::Value.text(lang)) } } }
            tbody { @for (path, value) in fields(r) { tr data-field=(path) { th scope="row" { (field_label(&path, lang)) } td { (value) } } } }
        } }
        @if !view.photos.is_empty() {
            h2 { (Msg::Photos.text(lang)) }
            p {
                @for (sha, held) in &view.photos {
                    @if *held {
                        a href=(frame.link(&format!("/office/photo/{sha}"), "")) data-photo=(sha) {
                            img src=(frame.link(&format!("/office/photo/{sha}/thumbnail"), "")) alt=(format!("{} {}", Msg::Photos.text(lang), &sha[..8])) width="160";
                        }
                        " "
                    } @else {
                        span.small data-photo-missing=(sha) { (&sha[..8]) " — " (Msg::NotOnServer.text(lang)) } " "
                    }
                }
            }
        }
        h2 { (Msg::History.text(lang)) }
        div.scroll tabindex="0" role="region" aria-label=(Msg::History.text(lang)) { table {
            thead { tr { @for m in [Msg::Step, Msg::User, Msg::When, Msg::Note] { th scope="col" { (m.text(lang)) } } } }
            tbody { @for t in &r.transitions {
                tr data-step=(t.to.as_str()) {
                    td { (t.from.as_str()) " → " (t.to.as_str()) @if t.signature.is_some() { " ✓ " (Msg::Signed.text(lang)) } }
                    td { (names.get(&t.by.to_string()).map_or("—", String::as_str)) " (" (t.role.as_str()) ")" }
                    td { (ist_time(t.at)) }
                    td { (t.note.as_deref().unwrap_or("")) }
                }
            } }
        } }
        h2 { (Msg::Received.text(lang)) }
        div.scroll tabindex="0" role="region" aria-label=(Msg::Received.text(lang)) { table {
            thead { tr { @for m in [Msg::Device, Msg::User, Msg::When] { th scope="col" { (m.text(lang)) } } } }
            tbody { @for c in &view.received { tr { td { (c.device) } td { (c.user) } td { (ist_time(c.at)) } } } }
        } }
        @if !view.conflicts.is_empty() {
            section.card data-conflicts=(id) aria-label=(Msg::Conflict.text(lang)) {
                h2 { (Msg::Conflict.text(lang)) }
                (conflict_table(frame, &id, &view.conflicts, &here))
            }
        }
    };
    page(frame, &heading, body)
}
