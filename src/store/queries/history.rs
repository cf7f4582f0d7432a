//! The history of a ticket: events and SLA timers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{ticket, QResult};
use crate::domain::sla::TimerState;
use crate::domain::ticket::Status;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{AnyConnection, Conn};

pub fn insert_event(conn: &mut Conn, new: &NewEvent<'_>) -> QResult<()> {
    if crate::store::behind::hold(conn, new) {
        return Ok(());
    }
    // Columns named one by one: PostgreSQL prepares it once (see `insert_ticket`).
    let row = (
        events::ticket_id.eq(new.ticket_id),
        events::actor.eq(new.actor),
        events::kind.eq(new.kind.as_str()),
        events::old_value.eq(new.old_value),
        events::new_value.eq(new.new_value),
        events::article_id.eq(new.article_id),
        events::created_at.eq(new.created_at),
    );
    diesel::insert_into(events::table).values(row).execute(conn).map(drop)
}

pub fn events(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<Event>> {
    crate::store::behind::flush(conn)?;
    events::table.filter(events::ticket_id.eq(ticket_id)).order(events::id.asc()).select(Event::as_select()).load(conn)
}

pub fn sla_timers(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<SlaTimer>> {
    sla_timers::table
        .filter(sla_timers::ticket_id.eq(ticket_id))
        .order(sla_timers::id.asc())
        .select(SlaTimer::as_select())
        .load(conn)
}

/// Writes a timer: a new row, or the one with `id`.
pub fn save_timer(conn: &mut Conn, id: Option<i64>, row: &TimerRow<'_>) -> QResult<()> {
    match id {
        Some(id) => diesel::update(sla_timers::table.find(id)).set(row).execute(conn).map(drop),
        None => {
            let new = (
                sla_timers::ticket_id.eq(row.ticket_id),
                sla_timers::kind.eq(row.kind),
                sla_timers::policy.eq(row.policy),
                sla_timers::due_at.eq(row.due_at),
                sla_timers::state.eq(row.state),
                sla_timers::remaining_minutes.eq(row.remaining_minutes),
                sla_timers::warned_at.eq(row.warned_at),
                sla_timers::breached_at.eq(row.breached_at),
                sla_timers::updated_at.eq(row.updated_at),
                sla_timers::target_minutes.eq(row.target_minutes),
                sla_timers::used_minutes.eq(row.used_minutes),
                sla_timers::running_since.eq(row.running_since),
                sla_timers::warn_percent.eq(row.warn_percent),
                sla_timers::warn_at.eq(row.warn_at),
                sla_timers::met_at.eq(row.met_at),
            );
            diesel::insert_into(sla_timers::table).values(new).execute(conn).map(drop)
        }
    }
}

/// Tickets with work due at `now`: a timer to warn about or breached, a
/// pending ticket to remind or close, a survey to send. Sorted, once each.
pub fn tickets_with_work_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    remind_before: Option<NaiveDateTime>,
    close_before: Option<NaiveDateTime>,
) -> QResult<Vec<i64>> {
    let mut ids: Vec<i64> = sla_timers::table
        .filter(sla_timers::state.eq(TimerState::Running.as_str()))
        .filter(sla_timers::due_at.le(now).or(sla_timers::warned_at.is_null().and(sla_timers::warn_at.le(now))))
        .select(sla_timers::ticket_id)
        .load(conn)?;
    let cut = match (remind_before, close_before) {
        (Some(r), Some(c)) => Some((Some(r), c.max(r))),
        (Some(r), None) => Some((Some(r), r)),
        (None, Some(c)) => Some((None, c)),
        (None, None) => None,
    };
    if let Some((remind, latest)) = cut {
        // Everything pending since before the later cut, then filtered here.
        let pending: Vec<(i64, Option<NaiveDateTime>, Option<NaiveDateTime>)> = tickets::table
            .filter(tickets::status.eq(Status::Pending.as_str()))
            .filter(tickets::pending_since.le(latest))
            .select((tickets::id, tickets::pending_since, tickets::reminded_at))
            .load(conn)?;
        for (id, since, reminded) in pending {
            let Some(since) = since else { continue };
            let remind_due = remind.is_some_and(|r| since <= r) && reminded.is_none();
            let close_due = close_before.is_some_and(|c| since <= c);
            if remind_due || close_due {
                ids.push(id);
            }
        }
    }
    ids.extend(
        surveys::table
            .filter(surveys::state.eq("scheduled"))
            .filter(surveys::due_at.le(now))
            .select(surveys::ticket_id)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The ticket, locked for this transaction; `None` when another instance
/// holds it (PostgreSQL) — it is that instance's work.
pub fn lock_ticket(conn: &mut Conn, id: i64) -> QResult<Option<Ticket>> {
    match conn {
        AnyConnection::Postgres(c) => {
            tickets::table.find(id).select(Ticket::as_select()).for_update().skip_locked().first(c).optional()
        }
        // One writer at a time: the caller's write transaction is the lock.
        AnyConnection::Sqlite(_) => ticket(conn, id),
    }
}

/// Records what the sweeper did with a timer.
pub fn mark_timer(
    conn: &mut Conn,
    id: i64,
    warned_at: Option<NaiveDateTime>,
    breached_at: Option<NaiveDateTime>,
    state: &str,
) -> QResult<()> {
    diesel::update(sla_timers::table.find(id))
        .set((
            sla_timers::warned_at.eq(warned_at),
            sla_timers::breached_at.eq(breached_at),
            sla_timers::state.eq(state),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_priority(conn: &mut Conn, id: i64, priority: i32, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::priority.eq(priority), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn mark_reminded(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id)).set(tickets::reminded_at.eq(Some(now))).execute(conn).map(drop)
}
