//! The KPI dashboard: `/login`, `/logout`, `/dashboard`. A visitor is an
//! `[[admin]]` with a signed session cookie, or the user a trusted reverse
//! proxy names in `[http] user_header`; anyone else is sent to the login
//! page. The page is plain HTML with inline style and server-drawn SVG,
//! in French or English, readable on a phone.

use std::fmt::Write as _;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::charts::{self, Series};
use super::pages::escape;
use super::{page, preferred, Web};
use crate::config::Settings;
use crate::domain::login::{self, PasswordHash};
use crate::domain::ticket::{Lang, Status};
use crate::report::{self, AtRisk, Report};
use crate::sla::minutes_label;
use crate::store::StoreError;

const COOKIE: &str = "guichet_session";
/// How long a login lasts.
const SESSION_HOURS: i64 = 12;

/// What the dashboard's form and links carry.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    since: Option<String>,
    until: Option<String>,
    group: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LangOnly {
    lang: Option<String>,
}

fn lang_of(asked: Option<&str>, headers: &HeaderMap, web: &Web) -> Lang {
    match asked {
        Some("fr") => Lang::Fr,
        Some("en") => Lang::En,
        _ => super::written_in(preferred(headers, web)),
    }
}

fn tr(lang: Lang, fr: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Fr {
        fr
    } else {
        en
    }
}

/// The session cookie's value, if the request carries one.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

/// The key sessions are signed with: the desk's link key.
async fn key(web: &Web) -> Option<Vec<u8>> {
    let w = web.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, crate::sla::SlaError> {
        let settings = w.live.borrow().settings.clone();
        let mut conn = w.store.conn()?;
        crate::sla::survey::link_key(&mut conn, &settings, w.clock.now())
    })
    .await;
    match done {
        Ok(Ok(k)) => Some(k),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "no session key");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "session key task failed");
            None
        }
    }
}

/// Who is visiting: a trusted proxy's user, or an admin's valid session.
async fn visitor(web: &Web, headers: &HeaderMap, peer: SocketAddr) -> Option<String> {
    let settings = web.live.borrow().settings.clone();
    let http = settings.http.as_ref()?;
    if let Some(name) = http.user_header.as_deref() {
        if http.user_header_from.iter().any(|a| a.to_canonical() == peer.ip().to_canonical()) {
            let user = headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|u| !u.is_empty());
            if let Some(u) = user {
                return Some(u.to_string());
            }
        }
    }
    let token = cookie(headers)?;
    let key = key(web).await?;
    let login = login::session_login(&key, &token, web.clock.now())?;
    // An account removed from the config loses its sessions.
    settings.admins.iter().any(|a| a.login == login).then_some(login)
}

fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response();
    if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        r.headers_mut().insert(header::SET_COOKIE, c);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn secure(settings: &Settings) -> &'static str {
    match &settings.http {
        Some(h) if h.base_url.starts_with("https://") => "; Secure",
        _ => "",
    }
}

pub async fn login_page(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<LangOnly>,
) -> Response {
    let lang = lang_of(q.lang.as_deref(), &headers, &web);
    if visitor(&web, &headers, peer).await.is_some() {
        return see_other(&format!("/dashboard?lang={}", lang.as_str()), None);
    }
    page(StatusCode::OK, login_html(lang, None))
}

/// Checks the password off the runtime threads (PBKDF2 is slow on purpose).
pub async fn login_post(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Response {
    let lang = lang_of(c.lang.as_deref(), &headers, &web);
    let settings = web.live.borrow().settings.clone();
    let login = c.login.trim().to_string();
    let admin = settings.admins.iter().find(|a| a.login == login).cloned();
    let password = c.password;
    // Each check is deliberately costly: two at a time, the rest told to
    // come back, so that a flood of attempts cannot take every core.
    static CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let Ok(_turn) = CHECKS.try_acquire() else {
        tracing::warn!("dashboard login refused: too many at once");
        let why =
            tr(lang, "Trop de tentatives en même temps, réessayez.", "Too many sign-in attempts at once, try again.");
        return page(StatusCode::TOO_MANY_REQUESTS, login_html(lang, Some(why)));
    };
    let ok = tokio::task::spawn_blocking(move || match admin {
        Some(a) => PasswordHash::parse(&a.password_hash).is_ok_and(|h| h.verify(&password)),
        None => {
            // As long as a real check, so that timing does not tell which
            // logins exist.
            let _ = PasswordHash::new(&password, b"guichet-no-such-admin", login::ITERATIONS).verify("");
            false
        }
    })
    .await
    .unwrap_or(false);
    audit_sign_in(&web, &login, peer, ok).await;
    if !ok {
        tracing::warn!("dashboard login refused");
        let why = tr(lang, "Identifiant ou mot de passe incorrect.", "Wrong login or password.");
        return page(StatusCode::UNAUTHORIZED, login_html(lang, Some(why)));
    }
    let Some(key) = key(&web).await else {
        let why = tr(lang, "Service momentanément indisponible.", "Temporarily unavailable.");
        return page(StatusCode::SERVICE_UNAVAILABLE, login_html(lang, Some(why)));
    };
    let token = login::session(&key, &login, web.clock.now() + Duration::hours(SESSION_HOURS));
    let cookie = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_HOURS * 3600,
        secure(&settings)
    );
    see_other(&format!("/dashboard?lang={}", lang.as_str()), Some(cookie))
}

/// Records a sign-in or a failed one in the audit log: the login as typed
/// (cut short, control characters dropped) and the client's address,
/// never the password.
async fn audit_sign_in(web: &Web, login: &str, peer: SocketAddr, ok: bool) {
    use crate::store::queries::audit::{self, AuditEntry, Outcome};
    let login: String = login.chars().filter(|c| !c.is_control()).take(100).collect();
    let w = web.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<(), crate::store::StoreError> {
        let actor = format!("dashboard:{login}");
        let (action, outcome) =
            if ok { ("dashboard.sign_in", Outcome::Ok) } else { ("dashboard.sign_in_failed", Outcome::Failed) };
        let detail = format!("from {}", peer.ip().to_canonical());
        let entry = AuditEntry { actor: &actor, action, subject: "dashboard", detail: &detail };
        let now = w.clock.now().naive_utc();
        w.store.write(|conn| -> Result<(), crate::store::StoreError> {
            Ok(audit::record_outcome(conn, &entry, outcome, now)?)
        })
    })
    .await;
    match done {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "cannot record a dashboard sign-in in the audit log"),
        Err(e) => tracing::error!(error = %e, "audit task failed"),
    }
}

pub async fn logout(State(web): State<Web>) -> Response {
    let settings = web.live.borrow().settings.clone();
    let cookie = format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}", secure(&settings));
    see_other("/login", Some(cookie))
}

pub async fn dashboard(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(f): Query<Filters>,
) -> Response {
    let lang = lang_of(f.lang.as_deref(), &headers, &web);
    let Some(user) = visitor(&web, &headers, peer).await else {
        return see_other(&format!("/login?lang={}", lang.as_str()), None);
    };
    let w = web.clone();
    let since = f.since.clone();
    let until = f.until.clone();
    let group = f.group.clone().filter(|g| !g.trim().is_empty());
    // A bad period is the visitor's to mend; a store failure is ours.
    let done = tokio::task::spawn_blocking(move || -> Result<Result<Shown, report::PeriodError>, StoreError> {
        let settings = w.live.borrow().settings.clone();
        let now = w.clock.now();
        let period = match report::period(since.as_deref(), until.as_deref(), &settings.report.calendar, now) {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let mut conn = w.store.conn()?;
        let r = report::report(&mut conn, &settings, period, group.as_deref())?;
        let risk = report::at_risk(&mut conn, &settings, now, group.as_deref())?;
        Ok(Ok(Shown { report: r, at_risk: risk, groups: groups(&settings), now }))
    })
    .await;
    match done {
        Ok(Ok(Ok(shown))) => page(StatusCode::OK, dashboard_html(lang, &user, &f, &shown, &web.live.borrow().settings)),
        Ok(Ok(Err(bad))) => page(StatusCode::BAD_REQUEST, error_html(lang, &user, &bad.to_string())),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dashboard not computed");
            page(
                StatusCode::SERVICE_UNAVAILABLE,
                error_html(lang, &user, tr(lang, "Base de données indisponible.", "Database unavailable.")),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "dashboard task failed");
            page(StatusCode::INTERNAL_SERVER_ERROR, error_html(lang, &user, "–"))
        }
    }
}

struct Shown {
    report: Report,
    at_risk: Vec<AtRisk>,
    groups: Vec<String>,
    now: DateTime<Utc>,
}

/// The groups to filter by: the config's, technicians' and `[[group]]`s.
fn groups(settings: &Settings) -> Vec<String> {
    let mut g: Vec<String> = settings
        .technicians
        .iter()
        .flat_map(|t| t.groups.iter().cloned())
        .chain(settings.groups.iter().map(|g| g.name.clone()))
        .collect();
    g.sort();
    g.dedup();
    g
}

const STYLE: &str = "*{box-sizing:border-box}body{margin:0;background:#f3f4f6;font-family:Arial,Helvetica,sans-serif;\
font-size:16px;line-height:1.45;color:#1f2937}main{max-width:1120px;margin:0 auto;padding:12px}\
header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:8px;margin:4px 0 12px}\
h1{font-size:22px;margin:0}h2{font-size:17px;margin:0 0 8px}.muted{color:#6b7280;font-size:14px}\
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px;margin:0 0 12px}\
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:0 0 12px}\
.tile{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 12px}\
.tile b{display:block;font-size:24px}.tile span{color:#6b7280;font-size:13px}\
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}\
.charts .card{margin:0}svg.chart{width:100%;height:auto;display:block}\
form.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end}form.filters label{display:flex;flex-direction:column;font-size:13px;color:#4b5563}\
input,select,button{font:inherit;padding:8px 10px;border:1px solid #d1d5db;border-radius:6px;background:#fff}\
button{background:#1d4ed8;border-color:#1d4ed8;color:#fff;cursor:pointer}button.link{background:none;border:0;color:#1d4ed8;padding:4px}\
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e5e7eb;white-space:nowrap}\
td.subject{white-space:normal;min-width:160px}.late{color:#b91c1c;font-weight:bold}.bad{background:#fef2f2;border:1px solid #fecaca;border-radius:6px;padding:10px 12px}\
.login{max-width:380px;margin:40px auto}.login label{display:block;margin:10px 0 4px}.login input{width:100%}.login button{margin-top:14px;width:100%}";

fn layout(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n\
<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        lang.as_str(),
        escape(title)
    )
}

fn login_html(lang: Lang, error: Option<&str>) -> String {
    let title = tr(lang, "Connexion — tableau de bord", "Sign in — dashboard");
    let mut b = format!("<div class=\"card login\">\n<h1>{}</h1>\n", escape(title));
    if let Some(e) = error {
        let _ = writeln!(b, "<p class=\"bad\" id=\"refused\">{}</p>", escape(e));
    }
    let _ = write!(
        b,
        "<form method=\"post\" action=\"/login\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">\n\
<label for=\"login\">{}</label><input id=\"login\" name=\"login\" autocomplete=\"username\" required>\n\
<label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n\
<button type=\"submit\" id=\"signin\">{}</button>\n</form>\n</div>",
        lang.as_str(),
        tr(lang, "Identifiant", "Login"),
        tr(lang, "Mot de passe", "Password"),
        tr(lang, "Se connecter", "Sign in")
    );
    layout(lang, title, &b)
}

fn error_html(lang: Lang, user: &str, why: &str) -> String {
    let title = tr(lang, "Tableau de bord", "Dashboard");
    let back = tr(lang, "Revenir au tableau de bord", "Back to the dashboard");
    let body = format!(
        "<header><h1>{title}</h1><span class=\"muted\">{}</span></header>\n<div class=\"card\"><p class=\"bad\" id=\"problem\">{}</p>\
<p><a href=\"/dashboard?lang={}\">{back}</a></p></div>",
        escape(user),
        escape(why),
        lang.as_str()
    );
    layout(lang, title, &body)
}

fn status_label(s: &str, lang: Lang) -> String {
    s.parse::<Status>().map_or_else(|_| s.to_string(), |s| s.label(lang).to_string())
}

fn dashboard_html(lang: Lang, user: &str, f: &Filters, shown: &Shown, settings: &Settings) -> String {
    let r = &shown.report;
    let fr = lang == Lang::Fr;
    let title = tr(lang, "Tableau de bord", "Dashboard");
    let mut b = String::new();
    let other = if fr { "en" } else { "fr" };
    let query = |l: &str| {
        let mut q = format!("lang={l}");
        for (k, v) in [("since", &f.since), ("until", &f.until), ("group", &f.group)] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push_str(&format!("&amp;{k}={}", escape(&url_encode(v))));
            }
        }
        q
    };
    let _ = write!(
        b,
        "<header><h1>{title}</h1><div class=\"muted\">{} <b id=\"user\">{}</b> · \
<a href=\"/dashboard?{}\" hreflang=\"{other}\">{}</a> · \
<form method=\"post\" action=\"/logout\" style=\"display:inline\"><button class=\"link\" type=\"submit\">{}</button></form></div></header>",
        tr(lang, "Connecté :", "Signed in:"),
        escape(user),
        query(other),
        if fr { "English" } else { "Français" },
        tr(lang, "Se déconnecter", "Sign out")
    );
    b.push('\n');

    // Filters: the period (local days) and the group.
    let cal = &settings.report.calendar;
    let day = |t: DateTime<Utc>| t.with_timezone(&cal.tz).date_naive();
    let last = day(r.until - Duration::seconds(1));
    let _ = write!(
        b,
        "<form class=\"filters card\" method=\"get\" action=\"/dashboard\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">\n\
<label>{}<input type=\"date\" name=\"since\" value=\"{}\"></label>\n<label>{}<input type=\"date\" name=\"until\" value=\"{}\"></label>\n\
<label>{}<select name=\"group\" id=\"group\">\n<option value=\"\">{}</option>\n",
        lang.as_str(),
        tr(lang, "Du", "From"),
        day(r.since),
        tr(lang, "Au", "To"),
        last,
        tr(lang, "Groupe", "Group"),
        tr(lang, "Tous les groupes", "All groups")
    );
    for g in &shown.groups {
        let on = if r.group.as_deref() == Some(g.as_str()) { " selected" } else { "" };
        let _ = writeln!(b, "<option value=\"{0}\"{on}>{0}</option>", escape(g));
    }
    let _ = write!(
        b,
        "</select></label>\n<button type=\"submit\" id=\"apply\">{}</button>\n<span class=\"muted\">{}</span>\n</form>\n",
        tr(lang, "Afficher", "Show"),
        escape(&format!(
            "{} {} → {} ({}){}",
            tr(lang, "Période", "Period"),
            day(r.since),
            last,
            r.time_zone,
            r.group.as_deref().map(|g| format!(" · {g}")).unwrap_or_default()
        ))
    );

    // Tiles.
    let sat = &r.satisfaction;
    let tiles: [(&str, &str, String); 10] = [
        ("opened", tr(lang, "Tickets ouverts", "Tickets opened"), r.tickets.opened.to_string()),
        ("resolved", tr(lang, "Tickets résolus", "Tickets resolved"), r.tickets.resolved.to_string()),
        ("backlog", tr(lang, "En cours (fin de période)", "Open (period end)"), r.backlog.total.to_string()),
        (
            "first-response",
            tr(lang, "1re réponse (médiane)", "First response (median)"),
            report::minutes_label(r.first_response.median_minutes),
        ),
        (
            "resolution",
            tr(lang, "Résolution (médiane)", "Resolution (median)"),
            report::minutes_label(r.resolution.median_minutes),
        ),
        ("sla", tr(lang, "SLA respectés", "SLA met"), report::percent_label(r.sla_percent())),
        ("reopen", tr(lang, "Taux de réouverture", "Reopen rate"), report::percent_label(r.reopen_rate)),
        (
            "first-contact",
            tr(lang, "Résolus au 1er contact", "First-contact resolution"),
            report::percent_label(r.first_contact.percent),
        ),
        ("self-service", tr(lang, "Libre-service", "Self-service"), r.self_service.count.to_string()),
        (
            "satisfaction",
            tr(lang, "Satisfaction", "Satisfaction"),
            sat.average.map_or_else(|| "–".into(), |a| format!("{a:.1}/5")),
        ),
    ];
    b.push_str("<section class=\"tiles\">\n");
    for (id, label, value) in tiles {
        let _ = writeln!(b, "<div class=\"tile\" id=\"kpi-{id}\"><b>{}</b><span>{label}</span></div>", escape(&value));
    }
    b.push_str("</section>\n<section class=\"charts\">\n");

    // Charts.
    let labels: Vec<String> =
        r.days.iter().map(|d| d.date.format(if fr { "%d/%m" } else { "%m-%d" }).to_string()).collect();
    let series = [
        Series {
            name: tr(lang, "ouverts", "opened"),
            color: "#1d4ed8",
            values: r.days.iter().map(|d| d.opened).collect(),
            dashed: false,
        },
        Series {
            name: tr(lang, "résolus", "resolved"),
            color: "#059669",
            values: r.days.iter().map(|d| d.resolved).collect(),
            dashed: false,
        },
        Series {
            name: tr(lang, "en cours", "open"),
            color: "#9ca3af",
            values: r.days.iter().map(|d| d.backlog).collect(),
            dashed: true,
        },
    ];
    let trend = charts::lines(
        "trend",
        tr(lang, "Tickets par jour : ouverts, résolus, en cours", "Tickets per day: opened, resolved, open"),
        &labels,
        &series,
    );
    let colors = ["#b91c1c", "#dc2626", "#d97706", "#2563eb", "#6b7280"];
    let by_priority: Vec<(String, u64, &str)> = (1..=5)
        .map(|p| (format!("P{p}"), r.backlog.by_priority.get(&p).copied().unwrap_or(0), colors[(p - 1) as usize]))
        .collect();
    let backlog = charts::bars("backlog", tr(lang, "En cours par priorité", "Open tickets by priority"), &by_priority);
    let sla_rows: Vec<(String, Option<f64>)> = r.sla.iter().map(|s| (s.policy.clone(), s.percent)).collect();
    let sla = if sla_rows.is_empty() {
        format!(
            "<p class=\"muted\">{}</p>",
            tr(lang, "Aucun délai tenu ou manqué sur la période.", "No SLA clock met or missed in the period.")
        )
    } else {
        charts::percents("sla", tr(lang, "SLA respectés par politique", "SLA met by policy"), &sla_rows)
    };
    let ratings: Vec<(String, u64, &str)> = sat
        .ratings
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("{}", i + 1), *n, ["#dc2626", "#f97316", "#d97706", "#65a30d", "#059669"][i]))
        .collect();
    let satisfaction = charts::bars(
        "satisfaction",
        tr(lang, "Notes de satisfaction (1 à 5)", "Satisfaction ratings (1 to 5)"),
        &ratings,
    );
    let hours: Vec<(String, u64, &str)> =
        r.hours.iter().enumerate().map(|(h, n)| (format!("{h}h"), *n, "#6366f1")).collect();
    let busiest = charts::bars("hours", tr(lang, "Tickets ouverts par heure", "Tickets opened by hour"), &hours);
    let sat_note = format!(
        "{} {} · {} {} · {} {}",
        sat.answers,
        tr(lang, "réponses", "answers"),
        tr(lang, "satisfaits (4–5)", "satisfied (4–5)"),
        report::percent_label(sat.satisfied),
        tr(lang, "taux de réponse", "response rate"),
        report::percent_label(sat.response_rate)
    );
    for (h, svg, note) in [
        (tr(lang, "Tendance", "Trend"), trend, String::new()),
        (
            tr(lang, "En cours", "Backlog"),
            backlog,
            format!("{} {}", r.backlog.total, tr(lang, "tickets ouverts", "open tickets")),
        ),
        (
            tr(lang, "SLA", "SLA"),
            sla,
            format!("{} {}", tr(lang, "Ensemble :", "Overall:"), report::percent_label(r.sla_percent())),
        ),
        (tr(lang, "Satisfaction", "Satisfaction"), satisfaction, sat_note),
        (tr(lang, "Heures d'affluence", "Busiest hours"), busiest, String::new()),
    ] {
        let _ = writeln!(b, "<div class=\"card\"><h2>{h}</h2>{svg}<p class=\"muted\">{}</p></div>", escape(&note));
    }
    b.push_str("</section>\n");

    // Tickets at risk, now.
    let _ = write!(
        b,
        "<div class=\"card\" id=\"at-risk\"><h2>{}</h2><p class=\"muted\">{}</p>",
        tr(lang, "Tickets en risque de dépassement", "Tickets at risk of breach"),
        escape(&format!(
            "{} {}",
            tr(lang, "Maintenant :", "Now:"),
            shown.now.with_timezone(&cal.tz).format("%Y-%m-%d %H:%M")
        ))
    );
    if shown.at_risk.is_empty() {
        let _ = write!(b, "<p id=\"no-risk\">{}</p>", tr(lang, "Aucun.", "None."));
    } else {
        let _ = write!(
            b,
            "<div class=\"scroll\"><table><thead><tr><th>#</th><th>{}</th><th>P</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            tr(lang, "Objet", "Subject"),
            tr(lang, "Groupe", "Group"),
            tr(lang, "Attribué à", "Assignee"),
            tr(lang, "Délai", "Clock"),
            tr(lang, "Reste", "Left")
        );
        for t in &shown.at_risk {
            let first = t.timer.parse() == Ok(crate::domain::sla::TimerKind::FirstResponse);
            let clock = match (first, fr) {
                (true, true) => "1re réponse",
                (true, false) => "first response",
                (_, true) => "résolution",
                (_, false) => "resolution",
            };
            let left = if t.minutes_left < 0 || t.breached {
                format!(
                    "<span class=\"late\">{} {}</span>",
                    tr(lang, "dépassé de", "late by"),
                    minutes_label(-t.minutes_left.min(0))
                )
            } else {
                minutes_label(t.minutes_left)
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"subject\">{}</td><td>P{}</td><td>{}</td><td>{}</td><td>{} ({})</td><td>{left}</td></tr>",
                t.ticket,
                escape(&t.subject),
                t.priority,
                escape(t.group.as_deref().unwrap_or("–")),
                escape(t.assignee.as_deref().unwrap_or("–")),
                clock,
                escape(&t.policy)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    b.push_str("</div>\n");

    // Backlog by status and each technician's load.
    let _ = write!(b, "<div class=\"card\" id=\"load\"><h2>{}</h2><p>", tr(lang, "Charge", "Load"));
    let statuses: Vec<String> =
        r.backlog.by_status.iter().map(|(s, n)| format!("{} {n}", status_label(s, lang))).collect();
    let _ = write!(b, "{}</p>", escape(&statuses.join(" · ")));
    let _ = write!(
        b,
        "<div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        tr(lang, "Technicien", "Technician"),
        tr(lang, "En cours", "Open"),
        tr(lang, "Résolus", "Resolved"),
        tr(lang, "Réponses", "Answers")
    );
    for l in &r.technicians {
        let name = if l.name.is_empty() { l.technician.clone() } else { l.name.clone() };
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&name),
            l.open,
            l.resolved,
            l.answers
        );
    }
    b.push_str("</tbody></table></div></div>\n");
    let _ = write!(
        b,
        "<p class=\"muted\">{}</p>",
        tr(
            lang,
            "Durées en temps ouvré. Chiffres calculés depuis l'historique des tickets : ceux d'une période passée ne changent pas.",
            "Durations in business time. Figures computed from the tickets' history: a past period's do not change."
        )
    );
    layout(lang, title, &b)
}

/// Percent-encodes a query value.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
