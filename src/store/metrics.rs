//! The counts `/metrics` serves, read from the store at each scrape so
//! that they hold whichever process stored the mail (`guichet ingest`
//! started by an MTA, `run` on several machines). Each is one grouped
//! count over a table, or a few rows.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::models::MailboxHealth;
use super::schema::*;
use super::Conn;

type QResult<T> = Result<T, diesel::result::Error>;

/// The store's side of `/metrics`.
#[derive(Debug, Default)]
pub struct Counts {
    /// (status, tickets).
    pub tickets: Vec<(String, i64)>,
    /// (mailbox, outcome, kind, mails) of the mail stored, quarantined
    /// mail left out (see `quarantine`).
    pub inbound: Vec<(String, String, String, i64)>,
    /// (mailbox, state, entries): every mail ever quarantined, `held` or
    /// `released` by a retry.
    pub quarantine: Vec<(String, String, i64)>,
    /// (state, rows): `pending`, `sent`, `failed`.
    pub outbox: Vec<(String, i64)>,
    /// When the oldest mail still to be sent was queued.
    pub oldest_pending: Option<NaiveDateTime>,
    /// (result, attempts): `sent`, `partial`, `transient`, `permanent`, `unknown`.
    pub attempts: Vec<(String, i64)>,
    /// (kind, state, timers).
    pub timers: Vec<(String, String, i64)>,
    /// The last poll of each mailbox that records one (IMAP), and the
    /// rows kept beside them (`[outgoing relay]`, `[database]`).
    pub health: Vec<MailboxHealth>,
}

pub fn counts(conn: &mut Conn) -> QResult<Counts> {
    let tickets = tickets::table
        .group_by(tickets::status)
        .select((tickets::status, count_star()))
        .order(tickets::status.asc())
        .load(conn)?;
    // A quarantined mail's row is replaced when `quarantine retry` stores
    // it: counted from the quarantine table instead, these counts only
    // ever grow, as counters must.
    let inbound = inbound::table
        .filter(inbound::outcome.ne("quarantine"))
        .group_by((inbound::mailbox, inbound::outcome, inbound::kind))
        .select((inbound::mailbox, inbound::outcome, inbound::kind, count_star()))
        .order((inbound::mailbox.asc(), inbound::outcome.asc(), inbound::kind.asc()))
        .load(conn)?;
    let quarantine = quarantine::table
        .group_by((quarantine::mailbox, quarantine::state))
        .select((quarantine::mailbox, quarantine::state, count_star()))
        .order((quarantine::mailbox.asc(), quarantine::state.asc()))
        .load(conn)?;
    let outbox = outbox::table
        .group_by(outbox::state)
        .select((outbox::state, count_star()))
        .order(outbox::state.asc())
        .load(conn)?;
    let oldest_pending =
        outbox::table.filter(outbox::state.eq("pending")).select(diesel::dsl::min(outbox::created_at)).first(conn)?;
    let attempts = outbox_attempts::table
        .group_by(outbox_attempts::result)
        .select((outbox_attempts::result, count_star()))
        .order(outbox_attempts::result.asc())
        .load(conn)?;
    let timers = sla_timers::table
        .group_by((sla_timers::kind, sla_timers::state))
        .select((sla_timers::kind, sla_timers::state, count_star()))
        .order((sla_timers::kind.asc(), sla_timers::state.asc()))
        .load(conn)?;
    let health = super::queries::mailbox_health(conn)?;
    Ok(Counts { tickets, inbound, quarantine, outbox, oldest_pending, attempts, timers, health })
}
