//! Automatic assignment: a ticket with a group goes to one technician of
//! that group, chosen by skill, then availability (working hours in their
//! own time zone, days away), then load (fewest open tickets), then in
//! turn (the one assigned longest ago).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// When a technician works, in their time zone: spans per weekday.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingHours {
    /// (day, start, end); end after start. Empty: always at work.
    pub spans: Vec<(Weekday, NaiveTime, NaiveTime)>,
}

impl WorkingHours {
    /// Reads `mon-fri 08:00-18:00` (or `sat 09:00-12:00`, `mon,wed 14:00-17:30`).
    pub fn parse_span(s: &str) -> Result<Vec<(Weekday, NaiveTime, NaiveTime)>, String> {
        let bad = || format!("`{s}` is not like `mon-fri 08:00-18:00`");
        let (days, hours) = s.trim().split_once(char::is_whitespace).ok_or_else(bad)?;
        let (start, end) = hours.trim().split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(start)?, time(end)?);
        if end <= start {
            return Err(format!("`{s}`: the end comes before the start"));
        }
        let day = |d: &str| d.trim().parse::<Weekday>().map_err(|_| format!("`{d}` is not a weekday (mon … sun)"));
        let mut out = Vec::new();
        for part in days.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (mut d, last) = (day(a)?, day(b)?);
                    loop {
                        out.push((d, start, end));
                        if d == last {
                            break;
                        }
                        d = d.succ();
                    }
                }
                None => out.push((day(part)?, start, end)),
            }
        }
        Ok(out)
    }

    pub fn is_working(&self, local: NaiveDateTime) -> bool {
        self.spans.is_empty()
            || self.spans.iter().any(|(d, s, e)| *d == local.weekday() && local.time() >= *s && local.time() < *e)
    }
}

/// A technician's calendar: hours, time zone, days away (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub hours: WorkingHours,
    pub tz: Tz,
    pub away: Vec<(NaiveDate, NaiveDate)>,
}

impl Default for Presence {
    fn default() -> Self {
        Presence { hours: WorkingHours::default(), tz: Tz::UTC, away: Vec::new() }
    }
}

impl Presence {
    /// Why they cannot take a ticket at `now`, if they cannot.
    pub fn unavailable(&self, now: DateTime<Utc>) -> Option<String> {
        let local = now.with_timezone(&self.tz).naive_local();
        if let Some((a, b)) = self.away.iter().find(|(a, b)| (*a..=*b).contains(&local.date())) {
            return Some(format!("away from {a} to {b}"));
        }
        if !self.hours.is_working(local) {
            return Some(format!("outside working hours ({} {})", local.format("%a %H:%M"), self.tz));
        }
        None
    }
}

/// One technician as the choice sees them.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub email: &'a str,
    pub skills: &'a [String],
    /// Why they are not available now (working hours, away, noticed
    /// auto-reply), or `None`.
    pub unavailable: Option<String>,
    pub open_tickets: i64,
    /// When they were last given a ticket, as a sequence number (higher
    /// is later); `None`: never.
    pub last_assigned: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub assignee: Option<String>,
    /// One line on how: for the ticket's history and `rules test`.
    pub why: String,
}

/// Open tickets are counted up to this: a technician with more is as
/// swamped as one with this many, and among such the turn decides.
pub const LOAD_COUNTED: i64 = 1000;

/// Picks among the group's technicians, in config order. `wanted` are the
/// ticket's category and tags, lower-case.
pub fn choose(group: &str, wanted: &[String], candidates: &[Candidate<'_>]) -> Choice {
    if candidates.is_empty() {
        return Choice { assignee: None, why: format!("nobody is in group `{group}`") };
    }
    let available: Vec<&Candidate> = candidates.iter().filter(|c| c.unavailable.is_none()).collect();
    if available.is_empty() {
        let why = candidates
            .iter()
            .map(|c| format!("{} {}", c.email, c.unavailable.as_deref().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; ");
        return Choice { assignee: None, why: format!("nobody in `{group}` is available: {why}") };
    }
    let score = |c: &Candidate| c.skills.iter().filter(|s| wanted.contains(&s.to_lowercase())).count();
    let best_skill = available.iter().map(|c| score(c)).max().unwrap_or(0);
    let skilled: Vec<&Candidate> = available.iter().copied().filter(|c| score(c) == best_skill).collect();
    let least = skilled.iter().map(|c| c.open_tickets).min().unwrap_or(0);
    let light: Vec<&Candidate> = skilled.iter().copied().filter(|c| c.open_tickets == least).collect();
    // Never assigned first, then the longest ago; ties keep config order.
    let pick = light.iter().min_by_key(|c| c.last_assigned).copied();
    let Some(pick) = pick else {
        return Choice { assignee: None, why: "no candidate".into() };
    };
    let mut why = format!("group `{group}`");
    if best_skill > 0 {
        why.push_str(&format!(", skill match {best_skill}"));
    }
    if available.len() < candidates.len() {
        why.push_str(&format!(", {} of {} available", available.len(), candidates.len()));
    }
    if least >= LOAD_COUNTED {
        why.push_str(&format!(", {least} open tickets or more"));
    } else {
        why.push_str(&format!(", {least} open ticket(s)"));
    }
    if light.len() > 1 {
        why.push_str(", in turn");
    }
    Choice { assignee: Some(pick.email.to_string()), why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn cand<'a>(email: &'a str, skills: &'a [String], open: i64) -> Candidate<'a> {
        Candidate { email, skills, unavailable: None, open_tickets: open, last_assigned: None }
    }

    #[test]
    fn working_hours_parse_ranges_and_lists() {
        let spans = WorkingHours::parse_span("mon-wed 08:00-12:30").unwrap();
        assert_eq!(spans.len(), 3);
        assert_eq!(WorkingHours::parse_span("sat,sun 10:00-11:00").unwrap().len(), 2);
        assert_eq!(WorkingHours::parse_span("fri-mon 10:00-11:00").unwrap().len(), 4);
        for bad in ["mon 18:00-08:00", "lundi 08:00-12:00", "mon-fri", "mon 8h-12h"] {
            assert!(WorkingHours::parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn availability_is_read_in_the_technicians_time_zone() {
        let hours = WorkingHours { spans: WorkingHours::parse_span("mon-fri 09:00-17:00").unwrap() };
        let paris = Presence { hours: hours.clone(), tz: chrono_tz::Europe::Paris, away: vec![] };
        let montreal = Presence { hours, tz: chrono_tz::America::Montreal, away: vec![] };
        // Monday 2026-11-30 08:30 UTC: 09:30 in Paris, 03:30 in Montréal.
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap();
        assert_eq!(paris.unavailable(now), None);
        assert!(montreal.unavailable(now).unwrap().contains("outside working hours"));
        // Saturday.
        let sat = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
        assert!(paris.unavailable(sat).is_some());
        let away = Presence {
            away: vec![(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 4).unwrap())],
            ..paris
        };
        assert!(away.unavailable(now).unwrap().starts_with("away from 2026-11-30"));
    }

    #[test]
    fn skill_then_availability_then_load_then_turn() {
        let net = vec!["network".to_string()];
        let none: Vec<String> = vec![];
        let wanted = vec!["network".to_string()];
        let t = |n: i64| Some(n);
        struct Case<'a> {
            name: &'a str,
            candidates: Vec<Candidate<'a>>,
            want: Option<&'a str>,
        }
        let cases = vec![
            Case {
                name: "skill beats load",
                candidates: vec![cand("a", &none, 0), cand("b", &net, 5)],
                want: Some("b"),
            },
            Case {
                name: "an unavailable expert is passed over",
                candidates: vec![
                    cand("a", &none, 0),
                    Candidate { unavailable: Some("away".into()), ..cand("b", &net, 0) },
                ],
                want: Some("a"),
            },
            Case {
                name: "fewest open tickets",
                candidates: vec![cand("a", &net, 3), cand("b", &net, 1)],
                want: Some("b"),
            },
            Case {
                name: "in turn: the one assigned longest ago",
                candidates: vec![
                    Candidate { last_assigned: t(10), ..cand("a", &net, 1) },
                    Candidate { last_assigned: t(9), ..cand("b", &net, 1) },
                ],
                want: Some("b"),
            },
            Case {
                name: "never assigned goes first",
                candidates: vec![Candidate { last_assigned: t(1), ..cand("a", &net, 1) }, cand("b", &net, 1)],
                want: Some("b"),
            },
            Case {
                name: "beyond the counted load, the turn decides",
                candidates: vec![
                    Candidate { last_assigned: t(10), ..cand("a", &net, LOAD_COUNTED) },
                    Candidate { last_assigned: t(9), ..cand("b", &net, LOAD_COUNTED) },
                ],
                want: Some("b"),
            },
            Case {
                name: "nobody available",
                candidates: vec![Candidate { unavailable: Some("away".into()), ..cand("a", &net, 0) }],
                want: None,
            },
            Case { name: "empty group", candidates: vec![], want: None },
        ];
        for c in cases {
            assert_eq!(choose("net", &wanted, &c.candidates).assignee.as_deref(), c.want, "{}", c.name);
        }
        let swamped = [cand("a", &net, LOAD_COUNTED), cand("b", &net, LOAD_COUNTED)];
        assert!(choose("net", &wanted, &swamped).why.contains("1000 open tickets or more"));
    }
}
