//! Counts for `guichet status`.

use diesel::prelude::*;

use super::QResult;
use crate::store::schema::*;
use crate::store::Conn;

pub fn tickets_by_status(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    tickets::table
        .group_by(tickets::status)
        .select((tickets::status, diesel::dsl::count_star()))
        .order(tickets::status.asc())
        .load(conn)
}

pub fn outbox_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::state)
        .select((outbox::state, diesel::dsl::count_star()))
        .order(outbox::state.asc())
        .load(conn)
}

pub fn timers_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    sla_timers::table
        .group_by(sla_timers::state)
        .select((sla_timers::state, diesel::dsl::count_star()))
        .order(sla_timers::state)
        .load(conn)
}

pub fn surveys_by_state(conn: &mut Conn) -> QResult<Vec<(String, i64)>> {
    surveys::table
        .group_by(surveys::state)
        .select((surveys::state, diesel::dsl::count_star()))
        .order(surveys::state)
        .load(conn)
}

pub fn quarantine_held(conn: &mut Conn) -> QResult<i64> {
    quarantine::table.filter(quarantine::state.eq("held")).count().get_result(conn)
}

/// What a desk holds already: tickets, stored mails, knowledge base
/// articles. `guichet demo` fills only a desk with none of them.
pub fn stored_counts(conn: &mut Conn) -> QResult<(i64, i64, i64)> {
    let tickets = tickets::table.count().get_result(conn)?;
    let mails = raw_messages::table.count().get_result(conn)?;
    let articles = kb_articles::table.count().get_result(conn)?;
    Ok((tickets, mails, articles))
}
