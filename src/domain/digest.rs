//! When a technician's digest is due: at the start of their working day,
//! in their time zone, not on days away; daily, or on the first working
//! day of the week.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc, Weekday};

use super::assign::Presence;
use super::ticket::named_enum;

/// How often a technician gets their digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cadence {
    #[default]
    Daily,
    Weekly,
    Off,
}

named_enum!(Cadence, "digest", {
    Daily => "daily",
    Weekly => "weekly",
    Off => "off",
});

/// Where a working day starts when no `working_hours` are given: office
/// hours are the likeliest.
const DEFAULT_START: (u32, u32) = (8, 0);
/// Working days when no `working_hours` are given.
const DEFAULT_DAYS: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];

/// The local day whose digest is due at `now`, if one is: a working day,
/// not away, from the start of its first working span to the end of its
/// last (a desk that was down in the morning still sends it, a day over
/// gets none). Weekly: only the week's first working day.
pub fn due_day(presence: &Presence, cadence: Cadence, now: DateTime<Utc>) -> Option<NaiveDate> {
    if cadence == Cadence::Off {
        return None;
    }
    let local = now.with_timezone(&presence.tz).naive_local();
    let today = local.date();
    if presence.away.iter().any(|(a, b)| (*a..=*b).contains(&today)) {
        return None;
    }
    let (start, end) = day_span(presence, today.weekday())?;
    if local.time() < start || local.time() >= end {
        return None;
    }
    if cadence == Cadence::Weekly {
        let first = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun]
            .into_iter()
            .find(|d| day_span(presence, *d).is_some());
        if first != Some(today.weekday()) {
            return None;
        }
    }
    Some(today)
}

/// When work starts and ends on `day`, if it is a working day.
fn day_span(presence: &Presence, day: Weekday) -> Option<(NaiveTime, NaiveTime)> {
    let spans = &presence.hours.spans;
    if spans.is_empty() {
        let start = NaiveTime::from_hms_opt(DEFAULT_START.0, DEFAULT_START.1, 0)?;
        let end = NaiveTime::from_hms_opt(23, 59, 59)?;
        return DEFAULT_DAYS.contains(&day).then_some((start, end));
    }
    let of_day = spans.iter().filter(|(d, _, _)| *d == day);
    let start = of_day.clone().map(|(_, s, _)| *s).min()?;
    let end = of_day.map(|(_, _, e)| *e).max()?;
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assign::WorkingHours;

    fn paris(hours: &str, away: Vec<(NaiveDate, NaiveDate)>) -> Presence {
        let spans = if hours.is_empty() { Vec::new() } else { WorkingHours::parse_span(hours).unwrap() };
        Presence { hours: WorkingHours { spans }, tz: chrono_tz::Europe::Paris, away }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn daily_from_the_start_of_the_working_day_to_its_end_in_their_zone() {
        let p = paris("mon-fri 09:00-18:00", Vec::new());
        // Monday 30 November 2026: 08:59 and 09:00 in Paris.
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T07:59:00Z")), None);
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T08:00:00Z")), Some(day("2026-11-30")));
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T16:59:00Z")), Some(day("2026-11-30")));
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T17:00:00Z")), None, "the day is over");
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-12-05T10:00:00Z")), None, "Saturday");
        assert_eq!(due_day(&p, Cadence::Off, at("2026-11-30T10:00:00Z")), None);
    }

    #[test]
    fn weekly_on_the_first_working_day_only_and_never_on_days_away() {
        let p = paris("tue-fri 14:00-18:00", Vec::new());
        assert_eq!(due_day(&p, Cadence::Weekly, at("2026-11-30T14:00:00Z")), None, "Monday is no working day");
        assert_eq!(due_day(&p, Cadence::Weekly, at("2026-12-01T13:00:00Z")), Some(day("2026-12-01")));
        assert_eq!(due_day(&p, Cadence::Weekly, at("2026-12-02T13:00:00Z")), None);
        let away = paris("mon-fri 09:00-18:00", vec![(day("2026-11-30"), day("2026-12-01"))]);
        assert_eq!(due_day(&away, Cadence::Daily, at("2026-12-01T09:00:00Z")), None);
        assert_eq!(due_day(&away, Cadence::Daily, at("2026-12-02T09:00:00Z")), Some(day("2026-12-02")));
    }

    #[test]
    fn without_working_hours_weekdays_from_eight() {
        let p = paris("", Vec::new());
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T06:59:00Z")), None);
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-11-30T07:00:00Z")), Some(day("2026-11-30")));
        assert_eq!(due_day(&p, Cadence::Daily, at("2026-12-06T09:00:00Z")), None, "Sunday");
    }
}
