//! `guichet demo`

use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::demo::{play, DemoError, Options, Summary};
use crate::store::queries;

use super::{exit, Env, Failure};

/// Fill an empty desk with a few weeks of made-up activity, so that a
/// fresh install has tickets, SLA figures and surveys to show.
///
/// Fictional requesters (example.test) write in French and English at
/// office hours; the configured technicians answer with commands; tickets
/// wait, breach their SLA, get solved by a knowledge base article, reopen,
/// close; surveys are answered. All of it goes through guichet's own
/// pipeline and timers on a simulated clock. No mail is sent: what guichet
/// queues is marked sent and goes nowhere.
///
/// Refuses a database that holds tickets, mail or articles already: a
/// desk in use never gets made-up data. Give it a database of its own.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Weeks of activity to play
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=52))]
    weeks: u32,
    /// The same seed plays the same weeks
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Last day played: YYYY-MM-DD (to its end, in the desk's time zone)
    /// or an RFC 3339 time; not in the future [default: now]
    #[arg(long)]
    until: Option<String>,
}

pub fn run(env: Env, args: Args) -> Result<ExitCode, Failure> {
    let now = env.clock.now();
    let until = match &args.until {
        Some(text) => until(text, crate::demo::time_zone(&env.settings), now)?,
        None => now,
    };
    let templates = env.templates()?;
    let store = env.store()?;
    let (tickets, mails, articles) = queries::stored_counts(&mut *store.conn()?)?;
    if tickets + mails + articles > 0 {
        return Err(Failure::new(
            exit::FAILURE,
            anyhow::anyhow!(
                "{} already holds {tickets} ticket(s), {mails} mail(s) and {articles} knowledge base article(s): \
                 `guichet demo` fills only an empty desk, so that a desk in use never gets made-up data; \
                 give it a config whose [database] is a new one",
                env.settings.database.display()
            ),
        ));
    }
    let started = Instant::now();
    let options = Options { weeks: args.weeks, seed: args.seed, until };
    let summary = play(&store, &env.settings, &templates, &options).map_err(|e| {
        let code = if e.is_transient() { exit::TEMPFAIL } else { exit::FAILURE };
        let error = match e {
            DemoError::Setup(why) => anyhow::anyhow!("cannot play the demo: {why}"),
            other => anyhow::Error::new(other).context("the demo stopped"),
        };
        Failure::new(code, error)
    })?;
    print_summary(&summary, &args, started.elapsed());
    Ok(ExitCode::SUCCESS)
}

/// `--until`: a day (played to its end in `tz`) or a time, never later
/// than `now`.
fn until(text: &str, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, Failure> {
    let usage = |why: String| Failure::new(exit::USAGE, anyhow::anyhow!("--until `{text}`: {why}"));
    let (start, end) = if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let local = |d: NaiveDate| tz.from_local_datetime(&d.and_time(NaiveTime::MIN)).earliest();
        let start = local(day).ok_or_else(|| usage("no such local time".into()))?.with_timezone(&Utc);
        let end = day.succ_opt().and_then(local).map_or(start + Duration::days(1), |t| t.with_timezone(&Utc));
        (start, end)
    } else {
        let at = DateTime::parse_from_rfc3339(text)
            .map_err(|e| usage(format!("{e} (YYYY-MM-DD or an RFC 3339 time)")))?
            .with_timezone(&Utc);
        (at, at)
    };
    if start > now {
        return Err(usage("that is in the future; the demo plays weeks that have passed".into()));
    }
    Ok(end.min(now))
}

fn print_summary(s: &Summary, args: &Args, took: std::time::Duration) {
    let count = |v: &[(String, i64)], key: &str| v.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n);
    let total: i64 = s.tickets_by_status.iter().map(|(_, n)| n).sum();
    let statuses: Vec<String> = s.tickets_by_status.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "played {} week(s), {} to {} (seed {}), in {:.1} s",
        args.weeks,
        s.first_day,
        s.last_day,
        args.seed,
        took.as_secs_f64()
    );
    println!("tickets: {total} ({})", statuses.join(", "));
    println!(
        "mail: {} written by {} requesters and the technicians; {} queued by guichet, marked sent, none sent",
        s.mails_in, s.requesters, s.mails_out
    );
    println!(
        "knowledge base: {} articles published; {} requests solved by one (self-service)",
        s.kb_articles, s.self_service
    );
    println!(
        "SLA timers: {} met, {} breached; {} warnings, {} breaches, {} reminders, {} closed unanswered",
        count(&s.timers_by_state, "met"),
        count(&s.timers_by_state, "breached"),
        s.swept.warned,
        s.swept.breached,
        s.swept.reminded,
        s.swept.closed
    );
    println!("surveys: {} sent, {} answered", s.swept.surveys, count(&s.surveys_by_state, "answered"));
    println!("{} reopened, {} major incident(s)", s.reopened, s.major_incidents);
    if s.quarantined > 0 {
        println!("{} mail(s) quarantined: see `guichet quarantine list`", s.quarantined);
    }
}
