//! Queues of open tickets, as technicians and requesters ask for them by
//! mail, with the SLA timers that order them.

use diesel::prelude::*;

use super::{is_open, QResult};
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::Conn;

/// Which open tickets: every field given narrows the queue.
#[derive(Debug, Clone, Default)]
pub struct Queue {
    pub assignee: Option<String>,
    pub group: Option<String>,
    /// Nobody's, in one of these groups or in none.
    pub unassigned_in: Option<Vec<String>>,
    /// Past an SLA target.
    pub breached: bool,
    pub requester: Option<i64>,
}

/// The open tickets of `q`, oldest first.
pub fn queue(conn: &mut Conn, q: &Queue) -> QResult<Vec<Ticket>> {
    let mut query = tickets::table.select(Ticket::as_select()).filter(is_open()).order(tickets::id.asc()).into_boxed();
    if let Some(a) = &q.assignee {
        query = query.filter(tickets::assignee.eq(a.clone()));
    }
    if let Some(g) = &q.group {
        query = query.filter(tickets::group_name.eq(g.clone()));
    }
    if let Some(groups) = &q.unassigned_in {
        query = query
            .filter(tickets::assignee.is_null())
            .filter(tickets::group_name.is_null().or(tickets::group_name.eq_any(groups.clone())));
    }
    if q.breached {
        let breached = sla_timers::table.filter(sla_timers::breached_at.is_not_null()).select(sla_timers::ticket_id);
        query = query.filter(tickets::id.eq_any(breached));
    }
    if let Some(r) = q.requester {
        query = query.filter(tickets::requester_id.eq(r));
    }
    query.load(conn)
}

/// The SLA timers of these tickets.
pub fn timers_of(conn: &mut Conn, ids: &[i64]) -> QResult<Vec<SlaTimer>> {
    let mut all = Vec::new();
    // Bound parameters per statement are limited (SQLite: 32,766).
    for chunk in ids.chunks(1000) {
        all.extend(
            sla_timers::table.filter(sla_timers::ticket_id.eq_any(chunk)).select(SlaTimer::as_select()).load(conn)?,
        );
    }
    Ok(all)
}

/// Whether one of `ids` is the Message-ID of mail we sent with one of
/// `templates` (answering a mail that answered a question).
pub fn answers_one_of(conn: &mut Conn, ids: &[String], templates: &[&str]) -> QResult<bool> {
    if ids.is_empty() {
        return Ok(false);
    }
    let found: i64 = outbox::table
        .filter(outbox::message_id.eq_any(ids))
        .filter(outbox::template.eq_any(templates))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Claims `technician`'s digest for `day` (`YYYY-MM-DD`, their local
/// day): true once, for the first caller.
pub fn claim_digest(conn: &mut Conn, technician: &str, day: &str, now: chrono::NaiveDateTime) -> QResult<bool> {
    let row = (digests::technician.eq(technician), digests::day.eq(day), digests::queued_at.eq(now));
    let n = crate::store::per_backend!(conn, c => diesel::insert_into(digests::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Whether `technician`'s digest for `day` was queued.
pub fn digest_claimed(conn: &mut Conn, technician: &str, day: &str) -> QResult<bool> {
    let found: i64 = digests::table
        .filter(digests::technician.eq(technician))
        .filter(digests::day.eq(day))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
