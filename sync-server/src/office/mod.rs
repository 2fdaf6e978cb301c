//! The office console: web pages of the sync server for a town's supervisors and admins (and,
//! read only, a state's officials), signed in with a password, never with a device token.
//!
//! The usual flow: `GET /office` without a session answers `401` with the sign-in form;
//! `POST /office/sign-in` (Origin and CSRF checked, the lockout kept) sets the session cookie
//! and sends the browser to the page it asked for; every page finds the session
//! ([`auth::authenticate`]), the town (`?town=`, else the login's own) and the viewer's
//! [`wardbook::domain::access::Scope`] of it, and reads its figures in one tenant-scoped
//! transaction ([`today`], [`lists`]); [`pages`] writes the HTML in English or Hindi
//! ([`text`]).
//!
//! Architecture invariant: the console only reads the tables sync writes (records, changes,
//! devices, ledger, flags, record_blobs, rejections) and writes only its own (`office_logins`,
//! `office_sessions`); who sees which record is the core's `Scope`, never decided here.

pub mod auth;
pub mod export;
pub mod lists;
pub mod pages;
pub mod record;
pub mod review;
pub mod text;
pub mod today;

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use self::auth::{OfficeAuth, SESSION_COOKIE, SIGN_IN_COOKIE, SignIn};
use self::pages::Frame;
use self::text::{Lang, Msg};
use crate::db::now_ms;
use crate::error::AppError;
use crate::routes::AppState;
use crate::store::Scope;

/// The office pages' router (merged into [`crate::routes::router`], listed in its `ROUTES`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/office", get(today_page))
        .route("/office/records", get(records_page))
        .route("/office/export.csv", get(export::export_csv))
        .route("/office/export.geojson", get(export::export_geojson))
        .route("/office/export.xlsx", get(export::export_xlsx))
        .route("/office/receipts", get(receipts_page))
        .route("/office/devices", get(devices_page))
        .route("/office/devices/revoke", post(device_revoke))
        .route("/office/review", get(review_page))
        .route("/office/record/{id}", get(record_page))
        .route("/office/photo/{sha256}", get(photo_full))
        .route("/office/photo/{sha256}/thumbnail", get(photo_thumbnail))
        .route("/office/review/decide", post(review_decide))
        .route("/office/review/resolve", post(review_resolve))
        .route("/office/sign-in", get(sign_in_form).post(sign_in))
        .route("/office/sign-out", post(sign_out))
}

const LANG_COOKIE: &str = "wb_lang";

/// What every office request carries: its language, path and cookies.
struct Request {
    lang: Lang,
    /// Set when `?lang=` chose the language: remembered in a cookie.
    lang_chosen: bool,
    /// The path and query without `lang`.
    here: String,
    cookies: Option<String>,
    query: HashMap<String, String>,
}

impl Request {
    fn new(uri: &Uri, headers: &HeaderMap, query: HashMap<String, String>) -> Request {
        // HTTP/2 and some clients send several Cookie headers; they read as one.
        let all: Vec<&str> = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
        let cookies = (!all.is_empty()).then(|| all.join("; "));
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        let chosen = query.get("lang").and_then(|l| Lang::parse(l));
        let lang =
            Lang::choose(query.get("lang").map(String::as_str), auth::cookie(cookies.as_deref(), LANG_COOKIE), accept);
        let rest: Vec<&str> =
            uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("lang=")).collect();
        let here = if rest.is_empty() { uri.path().to_string() } else { format!("{}?{}", uri.path(), rest.join("&")) };
        Request { lang, lang_chosen: chosen.is_some(), here, cookies, query }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        auth::cookie(self.cookies.as_deref(), name)
    }

    /// An HTML answer with the office's headers.
    fn html(&self, status: StatusCode, body: String) -> Response {
        let csp = format!(
            "default-src 'none'; style-src {}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            pages::css_hash()
        );
        let mut response = (status, body).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        if self.lang_chosen {
            let cookie = auth::set_cookie(LANG_COOKIE, self.lang.code(), 365 * 86_400);
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                h.append(header::SET_COOKIE, v);
            }
        }
        response
    }

    /// The page for an error: the sign-in form for a missing session, else what went wrong.
    fn error(&self, e: AppError) -> Response {
        let (status, code) = e.status_code();
        if matches!(e, AppError::SignInRequired) {
            return self.sign_in_page(status, &self.here, None);
        }
        if status.is_server_error() {
            tracing::error!(error = ?e, "office page failed");
        }
        let message =
            if status.is_server_error() { "the server failed; the error is logged".to_string() } else { e.to_string() };
        let mut response = self.html(status, pages::error(self.lang, &self.here, code, &message));
        if let Some(seconds) = e.retry_after() {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }

    /// The sign-in form with a fresh CSRF token in its cookie.
    fn sign_in_page(&self, status: StatusCode, next: &str, problem: Option<&str>) -> Response {
        let token = auth::new_sign_in_token();
        let next = if safe_next(next) { next } else { "/office" };
        let mut response = self.html(status, pages::sign_in(self.lang, &self.here, &token, next, problem));
        if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(SIGN_IN_COOKIE, &token, 3600)) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
        response
    }
}

/// Only an office page of this server is a place to go after signing in.
fn safe_next(next: &str) -> bool {
    next.starts_with("/office") && !next.starts_with("//") && !next.contains(['\\', '\r', '\n'])
}

/// The signed-in member of the office behind the request's session cookie.
async fn office_auth(state: &AppState, request: &Request) -> Result<OfficeAuth, AppError> {
    let token = request.cookie(SESSION_COOKIE).ok_or(AppError::SignInRequired)?.to_string();
    state.run(Scope::Admin, move |sql| auth::authenticate(sql, &token, now_ms())).await
}

/// The town a page is about (`?town=`, else the login's own, else a state's first town), what
/// the viewer sees of it (another town answers `NotFound`), and for a state official the
/// state's towns to choose from.
async fn town_scope(
    state: &AppState,
    auth: &OfficeAuth,
    request: &Request,
) -> Result<(String, wardbook::domain::access::Scope, Vec<String>), AppError> {
    let towns = match &auth.holder {
        auth::Holder::State { state: code } => {
            let pattern = format!("{code}.%");
            state
                .run(Scope::Admin, move |sql| {
                    let rows =
                        sql.rows("SELECT id FROM tenants WHERE id LIKE ?1 ORDER BY id", crate::params![pattern])?;
                    rows.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()
                })
                .await?
        }
        auth::Holder::Town { .. } => vec![],
    };
    let asked = request.query.get("town").map(|t| t.trim()).filter(|t| !t.is_empty());
    let town = asked.or(auth.home_town()).or(towns.first().map(String::as_str)).ok_or(AppError::NotFound)?.to_string();
    let scope = auth.scope_for(&town)?;
    Ok((town, scope, towns))
}

/// The town's name in the page's language (`NotFound` for a town that does not exist).
fn town_name(sql: &mut dyn crate::store::Sql, town: &str, lang: Lang) -> Result<String, AppError> {
    let refs = crate::db::reference(sql, town)?;
    Ok(match (refs.tenant, lang) {
        (Some(t), Lang::Hi) if !t.name_hi.is_empty() => t.name_hi,
        (Some(t), _) => t.name,
        (None, _) => town.to_string(),
    })
}

/// Whether the server holds the photo `sha256` of `town` complete.
fn photo_check(state: &AppState, town: &str) -> impl Fn(&str) -> bool + Send + 'static {
    let (blobs, town) = (state.blobs.clone(), town.to_string());
    move |sha: &str| sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()) && blobs.path(&town, sha).is_file()
}

macro_rules! page_handler {
    ($name:ident, $inner:ident) => {
        async fn $name(
            State(state): State<AppState>,
            uri: Uri,
            headers: HeaderMap,
            Query(query): Query<HashMap<String, String>>,
        ) -> Response {
            let request = Request::new(&uri, &headers, query);
            match $inner(&state, &request).await {
                Ok(body) => request.html(StatusCode::OK, body),
                Err(e) => request.error(e),
            }
        }
    };
}

page_handler!(today_page, today_inner);
page_handler!(records_page, records_inner);
page_handler!(receipts_page, receipts_inner);
page_handler!(devices_page, devices_inner);
page_handler!(review_page, review_inner);

#[tracing::instrument(skip_all)]
async fn today_inner(state: &AppState, request: &Request) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let (lang, has_photo, t) = (request.lang, photo_check(state, &town), town.clone());
    let (name, figures) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            Ok((town_name(sql, &t, lang)?, today::today(sql, &scope, now_ms(), &has_photo)?))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::today(&frame, &figures))
}

#[tracing::instrument(skip_all)]
async fn records_inner(state: &AppState, request: &Request) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let filter = lists::RecordFilter::parse(&request.query)?;
    let (lang, has_photo, t, f) = (request.lang, photo_check(state, &town), town.clone(), filter.clone());
    let (name, (lines, total)) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            Ok((town_name(sql, &t, lang)?, lists::records(sql, &scope, &f, &has_photo)?))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::records(&frame, &filter, &lines, total))
}

#[tracing::instrument(skip_all)]
async fn receipts_inner(state: &AppState, request: &Request) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let filter = lists::ReceiptFilter::parse(&request.query, now_ms())?;
    let (lang, t, f) = (request.lang, town.clone(), filter.clone());
    let (name, list, names) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            Ok((town_name(sql, &t, lang)?, lists::receipts(sql, &scope, &f)?, lists::user_names(sql, &t)?))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::receipts(&frame, &filter.day, filter.mode, &list, &names))
}

#[tracing::instrument(skip_all)]
async fn devices_inner(state: &AppState, request: &Request) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let quiet = lists::quiet_hours(&request.query)?;
    let (lang, t) = (request.lang, town.clone());
    let (name, list) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            Ok((town_name(sql, &t, lang)?, lists::devices(sql, &scope, quiet, now_ms())?))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::devices(&frame, quiet, &list))
}

async fn sign_in_form(uri: Uri, headers: HeaderMap, Query(query): Query<HashMap<String, String>>) -> Response {
    let request = Request::new(&uri, &headers, query);
    let next = request.query.get("next").cloned().unwrap_or_else(|| "/office".into());
    request.sign_in_page(StatusCode::OK, &next, None)
}

/// A form's fields; absent ones are empty (and refused as such).
#[derive(Default)]
struct Form {
    csrf: String,
    login: String,
    password: String,
    next: String,
    /// Every field, in order (a field may repeat: the records of a bulk decision).
    all: Vec<(String, String)>,
}

impl Form {
    fn get(&self, key: &str) -> Option<&str> {
        self.all.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn every(&self, key: &str) -> impl Iterator<Item = &str> {
        self.all.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// `application/x-www-form-urlencoded` into [`Form`].
fn read_form(body: &[u8]) -> Result<Form, AppError> {
    let mut form = Form::default();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (k, v) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        let (k, v) = (percent_decode(k)?, percent_decode(v)?);
        match k.as_str() {
            "csrf" => form.csrf = v.clone(),
            "login" => form.login = v.clone(),
            "password" => form.password = v.clone(),
            "next" => form.next = v.clone(),
            _ => {}
        }
        form.all.push((k, v));
    }
    Ok(form)
}

fn percent_decode(bytes: &[u8]) -> Result<String, AppError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(byte.ok_or_else(|| AppError::BadRequest("the form has a broken %-escape".into()))?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| AppError::BadRequest("the form is not UTF-8".into()))
}

/// The checks every form post passes first: its `Origin` is this server.
fn check_post(headers: &HeaderMap) -> Result<(), AppError> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    auth::check_origin(text(header::ORIGIN), text(header::HOST))
}

const FORM_LIMIT: usize = 16 * 1024;

#[tracing::instrument(skip_all)]
async fn sign_in(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Response {
    let request = Request::new(&uri, &headers, query);
    let form = match (|| {
        check_post(&headers)?;
        if body.len() > FORM_LIMIT {
            return Err(AppError::BadRequest("the form is too large".into()));
        }
        let form = read_form(&body)?;
        let expected = request.cookie(SIGN_IN_COOKIE).unwrap_or("");
        if expected.is_empty() || !auth::same_token(expected, &form.csrf) {
            return Err(AppError::CsrfMismatch);
        }
        Ok(form)
    })() {
        Ok(form) => form,
        Err(e) => return request.error(e),
    };
    let next = if safe_next(&form.next) { form.next.clone() } else { "/office".into() };
    let lockout = auth::Lockout { free: state.settings.office_free_failures, base: state.settings.office_lockout_base };
    let outcome = async {
        let login = form.login.clone();
        let found = state.run(Scope::Admin, move |sql| auth::begin_sign_in(sql, &login, lockout, now_ms())).await?;
        if found.locked_for > 0 {
            return Ok(SignIn::Locked { retry_after: (found.locked_for as u64).div_ceil(1000) });
        }
        let (hash, password) = (found.hash.clone(), form.password.clone());
        let matched = tokio::task::spawn_blocking(move || auth::check_password(hash.as_deref(), &password)).await?;
        state.run(Scope::Admin, move |sql| auth::finish_sign_in(sql, &found, matched, now_ms())).await
    }
    .await;
    match outcome {
        Ok(SignIn::Session { token }) => {
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            for cookie in [
                auth::set_cookie(SESSION_COOKIE, &token, auth::SESSION_LIFETIME_MS / 1000),
                auth::set_cookie(SIGN_IN_COOKIE, "", 0),
            ] {
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    h.append(header::SET_COOKIE, v);
                }
            }
            tracing::info!(login = %form.login.trim().to_lowercase(), "office sign-in");
            response
        }
        Ok(SignIn::Refused) => {
            state.metrics.auth_failures.inc();
            tracing::warn!(login = %form.login.trim().to_lowercase(), "office sign-in refused");
            request.sign_in_page(StatusCode::UNAUTHORIZED, &next, Some(Msg::BadCredentials.text(request.lang)))
        }
        Ok(SignIn::Locked { retry_after }) => {
            state.metrics.auth_failures.inc();
            let problem =
                format!("{} {retry_after} {}", Msg::LockedOut.text(request.lang), Msg::Seconds.text(request.lang));
            let mut response = request.sign_in_page(StatusCode::TOO_MANY_REQUESTS, &next, Some(&problem));
            response.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
            response
        }
        Err(e) => request.error(e),
    }
}

#[tracing::instrument(skip_all)]
async fn review_inner(state: &AppState, request: &Request) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let filter = review::ReviewFilter::parse(&request.query)?;
    let (lang, has_photo, t, f) = (request.lang, photo_check(state, &town), town.clone(), filter.clone());
    let (name, (items, total), (rejected, rejected_total), names) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            lists::check_ward(sql, &scope, f.ward.as_deref())?;
            Ok((
                town_name(sql, &t, lang)?,
                review::queue(sql, &scope, &f, &has_photo)?,
                review::rejections(sql, &scope, &f)?,
                lists::user_names(sql, &t)?,
            ))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::review(&frame, &filter, &items, total, (&rejected, rejected_total), &names))
}

/// A signed-in form post: `Origin`, size and the session's CSRF token checked.
async fn checked_form(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(OfficeAuth, Form), AppError> {
    check_post(headers)?;
    if body.len() > FORM_LIMIT {
        return Err(AppError::BadRequest("the form is too large".into()));
    }
    let form = read_form(body)?;
    let auth = office_auth(state, request).await?;
    if !auth::same_token(&auth.csrf, &form.csrf) {
        return Err(AppError::CsrfMismatch);
    }
    Ok((auth, form))
}

/// A [`checked_form`] of an office page about a town (`?town=` of its action, else the
/// login's own) and the viewer's scope of it.
async fn signed_post(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(OfficeAuth, String, wardbook::domain::access::Scope, Form), AppError> {
    let (auth, form) = checked_form(state, request, headers, body).await?;
    let (town, scope, _) = town_scope(state, &auth, request).await?;
    Ok((auth, town, scope, form))
}

/// The login's web actor in `town`, made on its first decision.
async fn web_actor(state: &AppState, auth: &OfficeAuth, town: &str) -> Result<review::WebActor, AppError> {
    let (auth, town) = (auth.clone(), town.to_string());
    state.run(Scope::Admin, move |sql| review::web_actor(sql, &auth, &town, now_ms())).await
}

fn record_id(text: &str) -> Result<wardbook::ids::RecordId, AppError> {
    text.trim().parse().map_err(|_| AppError::BadRequest(format!("record {text:?} is not a record id")))
}

/// After a decision: back to the page it was made on (an office page of this server).
fn see_other(form: &Form, town: &str) -> Response {
    let back =
        form.get("back").filter(|b| safe_next(b)).map_or_else(|| format!("/office/review?town={town}"), str::to_string);
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

macro_rules! post_handler {
    ($name:ident, $inner:ident) => {
        async fn $name(
            State(state): State<AppState>,
            uri: Uri,
            headers: HeaderMap,
            Query(query): Query<HashMap<String, String>>,
            body: axum::body::Bytes,
        ) -> Response {
            let request = Request::new(&uri, &headers, query);
            match $inner(&state, &request, &headers, &body).await {
                Ok(response) => response,
                Err(e) => request.error(e),
            }
        }
    };
}

post_handler!(sign_out, sign_out_inner);
post_handler!(review_decide, review_decide_inner);
post_handler!(review_resolve, review_resolve_inner);
post_handler!(device_revoke, device_revoke_inner);

/// `POST /office/devices/revoke`: a town's supervisor or admin revokes a device of a user
/// they oversee; its next request is refused.
#[tracing::instrument(skip_all)]
async fn device_revoke_inner(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let (auth, town, scope, form) = signed_post(state, request, headers, body).await?;
    if auth.role == auth::OfficeRole::State {
        return Err(AppError::ReadOnly);
    }
    let device = form.get("device").unwrap_or("").trim().to_string();
    let d = device.clone();
    // Server-wide: revoking writes `devices`, which a town's transaction only reads.
    state.run(Scope::Admin, move |sql| lists::revoke_device(sql, &scope, &d)).await?;
    tracing::info!(login = %auth.login, %device, "office revoked a device");
    let mut response =
        (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/office/devices?town={town}"))]).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /office/sign-out`: the session ends, its cookie is cleared.
#[tracing::instrument(skip_all)]
async fn sign_out_inner(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    checked_form(state, request, headers, body).await?;
    let token = request.cookie(SESSION_COOKIE).unwrap_or_default().to_string();
    state.run(Scope::Admin, move |sql| auth::sign_out(sql, &token)).await?;
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/office/sign-in")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::set_cookie(SESSION_COOKIE, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `POST /office/review/decide`: one step (`to`, `note`) for every `record` of the form.
#[tracing::instrument(skip_all)]
async fn review_decide_inner(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let (auth, town, scope, form) = signed_post(state, request, headers, body).await?;
    let to_text = form.get("to").unwrap_or("").trim();
    let to: wardbook::domain::Status = to_text
        .parse()
        .map_err(|_| AppError::BadRequest(format!("to {to_text:?} is not a workflow status (APPROVED, …)")))?;
    let note = form.get("note").map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    let records = form.every("record").map(record_id).collect::<Result<Vec<_>, _>>()?;
    let web = web_actor(state, &auth, &town).await?;
    let n = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            review::decide_all(sql, &web, &scope, &records, to, note, now_ms())
        })
        .await?;
    tracing::info!(login = %auth.login, records = n, to = %to.as_str(), "office decision");
    Ok(see_other(&form, &town))
}

/// `POST /office/review/resolve`: a conflicted `field` of `record` settled with `value` (JSON).
#[tracing::instrument(skip_all)]
async fn review_resolve_inner(
    state: &AppState,
    request: &Request,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, AppError> {
    let (auth, town, scope, form) = signed_post(state, request, headers, body).await?;
    let record = record_id(form.get("record").unwrap_or(""))?;
    let field = form.get("field").unwrap_or("").to_string();
    let value: serde_json::Value = serde_json::from_str(form.get("value").unwrap_or(""))
        .map_err(|e| AppError::BadRequest(format!("the chosen value is not JSON: {e}")))?;
    let web = web_actor(state, &auth, &town).await?;
    let decision = review::Decision::Resolve { field: field.clone(), value };
    state
        .run(Scope::Tenant(town.clone()), move |sql| review::decide(sql, &web, &scope, record, &decision, now_ms()))
        .await?;
    tracing::info!(login = %auth.login, %record, %field, "office conflict resolved");
    Ok(see_other(&form, &town))
}

async fn record_page(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let request = Request::new(&uri, &headers, query);
    match record_inner(&state, &request, id).await {
        Ok(body) => request.html(StatusCode::OK, body),
        Err(e) => request.error(e),
    }
}

#[tracing::instrument(skip_all)]
async fn record_inner(state: &AppState, request: &Request, id: String) -> Result<String, AppError> {
    let auth = office_auth(state, request).await?;
    let (town, scope, towns) = town_scope(state, &auth, request).await?;
    let id = record_id(&id)?.to_string();
    let (lang, has_photo, t) = (request.lang, photo_check(state, &town), town.clone());
    let (name, view, names) = state
        .run(Scope::Tenant(town.clone()), move |sql| {
            Ok((town_name(sql, &t, lang)?, record::record(sql, &scope, &id, &has_photo)?, lists::user_names(sql, &t)?))
        })
        .await?;
    let frame = Frame { lang, auth: Some(&auth), town: Some((&town, name)), towns: &towns, here: request.here.clone() };
    Ok(pages::record(&frame, &view, &names))
}

/// A photo of the town that a record the viewer sees names, whole or as a small JPEG.
async fn photo_bytes(
    state: &AppState,
    request: &Request,
    sha256: String,
    thumbnail: bool,
) -> Result<Response, AppError> {
    let auth = office_auth(state, request).await?;
    crate::blobs::check_name(&sha256)?;
    let (town, scope, _) = town_scope(state, &auth, request).await?;
    let name = sha256.clone();
    let visible =
        state.run(Scope::Tenant(town.clone()), move |sql| crate::db::photo_visible(sql, &scope, &name)).await?;
    if !visible || !photo_check(state, &town)(&sha256) {
        return Err(AppError::NotFound);
    }
    let bytes = std::fs::read(state.blobs.path(&town, &sha256)).map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = if thumbnail {
        tokio::task::spawn_blocking(move || wardbook::photo::thumbnail(&bytes))
            .await?
            .map_err(|e| AppError::Internal(format!("the stored photo has no thumbnail: {e}")))?
    } else {
        bytes
    };
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], bytes)
        .into_response())
}

macro_rules! photo_handler {
    ($name:ident, $thumbnail:expr) => {
        async fn $name(
            State(state): State<AppState>,
            uri: Uri,
            headers: HeaderMap,
            axum::extract::Path(sha256): axum::extract::Path<String>,
            Query(query): Query<HashMap<String, String>>,
        ) -> Response {
            let request = Request::new(&uri, &headers, query);
            photo_bytes(&state, &request, sha256, $thumbnail).await.unwrap_or_else(|e| request.error(e))
        }
    };
}

photo_handler!(photo_full, false);
photo_handler!(photo_thumbnail, true);
