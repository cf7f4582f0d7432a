//! Satisfaction surveys.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::Conn;

pub fn survey_of(conn: &mut Conn, ticket_id: i64) -> QResult<Option<Survey>> {
    surveys::table.filter(surveys::ticket_id.eq(ticket_id)).select(Survey::as_select()).first(conn).optional()
}

pub fn survey(conn: &mut Conn, id: i64) -> QResult<Option<Survey>> {
    surveys::table.find(id).select(Survey::as_select()).first(conn).optional()
}

/// The sent survey one of `message_ids` is.
pub fn survey_by_message_ids(conn: &mut Conn, message_ids: &[String]) -> QResult<Option<Survey>> {
    if message_ids.is_empty() {
        return Ok(None);
    }
    surveys::table.filter(surveys::message_id.eq_any(message_ids)).select(Survey::as_select()).first(conn).optional()
}

pub fn insert_survey(
    conn: &mut Conn,
    ticket_id: i64,
    state: &str,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QResult<()> {
    diesel::insert_into(surveys::table)
        .values((
            surveys::ticket_id.eq(ticket_id),
            surveys::state.eq(state),
            surveys::due_at.eq(due_at),
            surveys::comment.eq(""),
            surveys::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn reschedule_survey(conn: &mut Conn, id: i64, due_at: NaiveDateTime) -> QResult<()> {
    diesel::update(surveys::table.find(id)).set(surveys::due_at.eq(due_at)).execute(conn).map(drop)
}

pub fn set_survey_state(conn: &mut Conn, id: i64, state: &str) -> QResult<()> {
    diesel::update(surveys::table.find(id)).set(surveys::state.eq(state)).execute(conn).map(drop)
}

pub fn survey_sent(conn: &mut Conn, id: i64, message_id: &str, now: NaiveDateTime) -> QResult<()> {
    diesel::update(surveys::table.find(id))
        .set((surveys::state.eq("sent"), surveys::message_id.eq(Some(message_id)), surveys::sent_at.eq(Some(now))))
        .execute(conn)
        .map(drop)
}

/// Records an answer: a rating (kept once given, unless a new one comes)
/// and a comment (added to what was said before).
pub fn answer_survey(
    conn: &mut Conn,
    id: i64,
    rating: Option<i32>,
    comment: &str,
    via: &str,
    now: NaiveDateTime,
) -> QResult<()> {
    let Some(current) = survey(conn, id)? else { return Ok(()) };
    let comment = match (current.comment.trim(), comment.trim()) {
        (old, "") => old.to_string(),
        ("", new) => new.to_string(),
        (old, new) if old == new => old.to_string(),
        (old, new) => format!("{old}\n\n{new}"),
    };
    diesel::update(surveys::table.find(id))
        .set((
            surveys::state.eq("answered"),
            surveys::rating.eq(rating.or(current.rating)),
            surveys::comment.eq(comment),
            surveys::answered_via.eq(Some(via)),
            surveys::answered_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(drop)
}
