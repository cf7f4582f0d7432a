//! The KPIs of a period, computed from the tickets' histories: data in,
//! figures out, no I/O.
//!
//! What a ticket was at an instant is read back from its events (the old
//! value of its first change after that instant, else what it is now), so
//! the figures of a past period stay what they were when tickets change
//! later.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use serde::Serialize;

use crate::domain::calendar::Calendar;
use crate::domain::history::EventKind;
use crate::domain::sla::TimerKind;
use crate::domain::ticket::Status;

/// A ticket as it is now.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub created: DateTime<Utc>,
    pub status: String,
    pub priority: i32,
    pub group: Option<String>,
    pub assignee: Option<String>,
    /// Merged into another: its closing is no resolution.
    pub merged: bool,
}

/// One event of a ticket's history (`store::report::KINDS`).
#[derive(Debug, Clone)]
pub struct Change {
    pub ticket: i64,
    pub kind: EventKind,
    pub old: Option<String>,
    pub new: Option<String>,
    pub at: DateTime<Utc>,
}

/// A technician's public answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub ticket: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Everything a report is computed from.
#[derive(Debug, Default)]
pub struct History {
    pub tickets: Vec<Ticket>,
    pub changes: Vec<Change>,
    pub answers: Vec<Answer>,
}

/// `[since, until)`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Period {
    fn holds(&self, t: DateTime<Utc>) -> bool {
        self.since <= t && t < self.until
    }
}

/// What to report on.
pub struct Scope<'a> {
    pub period: Period,
    /// Only the tickets of this group (as they were at the period's end).
    pub group: Option<&'a str>,
    /// Business time and the time zone of days and hours.
    pub calendar: &'a Calendar,
    /// The desk's technicians (address, name), listed even when idle.
    pub technicians: &'a [(String, String)],
}

fn is_closed(status: &str) -> bool {
    status.parse::<Status>().is_ok_and(Status::is_closed)
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub group: Option<String>,
    pub time_zone: String,
    pub tickets: Counts,
    pub backlog: Backlog,
    /// Business minutes from opening to the first public answer, for the
    /// tickets first answered in the period.
    pub first_response: Durations,
    /// Business minutes from opening to resolution, for the tickets
    /// resolved in the period.
    pub resolution: Durations,
    pub sla: Vec<SlaCompliance>,
    pub reopen_rate: Option<f64>,
    pub first_contact: Share,
    pub self_service: Share,
    pub satisfaction: Satisfaction,
    pub technicians: Vec<Load>,
    /// Tickets opened in the period by hour of the day (local time), 0–23.
    pub hours: Vec<u64>,
    pub days: Vec<Day>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Counts {
    pub opened: u64,
    /// Tickets resolved in the period (once each).
    pub resolved: u64,
    /// Tickets closed without a resolution (auto-closed) in the period.
    pub unresolved: u64,
    /// Tickets reopened in the period.
    pub reopened: u64,
    /// Tickets merged into another in the period: duplicates, not
    /// counted as resolved.
    pub merged: u64,
}

/// Open tickets at the period's end.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Backlog {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
    pub by_priority: BTreeMap<i32, u64>,
    /// `""` for tickets in no group.
    pub by_group: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Durations {
    pub count: u64,
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct SlaCompliance {
    pub policy: String,
    pub first_response_met: u64,
    pub first_response_breached: u64,
    pub resolution_met: u64,
    pub resolution_breached: u64,
    /// Met / (met + breached), in percent, both kinds together.
    pub percent: Option<f64>,
}

/// A count and its share of the tickets resolved in the period.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Share {
    pub count: u64,
    pub percent: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Satisfaction {
    pub surveys_sent: u64,
    /// Of the surveys sent in the period, the share answered before its end.
    pub response_rate: Option<f64>,
    /// Ratings given in the period (a ticket's last one).
    pub answers: u64,
    pub average: Option<f64>,
    /// Share of 4 and 5.
    pub satisfied: Option<f64>,
    /// How many 1, 2, 3, 4, 5.
    pub ratings: [u64; 5],
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Load {
    pub technician: String,
    pub name: String,
    /// Open tickets assigned to them at the period's end.
    pub open: u64,
    /// Tickets resolved in the period while assigned to them.
    pub resolved: u64,
    /// Public answers written in the period.
    pub answers: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Day {
    pub date: NaiveDate,
    pub opened: u64,
    pub resolved: u64,
    /// Open tickets at the day's end (or the period's, if sooner).
    pub backlog: u64,
}

/// One ticket's history, its changes in order.
struct Life<'h> {
    ticket: &'h Ticket,
    changes: Vec<&'h Change>,
    answers: Vec<&'h Answer>,
}

impl<'h> Life<'h> {
    /// The value of a field (its change kinds) just before `t`.
    fn at(&self, kinds: &[EventKind], t: DateTime<Utc>, now: Option<&'h str>) -> Option<&'h str> {
        for c in &self.changes {
            if c.at >= t && kinds.contains(&c.kind) {
                return c.old.as_deref();
            }
        }
        now
    }

    fn status_at(&self, t: DateTime<Utc>) -> &'h str {
        self.at(&[EventKind::Status, EventKind::Reopened], t, Some(&self.ticket.status)).unwrap_or(Status::New.as_str())
    }

    fn group_at(&self, t: DateTime<Utc>) -> Option<&'h str> {
        self.at(&[EventKind::Group], t, self.ticket.group.as_deref())
    }

    fn assignee_at(&self, t: DateTime<Utc>) -> Option<&'h str> {
        self.at(&[EventKind::Assignee], t, self.ticket.assignee.as_deref())
    }

    fn priority_at(&self, t: DateTime<Utc>) -> i32 {
        self.at(&[EventKind::Priority], t, None).and_then(|p| p.parse().ok()).unwrap_or(self.ticket.priority)
    }

    /// Whether the ticket exists and is open just before `t`.
    fn open_at(&self, t: DateTime<Utc>) -> bool {
        self.ticket.created < t && !is_closed(self.status_at(t))
    }

    fn status_changes(&self) -> impl Iterator<Item = &&'h Change> {
        self.changes.iter().filter(|c| c.kind.is_status_change())
    }

    /// Its resolutions, in order.
    fn resolutions(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.status_changes().filter(|c| c.new.as_deref() == Some(Status::Resolved.as_str())).map(|c| c.at)
    }

    /// Its reopenings (from resolved or unresolved to an open status).
    fn reopenings(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.status_changes()
            .filter(|c| c.old.as_deref().is_some_and(is_closed) && c.new.as_deref().is_some_and(|s| !is_closed(s)))
            .map(|c| c.at)
    }
}

impl Report {
    /// SLA compliance of every policy together.
    pub fn sla_percent(&self) -> Option<f64> {
        let met: u64 = self.sla.iter().map(|s| s.first_response_met + s.resolution_met).sum();
        let missed: u64 = self.sla.iter().map(|s| s.first_response_breached + s.resolution_breached).sum();
        percent(met, met + missed)
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at
/// least `p` percent of the values at or below it.
fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

fn durations(mut v: Vec<i64>) -> Durations {
    v.sort_unstable();
    Durations { count: v.len() as u64, median_minutes: percentile(&v, 50), p90_minutes: percentile(&v, 90) }
}

/// `part / whole` in percent, one decimal; none of nothing.
pub fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The instant a local day begins on `cal`.
pub fn day_start(cal: &Calendar, d: NaiveDate) -> DateTime<Utc> {
    let local = d.and_time(NaiveTime::MIN);
    cal.tz.from_local_datetime(&local).earliest().map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

fn local_date(cal: &Calendar, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&cal.tz).date_naive()
}

pub fn compute(history: &History, scope: &Scope<'_>) -> Report {
    let period = scope.period;
    let cal = scope.calendar;
    let mut lives: HashMap<i64, Life<'_>> = history
        .tickets
        .iter()
        .filter(|t| t.created < period.until)
        .map(|t| (t.id, Life { ticket: t, changes: Vec::new(), answers: Vec::new() }))
        .collect();
    for c in &history.changes {
        if let Some(l) = lives.get_mut(&c.ticket) {
            l.changes.push(c);
        }
    }
    for a in &history.answers {
        if let Some(l) = lives.get_mut(&a.ticket) {
            l.answers.push(a);
        }
    }
    let mut lives: Vec<Life<'_>> = lives.into_values().collect();
    lives.sort_by_key(|l| l.ticket.id);
    for l in &mut lives {
        l.changes.sort_by_key(|c| c.at);
        l.answers.sort_by_key(|a| a.at);
    }
    if let Some(g) = scope.group {
        lives.retain(|l| l.group_at(period.until) == Some(g));
    }

    let first_day = local_date(cal, period.since);
    let last_day = local_date(cal, period.until - Duration::seconds(1)).max(first_day);
    let mut days: Vec<Day> = first_day
        .iter_days()
        .take_while(|d| *d <= last_day)
        .map(|date| Day { date, opened: 0, resolved: 0, backlog: 0 })
        .collect();
    let day_ends: Vec<DateTime<Utc>> =
        days.iter().map(|d| d.date.succ_opt().map_or(period.until, |n| day_start(cal, n)).min(period.until)).collect();
    let day_count = days.len();
    let day_of = |t: DateTime<Utc>| days_index(first_day, local_date(cal, t)).filter(|i| *i < day_count);

    let mut counts = Counts::default();
    let mut backlog = Backlog::default();
    let mut first_responses = Vec::new();
    let mut resolutions = Vec::new();
    let mut sla: BTreeMap<String, SlaCompliance> = BTreeMap::new();
    let mut first_contact = 0;
    let mut self_service = 0;
    let mut sat = Satisfaction::default();
    let mut answered_surveys = 0;
    let mut loads: BTreeMap<String, Load> = scope
        .technicians
        .iter()
        .map(|(email, name)| {
            (email.to_lowercase(), Load { technician: email.clone(), name: name.clone(), ..Load::default() })
        })
        .collect();
    let mut hours = vec![0u64; 24];

    for l in &lives {
        let t = l.ticket;
        if period.holds(t.created) {
            counts.opened += 1;
            hours[t.created.with_timezone(&cal.tz).hour() as usize] += 1;
            if let Some(i) = day_of(t.created) {
                days[i].opened += 1;
            }
        }
        for (i, end) in day_ends.iter().enumerate() {
            if l.open_at(*end) {
                days[i].backlog += 1;
            }
        }
        if l.open_at(period.until) {
            let status = l.status_at(period.until);
            backlog.total += 1;
            *backlog.by_status.entry(status.to_string()).or_default() += 1;
            *backlog.by_priority.entry(l.priority_at(period.until)).or_default() += 1;
            let group = l.group_at(period.until).unwrap_or_default();
            *backlog.by_group.entry(group.to_string()).or_default() += 1;
            if let Some(a) = l.assignee_at(period.until) {
                entry(&mut loads, a).open += 1;
            }
        }

        let resolved: Vec<DateTime<Utc>> = l.resolutions().filter(|at| period.holds(*at)).collect();
        if t.merged {
            counts.merged += u64::from(!resolved.is_empty());
        } else if let Some(&last) = resolved.last() {
            counts.resolved += 1;
            resolutions.push(cal.minutes_between(t.created, last));
            let mut seen_days = Vec::new();
            for at in &resolved {
                if let Some(i) = day_of(*at).filter(|i| !seen_days.contains(i)) {
                    days[i].resolved += 1;
                    seen_days.push(i);
                }
            }
            let answers_before = l.answers.iter().filter(|a| a.at <= last).count();
            let reopened_before = l.reopenings().any(|at| at < last);
            if answers_before <= 1 && !reopened_before {
                first_contact += 1;
            }
            if let Some(a) = l.assignee_at(last + Duration::nanoseconds(1)) {
                entry(&mut loads, a).resolved += 1;
            }
        }
        if l.status_changes().any(|c| c.new.as_deref() == Some(Status::Unresolved.as_str()) && period.holds(c.at)) {
            counts.unresolved += 1;
        }
        if l.reopenings().any(|at| period.holds(at)) {
            counts.reopened += 1;
        }
        if let Some(first) = l.answers.first().filter(|a| period.holds(a.at)) {
            first_responses.push(cal.minutes_between(t.created, first.at));
        }
        for a in l.answers.iter().filter(|a| period.holds(a.at)) {
            entry(&mut loads, &a.by).answers += 1;
        }

        let mut rating = None;
        let mut sent = Vec::new();
        for c in l.changes.iter().filter(|c| period.holds(c.at)) {
            match c.kind {
                EventKind::SlaMet | EventKind::SlaBreached => {
                    let policy = c.old.clone().unwrap_or_default();
                    let s = sla.entry(policy.clone()).or_insert_with(|| SlaCompliance { policy, ..Default::default() });
                    let first = c.new.as_deref().and_then(|k| k.parse().ok()) == Some(TimerKind::FirstResponse);
                    match (c.kind, first) {
                        (EventKind::SlaMet, true) => s.first_response_met += 1,
                        (EventKind::SlaMet, false) => s.resolution_met += 1,
                        (_, true) => s.first_response_breached += 1,
                        (_, false) => s.resolution_breached += 1,
                    }
                }
                EventKind::SelfService => self_service += 1,
                EventKind::SurveySent => sent.push(c.at),
                EventKind::Satisfaction => rating = c.new.as_deref().and_then(|r| r.parse::<usize>().ok()),
                _ => {}
            }
        }
        let rated: Vec<DateTime<Utc>> = l
            .changes
            .iter()
            .filter(|c| c.kind == EventKind::Satisfaction && c.at < period.until)
            .map(|c| c.at)
            .collect();
        sat.surveys_sent += sent.len() as u64;
        answered_surveys += sent.iter().filter(|s| rated.iter().any(|r| r >= *s)).count() as u64;
        if let Some(r) = rating.filter(|r| (1..=5).contains(r)) {
            sat.answers += 1;
            sat.ratings[r - 1] += 1;
        }
    }

    let resolved = counts.resolved;
    let given: u64 = sat.ratings.iter().sum();
    let sum: u64 = sat.ratings.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
    sat.average = (given > 0).then(|| (sum as f64 * 100.0 / given as f64).round() / 100.0);
    sat.satisfied = percent(sat.ratings[3] + sat.ratings[4], given);
    sat.response_rate = percent(answered_surveys, sat.surveys_sent);
    let sla = sla
        .into_values()
        .map(|mut s| {
            let met = s.first_response_met + s.resolution_met;
            s.percent = percent(met, met + s.first_response_breached + s.resolution_breached);
            s
        })
        .collect();
    Report {
        since: period.since,
        until: period.until,
        group: scope.group.map(str::to_string),
        time_zone: cal.tz.name().to_string(),
        reopen_rate: percent(counts.reopened, resolved),
        tickets: counts,
        backlog,
        first_response: durations(first_responses),
        resolution: durations(resolutions),
        sla,
        first_contact: Share { count: first_contact, percent: percent(first_contact, resolved) },
        self_service: Share { count: self_service, percent: percent(self_service, resolved) },
        satisfaction: sat,
        technicians: loads.into_values().collect(),
        hours,
        days,
    }
}

fn entry<'l>(loads: &'l mut BTreeMap<String, Load>, who: &str) -> &'l mut Load {
    loads.entry(who.to_lowercase()).or_insert_with(|| Load {
        technician: who.to_string(),
        name: String::new(),
        ..Load::default()
    })
}

fn days_index(first: NaiveDate, d: NaiveDate) -> Option<usize> {
    usize::try_from((d - first).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn change(kind: EventKind, old: &str, new: &str, at: DateTime<Utc>) -> Change {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Change { ticket: 1, kind, old: some(old), new: some(new), at }
    }

    /// Opened Monday 30 in `a` at priority 3, moved to `b` and raised to 1
    /// on Wednesday, resolved Thursday, reopened Friday.
    fn history() -> History {
        History {
            tickets: vec![Ticket {
                id: 1,
                created: at(30, 9) - Duration::days(7),
                status: "assigned".into(),
                priority: 1,
                group: Some("b".into()),
                assignee: Some("marc@example.test".into()),
                merged: false,
            }],
            changes: vec![
                change(EventKind::Group, "", "a", at(23, 9)),
                change(EventKind::Status, "new", "assigned", at(23, 9)),
                change(EventKind::Group, "a", "b", at(25, 10)),
                change(EventKind::Priority, "3", "1", at(25, 10)),
                change(EventKind::Status, "assigned", "resolved", at(26, 10)),
                change(EventKind::Reopened, "resolved", "assigned", at(27, 10)),
            ],
            answers: vec![Answer { ticket: 1, by: "Marc@example.test".into(), at: at(26, 10) }],
        }
    }

    fn report(since: DateTime<Utc>, until: DateTime<Utc>, group: Option<&str>) -> Report {
        let cal = Calendar::always();
        let techs = [("marc@example.test".to_string(), "Marc".to_string())];
        let scope = Scope { period: Period { since, until }, group, calendar: &cal, technicians: &techs };
        compute(&history(), &scope)
    }

    /// Period end, group asked; backlog, its priority, its group.
    type Row = (DateTime<Utc>, Option<&'static str>, u64, Option<i32>, Option<&'static str>);

    #[test]
    fn a_ticket_is_counted_as_it_was_at_the_period_s_end_not_as_it_is_now() {
        let table: [Row; 4] = [
            (at(24, 0), None, 1, Some(3), Some("a")),
            (at(24, 0), Some("b"), 0, None, None),
            (at(26, 0), Some("b"), 1, Some(1), Some("b")),
            (at(27, 0), None, 0, None, None),
        ];
        for (until, group, backlog, priority, in_group) in table {
            let r = report(at(23, 0), until, group);
            assert_eq!(r.backlog.total, backlog, "until {until}, group {group:?}");
            assert_eq!(r.backlog.by_priority.keys().next().copied(), priority, "until {until}");
            assert_eq!(r.backlog.by_group.keys().next().map(String::as_str), in_group, "until {until}");
        }
    }

    #[test]
    fn a_resolution_then_a_reopening_count_where_they_fall() {
        let r = report(at(26, 0), at(27, 0), None);
        assert_eq!((r.tickets.resolved, r.tickets.reopened), (1, 0));
        assert_eq!(r.resolution.median_minutes, Some((at(26, 10) - at(23, 9)).num_minutes()));
        assert_eq!(r.first_contact.count, 1, "one answer, no reopening before");
        assert_eq!(r.technicians[0].resolved, 1, "addresses compared without case");
        assert_eq!(r.technicians[0].answers, 1);
        let r = report(at(27, 0), at(28, 0), None);
        assert_eq!((r.tickets.resolved, r.tickets.reopened), (0, 1));
        assert_eq!(r.reopen_rate, None, "nothing resolved: no rate");
        assert_eq!(r.backlog.total, 1);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        assert_eq!(percentile(&[30, 45, 120, 150], 50), Some(45));
        assert_eq!(percentile(&[30, 45, 120, 150], 90), Some(150));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!((percentile(&ten, 50), percentile(&ten, 90)), (Some(5), Some(9)));
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(0, 0), None);
    }
}
