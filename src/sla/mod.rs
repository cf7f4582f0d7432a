//! Service levels at work: each ticket's timers kept in step with what the
//! ticket is ([`sync`], called in the transaction that changed it), the
//! sweeper that fires what falls due ([`sweep`]), and satisfaction answers
//! ([`survey`]).

mod digest;
pub mod survey;
mod sweep;

pub use sweep::{sweep, SweepReport};

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::config::{Settings, SlaPolicy};
use crate::domain::calendar::Calendar;
use crate::domain::history::EventKind;
use crate::domain::sla::{Timer, TimerKind, TimerState};
use crate::domain::ticket::{Status, TicketType};
use crate::notify::outbox::QueueError;
use crate::store::models::{NewEvent, SlaTimer, Ticket, TimerRow};
use crate::store::{queries, Conn, StoreError};

/// Why a sweep step or a survey answer could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed: the step is not recorded and is tried again.
    #[error("cannot write the mail: {0}")]
    Mail(#[source] QueueError),
    /// No key could be made for the survey links (no randomness).
    #[error("cannot write the mail: cannot make a key for survey links: {0}")]
    LinkKey(#[source] std::io::Error),
}

impl From<diesel::result::Error> for SlaError {
    fn from(e: diesel::result::Error) -> Self {
        SlaError::Store(StoreError::Query(e))
    }
}

impl From<QueueError> for SlaError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Store(e) => e.into(),
            other => SlaError::Mail(other),
        }
    }
}

impl SlaError {
    pub fn is_transient(&self) -> bool {
        match self {
            SlaError::Store(e) => e.is_transient(),
            SlaError::Mail(_) | SlaError::LinkKey(_) => false,
        }
    }
}

/// The calendar a timer counts on: its policy's, or every minute when the
/// policy is gone from the config.
fn calendar_of<'s>(settings: &'s Settings, policy: &str) -> &'s Calendar {
    static ALWAYS: std::sync::OnceLock<Calendar> = std::sync::OnceLock::new();
    match settings.sla.iter().find(|p| p.name == policy) {
        Some(p) => &p.calendar,
        None => ALWAYS.get_or_init(Calendar::always),
    }
}

fn target(policy: &SlaPolicy, kind: TimerKind) -> Option<i64> {
    match kind {
        TimerKind::FirstResponse => policy.first_response,
        TimerKind::Resolution => policy.resolution,
    }
}

fn timer_of(row: &SlaTimer) -> Option<Timer> {
    Some(Timer {
        kind: row.kind.parse().ok()?,
        state: row.state.parse().ok()?,
        target_minutes: row.target_minutes,
        used_minutes: row.used_minutes,
        running_since: row.running_since.map(|t| t.and_utc()),
        warn_percent: u8::try_from(row.warn_percent).unwrap_or(75),
    })
}

/// The stored form of `timer`, keeping what the sweeper already did.
fn row_of<'a>(
    ticket: i64,
    policy: &'a str,
    timer: &Timer,
    cal: &Calendar,
    previous: Option<&SlaTimer>,
    now: DateTime<Utc>,
) -> TimerRow<'a> {
    let due = timer.due_at(cal).map(|d| d.naive_utc());
    TimerRow {
        ticket_id: ticket,
        kind: timer.kind.as_str(),
        policy,
        due_at: due.or(previous.map(|p| p.due_at)).unwrap_or(now.naive_utc()),
        state: timer.state.as_str(),
        remaining_minutes: Some(timer.left_minutes(cal, now)),
        warned_at: previous.and_then(|p| p.warned_at),
        breached_at: previous.and_then(|p| p.breached_at),
        updated_at: now.naive_utc(),
        target_minutes: timer.target_minutes,
        used_minutes: timer.used_minutes,
        running_since: timer.running_since.map(|t| t.naive_utc()),
        warn_percent: i32::from(timer.warn_percent),
        warn_at: timer.warn_at(cal).map(|t| t.naive_utc()),
        met_at: match timer.state {
            TimerState::Met | TimerState::Breached if timer.running_since.is_none() => {
                previous.and_then(|p| p.met_at).or(Some(now.naive_utc()))
            }
            _ => None,
        },
    }
}

fn event(
    conn: &mut Conn,
    ticket: i64,
    kind: EventKind,
    old: Option<&str>,
    new: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    queries::insert_event(
        conn,
        &NewEvent {
            ticket_id: ticket,
            actor: "guichet",
            kind,
            old_value: old,
            new_value: new,
            article_id: None,
            created_at: now.naive_utc(),
        },
    )
}

/// Brings the ticket's timers and survey in line with what it now is:
/// started when a policy covers it, paused while it waits for the
/// requester, resumed when they answer, met when a technician answered
/// publicly (`responded`) or the ticket closed, taken up again on reopening,
/// re-targeted when its priority, type or group moves it under another
/// policy. Each change is an event.
pub fn sync(
    conn: &mut Conn,
    settings: &Settings,
    ticket: &Ticket,
    responded: bool,
    now: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    sync_from(conn, settings, ticket, responded, now, false)
}

/// [`sync`] for a ticket opened in this transaction, `ticket` as it
/// stands: it has no timers and no survey yet, so none are read.
pub fn start(
    conn: &mut Conn,
    settings: &Settings,
    ticket: &Ticket,
    responded: bool,
    now: DateTime<Utc>,
) -> Result<(), diesel::result::Error> {
    sync_from(conn, settings, ticket, responded, now, true)
}

fn sync_from(
    conn: &mut Conn,
    settings: &Settings,
    ticket: &Ticket,
    responded: bool,
    now: DateTime<Utc>,
    new: bool,
) -> Result<(), diesel::result::Error> {
    let status: Status = ticket.status.parse().unwrap_or(Status::New);
    let ttype: TicketType = ticket.ticket_type.parse().unwrap_or(TicketType::Incident);
    let policy = settings.sla_policy(ticket.priority, ttype, ticket.group_name.as_deref());
    let rows = if new { Vec::new() } else { queries::sla_timers(conn, ticket.id)? };
    for kind in [TimerKind::FirstResponse, TimerKind::Resolution] {
        let row = rows.iter().find(|r| r.kind == kind.as_str());
        let wanted = policy.and_then(|p| target(p, kind).map(|t| (p, t)));
        match (row, wanted) {
            (None, None) => {}
            (None, Some((p, minutes))) => {
                let mut timer = Timer::start(kind, minutes, p.warn_percent, now);
                if status.is_closed() || (kind == TimerKind::FirstResponse && responded) {
                    timer.meet(&p.calendar, now);
                } else if status == Status::Pending {
                    timer.pause(&p.calendar, now);
                }
                let stored = row_of(ticket.id, &p.name, &timer, &p.calendar, None, now);
                queries::save_timer(conn, None, &stored)?;
                let due = timer.due_at(&p.calendar).map(|d| d.to_rfc3339()).unwrap_or_default();
                let what = format!("{} {} ({}), due {due}", kind.as_str(), minutes_label(minutes), p.name);
                event(conn, ticket.id, EventKind::SlaStarted, None, Some(&what), now)?;
                if timer.state == TimerState::Met {
                    event(conn, ticket.id, EventKind::SlaMet, Some(&p.name), Some(kind.as_str()), now)?;
                }
            }
            (Some(row), wanted) => {
                let Some(mut timer) = timer_of(row) else { continue };
                let before = timer.clone();
                let mut policy_name = row.policy.as_str();
                if let Some((p, minutes)) = wanted {
                    if p.name != row.policy || minutes != timer.target_minutes {
                        timer.retarget(minutes, p.warn_percent);
                        policy_name = &p.name;
                        let old = format!("{} {}", row.policy, minutes_label(row.target_minutes));
                        let new = format!("{} {}", p.name, minutes_label(minutes));
                        event(conn, ticket.id, EventKind::SlaPolicy, Some(&old), Some(&new), now)?;
                    }
                }
                let cal = calendar_of(settings, policy_name);
                let stopped = matches!(timer.state, TimerState::Met)
                    || (timer.state == TimerState::Breached && timer.running_since.is_none());
                if status.is_closed() || (kind == TimerKind::FirstResponse && responded) {
                    timer.meet(cal, now);
                } else if kind == TimerKind::FirstResponse && stopped {
                    // A first response, once given, stays given.
                } else if status == Status::Pending {
                    timer.pause(cal, now);
                } else if timer.state == TimerState::Paused || (stopped && kind == TimerKind::Resolution) {
                    // Back from waiting, or reopened: the clock goes on from
                    // where it stopped.
                    if timer.state == TimerState::Met {
                        timer.state = TimerState::Paused;
                    }
                    timer.resume(now);
                }
                if timer != before || policy_name != row.policy {
                    let stored = row_of(ticket.id, policy_name, &timer, cal, Some(row), now);
                    queries::save_timer(conn, Some(row.id), &stored)?;
                    if timer.state != before.state || timer.running_since.is_some() != before.running_since.is_some() {
                        let old = format!("{} {}", kind.as_str(), state_word(&before));
                        let new = format!("{} {}", kind.as_str(), state_word(&timer));
                        event(conn, ticket.id, EventKind::Sla, Some(&old), Some(&new), now)?;
                    }
                    // What KPIs count: the policy, and which clock was met in
                    // time or missed (the sweeper records a breach it sees
                    // first; an answer may come late before it ran).
                    if timer.state == TimerState::Met && before.state != TimerState::Met {
                        event(conn, ticket.id, EventKind::SlaMet, Some(policy_name), Some(kind.as_str()), now)?;
                    } else if timer.state == TimerState::Breached && before.state != TimerState::Breached {
                        event(conn, ticket.id, EventKind::SlaBreached, Some(policy_name), Some(kind.as_str()), now)?;
                    }
                }
            }
        }
    }
    survey::sync(conn, settings, ticket, status, now, new)
}

/// `running`, `paused`, `met`, `breached`, or `breached (stopped)`.
fn state_word(t: &Timer) -> String {
    match (t.state, t.running_since) {
        (TimerState::Breached, None) => "breached (stopped)".into(),
        (s, _) => s.as_str().into(),
    }
}

/// `45 min`, `2 h`, `2 h 30`.
pub fn minutes_label(m: i64) -> String {
    let m = m.max(0);
    match (m / 60, m % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

/// What `ticket show` says of a timer.
pub fn describe(settings: &Settings, row: &SlaTimer, now: DateTime<Utc>) -> serde_json::Value {
    let cal = calendar_of(settings, &row.policy);
    let timer = timer_of(row);
    let counting = timer.as_ref().is_some_and(|t| t.running_since.is_some());
    let left = timer.as_ref().map(|t| t.left_minutes(cal, now));
    json!({
        "kind": row.kind,
        "policy": row.policy,
        "state": row.state,
        "due_at": counting.then(|| row.due_at.and_utc().to_rfc3339()),
        "target_minutes": row.target_minutes,
        "left_business_minutes": left,
        "warned_at": row.warned_at.map(|t| t.and_utc().to_rfc3339()),
        "breached_at": row.breached_at.map(|t| t.and_utc().to_rfc3339()),
        "met_at": row.met_at.map(|t| t.and_utc().to_rfc3339()),
    })
}
