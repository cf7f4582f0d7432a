//! A desk in process: the pipeline, the store and the SLA sweeper called
//! as library functions, on the config text the binary tests use. No
//! process is spawned, so a test of a pipeline decision takes a fraction
//! of a second; the binary tests keep the CLI contract (exit codes,
//! output formats, files written).
//!
//! SQLite in a temporary directory by default; a database of its own on
//! PostgreSQL with `GUICHET_TEST_BACKEND=postgres` (see [`super::database_keys`]).

use chrono::{DateTime, Utc};

use guichet::config::Settings;
use guichet::domain::clock::{Clock, SystemClock};
use guichet::ingest::pipeline::{ingest, ingest_batch, Outcome};
use guichet::mail::inbound::InboundMail;
use guichet::notify::outbox::Desk;
use guichet::notify::templates::Templates;
use guichet::sla::SweepReport;
use guichet::store::models::{Article, Attachment, Contact, Event, OutboxRow, SlaTimer, Ticket};
use guichet::store::{queries, Store};

use super::Desk as BinaryDesk;

pub struct Harness {
    /// Holds the config file and the SQLite database.
    pub dir: tempfile::TempDir,
    pub settings: Settings,
    templates: Templates,
    store: Store,
    /// What `GUICHET_NOW` is to the binary: the pipeline's time, the wall
    /// clock's when unset.
    pub now: Option<DateTime<Utc>>,
    /// Numbers the Message-IDs of [`Harness::command`] mails.
    sent_commands: std::cell::Cell<usize>,
}

impl Harness {
    /// The desk of [`BinaryDesk::new`]: two technicians, French by default.
    pub fn new() -> Harness {
        Harness::with("")
    }

    /// With `extra` appended to the config (rules, technicians, limits…).
    pub fn with(extra: &str) -> Harness {
        Harness::with_config(&BinaryDesk::config_text(extra, ""))
    }

    /// From a whole config text, as [`BinaryDesk::with_config`] takes it.
    pub fn with_config(text: &str) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("guichet.toml");
        std::fs::write(&path, text).expect("config");
        let settings = Settings::load(&path).unwrap_or_else(|e| panic!("test config: {e}"));
        let store = Store::open(&settings.database).expect("open store");
        // As `guichet ingest` has them: each compiled when first rendered.
        let templates = Templates::lazy(settings.templates_dir.as_deref(), &settings.tickets.languages);
        Harness { dir, settings, templates, store, now: None, sent_commands: Default::default() }
    }

    /// Sets the clock (RFC 3339), as `GUICHET_NOW` does.
    pub fn at(&mut self, rfc3339: &str) {
        let at = DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time");
        self.now = Some(at.with_timezone(&Utc));
    }

    fn desk(&self) -> Desk<'_> {
        Desk {
            settings: &self.settings,
            templates: &self.templates,
            now: self.now.unwrap_or_else(|| SystemClock.now()),
        }
    }

    fn mailbox(&self) -> &guichet::config::Mailbox {
        self.settings.mailboxes.first().expect("a [[mailbox]]")
    }

    /// Ingests one mail, as `guichet ingest` does from stdin.
    pub fn ingest(&self, raw: &[u8]) -> Outcome {
        ingest(&self.store, &self.desk(), self.mailbox(), None, raw).expect("mail stored")
    }

    /// Ingests mails in one commit, as a source with several in hand does.
    pub fn ingest_group(&self, raws: &[&[u8]]) -> Vec<Outcome> {
        let mails: Vec<(Option<&str>, &[u8])> = raws.iter().map(|r| (None, *r)).collect();
        ingest_batch(&self.store, &self.desk(), self.mailbox(), &mails).expect("mails stored")
    }

    /// Ingests a mail that must open a ticket; returns its number.
    pub fn open(&self, raw: &[u8]) -> i64 {
        match self.ingest(raw) {
            Outcome::Ticket { ticket } => ticket,
            other => panic!("expected a new ticket, got {other:?}"),
        }
    }

    /// A technician's mail on `ticket` (commands on its first lines), as
    /// their client sends a reply to one of the ticket's mails.
    pub fn command(&self, from: &str, ticket: i64, body: &str) -> Outcome {
        let n = self.sent_commands.get() + 1;
        self.sent_commands.set(n);
        let id = format!("command-{n}@example.test");
        self.ingest(&super::mail(from, &format!("RE: [Guichet #{ticket}] Suivi"), &id, "", body))
    }

    /// The SLA sweeper's pass at the harness's time, as `run` does it.
    pub fn sweep(&self) -> SweepReport {
        guichet::sla::sweep(&self.store, &self.desk()).expect("sweep")
    }

    /// A connection for what the harness does not read itself.
    pub fn conn(&self) -> diesel::r2d2::PooledConnection<guichet::store::Manager> {
        self.store.conn().expect("connection")
    }

    /// A ticket as a technician would look it up: the row, its people, its
    /// articles with their files, its history.
    pub fn ticket(&self, number: i64) -> TicketView {
        let mut c = self.conn();
        let row = queries::ticket(&mut c, number).expect("query").unwrap_or_else(|| panic!("no ticket {number}"));
        let articles = queries::articles(&mut c, number).expect("articles");
        let ids: Vec<i64> = articles.iter().map(|a| a.id).collect();
        TicketView {
            requester: queries::contact(&mut c, row.requester_id).expect("requester"),
            watchers: queries::watchers(&mut c, number).expect("watchers").into_iter().map(|w| w.email).collect(),
            tags: queries::tags(&mut c, number).expect("tags"),
            children: queries::children(&mut c, number).expect("children"),
            attachments: queries::attachments_of(&mut c, &ids).expect("attachments"),
            events: queries::events(&mut c, number).expect("events"),
            timers: queries::sla_timers(&mut c, number).expect("timers"),
            articles,
            row,
        }
    }

    /// Every ticket, oldest first.
    pub fn tickets(&self) -> Vec<Ticket> {
        queries::list_tickets(&mut self.conn(), &Default::default()).expect("tickets")
    }

    /// Every outgoing mail queued so far, oldest first.
    pub fn outbox(&self) -> Vec<Sent> {
        let rows = queries::list_outbox(&mut self.conn()).expect("outbox");
        rows.iter().map(|row| self.sent(row)).collect()
    }

    /// The outgoing mail queued with this template.
    pub fn queued(&self, template: &str) -> Vec<Sent> {
        self.outbox().into_iter().filter(|m| m.template == template).collect()
    }

    fn sent(&self, row: &OutboxRow) -> Sent {
        let raw = self.as_delivered(row);
        let mail = InboundMail::parse(&raw).expect("our mail parses");
        Sent {
            ticket: row.ticket_id,
            template: row.template.clone(),
            recipients: row.recipients.split(',').map(str::to_string).collect(),
            subject: row.subject.clone(),
            message_id: row.message_id.clone(),
            automatic: row.automatic,
            raw,
            mail,
        }
    }

    /// The bytes a recipient of this row gets: the row rendered as the
    /// sender renders it. The one place that knows how an outbox row holds
    /// its mail.
    fn as_delivered(&self, row: &OutboxRow) -> Vec<u8> {
        let mut conn = self.conn();
        match guichet::notify::render::render_row(&mut conn, &self.settings, &self.templates, row) {
            Ok(mail) => mail.bytes,
            Err(e) => panic!("outgoing mail {} cannot be rendered: {e}", row.id),
        }
    }
}

/// A ticket with what hangs off it. Derefs to the row (`t.status`).
pub struct TicketView {
    pub row: Ticket,
    pub requester: Contact,
    pub watchers: Vec<String>,
    pub tags: Vec<String>,
    pub children: Vec<i64>,
    pub articles: Vec<Article>,
    pub attachments: Vec<Attachment>,
    pub events: Vec<Event>,
    pub timers: Vec<SlaTimer>,
}

impl std::ops::Deref for TicketView {
    type Target = Ticket;
    fn deref(&self) -> &Ticket {
        &self.row
    }
}

impl TicketView {
    pub fn last_article(&self) -> &Article {
        self.articles.last().expect("an article")
    }

    /// The kinds of its history events, in order.
    pub fn kinds(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.kind_name()).collect()
    }

    /// The first event of this kind.
    pub fn event(&self, kind: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.kind_name() == kind)
    }

    /// Its SLA timer of this kind (`first_response`, `resolution`).
    pub fn timer(&self, kind: &str) -> &SlaTimer {
        self.timers.iter().find(|s| s.kind == kind).unwrap_or_else(|| panic!("no {kind} timer"))
    }

    /// The files of one of its articles.
    pub fn files_of(&self, article: &Article) -> Vec<&Attachment> {
        self.attachments.iter().filter(|f| f.article_id == article.id).collect()
    }
}

/// One outgoing mail as queued, and as its recipient reads it.
pub struct Sent {
    pub ticket: Option<i64>,
    pub template: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub automatic: bool,
    /// The mail as delivered, headers and MIME encoding included.
    pub raw: Vec<u8>,
    /// Parsed as a recipient's client would.
    pub mail: InboundMail,
}

impl Sent {
    /// The decoded text part: what a reader sees.
    pub fn text(&self) -> &str {
        &self.mail.text
    }

    /// The text part unwrapped (our text is wrapped at 72 columns).
    pub fn one_line(&self) -> String {
        self.mail.text.replace('\n', " ")
    }

    /// An unfolded header's value, as written in the header block.
    pub fn header(&self, name: &str) -> Option<String> {
        let raw = String::from_utf8_lossy(&self.raw);
        let head = raw.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
        let prefix = format!("{name}: ");
        head.lines().find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
    }

    pub fn to(&self, who: &str) -> bool {
        self.recipients.iter().any(|r| r == who)
    }
}
