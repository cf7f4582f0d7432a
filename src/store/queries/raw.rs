//! Raw mail as received, the sources it was read from, and what became of it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::{per_backend, Conn};

pub fn raw_by_sha(conn: &mut Conn, sha: &str) -> QResult<Option<i64>> {
    raw_messages::table.filter(raw_messages::sha256.eq(sha)).select(raw_messages::id).first(conn).optional()
}

pub fn raw_size(conn: &mut Conn, id: i64) -> QResult<i64> {
    raw_messages::table.find(id).select(raw_messages::size).first(conn)
}

pub fn raw_content(conn: &mut Conn, id: i64) -> QResult<Vec<u8>> {
    raw_messages::table.find(id).select(raw_messages::content).first(conn)
}

pub fn insert_raw(conn: &mut Conn, new: &NewRawMessage<'_>) -> QResult<i64> {
    let row = (
        raw_messages::sha256.eq(new.sha256),
        raw_messages::size.eq(new.size),
        raw_messages::content.eq(new.content),
        raw_messages::received_at.eq(new.received_at),
    );
    diesel::insert_into(raw_messages::table).values(row).returning(raw_messages::id).get_result(conn)
}

pub fn source_seen(conn: &mut Conn, mailbox: &str, key: &str) -> QResult<bool> {
    diesel::select(diesel::dsl::exists(
        source_messages::table.filter(source_messages::mailbox.eq(mailbox)).filter(source_messages::source_key.eq(key)),
    ))
    .get_result(conn)
}

pub fn record_source(conn: &mut Conn, mailbox: &str, key: &str, raw_id: i64, now: NaiveDateTime) -> QResult<()> {
    let row = (
        source_messages::mailbox.eq(mailbox),
        source_messages::source_key.eq(key),
        source_messages::raw_message_id.eq(raw_id),
        source_messages::created_at.eq(now),
    );
    per_backend!(conn, c => diesel::insert_into(source_messages::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)
        .map(drop))
}

pub fn inbound_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<Option<Inbound>> {
    inbound::table.filter(inbound::raw_message_id.eq(raw_id)).select(Inbound::as_select()).first(conn).optional()
}

/// An earlier copy of the same mail: same Message-ID and same body.
pub fn inbound_copy(conn: &mut Conn, message_id: &str, body_sha: &str) -> QResult<Option<Inbound>> {
    inbound::table
        .filter(inbound::message_id.eq(message_id))
        .filter(inbound::body_sha256.eq(body_sha))
        .filter(inbound::outcome.ne("quarantine"))
        .select(Inbound::as_select())
        .first(conn)
        .optional()
}

pub fn insert_inbound(conn: &mut Conn, new: &NewInbound<'_>) -> QResult<()> {
    let row = (
        inbound::raw_message_id.eq(new.raw_message_id),
        inbound::mailbox.eq(new.mailbox),
        inbound::message_id.eq(new.message_id),
        inbound::body_sha256.eq(new.body_sha256),
        inbound::outcome.eq(new.outcome),
        inbound::kind.eq(new.kind),
        inbound::reason.eq(new.reason),
        inbound::ticket_id.eq(new.ticket_id),
        inbound::created_at.eq(new.created_at),
    );
    diesel::insert_into(inbound::table).values(row).execute(conn).map(drop)
}

pub fn delete_inbound_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<()> {
    diesel::delete(inbound::table.filter(inbound::raw_message_id.eq(raw_id))).execute(conn).map(drop)
}

/// Inbound counts by outcome, for `status` and tests.
pub fn inbound_outcomes(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    inbound::table
        .group_by(inbound::outcome)
        .select((inbound::outcome, diesel::dsl::count_star()))
        .order(inbound::outcome.asc())
        .load(conn)
}
