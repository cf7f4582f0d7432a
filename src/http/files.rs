//! `/files/{token}`: a file kept on a ticket, for the signed link a mail
//! carries instead of a file too large to send.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::pages::{escape, layout};
use super::{page, preferred, Web};
use crate::domain::file_link::{self, TokenError};
use crate::domain::ticket::Lang;
use crate::sla::SlaError;
use crate::store::models::Attachment;
use crate::store::queries;

enum Fetch {
    Refused(TokenError),
    Gone,
    File(Attachment, Vec<u8>),
}

fn fetch(web: &Web, token: &str) -> Result<Fetch, SlaError> {
    let settings = web.live.borrow().settings.clone();
    let now = web.clock.now();
    let mut conn = web.store.conn()?;
    let key = crate::sla::survey::link_key(&mut conn, &settings, now)?;
    let id = match file_link::verify(&key, token, now) {
        Ok(id) => id,
        Err(e) => return Ok(Fetch::Refused(e)),
    };
    Ok(match queries::attachment_file(&mut conn, id)? {
        Some((a, content)) => Fetch::File(a, content),
        None => Fetch::Gone,
    })
}

pub(super) async fn download(State(web): State<Web>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let lang = preferred(&headers, &web);
    let w = web.clone();
    match tokio::task::spawn_blocking(move || fetch(&w, &token)).await {
        Ok(Ok(Fetch::File(a, content))) => {
            // Served as a download whatever it claims to be: an HTML or SVG
            // file from a mail must not run in the desk's origin.
            let name: String = a.filename.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
            let ascii: String = name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
            let encoded: String = name
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => char::from(b).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
            let mut response = Response::new(Body::from(content));
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
            response
        }
        Ok(Ok(Fetch::Refused(e))) => {
            let status = if e == TokenError::Expired { StatusCode::GONE } else { StatusCode::FORBIDDEN };
            page(status, refused(e, lang))
        }
        Ok(Ok(Fetch::Gone)) => page(StatusCode::GONE, refused(TokenError::Expired, lang)),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "file link not served");
            (StatusCode::SERVICE_UNAVAILABLE, "try again later\n").into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "file link handler failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again later\n").into_response()
        }
    }
}

fn refused(e: TokenError, lang: Lang) -> String {
    let w = super::words::words(lang);
    let (title, why) = match e {
        TokenError::Expired => (w.file_expired, w.file_expired_why),
        _ => (w.file_invalid, w.file_invalid_why),
    };
    layout(lang, title, &format!("<h1>{}</h1>\n<p class=\"bad\">{}</p>", escape(title), escape(why)))
}
