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

mod cast;
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

    // --- mail -----------------------------------------------------------

    /// A mail from `from` to the desk, stored through the pipeline at `now`.
    #[allow(clippy::too_many_arguments)]
    fn mail(
        &mut self,
        now: DateTime<Utc>,
        from: Mailbox,
        subject: String,
        text: String,
        references: Vec<String>,
        cc: Vec<Mailbox>,
        lang: Option<Lang>,
    ) -> Result<(Outcome, String), DemoError> {
        self.mails += 1;
        let message_id = format!("demo.{}.{}@{}", self.seed, self.mails, domain_of(&from.email));
        let mut headers = Vec::new();
        // A desk that asks for proof of a technician's address gets what
        // its receiving MTA would write.
        if let Some(authserv) = self.settings.tickets.trusted_authserv_ids.first() {
            if self.settings.technician(&from.email).is_some() {
                let d = domain_of(&from.email);
                headers.push(("Authentication-Results", format!("{authserv}; dkim=pass header.d={d}")));
            }
        }
        let to = Mailbox { email: self.mailbox.address.clone(), name: String::new() };
        let raw = PersonMail {
            from,
            to,
            cc,
            subject,
            text,
            message_id: message_id.clone(),
            references,
            language: lang.map(|l| l.as_str().to_string()),
            headers,
            date: now.into(),
        }
        .to_bytes()?;
        let outcome = crate::ingest::ingest(self.store, &self.desk(now), self.mailbox, None, &raw)?;
        self.summary.mails_in += 1;
        if let Outcome::Quarantined { .. } = outcome {
            self.summary.quarantined += 1;
        }
        Ok((outcome, message_id))
    }

    fn subject_of(&mut self, id: i64, case: &Case) -> String {
        let prefix = match case.lang {
            Lang::Fr => *self.rng.pick(&["RE: ", "Re: ", "RE : "]),
            Lang::En => *self.rng.pick(&["RE: ", "Re: "]),
        };
        format!("{prefix}{} {}", self.settings.tickets.subject_tag.format(id), case.subject)
    }

    /// The requester of `id` writes `text` (signed) on it.
    fn requester_writes(&mut self, now: DateTime<Utc>, id: i64, text: &str, sign: bool) -> Result<(), DemoError> {
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(person) = case.person.map(|p| self.people[p].clone()) else { return Ok(()) };
        let subject = self.subject_of(id, &case);
        let text = if sign { self.signed(text, &person) } else { text.to_string() };
        let from = Mailbox { email: person.email.clone(), name: person.name.clone() };
        self.mail(now, from, subject, text, vec![case.first.clone()], Vec::new(), Some(case.lang))?;
        Ok(())
    }

    fn signed(&mut self, text: &str, person: &Person) -> String {
        let sign_off = *self.rng.pick(cast::common(person.lang).sign_off);
        format!("{text}\n\n{sign_off}\n{}\n", person.name)
    }

    /// Technician `tech` writes `commands` and `text` on ticket `id`.
    fn technician_writes(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        tech: &Technician,
        commands: &[String],
        text: &str,
    ) -> Result<(), DemoError> {
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let subject = self.subject_of(id, &case);
        let mut body: String = commands.iter().map(|c| format!("{c}\n")).collect();
        if !commands.is_empty() {
            body.push('\n');
        }
        body.push_str(text);
        let first_name = tech.name.split(' ').next().unwrap_or(&tech.name);
        body.push_str(&format!("\n\n{first_name}\n"));
        let from = Mailbox { email: tech.email.clone(), name: tech.name.clone() };
        // A major incident the desk raised has no first mail to answer.
        let refs = [case.first.clone()].into_iter().filter(|r| !r.is_empty()).collect();
        self.mail(now, from, subject, body, refs, Vec::new(), None)?;
        Ok(())
    }

    fn greeting(&self, case: &Case) -> String {
        let first = case.person.map(|p| self.people[p].first_name().to_string()).unwrap_or_default();
        cast::common(case.lang).greeting.replace("{first}", &first)
    }

    /// `line` with the case's blanks.
    fn fill(&self, case: &Case, line: &str) -> String {
        cast::fill(&mut Rng::new(case.blanks), line)
    }

    // --- who does what --------------------------------------------------

    fn act(&mut self, now: DateTime<Utc>, act: Act) -> Result<(), DemoError> {
        match act {
            Act::Request { person, topic, urgent } => self.request(now, person, Some(topic), urgent),
            Act::Outage { person } => self.request(now, person, None, false),
            Act::TechFirst { ticket } => self.tech_first(now, ticket),
            Act::TechClose { ticket } => self.tech_close(now, ticket),
            Act::Major { ticket, resolve } => self.major(now, ticket, resolve),
            Act::Answer { ticket } => self.answer(now, ticket),
            Act::SelfService { ticket } => self.self_service(now, ticket),
            Act::Nudge { ticket } => self.nudge(now, ticket),
            Act::Back { ticket } => self.back(now, ticket),
            Act::Survey { ticket } => self.survey(now, ticket),
        }
    }

    /// A new mail to the desk: about `topic`, or about the outage.
    fn request(
        &mut self,
        now: DateTime<Utc>,
        person: usize,
        topic: Option<usize>,
        urgent: bool,
    ) -> Result<(), DemoError> {
        let p = self.people[person].clone();
        let blanks = self.rng.next_u64();
        let mut filler = Rng::new(blanks);
        let (subjects, bodies) = match topic {
            Some(t) => {
                let lines = TOPICS[t].lines(p.lang);
                (lines.subjects, lines.bodies)
            }
            None => cast::outage(p.lang),
        };
        let mut subject = cast::fill(&mut filler, self.rng.pick::<&str>(subjects));
        if urgent {
            subject = format!("{}{subject}", cast::common(p.lang).urgent);
        }
        let body = cast::fill(&mut Rng::new(blanks), self.rng.pick::<&str>(bodies));
        let text = self.signed(&body, &p);
        // Now and then a colleague is copied.
        let mut cc = Vec::new();
        if topic.is_some() && self.rng.chance(0.08) {
            let other = &self.people[self.rng.below(self.people.len())];
            if other.email != p.email {
                cc.push(Mailbox { email: other.email.clone(), name: other.name.clone() });
            }
        }
        let from = Mailbox { email: p.email.clone(), name: p.name.clone() };
        let (outcome, first) = self.mail(now, from, subject.clone(), text, Vec::new(), cc, Some(p.lang))?;
        let Outcome::Ticket { ticket: id } = outcome else { return Ok(()) };
        let clean = self.settings.tickets.subject_tag.clean(&subject);
        let case = Case {
            person: Some(person),
            topic,
            lang: p.lang,
            subject: clean,
            first,
            blanks,
            handed_over: false,
            came_back: false,
        };
        self.cases.insert(id, case);
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if let Some(parent) = t.parent_id {
            return self.major_raised(now, parent);
        }
        let suggested = !crate::store::kb::suggestions(&mut *self.store.conn()?, id)?.is_empty();
        if suggested && self.rng.chance(0.2) {
            let at = self.later(now, 5, 90);
            self.at(at, Act::SelfService { ticket: id });
        }
        let critical = t.priority <= 2;
        // Most first answers come well in time; some do not.
        let wait = match (critical, self.rng.chance(0.88)) {
            (true, true) => self.rng.spread(3, 35),
            (true, false) => self.rng.spread(25, 180),
            (false, true) => self.rng.spread(5, 240),
            (false, false) => self.rng.spread(180, 1200),
        };
        let at = self.office.add(now, wait);
        self.at(at, Act::TechFirst { ticket: id });
        if wait > 480 && self.rng.chance(0.4) {
            let at = self.later(now, 240, wait - 30);
            self.at(at, Act::Nudge { ticket: id });
        }
        Ok(())
    }

    /// A major incident the desk raised (or one a new ticket joined).
    fn major_raised(&mut self, now: DateTime<Utc>, parent: i64) -> Result<(), DemoError> {
        if self.cases.contains_key(&parent) {
            return Ok(());
        }
        let Some(t) = self.ticket(parent)? else { return Ok(()) };
        let lang: Lang = t.language.parse().unwrap_or(self.settings.tickets.language);
        let case = Case {
            person: None,
            topic: None,
            lang,
            subject: t.subject.clone(),
            first: String::new(),
            blanks: 0,
            handed_over: false,
            came_back: false,
        };
        self.cases.insert(parent, case);
        self.summary.major_incidents += 1;
        let at = self.later(now, 8, 25);
        self.at(at, Act::Major { ticket: parent, resolve: false });
        Ok(())
    }

    /// The technician who handles `t`: its assignee, else one whose skills
    /// or groups fit the topic (in the ticket's group when it has one).
    fn tech_for(&mut self, t: &Ticket, topic: Option<&Topic>) -> Option<Technician> {
        let techs = &self.settings.technicians;
        if let Some(a) = &t.assignee {
            if let Some(tech) = self.settings.technician(a) {
                return Some(tech.clone());
            }
        }
        let in_group = |x: &&Technician| t.group_name.as_ref().is_none_or(|g| x.groups.contains(g));
        let fitting: Vec<&Technician> = techs.iter().filter(in_group).filter(|x| fits(x, topic)).collect();
        let grouped: Vec<&Technician> = techs.iter().filter(in_group).collect();
        let all: Vec<&Technician> = techs.iter().collect();
        // Most often one it suits looks at it first; not always.
        let pools = if self.rng.chance(0.75) { [fitting, grouped, all] } else { [grouped, all, fitting] };
        let pool = pools.into_iter().find(|p| !p.is_empty())?;
        Some((*self.rng.pick(&pool)).clone())
    }

    fn at_work(&self, tech: &Technician, t: DateTime<Utc>) -> bool {
        self.office.is_open(t) && tech.presence.unavailable(t).is_none()
    }

    /// When `tech` cannot act at `now`: puts `act` off to when they can
    /// (or drops it when they are away for a month), and says so.
    fn put_off(&mut self, now: DateTime<Utc>, tech: &Technician, act: Act) -> bool {
        if self.at_work(tech, now) {
            return false;
        }
        let mut t = now;
        for _ in 0..(30 * 24 * 4) {
            t += Duration::minutes(15);
            if self.at_work(tech, t) {
                let at = t + Duration::minutes(self.rng.between(0, 30));
                self.at(at, act);
                break;
            }
        }
        true
    }

    /// A ticket a technician can work on now, its case and who works on
    /// it; none when it waits for its requester or its parent, is closed,
    /// or nobody is at work (`act` then comes again later).
    fn workable(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        act: Act,
    ) -> Result<Option<(Ticket, Case, Technician)>, DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(None) };
        let status = status(&t);
        // Waiting for an answer that did not come: the sweeper closes it.
        if t.parent_id.is_some() || status.is_closed() || status == Status::Pending {
            return Ok(None);
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(None) };
        let topic = case.topic.map(|i| &TOPICS[i]);
        let Some(tech) = self.tech_for(&t, topic) else { return Ok(None) };
        if self.put_off(now, &tech, act) {
            return Ok(None);
        }
        Ok(Some((t, case, tech)))
    }

    fn tech_first(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some((t, case, tech)) = self.workable(now, id, Act::TechFirst { ticket: id })? else { return Ok(()) };
        let topic = case.topic.map(|i| &TOPICS[i]);
        // Taken by someone it does not suit: handed over to one it does.
        if !case.handed_over && !fits(&tech, topic) && self.rng.chance(0.7) {
            let other = self.settings.technicians.iter().find(|x| fits(x, topic) && x.email != tech.email).cloned();
            if let Some(other) = other {
                if let Some(c) = self.cases.get_mut(&id) {
                    c.handed_over = true;
                }
                let note = cast::common(case.lang).handover;
                let commands = [format!("#assign {}", other.email), "#internal".to_string()];
                self.technician_writes(now, id, &tech, &commands, note)?;
                let at = self.later(now, 5, 60);
                self.at(at, Act::TechFirst { ticket: id });
                return Ok(());
            }
        }
        let critical = t.priority <= 2;
        let roll = self.rng.unit();
        let topic_lines = topic.map(|tp| tp.lines(case.lang));
        let greeting = self.greeting(&case);
        let Some(lines) = topic_lines.filter(|_| roll >= 0.28) else {
            return self.close(now, id, &tech, &case, false);
        };
        if roll < 0.43 {
            // A question first: the ticket waits for the requester.
            let text = format!("{greeting}\n\n{}", self.fill(&case, lines.question));
            self.technician_writes(now, id, &tech, &["#status pending".into()], &text)?;
            if self.rng.chance(0.7) {
                let at = self.later(now, 15, 900);
                self.at(at, Act::Answer { ticket: id });
            }
            return Ok(());
        }
        if topic.is_some_and(|tp| tp.visit) && roll < 0.6 {
            // A visit, planned in a day or two, in the technician's time zone.
            let day = self.later(now, 500, 1400).with_timezone(&tech.presence.tz).date_naive();
            let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN);
            let visit = tech.presence.tz.from_local_datetime(&day.and_time(ten)).earliest();
            if let Some(visit) = visit.map(|v| v.with_timezone(&Utc)) {
                let date = day.format("%d/%m").to_string();
                let said = cast::common(case.lang).planned.replace("{date}", &date);
                let command = format!("#plan {} 10:00", day.format("%Y-%m-%d"));
                self.technician_writes(now, id, &tech, &[command], &format!("{greeting}\n\n{said}"))?;
                let at = visit + Duration::minutes(self.rng.between(30, 90));
                self.at(at, Act::TechClose { ticket: id });
                return Ok(());
            }
        }
        // Taken, answered; closed later.
        let mut commands = Vec::new();
        if topic.is_some_and(|tp| tp.request) && t.ticket_type != "request" {
            commands.push("#type request".to_string());
        }
        // "URGENT" in a subject is not always so.
        let marked = case.subject.starts_with(cast::common(case.lang).urgent.trim_end());
        if marked && t.urgency < 3 && self.rng.chance(0.4) {
            commands.push("#urgency 3".to_string());
        }
        let taken = *self.rng.pick(cast::common(case.lang).taken);
        self.technician_writes(now, id, &tech, &commands, &format!("{greeting}\n\n{taken}"))?;
        let at = if critical { self.later(now, 20, 240) } else { self.later(now, 30, 1200) };
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    fn tech_close(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some((_, case, tech)) = self.workable(now, id, Act::TechClose { ticket: id })? else { return Ok(()) };
        self.close(now, id, &tech, &case, case.came_back)
    }

    /// Resolves the ticket (now and then: closes it unresolved).
    fn close(
        &mut self,
        now: DateTime<Utc>,
        id: i64,
        tech: &Technician,
        case: &Case,
        again: bool,
    ) -> Result<(), DemoError> {
        let greeting = self.greeting(case);
        let lang = case.lang;
        let (mut commands, words) = if !again && self.rng.chance(0.04) {
            (vec!["#unresolved".to_string()], *self.rng.pick(cast::common(lang).unresolved))
        } else {
            let topic = &TOPICS[case.topic.unwrap_or(0)];
            (vec!["#resolve".to_string()], *self.rng.pick(topic.lines(lang).solution))
        };
        if commands[0] == "#resolve" && self.rng.chance(0.03) {
            commands.push("#kb".into());
        }
        let text = format!("{greeting}\n\n{}", self.fill(case, words));
        self.technician_writes(now, id, tech, &commands, &text)?;
        self.resolved(now, id)
    }

    /// After a ticket was resolved: its survey may come; the problem may too.
    fn resolved(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Resolved.as_str() {
            return Ok(());
        }
        self.surveys_due.insert(id);
        let back = self.cases.get(&id).is_some_and(|c| !c.came_back && c.person.is_some());
        if back && self.rng.chance(0.07) {
            let at = self.later(now, 60, 2400);
            self.at(at, Act::Back { ticket: id });
        }
        Ok(())
    }

    fn major(&mut self, now: DateTime<Utc>, id: i64, resolve: bool) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if status(&t).is_closed() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let network = TOPICS.iter().find(|tp| tp.skills.contains(&"reseau"));
        let Some(tech) = self.tech_for(&t, network) else { return Ok(()) };
        if self.put_off(now, &tech, Act::Major { ticket: id, resolve }) {
            return Ok(());
        }
        let c = cast::common(case.lang);
        if !resolve {
            self.technician_writes(now, id, &tech, &["#assign me".into()], c.outage_seen)?;
            let at = self.later(now, 40, 110);
            self.at(at, Act::Major { ticket: id, resolve: true });
            return Ok(());
        }
        self.technician_writes(now, id, &tech, &["#resolve".into()], c.outage_fixed)?;
        for child in queries::children(&mut *self.store.conn()?, id)? {
            self.surveys_due.insert(child);
        }
        Ok(())
    }

    fn answer(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Pending.as_str() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(topic) = case.topic.map(|i| &TOPICS[i]) else { return Ok(()) };
        let text = self.fill(&case, topic.lines(case.lang).answer);
        self.requester_writes(now, id, &text, true)?;
        let at = self.later(now, 20, 600);
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    fn self_service(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if status(&t).is_closed() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).solved);
        self.requester_writes(now, id, words, false)?;
        if self.ticket(id)?.is_some_and(|t| t.status == Status::Resolved.as_str()) {
            self.summary.self_service += 1;
            self.surveys_due.insert(id);
        }
        Ok(())
    }

    fn nudge(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        let status = status(&t);
        if status.is_closed() || status == Status::Pending {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).nudge);
        self.requester_writes(now, id, words, true)
    }

    fn back(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let Some(t) = self.ticket(id)? else { return Ok(()) };
        if t.status != Status::Resolved.as_str() {
            return Ok(());
        }
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let words = *self.rng.pick(cast::common(case.lang).back);
        self.requester_writes(now, id, words, true)?;
        self.reopened(now, id)
    }

    /// When the requester's mail reopened the ticket: the technician comes back to it.
    fn reopened(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        if self.ticket(id)?.is_none_or(|t| status(&t).is_closed()) {
            return Ok(());
        }
        if let Some(c) = self.cases.get_mut(&id) {
            c.came_back = true;
        }
        self.summary.reopened += 1;
        let at = self.later(now, 30, 600);
        self.at(at, Act::TechClose { ticket: id });
        Ok(())
    }

    fn survey(&mut self, now: DateTime<Utc>, id: i64) -> Result<(), DemoError> {
        let survey = queries::survey_of(&mut *self.store.conn()?, id)?;
        let Some(message_id) = survey.filter(|s| s.state == "sent").and_then(|s| s.message_id) else { return Ok(()) };
        let Some(case) = self.cases.get(&id).cloned() else { return Ok(()) };
        let Some(person) = case.person.map(|p| self.people[p].clone()) else { return Ok(()) };
        let late = queries::sla_timers(&mut *self.store.conn()?, id)?.iter().any(|r| r.breached_at.is_some());
        let weights: [u32; 5] = if late || case.came_back { [12, 15, 20, 28, 25] } else { [4, 6, 12, 30, 48] };
        let rating = self.rng.weighted(&weights);
        let c = cast::common(case.lang);
        let back = rating <= 1 && !case.came_back && self.rng.chance(0.3);
        let words = if back { c.survey_back } else { *self.rng.pick(c.ratings[rating]) };
        let subject = self.subject_of(id, &case);
        let from = Mailbox { email: person.email.clone(), name: person.name.clone() };
        let refs = vec![case.first.clone(), message_id];
        self.mail(now, from, subject, words.to_string(), refs, Vec::new(), Some(case.lang))?;
        if back {
            self.reopened(now, id)?;
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
