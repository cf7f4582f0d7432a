//! Quarantine: mail kept with the reason it could not be taken in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::QResult;
use crate::store::models::*;
use crate::store::schema::*;
use crate::store::Conn;

pub fn insert_quarantine(
    conn: &mut Conn,
    raw_id: i64,
    mailbox: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QResult<i64> {
    diesel::insert_into(quarantine::table)
        .values((
            quarantine::raw_message_id.eq(raw_id),
            quarantine::mailbox.eq(mailbox),
            quarantine::reason.eq(reason),
            quarantine::created_at.eq(now),
        ))
        .returning(quarantine::id)
        .get_result(conn)
}

pub fn quarantined(conn: &mut Conn, all: bool) -> QResult<Vec<Quarantined>> {
    let mut q = quarantine::table.select(Quarantined::as_select()).order(quarantine::id.asc()).into_boxed();
    if !all {
        q = q.filter(quarantine::state.eq("held"));
    }
    q.load(conn)
}

pub fn quarantine_entry(conn: &mut Conn, id: i64) -> QResult<Option<Quarantined>> {
    quarantine::table.find(id).select(Quarantined::as_select()).first(conn).optional()
}

pub fn quarantine_for_raw(conn: &mut Conn, raw_id: i64) -> QResult<Option<Quarantined>> {
    quarantine::table
        .filter(quarantine::raw_message_id.eq(raw_id))
        .select(Quarantined::as_select())
        .first(conn)
        .optional()
}

pub fn release_quarantine(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QResult<()> {
    diesel::update(quarantine::table.find(id))
        .set((
            quarantine::state.eq("released"),
            quarantine::released_at.eq(now),
            quarantine::retries.eq(quarantine::retries + 1),
        ))
        .execute(conn)
        .map(drop)
}

pub fn requarantine(conn: &mut Conn, id: i64, reason: &str) -> QResult<()> {
    diesel::update(quarantine::table.find(id))
        .set((quarantine::reason.eq(reason), quarantine::retries.eq(quarantine::retries + 1)))
        .execute(conn)
        .map(drop)
}
