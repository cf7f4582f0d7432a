//! `guichet report`

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::report::{self, Report};

use super::{exit, Env, Failure};

/// The desk's KPIs over a period: tickets opened and resolved, backlog,
/// time to first response and to resolution (business time), SLA
/// compliance, reopen rate, first-contact and self-service resolutions,
/// satisfaction, each technician's load, busiest hours. Computed from the
/// tickets' history, so a past period's figures do not change.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// First day (YYYY-MM-DD, from its start in the report's time zone)
    /// or time (RFC 3339) [default: 30 days before --until]
    #[arg(long)]
    since: Option<String>,
    /// Last day (YYYY-MM-DD, to its end) or time (RFC 3339) [default: now]
    #[arg(long)]
    until: Option<String>,
    /// Only the tickets of this group (as they were at the period's end)
    #[arg(long)]
    group: Option<String>,
    /// All the figures as JSON, with the day-by-day series
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// All the figures as CSV rows: metric,dimension,value
    #[arg(long)]
    csv: bool,
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let settings = &env.settings;
    let now = env.clock.now();
    let period = report::period(args.since.as_deref(), args.until.as_deref(), &settings.report.calendar, now)
        .map_err(|e| Failure::new(exit::USAGE, e))?;
    let store = env.store()?;
    let mut conn = store.conn()?;
    let r = report::report(&mut conn, settings, period, args.group.as_deref())?;
    if args.json {
        let text = serde_json::to_string_pretty(&r).map_err(|e| Failure::new(exit::FAILURE, e))?;
        println!("{text}");
    } else if args.csv {
        print!("{}", csv(&r));
    } else {
        print!("{}", text(&r, &settings.report.calendar_name));
    }
    Ok(ExitCode::SUCCESS)
}

fn list<K: std::fmt::Display>(items: impl IntoIterator<Item = (K, u64)>) -> String {
    let v: Vec<String> = items.into_iter().map(|(k, n)| format!("{k} {n}")).collect();
    if v.is_empty() {
        "–".into()
    } else {
        v.join(", ")
    }
}

/// The report as a person reads it.
pub fn text(r: &Report, calendar: &str) -> String {
    let mut o = String::new();
    let local = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let group = r.group.as_deref().map_or("all groups".to_string(), |g| format!("group {g}"));
    let _ = writeln!(o, "KPIs from {} to {}, {group}", local(r.since), local(r.until));
    let business = if calendar.is_empty() { "every minute counted".into() } else { format!("calendar {calendar}") };
    let _ = writeln!(o, "  (durations in business time: {business}; days and hours in {})", r.time_zone);
    let t = &r.tickets;
    let _ = writeln!(
        o,
        "Tickets          opened {}, resolved {}, closed unresolved {}, reopened {}, merged {}",
        t.opened, t.resolved, t.unresolved, t.reopened, t.merged
    );
    let b = &r.backlog;
    let _ = writeln!(o, "Backlog          {} open: {}", b.total, list(b.by_status.iter().map(|(k, n)| (k, *n))));
    let _ = writeln!(o, "  by priority    {}", list(b.by_priority.iter().map(|(k, n)| (format!("P{k}"), *n))));
    let groups = b.by_group.iter().map(|(k, n)| (if k.is_empty() { "(none)".to_string() } else { k.clone() }, *n));
    let _ = writeln!(o, "  by group       {}", list(groups));
    for (label, d) in [("First response", &r.first_response), ("Resolution", &r.resolution)] {
        let _ = writeln!(
            o,
            "{label:<16} median {}, p90 {} ({} tickets)",
            report::minutes_label(d.median_minutes),
            report::minutes_label(d.p90_minutes),
            d.count
        );
    }
    if r.sla.is_empty() {
        let _ = writeln!(o, "SLA compliance   – (no clock met or breached)");
    }
    for s in &r.sla {
        let _ = writeln!(
            o,
            "SLA {:<12} {} met (first response {}/{}, resolution {}/{})",
            s.policy,
            report::percent_label(s.percent),
            s.first_response_met,
            s.first_response_met + s.first_response_breached,
            s.resolution_met,
            s.resolution_met + s.resolution_breached
        );
    }
    let _ = writeln!(o, "Reopen rate      {}", report::percent_label(r.reopen_rate));
    let _ = writeln!(
        o,
        "First contact    {} ({} of resolved)",
        r.first_contact.count,
        report::percent_label(r.first_contact.percent)
    );
    let _ = writeln!(
        o,
        "Self-service     {} ({} of resolved)",
        r.self_service.count,
        report::percent_label(r.self_service.percent)
    );
    let s = &r.satisfaction;
    let average = s.average.map_or_else(|| "–".to_string(), |a| format!("{a:.2}/5"));
    let _ = writeln!(
        o,
        "Satisfaction     {average}, {} satisfied (4–5), {} answers; response rate {} of {} surveys sent",
        report::percent_label(s.satisfied),
        s.answers,
        report::percent_label(s.response_rate),
        s.surveys_sent
    );
    let _ = writeln!(o, "Technicians      open / resolved / answers");
    for l in &r.technicians {
        let _ = writeln!(o, "  {:<36} {:>4} {:>6} {:>6}", l.technician, l.open, l.resolved, l.answers);
    }
    let mut hours: Vec<(usize, u64)> = r.hours.iter().copied().enumerate().filter(|(_, n)| *n > 0).collect();
    hours.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let busiest = list(hours.iter().take(3).map(|(h, n)| (format!("{h:02}h"), *n)));
    let _ = writeln!(o, "Busiest hours    {busiest} (tickets opened)");
    o
}

fn row(o: &mut String, metric: &str, dimension: &str, value: impl std::fmt::Display) {
    let quote = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let _ = writeln!(o, "{},{},{}", metric, quote(dimension), value);
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The report as `metric,dimension,value` rows, one figure each.
pub fn csv(r: &Report) -> String {
    let mut o = String::from("metric,dimension,value\n");
    row(&mut o, "period.since", "", r.since.to_rfc3339());
    row(&mut o, "period.until", "", r.until.to_rfc3339());
    row(&mut o, "period.group", "", r.group.as_deref().unwrap_or_default());
    let t = &r.tickets;
    for (k, v) in [
        ("opened", t.opened),
        ("resolved", t.resolved),
        ("unresolved", t.unresolved),
        ("reopened", t.reopened),
        ("merged", t.merged),
    ] {
        row(&mut o, &format!("tickets.{k}"), "", v);
    }
    row(&mut o, "backlog.total", "", r.backlog.total);
    for (k, n) in &r.backlog.by_status {
        row(&mut o, "backlog.status", k, n);
    }
    for (k, n) in &r.backlog.by_priority {
        row(&mut o, "backlog.priority", &k.to_string(), n);
    }
    for (k, n) in &r.backlog.by_group {
        row(&mut o, "backlog.group", k, n);
    }
    for (name, d) in [("first_response", &r.first_response), ("resolution", &r.resolution)] {
        row(&mut o, &format!("{name}.count"), "", d.count);
        row(&mut o, &format!("{name}.median_minutes"), "", opt(d.median_minutes));
        row(&mut o, &format!("{name}.p90_minutes"), "", opt(d.p90_minutes));
    }
    for s in &r.sla {
        row(&mut o, "sla.percent", &s.policy, opt(s.percent));
        row(&mut o, "sla.first_response_met", &s.policy, s.first_response_met);
        row(&mut o, "sla.first_response_breached", &s.policy, s.first_response_breached);
        row(&mut o, "sla.resolution_met", &s.policy, s.resolution_met);
        row(&mut o, "sla.resolution_breached", &s.policy, s.resolution_breached);
    }
    row(&mut o, "reopen_rate.percent", "", opt(r.reopen_rate));
    for (name, s) in [("first_contact", &r.first_contact), ("self_service", &r.self_service)] {
        row(&mut o, &format!("{name}.count"), "", s.count);
        row(&mut o, &format!("{name}.percent"), "", opt(s.percent));
    }
    let s = &r.satisfaction;
    row(&mut o, "satisfaction.surveys_sent", "", s.surveys_sent);
    row(&mut o, "satisfaction.response_rate", "", opt(s.response_rate));
    row(&mut o, "satisfaction.answers", "", s.answers);
    row(&mut o, "satisfaction.average", "", opt(s.average));
    row(&mut o, "satisfaction.satisfied_percent", "", opt(s.satisfied));
    for (i, n) in s.ratings.iter().enumerate() {
        row(&mut o, "satisfaction.rating", &(i + 1).to_string(), n);
    }
    for l in &r.technicians {
        row(&mut o, "technician.open", &l.technician, l.open);
        row(&mut o, "technician.resolved", &l.technician, l.resolved);
        row(&mut o, "technician.answers", &l.technician, l.answers);
    }
    for (h, n) in r.hours.iter().enumerate() {
        row(&mut o, "hour.opened", &h.to_string(), n);
    }
    for d in &r.days {
        let day = d.date.to_string();
        row(&mut o, "day.opened", &day, d.opened);
        row(&mut o, "day.resolved", &day, d.resolved);
        row(&mut o, "day.backlog", &day, d.backlog);
    }
    o
}
