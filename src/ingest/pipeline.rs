//! The pipeline for one mail: store the raw bytes, parse, classify,
//! thread, identify the sender, apply technician commands, write the
//! article, the ticket change, its events and the outbox rows — all in one
//! transaction. A mail that cannot be processed is quarantined with the
//! reason, in that same transaction, so nothing is ever dropped.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::config::{Mailbox as SourceMailbox, StrangerPolicy};
use crate::domain::classify::{classify, MailKind};
use crate::domain::commands::{self, Assignee, Command};
use crate::domain::threading::{self, Candidates, OnClosed};
use crate::domain::ticket::{Lang, Status, TicketType};
use crate::domain::trim::trim_reply;
use crate::mail::inbound::{sha256_hex, InboundMail, Mailbox, Unusable};
use crate::notify::outbox::{ArticleView, ChangeView, Desk, Notice, QueueError};
use crate::store::models::{NewArticle, NewEvent, NewInbound, NewRawMessage, NewTicket, Ticket};
use crate::store::{queries, Conn, Store, StoreError};

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// A new ticket was opened.
    Ticket {
        ticket: i64,
    },
    /// An article was added to a ticket.
    Article {
        ticket: i64,
    },
    /// Automatic mail recorded and answered by nothing: an auto-reply or
    /// bounce that matches no ticket, or our own mail coming back.
    Automatic {
        kind: MailKind,
        ticket: Option<i64>,
    },
    Quarantined {
        id: i64,
        reason: String,
    },
    /// The same mail was already stored.
    Duplicate {
        ticket: Option<i64>,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ticket { .. } => "ticket",
            Outcome::Article { .. } => "article",
            Outcome::Automatic { .. } => "automatic",
            Outcome::Quarantined { .. } => "quarantine",
            Outcome::Duplicate { .. } => "duplicate",
        }
    }

    fn ticket(&self) -> Option<i64> {
        match self {
            Outcome::Ticket { ticket } | Outcome::Article { ticket } => Some(*ticket),
            Outcome::Automatic { ticket, .. } | Outcome::Duplicate { ticket } => *ticket,
            Outcome::Quarantined { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Retrying it again would store the mail twice.
    #[error("quarantine entry {0} was already released")]
    AlreadyReleased(i64),
}

impl From<diesel::result::Error> for IngestError {
    fn from(e: diesel::result::Error) -> Self {
        IngestError::Store(StoreError::Query(e))
    }
}

impl IngestError {
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::Store(e) => e.is_transient(),
            IngestError::AlreadyReleased(_) => false,
        }
    }
}

/// Why processing stopped inside the transaction.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Rendering failed: the transaction is rolled back and the mail is
    /// quarantined with this reason instead.
    #[error("{0}")]
    Quarantine(String),
    #[error("quarantine entry {0} was already released")]
    Released(i64),
}

impl From<QueueError> for Stop {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Store(e) => e.into(),
            other => Stop::Quarantine(format!("cannot write the outgoing mail: {other}")),
        }
    }
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Store(StoreError::Query(e))
    }
}

/// Ingests one raw mail read from `mailbox` (under `source_key`, when the
/// source can name the message, so that reading it again is a no-op).
pub fn ingest(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    raw: &[u8],
) -> Result<Outcome, IngestError> {
    let now = desk.now.naive_utc();
    let sha = sha256_hex(raw);
    let intake = |conn: &mut Conn| -> Result<Result<i64, Outcome>, diesel::result::Error> {
        if let Some(dup) = already_stored(conn, mailbox, source_key, &sha, now)? {
            return Ok(Err(dup));
        }
        let new = NewRawMessage { sha256: &sha, size: raw.len() as i64, content: raw, received_at: now };
        let raw_id = queries::insert_raw(conn, &new)?;
        if let Some(key) = source_key {
            queries::record_source(conn, &mailbox.name, key, raw_id, now)?;
        }
        Ok(Ok(raw_id))
    };
    let attempt = store.write(|conn| match intake(conn)? {
        Err(dup) => Ok(dup),
        Ok(raw_id) => process(conn, desk, &mailbox.name, raw_id, raw),
    });
    match attempt {
        Ok(outcome) => Ok(outcome),
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        // Rolled back: keep the mail in quarantine instead, in a fresh transaction.
        Err(Stop::Quarantine(reason)) => store.write(|conn| match intake(conn)? {
            Err(dup) => Ok(dup),
            Ok(raw_id) => Ok(quarantine(conn, &mailbox.name, raw_id, None, &reason, now)?),
        }),
    }
}

fn already_stored(
    conn: &mut Conn,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    sha: &str,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, diesel::result::Error> {
    if let Some(key) = source_key {
        if queries::source_seen(conn, &mailbox.name, key)? {
            return Ok(Some(Outcome::Duplicate { ticket: None }));
        }
    }
    let Some(raw_id) = queries::raw_by_sha(conn, sha)? else { return Ok(None) };
    if let Some(key) = source_key {
        queries::record_source(conn, &mailbox.name, key, raw_id, now)?;
    }
    let ticket = queries::inbound_for_raw(conn, raw_id)?.and_then(|i| i.ticket_id);
    Ok(Some(Outcome::Duplicate { ticket }))
}

/// Processes a quarantined mail again (after a config or template fix).
pub fn retry_quarantined(store: &Store, desk: &Desk<'_>, id: i64) -> Result<Option<Outcome>, IngestError> {
    let now = desk.now.naive_utc();
    let attempt = store.write(|conn| -> Result<Option<Outcome>, Stop> {
        let Some(entry) = queries::quarantine_entry(conn, id)? else { return Ok(None) };
        if entry.state != "held" {
            return Err(Stop::Released(id));
        }
        let raw = queries::raw_content(conn, entry.raw_message_id)?;
        queries::delete_inbound_for_raw(conn, entry.raw_message_id)?;
        let outcome = process(conn, desk, &entry.mailbox, entry.raw_message_id, &raw)?;
        match &outcome {
            Outcome::Quarantined { .. } => {}
            _ => queries::release_quarantine(conn, id, now)?,
        }
        Ok(Some(outcome))
    });
    match attempt {
        Ok(o) => Ok(o),
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => {
            store.write(|conn| -> Result<(), IngestError> { Ok(queries::requarantine(conn, id, &reason)?) })?;
            Ok(Some(Outcome::Quarantined { id, reason }))
        }
    }
}

/// Keeps the mail in quarantine: a new entry, or the existing one (retry)
/// with its reason brought up to date.
fn quarantine(
    conn: &mut Conn,
    mailbox: &str,
    raw_id: i64,
    body_sha: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Outcome, diesel::result::Error> {
    let existing = queries::quarantine_for_raw(conn, raw_id)?;
    let id = match existing {
        Some(q) => {
            queries::requarantine(conn, q.id, reason)?;
            q.id
        }
        None => queries::insert_quarantine(conn, raw_id, mailbox, reason, now)?,
    };
    let outcome = Outcome::Quarantined { id, reason: reason.to_string() };
    queries::insert_inbound(
        conn,
        &NewInbound {
            raw_message_id: raw_id,
            mailbox,
            message_id: None,
            body_sha256: body_sha.unwrap_or(""),
            outcome: outcome.label(),
            kind: "unknown",
            reason,
            ticket_id: None,
            created_at: now,
        },
    )?;
    Ok(outcome)
}

fn process(conn: &mut Conn, desk: &Desk<'_>, mailbox: &str, raw_id: i64, raw: &[u8]) -> Result<Outcome, Stop> {
    let now = desk.now.naive_utc();
    let limit = desk.settings.limits.max_message_bytes;
    if raw.len() > limit {
        let reason = format!("message is {} bytes, over limits.max_message_bytes = {limit}", raw.len());
        return Ok(quarantine(conn, mailbox, raw_id, None, &reason, now)?);
    }
    let mail = match InboundMail::parse(raw) {
        Ok(m) => m,
        Err(e) => return Ok(quarantine(conn, mailbox, raw_id, None, &e.to_string(), now)?),
    };
    let class = classify(&mail.facts, &desk.settings.own);
    let record = |conn: &mut Conn, outcome: Outcome, reason: &str| -> Result<Outcome, Stop> {
        queries::insert_inbound(
            conn,
            &NewInbound {
                raw_message_id: raw_id,
                mailbox,
                message_id: mail.message_id.as_deref(),
                body_sha256: &mail.body_sha256,
                outcome: outcome.label(),
                kind: class.kind.as_str(),
                reason,
                ticket_id: outcome.ticket(),
                created_at: now,
            },
        )?;
        Ok(outcome)
    };

    if let Some(mid) = &mail.message_id {
        if let Some(prev) = queries::inbound_copy(conn, mid, &mail.body_sha256)? {
            return record(conn, Outcome::Duplicate { ticket: prev.ticket_id }, "same Message-ID and body");
        }
    }

    let found = find_ticket(conn, desk, &mail)?;
    let mut ctx = Ctx { conn, desk, mail: &mail, raw_id, mailbox, now, list: class.kind == MailKind::List };
    let (outcome, reason) = match class.kind {
        MailKind::Own => {
            (Outcome::Automatic { kind: class.kind, ticket: found.as_ref().map(|t| t.id) }, class.reason.clone())
        }
        MailKind::AutoReply | MailKind::Bounce | MailKind::Feedback => match &found {
            Some(ticket) => {
                ctx.article(ticket, "in", "internal", "automatic", &mail.text)?;
                (Outcome::Article { ticket: ticket.id }, class.reason.clone())
            }
            None => (Outcome::Automatic { kind: class.kind, ticket: None }, class.reason.clone()),
        },
        MailKind::Human | MailKind::List if mail.from.email.is_empty() => {
            let reason = Unusable::NoSender.to_string();
            return Ok(quarantine(ctx.conn, mailbox, raw_id, Some(&mail.body_sha256), &reason, now)?);
        }
        MailKind::Human | MailKind::List => {
            let answer = class.kind.may_be_answered();
            ctx.person_mail(found, answer)?
        }
    };
    record(ctx.conn, outcome, &reason)
}

/// Threading, in order of precedence: subject tag, references, plus address.
fn find_ticket(conn: &mut Conn, desk: &Desk<'_>, mail: &InboundMail) -> Result<Option<Ticket>, diesel::result::Error> {
    let existing = |conn: &mut Conn, n: Option<i64>| -> Result<Option<i64>, diesel::result::Error> {
        match n {
            Some(n) => Ok(queries::ticket(conn, n)?.map(|t| t.id)),
            None => Ok(None),
        }
    };
    let by_tag = existing(conn, desk.settings.tickets.subject_tag.number(&mail.subject))?;
    let by_references = queries::ticket_by_message_ids(conn, &mail.references)?;
    let recipients =
        mail.to.iter().chain(&mail.cc).map(|m| m.email.as_str()).chain(mail.delivered_to.iter().map(String::as_str));
    let plus = threading::plus_address_number(recipients, desk.settings.our_addresses());
    let by_plus_address = existing(conn, plus)?;
    match (Candidates { by_tag, by_references, by_plus_address }).pick() {
        Some((id, via)) => {
            tracing::debug!(ticket.number = id, via = via.as_str(), "threaded");
            queries::ticket(conn, id)
        }
        None => Ok(None),
    }
}

/// Who wrote a mail, relative to the ticket it threads onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Requester,
    Watcher,
    Technician,
    Stranger,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Watcher => "watcher",
            Role::Technician => "technician",
            Role::Stranger => "stranger",
        }
    }
}

struct Ctx<'c, 'd> {
    conn: &'c mut Conn,
    desk: &'d Desk<'d>,
    mail: &'d InboundMail,
    raw_id: i64,
    mailbox: &'d str,
    now: NaiveDateTime,
    /// Mailing-list mail: may open a ticket, is never answered.
    list: bool,
}

impl Ctx<'_, '_> {
    fn event(
        &mut self,
        ticket: i64,
        actor: &str,
        kind: &str,
        old: Option<&str>,
        new: Option<&str>,
        article: Option<i64>,
    ) -> Result<(), Stop> {
        queries::insert_event(
            self.conn,
            &NewEvent {
                ticket_id: ticket,
                actor,
                kind,
                old_value: old,
                new_value: new,
                article_id: article,
                created_at: self.now,
            },
        )?;
        Ok(())
    }

    /// Stores the mail as an article of `ticket`, with its attachments,
    /// and remembers its Message-ID for threading.
    fn article(
        &mut self,
        ticket: &Ticket,
        direction: &str,
        visibility: &str,
        role: &str,
        trimmed: &str,
    ) -> Result<i64, Stop> {
        let m = self.mail;
        let list = |v: &[Mailbox]| v.iter().map(|x| x.email.as_str()).collect::<Vec<_>>().join(", ");
        let id = queries::insert_article(
            self.conn,
            &NewArticle {
                ticket_id: ticket.id,
                raw_message_id: Some(self.raw_id),
                direction,
                visibility,
                author_role: role,
                from_addr: &m.from.email,
                from_name: &m.from.name,
                to_addrs: &list(&m.to),
                cc_addrs: &list(&m.cc),
                subject: &m.subject,
                body_text: &m.text,
                trimmed_text: trimmed,
                body_html: m.html.as_deref(),
                message_id: m.message_id.as_deref(),
                created_at: self.now,
            },
        )?;
        for a in &m.attachments {
            queries::insert_attachment(self.conn, id, &a.filename, &a.content_type, a.inline, &a.content)?;
        }
        if let Some(mid) = &m.message_id {
            let audience = if visibility == "public" && role != "technician" { "public" } else { "staff" };
            queries::record_message_id(self.conn, mid, ticket.id, "in", audience, self.now)?;
        }
        queries::touch_ticket(self.conn, ticket.id, self.now)?;
        self.event(ticket.id, &m.from.email, "article", None, Some(visibility), Some(id))?;
        Ok(id)
    }

    fn role(&mut self, ticket: &Ticket) -> Result<Role, Stop> {
        let sender = &self.mail.from.email;
        if self.desk.settings.technician(sender).is_some() {
            return Ok(Role::Technician);
        }
        if &queries::contact(self.conn, ticket.requester_id)?.email == sender {
            return Ok(Role::Requester);
        }
        if queries::watchers(self.conn, ticket.id)?.iter().any(|w| &w.email == sender) {
            return Ok(Role::Watcher);
        }
        Ok(Role::Stranger)
    }

    fn person_mail(&mut self, found: Option<Ticket>, answer: bool) -> Result<(Outcome, String), Stop> {
        let Some(ticket) = found else {
            let id = self.open_ticket(None, answer)?;
            return Ok((Outcome::Ticket { ticket: id }, "new ticket".into()));
        };
        let role = self.role(&ticket)?;
        let reason = format!("{} on ticket {}", role.as_str(), ticket.id);
        match role {
            Role::Technician => {
                self.technician_mail(&ticket)?;
                Ok((Outcome::Article { ticket: ticket.id }, reason))
            }
            Role::Stranger => match self.desk.settings.tickets.stranger {
                StrangerPolicy::Internal => {
                    let trimmed = trim_reply(&self.mail.text);
                    self.article(&ticket, "in", "internal", "stranger", &trimmed)?;
                    // A stranger's files are kept on the ticket, not spread by mail.
                    let view = ArticleView { attachments: Vec::new(), ..self.article_view(&trimmed, false, true) };
                    self.notify_technicians(&ticket, "stranger_alert", view)?;
                    Ok((Outcome::Article { ticket: ticket.id }, format!("{reason}: kept internal")))
                }
                StrangerPolicy::NewTicket => {
                    let id = self.open_ticket(None, answer)?;
                    Ok((Outcome::Ticket { ticket: id }, format!("{reason}: opened a separate ticket")))
                }
            },
            Role::Requester | Role::Watcher => {
                let status: Status = ticket.status.parse().unwrap_or(Status::New);
                let closed_at = ticket.closed_at.map(|t| t.and_utc());
                match threading::on_closed(status, closed_at, self.desk.now, self.desk.settings.tickets.reopen_days) {
                    OnClosed::NewLinked => {
                        let id = self.open_ticket(Some(ticket.id), answer)?;
                        Ok((
                            Outcome::Ticket { ticket: id },
                            format!("{reason}: closed too long ago, new linked ticket"),
                        ))
                    }
                    how => {
                        let trimmed = trim_reply(&self.mail.text);
                        self.article(&ticket, "in", "public", role.as_str(), &trimmed)?;
                        let requester = queries::contact(self.conn, ticket.requester_id)?;
                        self.add_watchers(&ticket, &requester.email)?;
                        if how == OnClosed::Reopen || status == Status::Pending {
                            let next = Status::reopened(ticket.assignee.is_some());
                            let kind = if how == OnClosed::Reopen { "reopened" } else { "status" };
                            self.set_status(&ticket, status, next, &self.mail.from.email.clone(), kind)?;
                        }
                        let view = self.article_view(&trimmed, false, false);
                        self.notify_technicians(&ticket, "new_article", view)?;
                        Ok((Outcome::Article { ticket: ticket.id }, reason))
                    }
                }
            }
        }
    }

    fn article_view(&self, text: &str, is_new_ticket: bool, internal: bool) -> ArticleView {
        let m = self.mail;
        ArticleView {
            from_name: m.from.name.clone(),
            from_email: m.from.email.clone(),
            subject: m.subject.clone(),
            text: text.to_string(),
            html: None,
            is_new_ticket,
            internal,
            // Signature logos and other inline images stay behind.
            attachments: m.attachments.iter().filter(|a| !a.inline).cloned().collect(),
        }
    }

    fn set_status(&mut self, ticket: &Ticket, from: Status, to: Status, actor: &str, kind: &str) -> Result<(), Stop> {
        let closed_at = to.is_closed().then_some(self.now);
        queries::set_status(self.conn, ticket.id, to.as_str(), closed_at, self.now)?;
        self.event(ticket.id, actor, kind, Some(from.as_str()), Some(to.as_str()), None)
    }

    fn open_ticket(&mut self, related: Option<i64>, answer: bool) -> Result<i64, Stop> {
        let m = self.mail;
        let settings = self.desk.settings;
        let said = m.language.or_else(|| crate::domain::language::guess(&format!("{}\n{}", m.subject, m.text)));
        let lang_tag = said.map(Lang::as_str);
        // A form or a system writing from a no-reply address on someone's
        // behalf names them in Reply-To: they are the requester. A person's
        // own Reply-To, or a list's, does not change who asked.
        let ours = settings.our_addresses();
        let who = m
            .reply_to
            .as_ref()
            .filter(|r| !ours.contains(&r.email) && !self.list && threading::is_robot_address(&m.from.email))
            .unwrap_or(&m.from);
        let requester = queries::upsert_contact(self.conn, &who.email, &who.name, lang_tag, self.now)?;
        let lang =
            requester.language.as_deref().and_then(|l| l.parse().ok()).or(said).unwrap_or(settings.tickets.language);
        let mut subject = settings.tickets.subject_tag.clean(&m.subject);
        if subject.is_empty() {
            subject = match lang {
                Lang::Fr => "(sans objet)".into(),
                Lang::En => "(no subject)".into(),
            };
        }
        let (impact, urgency) = (3, 3);
        let priority = settings.tickets.priority_matrix.priority(impact, urgency);
        let ticket = queries::insert_ticket(
            self.conn,
            &NewTicket {
                subject: &subject,
                ticket_type: TicketType::Incident.as_str(),
                status: Status::New.as_str(),
                impact,
                urgency,
                priority,
                related_id: related,
                requester_id: requester.id,
                language: lang.as_str(),
                mailbox: self.mailbox,
                created_at: self.now,
                updated_at: self.now,
            },
        )?;
        let actor = m.from.email.clone();
        self.event(ticket.id, &actor, "created", None, Some(Status::New.as_str()), None)?;
        if let Some(old) = related {
            self.event(ticket.id, &actor, "related", None, Some(&old.to_string()), None)?;
            self.event(old, &actor, "followed_by", None, Some(&ticket.id.to_string()), None)?;
        }
        self.add_watchers(&ticket, &requester.email)?;
        let trimmed = trim_reply(&m.text);
        self.article(&ticket, "in", "public", "requester", &trimmed)?;
        let view = self.article_view(&trimmed, true, false);
        if answer {
            let notice = Notice {
                template: "acknowledgement",
                lang,
                to: vec![Mailbox { email: requester.email.clone(), name: requester.name.clone() }],
                cc: Vec::new(),
                from_name: settings.outgoing.from_name.clone(),
                automatic: true,
                // Their own files are not sent back to them.
                article: ArticleView { attachments: Vec::new(), ..view.clone() },
                change: ChangeView::default(),
                error: None,
            };
            self.desk.queue(self.conn, &ticket, notice)?;
        }
        self.notify_technicians(&ticket, "new_article", view)?;
        Ok(ticket.id)
    }

    /// Everyone else a participant wrote to follows the ticket from now on.
    fn add_watchers(&mut self, ticket: &Ticket, requester: &str) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let ours = settings.our_addresses();
        let known: Vec<String> = queries::watchers(self.conn, ticket.id)?.into_iter().map(|c| c.email).collect();
        let m = self.mail;
        for w in m.to.iter().chain(&m.cc) {
            let skip = ours.contains(&w.email)
                || w.email == requester
                || known.contains(&w.email)
                || settings.technician(&w.email).is_some();
            if skip {
                continue;
            }
            let c = queries::upsert_contact(self.conn, &w.email, &w.name, None, self.now)?;
            queries::add_watcher(self.conn, ticket.id, c.id)?;
            self.event(ticket.id, &m.from.email, "watcher_added", None, Some(&c.email), None)?;
        }
        Ok(())
    }

    /// Tells the assignee, or every technician when nobody has the ticket,
    /// one mail per language.
    fn notify_technicians(
        &mut self,
        ticket: &Ticket,
        template: &'static str,
        article: ArticleView,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let sender = &self.mail.from.email;
        let techs: Vec<_> = settings
            .technicians
            .iter()
            .filter(|t| ticket.assignee.as_deref().is_none_or(|a| a == t.email))
            .filter(|t| &t.email != sender)
            .collect();
        for lang in [Lang::Fr, Lang::En] {
            let to: Vec<Mailbox> = techs
                .iter()
                .filter(|t| t.language.unwrap_or(settings.tickets.language) == lang)
                .map(|t| Mailbox { email: t.email.clone(), name: t.name.clone() })
                .collect();
            if to.is_empty() {
                continue;
            }
            let notice = Notice {
                template,
                lang,
                to,
                cc: Vec::new(),
                from_name: settings.outgoing.from_name.clone(),
                automatic: true,
                article: article.clone(),
                change: ChangeView::default(),
                error: None,
            };
            self.desk.queue(self.conn, ticket, notice)?;
        }
        Ok(())
    }

    /// A technician wrote on a ticket: apply their commands, keep the mail
    /// as an article, and send it on to the requester unless internal.
    fn technician_mail(&mut self, ticket: &Ticket) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let Some(tech) = settings.technician(&self.mail.from.email).cloned() else { return Ok(()) };
        let parsed = commands::parse(&self.mail.text);
        let trimmed = trim_reply(&parsed.text);
        let internal = parsed.is_internal();
        let visibility = if internal { "internal" } else { "public" };
        self.article(ticket, "out", visibility, "technician", &trimmed)?;

        let mut errors: Vec<(String, String)> =
            parsed.errors.iter().map(|e| (e.line.clone(), e.reason.clone())).collect();
        let old_status: Status = ticket.status.parse().unwrap_or(Status::New);
        let mut status = old_status;
        let mut assignee = ticket.assignee.clone();
        let mut group = ticket.group_name.clone();
        let (mut impact, mut urgency) = (ticket.impact, ticket.urgency);
        let mut ttype: TicketType = ticket.ticket_type.parse().unwrap_or(TicketType::Incident);
        let mut explicit_assign = false;
        let actor = tech.email.clone();

        for cmd in &parsed.commands {
            let line = command_line(cmd);
            match cmd {
                Command::Status(to) => match status.transition(*to) {
                    Ok(next) => status = next,
                    Err(e) => errors.push((line, e.to_string())),
                },
                Command::Resolve | Command::Unresolved => {
                    let to = if *cmd == Command::Resolve { Status::Resolved } else { Status::Unresolved };
                    match status.transition(to) {
                        Ok(next) => status = next,
                        Err(e) => errors.push((line, e.to_string())),
                    }
                }
                Command::Internal => {}
                Command::Kb => self.event(ticket.id, &actor, "kb_requested", None, None, None)?,
                Command::Assign(who) => {
                    explicit_assign = true;
                    match who {
                        Assignee::Me => assignee = Some(tech.email.clone()),
                        Assignee::Technician(email) => match settings.technician(email) {
                            Some(t) => assignee = Some(t.email.clone()),
                            None => errors.push((line, format!("`{email}` is not a technician of this desk"))),
                        },
                        Assignee::Group(g) => {
                            if settings.technicians.iter().any(|t| t.groups.contains(g)) {
                                group = Some(g.clone());
                            } else {
                                errors.push((line, format!("no technician is in group `{g}`")));
                            }
                        }
                    }
                }
                Command::Impact(n) => impact = *n,
                Command::Urgency(n) => urgency = *n,
                Command::Type(t) => ttype = *t,
                Command::Parent(p) => {
                    if *p == ticket.id {
                        errors.push((line, "a ticket cannot be its own parent".into()));
                    } else if queries::ticket(self.conn, *p)?.is_none() {
                        errors.push((line, format!("there is no ticket {p}")));
                    } else {
                        queries::set_parent(self.conn, ticket.id, *p, self.now)?;
                        self.event(
                            ticket.id,
                            &actor,
                            "parent",
                            ticket.parent_id.map(|x| x.to_string()).as_deref(),
                            Some(&p.to_string()),
                            None,
                        )?;
                    }
                }
            }
        }

        // Only a status the technician asked for is worth a mail of its own;
        // taking the ticket (new -> assigned) rides along with the reply.
        let commanded = status != old_status;
        // The first technician to answer takes an unowned ticket.
        if !internal && !explicit_assign && assignee.is_none() {
            assignee = Some(tech.email.clone());
        }
        if assignee != ticket.assignee || group != ticket.group_name {
            queries::set_assignment(self.conn, ticket.id, assignee.as_deref(), group.as_deref(), self.now)?;
            if assignee != ticket.assignee {
                self.event(ticket.id, &actor, "assignee", ticket.assignee.as_deref(), assignee.as_deref(), None)?;
            }
            if group != ticket.group_name {
                self.event(ticket.id, &actor, "group", ticket.group_name.as_deref(), group.as_deref(), None)?;
            }
            if status == Status::New && assignee.is_some() {
                status = Status::Assigned;
            }
        }
        let old_type: TicketType = ticket.ticket_type.parse().unwrap_or(TicketType::Incident);
        if impact != ticket.impact || urgency != ticket.urgency || ttype != old_type {
            let priority = settings.tickets.priority_matrix.priority(impact, urgency);
            queries::set_classification(self.conn, ticket.id, ttype.as_str(), impact, urgency, priority, self.now)?;
            for (kind, old, new) in [
                ("impact", ticket.impact.to_string(), impact.to_string()),
                ("urgency", ticket.urgency.to_string(), urgency.to_string()),
                ("priority", ticket.priority.to_string(), priority.to_string()),
                ("type", old_type.to_string(), ttype.to_string()),
            ] {
                if old != new {
                    self.event(ticket.id, &actor, kind, Some(&old), Some(&new), None)?;
                }
            }
        }
        if status != old_status {
            self.set_status(ticket, old_status, status, &actor, "status")?;
        }

        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or_else(|| ticket.clone());
        let requester = queries::contact(self.conn, ticket.requester_id)?;
        let lang: Lang = current.language.parse().unwrap_or(settings.tickets.language);
        let watchers: Vec<Mailbox> = queries::watchers(self.conn, ticket.id)?
            .into_iter()
            .map(|c| Mailbox { email: c.email, name: c.name })
            .collect();
        let mut view = self.article_view(&trimmed, false, internal);
        view.from_name = tech.name.clone();
        let from_name = format!("{} ({})", tech.name, settings.outgoing.from_name);
        let to = vec![Mailbox { email: requester.email.clone(), name: requester.name.clone() }];
        if !internal && commanded {
            let notice = Notice {
                template: "status_changed",
                lang,
                to,
                cc: watchers,
                from_name,
                automatic: trimmed.is_empty(),
                article: view,
                change: ChangeView { old: Some(old_status), new: Some(status), by_name: tech.name.clone() },
                error: None,
            };
            self.desk.queue(self.conn, &current, notice)?;
        } else if !internal && !trimmed.is_empty() {
            let notice = Notice {
                template: "reply",
                lang,
                to,
                cc: watchers,
                from_name,
                automatic: false,
                article: view,
                change: ChangeView::default(),
                error: None,
            };
            self.desk.queue(self.conn, &current, notice)?;
        }
        let tech_lang = tech.language.unwrap_or(settings.tickets.language);
        for (command, reason) in errors {
            self.event(ticket.id, &actor, "command_refused", Some(&command), Some(&reason), None)?;
            let notice = Notice {
                template: "command_error",
                lang: tech_lang,
                to: vec![Mailbox { email: tech.email.clone(), name: tech.name.clone() }],
                cc: Vec::new(),
                from_name: settings.outgoing.from_name.clone(),
                automatic: true,
                article: ArticleView { attachments: Vec::new(), ..self.article_view(&trimmed, false, internal) },
                change: ChangeView::default(),
                error: Some((command, reason)),
            };
            self.desk.queue(self.conn, &current, notice)?;
        }
        Ok(())
    }
}

fn command_line(cmd: &Command) -> String {
    match cmd {
        Command::Status(s) => format!("#status {s}"),
        Command::Resolve => "#resolve".into(),
        Command::Unresolved => "#unresolved".into(),
        Command::Internal => "#internal".into(),
        Command::Kb => "#kb".into(),
        Command::Assign(Assignee::Me) => "#assign me".into(),
        Command::Assign(Assignee::Technician(e)) => format!("#assign {e}"),
        Command::Assign(Assignee::Group(g)) => format!("#assign group:{g}"),
        Command::Impact(n) => format!("#impact {n}"),
        Command::Urgency(n) => format!("#urgency {n}"),
        Command::Type(t) => format!("#type {t}"),
        Command::Parent(p) => format!("#parent {p}"),
    }
}
