//! Files too large to send on by mail (`[limits]
//! max_relay_attachment_bytes`): they stay on the ticket, and the mail says
//! where — a signed, expiring download link when the desk has `[http]`,
//! else a line naming the file and its size.

use chrono::{DateTime, Utc};

use crate::config::Settings;
use crate::domain::file_link;
use crate::domain::ticket::Lang;
use crate::domain::wording;
use crate::mail::inbound::{sha256_hex, Attachment};
use crate::mail::inline;
use crate::mail::outbound::Draft;
use crate::store::{queries, Conn};

/// What a mail says and carries.
pub struct Bodies {
    pub text: String,
    pub html: String,
    pub files: Vec<Attachment>,
}

/// The mail's ticket, the language it is written in, and when.
pub struct About {
    pub ticket: i64,
    pub lang: Lang,
    pub now: DateTime<Utc>,
}

/// Leaves out of `mail` each file over `limit` bytes and adds to its
/// bodies a line for it. Returns the mail and how many files were left out.
pub fn hold_back(
    conn: &mut Conn,
    settings: &Settings,
    about: &About,
    limit: usize,
    mail: Bodies,
) -> Result<(Bodies, usize), diesel::result::Error> {
    let About { ticket, lang, now } = *about;
    let Bodies { text, html, files } = mail;
    let (large, kept): (Vec<Attachment>, Vec<Attachment>) = files.into_iter().partition(|f| f.content.len() > limit);
    if large.is_empty() {
        return Ok((Bodies { text, html, files: kept }, 0));
    }
    let key = match settings.http.as_ref() {
        Some(_) => match crate::sla::survey::link_key(conn, settings, now) {
            Ok(key) => Some(key),
            Err(e) => {
                tracing::warn!(ticket.number = ticket, error = %e, "no link key: large files named without a link");
                None
            }
        },
        None => None,
    };
    let until = now + settings.limits.attachment_link_valid;
    let mut lines = Vec::new();
    for f in &large {
        let id = queries::attachment_on_ticket(conn, ticket, &sha256_hex(&f.content))?;
        let url = match (&settings.http, &key, id) {
            (Some(http), Some(key), Some(id)) => {
                Some(format!("{}/files/{}", http.base_url.trim_end_matches('/'), file_link::sign(key, id, until)))
            }
            _ => None,
        };
        lines.push(Line { name: f.filename.clone(), size: megabytes(f.content.len()), url });
    }
    // An image left out is named where it was shown.
    let html =
        inline::replace_images(&html, |cid, tag| match large.iter().find(|f| f.content_id.as_deref() == Some(cid)) {
            Some(f) => Some(handlebars::html_escape(&inline::marker(&f.filename))),
            None => Some(tag.to_string()),
        });
    let tag = settings.tickets.subject_tag.format(ticket);
    let day = wording::day(until, settings.tickets.time_zone, lang);
    let title = match lang {
        Lang::Fr => "Fichiers trop volumineux pour être joints à ce message :",
        Lang::En => "Files too large to attach to this mail:",
        Lang::De => "Dateien, die für einen Anhang an diese Nachricht zu groß sind:",
        Lang::Es => "Archivos demasiado grandes para adjuntarlos a este mensaje:",
        Lang::It => "File troppo grandi per essere allegati a questo messaggio:",
        Lang::Nl => "Bestanden die te groot zijn om bij dit bericht te voegen:",
    };
    let say = |l: &Line, url: &str| {
        let (name, size) = (&l.name, &l.size);
        match (&l.url, lang) {
            (Some(_), Lang::Fr) => format!("{name} ({size}) : {url} (lien valable jusqu'au {day})"),
            (Some(_), Lang::En) => format!("{name} ({size}): {url} (link valid until {day})"),
            (Some(_), Lang::De) => format!("{name} ({size}): {url} (Link gültig bis {day})"),
            (Some(_), Lang::Es) => format!("{name} ({size}): {url} (enlace válido hasta el {day})"),
            (Some(_), Lang::It) => format!("{name} ({size}): {url} (link valido fino a {day})"),
            (Some(_), Lang::Nl) => format!("{name} ({size}): {url} (link geldig tot en met {day})"),
            (None, Lang::Fr) => format!("{name} ({size}) : conservé avec la demande {tag}"),
            (None, Lang::En) => format!("{name} ({size}): kept with ticket {tag}"),
            (None, Lang::De) => format!("{name} ({size}): bei der Anfrage {tag} aufbewahrt"),
            (None, Lang::Es) => format!("{name} ({size}): conservado con la solicitud {tag}"),
            (None, Lang::It) => format!("{name} ({size}): conservato con la richiesta {tag}"),
            (None, Lang::Nl) => format!("{name} ({size}): bewaard bij melding {tag}"),
        }
    };
    let mut text = text.trim_end().to_string();
    text.push_str(&format!("\n\n{title}\n"));
    let mut items = String::new();
    for l in &lines {
        let url = l.url.clone().unwrap_or_default();
        text.push_str(&format!("- {}\n", say(l, &url)));
        let shown = format!("<a href=\"{0}\">{0}</a>", handlebars::html_escape(&url));
        let item = handlebars::html_escape(&say(l, "\u{1}")).replace('\u{1}', &shown);
        items.push_str(&format!("<li>{item}</li>\n"));
    }
    let block = format!("<p style=\"margin:16px 0 4px;\">{}</p>\n<ul>\n{items}</ul>\n", handlebars::html_escape(title));
    let html = match html.rfind("</body>") {
        Some(at) => format!("{}{block}{}", &html[..at], &html[at..]),
        None => format!("{html}\n{block}"),
    };
    Ok((Bodies { text, html, files: kept }, large.len()))
}

/// Files above this go as links in the version of a mail sent when a relay
/// refuses it for its size (unless the relay limit is lower still).
const SMALLER_FILES: usize = 1_000_000;

/// The version of `draft` sent when a relay refuses it for its size: its
/// files over 1 MB as links, or all its files when none is that large.
/// Built by the sender from the same row, when needed. `None` for a mail
/// without files.
pub fn smaller(
    conn: &mut Conn,
    settings: &Settings,
    about: &About,
    draft: &Draft,
) -> Result<Option<Draft>, diesel::result::Error> {
    if draft.attachments.is_empty() {
        return Ok(None);
    }
    let limit = SMALLER_FILES.min(settings.limits.max_relay_attachment_bytes);
    let mail = || Bodies { text: draft.text.clone(), html: draft.html.clone(), files: draft.attachments.clone() };
    let mut held = hold_back(conn, settings, about, limit, mail())?;
    if held.1 == 0 {
        held = hold_back(conn, settings, about, 0, mail())?;
    }
    let (Bodies { text, html, files }, _) = held;
    Ok(Some(Draft { text, html, attachments: files, ..draft.clone() }))
}

struct Line {
    name: String,
    size: String,
    url: Option<String>,
}

fn megabytes(n: usize) -> String {
    format!("{:.1} MB", n as f64 / 1_000_000.0)
}
