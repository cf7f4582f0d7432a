//! ITIL: technicians' load and absences, events, incidents and linked tickets.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{is_open, QResult};
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

/// Open tickets assigned to a technician, counted up to `at_most`: their
/// load. The count reads an index entry per ticket, so it stops early
/// instead of growing with a backlog.
pub fn open_tickets_of(conn: &mut Conn, email: &str, at_most: i64) -> QResult<i64> {
    let ids: Vec<i64> = tickets::table
        .filter(tickets::assignee.eq(email))
        .filter(is_open())
        .select(tickets::id)
        .limit(at_most)
        .load(conn)?;
    Ok(ids.len() as i64)
}

/// How recently a technician was given a ticket, for taking turns: the
/// number of that event (events are numbered in order), or, for one a
/// group of mails holds and has not written yet, a number above all.
pub fn last_assigned(conn: &mut Conn, email: &str) -> QResult<Option<i64>> {
    use crate::domain::history::EventKind;
    if let Some(at) = crate::store::behind::last_held(conn, EventKind::Assignee, email) {
        return Ok(Some(i64::MAX / 2 + at as i64));
    }
    events::table
        .filter(events::kind.eq(EventKind::Assignee.as_str()))
        .filter(events::new_value.eq(email))
        .select(diesel::dsl::max(events::id))
        .first(conn)
}

/// Until when a technician was noticed away, with why, if still away.
pub fn away(conn: &mut Conn, email: &str, now: NaiveDateTime) -> QResult<Option<(NaiveDateTime, String)>> {
    technician_away::table
        .find(email)
        .filter(technician_away::away_until.gt(now))
        .select((technician_away::away_until, technician_away::reason))
        .first(conn)
        .optional()
}

pub fn set_away(conn: &mut Conn, email: &str, until: NaiveDateTime, reason: &str, now: NaiveDateTime) -> QResult<()> {
    let row = (
        technician_away::email.eq(email),
        technician_away::away_until.eq(until),
        technician_away::reason.eq(reason),
        technician_away::noticed_at.eq(now),
    );
    // Two instances may notice the same auto-reply's siblings at once.
    per_backend!(conn, c => diesel::insert_into(technician_away::table)
        .values(row)
        .on_conflict(technician_away::email)
        .do_update()
        .set(row)
        .execute(c)
        .map(drop))
}

/// Returns whether they had been noticed away.
pub fn clear_away(conn: &mut Conn, email: &str) -> QResult<bool> {
    diesel::delete(technician_away::table.find(email)).execute(conn).map(|n| n > 0)
}

/// The open ticket that gathers alerts of a monitoring key.
pub fn open_event_ticket(conn: &mut Conn, key: &str) -> QResult<Option<Ticket>> {
    tickets::table
        .filter(tickets::event_key.eq(key))
        .filter(is_open())
        .order(tickets::id.desc())
        .select(Ticket::as_select())
        .first(conn)
        .optional()
}

pub fn count_event(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<i32> {
    diesel::update(tickets::table.find(id))
        .set((tickets::event_count.eq(tickets::event_count + 1), tickets::updated_at.eq(now)))
        .execute(conn)?;
    tickets::table.find(id).select(tickets::event_count).first(conn)
}

pub fn set_planned(conn: &mut Conn, id: i64, at: Option<NaiveDateTime>, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::planned_at.eq(at), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_major(conn: &mut Conn, id: i64, major: bool, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::major.eq(major), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_requester(conn: &mut Conn, id: i64, contact_id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(tickets::table.find(id))
        .set((tickets::requester_id.eq(contact_id), tickets::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn remove_watcher(conn: &mut Conn, ticket_id: i64, contact_id: i64) -> QResult<bool> {
    diesel::delete(
        ticket_watchers::table
            .filter(ticket_watchers::ticket_id.eq(ticket_id))
            .filter(ticket_watchers::contact_id.eq(contact_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

pub fn add_tag(conn: &mut Conn, ticket_id: i64, tag: &str) -> QResult<()> {
    per_backend!(conn, c => diesel::insert_into(ticket_tags::table)
        .values((ticket_tags::ticket_id.eq(ticket_id), ticket_tags::tag.eq(tag)))
        .on_conflict_do_nothing()
        .execute(c)
        .map(drop))
}

pub fn tags(conn: &mut Conn, ticket_id: i64) -> QResult<Vec<String>> {
    ticket_tags::table
        .filter(ticket_tags::ticket_id.eq(ticket_id))
        .select(ticket_tags::tag)
        .order(ticket_tags::tag.asc())
        .load(conn)
}

/// Children of a ticket that are still open.
pub fn open_children(conn: &mut Conn, parent: i64) -> QResult<Vec<Ticket>> {
    tickets::table
        .filter(tickets::parent_id.eq(parent))
        .filter(is_open())
        .order(tickets::id.asc())
        .select(Ticket::as_select())
        .load(conn)
}

pub fn children(conn: &mut Conn, parent: i64) -> QResult<Vec<i64>> {
    tickets::table.filter(tickets::parent_id.eq(parent)).order(tickets::id.asc()).select(tickets::id).load(conn)
}
