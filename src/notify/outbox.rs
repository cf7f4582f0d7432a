//! Queues a mail: render its template, build the bytes, and write the
//! outbox row and our Message-ID in the caller's transaction.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::large;
use super::templates::Templates;
use crate::config::{Identity, Settings, Technician};
use crate::domain::classify::OWN_MESSAGE_ID_PREFIX;
use crate::domain::threading;
use crate::domain::ticket::{priority_label, Lang, Status, TicketType};
use crate::domain::wording;
use crate::mail::inbound::{Attachment, Mailbox};
use crate::mail::inline;
use crate::mail::outbound::Draft;
use crate::store::models::{NewEvent, NewOutbox, Ticket};
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
}

impl From<large::SmallerError> for QueueError {
    fn from(e: large::SmallerError) -> Self {
        match e {
            large::SmallerError::Build(e) => QueueError::Build(e),
            large::SmallerError::Store(e) => QueueError::Store(e),
        }
    }
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
        let ctx = self.context(conn, ticket, notice, &recipient)?;
        let rendered = self.templates.render(&notice.template, notice.lang, &ctx).map_err(|message| {
            QueueError::Template { template: notice.template.clone(), lang: notice.lang, message }
        })?;
        let subject = self.subject(ticket);
        let (text, html) = with_title(rendered.text, rendered.html, &rendered.title);
        let identity = self.identity(ticket);
        let message_id = self.new_message_id(ticket.id, &identity);
        let (html, attachments) = inline::place_images(html, &notice.article.attachments, &message_id);
        let about = large::About { ticket: ticket.id, lang: notice.lang, now: self.now };
        let limit = self.settings.limits.max_relay_attachment_bytes;
        let mail = large::Bodies { text, html, files: attachments };
        let (large::Bodies { text, html, files: attachments }, _) =
            large::hold_back(conn, self.settings, &about, limit, mail)?;
        // Mail to the requester's side threads on what they have seen; a
        // notice to technicians on the whole thread.
        let staff = to.iter().chain(&cc).all(|m| self.settings.technician(&m.email).is_some());
        let mut references = queries::thread_message_ids(conn, ticket.id, staff)?;
        if references.len() > 12 {
            // Keep the root and the most recent: enough for every client to thread.
            let tail = references.split_off(references.len() - 11);
            references.truncate(1);
            references.extend(tail);
        }
        let desk_address = identity.address().to_string();
        // An answer to an alert is for the other technicians, never the requester.
        let reply_to = (staff && NOTE_TEMPLATES.contains(&notice.template.as_str())).then(|| Mailbox {
            email: threading::note_address(&desk_address, ticket.id),
            name: notice.from_name.clone(),
        });
        let draft = Draft {
            from: Mailbox {
                email: desk_address.clone(),
                name: self.sender_name(&notice.from_name, notice.lang, &identity),
            },
            to: to.clone(),
            cc: cc.clone(),
            reply_to,
            subject: subject.clone(),
            text,
            html,
            message_id: message_id.clone(),
            references,
            automatic: notice.automatic,
            loop_value: identity.loop_value(),
            date: self.now.into(),
            attachments,
            thread: Some((ticket.subject.clone(), self.thread_index(ticket))),
        };
        // Signed now, so that every attempt sends the same bytes.
        let dkim = self.settings.outgoing.dkim_for(&desk_address);
        let bytes = draft.to_signed_bytes(dkim)?;
        let smaller = large::smaller(conn, self.settings, &about, &draft, dkim)?;
        let recipients: Vec<&str> = to.iter().chain(cc.iter()).map(|m| m.email.as_str()).collect();
        let now = self.now.naive_utc();
        let id = queries::insert_outbox(
            conn,
            &NewOutbox {
                ticket_id: Some(ticket.id),
                template: &notice.template,
                message_id: &message_id,
                envelope_from: &desk_address,
                recipients: &recipients.join(","),
                subject: &subject,
                content: &bytes,
                automatic: notice.automatic,
                next_attempt_at: now,
                created_at: now,
            },
        )?;
        if let Some(smaller) = smaller {
            queries::set_outbox_smaller(conn, id, &smaller)?;
        }
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

    /// The notice's To and Cc without our own addresses, each address once,
    /// and, for automatic mail, without those [`Desk::within_rate`] holds back.
    fn recipients(
        &self,
        conn: &mut Conn,
        ticket: Option<i64>,
        notice: &Notice,
    ) -> Result<(Vec<Mailbox>, Vec<Mailbox>), QueueError> {
        let ours = self.settings.our_addresses();
        let mut seen: Vec<String> = Vec::new();
        let mut keep = |list: &[Mailbox]| -> Vec<Mailbox> {
            list.iter()
                .filter(|m| {
                    let fresh = !ours.contains(&m.email) && !seen.contains(&m.email);
                    seen.push(m.email.clone());
                    fresh
                })
                .cloned()
                .collect()
        };
        let mut to = self.sendable(conn, ticket, keep(&notice.to))?;
        let mut cc = self.sendable(conn, ticket, keep(&notice.cc))?;
        if notice.automatic {
            to = self.within_rate(conn, ticket, to)?;
            cc = self.within_rate(conn, ticket, cc)?;
        }
        Ok((to, cc))
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
        let mut ctx = json!({
            "desk": self.desk_context(notice.lang, &identity),
            "recipient": { "name": recipient.name, "email": recipient.email, "in_copy": false },
            "mail": { "subject": "", "received_at": "", "to": from_address, "size_label": "", "limit_label": "" },
        });
        merge_details(&mut ctx, &notice.details);
        add_signature(&mut ctx, identity.signature(None, notice.lang));
        self.localize_times(&mut ctx, notice.lang, &recipient.email);
        let rendered = self.templates.render(&notice.template, notice.lang, &ctx).map_err(|message| {
            QueueError::Template { template: notice.template.clone(), lang: notice.lang, message }
        })?;
        let message_id = self.new_message_id(0, &identity);
        let draft = Draft {
            from: Mailbox {
                email: from_address.to_string(),
                name: self.sender_name(&notice.from_name, notice.lang, &identity),
            },
            to: to.clone(),
            cc: Vec::new(),
            reply_to: None,
            subject: rendered.title.clone(),
            text: rendered.text,
            html: rendered.html,
            message_id: message_id.clone(),
            references: answers.map(str::to_string).into_iter().collect(),
            automatic: notice.automatic,
            loop_value: identity.loop_value(),
            date: self.now.into(),
            attachments: Vec::new(),
            thread: None,
        };
        let bytes = draft.to_signed_bytes(self.settings.outgoing.dkim_for(from_address))?;
        let recipients: Vec<&str> = to.iter().map(|m| m.email.as_str()).collect();
        let now = self.now.naive_utc();
        let id = queries::insert_outbox(
            conn,
            &NewOutbox {
                ticket_id: None,
                template: &notice.template,
                message_id: &message_id,
                envelope_from: from_address,
                recipients: &recipients.join(","),
                subject: &rendered.title,
                content: &bytes,
                automatic: notice.automatic,
                next_attempt_at: now,
                created_at: now,
            },
        )?;
        Ok(Some(id))
    }

    fn desk_context(&self, lang: Lang, from: &Identity<'_>) -> Value {
        json!({
            "name": from.from_name_in(lang),
            "address": from.address(),
            "tag": self.settings.tickets.subject_tag.as_str(),
            "reopen_days": self.settings.tickets.reopen_days,
        })
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
        let mut readers: Vec<(Lang, chrono_tz::Tz, Vec<Mailbox>)> = Vec::new();
        for t in techs {
            let lang = t.language.unwrap_or(settings.tickets.language);
            let zone = settings.reader_zone(&t.email);
            let m = Mailbox { email: t.email.clone(), name: t.name.clone() };
            match readers.iter_mut().find(|(l, z, _)| *l == lang && *z == zone) {
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

    /// Drops addresses no mail can be sent to as written (kept so from a
    /// sender's broken From), and says so in the ticket's history.
    fn sendable(&self, conn: &mut Conn, ticket: Option<i64>, list: Vec<Mailbox>) -> Result<Vec<Mailbox>, QueueError> {
        let mut kept = Vec::new();
        for m in list {
            let Some(why) = crate::mail::outbound::unsendable(&m.email) else {
                kept.push(m);
                continue;
            };
            tracing::warn!(ticket.number = ticket, to = %m.email, %why, "mail not sent: not an address");
            let Some(ticket) = ticket else { continue };
            let why = format!("not an address mail can be sent to: {why}");
            let event = NewEvent {
                ticket_id: ticket,
                actor: "guichet",
                kind: crate::domain::history::EventKind::MailNotSent,
                old_value: Some(&why),
                new_value: Some(&m.email),
                article_id: None,
                created_at: self.now.naive_utc(),
            };
            queries::insert_event(conn, &event)?;
        }
        Ok(kept)
    }

    /// Drops outside recipients who had their hourly share of automatic
    /// mail or whose address is known to fail, and says so in the ticket's
    /// history (in the log only when there is no ticket).
    fn within_rate(
        &self,
        conn: &mut Conn,
        ticket: Option<i64>,
        list: Vec<Mailbox>,
    ) -> Result<Vec<Mailbox>, QueueError> {
        let since = (self.now - chrono::Duration::hours(1)).naive_utc();
        let mut kept = Vec::new();
        let now = self.now.naive_utc();
        for m in list {
            let why = if self.settings.technician(&m.email).is_some() {
                None
            } else if let Some(until) = queries::undeliverable_until(conn, &m.email, now)? {
                Some(format!("undeliverable until {}", until.and_utc().to_rfc3339()))
            } else if queries::automatic_sent_to(conn, &m.email, since)?
                >= i64::from(self.settings.automatic_limit(&m.email))
            {
                Some("hourly limit reached".to_string())
            } else {
                None
            };
            let Some(why) = why else {
                kept.push(m);
                continue;
            };
            tracing::warn!(ticket.number = ticket, to = %m.email, %why, "automatic mail suppressed");
            let Some(ticket) = ticket else { continue };
            let event = NewEvent {
                ticket_id: ticket,
                actor: "guichet",
                kind: crate::domain::history::EventKind::AutomaticMailSuppressed,
                old_value: Some(&why),
                new_value: Some(&m.email),
                article_id: None,
                created_at: now,
            };
            queries::insert_event(conn, &event)?;
        }
        Ok(kept)
    }

    /// The variables a template sees for `n` about ticket `t`.
    pub fn context(&self, conn: &mut Conn, t: &Ticket, n: &Notice, recipient: &Mailbox) -> Result<Value, QueueError> {
        let lang = n.lang;
        let requester = queries::contact(conn, t.requester_id)?;
        let status: Status = t.status.parse().unwrap_or(Status::New);
        let ttype: TicketType = t.ticket_type.parse().unwrap_or(TicketType::Incident);
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
        let mut ctx = json!({
            "desk": self.desk_context(lang, &identity),
            "recipient": { "name": recipient.name, "email": recipient.email, "in_copy": in_copy },
            "ticket": {
                "number": t.id,
                "tag": self.tag(t.id),
                "subject": t.subject,
                "type": ttype.as_str(),
                "type_label": ttype.label(lang),
                "status": status.as_str(),
                "status_label": status.label(lang),
                "priority": t.priority,
                "priority_label": priority_label(t.priority, lang),
                "impact": t.impact,
                "urgency": t.urgency,
                "requester_name": if requester.name.is_empty() { &requester.email } else { &requester.name },
                "requester_email": requester.email,
                "assignee_name": assignee_name,
                "has_watchers": !watchers.is_empty(),
                "watchers": watchers,
                "group": t.group_name.clone().unwrap_or_default(),
                "major": t.major,
                "planned_at": t.planned_at.map(|p| p.and_utc().to_rfc3339()).unwrap_or_default(),
                "created_at": t.created_at.and_utc().to_rfc3339(),
            },
            "article": {
                "from_name": if a.from_name.is_empty() { &a.from_email } else { &a.from_name },
                // Whether `from_name` is a name, not the address standing in for one.
                "has_name": !a.from_name.is_empty(),
                "from_email": a.from_email,
                "subject": a.subject,
                "text": a.text,
                "lines": a.text.lines().collect::<Vec<_>>(),
                "html": a.html.clone().unwrap_or_default(),
                "has_html": a.html.is_some(),
                "is_new_ticket": a.is_new_ticket,
                "internal": a.internal,
            },
            "change": {
                "old_label": n.change.old.map(|s| s.label(lang)).unwrap_or_default(),
                "new_label": n.change.new.map(|s| s.label(lang)).unwrap_or_default(),
                "new_meaning": n.change.new.map(|s| s.meaning(lang)).unwrap_or_default(),
                "by_name": n.change.by_name,
                "closed": n.change.new.is_some_and(Status::is_closed),
            },
            "error": { "command": command, "reason": reason },
            "sla": {
                "kind_label": "", "policy": "", "due_at": "", "left_label": "", "overdue_label": "",
                "raised_priority_label": "", "moved_to_group": "", "reassigned_to_name": "",
            },
            "pending": { "since": "", "days": 0, "close_after_days": 0, "closes_on": "" },
            "survey": { "has_links": false, "links": [], "valid_days": 0 },
            "rating": { "value": 0, "comment": "" },
            "bounce": { "failures": [], "undeliverable_days": 0 },
            "kb": { "has_articles": false, "articles": [] },
            "major": { "number": 0, "subject": "", "count": 0, "window_minutes": 0, "children": [] },
            "alert": {
                "to": "", "cc": "",
                "note_address": threading::note_address(identity.address(), t.id),
            },
            "history": { "has_tickets": false, "tickets": [], "related": null },
        });
        merge_details(&mut ctx, &n.details);
        add_signature(&mut ctx, identity.signature(t.group_name.as_deref(), lang));
        // A requester's other tickets are listed with their state in the reader's words.
        if let Some(items) = ctx.pointer_mut("/history/tickets").and_then(Value::as_array_mut) {
            for item in items {
                if let Some(status) = item["status"].as_str().and_then(|s| s.parse::<Status>().ok()) {
                    item["status_label"] = Value::from(status.label(lang));
                }
            }
        }
        self.localize_times(&mut ctx, lang, &recipient.email);
        Ok(ctx)
    }

    /// Rewrites the times of `ctx`, given as RFC 3339 by whoever filled
    /// them, for the reader at `email`: in their zone (a technician's own,
    /// else the desk's) and language, the zone named when it is not the
    /// desk's or is UTC. Anything else (already worded) is left alone.
    fn localize_times(&self, ctx: &mut Value, lang: Lang, email: &str) {
        let tz = self.settings.reader_zone(email);
        let named = tz != self.settings.tickets.time_zone || tz == chrono_tz::Tz::UTC;
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
}

/// Template variables that hold a moment, written as RFC 3339 in the
/// context and shown to each reader in their zone.
const MOMENTS: &[(&str, &str)] =
    &[("ticket", "created_at"), ("ticket", "planned_at"), ("sla", "due_at"), ("mail", "received_at")];
/// Variables that hold a day (given as the RFC 3339 moment it starts from).
const DAYS: &[(&str, &str)] = &[("pending", "since"), ("pending", "closes_on")];

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
