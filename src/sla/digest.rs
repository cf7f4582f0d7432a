//! The technicians' digests: at the start of each one's working day (see
//! `domain::digest`), one mail with their open tickets due soonest first,
//! those waiting for the requester, their groups' tickets nobody has, and
//! for a group's lead the group's backlog, breaches and oldest tickets.
//! Claimed per technician and day in the store, so a restart or a second
//! instance never sends one twice.

use chrono::NaiveDate;

use super::SlaError;
use crate::config::{Settings, Technician};
use crate::domain::digest::due_day;
use crate::domain::ticket::Status;
use crate::mail::inbound::Mailbox;
use crate::notify::context::{GroupView, QueueSection, QueueValues};
use crate::notify::outbox::{ArticleView, Desk, Notice};
use crate::notify::queue::{lines, Reader, MAX_LINES};
use crate::store::queries::{self, Queue};
use crate::store::{Conn, Store};

/// A group lead's view lists this many of the oldest tickets.
const OLDEST: usize = 5;

/// Queues the digests due at `desk.now`; returns how many.
pub fn send_due(store: &Store, desk: &Desk<'_>) -> Result<usize, SlaError> {
    let now = desk.now.naive_utc();
    let mut sent = 0;
    let mut reading = store.conn()?;
    for tech in &desk.settings.technicians {
        let Some(day) = due_day(&tech.presence, tech.digest, desk.now) else { continue };
        let key = day.to_string();
        // Read first: most sweeps of a working day find it sent already.
        if queries::digest_claimed(&mut reading, &tech.email, &key)? {
            continue;
        }
        let queued = store.write(|conn| -> Result<bool, SlaError> {
            // Away after an auto-reply: tomorrow's digest, not today's.
            if queries::away(conn, &tech.email, now)?.is_some() || !queries::claim_digest(conn, &tech.email, &key, now)?
            {
                return Ok(false);
            }
            queue_digest(conn, desk, tech, day)
        });
        match queued {
            Ok(true) => sent += 1,
            Ok(false) => {}
            // A template that cannot render: said, and tried at the next
            // sweep; the other digests and the SLA work go on.
            Err(SlaError::Mail(e)) => tracing::error!(technician = %tech.email, error = %e, "digest not sent"),
            Err(e) => return Err(e),
        }
    }
    Ok(sent)
}

fn queue_digest(conn: &mut Conn, desk: &Desk<'_>, tech: &Technician, day: NaiveDate) -> Result<bool, SlaError> {
    let settings = desk.settings;
    let lang = tech.language.unwrap_or(settings.tickets.language);
    let reader = Reader::of(settings, &tech.email, lang);
    let values = digest_values(conn, settings, tech, day, &reader)?;
    // Nothing of theirs, nobody's in their groups, no group to lead: no
    // mail to skim past. The day stays claimed.
    if values.count == 0 && values.pending.count == 0 && values.unassigned.count == 0 && values.groups.is_empty() {
        return Ok(false);
    }
    let to = vec![Mailbox { email: tech.email.clone(), name: tech.name.clone() }];
    let mut notice = Notice::automatic("digest", lang, to, &settings.outgoing.from_name, ArticleView::default());
    notice.details = serde_json::json!({ "queue": values });
    let queued = desk.queue_unticketed(conn, notice, settings.desk_address(), None)?;
    Ok(queued.is_some())
}

fn digest_values(
    conn: &mut Conn,
    settings: &Settings,
    tech: &Technician,
    day: NaiveDate,
    reader: &Reader,
) -> Result<QueueValues, SlaError> {
    let mine = queries::queue(conn, &Queue { assignee: Some(tech.email.clone()), ..Default::default() })?;
    let (pending, working): (Vec<_>, Vec<_>) = mine.into_iter().partition(|t| t.status == Status::Pending.as_str());
    let unassigned = queries::queue(conn, &Queue { unassigned_in: Some(tech.groups.clone()), ..Default::default() })?;
    let count = working.len() as i64;
    let tickets = lines(conn, settings, working, reader, MAX_LINES)?;
    let midnight = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let mut values = QueueValues {
        kind: "digest".into(),
        day: crate::domain::wording::day(midnight, chrono_tz::Tz::UTC, reader.lang),
        breached: tickets.iter().filter(|t| t.breached).count() as i64,
        more: count - tickets.len() as i64,
        count,
        tickets,
        pending: section(conn, settings, pending, reader)?,
        unassigned: section(conn, settings, unassigned, reader)?,
        ..Default::default()
    };
    for group in
        settings.groups.iter().filter(|g| g.lead.as_deref().is_some_and(|l| l.eq_ignore_ascii_case(&tech.email)))
    {
        let mut open = queries::queue(conn, &Queue { group: Some(group.name.clone()), ..Default::default() })?;
        let breached =
            queries::queue(conn, &Queue { group: Some(group.name.clone()), breached: true, ..Default::default() })?;
        open.sort_by_key(|t| (t.created_at, t.id));
        let backlog = open.len() as i64;
        let nobody = open.iter().filter(|t| t.assignee.is_none()).count() as i64;
        open.truncate(OLDEST);
        // Oldest first, as counted, not most urgent first.
        let mut oldest = lines(conn, settings, open, reader, OLDEST)?;
        oldest.sort_by_key(|t| t.number);
        values.groups.push(GroupView {
            name: group.name.clone(),
            backlog,
            breached: breached.len() as i64,
            unassigned: nobody,
            oldest,
        });
    }
    Ok(values)
}

fn section(
    conn: &mut Conn,
    settings: &Settings,
    tickets: Vec<crate::store::models::Ticket>,
    reader: &Reader,
) -> Result<QueueSection, SlaError> {
    let count = tickets.len() as i64;
    let tickets = lines(conn, settings, tickets, reader, MAX_LINES)?;
    Ok(QueueSection { more: count - tickets.len() as i64, count, tickets })
}
