//! Queues a mail: write what it is made of (template, language, values,
//! header facts, files by reference) as an outbox row, and our Message-ID,
//! in the caller's transaction. The sender renders it (`notify::render`).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{json, Value};

use super::render::{self, FileRef, HeaderFacts, Person};
use super::templates::{TemplateContext, Templates};
use crate::config::{Identity, Settings, Technician, TechnicianProof};
use crate::domain::classify::OWN_MESSAGE_ID_PREFIX;
use crate::domain::ticket::{Lang, Status};
use crate::domain::wording;
use crate::domain::{reply_token, threading};
use crate::mail::inbound::{Attachment, Mailbox};
use crate::store::models::{NewOutbox, Ticket};
use crate::store::{queries, Conn};

/// What the templates get to say about the article that caused the mail.
#[derive(Debug, Clone, Default)]
pub struct ArticleView {
    pub from_name: String,
    pub from_email: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub is_new_ticket: bool,
    pub internal: bool,
    /// Files sent on with the mail: technicians read tickets in their mail
    /// client, and requesters get what the technician attached.
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Default)]
pub struct ChangeView {
    pub old: Option<Status>,
    pub new: Option<Status>,
    pub by_name: String,
}

/// One mail to queue.
#[derive(Debug, Clone)]
pub struct Notice {
    pub template: String,
    pub lang: Lang,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    /// Shown as the sender's name; the address is always the desk's.
    pub from_name: String,
    pub automatic: bool,
    pub article: ArticleView,
    pub change: ChangeView,
    pub error: Option<(String, String)>,
    /// Extra template variables by section (`sla`, `pending`, `survey`,
    /// `rating`), over the empty defaults every template sees.
    pub details: Value,
    /// What a technician's answer to mail about no ticket is about, as a
    /// reply token's scope (`confirm-7`): set, their `Reply-To` proves them.
    pub reply_scope: Option<String>,
}

impl Notice {
    /// Automatic mail to `to` under the desk's name: no Cc, no status
    /// change, no error (set those on the result when needed).
    pub fn automatic(
        template: impl Into<String>,
        lang: Lang,
        to: Vec<Mailbox>,
        from_name: &str,
        article: ArticleView,
    ) -> Notice {
        Notice {
            template: template.into(),
            lang,
            to,
            cc: Vec::new(),
            from_name: from_name.to_string(),
            automatic: true,
            article,
            change: ChangeView::default(),
            error: None,
            details: Value::Null,
            reply_scope: None,
        }
    }
}

/// Everything queuing needs besides the connection.
pub struct Desk<'a> {
    pub settings: &'a Settings,
    pub templates: &'a Templates,
    pub now: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("template `{template}` ({lang}): {message}")]
    Template { template: String, lang: Lang, message: String },
    #[error(transparent)]
    Build(#[from] crate::mail::outbound::BuildError),
    #[error(transparent)]
    Store(#[from] diesel::result::Error),
    #[error("cannot write the outbox row: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot make the key of reply tokens: {0}")]
    Key(std::io::Error),
}

/// One outbox row to write.
struct Queued<'a> {
    ticket: Option<i64>,
    notice: &'a Notice,
    message_id: &'a str,
    envelope_from: &'a str,
    recipients: &'a str,
    subject: &'a str,
    values: &'a Value,
    headers: &'a HeaderFacts,
    files: &'a [FileRef],
    article_id: Option<i64>,
}

/// Technician-only notices whose answer is an internal note: they carry
/// the ticket's note address in `Reply-To` (the pipeline also reads an answer
/// to one of them as internal when the client ignored it). SLA warnings
/// and breaches are not among them: answering one is how a technician
/// answers the requester in time.
pub const NOTE_TEMPLATES: &[&str] = &["stranger_alert", "delivery_failed", "command_error"];

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Desk<'_> {
    /// A Message-ID no one else will write: ticket, time, process and a
    /// per-process sequence, at the domain of the address it is sent from.
    pub fn new_message_id(&self, ticket: i64, from: &Identity<'_>) -> String {
        let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let nanos = self.now.timestamp_nanos_opt().unwrap_or_default();
        format!("{OWN_MESSAGE_ID_PREFIX}{ticket}.{nanos:x}.{}.{seq}@{}", std::process::id(), from.message_id_domain())
    }

    /// The address mail about `ticket` goes out from, with its name,
    /// Message-ID domain and signature: the one the ticket came in by.
    pub fn identity(&self, ticket: &Ticket) -> Identity<'_> {
        self.settings.identity(&ticket.mailbox, &ticket.desk_address)
    }

    pub fn tag(&self, ticket: i64) -> String {
        self.settings.tickets.subject_tag.format(ticket)
    }

    /// The one subject every mail about `ticket` has, to its requester,
    /// watchers and technicians alike: Gmail keeps a conversation together
    /// only while the subject (less `Re:`) stays the same, and Outlook keys
    /// on the topic. What kind of mail it is goes in the body's first line.
    pub fn subject(&self, ticket: &Ticket) -> String {
        format!("{} {}", self.tag(ticket.id), ticket.subject).trim_end().to_string()
    }

    /// `Thread-Index` for mail sent now about `ticket`: the root is made
    /// from the ticket alone (its creation time; a GUID hashed from our
    /// domain and its number), so every mail of the ticket shares it.
    fn thread_index(&self, ticket: &Ticket) -> String {
        use sha2::Digest;
        let seed = format!("{}#{}", self.settings.outgoing.message_id_domain, ticket.id);
        let hash = sha2::Sha256::digest(seed.as_bytes());
        let mut guid = [0u8; 16];
        guid.copy_from_slice(&hash[..16]);
        crate::mail::outbound::thread_index(ticket.created_at.and_utc(), guid, self.now)
    }

    /// The technician a mail with these recipients gets a reply token for:
    /// its one reader, when that is a technician and tokens prove them.
    pub(crate) fn token_reader<'m>(&self, staff: bool, to: &'m [Mailbox], cc: &'m [Mailbox]) -> Option<&'m Mailbox> {
        let one = match (to, cc) {
            ([m], []) | ([], [m]) => m,
            _ => return None,
        };
        (staff && self.settings.tickets.technician_proof == TechnicianProof::Token).then_some(one)
    }

    /// The key reply tokens are made with: one the desk made and keeps in
    /// the database for every instance.
    pub fn reply_key(&self, conn: &mut Conn) -> Result<Vec<u8>, QueueError> {
        reply_key(conn, self.settings, self.now.naive_utc())
    }

    /// Renders and queues `notice` about `ticket`. Returns the outbox id (of
    /// the mail to `to`, when there is one), or `None` when no recipient is
    /// left (our own addresses are never sent to).
    ///
    /// The people in `cc` (a ticket's watchers) each get a mail of their
    /// own, To them: a mail greets one reader, and a watcher is told they
    /// are in copy of someone else's request rather than greeted by the
    /// requester's name. Each copy has its own Message-ID, recorded so an
    /// answer to it threads back, and counts against that person's hourly
    /// share of automatic mail.
    pub fn queue(&self, conn: &mut Conn, ticket: &Ticket, notice: Notice) -> Result<Option<i64>, QueueError> {
        let copies = notice.cc.clone();
        let main = Notice { cc: Vec::new(), ..notice };
        let first = self.queue_one(conn, ticket, &main)?;
        let mut any = first;
        for watcher in copies {
            if main.to.iter().any(|m| m.email.eq_ignore_ascii_case(&watcher.email)) {
                continue;
            }
            let copy = Notice { to: vec![watcher], ..main.clone() };
            any = any.or(self.queue_one(conn, ticket, &copy)?);
        }
        Ok(first.or(any))
    }

    /// The address's name for mail in `lang` in place of the desk's
    /// default one a notice is written with; a technician's own ("Marc
    /// Dupont (Support)", worded by the pipeline in the mail's language) is
    /// kept.
    fn sender_name(&self, given: &str, lang: Lang, from: &Identity<'_>) -> String {
        if from.is_desk_name(given) {
            from.from_name_in(lang).to_string()
        } else {
            given.to_string()
        }
    }

    fn queue_one(&self, conn: &mut Conn, ticket: &Ticket, notice: &Notice) -> Result<Option<i64>, QueueError> {
        let (to, cc) = self.recipients(conn, Some(ticket.id), notice)?;
        let Some(recipient) = to.first().or(cc.first()).cloned() else {
            return Ok(None);
        };
        let article_id = self.quoted_article(conn, ticket.id, &notice.article)?;
        let subject = self.subject(ticket);
        let identity = self.identity(ticket);
        let message_id = self.new_message_id(ticket.id, &identity);
        let files = self.file_refs(conn, &notice.article.attachments)?;
        // Mail to the requester's side threads on what they have seen; a
        // notice to technicians on the whole thread.
        let staff = to.iter().chain(&cc).all(|m| self.settings.technician(&m.email).is_some());
        let mut references = queries::thread_references(conn, ticket.id, staff)?;
        if references.len() > 12 {
            // Keep the root and the most recent: enough for every client to thread.
            let tail = references.split_off(references.len() - 11);
            references.truncate(1);
            references.extend(tail);
        }
        let desk_address = identity.address().to_string();
        // An answer to an alert is for the other technicians, never the requester.
        let note = NOTE_TEMPLATES.contains(&notice.template.as_str());
        let reply_to = match self.token_reader(staff, &to, &cc) {
            // A technician's answer to their own notice proves who wrote it.
            Some(tech) => {
                let scope = if note { format!("{}-internal", ticket.id) } else { ticket.id.to_string() };
                let token = reply_token::mint(&self.reply_key(conn)?, &scope, &tech.email, &message_id);
                Some(Person {
                    email: reply_token::address(&desk_address, &scope, &token),
                    name: notice.from_name.clone(),
                })
            }
            None => (staff && note).then(|| Person {
                email: threading::note_address(&desk_address, ticket.id),
                name: notice.from_name.clone(),
            }),
        };
        let headers = HeaderFacts {
            from: Person {
                email: desk_address.clone(),
                name: self.sender_name(&notice.from_name, notice.lang, &identity),
            },
            to: to.iter().map(Person::from).collect(),
            cc: cc.iter().map(Person::from).collect(),
            reply_to,
            reference_rows: references.into_iter().map(|(row, _)| row).collect(),
            references: Vec::new(),
            loop_value: identity.loop_value(),
            date: self.now.trunc_subsecs(0),
            thread_index: Some(self.thread_index(ticket)),
        };
        let values = self.values(conn, ticket, notice, &recipient, article_id)?;
        let values = render::compact(values, &render::base(Some((&headers, &desk_address))));
        let recipients: Vec<&str> = to.iter().chain(cc.iter()).map(|m| m.email.as_str()).collect();
        let now = self.now.naive_utc();
        let id = self.insert(
            conn,
            &Queued {
                ticket: Some(ticket.id),
                notice,
                message_id: &message_id,
                envelope_from: &desk_address,
                recipients: &recipients.join(","),
                subject: &subject,
                values: &values,
                headers: &headers,
                files: &files,
                article_id,
            },
        )?;
        let audience = if staff { "staff" } else { "public" };
        queries::record_message_id(
            conn,
            &message_id,
            ticket.id,
            crate::domain::history::Direction::Out,
            audience,
            now,
        )?;
        Ok(Some(id))
    }

    fn insert(&self, conn: &mut Conn, q: &Queued<'_>) -> Result<i64, QueueError> {
        let context = serde_json::to_string(q.values)?;
        let headers = serde_json::to_string(q.headers)?;
        let files = if q.files.is_empty() { None } else { Some(serde_json::to_string(q.files)?) };
        let now = self.now.naive_utc();
        Ok(queries::insert_outbox(
            conn,
            &NewOutbox {
                ticket_id: q.ticket,
                template: &q.notice.template,
                message_id: q.message_id,
                envelope_from: q.envelope_from,
                recipients: q.recipients,
                subject: q.subject,
                automatic: q.notice.automatic,
                next_attempt_at: now,
                created_at: now,
                lang: q.notice.lang.as_str(),
                context: &context,
                headers: &headers,
                files: files.as_deref(),
                article_id: q.article_id,
            },
        )?)
    }

    /// The stored article `view` quotes as it is, among the ticket's most
    /// recent: the row refers to it rather than copying its words.
    fn quoted_article(&self, conn: &mut Conn, ticket: i64, view: &ArticleView) -> Result<Option<i64>, QueueError> {
        if view.text.is_empty() || view.html.is_some() {
            return Ok(None);
        }
        let recent = queries::recent_articles(conn, ticket, 3)?;
        Ok(recent
            .into_iter()
            .find(|(_, (name, email, subject, text))| {
                *name == view.from_name && *email == view.from_email && *subject == view.subject && *text == view.text
            })
            .map(|(id, ..)| id))
    }

    /// The notice's files as references to stored blobs, each stored
    /// first when the store does not have it yet.
    fn file_refs(&self, conn: &mut Conn, files: &[Attachment]) -> Result<Vec<FileRef>, QueueError> {
        let mut refs = Vec::with_capacity(files.len());
        for f in files {
            let r = FileRef::of(f);
            queries::keep_blob(conn, &r.sha256, &f.content)?;
            refs.push(r);
        }
        Ok(refs)
    }

    /// Renders and queues `notice` about a mail that made no ticket (one
    /// too large to take in), from `from_address` — where that mail was
    /// sent — and threaded under it. The template sees `desk`, `recipient`
    /// and the notice's details (`mail`). Returns the outbox id, or `None`
    /// when no recipient is left.
    pub fn queue_unticketed(
        &self,
        conn: &mut Conn,
        notice: Notice,
        from_address: &str,
        answers: Option<&str>,
    ) -> Result<Option<i64>, QueueError> {
        let (to, _) = self.recipients(conn, None, &Notice { cc: Vec::new(), ..notice.clone() })?;
        let Some(recipient) = to.first().cloned() else {
            return Ok(None);
        };
        let identity = self.settings.identity("", from_address);
        let mut values = json!({
            "desk": self.desk_context(notice.lang, &identity),
            "recipient": { "name": recipient.name, "email": recipient.email, "in_copy": false },
        });
        merge_details(&mut values, &notice.details);
        if let Some(s) = identity.signature(None, notice.lang) {
            values["signature"] = Value::from(s);
        }
        // Mail about no ticket has its title as subject: rendered now, for
        // the row's subject (the sender renders the whole mail).
        let mut ctx = render::skeleton();
        merge_details(&mut ctx, &values);
        add_signature(&mut ctx, identity.signature(None, notice.lang));
        render::localize_times(self.settings, &mut ctx, notice.lang, &recipient.email);
        let template_error =
            |message: String| QueueError::Template { template: notice.template.clone(), lang: notice.lang, message };
        let ctx = TemplateContext::from_value(ctx).map_err(template_error)?;
        let title = self.templates.render_title(&notice.template, notice.lang, &ctx).map_err(template_error)?;
        let message_id = self.new_message_id(0, &identity);
        let staff = to.iter().all(|m| self.settings.technician(&m.email).is_some());
        let reply_to = match (self.token_reader(staff, &to, &[]), &notice.reply_scope) {
            (Some(tech), Some(scope)) => {
                let token = reply_token::mint(&self.reply_key(conn)?, scope, &tech.email, &message_id);
                Some(Person {
                    email: reply_token::address(from_address, scope, &token),
                    name: notice.from_name.clone(),
                })
            }
            _ => None,
        };
        let headers = HeaderFacts {
            from: Person {
                email: from_address.to_string(),
                name: self.sender_name(&notice.from_name, notice.lang, &identity),
            },
            to: to.iter().map(Person::from).collect(),
            cc: Vec::new(),
            reply_to,
            reference_rows: Vec::new(),
            references: answers.map(str::to_string).into_iter().collect(),
            loop_value: identity.loop_value(),
            date: self.now.trunc_subsecs(0),
            thread_index: None,
        };
        let recipients: Vec<&str> = to.iter().map(|m| m.email.as_str()).collect();
        let id = self.insert(
            conn,
            &Queued {
                ticket: None,
                notice: &notice,
                message_id: &message_id,
                envelope_from: from_address,
                recipients: &recipients.join(","),
                subject: &title,
                values: &render::compact(values, &render::base(Some((&headers, from_address)))),
                headers: &headers,
                files: &[],
                article_id: None,
            },
        )?;
        Ok(Some(id))
    }

    fn desk_context(&self, lang: Lang, from: &Identity<'_>) -> Value {
        json!({ "name": from.from_name_in(lang), "address": from.address() })
    }

    /// Queues `template` about `ticket` to technicians, one mail per
    /// language they read and time zone they live in.
    pub fn tell_technicians(
        &self,
        conn: &mut Conn,
        ticket: &Ticket,
        techs: &[&Technician],
        template: &str,
        article: ArticleView,
        details: &Value,
    ) -> Result<(), QueueError> {
        let settings = self.settings;
        // With reply tokens, each technician gets a mail of their own: its
        // Reply-To proves them alone.
        let own = settings.tickets.technician_proof == TechnicianProof::Token;
        let mut readers: Vec<(Lang, chrono_tz::Tz, Vec<Mailbox>)> = Vec::new();
        for t in techs {
            let lang = t.language.unwrap_or(settings.tickets.language);
            let zone = settings.reader_zone(&t.email);
            let m = Mailbox { email: t.email.clone(), name: t.name.clone() };
            match readers.iter_mut().find(|(l, z, _)| !own && *l == lang && *z == zone) {
                Some((_, _, to)) => to.push(m),
                None => readers.push((lang, zone, vec![m])),
            }
        }
        for (lang, _, to) in readers {
            let notice = Notice {
                details: details.clone(),
                ..Notice::automatic(template, lang, to, &settings.outgoing.from_name, article.clone())
            };
            self.queue(conn, ticket, notice)?;
        }
        Ok(())
    }

    /// The variables a template sees for `n` about ticket `t`, as a
    /// sender renders them.
    pub fn context(
        &self,
        conn: &mut Conn,
        t: &Ticket,
        n: &Notice,
        recipient: &Mailbox,
    ) -> Result<TemplateContext, QueueError> {
        let values = render::compact(self.values(conn, t, n, recipient, None)?, &render::skeleton());
        render::complete(conn, self.settings, n.lang, render::skeleton(), &values).map_err(|e| match e {
            render::RenderError::Store(e) => QueueError::Store(e),
            other => QueueError::Template { template: n.template.clone(), lang: n.lang, message: other.to_string() },
        })
    }

    /// What a row keeps of the variables for `n` about `t`: facts as they
    /// are now (codes, RFC 3339 times), the quoted article by id when
    /// `article` is given; labels, wording and times are the sender's.
    fn values(
        &self,
        conn: &mut Conn,
        t: &Ticket,
        n: &Notice,
        recipient: &Mailbox,
        article: Option<i64>,
    ) -> Result<Value, QueueError> {
        let requester = queries::contact(conn, t.requester_id)?;
        let assignee_name = t
            .assignee
            .as_deref()
            .map(|a| self.settings.technician(a).map_or(a.to_string(), |tech| tech.name.clone()))
            .unwrap_or_default();
        let a = &n.article;
        let (command, reason) = n.error.clone().unwrap_or_default();
        let watchers: Vec<Value> = queries::watchers(conn, t.id)?
            .into_iter()
            .map(|c| json!({ "name": if c.name.is_empty() { &c.email } else { &c.name }, "email": c.email }))
            .collect();
        // Anyone but the requester and technicians reads a copy of another's request.
        let in_copy = !recipient.email.eq_ignore_ascii_case(&requester.email)
            && self.settings.technician(&recipient.email).is_none();
        let identity = self.identity(t);
        let article = match article {
            Some(id) => json!({ "id": id, "is_new_ticket": a.is_new_ticket, "internal": a.internal }),
            None => json!({
                "from_name": a.from_name,
                "from_email": a.from_email,
                "subject": a.subject,
                "text": a.text,
                "html": a.html.clone().unwrap_or_default(),
                "is_new_ticket": a.is_new_ticket,
                "internal": a.internal,
            }),
        };
        let mut ctx = json!({
            "desk": self.desk_context(n.lang, &identity),
            "recipient": { "name": recipient.name, "email": recipient.email, "in_copy": in_copy },
            "ticket": {
                "number": t.id,
                "subject": t.subject,
                "type": t.ticket_type,
                "status": t.status,
                "priority": t.priority,
                "impact": t.impact,
                "urgency": t.urgency,
                "requester_name": if requester.name.is_empty() { &requester.email } else { &requester.name },
                "requester_email": requester.email,
                "assignee_name": assignee_name,
                "watchers": watchers,
                "group": t.group_name.clone().unwrap_or_default(),
                "major": t.major,
                "planned_at": t.planned_at.map(|p| rfc3339(p.and_utc())).unwrap_or_default(),
                "created_at": rfc3339(t.created_at.and_utc()),
            },
            "article": article,
            "change": {
                "old": n.change.old.map(Status::as_str).unwrap_or_default(),
                "new": n.change.new.map(Status::as_str).unwrap_or_default(),
                "by_name": n.change.by_name,
            },
            "error": { "command": command, "reason": reason },
        });
        merge_details(&mut ctx, &n.details);
        if let Some(s) = identity.signature(t.group_name.as_deref(), n.lang) {
            ctx["signature"] = Value::from(s);
        }
        Ok(ctx)
    }
}

/// A moment as the values keep it: RFC 3339 to the second (what mail says
/// of it is to the minute).
fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The text and HTML bodies, each opening with `title`: a template that
/// leaves it out still says what kind of mail it is, since the subject no
/// longer does.
pub fn with_title(text: String, html: String, title: &str) -> (String, String) {
    let title = title.trim();
    if title.is_empty() {
        return (text, html);
    }
    let text = if first_paragraph(&text) == title { text } else { format!("{}\n\n{text}", wording::wrap(title)) };
    let escaped = handlebars::html_escape(title);
    let html = if html.contains(&escaped) {
        html
    } else {
        let heading = format!("<p style=\"margin:0 0 12px; font-size:18px; font-weight:bold;\">{escaped}</p>\n");
        match html.find("<body").and_then(|b| html[b..].find('>').map(|e| b + e + 1)) {
            Some(at) => format!("{}\n{heading}{}", &html[..at], &html[at..]),
            None => format!("{heading}{html}"),
        }
    };
    (text, html)
}

/// The first paragraph of a text body on one line, as it was before
/// wrapping.
pub fn first_paragraph(text: &str) -> String {
    text.trim_start().lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect::<Vec<_>>().join(" ")
}

/// Sets `signature` (text) and `signature_html` (escaped, a line break
/// between lines): the one configured, else the templates' own closing,
/// the desk's name and address (the name alone in HTML, whose footer
/// carries the address).
pub fn add_signature(ctx: &mut Value, configured: Option<&str>) {
    let name = ctx.pointer("/desk/name").and_then(Value::as_str).unwrap_or_default().to_string();
    let address = ctx.pointer("/desk/address").and_then(Value::as_str).unwrap_or_default().to_string();
    let (text, html) = match configured {
        Some(s) => {
            let html = s.lines().map(handlebars::html_escape).collect::<Vec<_>>().join("<br>");
            (s.to_string(), html)
        }
        None => (format!("{name}\n{address}"), handlebars::html_escape(&name)),
    };
    ctx["signature"] = Value::from(text);
    ctx["signature_html"] = Value::from(html);
}

/// Lays `details` (`{"sla": {...}, ...}`) over the sections of `ctx`.
pub fn merge_details(ctx: &mut Value, details: &Value) {
    let Some(sections) = details.as_object() else { return };
    for (section, values) in sections {
        match (ctx.get_mut(section).and_then(Value::as_object_mut), values.as_object()) {
            (Some(target), Some(values)) => {
                for (k, v) in values {
                    target.insert(k.clone(), v.clone());
                }
            }
            _ => ctx[section.as_str()] = values.clone(),
        }
    }
}

/// The key reply tokens are made with (see [`reply_token`]): made the
/// first time from the system's randomness, then kept in the database.
/// Read once per process and database: it never changes once made.
pub fn reply_key(conn: &mut Conn, settings: &Settings, now: chrono::NaiveDateTime) -> Result<Vec<u8>, QueueError> {
    /// Each database's key, by its displayed URL.
    type Keys = std::sync::Mutex<Vec<(String, Vec<u8>)>>;
    static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    let database = settings.database.display();
    let keys = KEYS.get_or_init(Default::default);
    let known =
        |keys: &Keys| keys.lock().ok().and_then(|k| k.iter().find(|(d, _)| *d == database).map(|(_, key)| key.clone()));
    if let Some(key) = known(keys) {
        return Ok(key);
    }
    let key = queries::random_desk_secret(conn, "reply_tokens", now).map_err(|e| match e {
        queries::KeyError::Store(e) => QueueError::Store(e),
        queries::KeyError::Random(e) => QueueError::Key(e),
    })?;
    if let Ok(mut k) = keys.lock() {
        k.push((database, key.clone()));
    }
    Ok(key)
}
