//! guichet's small web side: `/healthz`, the survey links and the KPI
//! dashboard. Pages are plain HTML with inline style, no script, readable
//! on a phone.

mod charts;
mod dashboard;
mod files;
mod metrics;
mod pages;
mod words;

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tokio::sync::watch;

use crate::domain::clock::Clock;
use crate::domain::ticket::Lang;
use crate::domain::token::{self, TokenError};
use crate::ingest::Live;
use crate::notify::outbox::Desk;
use crate::sla::{self, SlaError};
use crate::store::{queries, Store};

pub use pages::{Page, Said, SurveyPage};

/// What the handlers share: the store, the config and templates in use
/// (replaced when edited), and the clock.
#[derive(Clone)]
pub struct Web {
    pub store: Store,
    pub live: watch::Receiver<Arc<Live>>,
    pub clock: Arc<dyn Clock>,
}

pub fn router(web: Web) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/survey/{token}", get(survey_page).post(survey_answer))
        .route("/files/{token}", get(files::download))
        .route("/login", get(dashboard::login_page).post(dashboard::login_post))
        .route("/logout", axum::routing::post(dashboard::logout))
        .route("/dashboard", get(dashboard::dashboard))
        .fallback(not_found)
        .with_state(web)
}

/// Serves until `stop` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Web,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(web).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(stop).await
}

async fn healthz(State(web): State<Web>) -> Response {
    let store = web.store.clone();
    let ok =
        tokio::task::spawn_blocking(move || store.conn().and_then(|mut c| queries::ping(&mut c).map_err(Into::into)))
            .await;
    match ok {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

async fn not_found(headers: HeaderMap, State(web): State<Web>) -> Response {
    let lang = preferred(&headers, &web);
    page(StatusCode::NOT_FOUND, Page::NotFound.render(lang))
}

/// The visitor's language when no ticket tells it: the first language of
/// their browser's that guichet writes in, else the desk's.
fn preferred(headers: &HeaderMap, web: &Web) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    Lang::from_tags(accept).unwrap_or_else(|| web.live.borrow().settings.tickets.language)
}

/// The language the dashboard is shown in. It is written in French and
/// English only: a reader of another language gets English, and the page
/// says so in its `lang`.
pub(crate) fn written_in(lang: Lang) -> Lang {
    match lang {
        Lang::Fr => Lang::Fr,
        Lang::En | Lang::De | Lang::Es | Lang::It | Lang::Nl => Lang::En,
    }
}

fn page(status: StatusCode, html: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct Choice {
    r: Option<String>,
}

/// The answer form of a link's page.
#[derive(Debug, Deserialize)]
pub struct Answer {
    r: Option<String>,
    #[serde(default)]
    comment: String,
    /// The page's own hidden field: a post without it did not come from
    /// the page.
    #[serde(default)]
    check: String,
}

/// What a visit did, for the page to say.
enum Visit {
    Refused(TokenError),
    Shown(Lang, SurveyPage),
}

/// Checks the token and reads back the survey; records `posted` only when
/// it came from the link's page. Opening the link records nothing: mail
/// security scanners open every link of a mail before the person does.
fn visit(web: &Web, token: &str, chosen: Option<u8>, posted: Option<Answer>) -> Result<Visit, SlaError> {
    let live = web.live.borrow().clone();
    let settings = &live.settings;
    let now = web.clock.now();
    let key = {
        let mut conn = web.store.conn()?;
        sla::survey::link_key(&mut conn, settings, now)?
    };
    let id = match token::verify(&key, token, now) {
        Ok(id) => id,
        Err(e) => return Ok(Visit::Refused(e)),
    };
    let desk = Desk { settings, templates: &live.templates, now };
    let read = |conn: &mut crate::store::Conn, said: Said, chosen: Option<u8>| -> Result<Visit, SlaError> {
        let Some(survey) = queries::survey(conn, id)? else { return Ok(Visit::Refused(TokenError::Forged)) };
        let ticket = queries::ticket(conn, survey.ticket_id)?;
        let lang = ticket.as_ref().and_then(|t| t.language.parse().ok()).unwrap_or(settings.tickets.language);
        let recorded = survey.rating.and_then(|r| u8::try_from(r).ok());
        let page = SurveyPage {
            number: survey.ticket_id,
            subject: ticket.map(|t| t.subject).unwrap_or_default(),
            recorded,
            chosen: chosen.or(recorded),
            token: token.to_string(),
            check: token::form_check(&key, token),
            until: token::expiry(token),
            said,
        };
        Ok(Visit::Shown(lang, page))
    };
    let Some(answer) = posted else {
        let mut conn = web.store.conn()?;
        return read(&mut conn, Said::Nothing, chosen);
    };
    if !token::form_check_matches(&key, token, &answer.check) {
        let mut conn = web.store.conn()?;
        return read(&mut conn, Said::NotFromPage, chosen);
    }
    // A comment is a few lines, not a document.
    let comment: String = answer.comment.chars().take(4000).collect();
    if chosen.is_none() && comment.trim().is_empty() {
        let mut conn = web.store.conn()?;
        return read(&mut conn, Said::ChooseRating, None);
    }
    web.store.write(|conn| -> Result<Visit, SlaError> {
        let Some(survey) = queries::survey(conn, id)? else { return Ok(Visit::Refused(TokenError::Forged)) };
        sla::survey::answer(conn, &desk, &survey, chosen, &comment, "link")?;
        let commented = !comment.trim().is_empty();
        let said = if chosen.is_some() { Said::Recorded { commented } } else { Said::CommentRecorded };
        read(conn, said, None)
    })
}

fn rating_of(r: Option<&str>) -> Option<u8> {
    r.and_then(|r| r.trim().parse::<u8>().ok()).filter(|r| (1..=5).contains(r))
}

async fn respond(web: Web, headers: HeaderMap, token: String, chosen: Option<u8>, posted: Option<Answer>) -> Response {
    let lang = preferred(&headers, &web);
    let w = web.clone();
    let done = tokio::task::spawn_blocking(move || visit(&w, &token, chosen, posted)).await;
    match done {
        Ok(Ok(Visit::Refused(e))) => {
            let status = if e == TokenError::Expired { StatusCode::GONE } else { StatusCode::BAD_REQUEST };
            page(status, Page::Refused(e).render(lang))
        }
        Ok(Ok(Visit::Shown(lang, survey))) => {
            let status = if survey.said == Said::NotFromPage { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            page(status, Page::Survey(survey).render(lang))
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "survey answer not recorded");
            page(StatusCode::SERVICE_UNAVAILABLE, Page::Unavailable.render(lang))
        }
        Err(e) => {
            tracing::error!(error = %e, "survey handler failed");
            page(StatusCode::INTERNAL_SERVER_ERROR, Page::Unavailable.render(lang))
        }
    }
}

/// A rating link opened (or only looked at, `HEAD`): the page with that
/// rating chosen, nothing recorded.
async fn survey_page(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(choice): Query<Choice>,
) -> Response {
    let chosen = rating_of(choice.r.as_deref());
    respond(web, headers, token, chosen, None).await
}

/// The page's form sent: the rating and comment recorded.
async fn survey_answer(
    State(web): State<Web>,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: Result<Form<Answer>, FormRejection>,
) -> Response {
    // A post that is no form at all did not come from the page either.
    let form = form.map(|Form(f)| f).unwrap_or(Answer { r: None, comment: String::new(), check: String::new() });
    let chosen = rating_of(form.r.as_deref());
    respond(web, headers, token, chosen, Some(form)).await
}
