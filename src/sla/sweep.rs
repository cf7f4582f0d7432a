//! The sweeper: finds tickets with work due at the clock's time and does
//! it, one ticket per transaction. On PostgreSQL a ticket another instance
//! is sweeping is skipped; every step is recorded on the row it fires from
//! in the same transaction as its mail, so a restart fires nothing twice
//! and loses nothing.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{calendar_of, event, minutes_label, timer_of, SlaError};
use crate::domain::history::EventKind;
use crate::domain::sla::{TimerKind, TimerState};
use crate::domain::ticket::{priority_label, Lang, Status};
use crate::mail::inbound::Mailbox;
use crate::notify::outbox::{ArticleView, ChangeView, Desk, Notice, QueueError};
use crate::store::models::{SlaTimer, Ticket};
use crate::store::{queries, Conn, Store};

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub warned: usize,
    pub breached: usize,
    pub reminded: usize,
    pub closed: usize,
    pub surveys: usize,
    pub digests: usize,
    /// Raw mails, quarantine entries and tickets `[retention]` removed or
    /// anonymised.
    pub retention: usize,
}

impl SweepReport {
    pub fn is_empty(&self) -> bool {
        *self == SweepReport::default()
    }
}

/// Does everything due at `desk.now`.
pub fn sweep(store: &Store, desk: &Desk<'_>) -> Result<SweepReport, SlaError> {
    let now = desk.now;
    let pending = &desk.settings.pending;
    let remind_before = pending.remind_after.map(|d| (now - d).naive_utc());
    let close_before = pending.close_after.map(|d| (now - d).naive_utc());
    let ids = {
        let mut conn = store.conn()?;
        queries::tickets_with_work_due(&mut conn, now.naive_utc(), remind_before, close_before)?
    };
    let mut report = SweepReport::default();
    for id in ids {
        store.write(|conn| -> Result<(), SlaError> { sweep_ticket(conn, desk, id, &mut report) })?;
    }
    report.digests = super::digest::send_due(store, desk)?;
    report.retention = retention(store, desk)?;
    Ok(report)
}

/// One batch of `[retention]` (at most `batch` rows of each kind, a tenth
/// of that in tickets), so
/// that no sweep holds a long transaction; the rest goes at the next.
fn retention(store: &Store, desk: &Desk<'_>) -> Result<usize, SlaError> {
    use crate::store::retention::{run_batch, Cutoffs};
    let policy = &desk.settings.retention;
    let cut = Cutoffs::of(policy, desk.now);
    if cut.is_off() {
        return Ok(0);
    }
    let technicians: Vec<String> = desk.settings.technicians.iter().map(|t| t.email.clone()).collect();
    // A ticket costs about as much as a hundred rows: a tenth of the batch
    // of tickets keeps a pass short (`guichet retention` takes full ones).
    let batch = i64::from(policy.batch);
    let done = run_batch(store, &cut, batch, (batch / 10).max(1), &technicians, desk.now.naive_utc())?;
    Ok(done.raw_mail + done.quarantine + done.anonymised.len() + done.deleted.len())
}

fn sweep_ticket(conn: &mut Conn, desk: &Desk<'_>, id: i64, report: &mut SweepReport) -> Result<(), SlaError> {
    let Some(ticket) = queries::lock_ticket(conn, id)? else { return Ok(()) };
    let now = desk.now;
    let kinds: Vec<i64> = queries::sla_timers(conn, id)?.iter().map(|r| r.id).collect();
    for timer in kinds {
        // Read afresh: a breach just before may have re-targeted this one.
        let Some(row) = queries::sla_timers(conn, id)?.into_iter().find(|r| r.id == timer) else { continue };
        if row.state != TimerState::Running.as_str() {
            continue;
        }
        if row.due_at <= now.naive_utc() {
            breach(conn, desk, &ticket, &row)?;
            report.breached += 1;
        } else if row.warned_at.is_none() && row.warn_at.is_some_and(|w| w <= now.naive_utc()) {
            warn(conn, desk, &ticket, &row)?;
            report.warned += 1;
        }
    }
    let ticket = queries::ticket(conn, id)?.unwrap_or(ticket);
    if ticket.status == Status::Pending.as_str() {
        if let Some(since) = ticket.pending_since.map(|s| s.and_utc()) {
            let pending = &desk.settings.pending;
            if pending.close_after.is_some_and(|d| since + d <= now) {
                auto_close(conn, desk, &ticket, since)?;
                report.closed += 1;
            } else if ticket.reminded_at.is_none() && pending.remind_after.is_some_and(|d| since + d <= now) {
                remind(conn, desk, &ticket, since)?;
                report.reminded += 1;
            }
        }
    }
    let ticket = queries::ticket(conn, id)?.unwrap_or(ticket);
    if super::survey::send_due(conn, desk, &ticket)? {
        report.surveys += 1;
    }
    Ok(())
}

/// A moment for the context: `Desk::context` shows it in each reader's zone.
fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn details(desk: &Desk<'_>, row: &SlaTimer, lang: Lang) -> serde_json::Value {
    let cal = calendar_of(desk.settings, &row.policy);
    let timer = timer_of(row);
    let left = timer.as_ref().map_or(0, |t| t.left_minutes(cal, desk.now));
    let kind: TimerKind = row.kind.parse().unwrap_or(TimerKind::Resolution);
    json!({ "sla": {
        "kind_label": kind.label(lang),
        "policy": row.policy,
        "due_at": when(row.due_at.and_utc()),
        "left_label": minutes_label(left),
        // Fired on time, a breach is not yet late by a minute.
        "overdue_label": if left < 0 { minutes_label(-left) } else { String::new() },
    }})
}

/// The assignee, or the group's technicians, learn the ticket is at risk.
fn warn(conn: &mut Conn, desk: &Desk<'_>, ticket: &Ticket, row: &SlaTimer) -> Result<(), SlaError> {
    let settings = desk.settings;
    let now = desk.now;
    let mut warned = row.clone();
    warned.warned_at = Some(now.naive_utc());
    queries::mark_timer(conn, row.id, Some(now.naive_utc()), row.breached_at, &row.state)?;
    let left = timer_of(row).map_or(0, |t| t.left_minutes(calendar_of(settings, &row.policy), now));
    let what = format!("{} ({}), {} left", row.kind, row.policy, minutes_label(left));
    event(conn, ticket.id, EventKind::SlaWarning, None, Some(&what), now)?;
    let techs: Vec<_> = match ticket.assignee.as_deref().and_then(|a| settings.technician(a)) {
        Some(t) => vec![t],
        None => match ticket.group_name.as_deref() {
            Some(g) if settings.group_members(g).next().is_some() => settings.group_members(g).collect(),
            _ => settings.technicians.iter().collect(),
        },
    };
    for lang in Lang::ALL.iter().copied() {
        let d = details(desk, &warned, lang);
        let these: Vec<_> =
            techs.iter().copied().filter(|t| t.language.unwrap_or(settings.tickets.language) == lang).collect();
        desk.tell_technicians(conn, ticket, &these, "sla_warning", ArticleView::default(), &d)?;
    }
    Ok(())
}

/// The target is missed: the group lead learns it and the policy's
/// escalation runs. The timer keeps counting (how late is a figure too).
fn breach(conn: &mut Conn, desk: &Desk<'_>, ticket: &Ticket, row: &SlaTimer) -> Result<(), SlaError> {
    let settings = desk.settings;
    let now = desk.now;
    // A warning not yet sent is not worth sending any more.
    let warned = row.warned_at.or(Some(now.naive_utc()));
    queries::mark_timer(conn, row.id, warned, Some(now.naive_utc()), TimerState::Breached.as_str())?;
    event(conn, ticket.id, EventKind::SlaBreached, Some(&row.policy), Some(&row.kind), now)?;

    let escalation =
        settings.sla.iter().find(|p| p.name == row.policy).map(|p| p.escalation.clone()).unwrap_or_default();
    let mut priority = ticket.priority;
    let mut group = ticket.group_name.clone();
    let mut assignee = ticket.assignee.clone();
    let (mut raised, mut moved, mut handed) = (None, None, None);
    if escalation.raise_priority && priority > 1 {
        priority -= 1;
        queries::set_priority(conn, ticket.id, priority, now.naive_utc())?;
        event(
            conn,
            ticket.id,
            EventKind::Priority,
            Some(&ticket.priority.to_string()),
            Some(&priority.to_string()),
            now,
        )?;
        raised = Some(priority);
    }
    if let Some(g) = escalation.group.as_ref().filter(|g| Some(*g) != group.as_ref()) {
        event(conn, ticket.id, EventKind::Group, group.as_deref(), Some(g), now)?;
        group = Some(g.clone());
        moved = Some(g.clone());
        // The new group's people decide who takes it, unless the policy names someone.
        if escalation.assignee.is_none() && assignee.is_some() {
            event(conn, ticket.id, EventKind::Assignee, assignee.as_deref(), None, now)?;
            assignee = None;
        }
    }
    if let Some(a) = escalation.assignee.as_ref().filter(|a| Some(*a) != assignee.as_ref()) {
        event(conn, ticket.id, EventKind::Assignee, assignee.as_deref(), Some(a), now)?;
        assignee = Some(a.clone());
        handed = Some(a.clone());
    }
    if moved.is_some() || handed.is_some() {
        queries::set_assignment(conn, ticket.id, assignee.as_deref(), group.as_deref(), now.naive_utc())?;
        // `assigned` means someone has it: the status follows the assignee.
        let to = match (ticket.status.parse(), &assignee) {
            (Ok(Status::New), Some(_)) => Some(Status::Assigned),
            (Ok(Status::Assigned), None) => Some(Status::New),
            _ => None,
        };
        if let Some(to) = to {
            queries::set_status(conn, ticket.id, to.as_str(), None, now.naive_utc())?;
            event(conn, ticket.id, EventKind::Status, Some(&ticket.status), Some(to.as_str()), now)?;
        }
    }
    let current = queries::ticket(conn, ticket.id)?.unwrap_or_else(|| ticket.clone());

    let mut told: Vec<&crate::config::Technician> = settings.group_lead(ticket.group_name.as_deref());
    if let (Some(g), None) = (&moved, &handed) {
        told.extend(settings.group_members(g));
    }
    if let Some(t) = handed.as_deref().and_then(|a| settings.technician(a)) {
        told.push(t);
    }
    told.sort_by(|a, b| a.email.cmp(&b.email));
    told.dedup_by(|a, b| a.email == b.email);
    for lang in Lang::ALL.iter().copied() {
        let mut d = details(desk, row, lang);
        d["sla"]["raised_priority_label"] = json!(raised.map(|p| priority_label(p, lang)).unwrap_or_default());
        d["sla"]["moved_to_group"] = json!(moved.clone().unwrap_or_default());
        let name = handed.as_deref().map(|a| settings.technician(a).map_or(a.to_string(), |t| t.name.clone()));
        d["sla"]["reassigned_to_name"] = json!(name.unwrap_or_default());
        let these: Vec<_> =
            told.iter().copied().filter(|t| t.language.unwrap_or(settings.tickets.language) == lang).collect();
        desk.tell_technicians(conn, &current, &these, "sla_breached", ArticleView::default(), &d)?;
    }
    // A raised priority or another group may fall under another policy.
    super::sync(conn, settings, &current, false, now)?;
    Ok(())
}

/// The technician's last public words, for mail that recalls them.
fn last_public_answer(conn: &mut Conn, ticket: i64) -> Result<ArticleView, diesel::result::Error> {
    let last = queries::articles(conn, ticket)?
        .into_iter()
        .rev()
        .find(|a| a.is_public_answer() && !a.trimmed_text.trim().is_empty());
    Ok(last
        .map(|a| ArticleView {
            from_name: a.from_name,
            from_email: a.from_addr,
            subject: a.subject,
            text: a.trimmed_text,
            ..ArticleView::default()
        })
        .unwrap_or_default())
}

fn requester_notice(
    conn: &mut Conn,
    desk: &Desk<'_>,
    ticket: &Ticket,
    template: &str,
    article: ArticleView,
    details: serde_json::Value,
) -> Result<Notice, QueueError> {
    let settings = desk.settings;
    let requester = queries::contact(conn, ticket.requester_id)?;
    let lang: Lang = ticket.language.parse().unwrap_or(settings.tickets.language);
    let to = vec![Mailbox { email: requester.email, name: requester.name }];
    Ok(Notice { details, ..Notice::automatic(template, lang, to, &settings.outgoing.from_name, article) })
}

fn pending_details(desk: &Desk<'_>, since: DateTime<Utc>) -> serde_json::Value {
    let p = &desk.settings.pending;
    // Moments: `Desk::context` shows the day each falls on for the reader.
    let closes = p.close_after.map(|d| (since + d).to_rfc3339()).unwrap_or_default();
    json!({ "pending": {
        "since": since.to_rfc3339(),
        "days": (desk.now - since).num_days(),
        "close_after_days": p.close_after.map_or(0, |d| d.num_days()),
        "closes_on": closes,
    }})
}

fn remind(conn: &mut Conn, desk: &Desk<'_>, ticket: &Ticket, since: DateTime<Utc>) -> Result<(), SlaError> {
    queries::mark_reminded(conn, ticket.id, desk.now.naive_utc())?;
    event(conn, ticket.id, EventKind::PendingReminder, None, Some(&since.to_rfc3339()), desk.now)?;
    let article = last_public_answer(conn, ticket.id)?;
    let notice = requester_notice(conn, desk, ticket, "pending_reminder", article, pending_details(desk, since))?;
    desk.queue(conn, ticket, notice)?;
    Ok(())
}

fn auto_close(conn: &mut Conn, desk: &Desk<'_>, ticket: &Ticket, since: DateTime<Utc>) -> Result<(), SlaError> {
    let now = desk.now;
    queries::set_status(conn, ticket.id, Status::Unresolved.as_str(), Some(now.naive_utc()), now.naive_utc())?;
    event(conn, ticket.id, EventKind::Status, Some(Status::Pending.as_str()), Some(Status::Unresolved.as_str()), now)?;
    event(conn, ticket.id, EventKind::AutoClosed, None, Some(&since.to_rfc3339()), now)?;
    let current = queries::ticket(conn, ticket.id)?.unwrap_or_else(|| ticket.clone());
    let mut notice =
        requester_notice(conn, desk, &current, "auto_closed", ArticleView::default(), pending_details(desk, since))?;
    notice.change = ChangeView { old: Some(Status::Pending), new: Some(Status::Unresolved), by_name: String::new() };
    desk.queue(conn, &current, notice)?;
    super::sync(conn, desk.settings, &current, false, now)?;
    Ok(())
}
