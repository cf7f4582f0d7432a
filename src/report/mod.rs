//! KPIs of the desk, for `guichet report` and the dashboard: the history
//! read from the store, handed to [`kpi::compute`]; the tickets at risk of
//! breach now; the period a user asks for.

pub mod kpi;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Settings;
use crate::domain::calendar::Calendar;
use crate::store::{report as rows, Conn};

pub use kpi::{day_start, Period, Report};

type QResult<T> = Result<T, diesel::result::Error>;

/// Reads what a report over a period ending at `until` needs.
pub fn history(conn: &mut Conn, until: DateTime<Utc>) -> QResult<kpi::History> {
    let end = until.naive_utc();
    let tickets = rows::tickets(conn, end)?
        .into_iter()
        .map(|t| kpi::Ticket {
            id: t.id,
            created: t.created_at.and_utc(),
            status: t.status,
            priority: t.priority,
            group: t.group_name,
            assignee: t.assignee,
            merged: t.merged_into.is_some(),
        })
        .collect();
    let changes = rows::events(conn)?
        .into_iter()
        .filter_map(|e| {
            Some(kpi::Change {
                ticket: e.ticket_id,
                kind: e.kind().ok()?,
                old: e.old_value,
                new: e.new_value,
                at: e.created_at.and_utc(),
            })
        })
        .collect();
    let answers = rows::answers(conn, end)?
        .into_iter()
        .map(|a| kpi::Answer { ticket: a.ticket_id, by: a.from_addr, at: a.created_at.and_utc() })
        .collect();
    Ok(kpi::History { tickets, changes, answers })
}

/// The report of `period`, of one group's tickets or all.
pub fn report(conn: &mut Conn, settings: &Settings, period: Period, group: Option<&str>) -> QResult<Report> {
    let history = history(conn, period.until)?;
    let technicians: Vec<(String, String)> =
        settings.technicians.iter().map(|t| (t.email.clone(), t.name.clone())).collect();
    let scope = kpi::Scope { period, group, calendar: &settings.report.calendar, technicians: &technicians };
    Ok(kpi::compute(&history, &scope))
}

/// A share as people read it: `44.4 %`, or `–` when there is nothing to
/// divide.
pub fn percent_label(p: Option<f64>) -> String {
    p.map_or_else(|| "–".to_string(), |p| format!("{p:.1} %"))
}

/// Business minutes as people read them (`2 h 30`), or `–`.
pub fn minutes_label(m: Option<i64>) -> String {
    m.map_or_else(|| "–".to_string(), crate::sla::minutes_label)
}

/// A ticket whose SLA clock is past its warning or breached, as listed.
#[derive(Debug, Clone, Serialize)]
pub struct AtRisk {
    pub ticket: i64,
    pub subject: String,
    pub priority: i32,
    pub group: Option<String>,
    pub assignee: Option<String>,
    pub timer: String,
    pub policy: String,
    pub breached: bool,
    pub due_at: DateTime<Utc>,
    /// Business minutes left before the breach; negative once past.
    pub minutes_left: i64,
}

/// Open tickets at risk of breach at `now`, the soonest due first.
pub fn at_risk(conn: &mut Conn, settings: &Settings, now: DateTime<Utc>, group: Option<&str>) -> QResult<Vec<AtRisk>> {
    let list = rows::at_risk(conn, now.naive_utc(), group, 50)?;
    Ok(list
        .into_iter()
        .map(|r| {
            let due = r.due_at.and_utc();
            let cal = settings.sla.iter().find(|p| p.name == r.policy).map(|p| &p.calendar);
            let cal = cal.unwrap_or(&settings.report.calendar);
            let minutes_left = if due >= now { cal.minutes_between(now, due) } else { -cal.minutes_between(due, now) };
            AtRisk {
                ticket: r.ticket_id,
                subject: r.subject,
                priority: r.priority,
                group: r.group_name,
                assignee: r.assignee,
                timer: r.kind,
                policy: r.policy,
                breached: r.state == crate::domain::sla::TimerState::Breached.as_str(),
                due_at: due,
                minutes_left,
            }
        })
        .collect())
}

/// A bad `--since`/`--until` (or the page's fields), said to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`{0}` is not a date (YYYY-MM-DD) or a time (RFC 3339)")]
    NotADate(String),
    #[error("the period ends before it begins")]
    Backwards,
}

/// `since` (a day from its start, or a time) to `until` (a day to its
/// end, or a time); by default the 30 days up to `now`.
pub fn period(
    since: Option<&str>,
    until: Option<&str>,
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<Period, PeriodError> {
    let read = |s: &str, end: bool| -> Result<DateTime<Utc>, PeriodError> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let d = if end { d.succ_opt().unwrap_or(d) } else { d };
            return Ok(day_start(cal, d));
        }
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|_| PeriodError::NotADate(s.to_string()))
    };
    let until = match until.filter(|s| !s.trim().is_empty()) {
        Some(u) => read(u, true)?,
        None => now,
    };
    let since = match since.filter(|s| !s.trim().is_empty()) {
        Some(s) => read(s, false)?,
        None => {
            let local = (until - Duration::days(30)).with_timezone(&cal.tz).date_naive();
            day_start(cal, local.succ_opt().unwrap_or(local))
        }
    };
    if until <= since {
        return Err(PeriodError::Backwards);
    }
    Ok(Period { since, until })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_period_of_days_runs_from_the_first_day_s_start_to_the_last_day_s_end_in_the_calendar_s_zone() {
        let cal = Calendar { tz: chrono_tz::Europe::Paris, ..Calendar::always() };
        let now = Utc.with_ymd_and_hms(2026, 12, 15, 10, 0, 0).unwrap();
        let p = period(Some("2026-12-01"), Some("2026-12-07"), &cal, now).unwrap();
        assert_eq!(p.since, Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap());
        assert_eq!(p.until, Utc.with_ymd_and_hms(2026, 12, 7, 23, 0, 0).unwrap());
        let d = period(None, None, &cal, now).unwrap();
        assert_eq!(d.until, now);
        assert_eq!(d.since, Utc.with_ymd_and_hms(2026, 11, 15, 23, 0, 0).unwrap(), "30 days, whole days");
        let t = period(Some("2026-12-01T08:00:00Z"), None, &cal, now).unwrap();
        assert_eq!(t.since, Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap());
        assert_eq!(period(Some("yesterday"), None, &cal, now).unwrap_err(), PeriodError::NotADate("yesterday".into()));
        assert_eq!(period(Some("2026-12-08"), Some("2026-12-07"), &cal, now).unwrap_err(), PeriodError::Backwards);
    }
}
