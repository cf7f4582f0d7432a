//! Message-IDs: which ticket a mail answers, and the notices sent to staff.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::domain::history::Direction;
use crate::store::models::OutboxRow;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

/// The ticket of the first of these Message-IDs we know.
pub fn ticket_by_message_ids(conn: &mut Conn, ids: &[String]) -> QResult<Option<i64>> {
    for id in ids {
        let found = message_ids::table
            .filter(message_ids::message_id.eq(id))
            .select(message_ids::ticket_id)
            .first::<i64>(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// The latest `limit` notices we sent technicians about a ticket, newest
/// first: what a technician's mail on it may quote, answer or forward.
pub fn staff_notices(conn: &mut Conn, ticket_id: i64, limit: i64) -> QResult<Vec<OutboxRow>> {
    let staff = message_ids::table
        .filter(message_ids::ticket_id.eq(ticket_id))
        .filter(message_ids::direction.eq(Direction::Out.as_str()))
        .filter(message_ids::audience.eq("staff"))
        .select(message_ids::message_id);
    outbox::table
        .filter(outbox::message_id.eq_any(staff))
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

pub fn record_message_id(
    conn: &mut Conn,
    message_id: &str,
    ticket_id: i64,
    direction: Direction,
    audience: &str,
    now: NaiveDateTime,
) -> QResult<()> {
    let row = (
        message_ids::message_id.eq(message_id),
        message_ids::ticket_id.eq(ticket_id),
        message_ids::direction.eq(direction.as_str()),
        message_ids::audience.eq(audience),
        message_ids::created_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(message_ids::table)
        .values(row)
        .on_conflict(message_ids::message_id)
        .do_nothing()
        .execute(c)
        .map(drop))
}
