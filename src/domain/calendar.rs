//! Business time: when a calendar is open (working hours on the local wall
//! clock of its time zone, less holidays), and counting minutes on it
//! across nights, weekends, holidays and DST changes.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, SubsecRound, TimeZone, Utc};
use chrono_tz::Tz;

use super::assign::WorkingHours;

/// Days without any open time after which `add` gives up: ten years, more
/// than the longest gap a real calendar has (a 29 February alone).
const CLOSED_DAYS_LIMIT: i64 = 3660;
/// How far ahead `add` answers when the time cannot be reached: 100 years.
const FAR_DAYS: i64 = 36_525;
/// The stretch of time looked at in one step of a walk.
const WINDOW_DAYS: i64 = 7;
/// How often the UTC offset is probed for a change; DST changes are much
/// further apart.
const OFFSET_PROBE_HOURS: i64 = 3;

/// A day the calendar is closed, all day long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holiday {
    /// One day: `2026-12-24`.
    Date(NaiveDate),
    /// The same day every year: `12-25`.
    Yearly { month: u32, day: u32 },
    /// Days after Easter Sunday, negative before it: `easter`, `easter+1`,
    /// `easter-2`.
    Easter(i64),
}

impl Holiday {
    /// Reads `2026-12-24`, `12-25`, `easter`, `easter+39` or `easter-2`; the
    /// error quotes the text and shows these forms.
    pub fn parse(s: &str) -> Result<Holiday, String> {
        let bad = || {
            format!(
                "`{s}` is not a holiday: give a date (2026-12-24), a day every year (12-25) \
                 or a day from Easter (easter, easter+1, easter-2)"
            )
        };
        let text = s.trim().to_ascii_lowercase();
        let number = |t: &str, max_len: usize| -> Result<u32, String> {
            if t.is_empty() || t.len() > max_len || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse().map_err(|_| bad())
        };
        if let Some(rest) = text.strip_prefix("easter") {
            let rest = rest.trim();
            if rest.is_empty() {
                return Ok(Holiday::Easter(0));
            }
            let (sign, days) = match (rest.strip_prefix('+'), rest.strip_prefix('-')) {
                (Some(days), _) => (1, days),
                (_, Some(days)) => (-1, days),
                _ => return Err(bad()),
            };
            // Any feast tied to Easter is within the year around it.
            let days = number(days.trim(), 3)?;
            if days > 365 {
                return Err(bad());
            }
            return Ok(Holiday::Easter(sign * i64::from(days)));
        }
        match text.split('-').collect::<Vec<_>>()[..] {
            [year, month, day] if year.len() == 4 => {
                let year = i32::try_from(number(year, 4)?).map_err(|_| bad())?;
                NaiveDate::from_ymd_opt(year, number(month, 2)?, number(day, 2)?).map(Holiday::Date).ok_or_else(bad)
            }
            [month, day] => {
                let (month, day) = (number(month, 2)?, number(day, 2)?);
                // 2000 is a leap year, so 02-29 is accepted.
                NaiveDate::from_ymd_opt(2000, month, day).map(|_| Holiday::Yearly { month, day }).ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }

    /// Whether local day `d` is this holiday.
    pub fn falls_on(&self, d: NaiveDate) -> bool {
        match *self {
            Holiday::Date(date) => date == d,
            Holiday::Yearly { month, day } => d.month() == month && d.day() == day,
            Holiday::Easter(offset) => Duration::try_days(offset)
                .and_then(|o| d.checked_sub_signed(o))
                .is_some_and(|sunday| easter_sunday(sunday.year()) == Some(sunday)),
        }
    }
}

/// Gregorian Easter Sunday (the anonymous Gregorian algorithm).
fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let (d, e) = (b.div_euclid(4), b.rem_euclid(4));
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    NaiveDate::from_ymd_opt(year, u32::try_from(n / 31).ok()?, u32::try_from(n % 31 + 1).ok()?)
}

/// When a service level counts: working hours on the wall clock of `tz`,
/// closed all day on holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub tz: Tz,
    /// Local wall-clock spans; empty: open around the clock.
    pub hours: WorkingHours,
    pub holidays: Vec<Holiday>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::always()
    }
}

/// `t + d`, or the last instant chrono knows when that is beyond it.
fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Calendar {
    /// Every minute counts: UTC, no working hours, no holidays.
    pub fn always() -> Calendar {
        Calendar { tz: Tz::UTC, hours: WorkingHours::default(), holidays: Vec::new() }
    }

    fn is_around_the_clock(&self) -> bool {
        self.hours.spans.is_empty() && self.holidays.is_empty()
    }

    fn is_holiday(&self, day: NaiveDate) -> bool {
        self.holidays.iter().any(|h| h.falls_on(day))
    }

    /// Whether `t` falls in working hours, on a day that is no holiday.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz).naive_local();
        !self.is_holiday(local.date()) && self.hours.is_working(local)
    }

    /// The instant at which `minutes` business minutes have passed since
    /// `start`; counting begins at the next opening when `start` is outside
    /// hours. `start` itself when `minutes <= 0`; 100 years on when the
    /// calendar is never open (or not for that long).
    pub fn add(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return start;
        }
        let mut left = Duration::try_minutes(minutes).unwrap_or(Duration::MAX);
        let far = later(start, Duration::days(FAR_DAYS));
        if self.is_around_the_clock() {
            return start.checked_add_signed(left).map_or(far, |end| end.min(far));
        }
        let mut from = start;
        let mut last_open = start;
        while from < far && from - last_open < Duration::days(CLOSED_DAYS_LIMIT) {
            let to = later(from, Duration::days(WINDOW_DAYS)).min(far);
            for (a, b) in self.open_spans(from, to) {
                if b - a >= left {
                    return a + left;
                }
                left -= b - a;
                last_open = b;
            }
            from = to;
        }
        far
    }

    /// Business minutes in `[a, b)`, whole minutes; 0 when `b <= a`.
    pub fn minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        if self.is_around_the_clock() {
            return (b - a).num_minutes();
        }
        let mut total = Duration::zero();
        let mut from = a;
        while from < b {
            let to = later(from, Duration::days(WINDOW_DAYS)).min(b);
            for (x, y) in self.open_spans(from, to) {
                total += y - x;
            }
            from = to;
        }
        total.num_minutes()
    }

    /// The open stretches within `[from, to)`, in order, merged. Meant for a
    /// few days at a time.
    fn open_spans(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let pieces = self.offset_pieces(from, to);
        // A day either side: the local dates of [from, to) are not always
        // in order around a DST change.
        let local_date = |t: DateTime<Utc>| t.with_timezone(&self.tz).date_naive();
        let first = local_date(from).pred_opt().unwrap_or(local_date(from));
        let last = local_date(to).succ_opt().unwrap_or(local_date(to));
        let mut spans = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            if self.is_holiday(day) {
                continue;
            }
            for (wall_start, wall_end) in self.wall_spans(day) {
                for &(piece_start, piece_end, offset) in &pieces {
                    // On a piece the offset is fixed: wall = utc + offset.
                    let (Some(a), Some(b)) =
                        (wall_start.checked_sub_signed(offset), wall_end.checked_sub_signed(offset))
                    else {
                        continue;
                    };
                    let (a, b) = (a.and_utc().max(piece_start), b.and_utc().min(piece_end));
                    if a < b {
                        spans.push((a, b));
                    }
                }
            }
        }
        spans.sort();
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            match merged.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The wall-clock stretches `day` is open, holidays aside.
    fn wall_spans(&self, day: NaiveDate) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        if self.hours.spans.is_empty() {
            return day
                .succ_opt()
                .map(|next| (day.and_time(NaiveTime::MIN), next.and_time(NaiveTime::MIN)))
                .into_iter()
                .collect();
        }
        self.hours
            .spans
            .iter()
            .filter(|(weekday, start, end)| *weekday == day.weekday() && start < end)
            .map(|(_, start, end)| (day.and_time(*start), day.and_time(*end)))
            .collect()
    }

    /// `[from, to)` cut where the UTC offset of `tz` changes, each piece
    /// with its offset.
    fn offset_pieces(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>, Duration)> {
        let offset_at = |t: DateTime<Utc>| {
            Duration::seconds(i64::from(self.tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc()))
        };
        let mut pieces = Vec::new();
        let (mut start, mut offset) = (from, offset_at(from));
        let mut probe = from;
        while probe < to {
            let next = later(probe, Duration::hours(OFFSET_PROBE_HOURS)).min(to);
            if offset_at(next) == offset {
                probe = next;
                continue;
            }
            // The change is in (lo, hi]; narrow it to the second it happens.
            let (mut lo, mut hi) = (probe, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            // Changes happen on a whole second.
            let whole = hi.trunc_subsecs(0);
            if whole > lo && offset_at(whole) != offset {
                hi = whole;
            }
            pieces.push((start, hi, offset));
            (start, offset, probe) = (hi, offset_at(hi), hi);
        }
        if start < to {
            pieces.push((start, to, offset));
        }
        pieces
    }
}

#[cfg(test)]
mod tests;
