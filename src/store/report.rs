//! What the KPI report reads: every ticket's current values, the events
//! that changed what the report counts, and the technicians' public
//! answers. Read whole, once per report; the figures are computed in
//! memory from these (`report::kpi`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{articles, events, tickets};
use super::Conn;
use crate::domain::history::{AuthorRole, Direction, EventKind, Visibility};
use crate::domain::ticket::Status;

type QResult<T> = Result<T, diesel::result::Error>;

/// The events a report reads. The others (articles, watchers, rules…)
/// change nothing it counts.
pub const KINDS: &[EventKind] = &[
    EventKind::Status,
    EventKind::Reopened,
    EventKind::Priority,
    EventKind::Group,
    EventKind::Assignee,
    EventKind::SlaMet,
    EventKind::SlaBreached,
    EventKind::SelfService,
    EventKind::SurveySent,
    EventKind::Satisfaction,
];

#[derive(Debug, Clone, Queryable)]
pub struct TicketRow {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub status: String,
    pub priority: i32,
    pub group_name: Option<String>,
    pub assignee: Option<String>,
    pub merged_into: Option<i64>,
}

#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub ticket_id: i64,
    kind: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub created_at: NaiveDateTime,
}

impl EventRow {
    /// One of [`KINDS`]; an error names a kind this version does not know.
    pub fn kind(&self) -> Result<EventKind, crate::domain::ticket::UnknownName> {
        self.kind.parse()
    }
}

/// A technician's public answer (an article sent to the requester).
#[derive(Debug, Clone, Queryable)]
pub struct AnswerRow {
    pub ticket_id: i64,
    pub from_addr: String,
    pub created_at: NaiveDateTime,
}

/// Tickets opened before `until`, oldest first.
pub fn tickets(conn: &mut Conn, until: NaiveDateTime) -> QResult<Vec<TicketRow>> {
    tickets::table
        .filter(tickets::created_at.lt(until))
        .order(tickets::id.asc())
        .select((
            tickets::id,
            tickets::created_at,
            tickets::status,
            tickets::priority,
            tickets::group_name,
            tickets::assignee,
            tickets::merged_into,
        ))
        .load(conn)
}

/// Every event of [`KINDS`], in the order it happened. Later events are
/// read too: what a ticket was at a past instant is the old value of the
/// first change after it.
pub fn events(conn: &mut Conn) -> QResult<Vec<EventRow>> {
    events::table
        .filter(events::kind.eq_any(KINDS.iter().map(|k| k.as_str())))
        .order(events::id.asc())
        .select((events::ticket_id, events::kind, events::old_value, events::new_value, events::created_at))
        .load(conn)
}

/// The technicians' public answers written before `until`.
pub fn answers(conn: &mut Conn, until: NaiveDateTime) -> QResult<Vec<AnswerRow>> {
    articles::table
        .filter(articles::author_role.eq(AuthorRole::Technician.as_str()))
        .filter(articles::direction.eq(Direction::Out.as_str()))
        .filter(articles::visibility.eq(Visibility::Public.as_str()))
        .filter(articles::created_at.lt(until))
        .order(articles::id.asc())
        .select((articles::ticket_id, articles::from_addr, articles::created_at))
        .load(conn)
}

/// An open ticket whose SLA clock is running and past its warning, or
/// already breached and still counting.
#[derive(Debug, Clone, Queryable)]
pub struct AtRiskRow {
    pub ticket_id: i64,
    pub subject: String,
    pub priority: i32,
    pub group_name: Option<String>,
    pub assignee: Option<String>,
    pub kind: String,
    pub policy: String,
    pub state: String,
    pub due_at: NaiveDateTime,
}

/// The tickets at risk of breach at `now`, soonest due first.
pub fn at_risk(conn: &mut Conn, now: NaiveDateTime, group: Option<&str>, limit: i64) -> QResult<Vec<AtRiskRow>> {
    use super::schema::sla_timers;
    let mut q = sla_timers::table
        .inner_join(tickets::table)
        .filter(sla_timers::running_since.is_not_null())
        .filter(sla_timers::state.eq(crate::domain::sla::TimerState::Breached.as_str()).or(sla_timers::warn_at.le(now)))
        .filter(tickets::status.ne_all(Status::ALL.iter().filter(|s| s.is_closed()).map(|s| s.as_str())))
        .into_boxed();
    if let Some(g) = group {
        q = q.filter(tickets::group_name.eq(g.to_string()));
    }
    q.order((sla_timers::due_at.asc(), tickets::id.asc()))
        .limit(limit)
        .select((
            tickets::id,
            tickets::subject,
            tickets::priority,
            tickets::group_name,
            tickets::assignee,
            sla_timers::kind,
            sla_timers::policy,
            sla_timers::state,
            sla_timers::due_at,
        ))
        .load(conn)
}
