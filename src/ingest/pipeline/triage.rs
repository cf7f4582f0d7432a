//! Triage: what a mail is and who wrote it, before anything is stored
//! about it; then the one place that sends it down its path.

use super::*;
use crate::domain::ask::{self, Question};
use crate::domain::classify::Classification;

/// What a mail is, decided from the mail and the config alone, before the
/// store is read: the same for the pipeline and `guichet rules test`.
pub struct Triage<'s> {
    pub class: Classification,
    /// The technician who wrote it, proven as the config asks.
    pub staff: Option<&'s Technician>,
    /// Why mail from a technician's address is not taken as theirs: no
    /// proof where proof is asked for. It is then anybody's mail, or held
    /// until they confirm it ([`Path::Unconfirmed`]).
    pub unproven: Option<String>,
    pub path: Path,
    /// What it asks, on [`Path::Ask`].
    pub question: Option<Question>,
}

/// The way a mail goes after triage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// Our own mail come back: recorded, nothing else.
    Own,
    /// An auto-reply, a delivery report or a feedback report: kept on the
    /// ticket it is about, if any, never answered.
    Automatic,
    /// A person's mail (or a list's) without a sender to answer: held.
    NoSender,
    /// A person's mail (or a list's): threads onto a ticket or opens one.
    Person,
    /// A person's question (a technician's `#list`, a requester's "my
    /// tickets"): answered, opens nothing.
    Ask,
    /// A person's mail from a technician's address that nothing proves
    /// theirs (no reply token, no trusted authentication): held, and the
    /// technician asked to confirm it.
    Unconfirmed,
}

/// Triage of `mail`: its kind, who wrote it and the way it goes. `token`:
/// the mail carries a valid reply token of its sender's.
pub fn triage<'s>(mail: &InboundMail, settings: &'s Settings, token: bool) -> Triage<'s> {
    let class = classify(&mail.facts, &settings.own);
    let authentication = mail.facts.header_all("authentication-results");
    let (staff, unproven, confirm) = match settings.technician_sender(&mail.from.email, authentication, token) {
        Ok(t) => (t, None, false),
        Err(why) => (None, Some(format!("from a technician's address without proof: {why}")), why == Unproven::NoToken),
    };
    let asked = question(mail, settings, staff);
    let path = match class.kind {
        MailKind::Own => Path::Own,
        MailKind::AutoReply | MailKind::Bounce | MailKind::Feedback => Path::Automatic,
        MailKind::Human | MailKind::List if mail.from.email.is_empty() => Path::NoSender,
        MailKind::Human if confirm && asked.is_none() => Path::Unconfirmed,
        // A list's mail is never answered.
        MailKind::Human if asked.is_some() => Path::Ask,
        MailKind::Human | MailKind::List => Path::Person,
    };
    let question = if path == Path::Ask { asked } else { None };
    Triage { class, staff, unproven, path, question }
}

/// What `mail` asks, if it is a question: a technician's `#list` or
/// `#show` on its first line, anybody's "my tickets".
fn question(mail: &InboundMail, settings: &Settings, staff: Option<&Technician>) -> Option<Question> {
    if staff.is_some() {
        if let Some(q) = ask::technician_question(&mail.text) {
            return Some(q);
        }
    }
    let recipients =
        mail.to.iter().chain(&mail.cc).map(|m| m.email.as_str()).chain(mail.delivered_to.iter().map(String::as_str));
    let names_a_ticket = settings.tickets.subject_tag.number(&mail.subject).is_some();
    ask::requester_question(&mail.subject, &mail.text, recipients, settings.our_addresses(), names_a_ticket)
}

/// A stored mail to decide on.
#[derive(Clone, Copy)]
pub(super) struct Stored<'r> {
    pub mailbox: &'r str,
    pub raw_id: i64,
    pub raw: &'r [u8],
    /// Its technician confirmed it is theirs (it was held without proof).
    pub confirmed: bool,
}

impl<'r> Stored<'r> {
    pub fn new(mailbox: &'r str, raw_id: i64, raw: &'r [u8]) -> Self {
        Stored { mailbox, raw_id, raw, confirmed: false }
    }
}

/// Decides what `raw` is and writes it. `parsed`: its decoding, when the
/// caller has it already (see [`prepare`]).
pub(super) fn process(
    conn: &mut Conn,
    group: &mut Group,
    desk: &Desk<'_>,
    stored: Stored<'_>,
    parsed: Option<Result<InboundMail, Unusable>>,
) -> Result<Outcome, Stop> {
    let Stored { mailbox, raw_id, raw, confirmed } = stored;
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
    let proof = if confirmed { Proof { token: true, confirms: None } } else { proof(conn, desk, &mail)? };
    let Triage { class, staff, unproven, path, question } = triage(&mail, desk.settings, proof.token);
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

    if let Some(held) = proof.confirms {
        return confirm(conn, group, desk, &mail, held, record);
    }
    if path == Path::Unconfirmed {
        // Held until the technician says it is theirs: nothing it asks is done.
        let why = unproven.as_deref().unwrap_or_default();
        let tech = desk.settings.technician(&mail.from.email);
        let reason = format!("{why}; held until the technician confirms it");
        let held = quarantine(conn, mailbox, raw_id, Some(&mail.body_sha256), &reason, now)?;
        if let (Outcome::Quarantined { id, .. }, Some(tech)) = (&held, tech) {
            let asked = ask_to_confirm(conn, desk, mailbox, &mail, tech, *id)?;
            tracing::warn!(from = %mail.from.email, held = id, asked, "mail from a technician's address without proof: held");
        }
        return Ok(held);
    }
    let found = find_ticket(conn, desk, &mail)?;
    // A technician's address with no proof (when proof is asked for) is
    // anybody's: handled as a stranger's mail, and said so.
    if let Some(why) = &unproven {
        tracing::warn!(from = %mail.from.email, %why, "mail from a technician's address: handled as a stranger's");
    }
    let record = |conn: &mut Conn, outcome: Outcome, reason: &str| -> Result<Outcome, Stop> {
        let Some(u) = &unproven else { return record(conn, outcome, reason) };
        if let Some(ticket) = outcome.ticket() {
            let event = NewEvent {
                ticket_id: ticket,
                actor: &mail.from.email,
                kind: EventKind::SenderUnproven,
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
    // An auto-reply answers the envelope sender, never a Reply-To: without
    // trusted authentication, its address alone says who is away.
    let away = match (staff, class.kind, desk.settings.tickets.trusted_authserv_ids.is_empty()) {
        (None, MailKind::AutoReply, true) => desk.settings.technician(&mail.from.email),
        _ => staff,
    };
    if let Some(tech) = away {
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
    let list = class.kind == MailKind::List;
    // A technician's forward opens the ticket of the mail it carries: the
    // decisions read that mail, as its sender sent it.
    let forward = match (path, &found, staff) {
        (Path::Person, None, Some(_)) => forwarded(desk.settings, &mail),
        _ => None,
    };
    let decided = forward.as_ref().map_or(&mail, |f| &f.mail);
    let mut ctx = Ctx { conn, group, desk, mail: decided, staff, raw_id, mailbox, now, list };
    let (outcome, reason) = match path {
        Path::Own => {
            (Outcome::Automatic { kind: class.kind, ticket: found.as_ref().map(|t| t.id) }, class.reason.clone())
        }
        Path::Automatic => {
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
                    ctx.article(ticket, Direction::In, Visibility::Internal, AuthorRole::Automatic, &mail.text)?;
                    (Outcome::Article { ticket: ticket.id }, reason)
                }
                None => (Outcome::Automatic { kind: class.kind, ticket: None }, reason),
            }
        }
        Path::Ask => ctx.answer(question.as_ref().unwrap_or(&Question::Unclear(String::new())))?,
        Path::Unconfirmed => unreachable!("held above"),
        Path::NoSender => {
            let reason = Unusable::NoSender.to_string();
            return Ok(quarantine(ctx.conn, mailbox, raw_id, Some(&mail.body_sha256), &reason, now)?);
        }
        Path::Person => {
            // They wrote: whatever bounced before, their address works.
            if queries::clear_undeliverable(ctx.conn, &mail.from.email)? {
                tracing::info!(from = %mail.from.email, "address known to fail wrote to us: deliverable again");
            }
            let answer = class.kind.may_be_answered();
            match found {
                Some(ticket) => ctx.person_mail(ticket, answer)?,
                // A technician answering a list: no request of theirs.
                None if staff.is_some()
                    && queries::answers_one_of(ctx.conn, &mail.references, ask::LIST_TEMPLATES)? =>
                {
                    ctx.answer(&Question::Reply)?
                }
                None => {
                    let opening = match (&forward, staff) {
                        (Some(f), Some(tech)) => Opening::of_forward(&mail, f, tech),
                        _ => Opening::of_mail(desk.settings, &mail, staff, ctx.list),
                    };
                    let routing = route(desk.settings, mailbox, decided, &opening.requester.email);
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

/// A technician's reply to a confirmation: the mail held for them runs as
/// theirs, and the reply itself is recorded as that confirmation.
fn confirm(
    conn: &mut Conn,
    group: &mut Group,
    desk: &Desk<'_>,
    mail: &InboundMail,
    held: i64,
    record: impl Fn(&mut Conn, Outcome, &str) -> Result<Outcome, Stop>,
) -> Result<Outcome, Stop> {
    let Some((entry, raw)) = held_for(conn, held, &mail.from.email)? else {
        tracing::info!(from = %mail.from.email, held, "confirmation of a mail no longer held: nothing to do");
        return record(conn, Outcome::Confirmed { held, ticket: None }, "confirmation: nothing held any more");
    };
    queries::delete_inbound_for_raw(conn, entry.raw_message_id)?;
    let stored = Stored { mailbox: &entry.mailbox, raw_id: entry.raw_message_id, raw: &raw, confirmed: true };
    let outcome = process(conn, group, desk, stored, None)?;
    if !matches!(outcome, Outcome::Quarantined { .. }) {
        queries::release_quarantine(conn, held, desk.now.naive_utc())?;
    }
    tracing::info!(from = %mail.from.email, held, outcome = outcome.label(), "held mail confirmed by its technician");
    let reason = format!("confirmed held mail {held}: {}", outcome.label());
    record(conn, Outcome::Confirmed { held, ticket: outcome.ticket() }, &reason)
}
