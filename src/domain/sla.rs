//! One SLA timer: business minutes used against a target, counted on a
//! calendar, paused while the ticket waits for its requester. Pure: the
//! caller stores it and says what happened, and when.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::calendar::Calendar;
use super::ticket::{Lang, UnknownName};

/// What a timer measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    FirstResponse,
    Resolution,
}

impl TimerKind {
    pub const ALL: &'static [TimerKind] = &[TimerKind::FirstResponse, TimerKind::Resolution];

    /// The stored name: `first_response`, `resolution`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::FirstResponse => "first_response",
            TimerKind::Resolution => "resolution",
        }
    }

    /// The words technicians read in notices.
    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Fr, TimerKind::FirstResponse) => "première réponse",
            (Lang::Fr, TimerKind::Resolution) => "résolution",
            (Lang::En, TimerKind::FirstResponse) => "first response",
            (Lang::En, TimerKind::Resolution) => "resolution",
            (Lang::De, TimerKind::FirstResponse) => "erste Antwort",
            (Lang::De, TimerKind::Resolution) => "Lösung",
            (Lang::Es, TimerKind::FirstResponse) => "primera respuesta",
            (Lang::Es, TimerKind::Resolution) => "resolución",
            (Lang::It, TimerKind::FirstResponse) => "prima risposta",
            (Lang::It, TimerKind::Resolution) => "risoluzione",
            (Lang::Nl, TimerKind::FirstResponse) => "eerste reactie",
            (Lang::Nl, TimerKind::Resolution) => "oplossing",
        }
    }
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimerKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimerKind::ALL.iter().copied().find(|k| k.as_str() == s.trim().to_ascii_lowercase()).ok_or_else(|| {
            UnknownName { what: "timer kind", value: s.to_string(), expected: "first_response, resolution" }
        })
    }
}

/// Where a timer stands. A breached timer goes on counting while the ticket
/// is worked on, so the overrun can be told; it stops when the ticket waits
/// or closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerState {
    Running,
    Paused,
    Met,
    Breached,
}

impl TimerState {
    pub const ALL: &'static [TimerState] =
        &[TimerState::Running, TimerState::Paused, TimerState::Met, TimerState::Breached];

    /// The stored name: `running`, `paused`, `met`, `breached`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerState::Running => "running",
            TimerState::Paused => "paused",
            TimerState::Met => "met",
            TimerState::Breached => "breached",
        }
    }
}

impl fmt::Display for TimerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TimerState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimerState::ALL.iter().copied().find(|k| k.as_str() == s.trim().to_ascii_lowercase()).ok_or_else(|| {
            UnknownName { what: "timer state", value: s.to_string(), expected: "running, paused, met, breached" }
        })
    }
}

/// One timer of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub kind: TimerKind,
    pub state: TimerState,
    /// Business minutes allowed.
    pub target_minutes: i64,
    /// Business minutes used before `running_since`.
    pub used_minutes: i64,
    /// Since when it counts: `Some` while running, and while breached but
    /// still counting.
    pub running_since: Option<DateTime<Utc>>,
    /// Share of the target at which to warn, in percent.
    pub warn_percent: u8,
}

impl Timer {
    /// A timer that counts from `now`.
    pub fn start(kind: TimerKind, target_minutes: i64, warn_percent: u8, now: DateTime<Utc>) -> Timer {
        Timer {
            kind,
            state: TimerState::Running,
            target_minutes,
            used_minutes: 0,
            running_since: Some(now),
            warn_percent,
        }
    }

    /// When it counts: since when.
    fn counting_since(&self) -> Option<DateTime<Utc>> {
        match self.state {
            TimerState::Running | TimerState::Breached => self.running_since,
            TimerState::Paused | TimerState::Met => None,
        }
    }

    /// When the target is reached if nothing stops the timer; `running_since`
    /// when it already was. `None` when it does not count.
    pub fn due_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        let since = self.counting_since()?;
        Some(cal.add(since, self.target_minutes - self.used_minutes))
    }

    /// When `warn_percent` of the target is used; `running_since` when it
    /// already was. `None` unless running (a breached timer has nothing
    /// left to warn about).
    pub fn warn_at(&self, cal: &Calendar) -> Option<DateTime<Utc>> {
        if self.state != TimerState::Running {
            return None;
        }
        let since = self.running_since?;
        // Rounded up: the warning never comes before the share is used.
        let share = (i128::from(self.target_minutes) * i128::from(self.warn_percent) + 99).div_euclid(100);
        let share = i64::try_from(share).unwrap_or(i64::MAX);
        Some(cal.add(since, share.saturating_sub(self.used_minutes)))
    }

    /// Business minutes used by `now`.
    pub fn used_at(&self, cal: &Calendar, now: DateTime<Utc>) -> i64 {
        match self.counting_since() {
            Some(since) => self.used_minutes.saturating_add(cal.minutes_between(since, now)),
            None => self.used_minutes,
        }
    }

    /// Business minutes left at `now`; negative when overdue.
    pub fn left_minutes(&self, cal: &Calendar, now: DateTime<Utc>) -> i64 {
        self.target_minutes.saturating_sub(self.used_at(cal, now))
    }

    /// Stops the count (the ticket waits for its requester): running becomes
    /// paused; breached stays breached.
    pub fn pause(&mut self, cal: &Calendar, now: DateTime<Utc>) {
        if matches!(self.state, TimerState::Running | TimerState::Breached) {
            self.stop(cal, now);
            if self.state == TimerState::Running {
                self.state = TimerState::Paused;
            }
        }
    }

    /// Counts again from `now`: a paused timer, or a breached one that was
    /// stopped.
    pub fn resume(&mut self, now: DateTime<Utc>) {
        match self.state {
            TimerState::Paused => {
                self.state = TimerState::Running;
                self.running_since = Some(now);
            }
            TimerState::Breached if self.running_since.is_none() => self.running_since = Some(now),
            _ => {}
        }
    }

    /// The awaited answer came (or the ticket closed): met if within the
    /// target, breached otherwise; stopped either way.
    pub fn meet(&mut self, cal: &Calendar, now: DateTime<Utc>) {
        match self.state {
            TimerState::Running | TimerState::Paused => {
                self.stop(cal, now);
                self.state =
                    if self.used_minutes <= self.target_minutes { TimerState::Met } else { TimerState::Breached };
            }
            TimerState::Breached => self.stop(cal, now),
            TimerState::Met => {}
        }
    }

    /// The target passed while running: breached, and still counting.
    pub fn breach(&mut self) {
        if self.state == TimerState::Running {
            self.state = TimerState::Breached;
        }
    }

    /// The policy changed (say the priority was raised): the minutes used
    /// stay, the target and warning share are the new ones. The state is
    /// kept: a breach already told stays told, and a running timer now past
    /// its target is due at once.
    pub fn retarget(&mut self, target_minutes: i64, warn_percent: u8) {
        self.target_minutes = target_minutes;
        self.warn_percent = warn_percent;
    }

    /// Folds the minutes counted so far into `used_minutes` and stops.
    fn stop(&mut self, cal: &Calendar, now: DateTime<Utc>) {
        self.used_minutes = self.used_at(cal, now);
        self.running_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assign::WorkingHours;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Paris.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap().with_timezone(&Utc)
    }

    fn office() -> Calendar {
        Calendar {
            tz: Paris,
            hours: WorkingHours { spans: WorkingHours::parse_span("mon-fri 08:00-18:00").unwrap() },
            holidays: vec![],
        }
    }

    /// Monday 2026-11-30 in Paris.
    fn mon(h: u32, mi: u32) -> DateTime<Utc> {
        paris(2026, 11, 30, h, mi)
    }

    #[test]
    fn kinds_and_states_read_back_their_names() {
        for k in TimerKind::ALL {
            assert_eq!(k.as_str().parse::<TimerKind>(), Ok(*k));
        }
        for s in TimerState::ALL {
            assert_eq!(s.as_str().parse::<TimerState>(), Ok(*s));
        }
        assert_eq!(" Running ".parse::<TimerState>(), Ok(TimerState::Running));
        assert!("late".parse::<TimerState>().unwrap_err().to_string().contains("running, paused, met, breached"));
        assert!("response".parse::<TimerKind>().is_err());
    }

    #[test]
    fn a_started_timer_is_due_after_its_target_in_business_time() {
        let cal = office();
        let t = Timer::start(TimerKind::Resolution, 240, 75, mon(9, 0));
        assert_eq!(t.due_at(&cal), Some(mon(13, 0)));
        assert_eq!(t.used_at(&cal, mon(10, 30)), 90);
        assert_eq!(t.left_minutes(&cal, mon(10, 30)), 150);
    }

    #[test]
    fn warn_at_is_at_the_warning_share_of_the_target() {
        let cal = office();
        let cases = [
            ("75 % of 4 h", Timer::start(TimerKind::Resolution, 240, 75, mon(9, 0)), Some(mon(12, 0))),
            ("rounded up", Timer::start(TimerKind::FirstResponse, 10, 75, mon(9, 0)), Some(mon(9, 8))),
            (
                "share already used: at once",
                Timer { used_minutes: 200, ..Timer::start(TimerKind::Resolution, 240, 75, mon(9, 0)) },
                Some(mon(9, 0)),
            ),
            (
                "paused",
                Timer {
                    state: TimerState::Paused,
                    running_since: None,
                    ..Timer::start(TimerKind::Resolution, 240, 75, mon(9, 0))
                },
                None,
            ),
            (
                "breached",
                Timer { state: TimerState::Breached, ..Timer::start(TimerKind::Resolution, 240, 75, mon(9, 0)) },
                None,
            ),
        ];
        for (name, t, want) in cases {
            assert_eq!(t.warn_at(&cal), want, "{name}");
        }
    }

    #[test]
    fn pause_and_resume_shift_the_due_time_by_the_paused_business_time() {
        let cal = office();
        struct Case {
            name: &'static str,
            start: DateTime<Utc>,
            pause: DateTime<Utc>,
            resume: DateTime<Utc>,
            used: i64,
            due: DateTime<Utc>,
        }
        let cases = [
            Case {
                name: "within a day",
                start: mon(9, 0),
                pause: mon(10, 0),
                resume: mon(11, 30),
                used: 60,
                due: mon(14, 30),
            },
            Case {
                name: "over a weekend",
                start: paris(2026, 11, 27, 14, 0),
                pause: paris(2026, 11, 27, 17, 0),
                resume: mon(10, 0),
                used: 180,
                due: mon(11, 0),
            },
            Case {
                name: "paused outside hours only: no shift",
                start: paris(2026, 11, 27, 16, 0),
                pause: paris(2026, 11, 27, 18, 0),
                resume: paris(2026, 11, 28, 10, 0),
                used: 120,
                due: mon(10, 0),
            },
        ];
        for c in cases {
            let mut t = Timer::start(TimerKind::Resolution, 240, 75, c.start);
            t.pause(&cal, c.pause);
            assert_eq!(
                (t.state, t.used_minutes, t.running_since, t.due_at(&cal)),
                (TimerState::Paused, c.used, None, None),
                "{}",
                c.name
            );
            // While paused, nothing is used.
            assert_eq!(t.used_at(&cal, c.resume), c.used, "{}", c.name);
            t.resume(c.resume);
            assert_eq!(t.state, TimerState::Running, "{}", c.name);
            assert_eq!(t.due_at(&cal), Some(c.due), "{}", c.name);
        }
    }

    #[test]
    fn meet_before_the_due_time_is_met_and_after_it_is_breached() {
        let cal = office();
        let cases = [
            ("well before", mon(10, 0), TimerState::Met, 60),
            ("on the minute", mon(13, 0), TimerState::Met, 240),
            ("after", mon(13, 1), TimerState::Breached, 241),
            ("the next day", paris(2026, 12, 1, 9, 0), TimerState::Breached, 540 + 60),
        ];
        for (name, at, state, used) in cases {
            let mut t = Timer::start(TimerKind::FirstResponse, 240, 75, mon(9, 0));
            t.meet(&cal, at);
            assert_eq!((t.state, t.used_minutes, t.running_since), (state, used, None), "{name}");
            assert_eq!(t.due_at(&cal), None, "{name}");
        }
        // Met while paused: what was used before the pause counts.
        let mut t = Timer::start(TimerKind::Resolution, 60, 75, mon(9, 0));
        t.pause(&cal, mon(9, 30));
        t.meet(&cal, mon(17, 0));
        assert_eq!((t.state, t.used_minutes), (TimerState::Met, 30));
    }

    #[test]
    fn a_breached_timer_counts_until_it_is_paused_or_met() {
        let cal = office();
        let mut t = Timer::start(TimerKind::Resolution, 60, 75, mon(9, 0));
        t.breach();
        assert_eq!(t.state, TimerState::Breached);
        assert_eq!(t.left_minutes(&cal, mon(10, 30)), -30);
        assert_eq!(t.due_at(&cal), Some(mon(10, 0)));
        t.pause(&cal, mon(11, 0));
        assert_eq!((t.state, t.used_minutes, t.running_since), (TimerState::Breached, 120, None));
        assert_eq!(t.left_minutes(&cal, mon(17, 0)), -60);
        t.resume(mon(14, 0));
        assert_eq!(t.running_since, Some(mon(14, 0)));
        assert_eq!(t.left_minutes(&cal, mon(14, 30)), -90);
        t.meet(&cal, mon(15, 0));
        assert_eq!((t.state, t.used_minutes, t.running_since), (TimerState::Breached, 180, None));
        // Neither breach nor resume touches a met timer.
        let mut met = Timer::start(TimerKind::FirstResponse, 60, 75, mon(9, 0));
        met.meet(&cal, mon(9, 10));
        let before = met.clone();
        met.breach();
        met.resume(mon(12, 0));
        met.pause(&cal, mon(12, 0));
        assert_eq!(met, before);
    }

    #[test]
    fn left_minutes_is_negative_after_the_due_time() {
        let cal = office();
        let t = Timer::start(TimerKind::FirstResponse, 120, 75, paris(2026, 11, 27, 17, 0));
        assert_eq!(t.due_at(&cal), Some(mon(9, 0)));
        let cases = [
            (paris(2026, 11, 27, 17, 30), 90),
            (paris(2026, 11, 28, 12, 0), 60),
            (mon(9, 0), 0),
            (mon(9, 30), -30),
            (paris(2026, 12, 1, 9, 0), 120 - (60 + 600 + 60)),
        ];
        for (now, want) in cases {
            assert_eq!(t.left_minutes(&cal, now), want, "{now}");
        }
    }

    #[test]
    fn retarget_keeps_the_minutes_used() {
        let cal = office();
        let mut t = Timer::start(TimerKind::Resolution, 480, 75, mon(9, 0));
        t.pause(&cal, mon(10, 0));
        t.resume(mon(10, 0));
        assert_eq!(t.due_at(&cal), Some(mon(17, 0)));
        // Priority raised: 4 h instead of 8, one already used.
        t.retarget(240, 50);
        assert_eq!((t.target_minutes, t.used_minutes, t.warn_percent), (240, 60, 50));
        assert_eq!(t.due_at(&cal), Some(mon(13, 0)));
        assert_eq!(t.warn_at(&cal), Some(mon(11, 0)));
        // Lowered below what is already used: due at once.
        t.retarget(30, 75);
        assert_eq!(t.due_at(&cal), Some(mon(10, 0)));
        assert_eq!(t.left_minutes(&cal, mon(11, 0)), -90);
    }
}
