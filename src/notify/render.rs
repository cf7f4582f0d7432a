//! What an outbox row is made of, and the mail it becomes.
//!
//! Queuing (in the ingest transaction) writes the ingredients: template,
//! language, the template's values less what the store already has or
//! what is derived from them, the header facts, the files as references to
//! stored blobs. The sender renders a row just before sending it: the
//! values are completed ([`complete`]), the template rendered, the MIME
//! bytes built and signed. The same row gives the same bytes each time
//! (boundaries from the Message-ID, the DKIM time from the row's Date), so
//! a retried mail is the mail that was tried.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::TemplateContext;
use super::large;
use super::outbox::{add_signature, merge_details, with_title};
use super::templates::Templates;
use crate::config::Settings;
use crate::domain::threading;
use crate::domain::ticket::{priority_label, Lang, Status, TicketType};
use crate::domain::wording;
use crate::mail::inbound::{Attachment, Mailbox};
use crate::mail::inline;
use crate::mail::outbound::{BuildError, Draft};
use crate::store::models::OutboxRow;
use crate::store::{queries, Conn};

/// A name and an address in the header facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    #[serde(rename = "e")]
    pub email: String,
    #[serde(rename = "n", default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl From<&Mailbox> for Person {
    fn from(m: &Mailbox) -> Person {
        Person { email: m.email.clone(), name: m.name.clone() }
    }
}

impl From<&Person> for Mailbox {
    fn from(p: &Person) -> Mailbox {
        Mailbox { email: p.email.clone(), name: p.name.clone() }
    }
}

/// The headers of a queued mail besides its Message-ID, Subject and
/// `Auto-Submitted` (columns of their own), fixed when it is queued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeaderFacts {
    pub from: Person,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<Person>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Person>,
    /// The thread, oldest first: rows of `message_ids` (what we sent and
    /// received about the ticket), then Message-IDs as written, without `<>`.
    #[serde(rename = "refs", default, skip_serializing_if = "Vec::is_empty")]
    pub reference_rows: Vec<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(rename = "loop")]
    pub loop_value: String,
    /// The Date header, the DKIM signature's time, and "now" for what the
    /// mail says about time (download links' expiry).
    pub date: DateTime<Utc>,
    /// Outlook's `Thread-Index`; its `Thread-Topic` is the ticket's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_index: Option<String>,
}

/// A file of a queued mail: a reference to a stored blob, never its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inline: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_html: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
}

impl FileRef {
    pub fn of(a: &Attachment) -> FileRef {
        FileRef {
            sha256: crate::mail::inbound::sha256_hex(&a.content),
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            inline: a.inline,
            in_html: a.in_html,
            content_id: a.content_id.clone(),
        }
    }
}

/// Why a row could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template failed (missing, broken, a variable it lacks).
    #[error("template `{template}` ({lang}): {message}")]
    Template { template: String, lang: String, message: String },
    /// The values are not of the shape templates are given.
    #[error("{message}")]
    Values { message: String },
    /// The row itself is damaged (unreadable JSON, a blob gone).
    #[error("outbox row {id}: {message}")]
    Row { id: i64, message: String },
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Store(#[from] diesel::result::Error),
}

impl RenderError {
    /// Whether it is the store's fault (try again later) rather than the
    /// row's (the row has failed for good).
    pub fn is_store(&self) -> bool {
        matches!(self, RenderError::Store(_))
    }
}

/// A rendered row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub bytes: Vec<u8>,
    /// It carries files: a smaller version (files as links) exists for a
    /// relay that refuses its size.
    pub has_files: bool,
}

/// The values every template sees before a notice fills them: the empty
/// [`TemplateContext`].
pub fn skeleton() -> Value {
    TemplateContext::default().to_value()
}

/// Values [`complete`] derives from others: never stored.
const DERIVED: &[(&str, &str)] = &[
    ("desk", "tag"),
    ("desk", "reopen_days"),
    ("ticket", "tag"),
    ("ticket", "type_label"),
    ("ticket", "status_label"),
    ("ticket", "priority_label"),
    ("ticket", "has_watchers"),
    ("article", "has_name"),
    ("article", "lines"),
    ("article", "has_html"),
    ("change", "old_label"),
    ("change", "new_label"),
    ("change", "new_meaning"),
    ("change", "closed"),
    ("alert", "note_address"),
];

/// `values` less what [`complete`] gives back: derived values, and values
/// equal to the [`base`]'s.
pub fn compact(mut values: Value, base: &Value) -> Value {
    for (section, key) in DERIVED {
        if let Some(s) = values.get_mut(*section).and_then(Value::as_object_mut) {
            s.remove(*key);
        }
    }
    strip_defaults(&mut values, base);
    values
}

/// What every row's values start from: the [`skeleton`], and what its
/// header facts already say (the desk's address and name, the reader).
pub fn base(headers: Option<(&HeaderFacts, &str)>) -> Value {
    let mut base = skeleton();
    if let Some((h, envelope_from)) = headers {
        let reader = h.to.first().or(h.cc.first());
        let implied = serde_json::json!({
            "desk": { "address": envelope_from, "name": h.from.name },
            "recipient": {
                "email": reader.map(|p| p.email.as_str()).unwrap_or_default(),
                "name": reader.map(|p| p.name.as_str()).unwrap_or_default(),
            },
        });
        merge_details(&mut base, &implied);
    }
    base
}

fn strip_defaults(values: &mut Value, defaults: &Value) {
    let Some(map) = values.as_object_mut() else { return };
    map.retain(|k, v| match defaults.get(k) {
        Some(d) if d == v => false,
        Some(d) if d.is_object() => {
            strip_defaults(v, d);
            v.as_object().is_none_or(|o| !o.is_empty())
        }
        _ => true,
    });
}

/// The values a template sees, from those a row keeps: the skeleton under
/// them, the quoted article from the store, labels in `lang`, the desk's
/// tag and signature, times in the reader's zone and words.
pub fn complete(
    conn: &mut Conn,
    settings: &Settings,
    lang: Lang,
    base: Value,
    kept: &Value,
) -> Result<TemplateContext, RenderError> {
    let mut ctx = base;
    merge_details(&mut ctx, kept);
    let article_id = ctx.pointer("/article/id").and_then(Value::as_i64).filter(|id| *id != 0);
    if let Some(id) = article_id {
        let (name, email, subject, text) = queries::outbox_article(conn, id)?.unwrap_or_default();
        let a = &mut ctx["article"];
        a["from_name"] = Value::from(name);
        a["from_email"] = Value::from(email);
        a["subject"] = Value::from(subject);
        a["text"] = Value::from(text);
    }
    fill_derived(&mut ctx, settings, lang);
    let configured = kept.get("signature").and_then(Value::as_str);
    add_signature(&mut ctx, configured);
    let email = ctx.pointer("/recipient/email").and_then(Value::as_str).unwrap_or_default().to_string();
    localize_times(settings, &mut ctx, lang, &email);
    TemplateContext::from_value(ctx).map_err(|message| RenderError::Values { message })
}

fn fill_derived(ctx: &mut Value, settings: &Settings, lang: Lang) {
    let text = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    ctx["desk"]["tag"] = Value::from(settings.tickets.subject_tag.as_str());
    ctx["desk"]["reopen_days"] = Value::from(settings.tickets.reopen_days);
    let number = ctx.pointer("/ticket/number").and_then(Value::as_i64).unwrap_or(0);
    if number != 0 {
        let t = &mut ctx["ticket"];
        let status: Status = text(t, "/status").parse().unwrap_or(Status::New);
        let ttype: TicketType = text(t, "/type").parse().unwrap_or(TicketType::Incident);
        let priority = t["priority"].as_i64().unwrap_or(3) as i32;
        t["tag"] = Value::from(settings.tickets.subject_tag.format(number));
        t["status"] = Value::from(status.as_str());
        t["status_label"] = Value::from(status.label(lang));
        t["type"] = Value::from(ttype.as_str());
        t["type_label"] = Value::from(ttype.label(lang));
        t["priority_label"] = Value::from(priority_label(priority, lang));
        t["has_watchers"] = Value::from(t["watchers"].as_array().is_some_and(|w| !w.is_empty()));
        let desk = text(ctx, "/desk/address");
        ctx["alert"]["note_address"] = Value::from(threading::note_address(&desk, number));
    }
    let a = &mut ctx["article"];
    let name = text(a, "/from_name");
    let has_name = !name.is_empty();
    if !has_name {
        a["from_name"] = a["from_email"].clone();
    }
    a["has_name"] = Value::from(has_name);
    let lines: Vec<Value> = text(a, "/text").lines().map(Value::from).collect();
    a["lines"] = Value::from(lines);
    a["has_html"] = Value::from(!text(a, "/html").is_empty());
    let c = &mut ctx["change"];
    let old: Option<Status> = text(c, "/old").parse().ok();
    let new: Option<Status> = text(c, "/new").parse().ok();
    c["old_label"] = Value::from(old.map(|s| s.label(lang)).unwrap_or_default());
    c["new_label"] = Value::from(new.map(|s| s.label(lang)).unwrap_or_default());
    c["new_meaning"] = Value::from(new.map(|s| s.meaning(lang)).unwrap_or_default());
    c["closed"] = Value::from(new.is_some_and(Status::is_closed));
    // A requester's other tickets are listed with their state in the reader's words.
    if let Some(items) = ctx.pointer_mut("/history/tickets").and_then(Value::as_array_mut) {
        for item in items {
            if let Some(status) = item["status"].as_str().and_then(|s| s.parse::<Status>().ok()) {
                item["status_label"] = Value::from(status.label(lang));
            }
        }
    }
}

/// Template variables that hold a moment, written as RFC 3339 in the
/// context and shown to each reader in their zone.
const MOMENTS: &[(&str, &str)] =
    &[("ticket", "created_at"), ("ticket", "planned_at"), ("sla", "due_at"), ("mail", "received_at")];
/// Variables that hold a day (given as the RFC 3339 moment it starts from).
const DAYS: &[(&str, &str)] = &[("pending", "since"), ("pending", "closes_on")];

/// Rewrites the times of `ctx`, given as RFC 3339 by whoever filled
/// them, for the reader at `email`: in their zone (a technician's own,
/// else the desk's) and language, the zone named when it is not the
/// desk's or is UTC. Anything else (already worded) is left alone.
pub fn localize_times(settings: &Settings, ctx: &mut Value, lang: Lang, email: &str) {
    let tz = settings.reader_zone(email);
    let named = tz != settings.tickets.time_zone || tz == chrono_tz::Tz::UTC;
    let moment = |v: &mut Value| {
        if let Some(at) = v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
            *v = Value::String(wording::moment(at.with_timezone(&Utc), tz, lang, named));
        }
    };
    let day = |v: &mut Value| {
        if let Some(at) = v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()) {
            *v = Value::String(wording::day(at.with_timezone(&Utc), tz, lang));
        }
    };
    for (section, key) in MOMENTS {
        if let Some(v) = ctx.get_mut(*section).and_then(|s| s.get_mut(*key)) {
            moment(v);
        }
    }
    for (section, key) in DAYS {
        if let Some(v) = ctx.get_mut(*section).and_then(|s| s.get_mut(*key)) {
            day(v);
        }
    }
    if let Some(items) = ctx.pointer_mut("/history/tickets").and_then(Value::as_array_mut) {
        items.iter_mut().filter_map(|i| i.get_mut("when")).for_each(moment);
    }
}

/// The mail of `row` as it goes out: its bytes kept from before, or
/// rendered now from what it is made of (the smaller version when the row
/// says so).
pub fn render_row(
    conn: &mut Conn,
    settings: &Settings,
    templates: &Templates,
    row: &OutboxRow,
) -> Result<RenderedMail, RenderError> {
    if let Some(bytes) = &row.content {
        return Ok(RenderedMail { bytes: bytes.clone(), has_files: false });
    }
    let draft = draft_of(conn, settings, templates, row)?;
    let bytes = draft.to_signed_bytes(settings.outgoing.dkim_for(&draft.from.email))?;
    Ok(RenderedMail { bytes, has_files: !draft.attachments.is_empty() })
}

/// The text part of `row`'s mail, as its reader sees it (what a
/// technician's answer may quote of it).
pub fn text_of(
    conn: &mut Conn,
    settings: &Settings,
    templates: &Templates,
    row: &OutboxRow,
) -> Result<String, RenderError> {
    if let Some(bytes) = &row.content {
        let parsed = crate::mail::inbound::InboundMail::parse(bytes)
            .map_err(|e| RenderError::Row { id: row.id, message: e.to_string() })?;
        return Ok(parsed.text);
    }
    Ok(draft_of(conn, settings, templates, row)?.text)
}

/// The draft of a row that holds what its mail is made of.
fn draft_of(
    conn: &mut Conn,
    settings: &Settings,
    templates: &Templates,
    row: &OutboxRow,
) -> Result<Draft, RenderError> {
    let damaged = |message: String| RenderError::Row { id: row.id, message };
    let lang: Lang = row.lang.as_deref().unwrap_or_default().parse().map_err(|e| damaged(format!("language: {e}")))?;
    let headers: HeaderFacts = serde_json::from_str(row.headers.as_deref().unwrap_or_default())
        .map_err(|e| damaged(format!("headers: {e}")))?;
    let kept: Value =
        serde_json::from_str(row.context.as_deref().unwrap_or("{}")).map_err(|e| damaged(format!("context: {e}")))?;
    let refs: Vec<FileRef> = match row.files.as_deref() {
        Some(f) => serde_json::from_str(f).map_err(|e| damaged(format!("files: {e}")))?,
        None => Vec::new(),
    };
    let template_error = |message: String| RenderError::Template {
        template: row.template.clone(),
        lang: lang.as_str().to_string(),
        message,
    };
    let base = base(Some((&headers, &row.envelope_from)));
    let ctx = complete(conn, settings, lang, base, &kept).map_err(|e| match e {
        RenderError::Values { message } => template_error(message),
        other => other,
    })?;
    let rendered = templates.render(&row.template, lang, &ctx).map_err(template_error)?;
    let mut files = Vec::with_capacity(refs.len());
    for f in refs {
        let content = queries::blob(conn, &f.sha256)?.ok_or_else(|| damaged(format!("no stored file {}", f.sha256)))?;
        files.push(Attachment {
            filename: f.filename,
            content_type: f.content_type,
            content,
            inline: f.inline,
            content_id: f.content_id,
            in_html: f.in_html,
        });
    }
    let topic = kept.pointer("/ticket/subject").and_then(Value::as_str).unwrap_or_default().to_string();
    let mut draft = Draft {
        from: (&headers.from).into(),
        to: headers.to.iter().map(Mailbox::from).collect(),
        cc: headers.cc.iter().map(Mailbox::from).collect(),
        reply_to: headers.reply_to.as_ref().map(Mailbox::from),
        subject: row.subject.clone(),
        text: rendered.text,
        html: rendered.html,
        message_id: row.message_id.clone(),
        references: {
            let mut all = queries::message_ids_of_rows(conn, &headers.reference_rows)?;
            all.extend(headers.references.iter().cloned());
            all
        },
        automatic: row.automatic,
        loop_value: headers.loop_value.clone(),
        date: headers.date.into(),
        attachments: Vec::new(),
        thread: headers.thread_index.clone().map(|index| (topic, index)),
    };
    if let Some(ticket) = row.ticket_id {
        let (text, html) = with_title(draft.text, draft.html, &rendered.title);
        let (html, files) = inline::place_images(html, &files, &row.message_id);
        let about = large::About { ticket, lang, now: headers.date };
        let limit = settings.limits.max_relay_attachment_bytes;
        let (large::Bodies { text, html, files }, _) =
            large::hold_back(conn, settings, &about, limit, large::Bodies { text, html, files })?;
        draft = Draft { text, html, attachments: files, ..draft };
        if row.smaller {
            draft = large::smaller(conn, settings, &about, &draft)?.unwrap_or(draft);
        }
    }
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_equal_to_the_skeleton_or_derived_are_not_kept() {
        let full = json!({
            "ticket": { "number": 7, "tag": "[Guichet #7]", "status_label": "Nouveau", "group": "", "watchers": [] },
            "sla": { "policy": "", "due_at": "" },
            "survey": { "has_links": true, "links": [{ "rating": 5 }] },
        });
        assert_eq!(
            compact(full, &skeleton()),
            json!({ "ticket": { "number": 7 }, "survey": { "has_links": true, "links": [{ "rating": 5 }] } })
        );
    }
}
