use super::*;
use chrono_tz::Europe::Paris;

fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Paris.with_ymd_and_hms(y, mo, d, h, mi, 0).earliest().unwrap().with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn calendar(tz: Tz, spans: &[&str], holidays: &[&str]) -> Calendar {
    Calendar {
        tz,
        hours: WorkingHours { spans: spans.iter().flat_map(|s| WorkingHours::parse_span(s).unwrap()).collect() },
        holidays: holidays.iter().map(|h| Holiday::parse(h).unwrap()).collect(),
    }
}

fn office(holidays: &[&str]) -> Calendar {
    calendar(Paris, &["mon-fri 08:00-18:00"], holidays)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn holidays_are_read_in_three_forms() {
    let cases = [
        ("2026-12-24", Ok(Holiday::Date(date(2026, 12, 24)))),
        (" 12-25 ", Ok(Holiday::Yearly { month: 12, day: 25 })),
        ("02-29", Ok(Holiday::Yearly { month: 2, day: 29 })),
        ("easter", Ok(Holiday::Easter(0))),
        ("Easter+1", Ok(Holiday::Easter(1))),
        ("easter+39", Ok(Holiday::Easter(39))),
        ("easter-2", Ok(Holiday::Easter(-2))),
        ("easter + 50", Ok(Holiday::Easter(50))),
    ];
    for (text, want) in cases {
        assert_eq!(Holiday::parse(text), want, "{text}");
    }
    for bad in [
        "",
        "christmas",
        "2026-02-30",
        "13-01",
        "12/25",
        "easter*2",
        "easter+",
        "easter++1",
        "easter+400",
        "26-12-24",
        "12-25-2026",
    ] {
        let e = Holiday::parse(bad).unwrap_err();
        assert!(e.contains(&format!("`{bad}`")) && e.contains("12-25") && e.contains("easter+1"), "{bad}: {e}");
    }
}

#[test]
fn easter_sunday_follows_the_gregorian_computus() {
    for (y, m, d) in [
        (1818, 3, 22),
        (2000, 4, 23),
        (2024, 3, 31),
        (2025, 4, 20),
        (2026, 4, 5),
        (2027, 3, 28),
        (2038, 4, 25),
        (2285, 3, 22),
    ] {
        assert_eq!(easter_sunday(y), Some(date(y, m, d)), "{y}");
    }
    let cases = [
        ("easter+1", date(2027, 3, 29), true),
        ("easter+1", date(2027, 3, 28), false),
        ("easter-2", date(2026, 4, 3), true),
        ("easter+39", date(2026, 5, 14), true),
        ("easter+50", date(2026, 5, 25), true),
        ("12-25", date(1999, 12, 25), true),
        ("2026-12-24", date(2027, 12, 24), false),
    ];
    for (h, d, want) in cases {
        assert_eq!(Holiday::parse(h).unwrap().falls_on(d), want, "{h} {d}");
    }
}

#[test]
fn add_counts_only_business_time() {
    struct Case {
        name: &'static str,
        cal: Calendar,
        start: DateTime<Utc>,
        minutes: i64,
        want: DateTime<Utc>,
    }
    let spring = calendar(Paris, &["sun 00:00-06:00"], &[]);
    let cases = [
        Case {
            name: "over a weekend",
            cal: office(&[]),
            start: paris(2026, 11, 27, 17, 0),
            minutes: 120,
            want: paris(2026, 11, 30, 9, 0),
        },
        Case {
            name: "within the day",
            cal: office(&[]),
            start: paris(2026, 11, 30, 9, 15),
            minutes: 45,
            want: paris(2026, 11, 30, 10, 0),
        },
        Case {
            name: "up to closing time exactly",
            cal: office(&[]),
            start: paris(2026, 11, 30, 17, 0),
            minutes: 60,
            want: paris(2026, 11, 30, 18, 0),
        },
        Case {
            name: "overnight",
            cal: office(&[]),
            start: paris(2026, 12, 1, 17, 30),
            minutes: 60,
            want: paris(2026, 12, 2, 8, 30),
        },
        Case {
            name: "over a dated holiday",
            cal: office(&["2026-11-30"]),
            start: paris(2026, 11, 27, 17, 0),
            minutes: 120,
            want: paris(2026, 12, 1, 9, 0),
        },
        Case {
            name: "over a yearly holiday",
            cal: office(&["12-25"]),
            start: paris(2026, 12, 24, 17, 0),
            minutes: 120,
            want: paris(2026, 12, 28, 9, 0),
        },
        Case {
            name: "over Easter Monday 2027",
            cal: office(&["easter+1"]),
            start: paris(2027, 3, 26, 17, 0),
            minutes: 120,
            want: paris(2027, 3, 30, 9, 0),
        },
        Case {
            name: "from outside hours: a Saturday",
            cal: office(&[]),
            start: paris(2026, 11, 28, 10, 0),
            minutes: 30,
            want: paris(2026, 11, 30, 8, 30),
        },
        Case {
            name: "from outside hours: before opening",
            cal: office(&[]),
            start: paris(2026, 11, 30, 6, 0),
            minutes: 30,
            want: paris(2026, 11, 30, 8, 30),
        },
        Case {
            name: "spring forward: 00:00-06:00 holds 5 hours",
            cal: spring.clone(),
            start: paris(2026, 3, 28, 12, 0),
            minutes: 300,
            want: paris(2026, 3, 29, 6, 0),
        },
        Case {
            name: "spring forward: 02:00-03:00 does not exist",
            cal: spring.clone(),
            start: paris(2026, 3, 29, 0, 0),
            minutes: 150,
            want: paris(2026, 3, 29, 3, 30),
        },
        Case {
            name: "spring forward: more than the day holds goes to the next Sunday",
            cal: spring,
            start: paris(2026, 3, 29, 0, 0),
            minutes: 330,
            want: paris(2026, 4, 5, 0, 30),
        },
        Case {
            name: "spring forward: a span starting at a time that does not exist",
            cal: calendar(Paris, &["sun 02:30-05:00"], &[]),
            start: paris(2026, 3, 28, 12, 0),
            minutes: 1,
            want: utc(2026, 3, 29, 1, 1),
        },
        Case {
            name: "fall back: 00:00-06:00 holds 7 hours",
            cal: calendar(Paris, &["sun 00:00-06:00"], &[]),
            start: paris(2026, 10, 24, 12, 0),
            minutes: 420,
            want: paris(2026, 10, 25, 6, 0),
        },
        Case {
            name: "fall back: 02:00-03:00 happens twice",
            cal: calendar(Paris, &["sun 00:00-06:00"], &[]),
            start: paris(2026, 10, 25, 0, 0),
            minutes: 240,
            want: utc(2026, 10, 25, 2, 0),
        },
        Case {
            name: "around the clock",
            cal: Calendar::always(),
            start: utc(2026, 11, 28, 10, 0),
            minutes: 3 * 24 * 60,
            want: utc(2026, 12, 1, 10, 0),
        },
        Case {
            name: "around the clock in Paris over the spring change: real time",
            cal: calendar(Paris, &[], &[]),
            start: utc(2026, 3, 28, 12, 0),
            minutes: 24 * 60,
            want: utc(2026, 3, 29, 12, 0),
        },
        Case {
            name: "around the clock but on holidays",
            cal: calendar(Paris, &[], &["12-25"]),
            start: paris(2026, 12, 24, 23, 0),
            minutes: 120,
            want: paris(2026, 12, 26, 1, 0),
        },
        Case {
            name: "nothing to add",
            cal: office(&[]),
            start: paris(2026, 11, 28, 10, 0),
            minutes: 0,
            want: paris(2026, 11, 28, 10, 0),
        },
        Case {
            name: "negative minutes",
            cal: office(&[]),
            start: paris(2026, 11, 28, 10, 0),
            minutes: -5,
            want: paris(2026, 11, 28, 10, 0),
        },
    ];
    for c in cases {
        assert_eq!(c.cal.add(c.start, c.minutes), c.want, "{}", c.name);
    }
}

#[test]
fn minutes_between_counts_business_minutes() {
    let cases = [
        ("a weekend", office(&[]), paris(2026, 11, 27, 17, 0), paris(2026, 11, 30, 9, 0), 120),
        ("a whole week", office(&[]), paris(2026, 11, 30, 0, 0), paris(2026, 12, 7, 0, 0), 5 * 600),
        ("a week with Christmas", office(&["12-25"]), paris(2026, 12, 21, 0, 0), paris(2026, 12, 28, 0, 0), 4 * 600),
        (
            "spring forward",
            calendar(Paris, &["sun 00:00-06:00"], &[]),
            paris(2026, 3, 28, 0, 0),
            paris(2026, 3, 30, 0, 0),
            300,
        ),
        (
            "fall back",
            calendar(Paris, &["sun 00:00-06:00"], &[]),
            paris(2026, 10, 24, 0, 0),
            paris(2026, 10, 26, 0, 0),
            420,
        ),
        (
            "a span from 02:30 on spring forward",
            calendar(Paris, &["sun 02:30-05:00"], &[]),
            paris(2026, 3, 28, 0, 0),
            paris(2026, 3, 30, 0, 0),
            120,
        ),
        (
            "a span inside the repeated hour",
            calendar(Paris, &["sun 02:15-02:45"], &[]),
            paris(2026, 10, 24, 0, 0),
            paris(2026, 10, 26, 0, 0),
            60,
        ),
        (
            "overlapping spans count once",
            calendar(Paris, &["mon 08:00-12:00", "mon 10:00-14:00"], &[]),
            paris(2026, 11, 30, 0, 0),
            paris(2026, 12, 1, 0, 0),
            360,
        ),
        ("around the clock", Calendar::always(), utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0), 1440),
        (
            "around the clock in Paris over the fall change",
            calendar(Paris, &[], &[]),
            utc(2026, 10, 24, 12, 0),
            utc(2026, 10, 25, 12, 0),
            1440,
        ),
        ("an empty range", office(&[]), paris(2026, 11, 30, 10, 0), paris(2026, 11, 30, 10, 0), 0),
        ("a reversed range", office(&[]), paris(2026, 11, 30, 12, 0), paris(2026, 11, 30, 10, 0), 0),
        (
            "partial minutes are dropped",
            office(&[]),
            paris(2026, 11, 30, 10, 0),
            paris(2026, 11, 30, 10, 0) + Duration::seconds(119),
            1,
        ),
    ];
    for (name, cal, a, b, want) in cases {
        assert_eq!(cal.minutes_between(a, b), want, "{name}");
    }
}

#[test]
fn minutes_between_undoes_add() {
    let cals = [
        office(&["12-25", "easter+1", "2026-11-11"]),
        calendar(Paris, &["sun 00:00-06:00", "sat 01:30-03:30"], &[]),
        calendar(chrono_tz::America::Montreal, &["mon-fri 09:00-17:00", "sat 10:00-12:00"], &["07-01"]),
        calendar(Paris, &[], &["05-01"]),
        Calendar::always(),
    ];
    let starts =
        [paris(2026, 3, 27, 16, 45), paris(2026, 10, 24, 23, 10), paris(2026, 12, 24, 12, 0), utc(2027, 3, 26, 7, 59)];
    for (i, cal) in cals.iter().enumerate() {
        for start in starts {
            for minutes in [1, 59, 60, 61, 299, 300, 301, 600, 1000, 10_000] {
                let end = cal.add(start, minutes);
                assert_eq!(cal.minutes_between(start, end), minutes, "calendar {i} from {start} + {minutes}");
                assert!(cal.is_open(end - Duration::seconds(1)), "calendar {i} from {start} + {minutes}");
            }
        }
    }
}

#[test]
fn is_open_reads_the_local_wall_clock() {
    let cal = office(&["12-25"]);
    let cases = [
        (paris(2026, 11, 30, 8, 0), true),
        (paris(2026, 11, 30, 7, 59), false),
        (paris(2026, 11, 30, 18, 0), false),
        (paris(2026, 11, 28, 10, 0), false),
        (paris(2026, 12, 25, 10, 0), false),
        // 07:30 UTC is 08:30 in Paris.
        (utc(2026, 11, 30, 7, 30), true),
    ];
    for (t, want) in cases {
        assert_eq!(cal.is_open(t), want, "{t}");
    }
    assert!(Calendar::always().is_open(utc(2026, 12, 25, 3, 0)));
}

#[test]
fn a_calendar_never_open_ends_the_walk() {
    let every_day: Vec<String> =
        date(2000, 1, 1).iter_days().take(366).map(|d| d.format("%m-%d").to_string()).collect();
    let every_day: Vec<&str> = every_day.iter().map(String::as_str).collect();
    let start = utc(2026, 11, 30, 9, 0);
    let far = start + Duration::days(FAR_DAYS);
    let never = [
        calendar(Paris, &["mon-fri 08:00-18:00"], &every_day),
        calendar(Paris, &[], &every_day),
        Calendar {
            hours: WorkingHours { spans: vec![(chrono::Weekday::Mon, NaiveTime::MIN, NaiveTime::MIN)] },
            ..Calendar::always()
        },
    ];
    for (i, cal) in never.iter().enumerate() {
        assert_eq!(cal.add(start, 60), far, "calendar {i}");
        assert_eq!(cal.minutes_between(start, start + Duration::days(400)), 0, "calendar {i}");
        assert!(!cal.is_open(start), "calendar {i}");
    }
    // Far in the future, but reachable: the walk does not give up.
    let leap_days = calendar(Paris, &[], &every_day.iter().copied().filter(|d| *d != "02-29").collect::<Vec<_>>());
    assert_eq!(leap_days.add(utc(2097, 1, 1, 0, 0), 60), paris(2104, 2, 29, 1, 0));
    assert_eq!(Calendar::always().add(start, i64::MAX), far);
}
