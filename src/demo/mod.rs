//! `guichet demo`: a few weeks of a desk's life played through guichet's
//! own code, so that a fresh desk has a history to show.
//!
//! Fictional requesters (example.test) write at office hours, more in the
//! morning and hardly at weekends; the configured technicians answer
//! "from their mail client", with the ticket's tag in the subject and
//! commands on top (`#resolve`, `#status pending`, `#assign`, `#plan` …);
//! requesters answer questions, say a suggested article solved it, come
//! back when the problem does, rate the service. Each of those mails is
//! built as a mail client would and goes through the ingest pipeline at its
//! simulated time (`Desk::now`); the sweeper runs every few simulated
//! minutes, as `guichet run` does, so warnings, breaches, reminders,
//! auto-closing and surveys happen for real. A few knowledge base articles
//! are published first (`examples/kb/`, as `guichet kb import` would).
//!
//! Nothing is sent: the mail guichet queues is marked sent at the time it
//! was queued, with an attempt that says it was simulated
//! ([`queries::settle_unsent`]), so no sender ever finds it.

mod acts;
mod cast;
mod mail;
mod rng;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

use self::cast::{Person, Topic, TOPICS};
use self::rng::Rng;
use crate::config::{Mailbox as SourceMailbox, Settings, Technician};
use crate::domain::calendar::Calendar;
use crate::domain::knowledge::read_written;
use crate::domain::ticket::{Lang, Status};
use crate::ingest::{IngestError, Outcome};
use crate::mail::inbound::Mailbox;
use crate::mail::outbound::{BuildError, PersonMail};
use crate::notify::outbox::Desk;
use crate::notify::templates::Templates;
use crate::sla::{sweep, SlaError, SweepReport};
use crate::store::models::Ticket;
use crate::store::{queries, Store, StoreError};

/// What to play.
#[derive(Debug, Clone)]
pub struct Options {
    pub weeks: u32,
    pub seed: u64,
    /// The simulated clock stops here.
    pub until: DateTime<Utc>,
}

/// What was played, for the summary the command prints.
#[derive(Debug, Default)]
pub struct Summary {
    /// The days played, on the desk's wall clock.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub requesters: usize,
    pub kb_articles: usize,
    /// Mails written by the people played, as stored.
    pub mails_in: usize,
    /// Mails guichet queued (all marked sent, none sent).
    pub mails_out: usize,
    pub tickets_by_status: Vec<(String, i64)>,
    pub timers_by_state: Vec<(String, i64)>,
    pub surveys_by_state: Vec<(String, i64)>,
    pub self_service: usize,
    pub reopened: usize,
    pub major_incidents: usize,
    /// Mails the pipeline held in quarantine (a broken template, a rule).
    pub quarantined: usize,
    /// What the sweeper did, all passes added up.
    pub swept: SweepReport,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("timers: {0}")]
    Sla(#[from] SlaError),
    #[error("cannot write a demo mail: {0}")]
    Mail(#[from] BuildError),
    /// The config lacks what the demo needs.
    #[error("{0}")]
    Setup(String),
}

impl From<diesel::result::Error> for DemoError {
    fn from(e: diesel::result::Error) -> Self {
        DemoError::Store(StoreError::Query(e))
    }
}

impl DemoError {
    pub fn is_transient(&self) -> bool {
        match self {
            DemoError::Store(e) => e.is_transient(),
            DemoError::Ingest(e) => e.is_transient(),
            DemoError::Sla(e) => e.is_transient(),
            DemoError::Mail(_) | DemoError::Setup(_) => false,
        }
    }
}

/// The attempt recorded on every mail the demo queued.
pub const NOT_SENT: &str = "not sent: queued during `guichet demo`, for people who do not exist";

/// The knowledge base articles published before the first mail, under the
/// file names `guichet kb import examples/kb` would give them.
const ARTICLES: &[(&str, &str)] = &[
    ("boite-aux-lettres-pleine.md", include_str!("../../examples/kb/boite-aux-lettres-pleine.md")),
    ("imprimante-file-bloquee.md", include_str!("../../examples/kb/imprimante-file-bloquee.md")),
    ("mot-de-passe-expire.md", include_str!("../../examples/kb/mot-de-passe-expire.md")),
    ("password-expired.md", include_str!("../../examples/kb/password-expired.md")),
    ("vpn-connection.md", include_str!("../../examples/kb/vpn-connection.md")),
    ("vpn-connexion.md", include_str!("../../examples/kb/vpn-connexion.md")),
];

/// New requests on an ordinary working day; Mondays bring more.
const PER_DAY: f64 = 19.0;
/// New requests on a weekend day or a holiday.
const PER_DAY_OFF: f64 = 1.0;
/// Share of requests written at each local hour (0 to 23).
const BY_HOUR: [u32; 24] = [0, 0, 0, 0, 0, 0, 1, 3, 8, 14, 14, 11, 4, 5, 11, 10, 9, 6, 3, 2, 1, 1, 0, 0];
/// How many people write to the desk.
const PEOPLE: usize = 64;

/// One thing someone does at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Act {
    /// A requester writes about something new.
    Request { person: usize, topic: usize, urgent: bool },
    /// One of the mails about the outage.
    Outage { person: usize },
    /// The technician's first move on a ticket.
    TechFirst { ticket: i64 },
    /// The technician closes the ticket.
    TechClose { ticket: i64 },
    /// The technician on a major incident: taking it, then resolving it.
    Major { ticket: i64, resolve: bool },
    /// The requester answers the technician's question.
    Answer { ticket: i64 },
    /// The requester says a suggested article solved it.
    SelfService { ticket: i64 },
    /// The requester asks where things stand.
    Nudge { ticket: i64 },
    /// The requester says the problem is back.
    Back { ticket: i64 },
    /// The requester answers the survey.
    Survey { ticket: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    at: DateTime<Utc>,
    seq: u64,
    act: Act,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What the demo remembers of a ticket, as its requester would.
#[derive(Debug, Clone)]
struct Case {
    /// `None`: a major incident the desk raised.
    person: Option<usize>,
    topic: Option<usize>,
    lang: Lang,
    subject: String,
    /// The requester's first mail.
    first: String,
    /// The same blanks filled the same way in every line of the ticket.
    blanks: u64,
    handed_over: bool,
    came_back: bool,
}

struct Sim<'a> {
    store: &'a Store,
    settings: &'a Settings,
    templates: &'a Templates,
    mailbox: &'a SourceMailbox,
    rng: Rng,
    seed: u64,
    /// When people work: the first SLA calendar with hours, else weekdays
    /// 08:30 to 18:00.
    office: Calendar,
    people: Vec<Person>,
    queue: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    mails: u64,
    cases: BTreeMap<i64, Case>,
    /// Resolved tickets whose survey may be on its way.
    surveys_due: BTreeSet<i64>,
    next_sweep: DateTime<Utc>,
    settled_on: Option<NaiveDate>,
    summary: Summary,
}

/// Plays `options.weeks` weeks up to `options.until` on an empty desk.
/// The caller has checked that it is empty.
pub fn play(
    store: &Store,
    settings: &Settings,
    templates: &Templates,
    options: &Options,
) -> Result<Summary, DemoError> {
    let mailbox = settings
        .mailboxes
        .first()
        .ok_or_else(|| DemoError::Setup("no [[mailbox]] configured: the demo writes to the first one".into()))?;
    if settings.technicians.is_empty() {
        return Err(DemoError::Setup("no [[technician]] configured: nobody would answer the demo's tickets".into()));
    }
    let office = office(settings);
    let until = options.until;
    let first_day = (until - Duration::weeks(i64::from(options.weeks))).with_timezone(&office.tz).date_naive();
    let from = local(&office, first_day, NaiveTime::MIN).unwrap_or(until - Duration::weeks(i64::from(options.weeks)));
    let last_day = (until - Duration::seconds(1)).with_timezone(&office.tz).date_naive();
    let mut rng = Rng::new(options.seed);
    let taken: Vec<String> = settings.technicians.iter().map(|t| t.email.clone()).collect();
    let people = cast::people(&mut rng, PEOPLE, &taken);
    let mut sim = Sim {
        store,
        settings,
        templates,
        mailbox,
        rng,
        seed: options.seed,
        office,
        people,
        queue: BinaryHeap::new(),
        seq: 0,
        mails: 0,
        cases: BTreeMap::new(),
        surveys_due: BTreeSet::new(),
        next_sweep: from,
        settled_on: None,
        summary: Summary { first_day, last_day, ..Summary::default() },
    };
    sim.summary.requesters = sim.people.len();
    let played = sim.run(from, until);
    // Whatever happened, nothing the demo queued is left for a sender.
    let settled = sim.settle();
    played?;
    settled?;
    let mut conn = store.conn()?;
    sim.summary.tickets_by_status = queries::tickets_by_status(&mut conn)?;
    sim.summary.timers_by_state = queries::timers_by_state(&mut conn)?;
    sim.summary.surveys_by_state = queries::surveys_by_state(&mut conn)?;
    Ok(sim.summary)
}

/// The hours people keep: those of the first SLA calendar that has some
/// (its time zone and holidays too), else weekdays 08:30 to 18:00 in the
/// first technician's time zone.
fn office(settings: &Settings) -> Calendar {
    if let Some(c) = settings.sla.iter().map(|p| &p.calendar).find(|c| !c.hours.spans.is_empty()) {
        return c.clone();
    }
    let tz = settings.technicians.first().map_or(chrono_tz::Tz::UTC, |t| t.presence.tz);
    let spans = crate::domain::assign::WorkingHours::parse_span("mon-fri 08:30-18:00").unwrap_or_default();
    Calendar { tz, hours: crate::domain::assign::WorkingHours { spans }, holidays: Vec::new() }
}

/// The time zone the demo's people live in (see [`office`]).
pub fn time_zone(settings: &Settings) -> chrono_tz::Tz {
    office(settings).tz
}

/// `day` at `time` on the calendar's wall clock.
fn local(cal: &Calendar, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    cal.tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

fn domain_of(email: &str) -> &str {
    email.rsplit_once('@').map_or("example.test", |(_, d)| d)
}

impl Sim<'_> {
    fn run(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<(), DemoError> {
        self.publish_articles(from)?;
        self.plan_requests(from, until);
        while let Some(Reverse(entry)) = self.queue.pop() {
            if entry.at >= until {
                break;
            }
            self.sweep_until(entry.at)?;
            self.act(entry.at, entry.act)?;
        }
        self.sweep_until(until)
    }

    fn at(&mut self, at: DateTime<Utc>, act: Act) {
        self.seq += 1;
        self.queue.push(Reverse(Entry { at, seq: self.seq, act }));
    }

    /// `lo` to `hi` office minutes after `from` (mostly nearer `lo`).
    fn later(&mut self, from: DateTime<Utc>, lo: i64, hi: i64) -> DateTime<Utc> {
        let minutes = self.rng.spread(lo, hi);
        self.office.add(from, minutes)
    }

    fn desk(&self, now: DateTime<Utc>) -> Desk<'_> {
        Desk { settings: self.settings, templates: self.templates, now }
    }

    fn ticket(&self, id: i64) -> Result<Option<Ticket>, DemoError> {
        Ok(queries::ticket(&mut *self.store.conn()?, id)?)
    }

    // --- the plan -------------------------------------------------------

    fn publish_articles(&mut self, now: DateTime<Utc>) -> Result<(), DemoError> {
        let language = self.settings.tickets.language;
        let saved = self.store.write(|conn| -> Result<usize, DemoError> {
            let mut saved = 0;
            for (name, text) in ARTICLES {
                let w = read_written(text).map_err(|e| DemoError::Setup(format!("{name}: {e}")))?;
                let text = crate::kb::Text {
                    title: &w.title,
                    body: &w.body,
                    lang: w.lang.unwrap_or(language),
                    tags: &w.tags,
                    status: w.status.as_deref().unwrap_or("published"),
                };
                crate::kb::save(conn, None, &text, None, Some(name), now.naive_utc())?;
                saved += 1;
            }
            Ok(saved)
        })?;
        self.summary.kb_articles = saved;
        Ok(())
    }

    /// Every new request of the period, and one outage in its middle.
    fn plan_requests(&mut self, from: DateTime<Utc>, until: DateTime<Utc>) {
        let weights: Vec<u32> = self.people.iter().map(|p| p.weight).collect();
        let topics: Vec<u32> = TOPICS.iter().map(|t| t.weight).collect();
        let first = from.with_timezone(&self.office.tz).date_naive();
        let last = until.with_timezone(&self.office.tz).date_naive();
        let mut workdays = Vec::new();
        for day in first.iter_days().take_while(|d| *d <= last) {
            let noon = local(&self.office, day, NaiveTime::from_hms_opt(11, 0, 0).unwrap_or(NaiveTime::MIN));
            let working = noon.is_some_and(|t| self.office.is_open(t));
            let mean = match (working, chrono::Datelike::weekday(&day)) {
                (false, _) => PER_DAY_OFF,
                (true, chrono::Weekday::Mon) => PER_DAY * 1.25,
                (true, chrono::Weekday::Fri) => PER_DAY * 0.85,
                (true, _) => PER_DAY,
            };
            if working {
                workdays.push(day);
            }
            for _ in 0..self.rng.poisson(mean) {
                let hour = self.rng.weighted(&BY_HOUR) as u32;
                let minute = self.rng.below(60) as u32;
                let Some(at) = NaiveTime::from_hms_opt(hour, minute, self.rng.below(60) as u32)
                    .and_then(|t| local(&self.office, day, t))
                else {
                    continue;
                };
                if at < from || at >= until {
                    continue;
                }
                let person = self.rng.weighted(&weights);
                let topic = self.rng.weighted(&topics);
                let urgent = self.rng.chance(0.06);
                self.at(at, Act::Request { person, topic, urgent });
            }
        }
        // The outage: a morning in the middle of the period, many people
        // at once, all in the desk's language (alike enough to be one).
        let Some(day) = workdays.get(workdays.len() / 2).copied() else { return };
        let major = &self.settings.major_incident;
        let count = (major.count + 2).clamp(6, 12);
        let spacing = (major.window.num_minutes() / (count as i64 + 1)).max(1);
        let lang = self.settings.tickets.language;
        let speakers: Vec<usize> = (0..self.people.len()).filter(|i| self.people[*i].lang == lang).collect();
        let mut chosen = BTreeSet::new();
        while chosen.len() < count.min(speakers.len()) {
            chosen.insert(*self.rng.pick(&speakers));
        }
        let start = NaiveTime::from_hms_opt(9, 5, 0).unwrap_or(NaiveTime::MIN);
        for (i, person) in chosen.into_iter().enumerate() {
            let when = start + Duration::minutes(spacing * i as i64);
            if let Some(at) = local(&self.office, day, when).filter(|t| *t >= from && *t < until) {
                self.at(at, Act::Outage { person });
            }
        }
    }

    // --- the clock ------------------------------------------------------

    /// Runs the sweeper as `guichet run` would have, up to `t`: every ten
    /// minutes during office hours, every hour outside them (SLA timers
    /// stand still then; reminders and surveys can wait that long).
    fn sweep_until(&mut self, t: DateTime<Utc>) -> Result<(), DemoError> {
        while self.next_sweep <= t {
            let now = self.next_sweep;
            let report = sweep(self.store, &self.desk(now))?;
            let s = &mut self.summary.swept;
            s.warned += report.warned;
            s.breached += report.breached;
            s.reminded += report.reminded;
            s.closed += report.closed;
            s.surveys += report.surveys;
            if report.surveys > 0 {
                self.surveys_sent()?;
            }
            let day = now.with_timezone(&self.office.tz).date_naive();
            if self.settled_on != Some(day) {
                self.settle()?;
                self.settled_on = Some(day);
            }
            let step = if self.office.is_open(now) { 10 } else { 60 };
            self.next_sweep = now + Duration::minutes(step);
        }
        Ok(())
    }

    /// Marks what guichet queued as handled (see [`NOT_SENT`]).
    fn settle(&mut self) -> Result<(), DemoError> {
        let n =
            self.store.write(|conn| -> Result<usize, StoreError> { Ok(queries::settle_unsent(conn, NOT_SENT)?) })?;
        self.summary.mails_out += n;
        Ok(())
    }

    /// Surveys that just went out: some requesters will answer.
    fn surveys_sent(&mut self) -> Result<(), DemoError> {
        let waiting: Vec<i64> = self.surveys_due.iter().copied().collect();
        for id in waiting {
            let survey = queries::survey_of(&mut *self.store.conn()?, id)?;
            let Some(s) = survey else { continue };
            match s.state.as_str() {
                "scheduled" | "waiting" => continue,
                "sent" => {
                    let person = self.cases.get(&id).and_then(|c| c.person);
                    if let (Some(_), Some(sent)) = (person, s.sent_at) {
                        if self.rng.chance(0.55) {
                            let at = self.later(sent.and_utc(), 5, 1500);
                            self.at(at, Act::Survey { ticket: id });
                        }
                    }
                }
                _ => {}
            }
            self.surveys_due.remove(&id);
        }
        Ok(())
    }
}

fn status(t: &Ticket) -> Status {
    t.status.parse().unwrap_or(Status::New)
}

/// Whether `tech`'s skills or groups fit `topic` (any technician fits no topic).
fn fits(tech: &Technician, topic: Option<&Topic>) -> bool {
    let Some(topic) = topic else { return true };
    topic.skills.iter().any(|s| tech.skills.iter().chain(&tech.groups).any(|k| k.eq_ignore_ascii_case(s)))
}
