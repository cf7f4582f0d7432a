//! The pipeline for one mail: store the raw bytes, parse, classify,
//! thread, identify the sender, apply technician commands, write the
//! article, the ticket change, its events and the outbox rows — all in one
//! transaction. A mail that cannot be processed is quarantined with the
//! reason, in that same transaction, so nothing is ever dropped.

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use super::routing::{auto_assign, route, Routing};
use crate::config::{Mailbox as SourceMailbox, Settings, StrangerPolicy, Technician};
use crate::domain::classify::{classify, MailKind};
use crate::domain::commands::{self, Assignee, Command, Refusal};
use crate::domain::survey;
use crate::domain::thanks::thanks_only;
use crate::domain::threading::{self, Candidates, OnClosed};
use crate::domain::ticket::{Lang, Status, TicketType};
use crate::domain::trim::{new_text, trim_reply, without_lines_of};
use crate::mail::inbound::{sha256_hex, InboundMail, Mailbox, Unusable};
use crate::notify::outbox::{ArticleView, ChangeView, Desk, Notice, QueueError, NOTE_TEMPLATES};
use crate::sla::{self, SlaError};
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
    /// A ticket opened by hand could not be recorded.
    #[error("{0}")]
    Refused(String),
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
            IngestError::AlreadyReleased(_) | IngestError::Refused(_) => false,
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

impl From<SlaError> for Stop {
    fn from(e: SlaError) -> Self {
        match e {
            SlaError::Store(e) => Stop::Store(e),
            SlaError::Mail(m) => Stop::Quarantine(m),
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
    let mut outcomes = ingest_batch(store, desk, mailbox, &[(source_key, raw)])?;
    Ok(outcomes.remove(0))
}

/// Mails stored in one commit by the sources that have several in hand, at
/// most: this many, or this many bytes.
pub const GROUP_MAILS: usize = 100;
pub const GROUP_BYTES: usize = 32 << 20;

/// Ingests several mails of one source in one transaction, each in a
/// savepoint of its own: a mail held in quarantine undoes only itself, and
/// the commit is shared. Any other failure undoes them all (nothing is
/// stored); the caller may then take them one at a time to learn which.
pub fn ingest_batch(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    mails: &[(Option<&str>, &[u8])],
) -> Result<Vec<Outcome>, IngestError> {
    let now = desk.now.naive_utc();
    let started = std::time::Instant::now();
    // Hashing, decoding and sanitising need no store: done on every core
    // before the transaction, which then only decides and writes.
    let mut prepared = prepare(desk, mails);
    let attempt = store.write(|conn| -> Result<Vec<Outcome>, Stop> {
        let mut outcomes = Vec::with_capacity(mails.len());
        for (&(source_key, raw), (sha, parsed)) in mails.iter().zip(prepared.iter_mut()) {
            let taken = crate::store::savepoint(conn, |conn| match intake(conn, mailbox, source_key, sha, raw, now)? {
                Err(dup) => Ok(dup),
                Ok(raw_id) => process(conn, desk, &mailbox.name, raw_id, raw, parsed.take()),
            });
            let outcome = match taken {
                // Undone: keep the mail in quarantine instead.
                Err(Stop::Quarantine(reason)) => match intake(conn, mailbox, source_key, sha, raw, now)? {
                    Err(dup) => dup,
                    Ok(raw_id) => quarantine(conn, &mailbox.name, raw_id, None, &reason, now)?,
                },
                other => other?,
            };
            outcomes.push(outcome);
        }
        Ok(outcomes)
    });
    match attempt {
        Ok(outcomes) => {
            // Each mail waited for the whole group's commit.
            let took = started.elapsed();
            outcomes.iter().for_each(|_| super::latency::INGEST.observe(took));
            Ok(outcomes)
        }
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => Err(IngestError::Refused(reason)),
    }
}

/// A mail's hash and, when it is not too large to take in, its decoding.
type Prepared = (String, Option<Result<InboundMail, Unusable>>);

/// Hashes and decodes `mails` on every core, keeping their order.
fn prepare(desk: &Desk<'_>, mails: &[(Option<&str>, &[u8])]) -> Vec<Prepared> {
    let limits = &desk.settings.limits;
    let one = |raw: &[u8]| -> Prepared {
        let parsed =
            (raw.len() <= limits.max_message_bytes).then(|| InboundMail::parse_limited(raw, limits.max_html_bytes));
        (sha256_hex(raw), parsed)
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if mails.len() < 2 || cores < 2 {
        return mails.iter().map(|&(_, raw)| one(raw)).collect();
    }
    // Contiguous shares of about equal bytes, one thread each.
    let total: usize = mails.iter().map(|(_, raw)| raw.len()).sum();
    let share = total.div_ceil(cores).max(1);
    let mut bounds = vec![0];
    let mut bytes = 0;
    for (i, (_, raw)) in mails.iter().enumerate() {
        bytes += raw.len();
        if bytes >= share && i + 1 < mails.len() {
            bounds.push(i + 1);
            bytes = 0;
        }
    }
    bounds.push(mails.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let part = &mails[w[0]..w[1]];
                scope.spawn(move || part.iter().map(|&(_, raw)| one(raw)).collect::<Vec<_>>())
            })
            .collect();
        // A panic here is not the parser's (that one is caught): pass it on.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Stores `mails`, taken from a source in this order, in one commit; when
/// that fails, one at a time up to the first that cannot be stored. The
/// outcomes are those of the mails stored, in order (a prefix of `mails`);
/// the error, what stopped the rest. A source lets go only of the stored
/// prefix and reads the rest again later.
pub fn ingest_in_order(
    store: &Store,
    desk: &Desk<'_>,
    mailbox: &SourceMailbox,
    mails: &[(Option<&str>, &[u8])],
) -> (Vec<Outcome>, Option<IngestError>) {
    if mails.is_empty() {
        return (Vec::new(), None);
    }
    if let Ok(outcomes) = ingest_batch(store, desk, mailbox, mails) {
        return (outcomes, None);
    }
    let mut outcomes = Vec::with_capacity(mails.len());
    for &(source_key, raw) in mails {
        match ingest(store, desk, mailbox, source_key, raw) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => return (outcomes, Some(e)),
        }
    }
    (outcomes, None)
}

/// Stores the raw bytes, unless the mail is already stored: then the
/// duplicate's outcome.
fn intake(
    conn: &mut Conn,
    mailbox: &SourceMailbox,
    source_key: Option<&str>,
    sha: &str,
    raw: &[u8],
    now: NaiveDateTime,
) -> Result<Result<i64, Outcome>, diesel::result::Error> {
    if let Some(dup) = already_stored(conn, mailbox, source_key, sha, now)? {
        return Ok(Err(dup));
    }
    let new = NewRawMessage { sha256: sha, size: raw.len() as i64, content: raw, received_at: now };
    let raw_id = queries::insert_raw(conn, &new)?;
    if let Some(key) = source_key {
        queries::record_source(conn, &mailbox.name, key, raw_id, now)?;
    }
    Ok(Ok(raw_id))
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

/// A ticket opened by hand: a call taken by phone, or a problem a
/// technician noticed. The words are kept as a mail of their own, so the
/// record is the same as for any ticket.
pub struct Call {
    /// Who called; `None`: the technician records it for themselves.
    pub requester: Option<Mailbox>,
    pub by: Technician,
    pub subject: String,
    pub text: String,
    /// `#type`, `#impact`, `#assign group:…` as the technician would write them.
    pub commands: Vec<Command>,
}

/// The mailbox name calls are recorded under (rules can match it).
pub const PHONE: &str = "phone";

pub fn open_by_hand(store: &Store, desk: &Desk<'_>, call: &Call) -> Result<Outcome, IngestError> {
    let now = desk.now.naive_utc();
    let requester =
        call.requester.clone().unwrap_or(Mailbox { email: call.by.email.clone(), name: call.by.name.clone() });
    let nanos = desk.now.timestamp_nanos_opt().unwrap_or_default();
    let message_id = format!("call.{nanos:x}.{}@{}", std::process::id(), desk.settings.outgoing.message_id_domain);
    let raw = crate::mail::outbound::call_record(
        &requester,
        desk.settings.desk_address(),
        &call.subject,
        &call.text,
        &message_id,
        &call.by.email,
        desk.now.into(),
    )
    .map_err(|e| IngestError::Refused(e.to_string()))?;
    let sha = sha256_hex(&raw);
    let result = store.write(|conn| -> Result<Outcome, Stop> {
        let raw_id = queries::insert_raw(
            conn,
            &NewRawMessage { sha256: &sha, size: raw.len() as i64, content: &raw, received_at: now },
        )?;
        let mail = InboundMail::parse(&raw).map_err(|e| Stop::Quarantine(e.to_string()))?;
        let routing = route(desk.settings, PHONE, &mail, &requester.email);
        let opening = Opening {
            requester: requester.clone(),
            by: Some(call.by.clone()),
            commands: call.commands.clone(),
            errors: Vec::new(),
            text: call.text.clone(),
            channel: PHONE,
        };
        let mut ctx = Ctx { conn, desk, mail: &mail, staff: Some(&call.by), raw_id, mailbox: PHONE, now, list: false };
        let id = ctx.open_ticket(None, opening, routing, call.requester.is_some())?;
        let outcome = Outcome::Ticket { ticket: id };
        let reason = format!("recorded by {}", call.by.email);
        queries::insert_inbound(
            ctx.conn,
            &NewInbound {
                raw_message_id: raw_id,
                mailbox: PHONE,
                message_id: mail.message_id.as_deref(),
                body_sha256: &mail.body_sha256,
                outcome: outcome.label(),
                kind: MailKind::Human.as_str(),
                reason: &reason,
                ticket_id: Some(id),
                created_at: now,
            },
        )?;
        Ok(outcome)
    });
    match result {
        Ok(o) => Ok(o),
        Err(Stop::Store(e)) => Err(IngestError::Store(e)),
        Err(Stop::Released(id)) => Err(IngestError::AlreadyReleased(id)),
        Err(Stop::Quarantine(reason)) => Err(IngestError::Refused(reason)),
    }
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
        let outcome = process(conn, desk, &entry.mailbox, entry.raw_message_id, &raw, None)?;
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

/// Tells the sender of a mail over the size limit that it was not taken
/// in, from the support address it was sent to. Not for automatic mail,
/// and only within the automatic-mail limits. Returns who was told.
fn tell_too_large(conn: &mut Conn, desk: &Desk<'_>, mailbox: &str, raw: &[u8]) -> Result<Option<String>, Stop> {
    let settings = desk.settings;
    let Some(head) = InboundMail::parse_head(raw) else { return Ok(None) };
    if classify(&head.facts, &settings.own).kind.is_automatic() {
        return Ok(None);
    }
    let sender = head.reply_to.clone().unwrap_or_else(|| head.from.clone());
    let ours = settings.our_addresses();
    let from_address = settings
        .mailbox(mailbox)
        .map(|m| m.address.clone())
        .or_else(|| {
            let named = head.to.iter().chain(&head.cc).map(|m| &m.email).chain(&head.delivered_to);
            named.map(|a| a.to_lowercase()).find(|a| ours.contains(a))
        })
        .unwrap_or_else(|| settings.desk_address().to_string());
    let lang =
        head.language.or_else(|| crate::domain::language::guess(&head.subject)).unwrap_or(settings.tickets.language);
    let megabytes = |n: usize| format!("{:.1} MB", n as f64 / 1_000_000.0);
    let view =
        ArticleView { from_name: head.from.name.clone(), from_email: head.from.email.clone(), ..Default::default() };
    let mut notice = Notice::automatic("too_large", lang, vec![sender.clone()], &settings.outgoing.from_name, view);
    notice.details = serde_json::json!({ "mail": {
        "subject": head.subject,
        "received_at": desk.now.to_rfc3339(),
        "to": from_address,
        "size_label": megabytes(raw.len()),
        "limit_label": megabytes(settings.limits.max_message_bytes),
    }});
    let queued = desk.queue_unticketed(conn, notice, &from_address, head.message_id.as_deref()).map_err(Stop::from)?;
    Ok(queued.map(|_| sender.email))
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

/// Decides what `raw` is and writes it. `parsed`: its decoding, when the
/// caller has it already (see [`prepare`]).
fn process(
    conn: &mut Conn,
    desk: &Desk<'_>,
    mailbox: &str,
    raw_id: i64,
    raw: &[u8],
    parsed: Option<Result<InboundMail, Unusable>>,
) -> Result<Outcome, Stop> {
    let now = desk.now.naive_utc();
    let limit = desk.settings.limits.max_message_bytes;
    if raw.len() > limit {
        let mut reason = format!("message is {} bytes, over limits.max_message_bytes = {limit}", raw.len());
        // Once: a retry from quarantine does not tell the sender again.
        if queries::quarantine_for_raw(conn, raw_id)?.is_none() {
            if let Some(told) = tell_too_large(conn, desk, mailbox, raw)? {
                reason.push_str(&format!("; {told} was told"));
            }
        }
        return Ok(quarantine(conn, mailbox, raw_id, None, &reason, now)?);
    }
    let parsed = parsed.unwrap_or_else(|| InboundMail::parse_limited(raw, desk.settings.limits.max_html_bytes));
    let mail = match parsed {
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
    // A technician's address with no proof (when proof is asked for) is
    // anybody's: handled as a stranger's mail, and said so.
    let authentication = mail.facts.header_all("authentication-results");
    let (staff, unproven) = match desk.settings.technician_sender(&mail.from.email, authentication) {
        Ok(t) => (t, None),
        Err(why) => {
            tracing::warn!(from = %mail.from.email, %why, "mail from a technician's address without proof: handled as a stranger's");
            (None, Some(format!("from a technician's address without proof: {why}")))
        }
    };
    let record = |conn: &mut Conn, outcome: Outcome, reason: &str| -> Result<Outcome, Stop> {
        let Some(u) = &unproven else { return record(conn, outcome, reason) };
        if let Some(ticket) = outcome.ticket() {
            let event = NewEvent {
                ticket_id: ticket,
                actor: &mail.from.email,
                kind: "sender_unproven",
                old_value: None,
                new_value: Some(u),
                article_id: None,
                created_at: now,
            };
            queries::insert_event(conn, &event)?;
        }
        record(conn, outcome, &format!("{reason}; {u}"))
    };
    // A technician's own auto-reply says they are away: no new tickets for
    // them for a while; their next mail of their own says they are back.
    if let Some(tech) = staff {
        match class.kind {
            MailKind::AutoReply => {
                let until = desk.now + desk.settings.tickets.away_after_auto_reply;
                queries::set_away(conn, &tech.email, until.naive_utc(), &mail.subject, now)?;
                tracing::info!(technician = %tech.email, "auto-reply from a technician: away for new tickets");
            }
            MailKind::Human if queries::clear_away(conn, &tech.email)? => {
                tracing::info!(technician = %tech.email, "technician back: takes new tickets again");
            }
            _ => {}
        }
    }
    let mut ctx = Ctx { conn, desk, mail: &mail, staff, raw_id, mailbox, now, list: class.kind == MailKind::List };
    let (outcome, reason) = match class.kind {
        MailKind::Own => {
            (Outcome::Automatic { kind: class.kind, ticket: found.as_ref().map(|t| t.id) }, class.reason.clone())
        }
        MailKind::AutoReply | MailKind::Bounce | MailKind::Feedback => {
            let bounce = class.kind == MailKind::Bounce;
            // A report returns our mail: its Message-ID names the ticket.
            let found = match found {
                None if bounce => match queries::ticket_by_message_ids(ctx.conn, &mail.report.returned)? {
                    Some(id) => queries::ticket(ctx.conn, id)?,
                    None => None,
                },
                other => other,
            };
            let failed = if bounce { ctx.delivery_failed(found.as_ref())? } else { String::new() };
            let reason = format!("{}{failed}", class.reason);
            match &found {
                Some(ticket) => {
                    ctx.article(ticket, "in", "internal", "automatic", &mail.text)?;
                    (Outcome::Article { ticket: ticket.id }, reason)
                }
                None => (Outcome::Automatic { kind: class.kind, ticket: None }, reason),
            }
        }
        MailKind::Human | MailKind::List if mail.from.email.is_empty() => {
            let reason = Unusable::NoSender.to_string();
            return Ok(quarantine(ctx.conn, mailbox, raw_id, Some(&mail.body_sha256), &reason, now)?);
        }
        MailKind::Human | MailKind::List => {
            // They wrote: whatever bounced before, their address works.
            if queries::clear_undeliverable(ctx.conn, &mail.from.email)? {
                tracing::info!(from = %mail.from.email, "address known to fail wrote to us: deliverable again");
            }
            let answer = class.kind.may_be_answered();
            match found {
                Some(ticket) => ctx.person_mail(ticket, answer)?,
                None => {
                    let opening = Opening::of_mail(desk.settings, &mail, staff, ctx.list);
                    let routing = route(desk.settings, mailbox, &mail, &opening.requester.email);
                    if let Some(why) = &routing.quarantine {
                        let rule = routing.matched().last().cloned().unwrap_or_default();
                        let reason = format!("held by rule `{rule}`: {why}");
                        return Ok(quarantine(ctx.conn, mailbox, raw_id, Some(&mail.body_sha256), &reason, now)?);
                    }
                    ctx.new_mail(opening, routing, answer)?
                }
            }
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

mod opening;
pub(crate) use opening::Opening;
mod technician;

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
    /// The technician who wrote it, proven as the config asks.
    staff: Option<&'d Technician>,
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
            let cid = a.content_id.as_deref();
            queries::insert_attachment(self.conn, id, &a.filename, &a.content_type, a.inline, cid, &a.content)?;
        }
        if let Some(mid) = &m.message_id {
            let audience = if visibility == "public" && role != "technician" { "public" } else { "staff" };
            queries::record_message_id(self.conn, mid, ticket.id, "in", audience, self.now)?;
        }
        queries::touch_ticket(self.conn, ticket.id, self.now)?;
        self.event(ticket.id, &m.from.email, "article", None, Some(visibility), Some(id))?;
        if let Some(size) = m.html_dropped {
            let limit = self.desk.settings.limits.max_html_bytes;
            let why = format!("HTML body of {size} bytes over limits.max_html_bytes = {limit}: text kept");
            self.event(ticket.id, "guichet", "html_not_kept", Some(&why), None, Some(id))?;
        }
        if let Some(charset) = &m.unknown_charset {
            let why = format!(
                "written in the charset `{charset}`, which no table here reads: read as UTF-8 where valid, else as windows-1252; the original mail is kept"
            );
            self.event(ticket.id, "guichet", "charset_unknown", Some(&why), Some(charset), Some(id))?;
        }
        Ok(id)
    }

    fn role(&mut self, ticket: &Ticket) -> Result<Role, Stop> {
        let sender = &self.mail.from.email;
        if self.staff.is_some() {
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

    fn person_mail(&mut self, ticket: Ticket, answer: bool) -> Result<(Outcome, String), Stop> {
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
                    let list = |v: &[Mailbox]| v.iter().map(Mailbox::to_string).collect::<Vec<_>>().join(", ");
                    let details =
                        serde_json::json!({ "alert": { "to": list(&self.mail.to), "cc": list(&self.mail.cc) } });
                    self.notify_technicians_with(&ticket, "stranger_alert", view, &details)?;
                    Ok((Outcome::Article { ticket: ticket.id }, format!("{reason}: kept internal")))
                }
                StrangerPolicy::NewTicket => {
                    let id = self.open_routed(None, answer)?;
                    Ok((Outcome::Ticket { ticket: id }, format!("{reason}: opened a separate ticket")))
                }
            },
            Role::Requester | Role::Watcher => {
                if role == Role::Requester {
                    if let Some(done) = self.survey_answer(&ticket, &reason)? {
                        return Ok(done);
                    }
                    if let Some(done) = self.self_service(&ticket, &reason)? {
                        return Ok(done);
                    }
                }
                let status: Status = ticket.status.parse().unwrap_or(Status::New);
                let closed_at = ticket.closed_at.map(|t| t.and_utc());
                match threading::on_closed(status, closed_at, self.desk.now, self.desk.settings.tickets.reopen_days) {
                    OnClosed::NewLinked => {
                        let id = self.open_routed(Some(ticket.id), answer)?;
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
                        // "Merci !" after the resolution is kept, not a reason to reopen.
                        let thanks = how == OnClosed::Reopen && thanks_only(&trimmed);
                        if thanks {
                            self.event(ticket.id, &self.mail.from.email.clone(), "thanks", None, None, None)?;
                        } else if how == OnClosed::Reopen || status == Status::Pending {
                            let next = Status::reopened(ticket.assignee.is_some());
                            let kind = if how == OnClosed::Reopen { "reopened" } else { "status" };
                            self.set_status(&ticket, status, next, &self.mail.from.email.clone(), kind)?;
                            self.timers(ticket.id, false)?;
                        }
                        // The technicians read the ticket as this mail left it.
                        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
                        let view = self.article_view(&trimmed, false, false);
                        self.notify_technicians(&current, "new_article", view)?;
                        let reason = if thanks { format!("{reason}: thanks, kept closed") } else { reason };
                        Ok((Outcome::Article { ticket: current.id }, reason))
                    }
                }
            }
        }
    }

    /// The requester answers the satisfaction survey: the rating (a digit,
    /// or words that leave no doubt) and their words are recorded, and the
    /// ticket stays closed — unless they say the problem is back, which
    /// goes on as any reply to the ticket. `None`: not an answer.
    fn survey_answer(&mut self, ticket: &Ticket, reason: &str) -> Result<Option<(Outcome, String)>, Stop> {
        let Some(survey) = queries::survey_by_message_ids(self.conn, &self.mail.references)? else { return Ok(None) };
        if survey.ticket_id != ticket.id {
            return Ok(None);
        }
        let trimmed = trim_reply(&self.mail.text);
        let said = survey::read_answer(&trimmed);
        if said.problem_back {
            self.event(ticket.id, &self.mail.from.email.clone(), "survey_problem_back", None, None, None)?;
            return Ok(None);
        }
        self.article(ticket, "in", "public", Role::Requester.as_str(), &trimmed)?;
        sla::survey::answer(self.conn, self.desk, &survey, said.rating, &trimmed, "mail")?;
        let how = match said.rating {
            Some(r) => format!("{reason}: survey answered, rating {r}"),
            None => format!("{reason}: survey answered without a clear rating, kept as a comment"),
        };
        Ok(Some((Outcome::Article { ticket: ticket.id }, how)))
    }

    /// The requester says an article their acknowledgement suggested
    /// solved the problem: the ticket is resolved as self-service, the
    /// best suggested article counted as useful, the technicians told, the
    /// requester sent the usual closing word. `None`: not such a reply.
    fn self_service(&mut self, ticket: &Ticket, reason: &str) -> Result<Option<(Outcome, String)>, Stop> {
        let status: Status = ticket.status.parse().unwrap_or(Status::New);
        if status.is_closed() {
            return Ok(None);
        }
        let trimmed = trim_reply(&self.mail.text);
        if !crate::domain::knowledge::says_solved(&trimmed, &self.desk.settings.knowledge.solved_words) {
            return Ok(None);
        }
        let suggested = crate::store::kb::suggestions(self.conn, ticket.id)?;
        let Some((best, _)) = suggested.first() else { return Ok(None) };
        let actor = self.mail.from.email.clone();
        self.article(ticket, "in", "public", Role::Requester.as_str(), &trimmed)?;
        self.set_status(ticket, status, Status::Resolved, &actor, "status")?;
        self.event(ticket.id, &actor, "self_service", None, Some(&best.id.to_string()), None)?;
        crate::store::kb::count_useful(self.conn, best.id)?;
        self.timers(ticket.id, false)?;
        let current = queries::ticket(self.conn, ticket.id)?.unwrap_or_else(|| ticket.clone());
        let view = self.article_view(&trimmed, false, false);
        self.notify_technicians(&current, "new_article", view)?;
        let to = Mailbox { email: self.mail.from.email.clone(), name: self.mail.from.name.clone() };
        let change =
            ChangeView { old: Some(status), new: Some(Status::Resolved), by_name: self.mail.from.name.clone() };
        self.tell_status(&current, to, change, "")?;
        Ok(Some((
            Outcome::Article { ticket: ticket.id },
            format!("{reason}: solved with knowledge base article {}, resolved as self-service", best.id),
        )))
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
            // Images go where the HTML showed them; other inline parts
            // (an unreferenced logo) stay behind.
            attachments: m.attachments.iter().filter(|a| !a.inline || a.in_html).cloned().collect(),
        }
    }

    /// Keeps the ticket's SLA timers and survey in step with its new state.
    fn timers(&mut self, ticket: i64, responded: bool) -> Result<(), Stop> {
        if let Some(t) = queries::ticket(self.conn, ticket)? {
            sla::sync(self.conn, self.desk.settings, &t, responded, self.desk.now)?;
        }
        Ok(())
    }

    fn set_status(&mut self, ticket: &Ticket, from: Status, to: Status, actor: &str, kind: &str) -> Result<(), Stop> {
        let closed_at = to.is_closed().then_some(self.now);
        queries::set_status(self.conn, ticket.id, to.as_str(), closed_at, self.now)?;
        self.event(ticket.id, actor, kind, Some(from.as_str()), Some(to.as_str()), None)
    }

    /// A mail that threads onto no ticket: held by a rule, gathered on a
    /// monitoring event, or a new ticket.
    fn new_mail(&mut self, opening: Opening, routing: Routing, answer: bool) -> Result<(Outcome, String), Stop> {
        if let Some(key) = routing.event_key.clone() {
            return self.monitoring_event(&key, opening, routing, answer);
        }
        let how = match &opening.by {
            Some(t) if t.email != opening.requester.email => {
                format!("new ticket, opened by {} for its requester", t.email)
            }
            _ => "new ticket".to_string(),
        };
        let id = self.open_ticket(None, opening, routing, answer)?;
        Ok((Outcome::Ticket { ticket: id }, how))
    }

    /// Monitoring: one open ticket per key. A repeated alert is counted on
    /// it; a recovery resolves it.
    fn monitoring_event(
        &mut self,
        key: &str,
        opening: Opening,
        routing: Routing,
        answer: bool,
    ) -> Result<(Outcome, String), Stop> {
        let open = queries::open_event_ticket(self.conn, key)?;
        let actor = self.mail.from.email.clone();
        match (open, routing.event_recovery) {
            (Some(ticket), recovery) => {
                let trimmed = trim_reply(&self.mail.text);
                let article = self.article(&ticket, "in", "internal", "automatic", &trimmed)?;
                if recovery {
                    let status: Status = ticket.status.parse().unwrap_or(Status::New);
                    self.set_status(&ticket, status, Status::Resolved, &actor, "status")?;
                    self.event(ticket.id, &actor, "event_recovered", None, Some(key), Some(article))?;
                    self.timers(ticket.id, false)?;
                    let current = queries::ticket(self.conn, ticket.id)?.unwrap_or(ticket);
                    let view = self.article_view(&trimmed, false, true);
                    self.notify_technicians(&current, "new_article", view)?;
                    self.resolve_children(&current, &actor, "", Status::Resolved)?;
                    Ok((Outcome::Article { ticket: current.id }, format!("monitoring `{key}` recovered")))
                } else {
                    let n = queries::count_event(self.conn, ticket.id, self.now)?;
                    self.event(ticket.id, &actor, "event_repeated", None, Some(&n.to_string()), Some(article))?;
                    Ok((Outcome::Article { ticket: ticket.id }, format!("monitoring `{key}` repeated ({n} alerts)")))
                }
            }
            (None, true) => Ok((
                Outcome::Automatic { kind: MailKind::Human, ticket: None },
                format!("monitoring `{key}` recovered, but no ticket of it is open"),
            )),
            (None, false) => {
                let id = self.open_ticket(None, opening, routing, answer)?;
                Ok((Outcome::Ticket { ticket: id }, format!("new monitoring event `{key}`")))
            }
        }
    }

    /// Tells a technician a ticket is now theirs.
    fn notify_assignee(&mut self, ticket: &Ticket, email: &str, article: ArticleView) -> Result<(), Stop> {
        self.notify_assignee_with(ticket, email, article, &Value::Null)
    }

    fn notify_assignee_with(
        &mut self,
        ticket: &Ticket,
        email: &str,
        article: ArticleView,
        details: &Value,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let Some(tech) = settings.technician(email) else { return Ok(()) };
        self.desk.tell_technicians(self.conn, ticket, &[tech], "assigned", article, details)?;
        Ok(())
    }

    /// Everyone else a participant wrote to follows the ticket from now on.
    fn add_watchers(&mut self, ticket: &Ticket, requester: &str) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let ours = settings.our_addresses();
        let mut known: std::collections::HashSet<String> =
            queries::watchers(self.conn, ticket.id)?.into_iter().map(|c| c.email).collect();
        let m = self.mail;
        let cap = settings.limits.max_watchers;
        let mut left_out = 0usize;
        for w in m.to.iter().chain(&m.cc) {
            let skip = ours.contains(&w.email)
                || w.email == requester
                || known.contains(&w.email)
                || settings.technician(&w.email).is_some();
            if skip {
                continue;
            }
            // A mail to a whole company does not copy the company on every answer.
            if known.len() >= cap {
                left_out += 1;
                continue;
            }
            let c = queries::upsert_contact(self.conn, &w.email, &w.name, None, self.now)?;
            queries::add_watcher(self.conn, ticket.id, c.id)?;
            self.event(ticket.id, &m.from.email, "watcher_added", None, Some(&c.email), None)?;
            known.insert(c.email);
        }
        if left_out > 0 {
            let what = format!("{left_out} more address(es) not added: limits.max_watchers = {cap}");
            self.event(ticket.id, "guichet", "watchers_capped", None, Some(&what), None)?;
        }
        Ok(())
    }

    /// A delivery report: each recipient failing for good is marked
    /// undeliverable (no automatic mail for `limits.undeliverable_days`);
    /// on the ticket of the returned mail each failure is an event, and the
    /// technicians are told. Returns what to add to the mail's reason.
    fn delivery_failed(&mut self, ticket: Option<&Ticket>) -> Result<String, Stop> {
        let settings = self.desk.settings;
        let ours = settings.our_addresses();
        let report = &self.mail.report;
        let failures: Vec<_> = report.failures.iter().filter(|f| !ours.contains(&f.recipient)).cloned().collect();
        if failures.is_empty() {
            return Ok(String::new());
        }
        let mut marked = Vec::new();
        if settings.limits.undeliverable_for > chrono::Duration::zero() {
            let until = (self.desk.now + settings.limits.undeliverable_for).naive_utc();
            for f in failures.iter().filter(|f| f.bad_address) {
                queries::set_undeliverable(self.conn, &f.recipient, until, self.now)?;
                marked.push(f.recipient.clone());
            }
        }
        if let Some(t) = ticket {
            let returned = report.returned.first().cloned();
            for f in &failures {
                let kind = if f.permanent { "delivery_failed" } else { "delivery_delayed" };
                let what = [f.recipient.as_str(), f.status.as_str(), f.diagnostic.as_str()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                self.event(t.id, "guichet", kind, returned.as_deref(), Some(&what), None)?;
            }
            if failures.iter().any(|f| f.permanent) {
                let list: Vec<serde_json::Value> = failures
                    .iter()
                    .filter(|f| f.permanent)
                    .map(|f| serde_json::json!({ "recipient": f.recipient, "status": f.status, "diagnostic": f.diagnostic }))
                    .collect();
                let details = serde_json::json!({ "bounce": {
                    "failures": list,
                    "undeliverable_days": settings.limits.undeliverable_for.num_days(),
                }});
                let view = ArticleView { attachments: Vec::new(), ..self.article_view("", false, true) };
                self.notify_technicians_with(t, "delivery_failed", view, &details)?;
            }
        }
        Ok(match marked.is_empty() {
            true => String::new(),
            false => format!("; undeliverable: {}", marked.join(", ")),
        })
    }

    /// Tells the assignee; or, when nobody has the ticket, its group's
    /// technicians (every technician when it has no group); one mail per
    /// language.
    fn notify_technicians(&mut self, ticket: &Ticket, template: &str, article: ArticleView) -> Result<(), Stop> {
        self.notify_technicians_with(ticket, template, article, &serde_json::Value::Null)
    }

    fn notify_technicians_with(
        &mut self,
        ticket: &Ticket,
        template: &str,
        article: ArticleView,
        details: &serde_json::Value,
    ) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let sender = &self.mail.from.email;
        let group = ticket.group_name.as_deref().filter(|g| settings.group_members(g).next().is_some());
        let techs: Vec<_> = settings
            .technicians
            .iter()
            .filter(|t| match (&ticket.assignee, group) {
                (Some(a), _) => *a == t.email,
                (None, Some(g)) => t.groups.iter().any(|x| x == g),
                (None, None) => true,
            })
            .filter(|t| &t.email != sender)
            .collect();
        Ok(self.desk.tell_technicians(self.conn, ticket, &techs, template, article, details)?)
    }

    /// Closing a parent (a problem, a major incident) closes its open
    /// children the same way, and tells each requester.
    fn resolve_children(&mut self, parent: &Ticket, actor: &str, text: &str, to: Status) -> Result<(), Stop> {
        let settings = self.desk.settings;
        // A requester with several tickets under the parent is told once.
        let mut told = std::collections::BTreeSet::new();
        for child in queries::open_children(self.conn, parent.id)? {
            let from: Status = child.status.parse().unwrap_or(Status::New);
            self.set_status(&child, from, to, actor, "status")?;
            self.event(child.id, actor, "closed_with_parent", None, Some(&parent.id.to_string()), None)?;
            self.timers(child.id, false)?;
            let child = queries::ticket(self.conn, child.id)?.unwrap_or(child);
            let requester = queries::contact(self.conn, child.requester_id)?;
            if !told.insert(requester.email.clone()) {
                continue;
            }
            let by_name = settings.technician(actor).map_or(String::new(), |t| t.name.clone());
            let recipient = Mailbox { email: requester.email.clone(), name: requester.name.clone() };
            self.tell_status(&child, recipient, ChangeView { old: Some(from), new: Some(to), by_name }, text)?;
        }
        Ok(())
    }

    /// Tells `to` (in the ticket's language) of a status change made for
    /// them, with `text` as the words that came with it.
    fn tell_status(&mut self, ticket: &Ticket, to: Mailbox, change: ChangeView, text: &str) -> Result<(), Stop> {
        let settings = self.desk.settings;
        let lang: Lang = ticket.language.parse().unwrap_or(settings.tickets.language);
        let article = ArticleView { text: text.to_string(), ..ArticleView::default() };
        let notice = Notice {
            change,
            ..Notice::automatic("status_changed", lang, vec![to], &settings.outgoing.from_name, article)
        };
        self.desk.queue(self.conn, ticket, notice)?;
        Ok(())
    }
}
